"""Labelling in the annotation queue's order versus at random: accuracy after N labels.

A simulation on SemEval-2017 (../shared/data/semeval2017_train.csv.gz, human labels): a fixed
evaluation split (the product's, by text hash), a random seed set, then batches chosen by

- queue: the annotation queue's order, most uncertain first with near-duplicates apart
  (`sentiment.ml.sampling.most_uncertain`, the function the product's queue calls);
- uncertainty: most uncertain first, without the near-duplicate rule;
- random: uniformly at random;

retraining (`sentiment.ml.train.fit_model`) between batches, and scoring accuracy and macro
recall on the evaluation split after 500, 1,000, 2,000 and 5,000 labels. Every strategy starts
from the same seed set for a given seed. Results go to docs/active-learning.md, between its
results markers, and to the terminal.

    .venv/bin/python bench/active_learning.py [--seeds 2] [--data PATH]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sentiment.ml.data import evaluation_mask, text_hash  # noqa: E402
from sentiment.ml.evaluate import evaluate  # noqa: E402
from sentiment.ml.predictor import Predictor  # noqa: E402
from sentiment.ml.sampling import most_uncertain, uncertainty  # noqa: E402
from sentiment.ml.train import fit_model  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "semeval2017_train.csv.gz"
DOC = ROOT / "docs" / "active-learning.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
CHECKPOINTS = (500, 1000, 2000, 5000)
SEED_SIZE = 250
# Labels after each retrain: batches of 250 up to 1,000, then 500, then 1,000, so that a run
# of three strategies fits in minutes on two cores (each round rescores the whole pool).
SCHEDULE = (250, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000)
STRATEGIES = ("queue", "uncertainty", "random")
FIT_BUDGET_S = 10.0


def load(path: Path) -> tuple[list[str], list[str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def run(
    strategy: str,
    texts: list[str],
    labels: list[str],
    pool: np.ndarray,
    eval_idx: np.ndarray,
    seed: int,
    log: Callable[[str], None],
) -> dict[int, dict]:
    rng = np.random.default_rng(seed)
    labelled = list(rng.choice(pool, SEED_SIZE, replace=False))
    remaining = np.setdiff1d(pool, labelled)
    eval_texts = [texts[i] for i in eval_idx]
    eval_labels = [labels[i] for i in eval_idx]
    results: dict[int, dict] = {}
    for target in (*SCHEDULE[1:], None):
        n = len(labelled)
        needs_model = n in CHECKPOINTS or (strategy != "random" and target is not None)
        if needs_model:
            fit = fit_model(
                [texts[i] for i in labelled],
                [labels[i] for i in labelled],
                time_budget_s=FIT_BUDGET_S,
                n_jobs=2,
                random_state=seed,
            )
            predictor = Predictor(fit.vectorizer, fit.classifier)
        if n in CHECKPOINTS:
            m = evaluate(eval_labels, predictor.predict_proba(eval_texts), predictor.classes)
            results[n] = {"accuracy": m["accuracy"], "macro_recall": m["macro_recall"]}
            log(f"  seed {seed} {strategy:11} {n:>5} labels: accuracy {m['accuracy']:.4f}")
        if target is None:
            break
        k = target - n
        if strategy == "random":
            chosen = list(rng.choice(remaining, k, replace=False))
        else:
            pool_texts = [texts[i] for i in remaining]
            scores = uncertainty(predictor.predict_proba(pool_texts))
            chosen = most_uncertain(
                list(remaining), pool_texts, scores, k, diverse=strategy == "queue"
            )
        labelled += chosen
        remaining = np.setdiff1d(remaining, chosen)
    return results


def table(results: dict[str, list[dict[int, dict]]], seeds: int) -> str:
    def cell(strategy: str, n: int, metric: str) -> str:
        values = [r[n][metric] for r in results[strategy]]
        mean = float(np.mean(values))
        if len(values) == 1:
            return f"{mean:.3f}"
        return f"{mean:.3f} ± {float(np.std(values)):.3f}"

    lines = [
        "| labels | "
        + " | ".join(f"{s} accuracy" for s in STRATEGIES)
        + " | "
        + " | ".join(f"{s} macro recall" for s in STRATEGIES)
        + " |",
        "|---:|" + "---:|" * (2 * len(STRATEGIES)),
    ]
    for n in CHECKPOINTS:
        lines.append(
            f"| {n:,} | "
            + " | ".join(cell(s, n, "accuracy") for s in STRATEGIES)
            + " | "
            + " | ".join(cell(s, n, "macro_recall") for s in STRATEGIES)
            + " |"
        )
    lines.append("")
    lines.append(
        f"Mean ± standard deviation over {seeds} seed(s) (the seed set and the random draws "
        "change with the seed; the evaluation split does not)."
    )
    return "\n".join(lines)


def write_doc(body: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{DOC} has no {START} … {END} section to fill")
    DOC.write_text(pattern.sub(lambda _: f"{START}\n{body}\n{END}", text), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seeds", type=int, default=2, help="repetitions (default 2)")
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/ alone")
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"{args.data} is not here: the active-learning benchmark needs it; skipped.")
        return 0

    started = time.perf_counter()
    texts, labels = load(args.data)
    held = evaluation_mask([text_hash(t) for t in texts], labels, 0.2)
    eval_idx, pool = np.flatnonzero(held), np.flatnonzero(~held)
    print(
        f"{args.data.name}: {len(texts):,} tweets, evaluating on a fixed {len(eval_idx):,}, "
        f"choosing from {len(pool):,}"
    )
    results: dict[str, list[dict[int, dict]]] = {s: [] for s in STRATEGIES}
    for seed in range(args.seeds):
        for strategy in STRATEGIES:
            results[strategy].append(
                run(strategy, texts, labels, pool, eval_idx, seed, lambda line: print(line))
            )
    minutes = (time.perf_counter() - started) / 60
    body = "\n".join(
        [
            table(results, args.seeds),
            "",
            f"Measured by `bench/active_learning.py --seeds {args.seeds}` on "
            f"{args.data.name} ({len(texts):,} tweets; {len(eval_idx):,} held out by text "
            f"hash, {len(pool):,} to choose from), {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, in {minutes:.1f} minutes. Retrained after "
            + ", ".join(f"{n:,}" for n in SCHEDULE)
            + " labels.",
        ]
    )
    print()
    print(body)
    if not args.no_write:
        write_doc(body)
        print(f"\nWritten to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
