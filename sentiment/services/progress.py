"""How a long operation says how far it has gone: a job's row, a terminal, or nobody.

Retrain, rescoring and file scoring take a `Progress` and call it; what it does with the news
is the caller's business (services/jobs.py writes it to the job's row, the commands print it).
"""

from __future__ import annotations

from collections.abc import Callable


class Progress:
    """Ignores everything: the default for callers that do not follow progress."""

    def stage(self, name: str, detail: str = "") -> None:
        """A new step has begun (reading, features, evaluation, rescoring…)."""

    def note(self, detail: str) -> None:
        """Something worth showing within the current step."""

    def rows(self, done: int, total: int | None = None) -> None:
        """Rows processed so far in the current step, and how many there are if known."""


class PrintProgress(Progress):
    """One line per stage and note, e.g. to a terminal's stderr."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write

    def stage(self, name: str, detail: str = "") -> None:
        self.write(f"… {name}: {detail}" if detail else f"… {name}")

    def note(self, detail: str) -> None:
        self.write(f"… {detail}")


SILENT = Progress()
