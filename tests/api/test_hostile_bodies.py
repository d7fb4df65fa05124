"""Whatever a client sends, the answer is a 4xx JSON error, in bounded time and memory.

Each hostile request goes through Django's full WSGI stack (middleware, DRF, the JSON parser)
with the body already in memory, as gunicorn hands it over. Memory is the process's peak
resident size during the request (the kernel's high-water mark, reset just before), since the
parser's C code allocates outside Python's reach. The bound: three times the bytes the server
read (at most API_MAX_BODY_BYTES) plus 16 MB, whatever the body's shape; a body parsed into
one Python object per value would take about 30 times its size. Requests whose framing matters
(chunked, a body larger than the socket can take at once) also go to a real gunicorn, in
test_hostile_transport.py.
"""

from __future__ import annotations

import gc
import gzip
import io
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
import pytest
from django.conf import settings
from django.test.client import ClientHandler

from tests.conftest import require

MB = 1024 * 1024
SECONDS = 2.0


@dataclass(frozen=True)
class Hostile:
    name: str
    body: bytes | Callable[[], bytes]
    status: int
    code: str
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    path: str = "/api/predict"
    content_length: str | None = None  # None: the body's real length

    def bytes(self) -> bytes:
        return self.body() if callable(self.body) else self.body


def tweets(*items: object) -> bytes:
    return json.dumps({"tweets": list(items)}).encode()


def nested(depth: int) -> bytes:
    return b'{"tweets": [' + b"[" * depth + b"]" * depth + b"]}"


def many(item: bytes, total: int, prefix: bytes = b"[", suffix: bytes = b"]") -> bytes:
    """A body of about `total` bytes: `item` repeated, comma-separated, in a JSON array."""
    count = max(1, (total - len(prefix) - len(suffix)) // (len(item) + 1))
    return prefix + b",".join([item] * count) + suffix


def gzip_bomb() -> bytes:
    return gzip.compress(b'{"tweets": ["' + b"a" * (50 * MB) + b'"]}', compresslevel=9)


UNDER_LIMIT = 16 * MB - 1024  # just under API_MAX_BODY_BYTES' default

HOSTILE = [
    # Not UTF-8, not Unicode
    Hostile("invalid UTF-8 byte", b'{"tweets": ["caf\xe9"]}', 400, "parse_error"),
    Hostile("overlong UTF-8 encoding", b'{"tweets": ["\xc0\xaf"]}', 400, "parse_error"),
    Hostile("UTF-8 encoded surrogate", b'{"tweets": ["\xed\xa0\x80"]}', 400, "parse_error"),
    Hostile("lone high surrogate escape", b'{"tweets": ["\\ud800"]}', 400, "parse_error"),
    Hostile("lone low surrogate escape", b'{"tweets": ["\\udc00 x"]}', 400, "parse_error"),
    Hostile("body in UTF-16", '{"tweets": ["a"]}'.encode("utf-16"), 400, "parse_error"),
    Hostile("byte order mark", b'\xef\xbb\xbf{"tweets": ["a"]}', 400, "parse_error"),
    # NUL and control bytes
    Hostile("raw NUL byte in a string", b'{"tweets": ["a\x00b"]}', 400, "parse_error"),
    Hostile("raw NUL byte after the JSON", b'{"tweets": ["a"]}\x00', 400, "parse_error"),
    Hostile("raw control character", b'{"tweets": ["a\x07\x1bb"]}', 400, "parse_error"),
    # Not JSON
    Hostile("trailing garbage", b'{"tweets": []} and more', 400, "parse_error"),
    Hostile("single quotes", b"{'tweets': ['a']}", 400, "parse_error"),
    Hostile("comments", b'{"tweets": ["a"] /* hi */}', 400, "parse_error"),
    Hostile("NaN", b'{"tweets": [NaN]}', 400, "parse_error"),
    Hostile("number too large for a double", b'{"tweets": [1e999]}', 400, "parse_error"),
    Hostile("whitespace only", b" \n\t ", 400, "parse_error"),
    Hostile("empty body", b"", 400, "empty_body"),
    # Deep nesting: orjson stops at 1,024 levels
    Hostile("100,000 nested arrays", nested(100_000), 400, "too_many_values"),
    Hostile(
        "100,000 nested objects",
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        400,
        "too_many_values",
    ),
    Hostile("2,000 nested arrays in 4 KB", nested(2_000), 400, "parse_error"),
    Hostile("1,000 nested arrays as a tweet", nested(1_000), 400, "tweet_not_a_string"),
    # Wrong types where text belongs
    Hostile("numbers as tweets", tweets(1, 2.5), 400, "tweet_not_a_string"),
    Hostile("null as a tweet", tweets("ok", None), 400, "tweet_not_a_string"),
    Hostile("object as a tweet", tweets({"text": "hi"}), 400, "tweet_not_a_string"),
    Hostile("boolean as a tweet", tweets(True), 400, "tweet_not_a_string"),
    Hostile(
        "integer beyond 64 bits",
        b'{"tweets": [123456789012345678901234567890]}',
        400,
        "tweet_not_a_string",
    ),
    Hostile("tweets is null", b'{"tweets": null}', 400, "tweets_not_a_list"),
    Hostile("tweets is a string", b'{"tweets": "one tweet"}', 400, "tweets_not_a_list"),
    Hostile("tweets is an object", b'{"tweets": {"0": "a"}}', 400, "tweets_not_a_list"),
    Hostile("tweets is missing", b'{"tweet": ["a"]}', 400, "tweets_missing"),
    Hostile("body is null", b"null", 400, "not_an_object"),
    Hostile("body is an array of tweets", b'["a", "b"]', 400, "not_an_object"),
    Hostile(
        "detail is a string", b'{"tweets": ["a"], "detail": "true"}', 400, "detail_not_boolean"
    ),
    # Too much
    Hostile("1,001 tweets", lambda: tweets(*["x"] * 1_001), 400, "too_many_tweets"),
    Hostile("100,000 tweets", lambda: tweets(*["x"] * 100_000), 400, "too_many_values"),
    Hostile("a tweet of 10,001 characters", lambda: tweets("é" * 10_001), 400, "tweet_too_long"),
    Hostile("one 16 MB tweet", lambda: tweets("a" * (UNDER_LIMIT - 20)), 400, "tweet_too_long"),
    Hostile(
        "16 MB of one-letter tweets",
        lambda: many(b'"a"', UNDER_LIMIT, b'{"tweets": [', b"]}"),
        400,
        "too_many_values",
    ),
    Hostile("16 MB of empty arrays", lambda: many(b"[]", UNDER_LIMIT), 400, "too_many_values"),
    Hostile("16 MB of empty objects", lambda: many(b"{}", UNDER_LIMIT), 400, "too_many_values"),
    Hostile("16 MB of zeros", lambda: many(b"0", UNDER_LIMIT), 400, "too_many_values"),
    Hostile("a 1 MB key", lambda: b'{"' + b"k" * MB + b'": 1}', 400, "tweets_missing"),
    Hostile("a 30 MB body", lambda: tweets("a" * (30 * MB)), 413, "body_too_large"),
    Hostile(
        "a 2 GB Content-Length",
        b'{"tweets": ["a"]}',
        413,
        "body_too_large",
        content_length=str(2 * 1024 * MB),
    ),
    Hostile(
        "a body longer than its Content-Length",
        b'{"tweets": ["a"]}' + b" " * MB,
        400,
        "parse_error",
        content_length="12",
    ),
    Hostile(
        "a non-numeric Content-Length",
        b'{"tweets": ["a"]}',
        400,
        "empty_body",
        content_length="lots",
    ),
    Hostile(
        "a negative Content-Length", b'{"tweets": ["a"]}', 400, "parse_error", content_length="-1"
    ),
    # Wrong content types and encodings
    Hostile(
        "text/plain", b'{"tweets": ["a"]}', 415, "unsupported_media_type", content_type="text/plain"
    ),
    Hostile(
        "form-encoded",
        b"tweets=a&tweets=b",
        415,
        "unsupported_media_type",
        content_type="application/x-www-form-urlencoded",
    ),
    Hostile(
        "multipart form",
        b"--x\r\n\r\na\r\n--x--\r\n",
        415,
        "unsupported_media_type",
        content_type="multipart/form-data; boundary=x",
    ),
    Hostile(
        "an XML entity bomb",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><l>&a;&a;&a;</l>',
        415,
        "unsupported_media_type",
        content_type="application/xml",
    ),
    Hostile(
        "no Content-Type", b'{"tweets": ["a"]}', 415, "unsupported_media_type", content_type=None
    ),
    Hostile(
        "a gzip bomb (50 MB once inflated)",
        gzip_bomb,
        415,
        "unsupported_content_encoding",
        headers={"HTTP_CONTENT_ENCODING": "gzip"},
    ),
    Hostile(
        "chunked without Content-Length",
        b"",
        411,
        "length_required",
        headers={"HTTP_TRANSFER_ENCODING": "chunked"},
        content_length="",
    ),
    # Wrong requests
    Hostile("GET on predict", b"", 405, "method_not_allowed", method="GET"),
    Hostile("DELETE on predict", b"", 405, "method_not_allowed", method="DELETE"),
    Hostile(
        "a Host this server does not serve",
        b'{"tweets": ["a"]}',
        400,
        "bad_request",
        headers={"HTTP_HOST": "evil.example"},
    ),
    Hostile(
        "an Accept that is not JSON",
        b'{"tweets": ["a"]}',
        406,
        "not_acceptable",
        headers={"HTTP_ACCEPT": "text/html"},
    ),
    Hostile(
        "a format suffix that does not exist",
        b'{"tweets": ["a"]}',
        404,
        "not_found",
        path="/api/predict?format=xml",
    ),
    Hostile("a 10,000-character path", b"", 404, "not_found", path="/api/" + "a" * 10_000),
    Hostile("a path escaping the API", b"", 404, "not_found", path="/api/../../etc/passwd"),
]


def call(hostile: Hostile, body: bytes):
    """The request through Django's WSGI handler, as gunicorn would hand it over."""
    path, _, query = hostile.path.partition("?")
    environ = {
        "REQUEST_METHOD": hostile.method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body))
        if hostile.content_length is None
        else hostile.content_length,
        **hostile.headers,
    }
    if hostile.content_type is not None:
        environ["CONTENT_TYPE"] = hostile.content_type
    return ClientHandler(enforce_csrf_checks=True)(environ)


def _status(field: str) -> int:
    """A line of /proc/self/status, in bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise LookupError(field)


def peak_memory_of(action: Callable[[], object]) -> int:
    """Bytes by which `action` raised this process's resident memory at its highest."""
    gc.collect()
    # Writing 5 resets the kernel's high-water mark of resident memory (VmHWM) to the present.
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = _status("VmRSS:")
    action()
    return _status("VmHWM:") - before


@pytest.fixture(scope="module")
def can_measure_memory() -> None:
    require(os.access("/proc/self/clear_refs", os.W_OK), "needs Linux's /proc/self/clear_refs")


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
def test_a_hostile_request_gets_a_json_4xx_in_bounded_time_and_memory(
    hostile, active_model, can_measure_memory
):
    body = hostile.bytes()
    call(hostile, b'{"tweets": ["warm up"]}')  # middleware and model loaded before measuring

    started = time.perf_counter()
    response = call(hostile, body)
    elapsed = time.perf_counter() - started
    peak = peak_memory_of(lambda: call(hostile, body))

    assert response.status_code == hostile.status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert elapsed < SECONDS
    bytes_read = min(len(body), settings.API_MAX_BODY_BYTES)
    assert peak < 3 * bytes_read + 16 * MB, f"{peak / MB:.1f} MB for {len(body) / MB:.1f} MB"
    error = orjson.loads(response.content)
    assert error["error"] == hostile.code
    assert error["detail"]
    assert b"Traceback" not in response.content


def test_an_escaped_nul_character_is_refused_as_everywhere_else(client, active_model):
    """`\\u0000` is legal JSON, but no part of the product accepts NUL (tests/db/test_nul.py)."""
    response = client.post(
        "/api/predict", data=b'{"tweets": ["ok\\u0000 great day"]}', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == "tweet_contains_nul"


def test_a_batch_over_the_character_limit_is_refused_before_scoring(client, active_model, settings):
    """Where API_MAX_BATCH_CHARS is set, 1,000 tweets of 10,000 characters are refused fast."""
    settings.API_MAX_BATCH_CHARS = 1_000_000
    body = tweets(*["ab " * 3_333] * 1_000)

    started = time.perf_counter()
    response = client.post("/api/predict", data=body, content_type="application/json")

    assert time.perf_counter() - started < SECONDS
    assert response.status_code == 400
    assert response.json()["error"] == "batch_too_long"
    assert "1,000,000" in response.json()["detail"]
