"""Rate limits on /api/predict: 429 with Retry-After, counted once for all workers."""

from __future__ import annotations

import json
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import install_version, require
from tests.servers import gunicorn, post_json

TWEETS = {"tweets": ["what a day"]}


def redis_is_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def file_cache(settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }


def post(client, **headers):
    return client.post("/api/predict", data=TWEETS, content_type="application/json", **headers)


def test_past_the_limit_it_answers_429_with_retry_after(client, active_model, settings, file_cache):
    settings.API_THROTTLE_ANON = "3/minute"

    statuses = [post(client).status_code for _ in range(3)]
    refused = post(client)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["error"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert f"{refused['Retry-After']} second" in refused.json()["detail"]


def test_only_predict_is_limited(client, active_model, settings, file_cache):
    settings.API_THROTTLE_ANON = "1/minute"
    post(client)

    assert post(client).status_code == 429
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/model").status_code == 200
    assert client.get("/api/schema/").status_code == 200


def test_off_means_no_limit_and_no_cache_at_all(client, active_model, settings):
    settings.API_THROTTLE_ANON = None
    # A cache nothing listens on: any access would fail or wait for its timeout.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }

    statuses = {post(client).status_code for _ in range(50)}

    assert statuses == {200}


def test_a_cache_that_cannot_be_reached_lets_requests_through(
    client, active_model, settings, caplog
):
    settings.API_THROTTLE_ANON = "1/minute"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

    statuses = [post(client).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert "rate limits not applied: the cache cannot be reached" in caplog.text


def test_a_forged_x_forwarded_for_does_not_escape_the_limit(
    client, active_model, settings, file_cache
):
    settings.API_THROTTLE_ANON = "2/minute"

    statuses = [post(client, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code for i in range(4)]

    assert statuses == [200, 200, 429, 429]


def test_behind_one_proxy_each_client_address_has_its_own_limit(
    client, active_model, settings, file_cache
):
    settings.API_THROTTLE_ANON = "1/minute"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    # The client's own claim comes first; the proxy appends the address it saw.
    first = post(client, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
    again = post(client, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7")
    other = post(client, HTTP_X_FORWARDED_FOR="203.0.113.8")

    assert [first.status_code, again.status_code, other.status_code] == [200, 429, 200]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["redis", "files"])
def test_two_workers_share_one_count(
    backend, subprocess_env, trained_artifacts, isolated_model_dir, tmp_path
):
    install_version(trained_artifacts, isolated_model_dir)
    env = {**subprocess_env, "API_THROTTLE_ANON": "10/minute", "API_NUM_PROXIES": "1"}
    if backend == "redis":
        require(redis_is_running(), "needs Redis on 127.0.0.1:6379")
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    else:
        env["DJANGO_CACHE_DIR"] = str(tmp_path / "cache")
    # A client address of its own: no other run counts with this one, even on a shared Redis.
    client = {"X-Forwarded-For": f"test-{uuid.uuid4()}"}

    def predict_pids(log_text: str) -> list[int]:
        return [
            record["pid"]
            for record in map(json.loads, filter(None, log_text.splitlines()))
            if record.get("path") == "/api/predict" and record.get("status") in (200, 429)
        ]

    # Two at a time, so that both workers answer: one at a time, one worker may take all.
    with (
        gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server,
        ThreadPoolExecutor(2) as pool,
    ):
        # Until both workers have answered once (from another address, counted apart): a
        # worker still loading its model would leave the other to take the whole burst.
        warm_up = {"X-Forwarded-For": f"warm-up-{uuid.uuid4()}"}
        for _ in range(50):
            list(
                pool.map(
                    lambda _: post_json(server.url + "/api/predict", TWEETS, headers=warm_up),
                    range(2),
                )
            )
            if len(set(predict_pids(server.log_text()))) == 2:
                break
        before = len(predict_pids(server.log_text()))
        statuses = [
            status
            for _ in range(15)
            for status in pool.map(
                lambda _: post_json(server.url + "/api/predict", TWEETS, headers=client)[0],
                range(2),
            )
        ]
    served_by = set(predict_pids(server.log_text())[before:])

    allowed = statuses.count(200)
    assert statuses.count(429) == 30 - allowed
    # Both workers counted: with a count per process, each would have let its own 10 through.
    assert len(served_by) == 2, "both workers answered some of the requests"
    assert allowed == 10
