"""`manage.py export_tweets PATH` writes what import_tweets reads: a round trip is exact."""

from __future__ import annotations

import csv
import gzip
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sentiment.models import Tweet
from tests.factories import TweetFactory

ROWS = [
    ('Il a dit "jamais" 😤, puis "peut-être"', "negative", "survey"),
    ("première ligne\nseconde ligne ✨", "positive", "demo"),
    ("  espaces  ", "neutral", "demo"),
    ("🇫🇷❤️👩‍👩‍👧 œuvre Ça", "", "stream"),
    ("\\backslash, comma; tab\tend", "positive", ""),
]


@pytest.fixture
def stored(db):
    Tweet.objects.bulk_create(
        TweetFactory.build(text=t, label=label, source=source) for t, label, source in ROWS
    )


def table() -> set[tuple[str, str, str]]:
    return set(Tweet.objects.values_list("text", "label", "source"))


@pytest.mark.parametrize("name", ["out.csv", "out.csv.gz", "out.jsonl", "out.jsonl.gz"])
def test_export_then_import_round_trips_exactly(stored, tmp_path, name):
    out = StringIO()
    call_command("export_tweets", str(tmp_path / name), stdout=out)
    assert f"Exported {len(ROWS)} tweets" in out.getvalue()
    before = table()
    Tweet.objects.all().delete()

    call_command("import_tweets", str(tmp_path / name), stdout=StringIO())

    assert table() == before == set(ROWS)


def test_csv_export_writes_labels_as_words(stored, tmp_path):
    call_command("export_tweets", str(tmp_path / "out.csv"), stdout=StringIO())

    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {row["label"] for row in rows} == {"negative", "neutral", "positive", ""}
    assert list(rows[0]) == ["text", "label", "source"]


def test_jsonl_export_writes_null_for_unlabelled(stored, tmp_path):
    call_command("export_tweets", str(tmp_path / "out.jsonl.gz"), stdout=StringIO())

    lines = gzip.decompress((tmp_path / "out.jsonl.gz").read_bytes()).decode().splitlines()
    items = [json.loads(line) for line in lines]
    assert {item["label"] for item in items} == {"negative", "neutral", "positive", None}


def test_labelled_only(stored, tmp_path):
    call_command("export_tweets", str(tmp_path / "o.jsonl"), "--labelled-only", stdout=StringIO())

    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 4


def test_an_unknown_extension_is_refused(stored, tmp_path):
    with pytest.raises(CommandError, match="unknown format"):
        call_command("export_tweets", str(tmp_path / "out.xlsx"))
    assert not (tmp_path / "out.xlsx").exists()


def test_an_unwritable_place_is_reported(stored, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")

    with pytest.raises(CommandError, match="cannot write"):
        call_command("export_tweets", str(tmp_path / "a-file" / "out.csv"))


def test_a_failed_export_leaves_the_previous_file_untouched(stored, tmp_path, monkeypatch):
    target = tmp_path / "out.csv"
    target.write_text("previous export\n")

    def broken_rows(**kwargs):
        yield ("first", "positive", "")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("sentiment.services.tweets.iter_tweets", broken_rows)
    with pytest.raises(CommandError, match="No space left"):
        call_command("export_tweets", str(target))

    assert target.read_text() == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
