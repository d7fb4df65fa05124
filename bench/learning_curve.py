"""Learning curve: held-out macro recall, training time and peak memory against training size.

    .venv/bin/python bench/learning_curve.py [--sizes 10000 30000 100000 300000 1000000]
        [--sets synthetic sentiment140 semeval] [--data-dir ../shared/data]

Every point trains the product's recipe (`sentiment.ml.train.fit_model` as `retrain` calls
it, with two jobs) in a process of its own, so that its peak memory (max RSS, from wait4:
the largest of the process and its feature workers) is its own. The sets:

- `synthetic`: bench/scale.py's generator (the labelled sets of ../shared/data combined,
  de-duplicated and shuffled, repeated with a " #v3" tag until the size is reached). The
  held-out tweets are the 20% of the distinct texts that the product's evaluation split
  (a hash of the text) keeps out, and their variants are never trained on, so the held-out
  score is not inflated by near-duplicates. Past the ~148k distinct training texts, more
  tweets are repeats with a tag: the time and memory still measure the size, accuracy
  cannot grow from them.
- `sentiment140` (100k, two labels) and `semeval` (49.5k, three labels): the real sets, held
  out the same way, trained on the sizes they allow (and on all of their training side).

The table is printed and written to docs/scaling.md between the `learning-curve` markers,
with the growth of time and memory extrapolated to a 24 GiB host. Exits 0 with a message
when the data folder is absent.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docsection import replace_section  # noqa: E402
from scale import SOURCES, distinct_rows, variants  # noqa: E402

DOC = ROOT / "docs" / "scaling.md"
WORK = ROOT / "var" / "bench" / "learning_curve"
SIZES = (10_000, 30_000, 100_000, 300_000, 1_000_000)
REAL = {
    "sentiment140": "sentiment140_train_100k.csv.gz",
    "semeval": "semeval2017_train.csv.gz",
}
HOST_MIB = 24 * 1024
EVAL_FRACTION = 0.2  # the product's default SENTIMENT_EVAL_FRACTION


def split(rows: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(training side, held-out side) by the product's evaluation split."""
    from sentiment.ml.data import evaluation_mask, text_hash

    held = evaluation_mask([text_hash(t) for t, _ in rows], [y for _, y in rows], EVAL_FRACTION)
    train = [row for row, h in zip(rows, held, strict=True) if not h]
    test = [row for row, h in zip(rows, held, strict=True) if h]
    return train, test


def load_set(name: str, data_dir: Path) -> list[tuple[str, str]]:
    if name == "synthetic":
        return distinct_rows(data_dir)
    with gzip.open(data_dir / REAL[name], "rt", encoding="utf-8", newline="") as fh:
        rows = [(row["text"], row["label"]) for row in csv.DictReader(fh) if row["text"].strip()]
    # Sentiment140's file is two contiguous blocks (negative, then positive): shuffle so that
    # every size has both labels.
    import random

    random.Random(0).shuffle(rows)
    return rows


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_point(name: str, size: int, data_dir: Path) -> dict:
    """Train on `size` tweets of set `name` and score the held-out side (in this process)."""
    from sentiment.ml.evaluate import evaluate
    from sentiment.ml.predictor import Predictor
    from sentiment.ml.train import fit_model

    train, test = split(load_set(name, data_dir))
    chosen = list(variants(train, size)) if name == "synthetic" else train[:size]
    texts = [t for t, _ in chosen]
    labels = [y for _, y in chosen]
    del chosen, train
    before = rss_mib()
    fit = fit_model(texts, labels, n_jobs=2)
    predictor = Predictor(fit.vectorizer, fit.classifier)
    metrics = evaluate(
        [y for _, y in test], predictor.predict_proba([t for t, _ in test]), predictor.classes
    )
    return {
        "set": name,
        "size": len(texts),
        "held_out": len(test),
        "macro_recall": metrics["macro_recall"],
        "fit_s": round(fit.seconds, 1),
        "rss_before_fit_mib": round(before),
        "features": fit.n_features,
        "C": fit.C,
    }


def run_point(name: str, size: int, data_dir: Path) -> dict:
    """`one_point` in a child process: its wall time and its own peak memory."""
    args = [sys.executable, __file__, "--point", name, str(size), "--data-dir", str(data_dir)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    out = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"{name} at {size} failed")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mib"] = round(usage.ru_maxrss / 1024)
    print(
        f"{name:>12} {result['size']:>9,}: macro recall {result['macro_recall']:.4f}, "
        f"fit {result['fit_s']:.1f} s, peak {result['peak_mib']} MiB",
        flush=True,
    )
    return result


def extrapolation(points: list[dict]) -> str:
    """Where the synthetic set's time and memory, grown linearly from its two largest points,
    would reach 24 GiB."""
    synthetic = sorted((p for p in points if p["set"] == "synthetic"), key=lambda p: p["size"])
    if len(synthetic) < 2:
        return ""
    a, b = synthetic[-2], synthetic[-1]
    mib_per_tweet = (b["peak_mib"] - a["peak_mib"]) / (b["size"] - a["size"])
    s_per_tweet = (b["fit_s"] - a["fit_s"]) / (b["size"] - a["size"])
    if mib_per_tweet <= 0:
        return ""
    at_host = b["size"] + (HOST_MIB - b["peak_mib"]) / mib_per_tweet
    seconds = b["fit_s"] + s_per_tweet * (at_host - b["size"])
    return (
        f"Between {a['size']:,} and {b['size']:,} synthetic tweets the peak grows by "
        f"{mib_per_tweet * 1e6:,.0f} MiB and the fit by {s_per_tweet * 1e6:,.0f} s per million "
        f"tweets; growing linearly, the peak would reach {HOST_MIB:,} MiB (24 GiB) at about "
        f"{at_host / 1e6:.1f} million training tweets, with a fit of about "
        f"{seconds / 60:.0f} minutes."
    )


def table(points: list[dict]) -> str:
    lines = [
        "| set | training tweets | held-out tweets | macro recall | fit (s) | peak (MiB) "
        "| RSS before fit (MiB) | features | C |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        lines.append(
            f"| {p['set']} | {p['size']:,} | {p['held_out']:,} | {p['macro_recall']:.4f} "
            f"| {p['fit_s']:.1f} | {p['peak_mib']:,} | {p['rss_before_fit_mib']:,} "
            f"| {p['features']:,} | {p['C']:g} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--sets", nargs="+", choices=["synthetic", *REAL], default=["synthetic", *REAL]
    )
    parser.add_argument("--point", nargs=2, metavar=("SET", "SIZE"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.point:
        print(json.dumps(one_point(options.point[0], int(options.point[1]), options.data_dir)))
        return
    if not all((options.data_dir / name).is_file() for name in SOURCES):
        print(f"{options.data_dir} is absent or incomplete: the learning curve needs it. Skipped.")
        return

    # Points of earlier runs are kept unless measured again, so that a long curve can be
    # completed set by set.
    previous = WORK / "results.json"
    points = json.loads(previous.read_text()) if previous.is_file() else []
    for name in options.sets:
        sizes = sorted(options.sizes)
        if name != "synthetic":
            available = len(split(load_set(name, options.data_dir))[0])
            # The sizes the set allows, and all of its training side.
            sizes = [s for s in sizes if s < available] + [available]
        for size in sizes:
            point = run_point(name, size, options.data_dir)
            points = [p for p in points if (p["set"], p["size"]) != (name, point["size"])]
            points.append(point)
            points.sort(key=lambda p: (p["set"] != "synthetic", p["set"], p["size"]))
            write(points)  # after every point: a long run stopped midway keeps what it measured


def write(points: list[dict]) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "results.json").write_text(json.dumps(points, indent=2))
    body = "\n\n".join(
        part
        for part in (
            f"Last run {datetime.now(UTC):%Y-%m-%d} with `make bench-learning-curve`; "
            "fit = `fit_model` (as `retrain` calls it) with two jobs; "
            "peak = the largest resident set of the point's process or its feature workers "
            "(wait4), data included; macro recall on the held-out side of the product's "
            "evaluation split.",
            table(points),
            extrapolation(points),
        )
        if part
    )
    print(body)
    replace_section(DOC, "learning-curve", body, title="Scaling")


if __name__ == "__main__":
    main()
