"""Long in-memory work in short steps, so that a server's requests keep their pace.

A server process answers requests on one thread while a background thread loads the next
model version. Python runs one thread at a time. A single C call that builds a dictionary of
100k terms holds the interpreter for tens of milliseconds, and every request arriving then
waits; a Python loop hands it over only every switch interval (5 ms), and each request that
asks for it meanwhile waits that long, which is how a hot reload pushed the serving p99 past
Flask's (docs/benchmarks.md). Code that walks a vocabulary asks `steps()` for its slices:
outside `paced()` there is one slice and no pause, exactly as before; inside, slices of STEP
items with a short sleep between them, during which requests run and after which the
interpreter is free again at once (a sleep releases it immediately, unlike a running loop).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# About a millisecond of work per step for a dictionary update or a list comprehension.
STEP = 2048
PAUSE_SECONDS = 0.002

_pause: ContextVar[Callable[[], None] | None] = ContextVar("pause", default=None)


def _sleep() -> None:
    time.sleep(PAUSE_SECONDS)


@contextmanager
def paced(pause: Callable[[], None] | None = None) -> Iterator[None]:
    """Within the block (in this thread), `steps()` cuts work into slices and calls `pause`
    (by default a sleep of PAUSE_SECONDS) between two of them."""
    token = _pause.set(pause if pause is not None else _sleep)
    try:
        yield
    finally:
        _pause.reset(token)


def is_paced() -> bool:
    return _pause.get() is not None


def steps(n: int, size: int | None = None) -> Iterator[slice]:
    """Slices covering range(n): one outside `paced()`, else `size` (STEP) items each with
    the pause between two of them."""
    size = size or STEP
    pause = _pause.get()
    if pause is None or n <= size:
        yield slice(0, n)
        return
    for start in range(0, n, size):
        if start:
            pause()
        yield slice(start, min(start + size, n))


def pause() -> None:
    """The pause of the enclosing `paced()` block, if any."""
    current = _pause.get()
    if current is not None:
        current()
