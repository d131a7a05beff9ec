"""How many rows an input holds, cheaply, so progress can show totals and an ETA.

Parquet and ``save_to_disk`` folders store their row count; plain JSON Lines and CSV are counted by
newlines (a fast byte scan, no parsing: blank lines and quoted newlines make it an estimate).
JSON arrays up to 64 MiB are parsed (the reader loads them whole too). Compressed files and larger
arrays return None: counting them costs as much as reading them.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from curator.io.paths import input_format

_CHUNK = 1 << 22
_JSON_ARRAY_LIMIT = 64 << 20


def estimate_rows(path: Path) -> int | None:
    """Rows in ``path`` (exact for Parquet and datasets folders), or None when unknown or unreadable."""
    try:
        fmt = input_format(path)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        if fmt == "datasets":
            from datasets import load_from_disk  # memory-mapped: reads only the metadata here

            rows = load_from_disk(str(path)).num_rows  # an int, or {split: int} for a DatasetDict
            return rows if isinstance(rows, int) else sum(rows.values())
        if fmt in ("jsonl", "csv", "tsv") and not _compressed(path):
            return _count_lines(path) - (1 if fmt in ("csv", "tsv") else 0)
        if fmt == "json" and not _compressed(path) and path.stat().st_size <= _JSON_ARRAY_LIMIT:
            data = orjson.loads(path.read_bytes())  # the reader loads a JSON array whole anyway
            return len(data) if isinstance(data, list) else None
    except (OSError, ValueError, ImportError, orjson.JSONDecodeError):
        return None
    return None


def _compressed(path: Path) -> bool:
    with path.open("rb") as handle:
        magic = handle.read(4)
    return magic.startswith(b"\x1f\x8b") or magic.startswith(b"\x28\xb5\x2f\xfd")


def _count_lines(path: Path) -> int:
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (0 if last == b"\n" else 1)
