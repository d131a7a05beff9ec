"""Words around a match, read straight from the text (no NLP model needed)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+")
_LOOK_BEHIND_CHARS = 80
_LOOK_AHEAD_CHARS = 40


def words_before(text: str, start: int, count: int) -> list[str]:
    return [w.lower() for w in _WORD.findall(text, max(0, start - _LOOK_BEHIND_CHARS), start)[-count:]]


def words_after(text: str, end: int, count: int) -> list[str]:
    return [w.lower() for w in _WORD.findall(text, end, end + _LOOK_AHEAD_CHARS)[:count]]


def has_context(words: list[str], context: list[str] | tuple[str, ...]) -> str | None:
    """The first context word some surrounding word starts with, or None."""
    for word in words:
        for cue in context:
            if word.startswith(cue):
                return cue
    return None
