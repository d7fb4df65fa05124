"""API_AUTH=token: Django REST framework's token check, remembered by each server process.

DRF's TokenAuthentication looks the key up in the database on every request. Here a key that
checked out is remembered for API_TOKEN_CACHE_SECONDS, so that predict makes no query in the
common case and keeps answering known clients while the database is away. The price: a token
revoked or rotated keeps working for at most that long in each process. Unknown keys are not
remembered (each one is one indexed query, then a 401).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from rest_framework.authentication import TokenAuthentication

# Past this many remembered keys the memory is dropped and refilled from the database.
MAX_REMEMBERED = 10_000


class CachedTokenAuthentication(TokenAuthentication):
    _remembered: dict[str, tuple[float, tuple[Any, Any]]] = {}
    _lock = threading.Lock()

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        now = time.monotonic()
        hit = self._remembered.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        result = super().authenticate_credentials(key)
        with self._lock:
            if len(self._remembered) >= MAX_REMEMBERED:
                self._remembered.clear()
            self._remembered[key] = (now + settings.API_TOKEN_CACHE_SECONDS, result)
        return result
