"""Turn one raw row into an InstructionRecord, or a rejection with a reason code and a precise error."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from curator.errors import CuratorError, FormatError
from curator.formats import Format, detect_format, rename_columns
from curator.io import RawRow, iter_rows
from curator.records import InstructionRecord

DETECTION_SAMPLE = 100  # rows whose field names decide a file's format
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


def detect_file_format(path: Path, display: str, columns: Mapping[str, str]) -> str:
    """The format of a file, from the field names of its first readable rows (after renaming)."""
    sample: list[dict[str, Any]] = []
    for raw in iter_rows(path, display):
        if raw.data is not None:
            sample.append(rename_columns(raw.data, columns) if columns else raw.data)
            if len(sample) >= DETECTION_SAMPLE:
                break
    if not sample:
        raise CuratorError(f"{display} has no readable rows to detect its format from; name the format")
    try:
        return detect_format(sample)
    except CuratorError as exc:
        raise CuratorError(f"{display}: {exc}") from None
