"""The cost of gunicorn's access log per request: socialmetrics' JSON lines against plain ones.

    .venv/bin/python bench/access_log_cost.py [--rounds 3] [--no-doc]

socialmetrics' production configuration (socialmetrics/gunicorn.py, DJANGO_LOG_FORMAT=json)
writes every access record as a JSON line (`JsonAccessLogger`, socialmetrics/logformat.py);
the Flask reference in bench/serving.py writes gunicorn's plain line to /dev/null. Each
configuration is timed in a process of its own (both configure the same `gunicorn.access`
logger), calling its logger's `access` for a single-tweet request with the headers
socialmetrics answers, output to /dev/null; processes alternate, and each reports the median
of 9 blocks of 5,000 calls. Results go to docs/benchmarks.md between the access-log markers.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CALLS = 5000


class _Response:
    status = "200 OK"
    status_code = 200
    sent = 19
    headers = [
        ("Content-Type", "application/json"),
        ("X-Model-Version", "1"),
        ("Allow", "POST, OPTIONS"),
        ("Content-Length", "19"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]


class _Request:
    headers = [
        ("HOST", "127.0.0.1:8000"),
        ("CONTENT-TYPE", "application/json"),
        ("CONTENT-LENGTH", "30"),
        ("USER-AGENT", "wrk"),
    ]
    method = "POST"
    path = "/predict"
    query = ""
    uri = "/predict"
    version = (1, 1)


def measure(kind: str) -> float:
    """µs per `Logger.access` call with the `kind` ("json" or "plain") configuration."""
    os.environ.update(
        {
            "SOCIALMETRICS_ENV_FILE": "",
            "DJANGO_SECRET_KEY": "bench-only",
            "DJANGO_SETTINGS_MODULE": "socialmetrics.settings",
            "DJANGO_LOG_FORMAT": kind,
        }
    )
    from gunicorn.config import Config

    import socialmetrics.gunicorn as production

    config = Config()
    if kind == "json":
        config.set("logconfig_dict", production.logconfig_dict)
        config.set("logger_class", production.logger_class)
    else:
        config.set("accesslog", os.devnull)
    logger = config.logger_class(config)
    if kind == "json":
        for handler in logging.getLogger("gunicorn.access").handlers:
            handler.stream = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    environ = {
        "REMOTE_ADDR": "127.0.0.1",
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/predict",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/predict",
        "QUERY_STRING": "",
    }
    took = timedelta(microseconds=1500)

    def block() -> float:
        start = time.perf_counter()
        for _ in range(CALLS):
            logger.access(_Response(), _Request(), environ, took)
        return (time.perf_counter() - start) / CALLS * 1e6

    return statistics.median(block() for _ in range(9))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--kind", choices=["json", "plain"], help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.kind:
        print(measure(options.kind))
        return
    results: dict[str, list[float]] = {"json": [], "plain": []}
    for _ in range(options.rounds):
        for kind in results:
            out = subprocess.run(
                [sys.executable, __file__, "--kind", kind],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            ).stdout
            results[kind].append(float(out.strip().splitlines()[-1]))
    json_us, plain_us = (statistics.median(results[k]) for k in ("json", "plain"))
    report = "\n".join(
        [
            f"`Logger.access` for one single-tweet request, median of {options.rounds} "
            f"alternating processes (each the median of 9 blocks of {CALLS:,} calls), output "
            f"to /dev/null; load average {os.getloadavg()[0]:.1f} at the end.",
            "",
            "| access log | µs per request |",
            "|---|---|",
            f"| socialmetrics, JSON (production) | {json_us:.1f} |",
            f"| plain line, as the Flask reference | {plain_us:.1f} |",
            f"| difference | {json_us - plain_us:.1f} |",
        ]
    )
    print(report)
    if not options.no_doc:
        import serving

        serving.update_doc(report, "access-log", "access_log_cost.py")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "bench"))
    main()
