"""What a rate limit adds to each predict request, by cache backend and throttle kind.

    .venv/bin/python bench/throttle_cost.py      # needs Redis on 127.0.0.1:6379

Times the throttle check alone (`allow_request`), in process, for: this project's
fixed-window counter on Redis and on the file cache, and DRF's own AnonRateThrottle (a list
of request times, read and rewritten whole) on Redis, holding the history of a client at
600/minute and at 6000/minute. A Redis PING gives the cost of one round trip. Prints
microseconds per request; compare them within one run (the machine's load moves them all).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(
    DJANGO_SETTINGS_MODULE="socialmetrics.settings",
    SOCIALMETRICS_ENV_FILE="",
    DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-only"),
)

import django  # noqa: E402

django.setup()

from django.core.cache import caches  # noqa: E402
from django.test import override_settings  # noqa: E402
from rest_framework import throttling as drf  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402

from sentiment.api import throttling  # noqa: E402

CALLS = 2000
REDIS = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379/0",
}
FILES = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}


def per_call_us(action) -> float:
    action()  # connect, warm up
    started = time.perf_counter()
    for _ in range(CALLS):
        action()
    return (time.perf_counter() - started) / CALLS * 1e6


class DrfThrottle(drf.AnonRateThrottle):
    """DRF's own throttle, on the current cache, that never refuses (to time its writes)."""

    def __init__(self) -> None:
        self.cache = caches["default"]
        super().__init__()

    def get_rate(self) -> str:
        return "100000000/day"


def main() -> None:
    request = Request(APIRequestFactory().post("/api/predict", REMOTE_ADDR="198.51.100.7"))
    request.user = None
    with override_settings(CACHES={"default": REDIS}):
        client = caches["default"]._cache.get_client(None)
        print(f"{'Redis PING (one round trip)':45} {per_call_us(client.ping):8.1f} µs")
    for name, cache in (("Redis", REDIS), ("files", {**FILES, "LOCATION": tempfile.mkdtemp()})):
        with override_settings(CACHES={"default": cache}, API_THROTTLE_ANON="100000000/day"):
            caches["default"].clear()
            us = per_call_us(lambda: throttling.AnonRateThrottle().allow_request(request, None))
            print(f"{'this counter, ' + name:45} {us:8.1f} µs per request")
    with override_settings(CACHES={"default": REDIS}):
        for history in (600, 6000):
            caches["default"].clear()
            key = DrfThrottle().get_cache_key(request, None)
            caches["default"].set(key, [time.time()] * history, 3600)
            us = per_call_us(lambda: DrfThrottle().allow_request(request, None))
            label = f"DRF AnonRateThrottle, Redis, {history}+ times kept"
            print(f"{label:45} {us:8.1f} µs per request")


if __name__ == "__main__":
    main()
