"""Serving throughput: socialmetrics against the old Flask app and the in-process limit.

    .venv/bin/python bench/serving.py [--data-dir ../shared/data] [--duration 20]

Trains a model once (on Sentiment140 from --data-dir when it is there, otherwise on the demo
set, and says which) in a workspace under var/bench/, then, on this machine:

1. scores the same batches in-process with the two pickles (the limit);
2. serves socialmetrics under gunicorn with its production configuration
   (socialmetrics/gunicorn.py: metrics, hooks), pinned to CPU 0, and loads it with wrk
   (pinned to CPU 1), every body different, under each load of LOADS: 1,000-tweet batches,
   single tweets with 4 and 16 connections to one worker, 8 connections to 2 workers, and
   single tweets while the active version changes every 3 s (hot reloads);
3. does the same for bench/flask_reference.py, the old project's app on the same files (no
   hot reload there: its figure is its steady state);
4. runs socialmetrics' single-tweet load again with a version in shadow, at 10% and 100% of
   requests.

Results (tweets/s, requests/s, p50/p99 latency, and the ratios) are printed and written to
docs/benchmarks.md between the serving markers.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from benchenv import ml_code_fingerprint, sandbox_env
from docsection import replace_section

# One thread per numerical library: each server gets one core, and so does the in-process limit.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "serving"
DOC = ROOT / "docs" / "benchmarks.md"
LUA = """
local bodies, i = {}, 0
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
end
function request()
  i = i % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[i])
end
"""


def sh_env() -> dict[str, str]:
    return sandbox_env(WORK, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def manage(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=sh_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def read_texts(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


def prepare_model(data_dir: Path) -> tuple[Path, list[str], str]:
    """(model folder, texts for request bodies, description of the training data)."""
    s140 = data_dir / "sentiment140_train_100k.csv.gz"
    source = s140 if s140.is_file() else ROOT / "sentiment" / "demo" / "demo_tweets.csv"
    described = (
        f"Sentiment140 100k ({s140.name})"
        if s140.is_file()
        else f"the demo set ({data_dir} not found, so not Sentiment140)"
    )
    # Retrain when the data or the ML code changed: an old pickle may not load with new code.
    fingerprint = f"{source}\n{ml_code_fingerprint()}"
    marker = WORK / "trained-on.txt"
    if not marker.is_file() or marker.read_text() != fingerprint:
        shutil.rmtree(WORK, ignore_errors=True)
        WORK.mkdir(parents=True)
        print(f"training the benchmark model on {described} …", flush=True)
        manage("migrate", "-v", "0")
        manage("import_tweets", str(source))
        manage("retrain")
        marker.write_text(fingerprint)
    manage("migrate", "-v", "0")  # a workspace made before a schema change
    code = (
        "from sentiment.models import ModelVersion; "
        "print(ModelVersion.objects.get(is_active=True).directory)"
    )
    folder = WORK / "models" / manage("shell", "-v", "0", "-c", code).strip()
    return folder, read_texts(source), described


def write_bodies(texts: list[str], per_body: int, count: int, path: Path) -> list[list[str]]:
    rng = random.Random(0)
    bodies = []
    with open(path, "w", encoding="utf-8") as fh:
        for b in range(count):
            # A counter makes every tweet of every body distinct: nothing can come from a cache.
            tweets = [f"{rng.choice(texts)} #{b}x{i}" for i in range(per_body)]
            bodies.append(tweets)
            fh.write(json.dumps({"tweets": tweets}, ensure_ascii=False) + "\n")
    return bodies


def setup_in_process(
    doc: str, default_requests: int, name: str
) -> tuple[argparse.Namespace, list[bytes], str]:
    """The start of the in-process measurements (profile_request.py, tail_latency.py): their
    command line, `--requests` single-tweet request bodies, and Django set up in this process
    on the benchmark's model. Returns the options, the bodies and what the model learnt from."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--requests", type=int, default=default_requests)
    parser.add_argument("--no-doc", action="store_true")
    options = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    folder, texts, described = prepare_model(options.data_dir)
    path = WORK / f"{name}-single.jsonl"
    write_bodies(texts, 1, options.requests, path)
    bodies = [line.encode() for line in path.read_text(encoding="utf-8").split("\n") if line]
    os.environ.update(
        sh_env(),
        MODEL_DIR=str(folder),
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="socialmetrics.settings",
    )
    import django

    django.setup()
    os.chdir(ROOT)
    return options, bodies, described


def in_process(folder: Path, batch_file: Path, single_file: Path) -> dict:
    """The limit: the same files scored in a process pinned to the servers' CPU."""
    command = [sys.executable, __file__, "--in-process", str(folder), str(batch_file)]
    result = subprocess.run(
        ["taskset", "-c", "0", *command, str(single_file)],
        cwd=ROOT,
        env=sh_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"in-process measurement failed:\n{result.stderr}")
    return json.loads(result.stdout)


def measure_in_process(folder: Path, batch_file: Path, single_file: Path) -> None:
    import joblib
    import numpy as np

    model = joblib.load(folder / "sentiment_model.pkl")
    vectorizer = joblib.load(folder / "tfidf_vectorizer.pkl")
    classes = list(model.classes_)
    pos, neg = classes.index("positive"), classes.index("negative")

    def score(body: str) -> bytes:
        tweets = json.loads(body)["tweets"]
        proba = model.predict_proba(vectorizer.transform(tweets))
        values = np.round(proba[:, pos] - proba[:, neg], 4).tolist()
        return json.dumps(dict(zip(tweets, values, strict=True))).encode()

    timings = {}
    for name, path, limit in (
        ("tweets_per_s", batch_file, 40),
        ("requests_per_s", single_file, 3000),
    ):
        # Not splitlines(): tweets may hold U+2028 and other characters it splits on.
        bodies = path.read_text(encoding="utf-8").split("\n")[:limit]
        for body in bodies[:3]:
            score(body)
        start = time.perf_counter()
        for body in bodies:
            score(body)
        per_body = 1000 if name == "tweets_per_s" else 1
        timings[name] = len(bodies) * per_body / (time.perf_counter() - start)
    print(json.dumps(timings))


def start_server(
    name: str, env: dict[str, str], args: list[str], port: int, workers: int = 1
) -> subprocess.Popen:
    log = open(WORK / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            "taskset",
            "-c",
            "0",
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/predict",
                data=b'{"tweets": ["warm up"]}',
                headers={"Content-Type": "application/json"},
            )
            urllib.request.urlopen(request, timeout=5).read()
            time.sleep(1.0 * workers)  # every worker booted and warm, not only the first
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit(f"{name} did not start: see {WORK / (name + '.log')}")


def wrk(url: str, bodies: Path, duration: int, connections: int) -> dict:
    script = WORK / "bodies.lua"
    script.write_text(LUA)
    result = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
            "--",
            str(bodies),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)),
        "p99_ms": _ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)),
        "failed": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "none",
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# What the machine was doing when the run started, for the report.
LOAD_AT_START = os.getloadavg()[0]


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians kept)")
    parser.add_argument("--no-doc", action="store_true", help="don't update docs/benchmarks.md")
    parser.add_argument("--in-process", nargs=3, type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.in_process:
        measure_in_process(*options.in_process)
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    folder, texts, described = prepare_model(options.data_dir)
    batch_file, single_file = WORK / "bodies-batch.jsonl", WORK / "bodies-single.jsonl"
    write_bodies(texts, 1000, 40, batch_file)
    write_bodies(texts, 1, 20000, single_file)

    env = {**sh_env(), "DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
    twin = add_twin_version()
    servers = {
        # The production configuration: metrics in multiprocess mode, the workers' hooks.
        "socialmetrics": (env, ["-c", "python:socialmetrics.gunicorn", "socialmetrics.wsgi"]),
        "flask": ({**env, "MODEL_DIR": str(folder)}, ["bench.flask_reference:app"]),
    }
    files = {"batch": batch_file, "single": single_file}
    runs: dict[str, list[dict]] = {name: [] for name in servers}
    limits: list[dict] = []
    for round_number in range(options.rounds):
        # Alternate the order so that drift on a shared machine hits both servers alike.
        order = list(servers) if round_number % 2 == 0 else list(reversed(servers))
        limits.append(in_process(folder, batch_file, single_file))
        for name in order:
            server_env, args = servers[name]
            measured: dict[str, dict] = {}
            for workers in (1, 2):
                process = start_server(name, server_env, args, port := free_port(), workers)
                try:
                    url = f"http://127.0.0.1:{port}/predict"
                    for load, (kind, connections, n_workers) in LOADS.items():
                        if n_workers != workers:
                            continue
                        if load == "hot reload" and name == "flask":
                            continue
                        with reloading(twin if load == "hot reload" else None):
                            measured[load] = wrk(url, files[kind], options.duration, connections)
                    if name == "socialmetrics" and workers == 1:
                        for rate in SHADOW_RATES:
                            with in_shadow(twin, rate, port):
                                measured[f"shadow {rate:.0%}"] = wrk(
                                    url, single_file, options.duration, 4
                                )
                finally:
                    process.terminate()
                    process.wait()
            runs[name].append(measured)
        print(f"round {round_number + 1}/{options.rounds} done", flush=True)

    results = {
        name: {
            load: {
                key: (
                    median([run[load][key] for run in measured])
                    if key != "socket_errors"
                    else ", ".join(sorted({run[load][key] for run in measured}))
                )
                for key in measured[0][load]
            }
            for load in measured[0]
        }
        for name, measured in runs.items()
    }
    for name, measured in runs.items():
        for load in results[name]:
            results[name][load]["failed"] = sum(run[load]["failed"] for run in measured)
    limit = {key: median([m[key] for m in limits]) for key in limits[0]}
    report = render(results, limit, described, options.duration, options.rounds)
    print(report)
    if not options.no_doc:
        update_doc(report)


# name: (bodies, wrk connections, gunicorn workers)
LOADS = {
    "1,000-tweet batches": ("batch", 2, 1),
    "single tweets, 4 connections": ("single", 4, 1),
    "single tweets, 16 connections": ("single", 16, 1),
    "hot reload": ("single", 4, 1),
    "single tweets, 2 workers, 8 connections": ("single", 8, 2),
}
SHADOW_RATES = (0.1, 1.0)
RELOAD_EVERY_S = 3.0


def database() -> sqlite3.Connection:
    return sqlite3.connect(WORK / "db.sqlite3", timeout=30, isolation_level=None)


def add_twin_version() -> int:
    """A second version row on the active version's files: a reload or a shadow of it costs
    what one of any model of this recipe and size would."""
    code = (
        "from sentiment.models import ModelVersion as M; a = M.objects.get(is_active=True); "
        "t = M.objects.filter(directory=a.directory, is_active=None).first() or "
        "M.objects.create(directory=a.directory, status='ready', sklearn_version="
        "a.sklearn_version, model_sha256=a.model_sha256, vectorizer_sha256=a.vectorizer_sha256,"
        " label_counts=a.label_counts, metrics=a.metrics); print(t.pk)"
    )
    return int(manage("shell", "-v", "0", "-c", code).strip())


class reloading:
    """Switch the active version between the serving one and `twin` every RELOAD_EVERY_S
    (a direct UPDATE, as `activate_model` makes it; each server process reloads)."""

    def __init__(self, twin: int | None) -> None:
        self.twin = twin
        self.stop = threading.Event()

    def __enter__(self) -> reloading:
        if self.twin is not None:
            self.thread = threading.Thread(target=self._flip, daemon=True)
            self.thread.start()
        return self

    def _flip(self) -> None:
        with database() as db:
            active = db.execute("SELECT id FROM sentiment_modelversion WHERE is_active").fetchone()
            ids = [active[0], self.twin]
            i = 0
            while not self.stop.wait(RELOAD_EVERY_S):
                i += 1
                _activate(db, ids[i % 2])
            _activate(db, ids[0])  # leave the first version active

    def __exit__(self, *exc: object) -> None:
        if self.twin is not None:
            self.stop.set()
            self.thread.join()
            time.sleep(3)  # let the server settle on the first version


def _activate(db: sqlite3.Connection, version: int) -> None:
    db.execute("BEGIN")
    db.execute("UPDATE sentiment_modelversion SET is_active = NULL")
    db.execute("UPDATE sentiment_modelversion SET is_active = 1 WHERE id = ?", (version,))
    db.execute("COMMIT")


class in_shadow:
    """`twin` in shadow for `rate` of the requests while the block runs."""

    def __init__(self, twin: int, rate: float, port: int) -> None:
        self.twin, self.rate, self.port = twin, rate, port

    def __enter__(self) -> None:
        code = (
            "from sentiment.services import shadow; "
            f"shadow.start({self.twin}, sample_rate={self.rate})"
        )
        manage("shell", "-v", "0", "-c", code)
        time.sleep(6)  # each worker looks for a shadow run every SHADOW_POLL_SECONDS (5)

    def __exit__(self, *exc: object) -> None:
        manage("shell", "-v", "0", "-c", "from sentiment.services import shadow; shadow.stop()")
        time.sleep(6)


def render(results: dict, limit: dict, described: str, duration: int, rounds: int) -> str:
    ours, flask = results["socialmetrics"], results["flask"]
    rows = []
    for load in [*LOADS, *(f"shadow {rate:.0%}" for rate in SHADOW_RATES)]:
        per = 1000 if load.startswith("1,000") else 1
        for name in ("socialmetrics", "flask"):
            r = results[name].get(load)
            if r is None:
                continue
            rows.append(
                f"| {load} | {name} | {r['requests_per_s'] * per:,.0f} | "
                f"{r['requests_per_s']:,.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
                f"{r['failed']} |"
            )
    batch = "1,000-tweet batches"
    single = "single tweets, 4 connections"
    ratios = [
        f"| batches: socialmetrics / Flask, tweets/s | "
        f"{ours[batch]['requests_per_s'] / flask[batch]['requests_per_s']:.2f}× | ≥ 1.0× |",
        f"| batches: socialmetrics / in-process limit | "
        f"{ours[batch]['requests_per_s'] * 1000 / limit['tweets_per_s']:.2f}× | ≥ 0.95× |",
    ]
    for load in LOADS:
        theirs = flask.get(load) or flask[single]
        ratios.append(
            f"| {load}: p99 socialmetrics / Flask | "
            f"{ours[load]['p99_ms'] / theirs['p99_ms']:.2f}× | ≤ 1.0× |"
        )
        ratios.append(
            f"| {load}: requests/s socialmetrics / Flask | "
            f"{ours[load]['requests_per_s'] / theirs['requests_per_s']:.2f}× | ≥ 1.0× |"
        )
    for rate in SHADOW_RATES:
        shadowed = ours[f"shadow {rate:.0%}"]
        ratios.append(
            f"| shadow {rate:.0%}: p50 / p99 / requests/s against no shadow | "
            f"{shadowed['p50_ms'] / ours[single]['p50_ms']:.2f}× / "
            f"{shadowed['p99_ms'] / ours[single]['p99_ms']:.2f}× / "
            f"{shadowed['requests_per_s'] / ours[single]['requests_per_s']:.2f}× | — |"
        )
    return "\n".join(
        [
            f"Model trained on {described}; gunicorn sync workers pinned to CPU 0 "
            "(socialmetrics with its production configuration, metrics included); wrk pinned to "
            f"CPU 1, {duration} s per run, every request body different; medians of {rounds} "
            f"interleaved rounds (failures summed); load average {LOAD_AT_START:.1f} when the run "
            "started. Compare the ratios, not the absolute figures. The hot reload switches "
            f"the active version every {RELOAD_EVERY_S:.0f} s (Flask cannot: its row is its "
            "steady state, and the ratios compare with it).",
            "",
            "| load | server | tweets/s | requests/s | p50 ms | p99 ms | failed |",
            "|---|---|---|---|---|---|---|",
            *rows,
            f"| 1,000-tweet batches | in-process limit | {limit['tweets_per_s']:,.0f} | "
            f"{limit['tweets_per_s'] / 1000:,.1f} | | | |",
            f"| single tweets | in-process limit | {limit['requests_per_s']:,.0f} | "
            f"{limit['requests_per_s']:,.1f} | | | |",
            "",
            "| ratio | measured | goal |",
            "|---|---|---|",
            *ratios,
        ]
    )


def update_doc(report: str, section: str = "serving", script: str = "serving.py") -> None:
    """Write `report`, dated, into its section of docs/benchmarks.md."""
    stamp = time.strftime("%Y-%m-%d")
    body = f"Measured {stamp} by `bench/{script}`.\n\n{report}"
    replace_section(DOC, section, body, title="Benchmarks")


if __name__ == "__main__":
    main()
