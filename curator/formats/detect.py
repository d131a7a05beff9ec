"""Guessing a source's format from the field names of its first rows.

A format fits a row when the row has the format's identifying fields (``Format.required``;
``messages``/``conversations`` must be lists, and ``text`` must contain turn markers). The
format fitting at least half of the sampled rows wins; the adapter then reports the rows that do
not fit. Only names and a few substring tests are looked at, so detection is cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import islice
from typing import Any

from curator.errors import FormatError
from curator.formats.columns import format_mapping, suggest_columns
from curator.formats.registry import FORMATS
from curator.formats.text import MARKERS_HELP

SAMPLE_ROWS = 100


def detect_format(rows: Sequence[Mapping[str, Any]]) -> str:
    """The one format the sampled rows fit; FormatError when none or several do."""
    sample = list(islice((row for row in rows if isinstance(row, Mapping)), SAMPLE_ROWS))
    if not sample:
        raise FormatError(
            "cannot detect the format: no rows (JSON objects) to look at; set `format:` on the source"
        )
    counts = {name: sum(1 for row in sample if fmt.fits(row)) for name, fmt in FORMATS.items()}
    candidates = [name for name, count in counts.items() if count and count * 2 >= len(sample)]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        described = ", ".join(f"{name} ({', '.join(sorted(FORMATS[name].required))})" for name in candidates)
        raise FormatError(
            f"rows fit several formats: {described}; set `format:` on the source to one of "
            f"{', '.join(candidates)}"
        )
    raise FormatError(_no_match(sample, counts))


def _no_match(sample: list[Mapping[str, Any]], counts: dict[str, int]) -> str:
    keys = sorted({str(key) for row in sample for key in row})
    shown = repr(keys[:30])[:-1] + (f", … {len(keys) - 30} more]" if len(keys) > 30 else "]")
    message = f"no known format has fields {shown}"
    if any(isinstance(row.get("text"), str) for row in sample):
        message += f"; field 'text' has no turn markers (expected one of {MARKERS_HELP})"
        if keys == ["text"]:
            return f"{message}, so it is not a conversation"
    best = max(counts, key=counts.__getitem__)
    if counts[best]:
        message += f"; {best} fits only {counts[best]} of {len(sample)} sampled rows"
    mapping = suggest_columns(sample)
    if mapping:
        return f"{message}; map them with `columns:` on the source, e.g. columns: {format_mapping(mapping)}"
    needs = "; ".join(f"{name}: {', '.join(sorted(fmt.required))}" for name, fmt in FORMATS.items())
    return (
        f"{message}; known formats need these fields ({needs}); map yours with `columns:` on the source, "
        f"e.g. columns: {{my_prompt_field: instruction, my_answer_field: output}}"
    )
