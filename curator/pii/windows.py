"""Where the NER model needs to look: short windows around words that could be part of a name.

The spaCy model is most of the PII stage's cost, and most text cannot hold a name the stage
would keep: every PERSON the model proposes is dropped anyway when all its words are everyday
English words (``person.NerRecognizer``), and a word that is only a given name or surname is
settled by the name-list rules. So the model runs only on windows around *candidate* words (a
capital letter, and ``names.needs_model``: unknown words, names that are also places), a few
words either side, cut at line breaks; the entities found are mapped back to the text's offsets. A text
with no candidate skips the model entirely (the name-list and cue rules still run on it).

Windows are also what keeps a 2 MB message from reaching spaCy whole (its ``max_length`` error,
E088): no window is longer than ``MAX_WINDOW`` characters. When entity types other than PERSON
are wanted (LOCATION, ORGANIZATION…), whole texts are split into pieces of at most ``MAX_WINDOW``
characters at line or sentence ends instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex as re

CONTEXT_WORDS = 3  # words of context on each side of a candidate
MAX_WINDOW = 5_000  # characters; longer runs are cut (a name is never this long)

_WORD = re.compile(r"[\p{L}\p{M}\d'’\-.]+")
_CANDIDATE = re.compile(r"\p{Lu}")
_BREAK = re.compile(r"\n")


@dataclass(frozen=True, slots=True)
class Ent:
    """An entity of the NER model, in the offsets of the whole text (duck-types a spaCy Span)."""

    label_: str
    start_char: int
    end_char: int


@dataclass(frozen=True, slots=True)
class Ents:
    """The entities of one text (duck-types the ``ents`` of a spaCy Doc)."""

    ents: tuple[Ent, ...]


def _segments(text: str) -> list[tuple[int, int]]:
    """Sentence-or-line pieces of ``text`` (start, end), none longer than MAX_WINDOW."""
    pieces, start = [], 0
    for match in _BREAK.finditer(text):
        if match.start() > start:
            pieces.append((start, match.start()))
        start = match.end()
    if start < len(text):
        pieces.append((start, len(text)))
    out = []
    for s, e in pieces:
        while e - s > MAX_WINDOW:
            cut = text.rfind(" ", s, s + MAX_WINDOW)
            cut = cut if cut > s else s + MAX_WINDOW
            out.append((s, cut))
            s = cut
        out.append((s, e))
    return out


def name_windows(
    text: str, candidate: Callable[[str, bool], bool], taken: list[tuple[int, int]] = ()
) -> list[tuple[int, int]]:
    """Windows (start, end) of ``text`` around words with a capital for which ``candidate`` says yes.

    ``candidate(word, in_run)``: ``in_run`` says a neighbouring word is capitalised too.

    Words inside ``taken`` spans (addresses, e-mails already found) are not candidates.
    """
    if not _CANDIDATE.search(text):
        return []
    windows: list[tuple[int, int]] = []
    for seg_start, seg_end in _segments(text):
        words = [m.span() for m in _WORD.finditer(text, seg_start, seg_end)]
        capital = [text[s].isupper() for s, _ in words]
        hits = [
            i
            for i, (s, e) in enumerate(words)
            if _CANDIDATE.search(text, s, e)
            and not any(ts <= s < te for ts, te in taken)
            and candidate(
                text[s:e].strip(".-'’"), (i > 0 and capital[i - 1]) or (i + 1 < len(words) and capital[i + 1])
            )
        ]
        for i in hits:
            start = words[max(0, i - CONTEXT_WORDS)][0]
            end = words[min(len(words) - 1, i + CONTEXT_WORDS)][1]
            end = min(end, start + MAX_WINDOW)
            if windows and start <= windows[-1][1] and end - windows[-1][0] <= MAX_WINDOW:
                windows[-1] = (windows[-1][0], max(windows[-1][1], end))
            else:
                windows.append((start, end))
    return windows


def whole_text_windows(text: str) -> list[tuple[int, int]]:
    """The whole text in pieces the model accepts (for entity types other than PERSON)."""
    return [(s, e) for s, e in _segments(text) if text[s:e].strip()]
