"""Writing systems that name their language: Hangul is Korean, Thai script is Thai, and so on.

The cascade answers such text without a model. Scripts shared by several languages (Latin,
Cyrillic, Arabic, Devanagari, Bengali, Hebrew, Ethiopic) are left to the detectors. Han
characters are Chinese unless kana appear (Japanese) or Hangul does (Korean).
"""

from __future__ import annotations

import re
from functools import cache

# (first, last, script); ranges of letters only, checked by one str.translate per text.
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x005A, "latin"),
    (0x0061, 0x007A, "latin"),
    (0x00C0, 0x024F, "latin"),
    (0x1E00, 0x1EFF, "latin"),
    (0x0370, 0x03FF, "el"),
    (0x1F00, 0x1FFF, "el"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "hy"),
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x0780, 0x07BF, "dv"),
    (0x0900, 0x097F, "devanagari"),
    (0x0980, 0x09FF, "bengali"),
    (0x0A00, 0x0A7F, "pa"),
    (0x0A80, 0x0AFF, "gu"),
    (0x0B00, 0x0B7F, "or"),
    (0x0B80, 0x0BFF, "ta"),
    (0x0C00, 0x0C7F, "te"),
    (0x0C80, 0x0CFF, "kn"),
    (0x0D00, 0x0D7F, "ml"),
    (0x0D80, 0x0DFF, "si"),
    (0x0E00, 0x0E7F, "th"),
    (0x0E80, 0x0EFF, "lo"),
    (0x0F00, 0x0FFF, "bo"),
    (0x1000, 0x109F, "my"),
    (0x10A0, 0x10FF, "ka"),
    (0x1100, 0x11FF, "hangul"),
    (0x1200, 0x137F, "ethiopic"),
    (0x1780, 0x17FF, "km"),
    (0x3040, 0x30FF, "kana"),
    (0x31F0, 0x31FF, "kana"),
    (0x3130, 0x318F, "hangul"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xAC00, 0xD7AF, "hangul"),
    (0xF900, 0xFAFF, "han"),
    (0xFF66, 0xFF9F, "kana"),
)
_SCRIPTS: tuple[str, ...] = tuple(dict.fromkeys(script for _, _, script in _RANGES))
# Each script is written as one private-use character; counting those is C-speed.
_MARK = {script: chr(0xE000 + index) for index, script in enumerate(_SCRIPTS)}
_SCRIPT_OF = {mark: script for script, mark in _MARK.items()}
_MARKS = frozenset(_SCRIPT_OF)


@cache
def _table() -> dict[int, str]:
    """str.translate table: every letter of a listed range → its script's mark (built on first use)."""
    return {cp: _MARK[script] for first, last, script in _RANGES for cp in range(first, last + 1)}


# Scripts that identify their language by themselves.
_SINGLE_LANGUAGE = frozenset(
    {"el", "hy", "dv", "pa", "gu", "or", "ta", "te", "kn", "ml", "si", "th", "lo", "bo", "my", "ka", "km"}
)
# Any character of a non-Latin script (Latin, punctuation and symbol blocks excluded): text
# without one is Latin or has no letters, and costs one regex search.
_NON_LATIN = re.compile("[\u0370-\u1dff\u1f00-\u1fff\u2c00-\ud7ff\uf900-\ufaff\uff66-\uff9f]")

SCRIPT_LANGUAGES: frozenset[str] = _SINGLE_LANGUAGE | {"zh", "ja", "ko"}


def script_counts(text: str) -> dict[str, int]:
    """Letters per script (``latin``, ``cyrillic``, ``han``, ``el``, …); empty for Latin text."""
    if not _NON_LATIN.search(text):
        return {}
    marked = text.translate(_table())
    return {_SCRIPT_OF[mark]: marked.count(mark) for mark in _MARKS.intersection(marked)}


def mostly_latin(text: str) -> bool:
    """True when at least half of the letters are Latin (always for ASCII text)."""
    counts = script_counts(text)
    return not counts or counts.get("latin", 0) >= 0.5 * sum(counts.values())


def script_language(text: str, share: float = 0.8) -> str | None:
    """The language ``text``'s script names, when at least ``share`` of its letters are in it."""
    counts = script_counts(text)
    if not counts:
        return None
    total = sum(counts.values())
    han, kana, hangul = counts.get("han", 0), counts.get("kana", 0), counts.get("hangul", 0)
    cjk = han + kana + hangul
    if cjk >= share * total:
        if hangul >= 0.3 * cjk:
            return "ko"
        if kana >= 0.1 * cjk:
            return "ja"
        return "zh" if han else None
    best = max(counts, key=counts.__getitem__)
    return best if best in _SINGLE_LANGUAGE and counts[best] >= share * total else None
