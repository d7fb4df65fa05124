"""POST /api/jobs, GET /api/jobs/{id} and its result: a file scored by a real worker."""

from __future__ import annotations

import csv
import io
import os
import signal
import time

import pytest

from sentiment.models import Job
from sentiment.tweetfiles import from_spreadsheet_safe
from tests.jobs.conftest import wait_for_job


def csv_upload(texts: list[str], name: str = "tweets.csv") -> io.BytesIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text"])
    writer.writerows([t] for t in texts)
    upload = io.BytesIO(buffer.getvalue().encode())
    upload.name = name
    return upload


@pytest.mark.slow
def test_a_file_scored_by_a_worker_matches_predict(
    client, redis_broker, worker_for, demo_rows, trained_artifacts, isolated_model_dir
):
    from tests.conftest import install_version

    install_version(trained_artifacts, isolated_model_dir)
    texts = [text for text, _ in demo_rows]

    with worker_for(redis_broker) as worker:
        response = client.post("/api/jobs", {"file": csv_upload(texts)})
        assert response.status_code == 202, response.content
        job_id = response.json()["id"]
        assert response["Location"].endswith(f"/api/jobs/{job_id}")
        wait_for_job(job_id, worker=worker)

    status = client.get(f"/api/jobs/{job_id}").json()
    assert status["state"] == "succeeded", status
    assert (status["rows_done"], status["rows_total"], status["errors"]) == (510, 510, [])
    result = client.get(status["result_url"])
    rows = list(csv.DictReader(io.StringIO(b"".join(result.streaming_content).decode())))
    predicted = client.post("/api/predict", {"tweets": texts}, content_type="application/json")
    scores = {from_spreadsheet_safe(row["text"]): float(row["score"]) for row in rows}
    assert scores == predicted.json()


def test_bad_rows_fail_the_job_with_the_import_messages(client, active_model):
    from sentiment.services import jobs

    response = client.post("/api/jobs", {"file": csv_upload(["fine", ""])})
    job_id = response.json()["id"]
    jobs.run(job_id)  # what the worker's task calls

    status = client.get(f"/api/jobs/{job_id}").json()
    assert status["state"] == "failed"
    assert status["message"] == "1 invalid row(s); nothing was scored " + (
        "(fix them, or score the valid rows with --skip-invalid)"
    )
    assert status["errors"] == ["line 3: empty text"]
    assert client.get(f"/api/jobs/{job_id}/result").status_code == 404


def test_a_queued_job_says_it_waits_for_a_worker(client, db):
    job_id = client.post("/api/jobs", {"file": csv_upload(["fine"])}).json()["id"]
    Job.objects.filter(pk=job_id).update(created_at=Job.objects.get().created_at.replace(year=2020))

    status = client.get(f"/api/jobs/{job_id}").json()

    assert status["state"] == "queued"
    assert "no worker has taken it: is a worker running?" in status["message"]


def test_the_broker_down_answers_503(client, settings, db):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:9//"

    response = client.post("/api/jobs", {"file": csv_upload(["fine"])})

    assert response.status_code == 503
    assert response.json()["error"] == "broker_unavailable"
    assert "could not be queued" in response.json()["detail"]
    assert not list((settings.JOBS_DIR / "files").iterdir())


def test_an_unknown_format_or_no_file_is_a_400(client, db):
    response = client.post("/api/jobs", {"file": csv_upload(["fine"], name="tweets.txt")})
    assert (response.status_code, response.json()["error"]) == (400, "unknown_format")
    response = client.post("/api/jobs", {"other": "x"})
    assert (response.status_code, response.json()["error"]) == (400, "file_missing")


def test_files_are_deleted_after_the_configured_time(client, settings, active_model):
    from sentiment.services import jobs

    job_id = client.post("/api/jobs", {"file": csv_upload(["fine"])}).json()["id"]
    jobs.run(job_id)
    assert client.get(f"/api/jobs/{job_id}/result").status_code == 200
    settings.JOBS_KEEP_HOURS = 0

    assert jobs.delete_expired_files() == 1

    assert client.get(f"/api/jobs/{job_id}/result").status_code == 404
    assert not (settings.JOBS_DIR / "files" / job_id).exists()


def test_the_schema_documents_the_jobs_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/result"} <= set(schema["paths"])
    assert "multipart/form-data" in schema["paths"]["/api/jobs"]["post"]["requestBody"]["content"]


@pytest.mark.slow
def test_a_worker_killed_mid_job_leaves_it_failed_and_nothing_half_written(
    client, redis_broker, worker_for, active_model_committed, settings
):
    texts = [f"tweet number {i} is {'great' if i % 2 else 'awful'}" for i in range(200_000)]

    with worker_for(redis_broker) as worker:
        job_id = client.post("/api/jobs", {"file": csv_upload(texts)}).json()["id"]
        wait_for_job(job_id, until=("running",), worker=worker)
        deadline = time.monotonic() + 120
        while Job.objects.get(pk=job_id).stage != "scoring" and time.monotonic() < deadline:
            time.sleep(0.2)
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait()

    status = client.get(f"/api/jobs/{job_id}").json()
    assert status["state"] == "failed"
    assert status["message"].startswith("interrupted: its worker process is gone")
    assert status["result_url"] is None
    folder = settings.JOBS_DIR / "files" / job_id
    assert sorted(p.name for p in folder.iterdir()) == ["tweets.csv"]


def multipart(name: str, content: bytes) -> tuple[bytes, str]:
    boundary = "socialmetrics-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.slow
def test_with_token_auth_only_the_owner_sees_its_job(subprocess_env, tmp_path, django_user_model):
    import json
    import urllib.request

    from rest_framework.authtoken.models import Token

    from tests.servers import get, gunicorn

    owner = Token.objects.create(user=django_user_model.objects.create_user("owner")).key
    other = Token.objects.create(user=django_user_model.objects.create_user("other")).key
    env = {**subprocess_env, "API_AUTH": "token"}
    body, content_type = multipart("tweets.csv", b"text\nfine\n")
    with gunicorn(env, tmp_path / "gunicorn.log", ready_status=None) as server:
        request = urllib.request.Request(
            server.url + "/api/jobs",
            data=body,
            headers={"Content-Type": content_type, "Authorization": f"Token {owner}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 202
            job_id = json.loads(response.read())["id"]
        url = f"{server.url}/api/jobs/{job_id}"
        as_owner = get(url, headers={"Authorization": f"Token {owner}"})
        as_other = get(url, headers={"Authorization": f"Token {other}"})
        anonymous = get(url)

    assert as_owner[0] == 200
    assert json.loads(as_owner[2])["state"] == "queued"
    assert as_other[0] == 404
    assert anonymous[0] == 401
    assert Job.objects.get().user.username == "owner"
