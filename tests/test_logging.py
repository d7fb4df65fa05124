"""Logs: one JSON object per line on stderr in production, request logs a collector can read."""

from __future__ import annotations

import json

import pytest

from tests.conftest import install_version
from tests.servers import get, gunicorn, post_json


@pytest.mark.slow
def test_every_line_gunicorn_and_django_write_is_json_with_request_fields(
    subprocess_env, trained_artifacts, isolated_model_dir, tmp_path
):
    version = install_version(trained_artifacts, isolated_model_dir)

    with gunicorn(subprocess_env, tmp_path / "gunicorn.log") as server:
        post_json(server.url + "/api/predict", {"tweets": ["so happy today"]})
        get(server.url + "/api/nothing-here", headers={"User-Agent": "probe/1.0"})

    # Read once the server has stopped: an access record is written after its response.
    records = [
        json.loads(line) for line in server.log_text().splitlines()
    ]  # fails on any line that is not JSON
    assert all({"timestamp", "level", "logger", "message", "pid"} <= set(r) for r in records)
    predict = next(r for r in records if r["logger"] == "gunicorn.access" and r["method"] == "POST")
    assert predict["path"] == "/api/predict"
    assert predict["status"] == 200
    assert predict["model_version"] == version.pk
    assert predict["remote_addr"] == "127.0.0.1"
    assert isinstance(predict["duration_ms"], float)
    assert predict["pid"] in server.workers
    missing = next(r for r in records if r["logger"] == "django.request")
    assert (missing["level"], missing["status_code"], missing["path"]) == (
        "WARNING",
        404,
        "/api/nothing-here",
    )
    probe = next(r for r in records if r.get("path") == "/api/nothing-here" and "status" in r)
    assert (probe["status"], probe["user_agent"]) == (404, "probe/1.0")
