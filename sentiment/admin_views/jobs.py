"""Jobs in the admin: train a new version now, score a file, follow a job, get its result.

The work itself runs on a Celery worker (services/jobs.py); these views only submit and show.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import DatabaseError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from sentiment.admin_views import admin_context, require, staff_user
from sentiment.models import Job
from sentiment.services import jobs
from sentiment.tweetfiles import TweetFileError


class ScoreForm(forms.Form):
    file = forms.FileField(help_text=".csv, .jsonl or .ndjson, optionally .gz (the name decides)")
    skip_invalid = forms.BooleanField(
        required=False,
        help_text="Score the valid rows, skip the others (otherwise one invalid row scores "
        "nothing).",
    )


@require_POST
def retrain(request: HttpRequest) -> HttpResponse:
    require(request, "sentiment.start_retrain")
    try:
        job = jobs.submit_retrain(staff_user(request))
    except jobs.JobError as exc:
        messages.error(request, f"No new training started: {exc}.")
        return redirect("admin:sentiment_modelversion_changelist")
    except DatabaseError as exc:
        messages.error(request, f"No new training started: the database is unavailable ({exc}).")
        return redirect("admin:sentiment_modelversion_changelist")
    messages.success(request, "Training a new version: this page follows it.")
    return redirect("admin:sentiment_job_change", job.pk)


def score_page(request: HttpRequest) -> HttpResponse:
    require(request, "sentiment.add_job")
    form = ScoreForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = jobs.submit_scoring(
                upload.file,
                upload.name,
                staff_user(request),
                skip_invalid=form.cleaned_data["skip_invalid"],
            )
        except (TweetFileError, jobs.JobError) as exc:
            error = str(exc)
        else:
            messages.success(request, f"{upload.name} is queued for scoring: this page follows it.")
            return redirect("admin:sentiment_job_change", job.pk)
    context = admin_context(request, "Score a file", form=form, error=error)
    status = 400 if error or (request.method == "POST" and not form.is_valid()) else 200
    return TemplateResponse(request, "admin/sentiment/job/score.html", context, status=status)


def result(request: HttpRequest, job_id: str) -> FileResponse:
    require(request, "sentiment.view_job")
    job = Job.objects.filter(pk=job_id).first() if _is_uuid(job_id) else None
    path = jobs.output_path(job) if job else None
    if path is None:
        raise Http404("this job has no result (not finished, failed, or deleted since)")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=path.name)


def job_url(job: Job) -> str:
    return reverse("admin:sentiment_job_change", args=[job.pk])


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
