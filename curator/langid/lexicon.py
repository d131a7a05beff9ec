"""An English word witness: text made of frequent English words is English.

fastText's compressed lid.176 is unsure of much plain English instruction text ("Write a function
to convert a given string to uppercase." → en 0.09), and deciding those with lingua's full models
costs ~0.2-0.5 ms a text plus ~0.1 CPU-s per language model loaded the first time (about 45 Latin
languages on English data: most of a run's serial start-up). A text of at least ``MIN_WORDS``
words of which at least ``MIN_SHARE`` are among the ``TOP_WORDS`` most frequent English words, and
that fastText also leans to English, is English: measured on the dev half of the short-clause set
(75 languages), every clause this rule called English was English text (titles and English phrases
inside other languages' sentences included), while it settles ~40 % of what fastText leaves on
Alpaca. The word frequencies are pyspellchecker's English dictionary (a dependency of the pii
stage; MIT), read once per process on first use (~0.1 CPU-s).
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from pathlib import Path

TOP_WORDS = 20_000
MIN_WORDS = 3
MIN_SHARE = 0.9
_WORD = re.compile(r"[^\W\d_]+")


@cache
def english_words() -> frozenset[str]:
    """The ``TOP_WORDS`` most frequent English words (lower case); empty when the dictionary is missing."""
    try:
        import spellchecker
    except ImportError:  # the witness is an optimisation: without it lingua decides
        return frozenset()
    path = Path(spellchecker.__file__).parent / "resources" / "en.json.gz"
    if not path.is_file():
        return frozenset()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        frequencies: dict[str, int] = json.load(handle)
    ordered = sorted(frequencies.items(), key=lambda item: (-item[1], item[0]))
    return frozenset(word for word, _ in ordered[:TOP_WORDS])


def looks_english(text: str) -> bool:
    """At least ``MIN_WORDS`` words, at least ``MIN_SHARE`` of them frequent English words, and not
    every word capitalised (a name or title, "Hotel Central Park", is no witness of a language)."""
    words = _WORD.findall(text)
    if len(words) < MIN_WORDS or all(word[0].isupper() for word in words):
        return False
    words = [word.lower() for word in words]
    known = english_words()
    return sum(word in known for word in words) >= MIN_SHARE * len(words)
