"""Cross-validated accuracy of the sentiment model on the three benchmark tasks.

    python bench/accuracy.py [--data-dir ../shared/data] [--quick] [--levers]

Each task trains on its own training file only, exactly as the product does (``fit_model``,
with its internal choice of C), in 5-fold stratified cross-validation with a fixed seed:

* Sentiment140 (100k, positive/negative, English): accuracy and macro recall;
* SemEval-2017 4A (3 labels, English): macro-averaged recall;
* DEFT-2017 (3 labels, French; train + validation splits): macro-averaged recall.

It also prints a reliability table of the out-of-fold probabilities, and checks that one
model trained on French and English together scores each language as well as separate
models do. ``--levers`` adds the contribution of each part of the feature recipe (fixed C,
one part removed at a time). ``--quick`` uses 3 folds and subsamples the large sets.
The data folder is optional: without it the script says so and exits successfully.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, recall_score
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sentiment.ml.features import build_vectorizer
from sentiment.ml.train import DEFAULT_C, fit_model, make_classifier

SEED = 0
FILES = {
    "s140": ["sentiment140_train_100k"],
    "semeval": ["semeval2017_train"],
    "deft": ["deft2017_fr_train", "deft2017_fr_val"],
}
TITLES = {"s140": "Sentiment140 pos/neg", "semeval": "SemEval-2017 4A", "deft": "DEFT-2017 fr"}
QUICK_ROWS = 20_000


def load(data_dir: Path, task: str, quick: bool) -> tuple[list[str], np.ndarray]:
    frames = [
        pd.read_csv(data_dir / f"{name}.csv.gz", keep_default_na=False) for name in FILES[task]
    ]
    # Sentiment140 comes as two contiguous blocks: shuffle before any subsample or split.
    df = pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=SEED)
    if quick and len(df) > QUICK_ROWS:
        df = df.iloc[:QUICK_ROWS]
    return df.text.tolist(), df.label.to_numpy(dtype=object)


def folds(y: np.ndarray, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(StratifiedKFold(n, shuffle=True, random_state=SEED).split(np.zeros(len(y)), y))


def take(texts: list[str], idx: np.ndarray) -> list[str]:
    return [texts[i] for i in idx]


def cv_product(texts: list[str], y: np.ndarray, n_folds: int) -> dict:
    """Out-of-fold predictions of the full product training (vectorizer, C search, fit)."""
    proba, pred, cs, secs = None, np.empty(len(y), dtype=object), [], []
    for train, test in folds(y, n_folds):
        result = fit_model(take(texts, train), y[train])
        p = result.classifier.predict_proba(result.vectorizer.transform(take(texts, test)))
        if proba is None:
            proba, classes = np.zeros((len(y), p.shape[1])), result.classifier.classes_
        proba[test] = p
        pred[test] = classes[p.argmax(axis=1)]
        cs.append(result.C)
        secs.append(result.seconds)
    per_fold = [recall_score(y[te], pred[te], average="macro") for _, te in folds(y, n_folds)]
    return {
        "acc": accuracy_score(y, pred),
        "macro_recall": float(np.mean(per_fold)),
        "sd": float(np.std(per_fold)),
        "C": cs,
        "fit_s": float(np.mean(secs)),
        "proba": proba,
        "pred": pred,
    }


def reliability(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> tuple[str, float]:
    """Confidence bins of the top class vs observed accuracy, and the expected calibration
    error (ECE: bin-size-weighted mean |confidence - accuracy|)."""
    confidence = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y
    edges = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001]
    lines = ["| confidence | tweets | mean confidence | accuracy |", "|---|---|---|---|"]
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        mask = (confidence >= lo) & (confidence < hi)
        if mask.any():
            conf, acc = confidence[mask].mean(), correct[mask].mean()
            ece += mask.mean() * abs(conf - acc)
            lines.append(f"| {lo:.2f}-{min(hi, 1.0):.2f} | {mask.sum()} | {conf:.3f} | {acc:.3f} |")
    return "\n".join(lines), float(ece)


def language_mixing(data_dir: Path, n_folds: int, quick: bool) -> None:
    """Per-language macro recall of one French+English model vs one model per language."""
    fr_texts, fr_y = load(data_dir, "deft", quick)
    en_texts, en_y = load(data_dir, "semeval", quick)
    scores = {key: [] for key in ("fr alone", "fr mixed", "en alone", "en mixed")}
    pairs = zip(folds(fr_y, n_folds), folds(en_y, n_folds), strict=False)
    for (fr_tr, fr_te), (en_tr, en_te) in pairs:
        fr_train, en_train = take(fr_texts, fr_tr), take(en_texts, en_tr)
        models = {
            "alone": (fit_model(fr_train, fr_y[fr_tr]), fit_model(en_train, en_y[en_tr])),
        }
        mixed = fit_model(fr_train + en_train, np.concatenate([fr_y[fr_tr], en_y[en_tr]]))
        models["mixed"] = (mixed, mixed)
        for kind, (fr_model, en_model) in models.items():
            for lang, model, texts, y, te in (
                ("fr", fr_model, fr_texts, fr_y, fr_te),
                ("en", en_model, en_texts, en_y, en_te),
            ):
                pred = model.classifier.predict(model.vectorizer.transform(take(texts, te)))
                scores[f"{lang} {kind}"].append(recall_score(y[te], pred, average="macro"))
    print("\nLanguage mixing (macro recall; DEFT-2017 French, SemEval-2017 English)")
    print("| test language | trained alone | trained on French+English | delta |")
    print("|---|---|---|---|")
    for lang, name in (("fr", "French"), ("en", "English")):
        alone, mixed = np.mean(scores[f"{lang} alone"]), np.mean(scores[f"{lang} mixed"])
        print(f"| {name} | {alone:.4f} | {mixed:.4f} | {mixed - alone:+.4f} |")


LEVERS = {
    "lexicon prior": {"lexicon_scale": 0},
    "character n-grams": {"char_ngrams": None},
    "negation scope": {"negation": False},
    "ELONG/ALLCAPS flags": {"flags": False},
    "word bigrams": {"word_ngrams": (1, 1)},
    "sublinear tf": {"sublinear_tf": False},
}


def levers(texts: list[str], y: np.ndarray, n_folds: int) -> dict[str, float]:
    """Macro recall of the baseline, the recipe, and the recipe minus each lever (C fixed)."""

    def run(make_vec, make_clf) -> float:
        scores = []
        for train, test in folds(y, n_folds):
            vec = make_vec()
            clf = make_clf().fit(vec.fit_transform(take(texts, train)), y[train])
            pred = clf.predict(vec.transform(take(texts, test)))
            scores.append(recall_score(y[test], pred, average="macro"))
        return float(np.mean(scores))

    def recipe(**changes):
        def make():
            vec = build_vectorizer(len(texts))
            return vec.set_params(**changes)

        return make

    out = {
        "baseline: TfidfVectorizer() + LogisticRegression()": run(
            TfidfVectorizer, lambda: LogisticRegression(max_iter=1000)
        )
    }

    def classifier() -> LogisticRegression:
        return make_classifier(DEFAULT_C, len(np.unique(y)), len(y))

    out["recipe (C fixed)"] = run(recipe(), classifier)
    for name, change in LEVERS.items():
        out[f"recipe without {name}"] = run(recipe(**change), classifier)
    out["recipe without class_weight=balanced"] = run(
        recipe(), lambda: classifier().set_params(class_weight=None)
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--quick", action="store_true", help="3 folds, 20k-tweet subsamples")
    parser.add_argument("--levers", action="store_true", help="also measure each lever")
    parser.add_argument("--tasks", default="s140,semeval,deft")
    parser.add_argument("--no-mixing", action="store_true", help="skip the language check")
    args = parser.parse_args()
    if not (args.data_dir / "semeval2017_train.csv.gz").exists():
        print(f"No benchmark data in {args.data_dir}: nothing to measure (pass --data-dir).")
        return 0
    n_folds = 3 if args.quick else 5
    print(f"{n_folds}-fold stratified CV, seed {SEED}{', quick subsamples' if args.quick else ''}")
    rows = []
    for task in args.tasks.split(","):
        texts, y = load(args.data_dir, task, args.quick)
        t0 = time.monotonic()
        res = cv_product(texts, y, n_folds)
        classes = np.unique(y)
        table, ece = reliability(y, res["proba"], classes)
        rows.append((task, len(y), res, ece))
        print(f"\n{TITLES[task]}: {len(y)} tweets, {time.monotonic() - t0:.0f}s")
        print(
            f"accuracy {res['acc']:.4f}, macro recall {res['macro_recall']:.4f} "
            f"(sd {res['sd']:.4f}), chosen C per fold {res['C']}, fit {res['fit_s']:.0f}s"
        )
        print(f"Reliability of the top-class probability (ECE {ece:.4f}):\n{table}")
        if args.levers:
            print("| variant | macro recall | delta vs recipe |\n|---|---|---|")
            lever_scores = levers(texts, y, n_folds)
            ref = lever_scores["recipe (C fixed)"]
            for name, score in lever_scores.items():
                print(f"| {name} | {score:.4f} | {score - ref:+.4f} |", flush=True)
    print("\n| task | tweets | accuracy | macro recall | sd | ECE |\n|---|---|---|---|---|---|")
    for task, n, res, ece in rows:
        print(
            f"| {TITLES[task]} | {n} | {res['acc']:.4f} | {res['macro_recall']:.4f} "
            f"| {res['sd']:.4f} | {ece:.4f} |"
        )
    if not args.no_mixing:
        language_mixing(args.data_dir, n_folds, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
