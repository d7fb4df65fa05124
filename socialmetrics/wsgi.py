"""WSGI entry point for gunicorn: `gunicorn socialmetrics.wsgi`.

Two Django handlers share one process: the paths matching `settings.API_FAST_PATHS` go through
one built with `settings.API_MIDDLEWARE`, every other path through the site's `MIDDLEWARE`.
Why, and what each chain holds, is written once, beside those settings.
"""

import os
import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialmetrics.settings")


class ChainHandler(WSGIHandler):
    """A Django WSGI handler with its own middleware chain instead of `settings.MIDDLEWARE`."""

    def __init__(self, middleware: list[str]) -> None:
        self.middleware = list(middleware)
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE and takes no other list: the setting
        # holds this handler's chain for the duration of the call only (once, at start-up,
        # before any request).
        site = settings.MIDDLEWARE
        settings.MIDDLEWARE = self.middleware
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = site


site_application = get_wsgi_application()
api_application = ChainHandler(settings.API_MIDDLEWARE)
_api_path = re.compile(settings.API_FAST_PATHS)


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    if _api_path.fullmatch(environ.get("PATH_INFO", "")):
        return api_application(environ, start_response)
    return site_application(environ, start_response)
