"""Training time, peak memory and prediction latency of the sentiment model.

    python bench/train_speed.py [--data-dir ../shared/data] [--rows N] [--budget S]

Trains with ``fit_model`` on the Sentiment140 100k file (or, with ``--rows`` above what the
files hold, on a synthetic set: all benchmark files concatenated and repeated with a
distinct token appended to each copy - only good for timing, not for accuracy), then
times ``vectorizer.transform`` + ``classifier.predict_proba`` on 1,000 tweets (median
of 9 runs). Peak RSS counts this process and its worker processes.
"""

from __future__ import annotations

import argparse
import csv
import gc
import gzip
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sentiment.ml.train import fit_model

ALL_FILES = (
    "sentiment140_train_100k",
    "semeval2017_train",
    "airline_tweets",
    "french_s140_translated_20k",
    "deft2017_fr_train",
    "deft2017_fr_val",
)


def peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def read_csv(path: Path) -> tuple[list[str], list[str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def load(data_dir: Path, rows: int) -> tuple[list[str], list[str]]:
    if rows <= 100_000:
        texts, labels = read_csv(data_dir / "sentiment140_train_100k.csv.gz")
        order = np.random.RandomState(0).permutation(len(texts))[:rows]
        return [texts[i] for i in order], [labels[i] for i in order]
    all_texts, all_labels = [], []
    for name in ALL_FILES:
        file_texts, file_labels = read_csv(data_dir / f"{name}.csv.gz")
        all_texts.extend(file_texts)
        all_labels.extend(file_labels)
    texts, labels = [], []
    copy = 0
    while len(texts) < rows:
        suffix = f" x{copy}" if copy else ""
        texts.extend(t + suffix for t in all_texts)
        labels.extend(all_labels)
        copy += 1
    order = np.random.default_rng(0).permutation(len(texts))[:rows]
    return [texts[i] for i in order], [labels[i] for i in order]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--budget", type=float, default=120.0, help="fit_model time_budget_s")
    args = parser.parse_args()
    if not (args.data_dir / "sentiment140_train_100k.csv.gz").exists():
        print(f"No benchmark data in {args.data_dir}: nothing to measure (pass --data-dir).")
        return 0
    texts, labels = load(args.data_dir, args.rows)
    gc.collect()
    base_rss, _ = peak_rss_mb()
    print(f"{len(texts)} tweets loaded, RSS so far {base_rss:.0f} MB")
    start = time.monotonic()
    result = fit_model(texts, labels, time_budget_s=args.budget, progress=print)
    wall = time.monotonic() - start
    own, children = peak_rss_mb()
    print(
        f"fit_model: {wall:.1f}s wall, C={result.C:g}, internal CV macro recall "
        f"{result.cv_score:.4f}, {result.n_features} features"
    )
    print(f"peak RSS: {own:.0f} MB this process, {children:.0f} MB largest worker")

    sample = texts[:1000]
    runs = []
    for _ in range(9):
        t0 = time.perf_counter()
        result.classifier.predict_proba(result.vectorizer.transform(sample))
        runs.append(time.perf_counter() - t0)
    print(
        f"predict 1,000 tweets: median {np.median(runs) * 1000:.1f} ms "
        f"(min {min(runs) * 1000:.1f}, max {max(runs) * 1000:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
