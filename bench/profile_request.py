"""Where a single-tweet request's time goes: socialmetrics against the Flask reference.

    .venv/bin/python bench/profile_request.py [--data-dir ../shared/data] [--requests 3000]

Uses the model and the request bodies of bench/serving.py (training them first if needed),
calls each WSGI application directly in this process - no server, no socket - for the same
single-tweet bodies, and reports the mean time per request, what the scoring itself costs,
and so the framework's share; then cProfile's heaviest functions of the socialmetrics
request outside the model. Results go to docs/benchmarks.md between the profile markers.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import serving


def environ_for(body: bytes, path: str) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def call(app, body: bytes, path: str) -> None:
    statuses = []
    chunks = app(environ_for(body, path), lambda status, headers, exc=None: statuses.append(status))
    b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    if not statuses[0].startswith("200"):
        sys.exit(f"{path} answered {statuses[0]}")


def per_request_us(action, bodies: list[bytes]) -> float:
    for body in bodies[:50]:
        action(body)
    start = time.perf_counter()
    for body in bodies:
        action(body)
    return (time.perf_counter() - start) / len(bodies) * 1e6


def main() -> None:
    options, bodies, described = serving.setup_in_process(__doc__, 3000, "profile")

    from bench.flask_reference import app as flask_app
    from sentiment.services.registry import registry
    from socialmetrics.wsgi import application as django_app

    predictor = registry.get().predictor

    def score_only(body: bytes) -> None:
        predictor.scores(json.loads(body)["tweets"])

    def sklearn_only(body: bytes) -> None:
        tweets = json.loads(body)["tweets"]
        predictor.classifier.predict_proba(predictor.vectorizer.transform(tweets))

    results = {
        "socialmetrics (Django + DRF)": per_request_us(
            lambda b: call(django_app, b, "/api/predict"), bodies
        ),
        "Flask reference": per_request_us(lambda b: call(flask_app, b, "/predict"), bodies),
        "scoring alone, socialmetrics' Predictor": per_request_us(score_only, bodies),
        "scoring alone, sklearn predict_proba as the Flask app does": per_request_us(
            sklearn_only, bodies
        ),
    }
    ours = (
        results["socialmetrics (Django + DRF)"] - results["scoring alone, socialmetrics' Predictor"]
    )
    theirs = (
        results["Flask reference"]
        - results["scoring alone, sklearn predict_proba as the Flask app does"]
    )

    profiler = cProfile.Profile()
    profiler.enable()
    for body in bodies:
        call(django_app, body, "/api/predict")
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(15)
    top = "\n".join(
        line
        for line in out.getvalue().splitlines()
        if line.strip() and not line.lstrip().startswith(("Ordered", "List reduced"))
    )

    lines = [
        f"Model trained on {described}; {len(bodies):,} single-tweet bodies, each WSGI "
        "application called directly in one process (no server, no socket); mean per request.",
        "",
        "| what | µs per request |",
        "|---|---|",
        *(f"| {name} | {value:,.0f} |" for name, value in results.items()),
        f"| framework share, socialmetrics (request minus its scoring) | {ours:,.0f} |",
        f"| framework share, Flask (request minus its scoring) | {theirs:,.0f} |",
        "",
        "cProfile of the socialmetrics requests, heaviest functions by own time:",
        "",
        "```",
        top,
        "```",
    ]
    report = "\n".join(lines)
    print(report)
    if not options.no_doc:
        serving.update_doc(report, "profile", "profile_request.py")


if __name__ == "__main__":
    main()
