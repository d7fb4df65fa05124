"""The last resort: an unexpected error is a logged JSON 500, never a traceback or a page."""

from __future__ import annotations

import pytest

from sentiment.services import prediction


@pytest.fixture
def broken_scoring(monkeypatch):
    """A bug in scoring, which no request can trigger on purpose."""

    def fail(tweets):
        raise RuntimeError("scoring exploded: secret internals")

    monkeypatch.setattr(prediction, "predict_scores", fail)


def test_an_unexpected_error_is_a_json_500_without_details(
    client, active_model, broken_scoring, caplog
):
    client.raise_request_exception = False

    response = client.post("/api/predict", data={"tweets": ["x"]}, content_type="application/json")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "server_error",
        "detail": "internal error; it has been logged",
    }
    assert b"secret internals" not in response.content
    assert "scoring exploded" in caplog.text  # the traceback goes to the log
