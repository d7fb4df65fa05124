"""Bulk scoring throughput: in-process on one core, Spark local[1] and local[2], in one run.

    .venv/bin/python bench/spark_scoring.py [--tweets 1000000] [--rounds 1]

(`make bench-spark` runs it niced.) The tweets are bench/scale.py's generator (the labelled
sets of ../shared/data, de-duplicated, repeated with a " #u3" tag until the count is reached);
the model is the product's recipe (`fit_model`) trained once on 60,000 generated tweets and
saved with its checksums under var/bench/spark/. Then, on the same Parquet files (16 of
them, so that both cores get work):

- in-process: one Python process scores 10,000-tweet batches with `score_batch` — the very
  function each Spark task applies to its Arrow batches — on one core;
- `score_tweets`' engine with 1 and 2 processes: the same texts in its 2,000-tweet batches
  through `ScoringPool` (sentiment/ml/scorepool.py), each batch scored and formatted as its
  CSV rows (written to /dev/null), the processes loading the model included; without the
  command's CSV reading and validation pass, which Spark's Parquet reader replaces here;
- Spark `local[1]` and `local[2]`: `score_dataframe` over `spark.read.parquet`, written to
  Spark's `noop` sink (the scoring, not the disk), each in a fresh session; the time counts
  the job, model loading on each Python worker included, not the JVM's start.

The table is printed and written to docs/scaling.md between the `spark-scoring` markers.
Exits 0 with a message when the data folder or pyspark is absent.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchenv import ml_code_fingerprint  # noqa: E402
from docsection import replace_section  # noqa: E402
from scale import SOURCES, distinct_rows, variants  # noqa: E402

DOC = ROOT / "docs" / "scaling.md"
WORK = ROOT / "var" / "bench" / "spark"
TRAIN_SIZE = 60_000  # the smallest size with the large-set recipe (words and lexicon)
FILES = 16
BATCH = 10_000  # spark.sql.execution.arrow.maxRecordsPerBatch's default


def model_ref(rows: list[tuple[str, str]]):
    """The benchmark's model version: trained once, then reused from var/bench/spark."""
    from sentiment.ml.artifacts import save_artifacts
    from sentiment.ml.train import fit_model
    from sentiment.spark.score import ModelRef

    manifest, marker = WORK / "model.json", WORK / "model-code.txt"
    # Reused only if pickled by the same ML code (a change to the pickling may not load).
    if manifest.is_file() and marker.is_file() and marker.read_text() == ml_code_fingerprint():
        return ModelRef.from_manifest(json.loads(manifest.read_text()))
    chosen = list(variants(rows, TRAIN_SIZE))
    print(f"training the benchmark's model on {TRAIN_SIZE:,} tweets", flush=True)
    fit = fit_model([t for t, _ in chosen], [y for _, y in chosen])
    directory = WORK / f"model-{int(time.time())}"
    checksums = save_artifacts(directory, fit.vectorizer, fit.classifier, {})
    model = ModelRef(1, str(directory), checksums.model_sha256, checksums.vectorizer_sha256)
    manifest.write_text(json.dumps(model.manifest()))
    marker.write_text(ml_code_fingerprint())
    return model


def write_input(rows: list[tuple[str, str]], count: int) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = WORK / f"tweets-{count}"
    if folder.is_dir():
        return folder
    texts = [text for text, _ in variants(rows, count, "u")]
    partial = folder.with_name(folder.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    step = -(-count // FILES)
    for i in range(FILES):
        table = pa.table({"text": texts[i * step : (i + 1) * step]})
        pq.write_table(table, partial / f"part-{i:02d}.parquet")
    partial.rename(folder)
    return folder


def in_process(folder: Path, model) -> dict:
    import pyarrow.parquet as pq

    from sentiment.spark.score import executor_predictor, score_batch

    frame = pq.read_table(folder).to_pandas()
    start = time.perf_counter()
    predictor = executor_predictor(model)
    loaded = time.perf_counter() - start
    for i in range(0, len(frame), BATCH):
        score_batch(frame.iloc[i : i + BATCH], predictor, model.version, "text")
    seconds = time.perf_counter() - start
    return {"how": "in-process", "cores": 1, "seconds": seconds, "load_s": loaded, "n": len(frame)}


def with_pool(folder: Path, model, processes: int) -> dict:
    import functools

    import pyarrow.parquet as pq

    from sentiment.ml.scorepool import ScoringPool
    from sentiment.tweetfiles import format_scored

    texts = pq.read_table(folder).column("text").to_pylist()
    batch = 2000  # services/filescoring.BATCH
    render = functools.partial(format_scored, "csv", model.version)
    start = time.perf_counter()
    with (
        ScoringPool(Path(model.path), model.checksums(), processes) as pool,
        open(os.devnull, "w", encoding="utf-8") as out,
    ):
        batches = (texts[i : i + batch] for i in range(0, len(texts), batch))
        for _, text in pool.score(batches, render):
            out.write(text)
    seconds = time.perf_counter() - start
    return {
        "how": f"score_tweets' pool, {processes} process{'es' if processes > 1 else ''}",
        "cores": processes,
        "seconds": seconds,
        "n": len(texts),
    }


def on_spark(folder: Path, model, cores: int, count: int) -> dict:
    from sentiment.spark.score import local_session, score_dataframe

    spark = local_session(f"local[{cores}]", f"bench-local-{cores}")
    # One partition per file: Spark would otherwise pack small files into one split per core,
    # and a straggling task would leave a core idle at the end.
    split = max(sum(f.stat().st_size for f in folder.glob("*.parquet")) // FILES, 1 << 16)
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(split))
    spark.conf.set("spark.sql.files.openCostInBytes", str(split))
    try:
        df = spark.read.parquet(str(folder))
        partitions = df.rdd.getNumPartitions()
        start = time.perf_counter()
        score_dataframe(df, model).write.format("noop").mode("overwrite").save()
        seconds = time.perf_counter() - start
    finally:
        spark.stop()
    return {
        "how": f"Spark local[{cores}]",
        "cores": cores,
        "seconds": seconds,
        "partitions": partitions,
        "n": count,
    }


def report(runs: list[dict], count: int, rounds: int) -> str:
    best: dict[str, dict] = {}
    for run in runs:
        if run["how"] not in best or run["seconds"] < best[run["how"]]["seconds"]:
            best[run["how"]] = run
    base = best["in-process"]
    base_rate = count / base["seconds"]
    lines = [
        "| how | cores | seconds | tweets/s | tweets/s per core | per core vs in-process |",
        "|---|---|---|---|---|---|",
    ]
    for run in best.values():
        rate = count / run["seconds"]
        per_core = rate / run["cores"]
        lines.append(
            f"| {run['how']} | {run['cores']} | {run['seconds']:.1f} | {rate:,.0f} "
            f"| {per_core:,.0f} | {per_core / base_rate:.2f}× |"
        )
    one, two = best.get("Spark local[1]"), best.get("Spark local[2]")
    pool_one, pool_two = (
        best.get("score_tweets' pool, 1 process"),
        best.get("score_tweets' pool, 2 processes"),
    )
    summary = ""
    if pool_one and pool_two:
        summary += (
            f"score_tweets' pool: 2 processes are {pool_one['seconds'] / pool_two['seconds']:.2f}× "
            "1 process. "
        )
    if one and two:
        summary += (
            f"local[2] is {one['seconds'] / two['seconds']:.2f}× local[1] (goal ≥ 1.7×); "
            f"Spark's per-core rate is {count / one['seconds'] / base_rate:.2f}× (local[1]) "
            f"and {count / two['seconds'] / 2 / base_rate:.2f}× (local[2]) the in-process "
            "rate (goal ≥ 0.8×)."
        )
    head = (
        f"Last run {datetime.now(UTC):%Y-%m-%d}: {count:,} tweets, `make bench-spark` "
        f"({os.cpu_count()} cores; best of {rounds} round{'s' if rounds > 1 else ''}; "
        f"{best['Spark local[2]']['partitions'] if two else '?'} input partitions; "
        f"in-process model load {base['load_s']:.1f} s, counted in its time as in Spark's)."
    )
    return "\n\n".join(part for part in (head, "\n".join(lines), summary) if part)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--tweets", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=1, help="keep each method's best")
    options = parser.parse_args()
    if not all((options.data_dir / name).is_file() for name in SOURCES):
        print(f"{options.data_dir} is absent or incomplete: the benchmark needs it. Skipped.")
        return
    if importlib.util.find_spec("pyspark") is None:
        print("pyspark is not installed: `make spark` first. Skipped.")
        return
    WORK.mkdir(parents=True, exist_ok=True)
    rows = distinct_rows(options.data_dir)
    model = model_ref(rows)
    folder = write_input(rows, options.tweets)
    runs = []
    for _ in range(options.rounds):
        for step in ("in-process", "pool-1", "pool-2", 1, 2):
            if step == "in-process":
                run = in_process(folder, model)
            elif isinstance(step, str):
                run = with_pool(folder, model, int(step[-1]))
            else:
                run = on_spark(folder, model, step, options.tweets)
            print(f"{run['how']}: {run['seconds']:.1f} s", flush=True)
            runs.append(run)
    (WORK / f"results-{options.tweets}.json").write_text(json.dumps(runs, indent=2))
    body = report(runs, options.tweets, options.rounds)
    print(body)
    replace_section(DOC, "spark-scoring", body, title="Scaling")


if __name__ == "__main__":
    main()
