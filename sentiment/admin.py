"""The Django admin: annotating tweets, and the model's versions, runs and history (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from sentiment.ml.data import text_hash
from sentiment.models import Activation, Label, ModelVersion, TrainingRun, Tweet
from sentiment.services import scoring, versions
from sentiment.services import tweets as tweet_service


class LabeledFilter(admin.SimpleListFilter):
    """`?labeled=no` lists the tweets still to annotate."""

    title = "annotated"
    parameter_name = "labeled"

    def lookups(self, request, model_admin):
        return [("yes", "Annotated"), ("no", "Not yet annotated")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.labelled()
        if self.value() == "no":
            return queryset.unlabelled()
        return queryset


class TweetForm(forms.ModelForm):
    class Meta:
        model = Tweet
        fields = ["text", "label", "source"]

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        duplicate = Tweet.objects.filter(text_hash=text_hash(text)).exclude(pk=self.instance.pk)
        if duplicate.exists():
            raise forms.ValidationError("This exact tweet is already stored.")
        return text


def _label_action(label: str, description: str):
    def action(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
        count = tweet_service.set_label(queryset, label, request.user)
        modeladmin.message_user(request, f"{description}: {count} tweet(s).", messages.SUCCESS)

    action.__name__ = f"label_{label or 'clear'}"
    return admin.action(description=description, permissions=["change"])(action)


@admin.register(Tweet)
class TweetAdmin(admin.ModelAdmin):
    form = TweetForm
    list_display = ["short_text", "label", "score", "source", "created_at", "annotated_by"]
    list_display_links = ["short_text"]
    list_editable = ["label"]
    list_filter = ["label", LabeledFilter, "source"]
    list_select_related = ["annotated_by"]
    search_fields = ["text"]
    readonly_fields = ["annotated_by", "annotated_at", "predicted_score", "created_at"]
    actions = [
        _label_action(Label.NEGATIVE, "Label as negative"),
        _label_action(Label.NEUTRAL, "Label as neutral"),
        _label_action(Label.POSITIVE, "Label as positive"),
        _label_action("", "Clear the label"),
    ]
    list_per_page = 50
    # Counting every row of a large table on each page load is slow: show "Show all" instead.
    show_full_result_count = False

    @admin.display(description="text")
    def short_text(self, tweet: Tweet) -> str:
        return str(tweet)

    @admin.display(description="predicted score", ordering="predicted_score")
    def score(self, tweet: Tweet) -> str:
        return "–" if tweet.predicted_score is None else f"{tweet.predicted_score:+.2f}"

    def save_model(self, request: HttpRequest, obj: Tweet, form, change: bool) -> None:
        if "label" in form.changed_data or (not change and obj.label):
            obj.annotated_by = request.user if obj.label else None
            obj.annotated_at = timezone.now() if obj.label else None
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def confusion_matrix_html(metrics: dict) -> str:
    confusion = metrics.get("confusion_matrix")
    if not confusion:
        return "–"
    labels, matrix = confusion["labels"], confusion["matrix"]
    header = format_html_join("", "<th>{}</th>", ((label,) for label in labels))
    rows = format_html_join(
        "",
        "<tr><th>{}</th>{}</tr>",
        (
            (label, format_html_join("", "<td>{}</td>", ((v,) for v in row)))
            for label, row in zip(labels, matrix, strict=True)
        ),
    )
    return format_html(
        '<table class="confusion"><tr><th>true \\ predicted</th>{}</tr>{}</table>', header, rows
    )


def metrics_html(metrics: dict) -> str:
    per_label = metrics.get("per_label", {})
    rows = format_html_join(
        "",
        "<tr><th>{}</th><td>{:.3f}</td><td>{:.3f}</td><td>{:.3f}</td><td>{}</td></tr>",
        (
            (label, m["precision"], m["recall"], m["f1"], m["support"])
            for label, m in per_label.items()
        ),
    )
    return format_html(
        "<table><tr><th></th><th>precision</th><th>recall</th><th>f1</th><th>support</th></tr>"
        "{}</table><p>accuracy {:.3f} · macro recall {:.3f} · macro F1 {:.3f} · "
        "calibration error {} on {} held-out tweets</p>",
        rows,
        metrics.get("accuracy", 0),
        metrics.get("macro_recall", 0),
        metrics.get("macro_f1", 0),
        metrics.get("ece", "–"),
        metrics.get("n", 0),
    )


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "status",
        "active",
        "macro_recall",
        "accuracy",
        "train_size",
        "sklearn_version",
    ]
    list_filter = ["status"]
    fields = [
        "id",
        "created_at",
        "status",
        "active",
        "directory",
        "sklearn_version",
        "label_counts",
        "eval_counts",
        "report",
        "confusion",
        "params",
        "gate_message",
        "model_sha256",
        "vectorizer_sha256",
    ]
    readonly_fields = fields
    actions = ["activate_selected"]

    @admin.display(boolean=True, description="active")
    def active(self, version: ModelVersion) -> bool:
        return bool(version.is_active)

    @admin.display(description="macro recall")
    def macro_recall(self, version: ModelVersion) -> str:
        return f"{version.metrics.get('macro_recall', 0):.3f}"

    @admin.display(description="accuracy")
    def accuracy(self, version: ModelVersion) -> str:
        return f"{version.metrics.get('accuracy', 0):.3f}"

    @admin.display(description="training tweets")
    def train_size(self, version: ModelVersion) -> int:
        return sum(version.label_counts.values())

    @admin.display(description="evaluation")
    def report(self, version: ModelVersion) -> str:
        return metrics_html(version.metrics)

    @admin.display(description="confusion matrix")
    def confusion(self, version: ModelVersion) -> str:
        return confusion_matrix_html(version.metrics)

    @admin.action(description="Activate the selected version (rollback)")
    def activate_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to activate.", messages.ERROR)
            return
        version = queryset.get()
        try:
            versions.activate(version.pk, user=request.user, reason="activated in the admin")
        except versions.VersionError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        rescored = scoring.refresh_after_activation(version)
        self.message_user(
            request, f"Version {version.pk} is now active. {rescored}", messages.SUCCESS
        )

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if not request.user.is_superuser and not request.user.has_perm(
            "sentiment.activate_modelversion"
        ):
            actions.pop("activate_selected", None)
        return actions


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "started_at",
        "trigger",
        "status",
        "duration_s",
        "version",
        "outcome",
    ]
    list_filter = ["status", "trigger"]

    @admin.display(description="seconds")
    def duration_s(self, run: TrainingRun) -> str:
        return "–" if run.duration is None else f"{run.duration:.1f}"

    @admin.display(description="outcome")
    def outcome(self, run: TrainingRun) -> str:
        return run.error or run.message


@admin.register(Activation)
class ActivationAdmin(ReadOnlyAdmin):
    list_display = ["activated_at", "version", "previous", "activated_by", "reason"]
    list_select_related = ["version", "previous", "activated_by"]
