"""Tweet normalisation and tokenisation for the sentiment model.

One regex pass splits a tweet into typed tokens; each type is then mapped so that the
model sees the signal and not the noise:

* links, @mentions and numbers become the placeholders ``URL``, ``@USER`` and ``NUM``: their
  exact values almost never repeat, so as words they would only dilute the vocabulary;
* emoticons and emoji are kept as tokens (they carry much of a tweet's sentiment);
* ``#hashtag`` keeps its word (``#fail`` -> ``fail``) so it shares weight with the plain word;
* letters repeated three times or more are cut to two (``soooo`` -> ``soo``) and punctuation
  runs are folded (``!!!!`` -> ``!!``, ``?!?`` -> ``?!``); the emphasis itself is kept as
  the flags ``ELONG`` and ``ALLCAPS``;
* words following a negation cue (English or French) up to the next punctuation mark get
  the suffix ``_NEG``, so "not good" and "good" are different features.

Placeholders and flags are upper case while words are lower-cased, so they can never collide
with a real word. Everything here is a pure function of the text, safe to run in any process.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import NamedTuple

NEG_SUFFIX = "_NEG"
URL, USER, NUM = "URL", "@USER", "NUM"
ELONG, ALLCAPS = "ELONG", "ALLCAPS"

# Emoji blocks (pictographs, symbols, dingbats, flags). Modifiers that only change the look
# (skin tones, variation selectors, zero-width joiners) are dropped so "👍🏽" counts as "👍".
_EMOJI = (
    "\U0001f1e6-\U0001f1ff\U0001f300-\U0001f3fa\U0001f400-\U0001faff"
    "\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u2190-\u21ff\u3030\u303d\u3297\u3299"
)
_INVISIBLE = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f\ufe0e\u200d]")

_TOKEN_RE = re.compile(
    r"""
    (?P<url>(?:https?://|ww\.)\S+|\bhttps?\b)     # "www." is "ww." after elongation folding
  | (?P<user>@\w+)
  | (?P<emo>
        [<>]?[:;=][\-o*']?[)\](\[dDpP/\\|*$@3{}]+(?![\w])   # :) ;-) :D :(( =P
      | (?<!\S)[)\](\[dD][\-o']?[:;=](?!\S)                         # (: D:
      | <3+|</3|\^_*\^|(?<![\w])[xX][dD]+(?![\w])|[tT]_[tT]|-_-|o_[oO]|:'\(
    )
  | (?P<tag>\#\w+)
  | (?P<num>\d+(?:[.,:/h]\d+)*(?:st|nd|rd|th|e|er|%)?(?![^\W\d_]))
  | (?P<word>[^\W_]+(?:'[^\W\d_]+)*)
  | (?P<punct>[!?]+|\.{2,}|…|[.,;:])
  | (?P<emoji>[EMOJI])
    """.replace("[EMOJI]", f"[{_EMOJI}]"),
    re.VERBOSE,
)

_ELONG_RE = re.compile(r"([^\W\d_])\1{2,}")
# French elided articles and pronouns ("l'amour", "n'aime", "qu'il"): split them off so the
# word after the apostrophe is looked up, counted and negated on its own.
_ELISION_RE = re.compile(r"^(c|d|j|l|m|n|s|t|qu|jusqu|lorsqu|puisqu)'(.+)$")

NEGATION_CUES = frozenset(
    {
        # English; apostrophe-less spellings are common on Twitter.
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "nowhere",
        "neither",
        "nor",
        "cannot",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "wont",
        "wouldnt",
        "couldnt",
        "shouldnt",
        "havent",
        "hasnt",
        "hadnt",
        "aint",
        # French: "ne/n'" opens the scope, colloquial French often drops it and keeps
        # "pas/jamais/rien". "plus" and "personne" are not cues alone (they also mean
        # "more" and "person"); after "ne" they fall inside the scope anyway.
        "ne",
        "n'",
        "pas",
        "jamais",
        "rien",
        "aucun",
        "aucune",
        "sans",
        "ni",
        "nul",
        "nulle",
    }
)
# Words that close a negation scope like punctuation does ("not bad but great").
_SCOPE_BREAKERS = frozenset({"but", "mais", "however", "cependant", "pourtant"})

# Latin letters with diacritics -> base letter; str.translate with a table is ~10x faster
# than unicodedata normalisation per call.
_ACCENT_TABLE = {
    code: base
    for code in range(0xC0, 0x250)
    if (base := unicodedata.normalize("NFD", chr(code))[0]).isascii() and base != chr(code)
}


class Tokens(NamedTuple):
    """A tokenised tweet: ``words`` feed the n-grams, ``flags`` are document-level signals."""

    words: list[str]
    flags: list[str]


def clean(text: str) -> str:
    """Undo HTML escaping and unify apostrophes, which tweets mix freely."""
    if "&" in text:
        text = html.unescape(text)
    return _INVISIBLE.sub("", text.replace("\u2019", "'").replace("`", "'"))


def strip_accents(text: str) -> str:
    """Remove diacritics (``é`` -> ``e``); used only where matching must ignore them."""
    return text if text.isascii() else text.translate(_ACCENT_TABLE)


def _fold_punct(run: str) -> str:
    if run[0] == "." or run == "…":
        return "..." if run != "." else "."
    if "!" in run and "?" in run:
        return "?!"
    return run[:2]


def _canonical_emoticon(tok: str) -> str:
    # ":-)" and ":)" or "XD" and "xD" are the same face; the lexicon lists the short forms.
    if len(tok) > 2 and tok[0] in "<>:;=":
        tok = tok.replace("-", "")
    return tok.lower() if tok[0] in "xX" else tok


def tokenize(text: str, *, negation: bool = True, accents: bool = True) -> Tokens:
    """Split a tweet into normalised tokens and emphasis flags (see the module docstring).

    ``accents=False`` strips diacritics from words; ``negation=False`` skips scope marking.
    """
    words: list[str] = []
    flags: set[str] = set()
    negated = False
    text, n_elongated = _ELONG_RE.subn(r"\1\1", clean(text))
    if n_elongated:
        flags.add(ELONG)
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        tok = match.group()
        if kind == "word" or kind == "tag":
            if kind == "tag":
                tok = tok[1:]
            if len(tok) > 2 and tok.isupper():
                flags.add(ALLCAPS)
            tok = tok.lower()
            if not accents:
                tok = strip_accents(tok)
            elision = _ELISION_RE.match(tok) if "'" in tok and tok != "n'importe" else None
            parts = (elision.group(1) + "'", elision.group(2)) if elision else (tok,)
            for part in parts:
                if part in NEGATION_CUES or part.endswith("n't"):
                    words.append(part)
                    negated = negation
                elif part in _SCOPE_BREAKERS:
                    words.append(part)
                    negated = False
                else:
                    words.append(part + NEG_SUFFIX if negated else part)
            continue
        if kind == "url":
            tok = URL
        elif kind == "user":
            tok = USER
        elif kind == "num":
            tok = NUM
        elif kind == "punct":
            tok = _fold_punct(tok)
            negated = False
        else:  # emoticon or emoji: a sentiment marker closes a negation scope too
            if kind == "emo":
                tok = _canonical_emoticon(tok)
            negated = False
        words.append(tok)
    return Tokens(words, sorted(flags))


def plain_text(tokens: Tokens) -> str:
    """The normalised tweet as one string without negation marks (input for char n-grams)."""
    return " ".join(w.removesuffix(NEG_SUFFIX) for w in tokens.words)
