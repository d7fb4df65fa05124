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


def test_access_fields_of_an_answer_gunicorn_wrote_itself():
    # gunicorn answers some failures without the application (handle_error): its response
    # then has a status line but no status code, headers or bytes sent yet.
    from datetime import timedelta

    from gunicorn.http.wsgi import Response

    from socialmetrics.logformat import access_fields

    answer = Response(None, None, None)
    answer.status = "500 Internal Server Error"
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/predict", "QUERY_STRING": ""}

    fields = access_fields(answer, environ, timedelta(microseconds=2500))

    assert fields == {
        "remote_addr": None,
        "method": "GET",
        "path": "/api/predict",
        "query": None,
        "status": 500,
        "bytes": 0,
        "duration_ms": 2.5,
        "user_agent": None,
        "model_version": None,
    }
