"""The model dashboard's figures: versions and their metrics, labels, annotation progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from sentiment import charts
from sentiment.models import Annotation, Label, ModelVersion, Review, ShadowRun, Tweet
from sentiment.services import drift

DAYS = 30
VERSIONS_WITH_MATRIX = 8
# Annotators drawn separately in the per-day chart; the others are added up.
NAMED_ANNOTATORS = 7
METRICS = {"accuracy": "accuracy", "macro_recall": "macro recall", "macro_f1": "macro F1"}


@dataclass
class Cell:
    value: int
    share: float  # of its row (the true label), 0 to 1: the colour's strength


@dataclass
class Matrix:
    version: ModelVersion
    labels: list[str]
    rows: list[tuple[str, list[Cell]]]


@dataclass
class Annotator:
    name: str
    total: int
    last_days: int


def metrics_chart() -> str | None:
    versions = [v for v in ModelVersion.objects.order_by("pk") if v.metrics]
    if not versions:
        return None
    active = next((v.pk for v in versions if v.is_active), None)
    series = {
        title: [float(v.metrics.get(key, 0.0)) for v in versions] for key, title in METRICS.items()
    }
    return charts.metrics_over_versions([v.pk for v in versions], series, active)


def confusion_matrices() -> list[Matrix]:
    matrices = []
    for version in ModelVersion.objects.order_by("-pk")[:VERSIONS_WITH_MATRIX]:
        confusion = version.metrics.get("confusion_matrix")
        if not confusion:
            continue
        rows = []
        for label, values in zip(confusion["labels"], confusion["matrix"], strict=True):
            total = sum(values) or 1
            rows.append((label, [Cell(v, round(v / total, 3)) for v in values]))
        matrices.append(Matrix(version, confusion["labels"], rows))
    return matrices


def label_distribution() -> dict[str, int]:
    """Tweets per agreed label, then the unlabelled ones: open, and waiting for a reviewer."""
    counts = dict(Tweet.objects.values_list("label").annotate(n=Count("pk")).order_by())
    waiting = Tweet.objects.filter(review=Review.TIE).count()
    unlabelled = counts.get("", 0)
    out = {label: counts.get(label, 0) for label in Label.values}
    out["waiting for a reviewer"] = waiting
    out["not yet annotated"] = unlabelled - waiting
    return out


def progress(today: date | None = None) -> tuple[str, list[Annotator]]:
    """Annotations per day (UTC) over the last DAYS days as a chart, and per annotator."""
    today = today or timezone.now().astimezone(UTC).date()
    first = today - timedelta(days=DAYS - 1)
    since = timezone.now() - timedelta(days=DAYS)
    people = list(
        Annotation.objects.values_list("annotator__username")
        .annotate(total=Count("pk"), recent=Count("pk", filter=Q(created_at__gte=since)))
        .order_by("-total")
    )
    annotators = [Annotator(name, total, recent) for name, total, recent in people]
    named = {a.name for a in annotators[:NAMED_ANNOTATORS]}
    days = [first + timedelta(days=i) for i in range(DAYS)]
    per_person: dict[str, list[int]] = {}
    rows = (
        # Whole days in UTC: no time zone conversion in SQL (MySQL may lack its zone tables).
        Annotation.objects.filter(created_at__gte=datetime.combine(first, time.min, tzinfo=UTC))
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values_list("day", "annotator__username")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for day, name, n in rows:
        key = name if name in named else "others"
        series = per_person.setdefault(key, [0] * DAYS)
        index = (day - first).days
        if 0 <= index < DAYS:
            series[index] += n
    return charts.annotations_per_day(days, per_person), annotators


@dataclass
class Drift:
    version: int
    svg: str | None
    latest: drift.Comparison | None


def drift_of_serving_version() -> Drift | None:
    """The active version's drift, hour by hour, and over the last DRIFT_WINDOW_MINUTES."""
    version = ModelVersion.objects.filter(is_active=True).values_list("pk", flat=True).first()
    if version is None:
        return None
    points = drift.hourly(version)
    svg = None
    if points:
        series = {
            measure: [p.comparison.psi.get(measure, 0.0) for p in points]
            for measure in drift.MEASURES
        }
        svg = charts.drift_over_time([p.hour for p in points], series, settings.DRIFT_PSI_THRESHOLD)
    return Drift(version, svg, drift.recent(version))


SHADOW_RUNS_SHOWN = 3


def shadow_runs() -> list[ShadowRun]:
    """The running shadow run first, then the last ended ones."""
    return list(ShadowRun.objects.select_related("version")[:SHADOW_RUNS_SHOWN])
