import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sentiment.models import TrainingRun
from sentiment.services.progress import SILENT, PrintProgress
from sentiment.services.training import RetrainError, retrain


class Command(BaseCommand):
    help = (
        "Train a new model version on the annotated tweets, evaluate it on the held-out split, "
        "and activate it if it is not worse than the serving one (the quality gate)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="activate the new version even if it is worse"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="train and report, save and activate nothing"
        )
        parser.add_argument(
            "--trigger",
            choices=TrainingRun.Trigger.values,
            default=TrainingRun.Trigger.MANUAL,
            help="what started this run, as recorded in its history (default: manual)",
        )

    def handle(self, *args, force: bool, dry_run: bool, trigger: str, **options):
        # Progress only on a terminal: under cron the log keeps the report alone.
        interactive = sys.stderr.isatty()
        try:
            retrain(
                trigger=trigger,
                force=force,
                dry_run=dry_run,
                report=self.stdout.write,
                progress=PrintProgress(self.stderr.write) if interactive else SILENT,
            )
        except RetrainError as exc:
            raise CommandError(f"retrain failed: {exc}") from None
