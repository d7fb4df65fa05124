"""Emoji, accents and other 4-byte characters survive the database (utf8mb4 on MySQL)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from sentiment.models import Tweet

TEXTS = [
    "J'adore ce café ☕️ à Montréal — c'était génial !",
    "🇫🇷🇬🇧 flags, 👩‍👩‍👧‍👦 family, 👍🏽 skin tone, 🫠 newer emoji",
    "𝓯𝓪𝓷𝓬𝔂 math letters and 𠜎 CJK extension B",
    "Œuvre, naïve, Ærø, ß, ĳ, İstanbul",
    "zero\u200bwidth and combining e\u0301",
]


@pytest.mark.django_db
def test_texts_come_back_byte_for_byte():
    for text in TEXTS:
        Tweet.objects.create(text=text, label="positive")

    stored = set(Tweet.objects.values_list("text", flat=True))

    assert stored == set(TEXTS)


@pytest.mark.django_db
def test_search_finds_an_emoji():
    Tweet.objects.create(text="so happy 😍 today")
    Tweet.objects.create(text="so happy today")

    assert list(Tweet.objects.filter(text__contains="😍").values_list("text", flat=True)) == [
        "so happy 😍 today"
    ]


@pytest.mark.django_db
def test_import_keeps_emoji(tmp_path):
    (tmp_path / "t.jsonl").write_text(
        "\n".join(f'{{"text": "{t}", "label": "neutral"}}' for t in TEXTS[:2]), encoding="utf-8"
    )

    call_command("import_tweets", str(tmp_path / "t.jsonl"), stdout=StringIO())

    assert set(Tweet.objects.values_list("text", flat=True)) == set(TEXTS[:2])


@pytest.mark.django_db
def test_mysql_uses_utf8mb4_for_the_table_and_the_connection():
    if connection.vendor != "mysql":
        pytest.skip("MySQL/MariaDB only (DATABASE_URL=mysql://...)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@character_set_connection, @@character_set_database")
        assert cursor.fetchone() == ("utf8mb4", "utf8mb4")
        cursor.execute("SHOW CREATE TABLE tweets")
        assert "CHARSET=utf8mb4" in cursor.fetchone()[1]
