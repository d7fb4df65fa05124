"""Training time, peak memory and prediction latency of the sentiment model.

    python bench/train_speed.py [--data-dir ../shared/data] [--rows N]

Trains with ``fit_model`` on the Sentiment140 100k file (or, with ``--rows`` above what the
files hold, on a synthetic set: all benchmark files concatenated and repeated with a
distinct token appended to each copy - only good for timing, not for accuracy), then
times the scoring of 1,000 tweets it was not trained on (median of 9 runs, each on a
different draw from the airline and French files): through the product's ``Predictor`` and
through ``classifier.predict_proba(vectorizer.transform(...))``. Peak RSS counts this
process and its worker processes.

``--latency`` instead trains the character n-gram recipes (on DEFT, 2k French tweets, and on
SemEval, 50k English tweets) and times the scoring of 1,000 unseen tweets with each, the
prediction budget being 100 ms.
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

from sentiment.ml.predictor import Predictor
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


def unseen_tweets(data_dir: Path) -> list[str]:
    """Tweets of files no measured model is trained on: English airline, translated French."""
    texts = read_csv(data_dir / "airline_tweets.csv.gz")[0]
    return texts + read_csv(data_dir / "french_s140_translated_20k.csv.gz")[0]


def time_scoring(result, pool: list[str]) -> str:
    """Median milliseconds to score 1,000 tweets: the product path with its cache of unseen
    words' n-grams empty (cold) and filled by the same tweets (warm), and plain sklearn."""
    predictor = Predictor(result.vectorizer, result.classifier)
    char = result.vectorizer.char_

    def forget() -> None:
        if char is not None:
            char.__dict__.pop("_unseen_cache", None)

    rng = np.random.default_rng(0)
    cold, warm, plain = [], [], []
    for _ in range(9):
        sample = [pool[i] for i in rng.choice(len(pool), 1000, replace=False)]
        for runs, action, fresh in (
            (plain, lambda s: result.classifier.predict_proba(result.vectorizer.transform(s)), 1),
            (cold, predictor.scores, 1),
            (warm, predictor.scores, 0),
        ):
            if fresh:
                forget()
            t0 = time.perf_counter()
            action(sample)
            runs.append(time.perf_counter() - t0)
    text = f"score 1,000 unseen tweets (median ms): Predictor {np.median(cold) * 1000:.1f}"
    if char is not None:
        text += f" (n-gram cache cold), {np.median(warm) * 1000:.1f} (warm)"
    return text + f"; predict_proba(transform()) {np.median(plain) * 1000:.1f}"


def latency(data_dir: Path) -> int:
    pool = unseen_tweets(data_dir)
    for name, files in (
        ("DEFT (French, train + val)", ("deft2017_fr_train", "deft2017_fr_val")),
        ("SemEval-2017 (English)", ("semeval2017_train",)),
    ):
        texts, labels = [], []
        for file in files:
            file_texts, file_labels = read_csv(data_dir / f"{file}.csv.gz")
            texts += file_texts
            labels += file_labels
        start = time.monotonic()
        result = fit_model(texts, labels)
        print(
            f"{name}: {len(texts)} tweets, fit_model {time.monotonic() - start:.1f}s, "
            f"{result.n_features} features, character n-grams: "
            f"{result.vectorizer.char_ngrams is not None}"
        )
        print("  " + time_scoring(result, pool))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--latency", action="store_true", help="character n-gram models' latency")
    args = parser.parse_args()
    if not (args.data_dir / "sentiment140_train_100k.csv.gz").exists():
        print(f"No benchmark data in {args.data_dir}: nothing to measure (pass --data-dir).")
        return 0
    if args.latency:
        return latency(args.data_dir)
    texts, labels = load(args.data_dir, args.rows)
    gc.collect()
    base_rss, _ = peak_rss_mb()
    print(f"{len(texts)} tweets loaded, RSS so far {base_rss:.0f} MB")
    start = time.monotonic()
    result = fit_model(texts, labels, progress=print)
    wall = time.monotonic() - start
    own, children = peak_rss_mb()
    print(
        f"fit_model: {wall:.1f}s wall, C={result.C:g}, 3-fold CV macro recall "
        f"{result.cv_score:.4f}, {result.n_features} features"
    )
    print(f"peak RSS: {own:.0f} MB this process, {children:.0f} MB largest worker")

    print(time_scoring(result, unseen_tweets(args.data_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
