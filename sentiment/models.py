"""The tables: tweets, their annotations and agreed labels, model versions, runs, the lock,
and the jobs that run on Celery workers."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone

from sentiment.ml.data import text_hash

MAX_TWEET_CHARS = 10_000


class Label(models.TextChoices):
    NEGATIVE = "negative", "negative"
    NEUTRAL = "neutral", "neutral"
    POSITIVE = "positive", "positive"


class Review(models.TextChoices):
    """Where a tweet stands when its annotators disagree (see services/annotation.py)."""

    NONE = "", "no disagreement"
    TIE = "tie", "disagreement, no majority: waiting for a reviewer"
    MAJORITY = "majority", "disagreement, label by majority"
    SETTLED = "settled", "settled by a reviewer"


class TweetQuerySet(models.QuerySet):
    def labelled(self) -> TweetQuerySet:
        return self.exclude(label="")

    def unlabelled(self) -> TweetQuerySet:
        return self.filter(label="")


class Tweet(models.Model):
    text = models.TextField(validators=[MaxLengthValidator(MAX_TWEET_CHARS)])
    # MySQL cannot put a unique index on a whole TEXT column: duplicates are caught on a hash.
    text_hash = models.CharField(max_length=64, unique=True, editable=False)
    label = models.CharField(
        max_length=8,
        choices=Label.choices,
        blank=True,
        default="",
        help_text="Empty means not yet annotated.",
    )
    annotated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    annotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    source = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Written in bulk after each model activation, so that lists and the annotation queue
    # sort by them without calling the model.
    predicted_score = models.FloatField(null=True, blank=True, editable=False)
    uncertainty = models.FloatField(null=True, blank=True, editable=False)
    scored_by_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The annotation queue's order, highest first: written in bulk by `refresh_queue` (a cheap
    # model refitted as labels accumulate, random before any label), never per request.
    queue_priority = models.FloatField(null=True, blank=True, editable=False)
    # Several annotators: the label above is the agreed one, kept in step with the Annotation
    # rows by services/annotation.py alone; the count is stored so the queue needs no join.
    annotations_wanted = models.PositiveSmallIntegerField(
        default=1, editable=False, help_text="Annotators asked to label this tweet (overlap)."
    )
    annotation_count = models.PositiveSmallIntegerField(default=0, editable=False)
    review = models.CharField(
        max_length=8, choices=Review.choices, blank=True, default="", editable=False
    )

    objects = TweetQuerySet.as_manager()

    class Meta:
        db_table = "tweets"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["label"], name="tweets_label_idx"),
            models.Index(fields=["label", "uncertainty"], name="tweets_queue_idx"),
            models.Index(fields=["label", "queue_priority"], name="tweets_priority_idx"),
            models.Index(fields=["label", "predicted_score"], name="tweets_score_idx"),
            models.Index(fields=["review"], name="tweets_review_idx"),
            # The admin's source filter lists the distinct sources: a loose index scan.
            models.Index(fields=["source"], name="tweets_source_idx"),
        ]
        permissions = [
            ("settle_tweet", "Can settle annotators' disagreements and assign overlap"),
            ("export_tweet", "Can export tweets to a file"),
        ]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 60 else self.text[:59] + "…"

    def save(self, *args, **kwargs) -> None:
        # The hash is derived data: keep it in step with the text however the row is saved.
        self.text_hash = text_hash(self.text)
        super().save(*args, **kwargs)


class Annotation(models.Model):
    """One person's label for one tweet; the tweet's own label is the agreed one."""

    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="annotations")
    # PROTECT: deleting an account would silently change agreed labels; deactivate it instead.
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations"
    )
    label = models.CharField(max_length=8, choices=Label.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tweet", "annotator"], name="annotation_once_per_person"
            )
        ]
        indexes = [
            models.Index(fields=["annotator", "created_at"], name="annotation_progress_idx"),
            models.Index(fields=["created_at"], name="annotation_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.label} for tweet {self.tweet_id}"


class TrainingRun(models.Model):
    class Trigger(models.TextChoices):
        MANUAL = "manual"
        SCHEDULE = "schedule"
        ADMIN = "admin"

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        REJECTED = "rejected"
        FAILED = "failed"

    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    host = models.CharField(max_length=255, blank=True, default="")
    pid = models.PositiveIntegerField(null=True, blank=True)
    label_counts = models.JSONField(default=dict, blank=True)
    train_size = models.PositiveIntegerField(null=True, blank=True)
    eval_size = models.PositiveIntegerField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    champion_metrics = models.JSONField(default=dict, blank=True)
    version = models.ForeignKey(
        "ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status"], name="run_status_idx")]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.trigger}, {self.status})"

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class ModelVersionQuerySet(models.QuerySet["ModelVersion"]):
    def active(self) -> ModelVersion | None:
        return self.filter(is_active=True).first()


class ModelVersion(models.Model):
    class Status(models.TextChoices):
        SAVING = "saving", "saving (incomplete)"
        READY = "ready"
        REJECTED = "rejected"

    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SAVING)
    # True for the version that serves, NULL for every other: a unique column allows many
    # NULLs, so the database itself guarantees at most one active version on SQLite and MySQL.
    is_active = models.BooleanField(null=True, unique=True, default=None, editable=False)
    directory = models.CharField(max_length=255, help_text="Relative to SENTIMENT_MODEL_DIR.")
    model_sha256 = models.CharField(max_length=64, blank=True, default="")
    vectorizer_sha256 = models.CharField(max_length=64, blank=True, default="")
    # A version refitted on every annotated tweet keeps, in its `evaluation` folder, the model
    # that was evaluated and gated (trained without the held-out tweets): later gates compare
    # against that one. Empty: the served files are the evaluated model.
    evaluation_model_sha256 = models.CharField(max_length=64, blank=True, default="")
    evaluation_vectorizer_sha256 = models.CharField(max_length=64, blank=True, default="")
    sklearn_version = models.CharField(max_length=32)
    label_counts = models.JSONField(default=dict, help_text="Training tweets per label.")
    eval_counts = models.JSONField(default=dict, help_text="Evaluation tweets per label.")
    metrics = models.JSONField(default=dict)
    params = models.JSONField(default=dict)
    gate_message = models.TextField(blank=True, default="")

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        permissions = [("activate_modelversion", "Can activate a model version")]

    def __str__(self) -> str:
        return f"version {self.pk}"


class Activation(models.Model):
    """Which version served from when: the model's history, kept for rollback and audit."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="activations")
    previous = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(default=timezone.now)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-activated_at", "-id"]

    def __str__(self) -> str:
        return f"version {self.version_id} activated {self.activated_at:%Y-%m-%d %H:%M}"


class JobLock(models.Model):
    """A named lock held in the database, so that it works across hosts on SQLite and MySQL."""

    name = models.CharField(max_length=50, primary_key=True)
    owner = models.CharField(max_length=100)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    acquired_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    held_by = models.CharField(max_length=200, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.name} held by {self.host}:{self.pid}"


class Job(models.Model):
    """Long work run by a Celery worker: its state and progress, for the admin and the API.

    Written by services/jobs.py alone. The id is a random UUID: with the API open, knowing a
    job's id is what lets a client follow it and download its result.
    """

    class Kind(models.TextChoices):
        RETRAIN = "retrain", "train a new version"
        ACTIVATE = "activate", "activate a version"
        SCORE = "score", "score a file"

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The process running it, and when it last said so: a job whose process is gone is failed.
    host = models.CharField(max_length=255, blank=True, default="")
    pid = models.PositiveIntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    stage = models.CharField(max_length=100, blank=True, default="")
    detail = models.TextField(blank=True, default="")
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True, default="")
    # Relative to JOBS_DIR; emptied when the files are deleted after JOBS_KEEP_HOURS.
    upload = models.CharField(max_length=255, blank=True, default="")
    output = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "kind"], name="job_state_idx")]
        permissions = [("start_retrain", "Can train a new model version from the admin")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)


class DriftFigures(models.Model):
    """Counts that describe a stream of predictions (sentiment/services/drift.py)."""

    tweets = models.PositiveIntegerField(default=0)
    label_counts = models.JSONField(default=dict, help_text="Predicted label -> tweets.")
    score_counts = models.JSONField(default=list, help_text="Tweets in each score bin.")
    known_tokens = models.PositiveBigIntegerField(default=0)
    tokens = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True


class DriftReference(DriftFigures):
    """A version's predictions on its held-out tweets, recorded when it was trained."""

    version = models.OneToOneField(
        ModelVersion, on_delete=models.CASCADE, related_name="drift_reference"
    )

    def __str__(self) -> str:
        return f"drift reference of version {self.version_id}"


class DriftWindow(DriftFigures):
    """What one server process answered with one version between two flushes."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    ended_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["version", "ended_at"])]

    def __str__(self) -> str:
        return f"version {self.version_id}: {self.tweets} tweets to {self.ended_at:%Y-%m-%d %H:%M}"


class ShadowRun(models.Model):
    """A trained version scoring a sample of live requests beside the serving one."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="shadow_runs")
    sample_rate = models.FloatField(help_text="Share of predict requests also scored.")
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True, default="")
    compared = models.PositiveIntegerField(default=0, help_text="Tweets scored by both.")
    agreements = models.PositiveIntegerField(default=0, help_text="Tweets given the same label.")
    score_diff_sum = models.FloatField(default=0.0, help_text="Sum of |shadow - serving| scores.")
    flips = models.JSONField(default=dict, help_text='"serving→shadow" label pair -> tweets.')
    examples = models.JSONField(default=dict, help_text="A few tweets of each flip.")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"version {self.version_id} in shadow from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def agreement(self) -> float | None:
        return self.agreements / self.compared if self.compared else None

    @property
    def mean_score_difference(self) -> float | None:
        return self.score_diff_sum / self.compared if self.compared else None

    def flips_with_examples(self) -> list[tuple[str, int, list[str]]]:
        """(serving→shadow, tweets, a few texts), most frequent flip first."""
        return [
            (flip, n, [e["text"] for e in self.examples.get(flip, [])])
            for flip, n in sorted(self.flips.items(), key=lambda item: -item[1])
        ]


def db_column(model: type[models.Model], name: str) -> str:
    """The database column of a concrete field, for the few statements written in SQL."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{name} has no column")
    return field.column
