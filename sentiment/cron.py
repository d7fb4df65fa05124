"""Jobs run by cron through django-crontab (see CRONJOBS in settings)."""

from __future__ import annotations

import sys

from django.utils import timezone

from sentiment.models import TrainingRun
from sentiment.services.training import RetrainError, retrain


def scheduled_retrain() -> None:
    """The weekly retrain. Its output goes to var/log/retrain.log (CRONJOBS).

    django-crontab logs and swallows a job's exception, so a failure is made visible here: a
    dated line in the log, and the failed TrainingRun that the admin lists.
    """
    print(f"=== scheduled retrain at {timezone.now().isoformat(timespec='seconds')}", flush=True)
    try:
        retrain(trigger=TrainingRun.Trigger.SCHEDULE, report=lambda line: print(line, flush=True))
    except RetrainError as exc:
        # Not re-raised: django-crontab would only add a traceback to the log.
        print(f"retrain failed: {exc}", file=sys.stderr, flush=True)


def scheduled_queue_refresh() -> None:
    """Every few minutes: the annotation queue's order, refreshed once enough labels came in."""
    from sentiment.services.queue_priority import refresh_if_needed

    done = refresh_if_needed()
    if done is not None:
        print(
            f"=== queue refreshed at {done.at}: {done.ordered:,} open tweets by {done.mode}, "
            f"{done.labelled:,} labels, {done.seconds:.1f} s",
            flush=True,
        )
