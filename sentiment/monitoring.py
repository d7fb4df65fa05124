"""The `/metrics` endpoint for Prometheus, and the middleware that counts every request.

`/metrics` is off the public internet by default: it answers only a client whose address is in
METRICS_ALLOWED_IPS (127.0.0.1 and ::1 unless set) and that did not come through a proxy, or a
client sending `Authorization: Bearer <METRICS_TOKEN>` when that is set. A reverse proxy on the
same host connects from 127.0.0.1 too, which is why a request carrying X-Forwarded-For or
Forwarded is not taken as local.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from sentiment.services import metrics


class RequestMetricsMiddleware:
    """Counts each answer by route, method, status and model version, and times it.

    First in both middleware chains (socialmetrics/handlers.py), so that the time includes
    every other middleware. The route is the URL pattern's name (`predict`, `health`…), every
    admin page is `admin`, and a path that matched nothing is `unmatched`: a bounded set.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.record_request(
            _route(request),
            request.method if request.method in _METHODS else "other",
            response.status_code,
            response.headers.get("X-Model-Version", metrics.NO_VERSION),
            time.perf_counter() - started,
        )
        return response


_METHODS = frozenset({"GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "static" if request.path.startswith("/" + settings.STATIC_URL) else "unmatched"
    if match.app_name == "admin":
        return "admin"
    return match.url_name or "other"


@cache
def _allowed_networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].encode(), token.encode()):
            return True
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in _allowed_networks(settings.METRICS_ALLOWED_IPS))


def metrics_view(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return JsonResponse(
            {"error": "method_not_allowed", "detail": "use GET"},
            status=405,
            headers={"Allow": "GET"},
        )
    if not _allowed(request):
        return JsonResponse(
            {
                "error": "forbidden",
                "detail": "metrics are only served to METRICS_ALLOWED_IPS, or with the "
                "bearer token METRICS_TOKEN",
            },
            status=403,
        )
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
