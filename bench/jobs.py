"""Jobs: `score_tweets` on a million tweets on 2 processes against 1, and the retrain button.

1. Generates N synthetic tweets (the labelled sets of ../shared/data varied with a tag, as
   bench/scale.py does; without them, tweets built from a small vocabulary) into a CSV.
2. Trains the demo model in a scratch SQLite database, then scores the file with
   `score_tweets --processes 1` (the in-process scoring of one core) and `--processes 2`, one
   after the other in the same run, measuring tweets/s and the peak memory of the whole
   process tree (sampled from /proc every 0.2 s).
3. Starts a worker on the filesystem broker (as `make run` does), submits the retrain job the
   admin's button submits, and times it until the new version is active (what a server's
   reload then serves within SENTIMENT_RELOAD_SECONDS): on the demo set, then again with
   Sentiment140 100k imported (when ../shared/data has it).

    nice -n 5 python bench/jobs.py [--tweets 1000000]

Results go to docs/jobs.md. The machine is shared: compare the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchenv import sandbox_env  # noqa: E402
from bench.docsection import replace_section  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
WORK = Path(os.environ.get("BENCH_WORK", "/tmp/socialmetrics-bench-jobs"))
DOC = ROOT / "docs" / "jobs.md"
SOURCES = ["sentiment140_train_100k.csv.gz", "deft2017_fr_train.csv.gz", "airline_tweets.csv.gz"]
WORDS = [
    "great",
    "awful",
    "love",
    "hate",
    "service",
    "day",
    "flight",
    "merci",
    "nul",
    "super",
    "bof",
    "ok",
    "never",
    "again",
    "😍",
    "😡",
]


def base_texts() -> tuple[list[str], str]:
    texts: list[str] = []
    for name in SOURCES:
        path = DATA / name
        if path.is_file():
            with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
                texts += [row["text"] for row in csv.DictReader(fh) if row["text"].strip()]
    if texts:
        return texts, f"{len(texts):,} tweets of ../shared/data, varied with a tag"
    rnd = random.Random(0)
    made = [" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 20))) for _ in range(50_000)]
    return made, "../shared/data is absent: tweets built from a small vocabulary"


def generate(count: int) -> tuple[Path, str]:
    path = WORK / f"tweets-{count}.csv"
    texts, origin = base_texts()
    if not path.is_file():
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["text"])
            for n in range(count):
                writer.writerow([f"{texts[n % len(texts)]} #b{n // len(texts)}"])
    return path, origin


def environment(work: Path = WORK) -> dict[str, str]:
    return sandbox_env(work, JOBS_DIR=str(work / "jobs"), DJANGO_LOG_FORMAT="plain")


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(x for x in status.splitlines() if x.startswith("VmRSS:")).split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, StopIteration):
            continue
        todo += [int(c) for c in children]
    return total / 1024


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, tree_rss_mib(process.pid))
        time.sleep(0.2)
    if process.returncode:
        sys.exit(f"{' '.join(args)} failed")
    return time.perf_counter() - start, peak


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


ADMIN = (
    "from django.contrib.auth.models import User; "
    "User.objects.create_superuser('admin', 'admin@example.com', 'bench-only')"
)


def retrain_job_seconds(env: dict[str, str]) -> float:
    """Submit the admin's retrain job to a worker and time it until the new version is active."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "socialmetrics", "worker", "-l", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    code = (
        "import time\n"
        "from django.contrib.auth.models import User\n"
        "from sentiment.models import Job, ModelVersion\n"
        "from sentiment.services import jobs\n"
        "user = User.objects.get(username='admin')\n"
        "before = ModelVersion.objects.active().pk\n"
        "start = time.perf_counter()\n"
        "job = jobs.submit_retrain(user, force=True)\n"
        "while Job.objects.get(pk=job.pk).state not in ('succeeded', 'failed'):\n"
        "    time.sleep(0.1)\n"
        "assert ModelVersion.objects.active().pk != before, Job.objects.get(pk=job.pk).message\n"
        "print(time.perf_counter() - start)\n"
    )
    try:
        time.sleep(5)  # the worker starts while nothing is measured
        out = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        worker.terminate()
        worker.wait()
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=1_000_000)
    options = parser.parse_args()
    shutil.rmtree(WORK / "models", ignore_errors=True)
    (WORK / "db.sqlite3").unlink(missing_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    env = environment()
    source, origin = generate(options.tweets)
    print(f"{options.tweets:,} tweets in {source} ({origin})", flush=True)
    manage(env, "migrate", "-v", "0")
    manage(env, "setup_demo")

    results = {}
    for processes in (1, 2):
        seconds, peak = run_measured(
            [
                sys.executable,
                "manage.py",
                "score_tweets",
                str(source),
                str(WORK / "out.csv"),
                "--processes",
                str(processes),
            ],
            env,
        )
        results[processes] = (seconds, peak)
        print(
            f"{processes} process(es): {seconds:.1f} s, {options.tweets / seconds:,.0f} "
            f"tweets/s, peak {peak:.0f} MiB",
            flush=True,
        )
    click = retrain_job_seconds(env)
    print(f"retrain job on the demo set, submit to active: {click:.1f} s", flush=True)
    s140 = DATA / "sentiment140_train_100k.csv.gz"
    if s140.is_file():
        # A workspace of its own: Sentiment140 alone, a first version trained by the command,
        # then the button's job timed as on the demo.
        env_100k = environment(WORK / "s140")
        shutil.rmtree(WORK / "s140", ignore_errors=True)
        (WORK / "s140").mkdir(parents=True)
        manage(env_100k, "migrate", "-v", "0")
        manage(env_100k, "import_tweets", str(s140))
        manage(env_100k, "retrain")
        manage(env_100k, "shell", "-c", ADMIN)
        click_100k = retrain_job_seconds(env_100k)
        print(f"retrain job on Sentiment140 100k, submit to active: {click_100k:.1f} s", flush=True)
        on_100k = f"On Sentiment140 100k: **{click_100k:.1f} s**."
    else:
        on_100k = f"Not measured on 100k tweets: {s140} is absent."

    one, two = results[1], results[2]
    rows = "\n".join(
        f"| {p} | {s:.1f} | {options.tweets / s:,.0f} | {peak:.0f} |"
        for p, (s, peak) in sorted(results.items())
    )
    body = (
        f"`make bench-jobs` ({options.tweets:,} tweets; {origin}; {os.cpu_count()} cores, both "
        "runs one after the other in the same run).\n\n"
        "| scoring processes | seconds | tweets/s | peak memory of the process tree (MiB) |\n"
        "|---|---|---|---|\n"
        f"{rows}\n\n"
        f"Two processes score **{one[0] / two[0]:.2f}×** as fast as one. "
        f"Retrain job on the demo set, from submission to the new version active: "
        f"**{click:.1f} s** (servers switch to it within SENTIMENT_RELOAD_SECONDS, 2 s). "
        f"{on_100k}\n"
    )
    replace_section(DOC, "bench-jobs", body, title="Jobs")
    print(f"written to {DOC}")


if __name__ == "__main__":
    main()
