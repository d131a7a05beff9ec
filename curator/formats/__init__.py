"""Dataset format adapters: raw rows of a known format to InstructionRecords and back.

Formats: alpaca, sharegpt, messages (OpenAI/TRL chat), dolly, text (turn markers in one field),
prompt_completion and self_instruct; one module each. See :mod:`curator.formats.base` for the
rules every adapter follows (no coercion, lossless meta, curator's own meta keys) and
:mod:`curator.formats.flatten` for what ``flatten`` does when a target format cannot hold a record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from curator.formats.base import FLATTEN_POLICIES, RESERVED_META_KEYS, Format, describe_validation_error
from curator.formats.columns import rename_columns, suggest_columns
from curator.formats.detect import detect_format
from curator.formats.registry import FORMAT_NAMES, get_format
from curator.formats.text import STYLES as TEXT_STYLES
from curator.formats.text import Text

__all__ = [
    "FLATTEN_POLICIES",
    "FORMAT_NAMES",
    "RESERVED_META_KEYS",
    "TEXT_STYLES",
    "Format",
    "Text",
    "convert_row",
    "describe_validation_error",
    "detect_format",
    "get_format",
    "rename_columns",
    "suggest_columns",
]


def convert_row(
    row: Mapping[str, Any],
    from_format: str,
    to_format: str,
    *,
    flatten: str = "error",
    provenance: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Convert one row between formats, through an InstructionRecord."""
    record = get_format(from_format).to_record(row, provenance or {"source": "convert"})
    return get_format(to_format).from_record(record, flatten=flatten)
