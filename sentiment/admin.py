"""The Django admin: annotating tweets, and the model's versions, runs and history (read-only).

Every label change made here goes through services/annotation.py. The extra pages (annotation,
agreement, import/export, model dashboard) live in sentiment/admin_views/.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from sentiment.admin_views import agreement as agreement_views
from sentiment.admin_views import annotate as annotate_views
from sentiment.admin_views import dashboard as dashboard_views
from sentiment.admin_views import files as file_views
from sentiment.admin_views import jobs as job_views
from sentiment.admin_views import staff_user
from sentiment.ml.data import text_hash
from sentiment.models import Activation, Annotation, Job, Label, ModelVersion, TrainingRun, Tweet
from sentiment.paginators import LargeTablePaginator
from sentiment.services import annotation, jobs, shadow, versions


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


def _label_action(label: str, description: str, permission: str = "change"):
    def action(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = len(annotation.label_from_admin(ids, staff_user(request), label))
        modeladmin.message_user(request, f"{description}: {count} tweet(s).", messages.SUCCESS)

    action.__name__ = f"label_{label or 'clear'}"
    return admin.action(description=description, permissions=[permission])(action)


def _overlap_action(wanted: int):
    description = f"Ask for {wanted} annotator{'s' if wanted > 1 else ''} per tweet"

    def action(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = len(annotation.set_wanted(ids, staff_user(request), wanted))
        modeladmin.message_user(request, f"{description}: {count} tweet(s).", messages.SUCCESS)

    action.__name__ = f"ask_for_{wanted}_annotators"
    return admin.action(description=description, permissions=["settle"])(action)


@admin.register(Tweet)
class TweetAdmin(admin.ModelAdmin):
    form = TweetForm
    change_list_template = "admin/sentiment/tweet/change_list.html"
    list_display = [
        "short_text",
        "label",
        "score",
        "uncertainty",
        "annotations",
        "source",
        "created_at",
        "annotated_by",
    ]
    list_display_links = ["short_text"]
    list_editable = ["label"]
    list_filter = ["label", LabeledFilter, "review", "source"]
    list_select_related = ["annotated_by"]
    search_fields = ["text"]
    readonly_fields = [
        "annotated_by",
        "annotated_at",
        "annotation_count",
        "annotations_wanted",
        "review",
        "predicted_score",
        "uncertainty",
        "created_at",
    ]
    actions = [
        _label_action(Label.NEGATIVE, "Label as negative"),
        _label_action(Label.NEUTRAL, "Label as neutral"),
        _label_action(Label.POSITIVE, "Label as positive"),
        _label_action("", "Clear the label and its annotations", permission="settle"),
        _overlap_action(1),
        _overlap_action(2),
        _overlap_action(3),
    ]
    list_per_page = 50
    # Counting every row of a large table on each page load is slow (see paginators.py).
    show_full_result_count = False
    paginator = LargeTablePaginator

    @admin.display(description="text")
    def short_text(self, tweet: Tweet) -> str:
        return str(tweet)

    @admin.display(description="predicted score", ordering="predicted_score")
    def score(self, tweet: Tweet) -> str:
        return "–" if tweet.predicted_score is None else f"{tweet.predicted_score:+.2f}"

    @admin.display(description="annotations")
    def annotations(self, tweet: Tweet) -> str:
        count = f"{tweet.annotation_count}/{tweet.annotations_wanted}"
        return f"{count} · {tweet.review}" if tweet.review else count

    def has_settle_permission(self, request: HttpRequest) -> bool:
        return annotation.can_settle(request.user)

    @admin.display(description="annotations by person")
    def annotations_by_person(self, tweet: Tweet) -> str:
        rows = tweet.annotations.select_related("annotator").order_by("created_at")
        return (
            format_html_join(
                "",
                "<div>{}: <strong>{}</strong> ({})</div>",
                (
                    (a.annotator.get_username(), a.label, f"{a.updated_at:%Y-%m-%d %H:%M}")
                    for a in rows
                ),
            )
            or "–"
        )

    # --- what an annotator sees: their own label, never the agreed one (docs/annotation.md) ---
    # The agreed label, a tie or a majority would tell them what the others said.
    _AGREEMENT_FIELDS = ("annotated_by", "annotated_at", "annotation_count", "review")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if annotation.can_settle(request.user):
            return queryset
        mine = Annotation.objects.filter(tweet=OuterRef("pk"), annotator_id=request.user.pk)
        return queryset.annotate(my_label=Subquery(mine.values("label")[:1]))

    @staticmethod
    def _show_own_labels(tweets: QuerySet) -> QuerySet:
        # The queryset's cached rows are the ones the list and its formset use.
        for tweet in tweets:
            tweet.label = tweet.my_label or ""
        return tweets

    def get_list_display(self, request: HttpRequest) -> list:
        if annotation.can_settle(request.user):
            return self.list_display
        return [name for name in self.list_display if name not in ("annotations", "annotated_by")]

    def get_list_filter(self, request: HttpRequest) -> list:
        return self.list_filter if annotation.can_settle(request.user) else ["source"]

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # ?label=… or ?review=… in the address would filter by the agreed label.
        if not annotation.can_settle(request.user) and lookup.split("__")[0] != "source":
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_sortable_by(self, request: HttpRequest):
        if annotation.can_settle(request.user):
            return super().get_sortable_by(request)
        return [name for name in self.get_list_display(request) if name != "label"]

    def get_changelist_instance(self, request: HttpRequest):
        changelist = super().get_changelist_instance(request)
        if not annotation.can_settle(request.user):
            self._show_own_labels(changelist.result_list)
        return changelist

    def _get_list_editable_queryset(self, request: HttpRequest, prefix: str) -> QuerySet:
        # The list's label column is compared with the annotator's own label, as it showed.
        queryset = super()._get_list_editable_queryset(request, prefix)
        if annotation.can_settle(request.user):
            return queryset
        return self._show_own_labels(queryset)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        tweet = super().get_object(request, object_id, from_field)
        if tweet is not None and not annotation.can_settle(request.user):
            # The form shows (and compares with) the annotator's own label.
            mine = tweet.annotations.filter(annotator_id=request.user.pk).first()
            tweet.label = mine.label if mine else ""
        return tweet

    def get_fields(self, request: HttpRequest, obj: Tweet | None = None) -> list:
        fields = list(super().get_fields(request, obj))
        if annotation.can_settle(request.user):
            return fields
        return [name for name in fields if name not in self._AGREEMENT_FIELDS]

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        if annotation.can_settle(request.user) or not isinstance(response, TemplateResponse):
            return response
        # An annotator reads their own entries only, without the agreed label.
        entries = list(
            LogEntry.objects.filter(
                object_id=unquote(object_id),
                content_type=ContentType.objects.get_for_model(Tweet),
                user_id=staff_user(request).pk,
            )
            .select_related("user")
            .order_by("action_time")
        )
        for entry in entries:
            entry.change_message = annotation.private_message(entry.change_message)
        paginator = Paginator(entries, 100)
        page = paginator.get_page(request.GET.get("p", 1))
        assert response.context_data is not None  # history_view renders with a context
        response.context_data.update(
            action_list=page,
            page_range=paginator.get_elided_page_range(page.number),
            pagination_required=paginator.count > 100,
        )
        return response

    def get_readonly_fields(self, request: HttpRequest, obj: Tweet | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.has_perm("sentiment.add_tweet"):
            fields += ["text", "source"]  # annotators change the label, nothing else
        if obj is not None and annotation.can_settle(request.user):
            # Reviewers only: annotators label without seeing each other's labels.
            fields.append("annotations_by_person")
        return fields

    def save_model(self, request: HttpRequest, obj: Tweet, form, change: bool) -> None:
        # The label goes through the annotation service; the other fields are saved alone, so
        # that annotations recorded meanwhile are not overwritten by this form's old values.
        label = obj.label
        if change:
            fields = [name for name in form.changed_data if name in ("text", "source")]
            if fields:
                obj.save(update_fields=[*fields, "text_hash"])
        else:
            obj.label = ""
            obj.save()
        if "label" not in form.changed_data:
            return
        form.changed_data.remove("label")  # the service writes its own history entry
        try:
            annotation.label_from_admin([obj.pk], staff_user(request), label)
        except annotation.AnnotationError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        obj.refresh_from_db()
        if not annotation.can_settle(request.user):
            self.message_user(request, f"Your label “{label}” is recorded.", messages.SUCCESS)
        elif obj.label != label:
            self.message_user(
                request,
                f"Your label is recorded. The tweet's label is {annotation.describe(obj)}.",
                messages.WARNING,
            )

    def log_change(self, request: HttpRequest, obj: Tweet, message):
        # Nothing changed but the label, which the annotation service has logged already.
        if not message:
            return None
        return super().log_change(request, obj, message)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        pages = [
            ("annotate/", annotate_views.page, "annotate"),
            ("annotate/label/", annotate_views.label, "annotate_label"),
            ("annotate/skip/", annotate_views.skip, "annotate_skip"),
            ("annotate/undo/", annotate_views.undo, "annotate_undo"),
            ("agreement/", agreement_views.page, "agreement"),
            ("agreement/settle/", agreement_views.settle, "agreement_settle"),
            ("import/", file_views.import_page, "import"),
            ("export/", file_views.export_page, "export"),
        ]
        urls = [
            path(route, wrap(view), name=f"sentiment_tweet_{name}") for route, view, name in pages
        ]
        return urls + super().get_urls()


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Annotation)
class AnnotationAdmin(ReadOnlyAdmin):
    """Annotations are changed through their tweet; annotators see their own only."""

    list_display = ["tweet", "label", "annotator", "created_at", "updated_at"]
    list_filter = ["label"]
    list_select_related = ["tweet", "annotator"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if annotation.can_settle(request.user):
            return queryset
        return queryset.filter(annotator=request.user)

    def get_list_filter(self, request: HttpRequest) -> list:
        if annotation.can_settle(request.user):
            return [*self.list_filter, "annotator"]
        return self.list_filter


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
    change_list_template = "admin/sentiment/modelversion/change_list.html"
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
    readonly_fields = [
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
    fields = tuple(readonly_fields)
    actions = ["activate_selected", "shadow_selected", "end_shadow"]

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
            job = jobs.submit_activation(
                version.pk, staff_user(request), reason="activated in the admin"
            )
        except (versions.VersionError, jobs.JobError) as exc:
            self.message_user(request, f"Version {version.pk} not activated: {exc}", messages.ERROR)
            return
        self.message_user(
            request,
            format_html(
                "Activating version {}: a worker activates it, then rescores the unlabelled "
                'tweets. <a href="{}">Follow the job</a>.',
                version.pk,
                job_views.job_url(job),
            ),
            messages.SUCCESS,
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra = {"can_retrain": request.user.has_perm("sentiment.start_retrain")}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    @admin.action(description="Put the selected version in shadow (scores live traffic aside)")
    def shadow_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        version = queryset.get()
        try:
            run = shadow.start(version.pk, user=staff_user(request))
        except shadow.ShadowError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            f"Version {version.pk} is in shadow: {run.sample_rate:.0%} of predict requests are "
            "scored by it too. The dashboard compares it with the serving version.",
            messages.SUCCESS,
        )

    @admin.action(description="End the shadow run")
    def end_shadow(self, request: HttpRequest, queryset: QuerySet) -> None:
        ended = shadow.stop(reason=f"ended by {request.user.get_username()}")
        message = "The shadow run has ended." if ended else "No version was in shadow."
        self.message_user(request, message, messages.SUCCESS if ended else messages.WARNING)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if not request.user.is_superuser and not request.user.has_perm(
            "sentiment.activate_modelversion"
        ):
            actions.pop("activate_selected", None)
        if not request.user.has_perm("sentiment.add_shadowrun"):
            actions.pop("shadow_selected", None)
            actions.pop("end_shadow", None)
        return actions

    def get_urls(self):
        dashboard = self.admin_site.admin_view(dashboard_views.page)
        retrain = self.admin_site.admin_view(job_views.retrain)
        return [
            path("dashboard/", dashboard, name="sentiment_modelversion_dashboard"),
            path("retrain/", retrain, name="sentiment_modelversion_retrain"),
            *super().get_urls(),
        ]


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "started_at",
        "trigger",
        "started_by",
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


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    """Jobs run by the workers; a job's page refreshes itself until the job has finished."""

    change_form_template = "admin/sentiment/job/change_form.html"
    change_list_template = "admin/sentiment/job/change_list.html"
    list_display = ["created_at", "kind", "state", "user", "progress", "outcome"]
    list_filter = ["state", "kind"]
    list_select_related = ["user"]
    readonly_fields = [
        "kind",
        "state",
        "user",
        "created_at",
        "started_at",
        "finished_at",
        "progress",
        "outcome",
        "gate",
        "confusion",
        "row_errors",
        "download",
    ]
    fields = tuple(readonly_fields)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Jobs left running by a killed worker are failed before anyone reads them.
        jobs.fail_interrupted()
        return super().get_queryset(request)

    @admin.display(description="progress")
    def progress(self, job: Job) -> str:
        if job.state == Job.State.QUEUED:
            return jobs.waiting_note(job)
        rows = ""
        if job.rows_total:
            percent = 100 * job.rows_done / job.rows_total
            rows = f" — {job.rows_done:,} of {job.rows_total:,} rows ({percent:.0f}%)"
        elif job.rows_done:
            rows = f" — {job.rows_done:,} rows"
        detail = f": {job.detail}" if job.detail else ""
        return f"{job.stage}{detail}{rows}" if job.stage else "–"

    @admin.display(description="outcome")
    def outcome(self, job: Job) -> str:
        return job.message or "–"

    @admin.display(description="quality gate")
    def gate(self, job: Job) -> str:
        report = job.result.get("report", "")
        return format_html("<pre>{}</pre>", report) if report else "–"

    @admin.display(description="confusion matrix")
    def confusion(self, job: Job) -> str:
        return confusion_matrix_html(job.result.get("metrics") or {})

    @admin.display(description="rejected rows")
    def row_errors(self, job: Job) -> str:
        if not job.errors:
            return "–"
        return format_html_join("", "<div>{}</div>", ((error,) for error in job.errors))

    @admin.display(description="result")
    def download(self, job: Job) -> SafeString | str:
        if jobs.output_path(job) is None:
            return "–"
        url = reverse("admin:sentiment_job_result", args=[job.pk])
        return format_html('<a href="{}" id="job-result">Download the scores</a>', url)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra = {"can_score": request.user.has_perm("sentiment.add_job")}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("score/", wrap(job_views.score_page), name="sentiment_job_score"),
            path("<str:job_id>/result/", wrap(job_views.result), name="sentiment_job_result"),
            *super().get_urls(),
        ]
