"""NUL (U+0000) has one rule in the whole product: refused, with a message that names it.

The database cannot always hold it (PostgreSQL refuses it, Django's forms refuse it), so it is
refused where text comes in: import_tweets (CSV and JSON Lines, text and source), the admin's
import page, the tweet form, and the public API.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from sentiment.models import Tweet
from tests.annotation.conftest import logged_in


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("nul.csv", "text,label\nhello\x00world,positive\n"),
        ("nul.jsonl", json.dumps({"text": "hello\x00world", "label": "positive"}) + "\n"),
        ("nul-source.csv", "text,source\nhello world,feed\x00\n"),
    ],
)
def test_import_refuses_a_nul_with_its_line(db, tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    err = StringIO()

    with pytest.raises(CommandError, match="1 invalid row"):
        call_command("import_tweets", str(path), stdout=StringIO(), stderr=err)

    assert "contains a NUL character" in err.getvalue()
    assert not Tweet.objects.exists()


def test_the_admin_import_refuses_a_nul(make_member):
    client = logged_in(make_member("reviewers", "rev"))
    upload = SimpleUploadedFile("nul.csv", b"text\nhello\x00world\n", content_type="text/csv")

    response = client.post(reverse("admin:sentiment_tweet_import"), {"file": upload})

    assert response.status_code == 400
    assert "contains a NUL character" in response.content.decode()
    assert not Tweet.objects.exists()


def test_the_tweet_form_refuses_a_nul(admin_client):
    response = admin_client.post(
        reverse("admin:sentiment_tweet_add"), {"text": "hello\x00world", "label": "", "source": ""}
    )

    assert response.status_code == 200  # the form again, with its error
    assert "Null characters are not allowed" in response.content.decode()
    assert not Tweet.objects.exists()


def test_the_api_refuses_a_nul_like_import(client, active_model):
    body = b'{"tweets": ["ok", "ok\\u0000 great"]}'

    response = client.post("/api/predict", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "tweet_contains_nul"
    assert "tweets[1]" in response.json()["detail"]
