"""Background threads of a server process: the model reload, the drift flush, shadow scoring.

Each is started at most once per process, on first use. gunicorn forks its workers from a
parent that may have started one already: a forked worker inherits the flag but not the
thread, so the flag is the id of the process that started it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections

log = logging.getLogger(__name__)


class ProcessThread:
    """A daemon thread that runs once in each process."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._pid: int | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._pid == os.getpid()

    def start(
        self, target: Callable[..., None], *args: Any, before: Callable[[], None] | None = None
    ) -> bool:
        """Start `target(*args)` unless this process already did; `before` runs first, under
        the lock. Returns whether it started."""
        if self.running:
            return False
        with self._lock:
            if self.running:
                return False
            self._pid = os.getpid()
            if before is not None:
                before()
        threading.Thread(target=target, args=args, daemon=True, name=self.name).start()
        return True


def run_logged(task: Callable[[], object], what: str) -> None:
    """`task()` with fresh database connections; a failure is logged, never raised."""
    try:
        close_old_connections()
        task()
    except Exception:  # a background thread must never die, whatever happens
        log.exception("%s failed", what)


def every(interval: float, task: Callable[[], object], what: str) -> None:
    """Call `task` every `interval` seconds, for ever (the body of a ProcessThread)."""
    while True:
        time.sleep(interval)
        run_logged(task, what)
