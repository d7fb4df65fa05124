"""Shadow scoring: a trained, not-serving version scores a sample of live requests too.

A reviewer puts a version in shadow (`start`); from then on every server process hands a
share (the run's sample rate) of predict requests, with the serving version's labels and
scores, to a bounded queue. A background thread in the process scores them with the shadow
version and counts agreements, label flips and a few examples of each, and adds its counts to
the ShadowRun row every SHADOW_POLL_SECONDS. The request itself only draws a random number and, when
sampled, puts a reference in the queue: a full queue drops the request from the comparison
(counted in `socialmetrics_shadow_dropped_total`), never delays the answer.

One version at a time is in shadow. The run ends by hand (`stop`) or when its version is
activated (`end_on_activation`, called by versions.activate).
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, close_old_connections, transaction
from django.utils import timezone
from prometheus_client import Counter

from sentiment.ml import pacing
from sentiment.ml.artifacts import ArtifactError
from sentiment.ml.predictor import Predictor
from sentiment.models import ModelVersion, ShadowRun
from sentiment.services import versions
from sentiment.services.background import ProcessThread

log = logging.getLogger(__name__)

EXAMPLES_PER_FLIP = 3

COMPARED = Counter(
    "socialmetrics_shadow_compared",
    "Tweets scored by the shadow version beside the serving one.",
    ["model_version"],
)
AGREED = Counter(
    "socialmetrics_shadow_agreements",
    "Tweets to which the shadow version gave the serving version's label.",
    ["model_version"],
)
DROPPED = Counter(
    "socialmetrics_shadow_dropped",
    "Sampled requests left out of the comparison because the shadow queue was full.",
)


class ShadowError(Exception):
    """A version that cannot go in shadow; the message says why."""


def current() -> ShadowRun | None:
    return ShadowRun.objects.filter(ended_at__isnull=True).select_related("version").first()


def start(version_id: int, *, user: User | None = None, sample_rate: float | None = None):
    """Put version `version_id` in shadow, ending any other shadow run."""
    rate = settings.SHADOW_SAMPLE_RATE if sample_rate is None else sample_rate
    if not 0 < rate <= 1:
        raise ShadowError(f"the sample rate must be in (0, 1], not {rate}")
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise ShadowError(f"there is no model version {version_id}")
    if version.is_active:
        raise ShadowError(f"version {version_id} is serving already")
    if version.status == ModelVersion.Status.SAVING:
        raise ShadowError(f"version {version_id} was never completely saved")
    with transaction.atomic():
        stop(reason=f"replaced by version {version_id}")
        return ShadowRun.objects.create(
            version=version,
            sample_rate=rate,
            started_by=user if getattr(user, "pk", None) else None,
        )


def stop(*, reason: str = "ended by hand") -> int:
    """End the running shadow run, if any; how many were ended."""
    return ShadowRun.objects.filter(ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason[:200]
    )


def end_on_activation(version: ModelVersion) -> None:
    ShadowRun.objects.filter(ended_at__isnull=True, version=version).update(
        ended_at=timezone.now(), end_reason="activated"
    )


@dataclass
class _Active:
    run: int
    version: int
    predictor: Predictor
    sample_rate: float


@dataclass
class _Tally:
    compared: int = 0
    agreements: int = 0
    score_diff: float = 0.0
    flips: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[dict]] = field(default_factory=dict)


class ShadowScorer:
    """Per process: the queue, the thread that empties it, and the counts not yet written."""

    def __init__(self) -> None:
        self._active: _Active | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=settings.SHADOW_QUEUE_SIZE)
        self._tallies: dict[int, _Tally] = {}
        self._thread = ProcessThread("shadow")
        self._lock = threading.Lock()

    # The request thread.

    def offer(
        self, serving_version: int, tweets: Sequence[str], labels: Sequence[str], scores: Sequence
    ) -> None:
        self._ensure_thread()
        active = self._active
        if active is None or not tweets or random.random() >= active.sample_rate:  # noqa: S311
            return
        try:
            self._queue.put_nowait((active, tweets, labels, scores))
        except queue.Full:
            DROPPED.inc()

    # The background thread (or a test, calling them directly).

    def refresh(self) -> None:
        """Look up the running shadow run; load its version if it is a new one."""
        run = current()
        if run is None:
            self._active = None
            return
        if self._active is not None and self._active.run == run.pk:
            return
        try:
            predictor = versions.load_predictor(run.version)
        except ArtifactError as exc:
            log.error("shadow version %s refused: %s", run.version_id, exc)
            self._active = None
            return
        self._active = _Active(run.pk, run.version_id, predictor, run.sample_rate)
        log.info("version %s in shadow, %.0f%% of requests", run.version_id, 100 * run.sample_rate)

    def reset(self) -> None:
        """Forget the shadow run, what is queued and what is counted (tests)."""
        self._active = None
        self._tallies = {}
        self._queue = queue.Queue(maxsize=settings.SHADOW_QUEUE_SIZE)

    def drain(self) -> None:
        """Score everything queued, then write the counts."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            self._score(*item)
        self.flush()

    def _score(
        self, active: _Active, tweets: Sequence[str], labels: Sequence[str], scores: Sequence
    ) -> None:
        predictor = active.predictor
        proba = predictor.predict_proba(tweets)
        shadow_scores = predictor.scores_from_proba(proba)
        shadow_labels = [predictor.classes[i] for i in np.argmax(proba, axis=1)]
        tally = self._tallies.setdefault(active.run, _Tally())
        agreed = 0
        for text, serving, shadow in zip(tweets, labels, shadow_labels, strict=True):
            if serving == shadow:
                agreed += 1
                continue
            flip = f"{serving}→{shadow}"
            tally.flips[flip] = tally.flips.get(flip, 0) + 1
            kept = tally.examples.setdefault(flip, [])
            if len(kept) < EXAMPLES_PER_FLIP:
                kept.append({"text": text[:280]})
        tally.compared += len(tweets)
        tally.agreements += agreed
        tally.score_diff += float(np.abs(np.asarray(scores) - shadow_scores).sum())
        name = str(active.version)
        COMPARED.labels(name).inc(len(tweets))
        AGREED.labels(name).inc(agreed)

    def flush(self) -> None:
        tallies, self._tallies = self._tallies, {}
        for run_id, tally in tallies.items():
            with transaction.atomic():
                run = ShadowRun.objects.select_for_update().filter(pk=run_id).first()
                if run is None:
                    continue
                run.compared += tally.compared
                run.agreements += tally.agreements
                run.score_diff_sum += tally.score_diff
                for flip, n in tally.flips.items():
                    run.flips[flip] = run.flips.get(flip, 0) + n
                for flip, texts in tally.examples.items():
                    kept = run.examples.setdefault(flip, [])
                    kept.extend(texts[: EXAMPLES_PER_FLIP - len(kept)])
                run.save(
                    update_fields=["compared", "agreements", "score_diff_sum", "flips", "examples"]
                )

    def _ensure_thread(self) -> None:
        interval = settings.SHADOW_POLL_SECONDS
        if interval > 0 and not self._thread.running:
            self._thread.start(self._run, interval, before=self._new_queue)

    def _new_queue(self) -> None:
        self._queue = queue.Queue(maxsize=settings.SHADOW_QUEUE_SIZE)

    def _run(self, interval: float) -> None:
        next_check = 0.0
        while True:
            try:
                now = time.monotonic()
                if now >= next_check:
                    close_old_connections()
                    with pacing.paced():  # a model loaded beside requests (ml/pacing.py)
                        self.refresh()
                    self.flush()
                    next_check = now + interval
                try:
                    item = self._queue.get(timeout=max(0.05, next_check - time.monotonic()))
                except queue.Empty:
                    continue
                self._score(*item)
            except DatabaseError as exc:
                log.warning("shadow scoring paused, database unavailable: %s", exc)
                time.sleep(interval)
            except Exception:  # the thread must never die, whatever happens
                log.exception("shadow scoring failed")
                time.sleep(interval)


scorer = ShadowScorer()
