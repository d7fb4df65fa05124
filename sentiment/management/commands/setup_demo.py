import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sentiment.models import ModelVersion, Tweet
from sentiment.services import queue_priority

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "demo_tweets.csv"
# Unlabelled tweets, so that annotation, the queue, suggestions and agreement can be tried.
TO_ANNOTATE_FILE = DEMO_FILE.with_name("demo_to_annotate.csv")
# Every OVERLAP_EVERY-th of them asks for two annotators: the agreement page has pairs to show.
OVERLAP_EVERY = 5


class Command(BaseCommand):
    help = (
        "Make a fresh installation usable: import the demo tweets into an empty database, train "
        "if no model is active, and create an admin account if there is none. Safe to re-run."
    )

    def handle(self, *args, **options):
        if not Tweet.objects.exists():
            self.stdout.write(f"Empty database: importing the demo tweets from {DEMO_FILE.name}")
            call_command("import_tweets", str(DEMO_FILE), source="demo", stdout=self.stdout)
            self.stdout.write(f"… and the tweets to annotate from {TO_ANNOTATE_FILE.name}")
            call_command("import_tweets", str(TO_ANNOTATE_FILE), source="demo", stdout=self.stdout)
            to_annotate = Tweet.objects.unlabelled().order_by("pk").values_list("pk", flat=True)
            overlap = list(to_annotate)[::OVERLAP_EVERY]
            Tweet.objects.filter(pk__in=overlap).update(annotations_wanted=2)
        if not ModelVersion.objects.filter(is_active=True).exists():
            self.stdout.write("No active model: training one")
            try:
                call_command("retrain", stdout=self.stdout)
            except CommandError as exc:
                raise CommandError(f"the demo could not be trained: {exc}") from None
        if queue_priority.refresh_needed():
            done = queue_priority.refresh()
            self.stdout.write(f"Annotation queue ordered: {done.ordered:,} tweets to annotate")
        User = get_user_model()
        if not User.objects.filter(is_superuser=True).exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser("admin", email="", password=password)
            self.stdout.write(
                self.style.SUCCESS(
                    "\nCreated the admin account (shown once, write it down):\n"
                    f"    user: admin    password: {password}\n"
                    "Change it in the admin, or make your own: python manage.py createsuperuser\n"
                )
            )
        else:
            self.stdout.write(
                "Admin: log in with your superuser (or: python manage.py createsuperuser)"
            )
