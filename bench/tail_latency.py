"""Where the single-tweet tail comes from: garbage-collection pauses, measured in one process.

    .venv/bin/python bench/tail_latency.py [--data-dir ../shared/data] [--requests 5000]

Uses the model and bodies of bench/serving.py, calls the socialmetrics and Flask WSGI
applications directly (no server, no socket) for the same single-tweet bodies, interleaved
in blocks, and records each request's time and every garbage collection (`gc.callbacks`):
how many full (generation 2) collections ran and how long they took. Then the same for
socialmetrics after `gc.freeze()`, which moves everything alive (the loaded model above all)
out of the collector's reach, as the gunicorn hooks do in each worker. Results go to
docs/benchmarks.md between the tail markers.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import serving
from profile_request import call


class GcWatch:
    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._started)


def run(app, path: str, bodies: list[bytes], watch: GcWatch) -> list[float]:
    times = []
    gc.callbacks.append(watch)
    try:
        for body in bodies:
            start = time.perf_counter()
            call(app, body, path)
            times.append(time.perf_counter() - start)
    finally:
        gc.callbacks.remove(watch)
    return times


def main() -> None:
    options, bodies, described = serving.setup_in_process(__doc__, 5000, "tail")

    from bench.flask_reference import app as flask_app
    from sentiment.services.registry import registry
    from socialmetrics.wsgi import application as django_app

    registry.get()
    for body in bodies[:100]:  # warm both up
        call(django_app, body, "/api/predict")
        call(flask_app, body, "/predict")

    watches = {name: GcWatch() for name in ("socialmetrics", "flask", "socialmetrics, frozen")}
    times: dict[str, list[float]] = {name: [] for name in watches}
    block = 500
    # Interleaved blocks, so that the shared machine's noise falls on both alike.
    for start in range(0, len(bodies), block):
        chunk = bodies[start : start + block]
        times["socialmetrics"] += run(django_app, "/api/predict", chunk, watches["socialmetrics"])
        times["flask"] += run(flask_app, "/predict", chunk, watches["flask"])
    gc.collect()
    gc.freeze()
    for start in range(0, len(bodies), block):
        chunk = bodies[start : start + block]
        times["socialmetrics, frozen"] += run(
            django_app, "/api/predict", chunk, watches["socialmetrics, frozen"]
        )
    tracked = len(gc.get_objects())
    frozen = gc.get_freeze_count()

    rows = []
    for name, values in times.items():
        ms = np.asarray(values) * 1000
        full = watches[name].pauses[2]
        rows.append(
            f"| {name} | {np.percentile(ms, 50):.2f} | {np.percentile(ms, 99):.2f} | "
            f"{ms.max():.1f} | {len(full)} | "
            f"{(1000 * max(full)) if full else 0:.1f} | "
            f"{sum(len(p) for p in watches[name].pauses.values())} |"
        )
    report = "\n".join(
        [
            f"Model trained on {described}; {len(bodies):,} single-tweet bodies per "
            "application, WSGI called directly in one process, in interleaved blocks of "
            f"{block}; load average {os.getloadavg()[0]:.1f} at the end. After `gc.freeze()`, "
            f"{frozen:,} objects were out of the collector's reach and {tracked:,} still "
            "tracked.",
            "",
            "| application | p50 ms | p99 ms | max ms | full collections | longest full "
            "collection ms | collections of any generation |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    print(report)
    if not options.no_doc:
        serving.update_doc(report, "tail", "tail_latency.py")


if __name__ == "__main__":
    main()
