"""Every API error is a JSON object `{"error": <code>, "detail": <message>}` with a 4xx or 5xx.

DRF's own exceptions (malformed JSON, wrong method, wrong content type, throttling, auth) go
through `exception_handler`; a database that cannot be reached becomes a 503; anything
unexpected becomes a logged JSON 500 without a traceback; Django-level 400/404/500 on API
paths answer JSON too (`bad_request`, `not_found`, `server_error`).
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, UnsupportedMediaType
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from sentiment.api.limits import Limits

log = logging.getLogger("sentiment.api")


class BadRequest(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_request"

    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail, code)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"

    def __init__(self, limits: Limits) -> None:
        super().__init__(limits.body_too_large())


class LengthRequired(APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_code = "length_required"
    default_detail = (
        "send the body with a Content-Length header; chunked transfer encoding is not supported"
    )


class UnsupportedContentEncoding(APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_code = "unsupported_content_encoding"

    def __init__(self, encoding: str) -> None:
        super().__init__(
            f"Content-Encoding {encoding[:40]!r} is not supported: send the JSON uncompressed"
        )


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "model_unavailable"


def exception_handler(exc: Exception, context: dict) -> Response:
    if isinstance(exc, (OperationalError, InterfaceError)):
        log.warning("database unavailable in %s: %s", context.get("view"), exc)
        return Response(
            {"error": "database_unavailable", "detail": "the database cannot be reached; retry"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    # DRF answers Django's own 404 and 403 too, but with its bare body: convert them first so
    # that they get the `{"error", "detail"}` one (a `?format=` no renderer has is a 404).
    if isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        log.error("unhandled error in %s", context.get("view"), exc_info=exc)
        return Response(
            {"error": "server_error", "detail": "internal error; it has been logged"},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        detail = str(exc.detail)
        if isinstance(exc, UnsupportedMediaType):
            detail += " Send the body as JSON with Content-Type: application/json."
        response.data = {"error": code, "detail": detail}
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path.rstrip("/") == "/predict"


def bad_request(request: HttpRequest, exception: Exception, **kwargs) -> object:
    if _is_api(request):
        return JsonResponse({"error": "bad_request", "detail": "bad request"}, status=400)
    return defaults.bad_request(request, exception, **kwargs)


def not_found(request: HttpRequest, exception: Exception, **kwargs) -> object:
    if _is_api(request):
        detail = f"no API endpoint at {request.path}"
        return JsonResponse({"error": "not_found", "detail": detail}, status=404)
    return defaults.page_not_found(request, exception, **kwargs)


def server_error(request: HttpRequest, **kwargs) -> object:
    if _is_api(request):
        return JsonResponse(
            {"error": "server_error", "detail": "internal error; it has been logged"}, status=500
        )
    return defaults.server_error(request, **kwargs)
