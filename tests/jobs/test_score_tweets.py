"""`manage.py score_tweets IN OUT`: every row scored as /api/predict scores it, or no output."""

from __future__ import annotations

import csv
import gzip
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sentiment.tweetfiles import SCORED_COLUMNS, from_spreadsheet_safe


def write_csv(path, rows, header=("text", "label")) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.mark.parametrize("processes", [1, 2])
def test_scores_are_the_apis(client, active_model, demo_rows, tmp_path, processes):
    texts = [text for text, _ in demo_rows[:300]]
    write_csv(tmp_path / "in.csv", [(t, "") for t in texts])
    out = StringIO()

    call_command(
        "score_tweets",
        str(tmp_path / "in.csv"),
        str(tmp_path / "out.csv"),
        "--processes",
        str(processes),
        stdout=out,
    )

    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    predicted = client.post("/api/predict", {"tweets": texts}, content_type="application/json")
    assert tuple(rows[0]) == SCORED_COLUMNS
    # A text a spreadsheet would run is written behind an apostrophe (as exports are).
    assert [from_spreadsheet_safe(row["text"]) for row in rows] == texts
    assert any(row["text"] == "'" + text for row, text in zip(rows, texts, strict=True))
    scores = {from_spreadsheet_safe(row["text"]): float(row["score"]) for row in rows}
    assert scores == predicted.json()
    detail = client.post(
        "/api/predict", {"tweets": texts[:20], "detail": True}, content_type="application/json"
    ).json()["results"]
    for row, expected in zip(rows, detail, strict=False):
        assert row["label"] == expected["label"]
        assert float(row["p_positive"]) == expected["probabilities"]["positive"]
        assert int(row["model_version"]) == active_model.pk
    assert f"Scored 300 tweets with version {active_model.pk}" in out.getvalue()


def test_gzip_json_lines_in_and_out(active_model, tmp_path):
    with gzip.open(tmp_path / "in.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": "I love it 😍"}) + "\n")
        fh.write(json.dumps({"text": "This is the worst day ever 😡"}) + "\n")

    call_command(
        "score_tweets",
        str(tmp_path / "in.jsonl.gz"),
        str(tmp_path / "out.jsonl.gz"),
        stdout=StringIO(),
    )

    with gzip.open(tmp_path / "out.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    assert [row["label"] for row in rows] == ["positive", "negative"]
    assert set(rows[0]) == set(SCORED_COLUMNS)


def test_a_file_with_bad_rows_gives_no_output_and_the_import_messages(active_model, tmp_path):
    write_csv(tmp_path / "in.csv", [("fine", ""), ("", ""), ("ok", "maybe")])
    err = StringIO()

    with pytest.raises(CommandError, match=r"2 invalid row\(s\); nothing was scored"):
        call_command(
            "score_tweets", str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), stderr=err
        )

    assert "rejected line 3: empty text" in err.getvalue()
    assert "rejected line 4: unknown label 'maybe'" in err.getvalue()
    assert not (tmp_path / "out.csv").exists()
    assert not list(tmp_path.glob(".out.csv*"))


def test_skip_invalid_scores_the_valid_rows(active_model, tmp_path):
    write_csv(tmp_path / "in.csv", [("fine", ""), ("", "")])
    out = StringIO()

    call_command(
        "score_tweets",
        str(tmp_path / "in.csv"),
        str(tmp_path / "out.csv"),
        "--skip-invalid",
        stdout=out,
    )

    assert "Scored 1 tweets" in out.getvalue()
    assert "rejected line 3: empty text" in out.getvalue()


def test_without_a_model_it_says_what_to_run(db, tmp_path):
    write_csv(tmp_path / "in.csv", [("fine", "")])
    with pytest.raises(CommandError, match="no model is active: train one first"):
        call_command("score_tweets", str(tmp_path / "in.csv"), str(tmp_path / "out.csv"))


def test_an_unknown_format_is_refused(active_model, tmp_path):
    (tmp_path / "in.txt").write_text("hello")
    with pytest.raises(CommandError, match="unknown format"):
        call_command("score_tweets", str(tmp_path / "in.txt"), str(tmp_path / "out.csv"))
