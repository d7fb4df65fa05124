"""Scoring a stream of tweet batches on several processes, in order, with bounded memory.

Each process loads the model itself through Predictor.load (checksums verified), so a process
never unpickles a file the database does not vouch for. At most two batches per process are in
flight: a file of any size is scored with the memory of a few batches. With one process the
batches are scored in this process, with no pool at all.

Django-free: the processes are started with `spawn` and import only the ML core.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from sentiment.ml.artifacts import Checksums
from sentiment.ml.evaluate import LABEL_ORDER
from sentiment.ml.predictor import SCORE_DECIMALS, Predictor

_predictor: Predictor | None = None
T = TypeVar("T")


@dataclass(frozen=True)
class ScoredBatch:
    texts: list[str]
    scores: np.ndarray  # exactly /api/predict's scores
    labels: list[str]
    probabilities: np.ndarray  # rounded, columns in LABEL_ORDER


def score_batch(predictor: Predictor, texts: list[str]) -> ScoredBatch:
    proba = predictor.predict_proba(texts)
    ordered = np.zeros((len(texts), len(LABEL_ORDER)))
    for column, label in enumerate(predictor.classes):
        ordered[:, LABEL_ORDER.index(label)] = proba[:, column]
    labels = [predictor.classes[i] for i in np.argmax(proba, axis=1)]
    return ScoredBatch(
        texts,
        predictor.scores_from_proba(proba),
        labels,
        np.round(ordered, SCORE_DECIMALS),
    )


def _start(directory: str, checksums: Checksums) -> None:
    global _predictor
    _predictor = Predictor.load(Path(directory), checksums)


def _score_in_child(texts: list[str], render: Callable[[ScoredBatch], T]) -> T:
    assert _predictor is not None, "the pool's initializer loads the model"
    return render(score_batch(_predictor, texts))


class ScoringPool:
    def __init__(self, directory: Path, checksums: Checksums, processes: int) -> None:
        self.processes = max(1, processes)
        self._pool: Any = None
        self._local: Predictor | None = None
        if self.processes == 1:
            self._local = Predictor.load(directory, checksums)
        else:
            # spawn, not fork: the caller may hold threads (a lock's heartbeat) and sockets.
            context = multiprocessing.get_context("spawn")
            self._pool = context.Pool(
                self.processes, initializer=_start, initargs=(str(directory), checksums)
            )

    def score(
        self, batches: Iterable[list[str]], render: Callable[[ScoredBatch], T]
    ) -> Iterator[T]:
        """`render` of each batch scored, in their order. `render` runs where the batch was
        scored, so that turning scores into output is shared out as well; with several
        processes it must be picklable (a module's function, or a functools.partial of one)."""
        if self._local is not None:
            for texts in batches:
                yield render(score_batch(self._local, texts))
            return
        pending: deque = deque()
        for texts in batches:
            pending.append(self._pool.apply_async(_score_in_child, (texts, render)))
            if len(pending) >= 2 * self.processes:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> ScoringPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
