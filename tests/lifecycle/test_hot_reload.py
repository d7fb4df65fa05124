"""A new version reaches every server process within 5 s, with no failed request."""

from __future__ import annotations

import json
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from sentiment.services import versions
from tests.conftest import install_version
from tests.servers import gunicorn, post_json

SWITCH_LIMIT = 5.0


@dataclass
class Answer:
    server: int
    received: float
    status: int
    header_version: str | None
    body_version: int | None


def hammer(url: str, index: int, answers: list, stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        try:
            status, headers, raw = post_json(
                url + "/api/predict", {"tweets": [f"request {n} was great 😍"], "detail": True}
            )
            body = json.loads(raw)
        except (OSError, ValueError):
            status, headers, body = 0, {}, None
        answers.append(
            Answer(
                index,
                time.monotonic(),
                status,
                headers.get("X-Model-Version"),
                (body or {}).get("model_version") if isinstance(body, dict) else None,
            )
        )


@pytest.mark.slow
def test_every_server_switches_within_5_seconds_without_a_failed_request(
    subprocess_env, trained_artifacts, isolated_model_dir, tmp_path
):
    old = install_version(trained_artifacts, isolated_model_dir)
    new = install_version(trained_artifacts, isolated_model_dir, activate=False)
    env = {**subprocess_env, "SENTIMENT_RELOAD_SECONDS": "1"}
    answers: list[Answer] = []
    stop = threading.Event()
    with ExitStack() as stack:
        # Two servers sharing the database and the model folder, as two hosts would.
        servers = [
            stack.enter_context(gunicorn(env, tmp_path / "a.log", workers=2)),
            stack.enter_context(gunicorn(env, tmp_path / "b.log", workers=1)),
        ]
        threads = [
            threading.Thread(target=hammer, args=(server.url, i, answers, stop))
            for i, server in enumerate(servers)
            for _ in range(3)
        ]
        try:
            for thread in threads:
                thread.start()
            time.sleep(2)
            activated_at = time.monotonic()
            versions.activate(new.pk, reason="hot reload test")
            time.sleep(SWITCH_LIMIT + 2)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)

    assert [a for a in answers if a.status != 200] == []
    assert all(a.header_version == str(a.body_version) for a in answers)  # one version each
    for index in range(len(servers)):
        mine = [a for a in answers if a.server == index]
        before = [a for a in mine if a.received < activated_at]
        assert before
        assert {a.body_version for a in before} == {old.pk}
        last_old = max((a.received for a in mine if a.body_version == old.pk), default=0.0)
        switch = last_old - activated_at
        print(f"server {index}: switched within {max(switch, 0):.2f} s, {len(mine)} requests")
        assert switch < SWITCH_LIMIT
        after = [a for a in mine if a.received > activated_at + SWITCH_LIMIT]
        assert after
        assert {a.body_version for a in after} == {new.pk}


def test_a_reload_beside_requests_is_paced_and_other_loads_are_not(
    db, trained_artifacts, isolated_model_dir, monkeypatch
):
    # The reload thread's loading is cut into steps with pauses (sentiment/ml/pacing.py), so
    # that requests keep their latency; a load with nothing to share the process with is not.
    from sentiment.ml import pacing
    from sentiment.services.registry import registry

    pauses: list[str] = []
    monkeypatch.setattr(pacing, "STEP", 64)  # the demo model's vocabulary in many steps
    monkeypatch.setattr(pacing, "_sleep", lambda: pauses.append("pause"))
    texts = ["what a great day", "je déteste ce train", "meh"]

    first = install_version(trained_artifacts, isolated_model_dir)
    registry.refresh(background=True)  # a worker's first load: no request is waiting
    assert registry.peek().version == first.pk
    assert pauses == []
    expected = registry.peek().predictor.predict_proba(texts)

    second = install_version(trained_artifacts, isolated_model_dir)
    registry.refresh()  # on a request's own thread (SENTIMENT_RELOAD_SECONDS = 0)
    assert registry.peek().version == second.pk
    assert pauses == []

    third = install_version(trained_artifacts, isolated_model_dir)
    registry._poll()  # what the reload thread runs every SENTIMENT_RELOAD_SECONDS
    serving = registry.peek()
    assert serving.version == third.pk
    vocabulary = serving.predictor.vectorizer.word_.vocabulary_
    assert len(pauses) >= len(vocabulary) // 64  # the unpacking, then drift's word columns
    assert (serving.predictor.predict_proba(texts) == expected).all()
