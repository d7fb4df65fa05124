"""Drift of incoming tweets: what each version sees live against what it saw at training time.

Three figures describe a stream of predictions: the share of each predicted label, the
distribution of scores over ten equal bins from -1 to +1, and the share of unknown tokens (the
distinct words of a tweet that the vectorizer has no word feature for). When a version is
trained, `record_reference` stores them for its held-out tweets. Live, each server process adds
every answer to counters in memory (no database access on the request path) and a background
thread writes them as one DriftWindow row per version every DRIFT_FLUSH_SECONDS.

Each live figure is compared with the reference by the population stability index,
PSI = sum over bins of (live - reference) x ln(live / reference), on shares; the unknown-token
share is compared as two bins, known and unknown. The usual reading: under 0.1 no change,
0.1 to 0.25 a moderate one, over 0.25 a major one. A version whose largest PSI over the last
DRIFT_WINDOW_MINUTES passes DRIFT_PSI_THRESHOLD, on at least DRIFT_MIN_TWEETS tweets, is
drifting: logged as a warning, exported as metrics, shown on the dashboard.

Tweets scored with `detail: true` count for labels and scores, not tokens (that path builds its
features inside the predictor).
"""

from __future__ import annotations

import atexit
import logging
import math
import threading
import time
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

import numpy as np
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from sentiment.ml import lexicon, pacing
from sentiment.ml.evaluate import LABEL_ORDER
from sentiment.ml.predictor import Predictor
from sentiment.models import DriftReference, DriftWindow, ModelVersion
from sentiment.services.background import ProcessThread, every, run_logged

log = logging.getLogger(__name__)

SCORE_EDGES = np.linspace(-1.0, 1.0, 11)
_INNER_EDGES = SCORE_EDGES[1:-1].tolist()
# A share of zero would make PSI infinite: empty bins count as this share.
_FLOOR = 1e-4
MEASURES = ("labels", "scores", "unknown_tokens")


@dataclass
class Figures:
    tweets: int = 0
    labels: dict[str, int] = field(default_factory=dict)
    scores: np.ndarray = field(default_factory=lambda: np.zeros(len(SCORE_EDGES) - 1, int))
    known_tokens: int = 0
    tokens: int = 0

    def add_predictions(self, labels: Sequence[str], scores: Sequence[float] | np.ndarray) -> None:
        self.tweets += len(scores)
        for label in labels:
            self.labels[label] = self.labels.get(label, 0) + 1
        # bisect rather than np.histogram: several times faster for the one-tweet batches
        # most requests are; same bins ([a, b), the last one closed).
        bins = self.scores
        for score in scores:
            bins[bisect_right(_INNER_EDGES, score)] += 1

    def merge(self, other: Figures) -> None:
        self.tweets += other.tweets
        for label, n in other.labels.items():
            self.labels[label] = self.labels.get(label, 0) + n
        self.scores += other.scores
        self.known_tokens += other.known_tokens
        self.tokens += other.tokens

    @property
    def unknown_share(self) -> float | None:
        if not self.tokens:
            return None
        return min(1.0, max(0.0, 1.0 - self.known_tokens / self.tokens))

    def fields(self) -> dict[str, Any]:
        return {
            "tweets": self.tweets,
            "label_counts": dict(self.labels),
            "score_counts": [int(n) for n in self.scores],
            "known_tokens": self.known_tokens,
            "tokens": self.tokens,
        }

    @classmethod
    def of(cls, row: Any) -> Figures:
        scores = np.zeros(len(SCORE_EDGES) - 1, int)
        scores[: len(row.score_counts)] = row.score_counts
        return cls(row.tweets, dict(row.label_counts), scores, row.known_tokens, row.tokens)


def psi(live: Sequence[float] | np.ndarray, reference: Sequence[float] | np.ndarray) -> float:
    """Population stability index between two count (or share) vectors of the same bins."""
    a = np.asarray(live, float)
    e = np.asarray(reference, float)
    if a.sum() == 0 or e.sum() == 0:
        return 0.0
    a = np.maximum(a / a.sum(), _FLOOR)
    e = np.maximum(e / e.sum(), _FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class Comparison:
    version: int
    live: Figures
    reference: Figures
    psi: dict[str, float]

    @property
    def worst(self) -> float:
        return max(self.psi.values(), default=0.0)

    @property
    def drifting(self) -> bool:
        return (
            self.live.tweets >= settings.DRIFT_MIN_TWEETS
            and self.worst > settings.DRIFT_PSI_THRESHOLD
        )

    def describe(self) -> str:
        parts = ", ".join(f"{name} {value:.2f}" for name, value in self.psi.items())
        unknown = self.live.unknown_share
        ref_unknown = self.reference.unknown_share
        if unknown is not None and ref_unknown is not None:
            parts += f"; unknown tokens {unknown:.0%} against {ref_unknown:.0%} at training"
        return f"model version {self.version}, {self.live.tweets:,} tweets: PSI {parts}"


def compare(live: Figures, reference: Figures, version: int) -> Comparison:
    labels = [*LABEL_ORDER, *sorted(set(live.labels) | set(reference.labels) - set(LABEL_ORDER))]
    values = {
        "labels": psi(
            [live.labels.get(x, 0) for x in labels], [reference.labels.get(x, 0) for x in labels]
        ),
        "scores": psi(live.scores, reference.scores),
    }
    if live.tokens and reference.tokens:
        values["unknown_tokens"] = psi(
            [live.known_tokens, live.tokens - live.known_tokens],
            [reference.known_tokens, reference.tokens - reference.known_tokens],
        )
    return Comparison(version, live, reference, values)


# --- Reference figures, at training time ----------------------------------------------------


def measure(predictor: Predictor, texts: Sequence[str]) -> Figures:
    """The three figures for `texts` scored by `predictor`."""
    figures = Figures()
    if not texts:
        return figures
    features = predictor.features(texts)
    proba = predictor.proba_from_features(features)
    scores = predictor.scores_from_proba(proba)
    figures.add_predictions([predictor.classes[i] for i in np.argmax(proba, axis=1)], scores)
    figures.known_tokens, figures.tokens = token_counts(predictor, texts, features)
    return figures


def record_reference(version: ModelVersion, predictor: Predictor, texts: Sequence[str]) -> None:
    """Store what `version` predicts for its held-out tweets: the baseline live drift is read
    against."""
    figures = measure(predictor, texts)
    DriftReference.objects.update_or_create(version=version, defaults=figures.fields())


# --- Unknown tokens, from the vectorizer's output -------------------------------------------

_word_columns: dict[int, np.ndarray] = {}


def word_columns(predictor: Predictor) -> np.ndarray:
    """Which feature columns are single words (not n-grams, character or lexicon features)."""
    key = id(predictor)
    mask = _word_columns.get(key)
    if mask is None:
        mask = _word_mask(predictor)
        if len(_word_columns) > 8:  # old versions' masks, after reloads
            _word_columns.clear()
        _word_columns[key] = mask
    return mask


def _word_mask(predictor: Predictor) -> np.ndarray:
    vectorizer = predictor.vectorizer
    word = getattr(vectorizer, "word_", None)
    if word is not None and hasattr(vectorizer, "n_features_out_"):
        # The product's vectorizer: word n-grams come first, named by their terms. Read off
        # its vocabulary rather than every feature's name (a third of a hot reload's work).
        # In steps under pacing.paced(): this runs in a server's reload thread.
        items = iter(word.vocabulary_.items())
        columns: list[int] = []
        for part in pacing.steps(len(word.vocabulary_)):
            chunk = islice(items, part.stop - part.start)
            columns += [j for term, j in chunk if _is_word(term)]
        mask = np.zeros(vectorizer.n_features_out_, bool)
        mask[columns] = True
        return mask
    names = predictor.feature_names()
    return np.fromiter((_is_word(n) for n in names.tolist()), bool, len(names))


# Feature names that are not words: character n-grams and the lexicon prior.
_NOT_WORD_PREFIXES = ("char:", *lexicon.FEATURE_PREFIXES)


def _is_word(name: str) -> bool:
    return " " not in name and not name.startswith(_NOT_WORD_PREFIXES)


def token_counts(predictor: Predictor, texts: Sequence[str], features: Any) -> tuple[int, int]:
    """(known, all): distinct words per tweet the vectorizer has a feature for, and all of
    them, summed over `texts`. Words are split on white space and lower-cased; the same rule
    applies live and at training, so the shares compare even where it is rough (a URL is
    one unknown word)."""
    known = int(np.count_nonzero(word_columns(predictor)[features.tocsr().indices]))
    total = sum(len(set(text.lower().split())) for text in texts)
    return min(known, total), total


# --- Live counters, flushed off the request path --------------------------------------------


class LiveCounters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[int, Figures] = {}
        self._flusher = ProcessThread("drift-flush")
        self._warned: dict[int, float] = {}

    def add(self, version: int, labels: Sequence[str], scores: Sequence[float]) -> None:
        with self._lock:
            self._figures(version).add_predictions(labels, scores)
        self._ensure_flusher()

    def add_tokens(self, version: int, known: int, total: int) -> None:
        with self._lock:
            figures = self._figures(version)
            figures.known_tokens += known
            figures.tokens += total

    def _figures(self, version: int) -> Figures:
        # Not setdefault(version, Figures()): that would build (and drop) a Figures with its
        # numpy array on every request.
        figures = self._pending.get(version)
        if figures is None:
            figures = self._pending[version] = Figures()
        return figures

    def reset(self) -> None:
        """Forget what was counted and warned about (tests)."""
        with self._lock:
            self._pending.clear()
            self._warned.clear()

    def flush(self) -> list[int]:
        """Write what was counted since the last flush; the versions written."""
        with self._lock:
            pending, self._pending = self._pending, {}
        now = timezone.now()
        written = []
        for version, figures in pending.items():
            if not figures.tweets and not figures.tokens:
                continue
            try:
                DriftWindow.objects.create(version_id=version, ended_at=now, **figures.fields())
            except DatabaseError as exc:
                # Kept for the next flush rather than lost (a version deleted meanwhile, or the
                # database away).
                log.warning("drift counts for version %s not saved yet: %s", version, exc)
                with self._lock:
                    self._pending.setdefault(version, Figures()).merge(figures)
                continue
            written.append(version)
        for version in written:
            self._warn_if_drifting(version)
        return written

    def _warn_if_drifting(self, version: int) -> None:
        comparison = recent(version)
        if comparison is None or not comparison.drifting:
            return
        last = self._warned.get(version, -math.inf)
        if time.monotonic() - last < settings.DRIFT_WINDOW_MINUTES * 60:
            return
        self._warned[version] = time.monotonic()
        log.warning(
            "incoming tweets have drifted from the training data (threshold %.2f): %s",
            settings.DRIFT_PSI_THRESHOLD,
            comparison.describe(),
        )

    def _ensure_flusher(self) -> None:
        interval = settings.DRIFT_FLUSH_SECONDS
        if interval > 0 and self._flusher.start(every, interval, self.flush, "drift flush"):
            atexit.register(run_logged, self.flush, "drift flush")


live = LiveCounters()


def observe(version: int, labels: Sequence[str], scores: Sequence[float]) -> None:
    """Count one answered batch (request thread: memory only)."""
    if len(scores):
        live.add(version, labels, scores)


def observe_tokens(serving: Any, texts: Sequence[str], features: Any) -> None:
    known, total = token_counts(serving.predictor, texts, features)
    live.add_tokens(serving.version, known, total)


# --- Reading drift back ---------------------------------------------------------------------


def reference_for(version: int) -> Figures | None:
    row = DriftReference.objects.filter(version_id=version).first()
    return Figures.of(row) if row is not None else None


def recent(version: int, *, minutes: float | None = None) -> Comparison | None:
    """Live figures of the last `minutes` (DRIFT_WINDOW_MINUTES) against the reference."""
    reference = reference_for(version)
    if reference is None:
        return None
    since = timezone.now() - timedelta(minutes=minutes or settings.DRIFT_WINDOW_MINUTES)
    total = Figures()
    for row in DriftWindow.objects.filter(version_id=version, ended_at__gte=since):
        total.merge(Figures.of(row))
    if not total.tweets:
        return None
    return compare(total, reference, version)


@dataclass(frozen=True)
class Point:
    hour: datetime
    comparison: Comparison


def hourly(version: int, *, hours: int = 72) -> list[Point]:
    """One comparison per hour with traffic, over the last `hours`: the dashboard's plot."""
    reference = reference_for(version)
    if reference is None:
        return []
    since = timezone.now() - timedelta(hours=hours)
    buckets: dict[datetime, Figures] = {}
    rows = DriftWindow.objects.filter(version_id=version, ended_at__gte=since).order_by("ended_at")
    for row in rows:
        hour = row.ended_at.replace(minute=0, second=0, microsecond=0)
        buckets.setdefault(hour, Figures()).merge(Figures.of(row))
    return [Point(hour, compare(f, reference, version)) for hour, f in sorted(buckets.items())]


def versions_with_traffic(*, minutes: float) -> list[int]:
    since = timezone.now() - timedelta(minutes=minutes)
    return sorted(
        set(DriftWindow.objects.filter(ended_at__gte=since).values_list("version_id", flat=True))
    )


class DriftCollector(Collector):
    """Scrape-time gauges: PSI per version and measure, unknown-token shares."""

    def collect(self) -> Iterator[Metric]:
        try:
            comparisons = [
                c
                for v in versions_with_traffic(minutes=settings.DRIFT_WINDOW_MINUTES)
                if (c := recent(v)) is not None
            ]
        except DatabaseError:
            return
        index = GaugeMetricFamily(
            "socialmetrics_drift_psi",
            "Population stability index of the last DRIFT_WINDOW_MINUTES against the "
            "version's held-out tweets, by measure (labels, scores, unknown_tokens).",
            labels=["model_version", "measure"],
        )
        unknown = GaugeMetricFamily(
            "socialmetrics_unknown_token_share",
            "Share of distinct words the vectorizer does not know: live (last "
            "DRIFT_WINDOW_MINUTES) and on the held-out tweets at training time.",
            labels=["model_version", "source"],
        )
        drifting = GaugeMetricFamily(
            "socialmetrics_drift_alarm",
            "1 if the version's largest PSI passes DRIFT_PSI_THRESHOLD.",
            labels=["model_version"],
        )
        for c in comparisons:
            version = str(c.version)
            for measure, value in c.psi.items():
                index.add_metric([version, measure], value)
            for source, figures in (("live", c.live), ("reference", c.reference)):
                if figures.unknown_share is not None:
                    unknown.add_metric([version, source], figures.unknown_share)
            drifting.add_metric([version], 1 if c.drifting else 0)
        yield index
        yield unknown
        yield drifting
