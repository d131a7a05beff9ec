"""What readers yield: one input row, parsed or with the reason it could not be."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class RawRow:
    """One data row of an input file, before any format adapter has looked at it."""

    file: str
    """The file's name as given to the reader, for messages and provenance."""
    row: int
    """0-based index among the file's data rows; blank lines are not rows, unparsable lines are."""
    line: int | None
    """1-based physical line where the row starts (JSON Lines, CSV); None for other formats."""
    data: dict[str, Any] | None
    """The parsed row: a JSON object or a table row as plain Python values; None on error."""
    raw: str | None = None
    """The row's text when it could not be parsed (invalid bytes backslash-escaped); else None."""
    error: str | None = None
    """Why the row could not be parsed, e.g. 'invalid JSON: trailing comma is not allowed at column 7'."""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class ReadStats:
    """Counters a reader updates as it goes; pass one object to several files to total them."""

    files: int = 0
    """Inputs read to the end."""
    rows: int = 0
    """Data rows yielded, unparsable ones included."""
    errors: int = 0
    """Rows yielded with an error."""
    blank_lines: int = 0
    """Empty or whitespace-only lines skipped (not rows)."""
    bytes: int = 0
    """On-disk size of the inputs read to the end (compressed size for compressed files)."""


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Bounds that keep a hostile input from exhausting memory or time; a row past them is rejected."""

    max_row_bytes: int = 64 << 20
    """Longest row (a JSON line, a CSV record) kept; a longer one is rejected with its size, unread."""
    max_depth: int = 64
    """Deepest nesting of arrays/objects in a row; deeper rows are rejected (they crash JSON writers)."""
    max_document_bytes: int = 1 << 30
    """Largest ``.json`` array file, which is parsed whole; use JSON Lines for bigger inputs."""
    max_compression_ratio: int = 250
    """Decompressed ÷ compressed bytes past which a ``.gz``/``.zst`` input is taken for a bomb."""
    ratio_floor_bytes: int = 64 << 20
    """The ratio is only checked past this many decompressed bytes, so small files never trip it."""


DEFAULT_LIMITS = ReadLimits()
