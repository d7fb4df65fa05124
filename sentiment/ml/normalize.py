"""Tweet text normalisation: replace what carries no sentiment, keep what does."""

from __future__ import annotations

import re

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")


def normalize(text: str) -> str:
    text = _URL.sub(" URL ", text)
    text = _MENTION.sub(" USER ", text)
    text = _NUMBER.sub(" NUM ", text)
    return text.lower()
