"""Scoring a dataset on Spark (local[2]) with a model version: the API's numbers, verified files."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest

from sentiment.services import versions
from sentiment.services.registry import registry
from tests.conftest import ROOT, install_version

EXTRA = [
    "",
    "😍😍😍",
    "Ceci n'est pas mal du tout, franchement !",
    'a "quoted", comma\nand a second line 😡',
    "THE WORST service ever!!!",
]


def sample(demo_rows) -> list[str]:
    return [text for text, _ in demo_rows[::17]] + EXTRA


def api_detail(client, texts: list[str]) -> dict:
    response = client.post(
        "/api/predict",
        data=json.dumps({"tweets": texts, "detail": True}),
        content_type="application/json",
    )
    assert response.status_code == 200
    return response.json()


def api_scores(client, texts: list[str]) -> dict[str, float]:
    response = client.post(
        "/api/predict", data=json.dumps({"tweets": texts}), content_type="application/json"
    )
    assert response.status_code == 200
    return response.json()


def assert_same_as_api(rows: list[dict], api: dict, scores: dict[str, float]) -> None:
    by_text = {result["text"]: result for result in api["results"]}
    assert len(rows) == len(by_text)
    for row in rows:
        expected = by_text[row["text"]]
        assert row["score"] == pytest.approx(scores[row["text"]], abs=1e-4)
        assert row["score"] == pytest.approx(expected["score"], abs=1e-4)
        assert row["label"] == expected["label"]
        for label, p in expected["probabilities"].items():
            assert row[f"p_{label}"] == pytest.approx(p, abs=1e-4)
        assert row["model_version"] == api["model_version"]


def test_the_active_version_scores_a_parquet_dataset_as_the_api_does(
    spark, client, active_model, demo_rows, tmp_path
):
    from sentiment.spark.score import resolve_version, score_dataframe

    texts = sample(demo_rows)
    rows = [(i, text) for i, text in enumerate(texts)] + [(len(texts), None)]
    spark.createDataFrame(rows, "id int, text string").write.parquet(str(tmp_path / "in"))

    model = resolve_version()
    scored = score_dataframe(spark.read.parquet(str(tmp_path / "in")), model).collect()

    assert model.version == active_model.pk
    assert list(scored[0].asDict()) == [
        "id",
        "text",
        "score",
        "label",
        "p_negative",
        "p_neutral",
        "p_positive",
        "model_version",
    ]
    null_row = next(row for row in scored if row["text"] is None)
    assert null_row["score"] is None
    assert null_row["label"] is None
    assert null_row["model_version"] == active_model.pk
    assert_same_as_api(
        [row.asDict() for row in scored if row["text"] is not None],
        api_detail(client, texts),
        api_scores(client, texts),
    )


def test_a_named_version_shipped_to_the_executors_scores_as_the_api_does_once_active(
    spark, db, client, trained_artifacts, other_artifacts, isolated_model_dir, demo_rows, tmp_path
):
    from sentiment.spark.score import resolve_version, score_dataframe, ship

    serving = install_version(trained_artifacts, isolated_model_dir)
    named = install_version(other_artifacts, isolated_model_dir, activate=False)
    texts = sample(demo_rows)
    spark.createDataFrame([(t,) for t in texts], "text string").write.json(str(tmp_path / "in"))

    model = ship(spark, resolve_version(named.pk))
    scored = [
        r.asDict() for r in score_dataframe(spark.read.json(str(tmp_path / "in")), model).collect()
    ]

    assert model.shipped
    assert {row["model_version"] for row in scored} == {named.pk}
    assert api_detail(client, texts)["model_version"] == serving.pk
    versions.activate(named.pk, reason="compare with Spark")
    registry.reset()
    assert_same_as_api(scored, api_detail(client, texts), api_scores(client, texts))


def test_an_executor_refuses_files_that_do_not_match_their_checksums(
    spark, active_model, isolated_model_dir, tmp_path
):
    from pyspark.errors import PythonException

    from sentiment.spark.score import resolve_version, score_dataframe

    model = resolve_version()
    tampered = tmp_path / "tampered"
    shutil.copytree(model.path, tampered)
    pickle = tampered / "sentiment_model.pkl"
    pickle.write_bytes(pickle.read_bytes() + b"\0")
    df = spark.createDataFrame([("fine day",)], "text string")

    with pytest.raises(PythonException, match="does not match the recorded"):
        score_dataframe(df, replace(model, path=str(tampered))).collect()


def test_the_command_reads_csv_and_writes_json_with_the_api_scores(
    spark, client, subprocess_env, demo_rows, trained_artifacts, isolated_model_dir, tmp_path
):
    version = install_version(trained_artifacts, isolated_model_dir)
    texts = sample(demo_rows)
    source = tmp_path / "tweets.csv"
    with open(source, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "tweet"])
        writer.writerows(enumerate(texts))

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sentiment.spark.score",
            str(source),
            str(tmp_path / "out"),
            "--text-column",
            "tweet",
            "--output-format",
            "json",
            "--master",
            "local[1]",
        ],
        cwd=ROOT,
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert done.returncode == 0, done.stderr
    assert f"with model version {version.pk}" in done.stdout
    rows = [
        json.loads(line)
        for part in sorted((tmp_path / "out").glob("part-*.json"))
        for line in part.read_text(encoding="utf-8").splitlines()
    ]
    assert sorted(int(row["id"]) for row in rows) == list(range(len(texts)))
    # An empty CSV field is no text (Spark reads it as null): null results, which Spark's
    # JSON writer leaves out.
    empty = next(row for row in rows if int(row["id"]) == texts.index(""))
    assert set(empty) == {"id", "model_version"}
    rows.remove(empty)
    for row in rows:
        row["text"] = row.pop("tweet")
    texts.remove("")
    assert_same_as_api(rows, api_detail(client, texts), api_scores(client, texts))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--version", "99"], "error: model version 99 does not exist"),
        (["--text-column", "body"], "error: the dataset has no column 'body'"),
        (["--manifest", "missing.json"], "error: cannot read the manifest missing.json"),
    ],
)
def test_the_command_fails_in_one_line(spark, active_model, tmp_path, capsys, args, message):
    from sentiment.spark.score import main

    spark.createDataFrame([("hello",)], "text string").write.parquet(str(tmp_path / "in"))

    code = main([str(tmp_path / "in"), str(tmp_path / "out"), *args])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()
