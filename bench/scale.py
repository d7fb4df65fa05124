"""Scale on MySQL/MariaDB: import, retrain, admin pages and rescoring at a million tweets.

    .venv/bin/python bench/scale.py [--labelled 1000000] [--unlabelled 200000]
        [--database-url mysql://root:@127.0.0.1:3306/socialmetrics_scale] [--steps ...]

Generates the tweets from ../shared/data (every text distinct: the labelled sets are combined,
de-duplicated, shuffled with a fixed seed so that every size has the same mix of sources and
labels, and repeated with a variation tag such as " #v3" until the count is reached), then, on
a fresh database:

- `import`: `manage.py import_tweets` of the labelled file, then of the unlabelled one;
- `retrain`: `manage.py retrain` — wall time and peak memory;
- `admin`: the admin's tweet list, its `?labeled=no` filter and the annotation view, median of
  5 requests each, through a logged-in test client;
- `refresh`: rescoring every unlabelled tweet with the active model.

Each step runs in its own process (`manage.py`, or bench/scale_steps.py for the admin pages and
the rescoring) and reports wall time and peak memory (max RSS). Results go to docs/scaling.md
between the markers for this size. Exits 0 with a message when the data folder is absent.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from docsection import replace_section
from load_test import fresh_mariadb

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "scale"
DOC = ROOT / "docs" / "scaling.md"
SOURCES = [
    "sentiment140_train_100k.csv.gz",
    "semeval2017_train.csv.gz",
    "deft2017_fr_train.csv.gz",
    "deft2017_fr_val.csv.gz",
    "french_s140_translated_20k.csv.gz",
    "airline_tweets.csv.gz",
]
STEPS = ("import", "retrain", "admin", "refresh")


def distinct_rows(data_dir: Path) -> list[tuple[str, str]]:
    seen: set[str] = set()
    rows = []
    for name in SOURCES:
        with gzip.open(data_dir / name, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                text = row["text"].strip()
                if text and text not in seen and len(text) < 9_000:
                    seen.add(text)
                    rows.append((text, row["label"]))
    # The files come one source after the other: without a shuffle, 100k tweets would be
    # Sentiment140 alone (two labels, almost no neutral) and unlike the larger sizes.
    random.Random(0).shuffle(rows)
    return rows


def variants(rows: list[tuple[str, str]], count: int, tag: str = "v") -> Iterator[tuple[str, str]]:
    """`count` distinct (text, label) pairs: `rows` in order, then again with " #<tag>1",
    " #<tag>2"… appended (with tag "v" the first round is the texts as they are)."""
    for n in range(count):
        rnd, (text, label) = divmod(n, len(rows))[0], rows[n % len(rows)]
        yield (text if rnd == 0 and tag == "v" else f"{text} #{tag}{rnd}"), label


def generate(data_dir: Path, labelled: int, unlabelled: int) -> tuple[Path, Path]:
    labelled_file = WORK / f"labelled-{labelled}-shuffled.csv"
    unlabelled_file = WORK / f"unlabelled-{unlabelled}-shuffled.csv"
    if labelled_file.is_file() and unlabelled_file.is_file():
        return labelled_file, unlabelled_file
    WORK.mkdir(parents=True, exist_ok=True)
    rows = distinct_rows(data_dir)
    print(f"{len(rows):,} distinct labelled tweets in {data_dir}", flush=True)

    def write(path: Path, count: int, tag: str, with_label: bool) -> None:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["text", "label"])
            for text, label in variants(rows, count, tag):
                writer.writerow([text, label if with_label else ""])

    write(labelled_file, labelled, "v", True)
    write(unlabelled_file, unlabelled, "u", False)
    return labelled_file, unlabelled_file


def env_for(database_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "SOCIALMETRICS_ENV_FILE": "",
        "DJANGO_SECRET_KEY": "bench-only",
        "DATABASE_URL": database_url,
        "SENTIMENT_MODEL_DIR": str(WORK / "models"),
        "SENTIMENT_LOG_DIR": str(WORK / "log"),
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
        "PYTHONPATH": str(ROOT),
    }


def timed(env: dict[str, str], args: list[str], label: str) -> dict:
    """Run a command in its own process; wall seconds and the peak RSS of that process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        # wait4 reaps this child with its own usage (and its reaped workers'), not the
        # largest of every earlier child as RUSAGE_CHILDREN would.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode:
        sys.exit(f"{label} failed:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    peak = usage.ru_maxrss / 1024  # kilobytes on Linux
    print(f"{label}: {seconds:.1f} s, peak {peak:.0f} MiB", flush=True)
    return {"seconds": round(seconds, 1), "peak_mib": round(peak), "output": stdout}


def manage(env: dict[str, str], *args: str, label: str) -> dict:
    return timed(env, [sys.executable, "manage.py", *args], label)


def reset_database(env: dict[str, str], database_url: str) -> None:
    fresh_mariadb(database_url)
    manage(env, "migrate", "-v", "0", label="migrate")


def step(env: dict[str, str], name: str, label: str) -> tuple[dict, dict]:
    """One of bench/scale_steps.py's steps in its own process: its timing and its result."""
    run = timed(env, [sys.executable, str(Path(__file__).with_name("scale_steps.py")), name], label)
    line = next(line for line in run["output"].splitlines() if line.startswith("RESULT "))
    return run, json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--labelled", type=int, default=1_000_000)
    parser.add_argument("--unlabelled", type=int, default=200_000)
    parser.add_argument(
        "--database-url", default="mysql://root:@127.0.0.1:3306/socialmetrics_scale"
    )
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    options = parser.parse_args()
    if not all((options.data_dir / name).is_file() for name in SOURCES):
        print(f"{options.data_dir} is absent or incomplete: the scale benchmark needs it. Skipped.")
        return

    labelled_file, unlabelled_file = generate(
        options.data_dir, options.labelled, options.unlabelled
    )
    env = env_for(options.database_url)
    previous = WORK / f"results-{options.labelled}.json"
    results: dict[str, object] = json.loads(previous.read_text()) if previous.is_file() else {}
    results.update(labelled=options.labelled, unlabelled=options.unlabelled)
    if "import" in options.steps:
        reset_database(env, options.database_url)
        results["import_labelled"] = manage(
            env, "import_tweets", str(labelled_file), label="import labelled"
        )
        results["import_unlabelled"] = manage(
            env, "import_tweets", str(unlabelled_file), label="import unlabelled"
        )
    if "retrain" in options.steps:
        results["retrain"] = manage(env, "retrain", label="retrain")
    if "admin" in options.steps:
        results["admin"] = step(env, "admin", "admin pages")[1]
    if "refresh" in options.steps:
        results["refresh"] = step(env, "refresh", "rescoring unlabelled tweets")[0]
    for value in results.values():
        if isinstance(value, dict):
            value.pop("output", None)
    (WORK / f"results-{options.labelled}.json").write_text(json.dumps(results, indent=2))
    update_doc(options.labelled, results)


def update_doc(size: int, results: dict) -> None:
    """The growth table from every size measured so far, and this size's query plans."""
    measured = sorted(
        (json.loads(path.read_text()) for path in WORK.glob("results-*.json")),
        key=lambda r: r["labelled"],
    )

    def cell(result: dict, *keys: str) -> str:
        for key in keys:
            result = result.get(key) if isinstance(result, dict) else None
        return "–" if result is None else str(result)

    rows = [
        "| labelled + unlabelled | import labelled (s) | import unlabelled (s) | import peak (MiB) "
        "| retrain (s) | retrain peak (MiB) | tweet list (s) | ?labeled=no (s) "
        "| annotation view (s) | rescoring (s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in measured:
        rows.append(
            f"| {r['labelled']:,} + {r['unlabelled']:,} "
            f"| {cell(r, 'import_labelled', 'seconds')} "
            f"| {cell(r, 'import_unlabelled', 'seconds')} "
            f"| {cell(r, 'import_labelled', 'peak_mib')} "
            f"| {cell(r, 'retrain', 'seconds')} | {cell(r, 'retrain', 'peak_mib')} "
            f"| {cell(r, 'admin', 'tweet list', 'median_s')} "
            f"| {cell(r, 'admin', '?labeled=no', 'median_s')} "
            f"| {cell(r, 'admin', 'annotation view', 'median_s')} "
            f"| {cell(r, 'refresh', 'seconds')} |"
        )
    body = (
        f"Last run {time.strftime('%Y-%m-%d')}; admin pages are the median of 5 requests; "
        "peak memory is the largest resident set among the command's processes (its own or a "
        "worker's, from wait4).\n\n" + "\n".join(rows)
    )
    replace_section(DOC, "growth", body, title="Scaling")
    plans = results.get("admin", {})
    if plans:
        lines = [
            f"Query plans of the admin pages at {size:,} labelled tweets (EXPLAIN; `rows` is "
            "the optimizer's estimate of matching rows, which a LIMIT stops reading early):",
            "",
        ]
        for page, info in plans.items():
            for plan in info.get("plans", []):
                lines.append(
                    f"- {page}: key `{plan['key']}`, ~{plan['rows']} rows examined, "
                    f"{plan['extra'] or 'no extra step'} — `{plan['sql'][:110]}…`"
                )
        replace_section(DOC, f"plans-{size}", "\n".join(lines), title="Scaling")


if __name__ == "__main__":
    main()
