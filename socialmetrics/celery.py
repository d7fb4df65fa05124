"""The Celery app: `celery -A socialmetrics worker` runs the jobs (sentiment/tasks.py).

Configuration is Django's settings under the CELERY_ namespace (CELERY_BROKER_URL…), so the
worker reads the same environment and `.env` as the web server.
"""

from __future__ import annotations

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialmetrics.settings")

app = Celery("socialmetrics")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def make_broker_folders(options: dict) -> None:
    """The filesystem broker's folders must exist before anyone sends or consumes."""
    for key in ("data_folder_in", "data_folder_out"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


@signals.worker_init.connect
def _worker_init(**kwargs: object) -> None:
    make_broker_folders(app.conf.broker_transport_options or {})
