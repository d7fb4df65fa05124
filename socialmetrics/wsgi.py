"""WSGI entry point for gunicorn: `gunicorn socialmetrics.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialmetrics.settings")

application = get_wsgi_application()
