"""Stream the rows of one input file, whatever its format and compression.

``iter_rows`` picks the reader from the extension (after ``.gz``/``.zst``), decompresses by magic
bytes, and yields ``RawRow``s one at a time: a row that cannot be parsed is yielded with its error
and raw text, never raised. Only whole-file problems (unreadable, truncated archive, a ``.json``
that is not an array) raise ``InputError``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import zstandard

from curator.errors import InputError
from curator.io.compression import open_binary_reader
from curator.io.jsonl import read_json, read_jsonl
from curator.io.paths import check_readable, expand_paths, input_format
from curator.io.rows import DEFAULT_LIMITS, RawRow, ReadLimits, ReadStats
from curator.io.tabular import read_csv, read_datasets_dir, read_parquet


def iter_rows(
    path: Path,
    display_name: str | None = None,
    stats: ReadStats | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[RawRow]:
    """Yield the rows of ``path`` in file order, streaming (only a ``.json`` array is loaded whole).

    ``display_name`` is what ``RawRow.file`` carries (default: ``str(path)``); ``stats``, when
    given, is updated as rows are read and once the file is done.
    """
    path = Path(path)
    fmt = input_format(path)
    if fmt is None:
        check_readable(path)  # raises the one-line reason
        raise InputError(f"{path}: cannot read this input")
    name = display_name if display_name is not None else str(path)
    stats = stats if stats is not None else ReadStats()
    rows_before = stats.rows
    try:
        if fmt == "parquet":
            yield from read_parquet(path, name, stats)
        elif fmt == "datasets":
            yield from read_datasets_dir(path, name, stats)
        else:
            with open_binary_reader(path, limits) as stream:
                if fmt == "jsonl":
                    yield from read_jsonl(stream, name, stats, limits)
                elif fmt == "json":
                    yield from read_json(stream, path, name, stats, limits)
                else:
                    yield from read_csv(stream, path, name, stats, "\t" if fmt == "tsv" else ",", limits)
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except (OSError, EOFError, zstandard.ZstdError, pa.ArrowException) as exc:
        # gzip.BadGzipFile and truncated archives land here, possibly after many good rows.
        done = stats.rows - rows_before
        raise InputError(f"{path}: read failed after {done} rows: {exc}") from None
    stats.files += 1
    stats.bytes += _disk_size(path)


def iter_rows_batched(
    path: Path,
    batch_size: int,
    display_name: str | None = None,
    stats: ReadStats | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[list[RawRow]]:
    """``iter_rows`` in lists of up to ``batch_size`` rows."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    rows = iter_rows(path, display_name, stats, limits)
    while batch := list(itertools.islice(rows, batch_size)):
        yield batch


def _disk_size(path: Path) -> int:
    if not path.is_dir():
        return path.stat().st_size
    return sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(path) for f in files)


__all__ = [
    "RawRow",
    "ReadStats",
    "check_readable",
    "expand_paths",
    "iter_rows",
    "iter_rows_batched",
]
