from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from sentiment.services.scoring import refresh_predictions
from sentiment.services.versions import VersionError, activate


class Command(BaseCommand):
    help = (
        "Make model version N the one every server answers with (a rollback, or serving a "
        "version the quality gate rejected). Its files are verified first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", type=int, help="the version number N")
        parser.add_argument("--reason", default="", help="why, kept in the model's history")

    def handle(self, *args, version: int, reason: str, **options):
        try:
            activated = activate(version, reason=reason or "activate_model command")
        except VersionError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"the database is unreachable: {exc}") from None
        self.stdout.write(
            f"Version {activated.pk} is active; every server switches to it within a few seconds."
        )
        scored = refresh_predictions(activated)
        self.stdout.write(f"Rescored {scored:,} unlabelled tweets with version {activated.pk}.")
