"""Load test: predict under steady load while a retrain activates a new model.

    .venv/bin/python bench/load_test.py            # 65 s on MariaDB, results into docs/

It prepares a database (by default a fresh MariaDB one, `sm_loadtest`) with the demo tweets
and a trained model, starts gunicorn with 2 workers, and drives POST /api/predict from a
separate process for the whole run. At --retrain-at seconds it starts two `manage.py retrain`
at once, as a cron job and an admin might: one must train and activate a new version, the
lock must refuse the other. The load goes on until at least --duration seconds, and at least
--after seconds past the end of the retrains.

It reports the requests, the failures (any answer but 200, or no answer: there must be none),
p50 and p99 latency before, during and after the retrain, and how long the workers took to
answer with the new version once it was activated. Exit status 1 if anything went wrong.

The load generator is Python (http.client, one thread per connection, a new connection per
request as gunicorn's sync workers close them), not wrk: it records every request's start
time, latency, status and X-Model-Version, which the phases and the switch time need.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The tests' launchers: one way to start the server and the commands.
from tests.servers import gunicorn, run_command, start_command  # noqa: E402

DEFAULT_DATABASE = "mysql://root:@127.0.0.1:3306/sm_loadtest"
REPORT_START = "<!-- load-test:start -->"
REPORT_END = "<!-- load-test:end -->"

WORDS = [
    *("love", "hate", "great", "awful", "match", "train", "late", "happy", "sad", "merci"),
    *("génial", "nul", "super", "bof", "😍", "😡", "🎉", "#lundi", "#foot", "@sncf"),
    *("http://t.co/x", "lol", "meh", "trop", "bien", "pas", "terrible", "quel", "enfer"),
]
# What a request carries, with its share of the load: mostly single tweets, some batches.
MIX = [("1 tweet", 1, False, 60), ("10 tweets", 10, False, 25), ("100 tweets", 100, False, 9),
       ("5 tweets, detail", 5, True, 5), ("1,000 tweets", 1000, False, 1)]  # fmt: skip


@dataclass
class Sample:
    start: float  # seconds since the load began
    ms: float
    status: int  # 0: no answer
    version: str
    kind: str


def tweet(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25)))


def generate(port: int, connections: int, stop: multiprocessing.Event, out: str) -> None:
    """The load generator process: `connections` threads posting until `stop` is set."""
    began = time.perf_counter()
    kinds = [m[0] for m in MIX]
    weights = [m[3] for m in MIX]
    shapes = {m[0]: m[1:3] for m in MIX}

    def worker(seed: int, samples: list) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            kind = rng.choices(kinds, weights)[0]
            count, detail = shapes[kind]
            body = {"tweets": [tweet(rng) for _ in range(count)]}
            if detail:
                body["detail"] = True
            data = json.dumps(body).encode()
            started = time.perf_counter()
            status, version = 0, ""
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("POST", "/api/predict", data, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                status, version = response.status, response.getheader("X-Model-Version", "")
                conn.close()
            except OSError:
                pass
            ended = time.perf_counter()
            samples.append((started - began, (ended - started) * 1000, status, version, kind))

    results: list[list] = [[] for _ in range(connections)]
    threads = [
        threading.Thread(target=worker, args=(seed, results[seed])) for seed in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    Path(out).write_text(json.dumps([s for r in results for s in r]))


def fresh_mariadb(url: str) -> None:
    import MySQLdb

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    db = MySQLdb.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
        passwd=parts.password or "",
    )  # fmt: skip
    cursor = db.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    db.close()


def redis_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def summarize(samples: list[Sample], start: float, end: float) -> dict:
    inside = [s for s in samples if start <= s.start < end]
    ok = [s.ms for s in inside if s.status == 200]
    single = [s.ms for s in inside if s.status == 200 and s.kind == "1 tweet"]
    seconds = max(end - start, 1e-9)
    return {
        "seconds": round(seconds, 1),
        "requests": len(inside),
        "failures": sum(1 for s in inside if s.status != 200),
        "per_second": round(len(inside) / seconds, 1),
        "p50_ms": round(percentile(ok, 50), 1),
        "p99_ms": round(percentile(ok, 99), 1),
        "single_p50_ms": round(percentile(single, 50), 1),
        "single_p99_ms": round(percentile(single, 99), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=65.0, help="seconds of load, at least")
    parser.add_argument("--retrain-at", type=float, default=20.0, help="seconds into the load")
    parser.add_argument("--after", type=float, default=20.0, help="seconds of load after it")
    parser.add_argument("--connections", type=int, default=4, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--database-url",
        help=f"use this database as it is (default: a fresh {DEFAULT_DATABASE})",
    )
    parser.add_argument("--model-dir", help="model folder (default: a temporary one)")
    parser.add_argument("--report", default="docs/reliability.md", help="'none' to skip")
    parser.add_argument("--json", help="write the results here as JSON too")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sm-load-"))
    database = args.database_url or DEFAULT_DATABASE
    if not args.database_url:
        fresh_mariadb(database)
    env = {
        **os.environ,
        "SOCIALMETRICS_ENV_FILE": "",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database,
        "SENTIMENT_MODEL_DIR": args.model_dir or str(work / "models"),
        "SENTIMENT_LOG_DIR": str(work / "log"),
        "PYTHONUNBUFFERED": "1",
    }
    # Rate limits counted as in production (one Redis round trip per request), set so high
    # that they never refuse this single client.
    if "API_THROTTLE_ANON" not in os.environ:
        if redis_running():
            env.update(REDIS_URL="redis://127.0.0.1:6379/0", API_THROTTLE_ANON="1000000/minute")
        else:
            env["API_THROTTLE_ANON"] = "off"
    for step in (("migrate", "--noinput"), ("setup_demo",)):
        done = run_command(env, *step, timeout=None)
        if done.returncode != 0:
            raise SystemExit(f"manage.py {' '.join(step)} failed:\n{done.stderr}")

    with gunicorn(env, work / "gunicorn.log", workers=args.workers) as server:
        stop = multiprocessing.get_context("spawn").Event()
        results_file = work / "samples.json"
        load = multiprocessing.get_context("spawn").Process(
            target=generate, args=(server.port, args.connections, stop, str(results_file))
        )
        load_average = os.getloadavg()[0]
        began = time.perf_counter()
        load.start()
        try:
            time.sleep(args.retrain_at)
            retrain_start = time.perf_counter() - began
            # Two at once, as a cron job and an admin might: one must run, the lock refuses
            # the other.
            retrains = [start_command(env, "retrain") for _ in range(2)]
            outputs = [retrain.communicate(timeout=600) for retrain in retrains]
            retrain_end = time.perf_counter() - began
            end_at = max(args.duration, retrain_end + args.after)
            time.sleep(max(0.0, end_at - (time.perf_counter() - began)))
        finally:
            stop.set()
            load.join(timeout=120)
            load_end = time.perf_counter() - began
            activated = run_command(
                env, "shell", "-c",
                "from sentiment.models import Activation as A; a = A.objects.first(); "
                "print(a.version_id, a.activated_at.timestamp())",
            )  # fmt: skip
    wall_offset = time.time() - time.perf_counter()  # to place the activation on our clock

    samples = [Sample(*s) for s in json.loads(results_file.read_text())]
    new_version, activated_wall = activated.stdout.split()[-2:]
    activated_at = float(activated_wall) - wall_offset - began
    old_after = [s.start + s.ms / 1000 for s in samples if s.version != new_version
                 and s.status == 200 and s.start > activated_at]  # fmt: skip
    new_seen = [s.start + s.ms / 1000 for s in samples if s.version == new_version]
    results = {
        "duration_s": round(load_end, 1),
        "connections": args.connections,
        "workers": args.workers,
        "database": urlsplit(database).scheme,
        "rate_limit": env.get("API_THROTTLE_ANON"),
        "machine_load": [round(load_average, 1), round(os.getloadavg()[0], 1)],
        "requests": len(samples),
        "failures": sum(1 for s in samples if s.status != 200),
        "phases": {
            "before": summarize(samples, 0, retrain_start),
            "during": summarize(samples, retrain_start, retrain_end),
            "after": summarize(samples, retrain_end, load_end),
        },
        "retrain_s": round(retrain_end - retrain_start, 1),
        "retrain_exits": [retrain.returncode for retrain in retrains],
        "retrain_message": next(
            (out.strip().splitlines()[-1] for out, _ in outputs if "is now active" in out), ""
        ),
        "refusal": next((err.strip() for _, err in outputs if "another retrain" in err), ""),
        "new_version": int(new_version),
        "first_new_answer_s": round(min(new_seen) - activated_at, 2) if new_seen else None,
        "last_old_answer_s": round(max(old_after) - activated_at, 2) if old_after else 0.0,
    }
    ok = (
        results["failures"] == 0
        and sorted(results["retrain_exits"]) == [0, 1]
        and results["refusal"].startswith("CommandError: retrain failed: another retrain is")
        and new_seen
    )
    results["passed"] = bool(ok)
    report = markdown(results)
    print(report)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    if args.report != "none":
        write_report(ROOT / args.report, report)
    if not ok:
        print(f"FAILED; retrains: {outputs}\nlogs in {work}", file=sys.stderr)
    return 0 if ok else 1


def markdown(r: dict) -> str:
    rows = "\n".join(
        f"| {name} | {p['seconds']} | {p['requests']:,} | {p['failures']} | {p['per_second']} "
        f"| {p['p50_ms']} | {p['p99_ms']} | {p['single_p50_ms']} | {p['single_p99_ms']} |"
        for name, p in r["phases"].items()
    )
    return f"""Run of `bench/load_test.py`: gunicorn, {r["workers"]} workers, on {r["database"]}; \
{r["connections"]} concurrent clients for {r["duration_s"]} s; rate limit \
{r["rate_limit"]}. Request mix: {", ".join(f"{m[0]} {m[3]} %" for m in MIX)}. The \
machine's load average (2 cores) was {r["machine_load"][0]} before and {r["machine_load"][1]} \
after the run.

| phase | s | requests | failed | req/s | p50 ms | p99 ms | 1-tweet p50 ms | 1-tweet p99 ms |
|---|---|---|---|---|---|---|---|---|
{rows}

- Requests: {r["requests"]:,}; failed: **{r["failures"]}**.
- Two retrains started together at {r["phases"]["before"]["seconds"]} s: exits \
{r["retrain_exits"]} in {r["retrain_s"]} s. The one that ran: "{r["retrain_message"]}" \
The other: `{r["refusal"]}`.
- Version {r["new_version"]} activated; first answer from it {r["first_new_answer_s"]} s later, \
last answer from the old version {r["last_old_answer_s"]} s after the activation."""


def write_report(path: Path, report: str) -> None:
    text = path.read_text()
    start, end = text.index(REPORT_START) + len(REPORT_START), text.index(REPORT_END)
    path.write_text(text[:start] + "\n" + report + "\n" + text[end:])


if __name__ == "__main__":
    sys.exit(main())
