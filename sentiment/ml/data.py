"""Tweet identity and the fixed evaluation split."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def text_hash(text: str) -> str:
    """SHA-256 of the exact text: the key under which a tweet is stored once."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def evaluation_mask(hashes: Sequence[str], labels: Sequence[str], fraction: float) -> np.ndarray:
    """Which tweets are held out for evaluation.

    Chosen by each tweet's hash, so a tweet stays on the same side as the table grows and every
    version is scored on tweets that no version was trained on: the gate compares champion and
    challenger fairly. Only when a label would have no tweet on one side is the split nudged
    (deterministically), which happens on tiny data sets alone.
    """
    cut = int(fraction * 2**32)
    mask = np.fromiter((int(h[:8], 16) < cut for h in hashes), dtype=bool, count=len(hashes))
    labels_arr = np.asarray(labels, dtype=object)
    for label in dict.fromkeys(labels):
        members = np.flatnonzero(labels_arr == label)
        if len(members) < 2:
            continue
        held = mask[members]
        if held.all():
            mask[_lowest_hash(members, hashes)] = False
        elif not held.any():
            mask[_lowest_hash(members, hashes)] = True
    return mask


def _lowest_hash(members: np.ndarray, hashes: Sequence[str]) -> int:
    return int(min(members, key=lambda i: hashes[i]))
