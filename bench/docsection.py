"""Writing a benchmark's results into its section of a Markdown file in docs/."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_section(doc: Path, name: str, body: str, *, title: str) -> None:
    """Put `body` between the `<!-- name:begin -->` and `<!-- name:end -->` markers of `doc`
    (added at the end if missing), leaving the rest of the file as it is."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = doc.read_text(encoding="utf-8") if doc.is_file() else f"# {title}\n"
    if begin not in text:
        text = text.rstrip("\n") + f"\n\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    fd, tmp = tempfile.mkstemp(dir=doc.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"{head}{begin}\n{body.rstrip()}\n{end}{tail}")
    os.replace(tmp, doc)
