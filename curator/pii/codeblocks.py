"""Where the code is in a message: fenced blocks, inline code spans and <code>/<pre> elements.

Inside code, digit groups are version numbers, hashes, ports and constants, and capitalised words
are identifiers, far more often than phone numbers or names. The PII stage looks there only for
the types in ``code_entities`` (secrets and identifiers that mean the same in code as in prose).
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*$", re.MULTILINE)
_INLINE = re.compile(r"(?<!`)`([^`\n]{1,400})`(?!`)")
_HTML = re.compile(r"<(pre|code)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def code_spans(text: str) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) spans of code in ``text``."""
    if "`" not in text and "~~~" not in text and "<" not in text:
        return []
    spans: list[tuple[int, int]] = []
    position = 0
    while True:
        opening = _FENCE.search(text, position)
        if opening is None:
            break
        fence = opening.group(1)
        closing = re.compile(rf"^[ \t]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        end_match = closing.search(text, opening.end())
        end = end_match.end() if end_match else len(text)  # an unclosed fence runs to the end
        spans.append((opening.start(), end))
        position = end
    fenced = list(spans)
    for pattern in (_INLINE, _HTML):
        for match in pattern.finditer(text):
            if not any(start <= match.start() < end for start, end in fenced):
                spans.append(match.span())
    return _union(spans)


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with every code span blanked to spaces (newlines kept), so offsets do not move."""
    if not spans:
        return text
    parts, position = [], 0
    for start, end in spans:
        parts.append(text[position:start])
        parts.append(re.sub(r"[^\n]", " ", text[start:end]))
        position = end
    parts.append(text[position:])
    return "".join(parts)


def inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps any span."""
    return any(s < end and start < e for s, e in spans)
