"""Reading and writing tweet files: CSV and JSON Lines, either gzip-compressed.

The format is chosen by the file name: `.csv`, `.jsonl` (or `.ndjson`), each optionally followed
by `.gz`. CSV has a header row with a `text` column and optionally `label` and `source`; JSON
Lines has one object per line with the same keys. Labels are `negative`, `neutral`, `positive`
in any case, or -1, 0, 1; empty (or null) means not yet annotated.

CSV is written for spreadsheets as well as for import (OWASP's advice on CSV injection): every
field is quoted, and a field that a spreadsheet would run as a formula — its first character
`=`, `+`, `-`, `@`, TAB or CR, after any apostrophes — is written behind one more apostrophe,
which a spreadsheet shows as text. Reading a CSV removes that one apostrophe again, so a round
trip is exact. A text holding NUL is refused: the database and Django's forms refuse it too.

This module knows nothing of Django: it turns bytes into validated rows and back.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from sentiment.ml.scorepool import ScoredBatch

MAX_TEXT_CHARS = 10_000
LABELS = ("negative", "neutral", "positive")
_LABEL_ALIASES = {"-1": "negative", "0": "neutral", "1": "positive", "+1": "positive"}
_LABEL_ALIASES.update({label: label for label in LABELS})
_COLUMNS = ("text", "label", "source")
# Optional apostrophes, then a character that makes a spreadsheet read the cell as a formula.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


class TweetFileError(Exception):
    """The file as a whole cannot be read: unknown format, bad header, not UTF-8."""


@dataclass(frozen=True)
class Row:
    line: int
    text: str
    label: str  # "" when not annotated
    source: str | None  # None when the file has no source for the row


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class FileFormat:
    kind: str  # "csv" or "jsonl"
    gzip: bool


def detect_format(name: str) -> FileFormat:
    lowered = name.lower()
    compressed = lowered.endswith(".gz")
    if compressed:
        lowered = lowered[:-3]
    for suffix, kind in ((".csv", "csv"), (".jsonl", "jsonl"), (".ndjson", "jsonl")):
        if lowered.endswith(suffix):
            return FileFormat(kind, compressed)
    raise TweetFileError(
        f"{name}: unknown format; name the file .csv, .jsonl or .ndjson, optionally + .gz"
    )


def parse_label(value: object) -> str:
    """A label word from what a file holds; raises ValueError with a reason."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"label must be text or -1/0/1, got {type(value).__name__}")
    key = str(value).strip().lower()
    if key == "":
        return ""
    try:
        return _LABEL_ALIASES[key]
    except KeyError:
        raise ValueError(
            f"unknown label {str(value)[:40]!r} (expected negative, neutral, positive or -1, 0, 1)"
        ) from None


def spreadsheet_safe(cell: str) -> str:
    """The cell as written to CSV: behind an apostrophe if a spreadsheet would run it."""
    return "'" + cell if _FORMULA.match(cell) else cell


def from_spreadsheet_safe(cell: str) -> str:
    """The inverse of spreadsheet_safe, for every string (an apostrophe before text stays)."""
    return cell[1:] if _ESCAPED_FORMULA.match(cell) else cell


def check_no_nul(value: str, what: str = "text") -> str:
    """`value` unless it holds NUL, which no part of the product stores; raises ValueError."""
    if "\x00" in value:
        raise ValueError(f"{what} contains a NUL character (\\x00), which cannot be stored")
    return value


def validate_text(value: object) -> str:
    """The tweet text if it can be stored; raises ValueError with a reason."""
    if value is None:
        raise ValueError("missing text")
    if not isinstance(value, str):
        raise ValueError(f"text must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError("empty text")
    if len(value) > MAX_TEXT_CHARS:
        raise ValueError(f"text is {len(value):,} characters, more than {MAX_TEXT_CHARS:,}")
    check_no_nul(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text contains an unpaired surrogate, not valid Unicode") from None
    return value


def read_tweets(stream: BinaryIO, name: str) -> Iterator[Row | Rejection]:
    """Rows of the file in order, each either valid or rejected with its line and reason."""
    fmt = detect_format(name)
    raw: IO[bytes] | gzip.GzipFile = (
        gzip.GzipFile(fileobj=stream, mode="rb") if fmt.gzip else stream
    )
    reader = _read_csv if fmt.kind == "csv" else _read_jsonl
    try:
        yield from reader(raw, name)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise TweetFileError(f"{name}: cannot be read ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise TweetFileError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _read_csv(raw: IO[bytes] | gzip.GzipFile, name: str) -> Iterator[Row | Rejection]:
    # utf-8-sig drops a BOM; newline="" lets the csv module handle newlines inside quotes.
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise TweetFileError(f"{name}: empty file, expected a header row with `text`") from None
    except csv.Error as exc:
        raise TweetFileError(f"{name}: unreadable header row ({exc})") from None
    columns = [column.strip().lower() for column in header]
    if "text" not in columns:
        raise TweetFileError(f"{name}: the header row has no `text` column (found {header})")
    index = {column: columns.index(column) for column in _COLUMNS if column in columns}
    width = len(columns)
    line = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Rejection(line, f"malformed CSV ({exc})")
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if not record:
            continue  # a blank line
        if len(record) != width:
            yield Rejection(start, f"{len(record)} fields where the header has {width}")
            continue
        record = [from_spreadsheet_safe(cell) for cell in record]
        yield _row(
            start,
            record[index["text"]],
            record[index["label"]] if "label" in index else None,
            record[index["source"]] if "source" in index else None,
        )


def _read_jsonl(raw: IO[bytes] | gzip.GzipFile, name: str) -> Iterator[Row | Rejection]:
    for number, line in enumerate(raw, start=1):
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if not line.strip():
            continue
        try:
            item = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield Rejection(number, f"not UTF-8 ({exc.reason} at byte {exc.start})")
            continue
        except json.JSONDecodeError as exc:
            yield Rejection(number, f"invalid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(item, dict):
            yield Rejection(number, f"expected a JSON object, got {type(item).__name__}")
            continue
        yield _row(number, item.get("text"), item.get("label"), item.get("source"))


def _row(line: int, text: object, label: object, source: object) -> Row | Rejection:
    try:
        valid_text = validate_text(text)
        valid_label = parse_label(label)
    except ValueError as exc:
        return Rejection(line, str(exc))
    if source is not None and not isinstance(source, str):
        return Rejection(line, f"source must be text, got {type(source).__name__}")
    try:
        check_no_nul(source or "", "source")
    except ValueError as exc:
        return Rejection(line, str(exc))
    return Row(line, valid_text, valid_label, source)


def format_rejections(rejected: list[Rejection], shown: int = 50) -> list[str]:
    """The lines commands print for rejected rows: the first `shown`, then how many more."""
    lines = [f"  rejected {rejection}" for rejection in rejected[:shown]]
    if len(rejected) > shown:
        lines.append(f"  … and {len(rejected) - shown:,} more rejected rows")
    return lines


@contextmanager
def atomic_output(path: Path) -> Iterator[tuple[IO[str], FileFormat]]:
    """A text stream for `path` (gzip-compressed if its name says so) that appears complete
    or not at all: it is written next to its final name, synced, and renamed on success."""
    path = Path(path)
    fmt = detect_format(path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            raw: IO[bytes] | gzip.GzipFile = (
                gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) if fmt.gzip else fh
            )
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            yield text, fmt
            text.flush()
            text.detach()  # leave `fh` open for the sync below
            if fmt.gzip:
                raw.close()  # writes the gzip trailer; `fh` stays open
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


# A scored file: every input row with its score, label, probabilities and model version.
SCORED_COLUMNS = ("text", "score", "label", *(f"p_{label}" for label in LABELS), "model_version")


def scored_header(kind: str) -> str:
    """What a scored file of this kind ("csv" or "jsonl") starts with."""
    return _csv_text([SCORED_COLUMNS]) if kind == "csv" else ""


def format_scored(kind: str, version: int, batch: ScoredBatch) -> tuple[int, str]:
    """(rows, text) of a scored batch in a scored file of this kind, as `score_tweets` writes
    it. Runs in the scoring processes, so that the process writing the file only writes."""
    rows = zip(
        batch.texts,
        batch.scores.tolist(),
        batch.labels,
        batch.probabilities.tolist(),
        strict=True,
    )
    if kind == "csv":
        text = _csv_text(
            (spreadsheet_safe(tweet), score, label, *probabilities, version)
            for tweet, score, label, probabilities in rows
        )
    else:
        text = "".join(
            json.dumps(
                dict(
                    zip(SCORED_COLUMNS, (tweet, score, label, *probabilities, version), strict=True)
                ),
                ensure_ascii=False,
            )
            + "\n"
            for tweet, score, label, probabilities in rows
        )
    return len(batch.texts), text


def _csv_text(rows: Iterable[Iterable[object]]) -> str:
    # As every CSV this project writes: every field quoted (see the module's docstring).
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    return out.getvalue()


def write_tweets(path: Path, rows: Iterable[tuple[str, str, str]]) -> int:
    """Write (text, label, source) rows to `path` in the format its name asks for.

    The file appears complete or not at all. Returns the number of rows written.
    """
    count = 0
    with atomic_output(path) as (text, fmt):
        if fmt.kind == "csv":
            # Every field quoted: a bare CR, a newline or a quote inside stays in its field.
            writer = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL)
            writer.writerow(_COLUMNS)
            for row in rows:
                writer.writerow([spreadsheet_safe(cell) for cell in row])
                count += 1
        else:
            for tweet, label, source in rows:
                item = {"text": tweet, "label": label or None, "source": source}
                text.write(json.dumps(item, ensure_ascii=False) + "\n")
                count += 1
    return count
