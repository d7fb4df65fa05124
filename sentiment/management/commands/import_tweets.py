from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from sentiment.services.tweets import ImportRejected, import_tweets
from sentiment.tweetfiles import TweetFileError, format_rejections


class Command(BaseCommand):
    help = (
        "Import tweets from a CSV (header with `text`, optional `label`, `source`) or JSON Lines "
        "file, optionally gzip-compressed. A file with invalid rows imports nothing unless "
        "--skip-invalid is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help=".csv, .jsonl or .ndjson, optionally .gz")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the valid rows, skip the others"
        )
        parser.add_argument(
            "--source", help="where the tweets came from (default: the file's name)"
        )

    def handle(self, *args, path: Path, skip_invalid: bool, source: str | None, **options):
        try:
            with open(path, "rb") as stream:
                report = import_tweets(stream, path.name, source=source, skip_invalid=skip_invalid)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
        except TweetFileError as exc:
            raise CommandError(str(exc)) from None
        except ImportRejected as exc:
            self._show_rejections(exc.report.rejected, self.stderr)
            raise CommandError(
                f"{path}: {exc}. {exc.report.rows - len(exc.report.rejected):,} valid row(s)."
            ) from None
        except DatabaseError as exc:
            raise CommandError(
                f"the database is unreachable: {exc}; nothing was imported"
            ) from None
        self.stdout.write(
            f"Imported {report.imported:,} tweets ({report.labelled:,} labelled), "
            f"{report.duplicates:,} duplicates, {len(report.rejected):,} rejected."
        )
        self._show_rejections(report.rejected, self.stdout)

    def _show_rejections(self, rejected: list, out) -> None:
        for line in format_rejections(rejected):
            out.write(line)
