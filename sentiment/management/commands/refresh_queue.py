from django.core.management.base import BaseCommand, CommandParser

from sentiment.services import queue_priority


class Command(BaseCommand):
    help = (
        "Refresh the annotation queue's priority order: refit a cheap model on the labels so far "
        "(at random before there are any) and store every open tweet's priority."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-needed",
            action="store_true",
            help=f"only after {queue_priority.REFRESH_EVERY} new labels, or for new open tweets",
        )

    def handle(self, *args, if_needed: bool, **options):
        if if_needed:
            reason = queue_priority.refresh_needed()
            if reason is None:
                self.stdout.write("The queue's order is up to date.")
                return
            self.stdout.write(f"Refreshing the queue's order: {reason}.")
        done = queue_priority.refresh(progress=lambda line: self.stderr.write(f"… {line}"))
        how = (
            f"a model refitted on {done.labelled:,} labelled tweets"
            if done.mode == "model"
            else "a random order (too few labels for a model)"
        )
        self.stdout.write(
            f"Ordered {done.ordered:,} open tweets with {how} in {done.seconds:.1f} s."
        )
