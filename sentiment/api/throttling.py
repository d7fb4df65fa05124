"""Rate limits on /api/predict: Django REST framework throttles counting in the shared cache.

API_THROTTLE_ANON limits each client address while the API is open; API_THROTTLE_USER limits
each token's owner with API_AUTH=token. A rate set to `off` installs no throttle at all, so
that predict then makes no cache access.

Each limit is a fixed window: `600/minute` allows 600 requests in each clock minute, counted
by one integer in the cache. On Redis that is a single round trip (a small script: INCR, and
EXPIRE on a new window's counter), atomic across every worker and host, and little more than
a bare PING costs (bench/throttle_cost.py). DRF's own SimpleRateThrottle keeps the time of
every request in a list that it reads and rewrites whole on each call, 5 to 10 times slower
at 600 to 6000 requests a minute, and concurrent workers overwrite each other's updates.
The price of a fixed window is that a client may send up to twice the rate across a window
boundary.

The file cache (no REDIS_URL) counts with a read then a write under a lock file, about 0.3 ms:
exact for the processes of one host, which all that cache can share. If the cache cannot be
reached, requests are let through and the failure logged (once a minute): the rate limit is
not worth an outage.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import time
import weakref
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
from rest_framework.views import APIView

log = logging.getLogger(__name__)

_LOG_EVERY_SECONDS = 60.0
_last_failure_logged = -_LOG_EVERY_SECONDS


class _FixedWindowThrottle(SimpleRateThrottle):
    setting = ""  # the setting that holds this throttle's rate
    # Set by SimpleRateThrottle.__init__ from the rate (DRF's stubs leave them out).
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        return getattr(settings, self.setting)

    def identity(self, request: Request) -> str | None:
        """Who is counted, or None for a request this throttle does not limit."""
        raise NotImplementedError

    def allow_request(self, request: Request, view: APIView) -> bool:
        who = self.identity(request)
        if who is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        # Hashed: the key stays short and clean whatever X-Forwarded-For held.
        digest = hashlib.blake2b(who.encode(), digest_size=12).hexdigest()
        key = f"throttle:{self.scope}:{digest}:{window}"
        try:
            count = _count(key, self.duration + 1)
        except Exception:  # any cache failure: Redis away, disk full, timeout
            _log_failure()
            return True
        if count <= self.num_requests:
            return True
        self.retry_after = (window + 1) * self.duration - now
        return False

    def wait(self) -> float:
        return self.retry_after


class AnonRateThrottle(_FixedWindowThrottle):
    """API_THROTTLE_ANON per client address (see API_NUM_PROXIES behind a proxy)."""

    scope = "anon"
    setting = "API_THROTTLE_ANON"

    def identity(self, request: Request) -> str | None:
        user = request.user
        if user is not None and user.is_authenticated:
            return None
        return self.get_ident(request)


class UserRateThrottle(_FixedWindowThrottle):
    """API_THROTTLE_USER per token owner."""

    scope = "user"
    setting = "API_THROTTLE_USER"

    def identity(self, request: Request) -> str | None:
        user = request.user
        if user is None or not user.is_authenticated:
            return None
        return str(user.pk)


def predict_throttles() -> list[BaseThrottle]:
    """The throttles for one predict request, from the current settings."""
    if settings.API_AUTH == "token":
        return [UserRateThrottle()] if settings.API_THROTTLE_USER else []
    return [AnonRateThrottle()] if settings.API_THROTTLE_ANON else []


def _count(key: str, timeout: int) -> int:
    """Add one to the counter `key` (created with `timeout` seconds to live); its new value."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return int(_redis_counter(backend)(keys=[backend.make_key(key)], args=[timeout]))
    if isinstance(backend, FileBasedCache):
        # The file cache has no atomic increment: without a lock, two workers counting at the
        # same instant both read N and write N + 1 (a test saw 14 requests pass a limit of 10).
        lock = Path(settings.CACHES["default"]["LOCATION"]) / "throttle.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            count = (backend.get(key) or 0) + 1
            backend.set(key, count, timeout)
        return count
    count = (backend.get(key) or 0) + 1
    backend.set(key, count, timeout)
    return count


# Increment, and give a new counter its expiry, atomically in one round trip.
_INCREMENT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_counters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _redis_counter(backend: RedisCache) -> Any:
    """The increment script on `backend`'s Redis, made once per cache object.

    Django's cache API has no increment that also sets an expiry, and its Redis backend
    builds a new client object for every call (about as long as a round trip to a local
    Redis): the script keeps one client per process. It is reached through the backend's
    `_cache` (Django is pinned in requirements.txt; tests/api/test_throttling.py runs this
    on a real Redis).
    """
    script = _counters.get(backend)
    if script is None:
        client = backend._cache.get_client(None, write=True)
        script = _counters[backend] = client.register_script(_INCREMENT)
    return script


def _log_failure() -> None:
    global _last_failure_logged
    now = time.monotonic()
    if now - _last_failure_logged >= _LOG_EVERY_SECONDS:
        _last_failure_logged = now
        log.warning("rate limits not applied: the cache cannot be reached", exc_info=True)
