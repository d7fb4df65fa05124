"""The WSGI entry point gunicorn serves: scoring routes through the lean middleware chain,
every other page through the site's full one."""

import json

import pytest

from tests.conftest import install_version
from tests.servers import get, gunicorn, post_json


@pytest.fixture
def server(subprocess_env, trained_artifacts, isolated_model_dir, tmp_path):
    install_version(trained_artifacts, isolated_model_dir)
    with gunicorn(subprocess_env, tmp_path / "gunicorn.log") as running:
        yield running


def test_scoring_routes_take_the_lean_chain_and_other_pages_the_full_one(server):
    for path in ("/api/predict", "/api/predict/", "/predict", "/predict/"):
        status, headers, body = post_json(server.url + path, {"tweets": ["I love it", "nul"]})
        assert status == 200, path
        assert set(json.loads(body)) == {"I love it", "nul"}
        # SecurityMiddleware ran; the site chain's clickjacking middleware did not.
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "X-Frame-Options" not in headers, path

    status, headers, _ = get(server.url + "/api/health")
    assert status == 200
    assert "X-Frame-Options" not in headers

    for path in ("/admin/login/", "/api/docs/", "/"):
        status, headers, _ = get(server.url + path)
        assert status == 200, path
        assert headers["X-Frame-Options"] == "DENY", path


def test_errors_on_the_lean_chain_are_json(server):
    status, headers, body = post_json(server.url + "/api/predict", {"tweets": "not a list"})

    assert status == 400
    assert headers["Content-Type"].startswith("application/json")
    assert "error" in json.loads(body)
