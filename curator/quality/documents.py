"""Document quality heuristics of pre-training pipelines (Gopher's quality and repetition rules,
C4's page rules), as plain functions over a document's text.

Each check returns at most one :class:`~curator.quality.checks.Finding` with a short reason code
and the measured value, so a report can show why a document was flagged. Thresholds come from
:class:`DocumentThresholds`; the defaults are the published ones (Rae et al. 2021, "Scaling
Language Models: Methods, Analysis & Insights from Training Gopher", appendix A; Raffel et al.
2020, C4; FineWeb's line-punctuation rule).

Words are ``str.split()`` tokens (Gopher tokenises on whitespace too). Repetition of n-grams is
measured on word-id arrays with numpy (one rolling 64-bit hash per n), which keeps the cost per
document in the tens of microseconds for typical web pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from curator.quality.checks import Finding

# Gopher's stop words: a document must contain at least two of them (English only).
STOP_WORDS = frozenset({"the", "be", "to", "of", "and", "that", "have", "with"})
BULLETS = ("•", "●", "○", "▪", "◦", "‣", "⁃", "-", "*", "–", "—", "·")
ELLIPSES = ("...", "…")
TERMINAL_PUNCTUATION = (".", "!", "?", '"', "'", "”", "’", "。", "！", "？", "…", ":", ";")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_ALPHA = re.compile(r"[^\W\d_]")
_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant for the rolling n-gram hash

#: Reason codes, in the order the checks run.
DOCUMENT_REASONS: tuple[str, ...] = (
    "too_few_words",
    "too_many_words",
    "short_mean_word_length",
    "long_mean_word_length",
    "symbol_ratio",
    "bullet_lines",
    "ellipsis_lines",
    "non_alpha_words",
    "no_stop_words",
    "repeated_lines",
    "repeated_paragraphs",
    "repeated_line_chars",
    "repeated_paragraph_chars",
    "top_ngram_repeated",
    "duplicate_ngrams",
    "few_terminal_punctuation",
    "lorem_ipsum",
    "curly_bracket",
)


class DocumentThresholds(BaseModel):
    """Gopher/C4 thresholds; a document outside them is flagged with the check's reason."""

    model_config = ConfigDict(extra="forbid")

    min_words: int = 50
    max_words: int = 100_000
    min_mean_word_length: float = 3.0
    max_mean_word_length: float = 10.0
    max_symbol_ratio: float = Field(0.1, description="'#' and ellipses per word.")
    max_bullet_lines: float = Field(0.9, description="Share of lines starting with a bullet.")
    max_ellipsis_lines: float = Field(0.3, description="Share of lines ending with an ellipsis.")
    min_alpha_words: float = Field(0.8, description="Share of words with at least one letter.")
    min_stop_words: int = Field(2, description="Distinct Gopher stop words required (English only).")
    max_repeated_lines: float = 0.3
    max_repeated_paragraphs: float = 0.3
    max_repeated_line_chars: float = 0.2
    max_repeated_paragraph_chars: float = 0.2
    max_top_ngram_chars: dict[int, float] = Field(
        default_factory=lambda: {2: 0.2, 3: 0.18, 4: 0.16},
        description="n → the most frequent n-gram's share of word characters.",
    )
    max_duplicate_ngram_chars: dict[int, float] = Field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10},
        description="n → share of word characters inside n-grams seen earlier in the document.",
    )
    min_terminal_punctuation_lines: float = Field(
        0.12, description="Share of non-empty lines ending in terminal punctuation (FineWeb's C4 rule)."
    )
    lorem_ipsum: bool = True
    curly_bracket: bool = Field(True, description="C4: code or templates, '{' anywhere in the text.")


def _repeats(items: list[str]) -> tuple[float, float]:
    """(share of items that repeat an earlier one, share of characters in those repeats)."""
    seen: set[str] = set()
    count = chars = total = 0
    for item in items:
        total += len(item)
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    if not items or not total:
        return 0.0, 0.0
    return count / len(items), chars / total


def _word_ids(words: list[str]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Per word: an id (distinct words numbered in order of first use) and its length; the ids."""
    index = {w: i for i, w in enumerate(dict.fromkeys(words))}
    ids = np.fromiter(map(index.__getitem__, words), dtype=np.uint64, count=len(words))
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    return ids, lengths, index


def _groups(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Equal hashes grouped: (positions sorted stably by hash, start of each group in that order,
    whether each sorted position starts its group). The first of a group is its first occurrence."""
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    starts = np.empty(len(ordered), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return order, np.flatnonzero(starts), starts


def _ngram_checks(
    ids: np.ndarray, lengths: np.ndarray, distinct: int, t: DocumentThresholds
) -> Iterable[Finding]:
    """Top n-gram share (n = 2-4) and duplicate n-gram character share (n = 5-10)."""
    words = len(ids)
    total = int(lengths.sum())
    if words < 2 or distinct == words or not total:
        return  # no word repeats, so no n-gram can
    hashes = ids + np.uint64(1)
    top_n = max([*t.max_top_ngram_chars, *t.max_duplicate_ngram_chars, 1])
    last_top = max([*t.max_top_ngram_chars, 1])
    # The characters covered by repeated (n+1)-grams are a subset of those covered by repeated
    # n-grams (both halves of a repeated (n+1)-gram are repeated n-grams), so once the share at n
    # is within every larger n's limit, no larger n can be over its limit: stop there.
    dup_limits = sorted(t.max_duplicate_ngram_chars.items())
    later_limit = {n: min((lim for m, lim in dup_limits if m > n), default=1.0) for n, _ in dup_limits}
    top_found = dup_found = False
    for n in range(2, top_n + 1):
        if words < n or (dup_found and n > last_top):
            return
        with np.errstate(over="ignore"):
            hashes = hashes[:-1] * _MULT + ids[n - 1 :] + np.uint64(1)
        check_top = n in t.max_top_ngram_chars and not top_found
        check_dup = n in t.max_duplicate_ngram_chars and not dup_found
        if not (check_top or check_dup):
            continue
        order, group_starts, starts = _groups(hashes)
        if len(group_starts) == len(hashes):
            return  # no n-gram repeats, so no longer one can
        if check_top:
            counts = np.diff(group_starts, append=len(hashes))
            best = int(np.argmax(counts))  # the most frequent n-gram (smallest hash among ties)
            start = int(order[group_starts[best]])  # its first occurrence
            share = int(lengths[start : start + n].sum()) * int(counts[best]) / total
            if share > t.max_top_ngram_chars[n]:
                top_found = True  # one finding per reason: the smallest n over its limit
                yield Finding("top_ngram_repeated", {"n": n, "share": round(share, 4)})
        if check_dup:
            repeat = order[~starts]  # every occurrence after the first
            cover = np.bincount(repeat, minlength=words + 1) - np.bincount(repeat + n, minlength=words + 1)
            share = int(lengths[np.cumsum(cover[:-1]) > 0].sum()) / total
            if share > t.max_duplicate_ngram_chars[n]:
                dup_found = True
                yield Finding("duplicate_ngrams", {"n": n, "share": round(share, 4)})
            elif share <= later_limit[n]:
                dup_found = True  # settled: no larger n can be over its limit


def document_findings(text: str, t: DocumentThresholds, *, english: bool = True) -> list[Finding]:
    """Every check's finding for one document, in :data:`DOCUMENT_REASONS` order.

    ``english`` False skips the English-only stop-word check (the report says it did not apply).
    """
    found: list[Finding] = []
    words = text.split()
    n_words = len(words)
    # Word ids and lengths once: the per-word checks run over distinct words, the n-grams over ids.
    ids, lengths, distinct = _word_ids(words)
    if n_words < t.min_words:
        found.append(Finding("too_few_words", {"words": n_words}))
    elif n_words > t.max_words:
        found.append(Finding("too_many_words", {"words": n_words}))
    if n_words:
        mean = int(lengths.sum()) / n_words
        if mean < t.min_mean_word_length:
            found.append(Finding("short_mean_word_length", {"mean": round(mean, 2)}))
        elif mean > t.max_mean_word_length:
            found.append(Finding("long_mean_word_length", {"mean": round(mean, 2)}))
        symbols = text.count("#") + text.count("...") + text.count("…")
        if symbols / n_words > t.max_symbol_ratio:
            found.append(Finding("symbol_ratio", {"ratio": round(symbols / n_words, 4)}))
    lines = [line.strip() for line in text.split("\n")]
    nonempty = [line for line in lines if line]
    if nonempty:
        bullets = sum(1 for line in nonempty if line.startswith(BULLETS)) / len(nonempty)
        if bullets > t.max_bullet_lines:
            found.append(Finding("bullet_lines", {"share": round(bullets, 4)}))
        ellipsis = sum(1 for line in nonempty if line.endswith(ELLIPSES)) / len(nonempty)
        if ellipsis > t.max_ellipsis_lines:
            found.append(Finding("ellipsis_lines", {"share": round(ellipsis, 4)}))
    if n_words:
        search = _ALPHA.search
        has_letter = np.fromiter((search(w) is not None for w in distinct), dtype=bool, count=len(distinct))
        alpha = int(has_letter[ids.astype(np.intp)].sum()) / n_words
        if alpha < t.min_alpha_words:
            found.append(Finding("non_alpha_words", {"share": round(alpha, 4)}))
        if english:
            stops = STOP_WORDS.intersection(w.lower() for w in distinct)
            if len(stops) < t.min_stop_words:
                found.append(Finding("no_stop_words", {"stop_words": len(stops)}))
    line_share, line_chars = _repeats(nonempty)
    paragraphs = [p.strip() for p in _PARAGRAPHS.split(text) if p.strip()]
    para_share, para_chars = _repeats(paragraphs)
    for reason, value, limit in (
        ("repeated_lines", line_share, t.max_repeated_lines),
        ("repeated_paragraphs", para_share, t.max_repeated_paragraphs),
        ("repeated_line_chars", line_chars, t.max_repeated_line_chars),
        ("repeated_paragraph_chars", para_chars, t.max_repeated_paragraph_chars),
    ):
        if value > limit:
            found.append(Finding(reason, {"share": round(value, 4)}))
    found.extend(_ngram_checks(ids, lengths, len(distinct), t))
    if nonempty:
        terminal = sum(1 for line in nonempty if line.endswith(TERMINAL_PUNCTUATION)) / len(nonempty)
        if terminal < t.min_terminal_punctuation_lines:
            found.append(Finding("few_terminal_punctuation", {"share": round(terminal, 4)}))
    if t.lorem_ipsum and "lorem ipsum" in text.lower():
        found.append(Finding("lorem_ipsum"))
    if t.curly_bracket and "{" in text:
        found.append(Finding("curly_bracket"))
    return found
