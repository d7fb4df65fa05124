"""WSGI entry point for gunicorn: `gunicorn socialmetrics.wsgi`.

Two Django handlers share one process: the scoring routes (`API_FAST_PATHS`) go through
one whose middleware is only `API_MIDDLEWARE` (security headers, Host check), every other
path (admin, home page, API docs) through the full `MIDDLEWARE`. Sessions, CSRF,
authentication and messages middleware do nothing for a JSON route authenticated by DRF,
yet cost about a quarter of Django's per-request time, which matters when a request scores
a single tweet.
"""

import os
import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialmetrics.settings")

site_application = get_wsgi_application()


def _handler_with(middleware: list[str]) -> WSGIHandler:
    # BaseHandler.load_middleware reads settings.MIDDLEWARE once, when the handler is built.
    full = settings.MIDDLEWARE
    settings.MIDDLEWARE = middleware
    try:
        return WSGIHandler()
    finally:
        settings.MIDDLEWARE = full


api_application = _handler_with(settings.API_MIDDLEWARE)
_api_path = re.compile(settings.API_FAST_PATHS)


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    if _api_path.fullmatch(environ.get("PATH_INFO", "")):
        return api_application(environ, start_response)
    return site_application(environ, start_response)
