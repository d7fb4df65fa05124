# The Celery app is loaded with Django, so that submitting a job finds its tasks' settings.
from socialmetrics.celery import app as celery_app

__all__ = ("celery_app",)
