from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from sentiment.services.tweets import export_tweets
from sentiment.tweetfiles import TweetFileError


class Command(BaseCommand):
    help = (
        "Export tweets to a CSV or JSON Lines file (optionally .gz), chosen by the file's "
        "extension, in the format import_tweets reads."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help=".csv, .jsonl or .ndjson, optionally .gz")
        parser.add_argument(
            "--labelled-only", action="store_true", help="only the annotated tweets"
        )

    def handle(self, *args, path: Path, labelled_only: bool, **options):
        try:
            count = export_tweets(path, labelled_only=labelled_only)
        except TweetFileError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
        except DatabaseError as exc:
            raise CommandError(f"the database is unreachable: {exc}") from None
        self.stdout.write(f"Exported {count:,} tweets to {path}")
