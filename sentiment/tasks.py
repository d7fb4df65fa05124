"""Celery tasks: thin, each calls a service (services/jobs.py holds what a job does)."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready

from sentiment.services import jobs


@shared_task(name=jobs.TASK_NAME, acks_late=True, ignore_result=True)
def run_job(job_id: str) -> None:
    jobs.run(job_id)


@worker_ready.connect
def _at_worker_start(**kwargs: object) -> None:
    # Jobs a killed worker left running are failed now rather than at the next page view.
    jobs.fail_interrupted()
    jobs.delete_expired_files()
