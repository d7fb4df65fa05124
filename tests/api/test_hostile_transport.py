"""Hostile framing sent to a real gunicorn: chunked bodies, bodies far over the limit.

Only a real server shows what happens when a client goes on sending while the answer is
already written, or sends no Content-Length at all.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import install_version
from tests.servers import gunicorn, peak_rss_kib, post_json, raw_request

MB = 1024 * 1024


@pytest.fixture
def server(subprocess_env, trained_artifacts, isolated_model_dir, tmp_path):
    install_version(trained_artifacts, isolated_model_dir)
    with gunicorn(subprocess_env, tmp_path / "gunicorn.log") as running:
        yield running


def chunked(total: int, size: int = 64 * 1024):
    """A JSON body of `total` bytes in HTTP/1.1 chunks, then the last, empty chunk."""
    body = b'{"tweets": ["' + b"a" * (total - 16) + b'"]}'
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def head(extra: str) -> bytes:
    return (
        "POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\n{extra}Connection: close\r\n\r\n"
    ).encode()


def assert_json_error(response, status: int, code: str) -> None:
    assert response.status == status, response
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.body)["error"] == code


def test_a_chunked_30_mb_body_is_refused_with_411(server):
    worker = server.workers[0]
    before = peak_rss_kib(worker)

    response = raw_request(server.port, head("Transfer-Encoding: chunked\r\n"), chunked(30 * MB))

    assert_json_error(response, 411, "length_required")
    assert peak_rss_kib(worker) - before < 32 * 1024
    assert post_json(server.url + "/api/predict", {"tweets": ["still up"]})[0] == 200


def test_a_30_mb_body_is_refused_by_its_length_before_it_is_read(server):
    worker = server.workers[0]
    before = peak_rss_kib(worker)
    body = b'{"tweets": ["' + b"a" * (30 * MB) + b'"]}'

    response = raw_request(
        server.port,
        head(f"Content-Length: {len(body)}\r\n"),
        (body[i : i + MB] for i in range(0, len(body), MB)),
    )

    assert_json_error(response, 413, "body_too_large")
    assert peak_rss_kib(worker) - before < 32 * 1024
    assert post_json(server.url + "/api/predict", {"tweets": ["still up"]})[0] == 200


def test_a_host_the_server_does_not_serve_gets_a_json_400(server):
    response = raw_request(
        server.port,
        b"GET /api/health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    )

    assert_json_error(response, 400, "bad_request")
