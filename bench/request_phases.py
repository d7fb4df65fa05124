"""Where a single-tweet request's time goes inside a gunicorn worker: socialmetrics against Flask.

    .venv/bin/python bench/request_phases.py [--data-dir ../shared/data] [--rounds 3] [--no-doc]

Serves each application as bench/serving.py does (one sync worker pinned to CPU 0, wrk pinned
to CPU 1, single tweets, 4 connections, every body different; socialmetrics with its
production configuration), but through bench/phase_timing.py, which times each phase of every
request in the worker itself: the WSGI application, closing its response, the access log, the
post_request hook and closing the connection. In-process profiles (bench/profile_request.py)
leave out everything gunicorn does around the application; this does not. Rounds alternate
the servers; medians are kept. Results go to docs/benchmarks.md between the phases markers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

import serving
from phase_timing import PHASES


def run(name: str, env: dict[str, str], args: list[str], bodies: Path, duration: int) -> dict:
    out = serving.WORK / f"phases-{name}"
    for old in serving.WORK.glob(f"phases-{name}.*"):
        old.unlink()
    env = {**env, "PHASES_OUT": str(out)}
    process = serving.start_server(name, env, args, port := serving.free_port(), 1)
    try:
        load = serving.wrk(f"http://127.0.0.1:{port}/predict", bodies, duration, 4)
    finally:
        process.terminate()
        process.wait()
    [worker] = [json.loads(p.read_text()) for p in serving.WORK.glob(f"phases-{name}.*")]
    requests = worker["requests"]
    return {
        "requests_per_s": load["requests_per_s"],
        "p99_ms": load["p99_ms"],
        **{phase: worker["seconds"][phase] / requests * 1e6 for phase in PHASES},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=serving.ROOT.parent / "shared" / "data")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-doc", action="store_true")
    options = parser.parse_args()

    folder, texts, described = serving.prepare_model(options.data_dir)
    bodies = serving.WORK / "bodies-single.jsonl"
    serving.write_bodies(texts, 1, 20000, bodies)
    env = {
        **serving.sh_env(),
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONPATH": str(serving.ROOT),
    }
    config = ["-c", "python:bench.phase_timing"]
    servers = {
        "socialmetrics": (
            {**env, "PHASES_BASE": "socialmetrics.gunicorn"},
            [*config, "socialmetrics.wsgi"],
        ),
        "flask": ({**env, "MODEL_DIR": str(folder)}, [*config, "bench.flask_reference:app"]),
    }
    runs: dict[str, list[dict]] = {name: [] for name in servers}
    for round_number in range(options.rounds):
        order = list(servers) if round_number % 2 == 0 else list(reversed(servers))
        for name in order:
            server_env, args = servers[name]
            runs[name].append(run(name, server_env, args, bodies, options.duration))
        print(f"round {round_number + 1}/{options.rounds} done", flush=True)
    results = {
        name: {key: statistics.median(r[key] for r in measured) for key in measured[0]}
        for name, measured in runs.items()
    }

    ours, theirs = results["socialmetrics"], results["flask"]
    rows = [
        (phase, ours[phase], theirs[phase])
        for phase in PHASES
        if phase != "post_request" or ours[phase] or theirs[phase]
    ]
    lines = [
        f"Model trained on {described}; one sync worker per server pinned to CPU 0, wrk pinned to "
        f"CPU 1, single tweets, 4 connections, {options.duration} s per run, medians of "
        f"{options.rounds} interleaved rounds; timers inside the worker (bench/phase_timing.py). "
        f"Load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| µs per request | socialmetrics | Flask reference | difference |",
        "|---|---|---|---|",
        *(f"| {phase} | {a:,.0f} | {b:,.0f} | {a - b:+,.0f} |" for phase, a, b in rows),
        f"| requests/s (wrk) | {ours['requests_per_s']:,.0f} | {theirs['requests_per_s']:,.0f} "
        f"| {ours['requests_per_s'] / theirs['requests_per_s']:.2f}x |",
        f"| p99 ms (wrk) | {ours['p99_ms']:.2f} | {theirs['p99_ms']:.2f} "
        f"| {ours['p99_ms'] / theirs['p99_ms']:.2f}x |",
        "",
        "`request` is gunicorn's whole handling of one request (reading it, the application, "
        "writing the answer, the access log, the hook); `application`, `response close`, "
        "`access log` and `post_request` are parts of it; `connection close` follows it.",
    ]
    report = "\n".join(lines)
    print(report)
    if not options.no_doc:
        serving.update_doc(report, "phases", "request_phases.py")


if __name__ == "__main__":
    main()
