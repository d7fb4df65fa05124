"""gunicorn settings for `make serve`.

    gunicorn -c python:socialmetrics.gunicorn socialmetrics.wsgi

Environment: HOST (default 127.0.0.1), PORT (8000), WORKERS (default: one per CPU core),
GUNICORN_TIMEOUT (seconds, default 60), PROMETHEUS_MULTIPROC_DIR (default: a fresh temporary
folder).
"""

import gc
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialmetrics.settings")

# Metrics in prometheus-client's multiprocess mode: each worker writes its counters to files in
# this folder and /metrics adds up all of them, whichever worker answers. prometheus-client
# reads the variable when it is first imported, so it is set here, in the master, before any
# worker starts. A folder made here is this server's own and removed when it stops.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="socialmetrics-metrics-")

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Scoring is CPU-bound: one synchronous worker per core uses the machine without oversubscribing.
workers = int(os.environ.get("WORKERS") or multiprocessing.cpu_count())
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Behind a reverse proxy on the same host; set FORWARDED_ALLOW_IPS for a proxy elsewhere.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# gunicorn's control socket (for `gunicornc`) has one default path per user, which every server
# on the host would share (tests and the load test start several): nothing here uses it.
control_socket_disable = True

try:
    log_format = settings.LOG_FORMAT
except ImproperlyConfigured:
    log_format = "plain"  # the workers fail to start and say why; no JSON to set up

if log_format == "json":
    # gunicorn's own messages and its access log (one record per request, with the status,
    # duration and model version as fields) in the same JSON lines on stderr as Django's.
    logger_class = "socialmetrics.logformat.JsonAccessLogger"
    logconfig_dict = {
        "formatters": {"json": {"()": "socialmetrics.logformat.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            name: {"level": "INFO", "handlers": ["stderr"], "propagate": False}
            for name in ("gunicorn.error", "gunicorn.access")
        },
    }


def post_worker_init(worker):
    # Load the model in each worker (once Django is set up) before it takes requests, so that
    # no client waits for it.
    from sentiment.services.registry import registry

    try:
        registry.warm_up()
    except Exception:  # a worker without a model still answers 503 and retries later
        worker.log.exception("could not load the model at start")
    _freeze_model(registry.peek())


# The loaded model is millions of long-lived Python objects (the vectorizer's vocabulary
# above all). Each full garbage collection walks all of them, and a request's allocations
# trigger one every few hundred requests: a pause of tens of milliseconds that was most of the
# single-tweet p99 (docs/benchmarks.md, bench/tail_latency.py). gc.freeze() moves every object
# alive now out of the collector's reach; they are still freed by reference counting when the
# model is replaced. Done once the model is loaded, and again after a hot reload.
_frozen_model: list[object] = [None]


def _freeze_model(serving: object, *, collect: bool = True) -> None:
    if serving is not None and serving is not _frozen_model[0]:
        if collect:  # at start only: a full collection after a reload would delay a request
            gc.collect()
        gc.freeze()
        _frozen_model[0] = serving


def post_request(worker, req, environ, resp):
    # After the answer is sent: a model swapped in by the reload thread gets frozen here, by
    # the worker itself, between two requests.
    from sentiment.services.registry import registry

    serving = registry.peek()
    if serving is not _frozen_model[0]:
        _freeze_model(serving, collect=False)


def on_starting(server):
    # Files left by an earlier server would add its counts to this one's.
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    # A dead worker's counters stay in the sums (they were served); its live gauges go.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
