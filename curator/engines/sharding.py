"""Shards as descriptors, for engines whose workers read their own rows (Ray).

The driver makes one cheap pass to find shard boundaries: for plain (uncompressed) JSON Lines it
records the byte offset, line and row where each shard starts, so a worker seeks straight there;
other inputs are counted with the normal reader and a worker skips to its first row (split huge
Parquet/CSV/compressed files into several files to keep that skip short). Row and line numbers
match a read from the start, so record ids equal the local engine's.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from curator.ingest import InputFile
from curator.io import RawRow, ReadStats, input_format, iter_rows
from curator.io.jsonl import OversizedLine, bounded_lines, read_jsonl_from
from curator.io.rows import DEFAULT_LIMITS, ReadLimits

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class ShardSpec:
    shard: int
    input_index: int
    first_row: int
    rows: int
    byte_offset: int | None = None  # plain JSON Lines only
    first_line: int | None = None


def _seekable_jsonl(item: InputFile) -> bool:
    if input_format(item.path) != "jsonl":
        return False
    with item.path.open("rb") as handle:
        magic = handle.read(4)
    return not (magic.startswith(b"\x1f\x8b") or magic.startswith(b"\x28\xb5\x2f\xfd"))


def plan_shards(
    inputs: list[InputFile], batch_size: int, stats: list[ReadStats], limits: ReadLimits = DEFAULT_LIMITS
) -> list[ShardSpec]:
    """Shard boundaries of every input, in the order the local engine would cut them."""
    specs: list[ShardSpec] = []
    for input_index, item in enumerate(inputs):
        if _seekable_jsonl(item):
            specs.extend(
                _jsonl_boundaries(item, input_index, batch_size, stats[input_index], len(specs), limits)
            )
            continue
        total = sum(1 for _ in iter_rows(item.path, item.display, stats[input_index], limits))
        for first in range(0, total, batch_size):
            specs.append(ShardSpec(len(specs), input_index, first, min(batch_size, total - first)))
    return specs


def _jsonl_boundaries(
    item: InputFile,
    input_index: int,
    batch_size: int,
    stats: ReadStats,
    first_shard: int,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[ShardSpec]:
    """Blank lines are not rows (as in the reader): a shard starts at its first non-blank line.
    A line over the row limit is never held: it counts by its size (the reader rejects it)."""
    offset, row, start = 0, 0, None
    with item.path.open("rb") as handle:
        for number, line in enumerate(bounded_lines(handle, limits.max_row_bytes), 1):
            if isinstance(line, OversizedLine):
                content, size = b"x", line.size
            else:
                content, size = (line.removeprefix(_BOM) if number == 1 else line), len(line)
            if content.strip():
                if row % batch_size == 0:
                    start = (offset, number, row)
                row += 1
                if row % batch_size == 0:
                    yield ShardSpec(first_shard, input_index, start[2], batch_size, start[0], start[1])
                    first_shard += 1
            else:
                stats.blank_lines += 1
            offset += size
    if row % batch_size:
        yield ShardSpec(first_shard, input_index, start[2], row % batch_size, start[0], start[1])
    stats.rows += row
    stats.files += 1
    stats.bytes += offset


def read_shard(item: InputFile, spec: ShardSpec, limits: ReadLimits = DEFAULT_LIMITS) -> list[RawRow]:
    """The rows of one shard, numbered as in a read of the whole file."""
    if spec.byte_offset is None:
        rows = iter_rows(item.path, item.display, None, limits)
        return list(itertools.islice(rows, spec.first_row, spec.first_row + spec.rows))
    with item.path.open("rb") as handle:
        handle.seek(spec.byte_offset)
        rows = read_jsonl_from(handle, item.display, ReadStats(), spec.first_line, spec.first_row, limits)
        return list(itertools.islice(rows, spec.rows))
