"""Prometheus metrics: what the service answers, with which model version, and how fast.

Counted in each process as requests are answered (prometheus-client). Under gunicorn every
worker writes its values to its own memory-mapped files in PROMETHEUS_MULTIPROC_DIR
(socialmetrics/gunicorn.py sets it and cleans up after dead workers), and `/metrics`, whichever
worker answers it, adds up the files of all of them. What lives in the database (training
runs, the annotation backlog, the active version, drift) is read when Prometheus scrapes, not
counted on the request path.

Labels are few and bounded: route names, methods, status codes, model versions, the three
sentiment labels and training outcomes, never a tweet, a user or an address.
"""

from __future__ import annotations

import collections
import functools
import os
from collections.abc import Iterator, Sequence

import numpy as np
from django.db import DatabaseError
from django.db.models import Count
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from sentiment.models import ModelVersion, TrainingRun, Tweet
from sentiment.services import drift

CONTENT_TYPE = CONTENT_TYPE_LATEST
NO_VERSION = "none"

REQUESTS = Counter(
    "socialmetrics_http_requests",
    "HTTP requests answered, by route, method, status and the model version that answered.",
    ["route", "method", "status", "model_version"],
)
LATENCY = Histogram(
    "socialmetrics_http_request_duration_seconds",
    "Time from the request reaching Django to its answer, by route and model version.",
    ["route", "model_version"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TWEETS = Counter(
    "socialmetrics_tweets_scored",
    "Tweets scored by /api/predict, by model version.",
    ["model_version"],
)
LABELS = Counter(
    "socialmetrics_predicted_labels",
    "Tweets by predicted label (the most probable one), by model version.",
    ["model_version", "label"],
)
# Scores run from -1 to +1: ten equal bins, the same ones drift is measured on.
SCORE_BUCKETS = tuple(round(-0.8 + 0.2 * i, 1) for i in range(10))
SCORES = Histogram(
    "socialmetrics_prediction_score",
    "Scores given by /api/predict (-1 very negative to +1 very positive), by model version.",
    ["model_version"],
    buckets=SCORE_BUCKETS,
)
RETRAIN_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


# prometheus-client's labels() validates the values and takes a lock on every call; the label
# sets are few and bounded (see above), so each child is looked up once per process. On the
# single-tweet path this halves the cost of counting a request (docs/benchmarks.md).
@functools.cache
def _request_children(route: str, method: str, status: int, version: str) -> tuple:
    return REQUESTS.labels(route, method, str(status), version), LATENCY.labels(route, version)


@functools.cache
def _version_children(version: int) -> tuple:
    name = str(version)
    return TWEETS.labels(name), SCORES.labels(name)


@functools.cache
def _label_child(version: int, label: str) -> Counter:
    return LABELS.labels(str(version), label)


def record_request(route: str, method: str, status: int, version: str, seconds: float) -> None:
    requests, latency = _request_children(route, method, status, version)
    requests.inc()
    latency.observe(seconds)


def record_predictions(version: int, labels: Sequence[str], scores: Sequence[float]) -> None:
    """Count one batch of predictions: tweets, labels and the score histogram."""
    if not len(scores):
        return
    tweets, histogram = _version_children(version)
    tweets.inc(len(scores))
    if len(labels) == 1:
        _label_child(version, labels[0]).inc()
    else:
        for label, count in collections.Counter(labels).items():
            _label_child(version, label).inc(count)
    observe = histogram.observe
    for score in scores:
        observe(score)


class DatabaseCollector(Collector):
    """Figures kept in the database, read at scrape time (a few indexed queries)."""

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._collect()
        except DatabaseError:
            up = GaugeMetricFamily(
                "socialmetrics_database_up", "1 if the database answered the scrape."
            )
            up.add_metric([], 0)
            yield up

    def _collect(self) -> Iterator[Metric]:
        runs = CounterMetricFamily(
            "socialmetrics_retrain_runs", "Training runs by outcome.", labels=["outcome"]
        )
        by_status = dict(
            TrainingRun.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
        for status in TrainingRun.Status.values:
            runs.add_metric([status], by_status.get(status, 0))
        yield runs
        yield _retrain_durations()
        backlog = GaugeMetricFamily(
            "socialmetrics_annotation_backlog", "Tweets stored and not annotated yet."
        )
        backlog.add_metric([], Tweet.objects.unlabelled().count())
        yield backlog
        active = ModelVersion.objects.filter(is_active=True).values_list("pk", flat=True).first()
        serving = GaugeMetricFamily(
            "socialmetrics_active_model_version", "The version marked active (0: none)."
        )
        serving.add_metric([], active or 0)
        yield serving
        up = GaugeMetricFamily(
            "socialmetrics_database_up", "1 if the database answered the scrape."
        )
        up.add_metric([], 1)
        yield up


def _retrain_durations() -> HistogramMetricFamily:
    durations = HistogramMetricFamily(
        "socialmetrics_retrain_duration_seconds",
        "Duration of finished training runs, by outcome.",
        labels=["outcome"],
    )
    finished: dict[str, list[float]] = {}
    rows = TrainingRun.objects.filter(finished_at__isnull=False).values_list(
        "status", "started_at", "finished_at"
    )
    for status, started, ended in rows.iterator():
        if ended is None:  # never: the filter asks for finished runs; for the type checker
            continue
        finished.setdefault(status, []).append((ended - started).total_seconds())
    for status, seconds in sorted(finished.items()):
        values = np.asarray(seconds)
        buckets = [(str(float(b)), int((values <= b).sum())) for b in RETRAIN_BUCKETS]
        buckets.append(("+Inf", len(values)))
        durations.add_metric([status], buckets, float(values.sum()))
    return durations


_database = CollectorRegistry(auto_describe=False)
_database.register(DatabaseCollector())
_database.register(drift.DriftCollector())


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition() -> bytes:
    """Every metric in Prometheus' text format: all workers' counters, then the database's."""
    if multiprocess_dir():
        # A fresh registry per scrape, as prometheus-client's multiprocess mode requires: the
        # collector reads every worker's files each time.
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(_database)
