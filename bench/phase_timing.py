"""gunicorn configuration for bench/request_phases.py: a server's own configuration, plus
timers around each phase of a request inside the worker.

    PHASES_BASE=socialmetrics.gunicorn PHASES_OUT=var/bench/phases.json \
        gunicorn -c python:bench.phase_timing socialmetrics.wsgi

PHASES_BASE names the configuration module to extend (empty: gunicorn's defaults, as the
Flask reference runs). When the worker exits it writes the total time of each phase and the
number of requests to PHASES_OUT, suffixed with its pid. The phases are gunicorn 27's sync
worker's: the whole request (`handle_request`), the WSGI application call, closing the
application's response (Django sends `request_finished` there), the access log, the
`post_request` hook, then closing the connection (`close_graceful`, outside the request).
"""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Callable
from typing import Any

from gunicorn import util
from gunicorn.workers import sync

_base = (
    importlib.import_module(os.environ["PHASES_BASE"]) if os.environ.get("PHASES_BASE") else None
)
if _base is not None:
    # gunicorn reads the settings it knows from this module's names and ignores the others.
    globals().update({k: v for k, v in vars(_base).items() if not k.startswith("_")})

PHASES = (
    "request",
    "application",
    "response close",
    "access log",
    "post_request",
    "connection close",
)
_totals = dict.fromkeys(PHASES, 0.0)
_count = [0]


def _timed(phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _totals[phase] += time.perf_counter() - started

    return timed


class _ClosingTimed:
    """The application's response iterable, with its close() timed."""

    def __init__(self, iterable: Any) -> None:
        self.iterable = iterable

    def __iter__(self) -> Any:
        return iter(self.iterable)

    def close(self) -> None:
        if hasattr(self.iterable, "close"):
            started = time.perf_counter()
            try:
                self.iterable.close()
            finally:
                _totals["response close"] += time.perf_counter() - started


util.close_graceful = _timed("connection close", util.close_graceful)
_handle_request = _timed("request", sync.SyncWorker.handle_request)


def _counted_request(self: Any, *args: Any) -> Any:
    _count[0] += 1
    return _handle_request(self, *args)


sync.SyncWorker.handle_request = _counted_request


def post_worker_init(worker: Any) -> None:
    if _base is not None and hasattr(_base, "post_worker_init"):
        _base.post_worker_init(worker)
    application = _timed("application", worker.wsgi)
    worker.wsgi = lambda environ, start_response: _ClosingTimed(
        application(environ, start_response)
    )
    worker.log.access = _timed("access log", worker.log.access)


_base_post_request = getattr(_base, "post_request", None)
_post_request = _timed("post_request", _base_post_request) if _base_post_request else None


def post_request(worker: Any, req: Any, environ: dict, resp: Any) -> None:
    if _post_request is not None:
        _post_request(worker, req, environ, resp)


def worker_exit(server: Any, worker: Any) -> None:
    path = f"{os.environ['PHASES_OUT']}.{os.getpid()}"
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"requests": _count[0], "seconds": _totals}, fh)
