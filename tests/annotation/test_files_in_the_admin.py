"""Importing and exporting tweet files in the admin: the commands' formats and rules."""

from __future__ import annotations

import gzip
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sentiment.models import Tweet
from tests.annotation.conftest import logged_in

IMPORT = reverse("admin:sentiment_tweet_import")
EXPORT = reverse("admin:sentiment_tweet_export")


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_a_reviewer_imports_a_csv_with_labels(reviewer):
    csv = "text,label\nJ'adore 😍,positive\nBof,0\nÀ annoter,\n".encode()

    response = logged_in(reviewer).post(IMPORT, {"file": upload("batch.csv", csv)})

    assert response.status_code == 200
    assert "Imported 3 tweets (2 labelled)" in response.content.decode()
    assert dict(Tweet.objects.values_list("text", "label")) == {
        "J'adore 😍": "positive",
        "Bof": "neutral",
        "À annoter": "",
    }
    assert Tweet.objects.get(text="Bof").source == "batch.csv"


def test_one_invalid_row_imports_nothing_and_the_page_says_which(reviewer):
    csv = b"text,label\ngood one,positive\nbad one,happy\n"

    response = logged_in(reviewer).post(IMPORT, {"file": upload("batch.csv", csv)})

    page = response.content.decode()
    assert response.status_code == 400
    assert "1 invalid row(s); nothing was imported" in page
    assert "line 3: unknown label" in page
    assert not Tweet.objects.exists()


def test_skip_invalid_imports_the_valid_rows(reviewer):
    lines = [json.dumps({"text": "ok"}), "{not json", json.dumps({"text": "fine", "label": 1})]
    data = gzip.compress("\n".join(lines).encode())

    response = logged_in(reviewer).post(
        IMPORT, {"file": upload("batch.jsonl.gz", data), "skip_invalid": "on", "source": "feed"}
    )

    page = response.content.decode()
    assert "Imported 2 tweets (1 labelled), 0 duplicates, 1 rejected." in page
    assert "line 2: invalid JSON" in page
    assert set(Tweet.objects.values_list("source", flat=True)) == {"feed"}


def test_an_unknown_file_type_is_refused_with_a_message(reviewer):
    response = logged_in(reviewer).post(IMPORT, {"file": upload("tweets.xlsx", b"PK...")})

    assert response.status_code == 400
    assert "unknown format" in response.content.decode()
    assert not Tweet.objects.exists()


def test_export_downloads_the_file_import_reads_back(reviewer):
    Tweet.objects.create(text="un 😀", label="positive", source="s")
    Tweet.objects.create(text="deux")

    response = logged_in(reviewer).get(EXPORT, {"format": "csv.gz", "labelled_only": "on"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="tweets-')
    body = gzip.decompress(b"".join(response.streaming_content)).decode()
    assert body == '"text","label","source"\n"un 😀","positive","s"\n'
    Tweet.objects.all().delete()
    logged_in(reviewer).post(IMPORT, {"file": upload("back.csv", body.encode())})
    assert list(Tweet.objects.values_list("text", "label")) == [("un 😀", "positive")]


def test_export_refuses_an_unknown_format(reviewer):
    response = logged_in(reviewer).get(EXPORT, {"format": "xml"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_the_export_form_is_shown_first(reviewer):
    response = logged_in(reviewer).get(EXPORT)

    assert response.status_code == 200
    assert b'name="labelled_only"' in response.content


def test_the_tweet_list_links_to_the_pages_a_user_may_use(reviewer, annotator):
    links = ("annotate/", "agreement/", "import/", "export/")
    list_url = reverse("admin:sentiment_tweet_changelist")
    as_reviewer = logged_in(reviewer).get(list_url).content.decode()
    as_annotator = logged_in(annotator).get(list_url).content.decode()

    assert all(f"/admin/sentiment/tweet/{link}" in as_reviewer for link in links)
    assert "/admin/sentiment/tweet/annotate/" in as_annotator
    assert not any(f"/admin/sentiment/tweet/{link}" in as_annotator for link in links[1:])
