"""The baseline: the old Flask project's app, serving the same two model files.

It loads `sentiment_model.pkl` and `tfidf_vectorizer.pkl` with joblib and answers one route
the way the course project did. bench/serving.py runs it under gunicorn next to socialmetrics:

    MODEL_DIR=var/models/v0001-... gunicorn -w 1 bench.flask_reference:app

(Run from the project root: the vectorizer's classes live in the `sentiment` package.)
"""

import os

import joblib
from flask import Flask, jsonify, request

MODEL_DIR = os.environ["MODEL_DIR"]
model = joblib.load(os.path.join(MODEL_DIR, "sentiment_model.pkl"))
vectorizer = joblib.load(os.path.join(MODEL_DIR, "tfidf_vectorizer.pkl"))
classes = list(model.classes_)

app = Flask(__name__)


@app.route("/predict", methods=["POST"])
def predict():
    tweets = request.get_json()["tweets"]
    probabilities = model.predict_proba(vectorizer.transform(tweets))
    scores = {}
    for tweet, p in zip(tweets, probabilities):  # noqa: B905 - as the old project wrote it
        positive = p[classes.index("positive")] if "positive" in classes else 0.0
        negative = p[classes.index("negative")] if "negative" in classes else 0.0
        scores[tweet] = round(float(positive - negative), 4)
    return jsonify(scores)
