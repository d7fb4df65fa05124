"""The Celery app: `celery -A socialmetrics worker` runs the jobs (sentiment/tasks.py).

Configuration is Django's settings under the CELERY_ namespace (CELERY_BROKER_URL…), so the
worker reads the same environment and `.env` as the web server.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialmetrics.settings")

app = Celery("socialmetrics")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
