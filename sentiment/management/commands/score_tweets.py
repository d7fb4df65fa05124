import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from sentiment.ml.artifacts import ArtifactError
from sentiment.services.filescoring import ScoreRejected, ScoringError, score_file
from sentiment.services.progress import Progress
from sentiment.tweetfiles import TweetFileError, format_rejections


class TqdmProgress(Progress):
    """A progress bar on a terminal, one per stage."""

    def __init__(self) -> None:
        self.bar = None

    def stage(self, name: str, detail: str = "") -> None:
        from tqdm import tqdm

        self.close()
        self.bar = tqdm(desc=name, unit=" tweets", unit_scale=True, file=sys.stderr)

    def rows(self, done: int, total: int | None = None) -> None:
        if self.bar is None:
            return
        if total is not None and self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Score every tweet of a CSV or JSON Lines file (optionally .gz) with the active model: "
        "text, score, label, the three probabilities and the model version per row, in the "
        "format OUT's name asks for. A file with invalid rows gives no output unless "
        "--skip-invalid is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path, help=".csv, .jsonl or .ndjson, optionally .gz")
        parser.add_argument("target", type=Path, help="where to write the scores (same formats)")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="score the valid rows, skip the others"
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help="scoring processes (default JOBS_SCORING_PROCESSES: one per core)",
        )

    def handle(self, *args, source: Path, target: Path, skip_invalid: bool, **options):
        # A progress bar on a terminal only: quiet in scripts, cron and logs.
        progress = TqdmProgress() if sys.stderr.isatty() else Progress()
        try:
            report = score_file(
                source,
                target,
                skip_invalid=skip_invalid,
                processes=options["processes"],
                progress=progress,
            )
        except OSError as exc:
            path = exc.filename or source
            raise CommandError(f"cannot use {path}: {exc.strerror or exc}") from None
        except TweetFileError as exc:
            raise CommandError(str(exc)) from None
        except ScoreRejected as exc:
            for line in format_rejections(exc.report.rejected):
                self.stderr.write(line)
            valid = exc.report.rows - len(exc.report.rejected)
            raise CommandError(f"{source}: {exc}. {valid:,} valid row(s).") from None
        except (ScoringError, ArtifactError) as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(f"the database is unreachable: {exc}") from None
        finally:
            if isinstance(progress, TqdmProgress):
                progress.close()
        self.stdout.write(
            f"Scored {report.scored:,} tweets with version {report.version} into {target}, "
            f"{len(report.rejected):,} rejected."
        )
        for line in format_rejections(report.rejected):
            self.stdout.write(line)
