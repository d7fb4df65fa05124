"""`manage.py import_tweets PATH`: CSV and JSON Lines, gzip, all-or-nothing, clear reports."""

from __future__ import annotations

import gzip
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sentiment.models import Tweet


def run_import(path, *args) -> str:
    out = StringIO()
    call_command("import_tweets", str(path), *args, stdout=out, stderr=out)
    return out.getvalue()


def write(path, content: str, *, encoding="utf-8") -> None:
    data = content.encode(encoding)
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)


CSV = (
    "text,label\n"
    "I love it 😍,positive\n"
    "Je déteste les lundis 😡,NEGATIVE\n"
    "Le train part à 18h,0\n"
    "pas d'avis,\n"
)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["tweets.csv", "tweets.csv.gz"])
def test_it_imports_a_csv_file(tmp_path, name):
    write(tmp_path / name, CSV)

    output = run_import(tmp_path / name)

    assert "Imported 4 tweets (3 labelled), 0 duplicates, 0 rejected" in output
    stored = dict(Tweet.objects.values_list("text", "label"))
    assert stored == {
        "I love it 😍": "positive",
        "Je déteste les lundis 😡": "negative",
        "Le train part à 18h": "neutral",
        "pas d'avis": "",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["tweets.jsonl", "tweets.jsonl.gz", "tweets.ndjson"])
def test_it_imports_json_lines(tmp_path, name):
    lines = [
        {"text": "great 👍🏽", "label": "Positive"},
        {"text": "awful", "label": -1},
        {"text": "neutre", "label": 0},
        {"text": "unknown yet", "label": None},
        {"text": "no label key"},
    ]
    write(tmp_path / name, "\n".join(json.dumps(line, ensure_ascii=False) for line in lines))

    output = run_import(tmp_path / name)

    assert "Imported 5 tweets (3 labelled)" in output
    assert Tweet.objects.get(text="great 👍🏽").label == "positive"
    assert Tweet.objects.get(text="awful").label == "negative"
    assert Tweet.objects.get(text="no label key").label == ""


@pytest.mark.django_db
def test_quotes_newlines_bom_emoji_and_accents_come_through_unchanged(tmp_path):
    texts = [
        'Il a dit "jamais" 😤, puis "peut-être"',
        "première ligne\nseconde ligne ✨",
        "trailing spaces kept  ",
        "🇫🇷❤️👩‍👩‍👧 œuvre Ça",
    ]
    body = "text,label\n" + "".join('"' + t.replace('"', '""') + '",positive\n' for t in texts)
    write(tmp_path / "t.csv", "\ufeff" + body)

    run_import(tmp_path / "t.csv")

    assert sorted(Tweet.objects.values_list("text", flat=True)) == sorted(texts)


@pytest.mark.django_db
def test_it_counts_duplicates_in_the_file_and_in_the_table(tmp_path):
    write(tmp_path / "a.csv", "text,label\nsame,positive\nother,negative\n")
    run_import(tmp_path / "a.csv")
    write(tmp_path / "b.csv", "text,label\nsame,negative\nnew,positive\nnew,positive\n")

    output = run_import(tmp_path / "b.csv")

    assert "Imported 1 tweets (1 labelled), 2 duplicates, 0 rejected" in output
    assert Tweet.objects.count() == 3
    assert Tweet.objects.get(text="same").label == "positive"  # the stored row is kept


BAD_CSV = (
    "text,label\n"
    "fine,positive\n"
    "bad label,happy\n"
    ",negative\n"
    '"multi\nline",neutral\n'
    "too,many,fields\n"
    "also fine,neutral\n"
)


@pytest.mark.django_db
def test_a_file_with_errors_imports_nothing_and_says_where(tmp_path):
    write(tmp_path / "bad.csv", BAD_CSV)
    err = StringIO()

    with pytest.raises(CommandError, match="3 invalid row"):
        call_command("import_tweets", str(tmp_path / "bad.csv"), stdout=err, stderr=err)

    assert Tweet.objects.count() == 0
    report = err.getvalue()
    assert "line 3: unknown label 'happy'" in report
    assert "line 4: empty text" in report
    assert "line 7: 3 fields where the header has 2" in report


@pytest.mark.django_db
def test_skip_invalid_imports_the_valid_rows(tmp_path):
    write(tmp_path / "bad.csv", BAD_CSV)

    output = run_import(tmp_path / "bad.csv", "--skip-invalid")

    assert "Imported 3 tweets (3 labelled), 0 duplicates, 3 rejected" in output
    assert "line 3: unknown label 'happy'" in output
    assert set(Tweet.objects.values_list("text", flat=True)) == {"fine", "multi\nline", "also fine"}


@pytest.mark.django_db
def test_it_rejects_bad_json_lines_with_their_line_numbers(tmp_path):
    write(
        tmp_path / "t.jsonl",
        '{"text": "ok", "label": "positive"}\n{"text": broken}\n[1, 2]\n{"text": 5}\n'
        '{"text": "x", "label": true}\n',
    )
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_tweets", str(tmp_path / "t.jsonl"), stdout=err, stderr=err)

    report = err.getvalue()
    assert "line 2: invalid JSON" in report
    assert "line 3: expected a JSON object, got list" in report
    assert "line 4: text must be a string, got int" in report
    assert "line 5: label must be text or -1/0/1, got bool" in report
    assert Tweet.objects.count() == 0


@pytest.mark.django_db
def test_tweets_up_to_10000_characters_are_accepted(tmp_path):
    write(tmp_path / "t.csv", f"text\n{'a' * 10_000}\n{'b' * 10_001}\n")
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_tweets", str(tmp_path / "t.csv"), stdout=err, stderr=err)
    assert "line 3: text is 10,001 characters, more than 10,000" in err.getvalue()

    run_import(tmp_path / "t.csv", "--skip-invalid")
    assert Tweet.objects.get().text == "a" * 10_000


@pytest.mark.django_db
def test_the_source_defaults_to_the_file_name(tmp_path):
    write(tmp_path / "campaign.csv", "text\nhello\n")
    write(tmp_path / "other.csv", "text,label,source\nbonjour,,survey 2026\n")
    write(tmp_path / "third.csv", "text\nhola\n")

    run_import(tmp_path / "campaign.csv")
    run_import(tmp_path / "other.csv")
    run_import(tmp_path / "third.csv", "--source", "manual batch")

    assert dict(Tweet.objects.values_list("text", "source")) == {
        "hello": "campaign.csv",
        "bonjour": "survey 2026",
        "hola": "manual batch",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("t.txt", "text\nx\n", "unknown format"),
        ("t.csv", "body,label\nx,positive\n", "no `text` column"),
        ("t.csv", "", "empty file"),
        ("t.csv.gz", "not gzip at all", "cannot be read"),
    ],
)
def test_it_refuses_unreadable_files(tmp_path, name, content, message):
    (tmp_path / name).write_text(content)

    with pytest.raises(CommandError, match=message):
        call_command("import_tweets", str(tmp_path / name))
    assert Tweet.objects.count() == 0


@pytest.mark.django_db
def test_a_csv_that_is_not_utf8_is_refused(tmp_path):
    write(tmp_path / "latin1.csv", "text\ncafé crème\n", encoding="latin-1")

    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_tweets", str(tmp_path / "latin1.csv"))


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(CommandError, match=r"cannot read .*No such file"):
        call_command("import_tweets", str(tmp_path / "nope.csv"))
