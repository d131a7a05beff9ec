"""Turn one raw row into an InstructionRecord, or a rejection with a reason code and a precise error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from curator.errors import FormatError
from curator.formats import Format, rename_columns
from curator.io import RawRow
from curator.records import InstructionRecord

UNREADABLE = "unreadable_row"  # the row is not a JSON object / table row at all
INVALID = "invalid_record"  # the row parsed but is not a valid training example


def adapt_row(
    raw: RawRow, fmt: Format, columns: Mapping[str, str], provenance: dict[str, Any]
) -> InstructionRecord | tuple[str, str]:
    """The record, or ``(reason, error)``. ``provenance`` holds source-level fields; row is added here."""
    if raw.error is not None or raw.data is None:
        return UNREADABLE, raw.error or "empty row"
    data = rename_columns(raw.data, columns) if columns else raw.data
    try:
        return fmt.to_record(data, {**provenance, "row": raw.row})
    except FormatError as exc:
        return INVALID, str(exc)


def rejection(source: str, raw: RawRow, reason: str, error: str) -> dict[str, Any]:
    """A rejected.jsonl entry: where the row was, why, and the row as it was read."""
    return {
        "source": source,
        "file": raw.file,
        "row": raw.row,
        "line": raw.line,
        "reason": reason,
        "error": error,
        "raw": raw.data if raw.data is not None else raw.raw,
    }


def location(raw: RawRow) -> str:
    """file:line for line-based formats, else file[row N] (0-based data row)."""
    return f"{raw.file}:{raw.line}" if raw.line is not None else f"{raw.file}[row {raw.row}]"
