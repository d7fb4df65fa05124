"""Importing and exporting tweet files in the admin, with the commands' code and formats."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django import forms
from django.db import DatabaseError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from sentiment.admin_views import admin_context, require, staff_user
from sentiment.services.tweets import ImportRejected, export_tweets, import_tweets
from sentiment.tweetfiles import TweetFileError

SHOWN_REJECTIONS = 50
FORMATS = [(f, f) for f in ("csv", "csv.gz", "jsonl", "jsonl.gz")]


class ImportForm(forms.Form):
    file = forms.FileField(help_text=".csv, .jsonl or .ndjson, optionally .gz (the name decides)")
    source = forms.CharField(
        required=False,
        max_length=200,
        help_text="Where the tweets came from (default: the file's name).",
    )
    skip_invalid = forms.BooleanField(
        required=False,
        help_text="Import the valid rows, skip the others (otherwise one invalid row imports "
        "nothing).",
    )


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=FORMATS, initial="csv")
    labelled_only = forms.BooleanField(required=False, help_text="Only the annotated tweets.")


def import_page(request: HttpRequest) -> HttpResponse:
    require(request, "sentiment.add_tweet")
    report, rejected, error = None, [], ""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = import_tweets(
                upload.file,
                upload.name,
                source=form.cleaned_data["source"] or None,
                skip_invalid=form.cleaned_data["skip_invalid"],
                annotator=staff_user(request),
            )
            rejected = report.rejected
        except TweetFileError as exc:
            error = str(exc)
        except ImportRejected as exc:
            error = f"{upload.name}: {exc}."
            rejected = exc.report.rejected
        except DatabaseError as exc:
            error = f"the database is unavailable, nothing was imported: {exc}"
    context = admin_context(
        request,
        "Import tweets",
        form=form,
        report=report,
        error=error,
        rejected=rejected[:SHOWN_REJECTIONS],
        more_rejected=max(0, len(rejected) - SHOWN_REJECTIONS),
    )
    status = 400 if error or (request.method == "POST" and not form.is_valid()) else 200
    return TemplateResponse(request, "admin/sentiment/tweet/import.html", context, status=status)


def export_page(request: HttpRequest) -> HttpResponse | FileResponse:
    require(request, "sentiment.export_tweet")
    form = ExportForm(request.GET if "format" in request.GET else None)
    error = ""
    if form.is_bound and form.is_valid():
        name = f"tweets-{timezone.now():%Y%m%d-%H%M%S}.{form.cleaned_data['format']}"
        try:
            return _export(name, labelled_only=form.cleaned_data["labelled_only"])
        except (OSError, TweetFileError) as exc:
            error = f"the export failed: {exc}"
        except DatabaseError as exc:
            error = f"the database is unavailable: {exc}"
    context = admin_context(request, "Export tweets", form=form, error=error)
    status = 400 if error or (form.is_bound and not form.is_valid()) else 200
    return TemplateResponse(request, "admin/sentiment/tweet/export.html", context, status=status)


def _export(name: str, *, labelled_only: bool) -> FileResponse:
    # The commands' writer makes the file complete or not at all; it is then streamed and
    # removed (the open handle keeps its data until the response is sent).
    with tempfile.TemporaryDirectory(prefix="export-") as directory:
        path = Path(directory) / name
        export_tweets(path, labelled_only=labelled_only)
        handle = open(path, "rb")  # noqa: SIM115 (FileResponse closes it)
        os.unlink(path)
    return FileResponse(handle, as_attachment=True, filename=name)
