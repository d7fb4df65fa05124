from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from sentiment.models import Job
from sentiment.services import jobs
from sentiment.services.versions import VersionError


class Command(BaseCommand):
    help = (
        "Make model version N the one every server answers with (a rollback, or serving a "
        "version the quality gate rejected), then rescore the unlabelled tweets. Its files are "
        "verified first. Runs here, as a job recorded in the admin, under the retrain lock."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", type=int, help="the version number N")
        parser.add_argument("--reason", default="", help="why, kept in the model's history")

    def handle(self, *args, version: int, reason: str, **options):
        try:
            job = jobs.activate_here(version, reason=reason or "activate_model command")
        except VersionError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"the database is unreachable: {exc}") from None
        if job.state != Job.State.SUCCEEDED:
            raise CommandError(job.message)
        self.stdout.write(
            f"Version {version} is active; every server switches to it within a few seconds."
        )
        self.stdout.write(
            f"Rescored {job.result['rescored']:,} unlabelled tweets with version {version}."
        )
