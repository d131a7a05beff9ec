"""Sharded Parquet output: zstd, fixed row groups, atomic per shard, byte-identical across runs.

Rows are dicts of JSON-able values. The schema is the one given, or the one inferred from the
first row group. Either way a row is never silently cut down to fit: a key (at any depth) that
the schema lacks raises ValueError, where pyarrow alone would drop it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curator.io.writers import AtomicFile, shard_name

ROW_GROUP_ROWS = 10_000


class ParquetShardWriter:
    """Parquet split into ``<prefix>-00000.parquet``, ``-00001`` … of ``max_records`` rows each.

    Same contract as ``ShardedJsonlWriter``: at least one shard, each atomic, all removed when
    the ``with`` block raises. Pass ``schema`` for data whose first rows may not show every field
    (e.g. an optional ``name`` in messages): inference sees only the first row group.
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        max_records: int | None = None,
        schema: pa.Schema | None = None,
        row_group_size: int = ROW_GROUP_ROWS,
        compression: str = "zstd",
    ) -> None:
        if max_records is not None and max_records < 1:
            raise ValueError("max_records must be at least 1")
        if row_group_size < 1:
            raise ValueError("row_group_size must be at least 1")
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_records = max_records
        self.schema = schema
        self.row_group_size = row_group_size
        self.compression = compression
        self.paths: list[Path] = []
        self.count = 0
        self._rows: list[dict[str, Any]] = []
        self._target: AtomicFile | None = None
        self._writer: pq.ParquetWriter | None = None
        self._shard_rows = 0

    def __enter__(self) -> ParquetShardWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def write_row(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        self.count += 1
        room = self.max_records - self._shard_rows if self.max_records is not None else self.row_group_size
        if len(self._rows) >= min(self.row_group_size, room):
            self._flush()

    def write_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.write_row(row)

    def _flush(self) -> None:
        if not self._rows:
            return
        table = self._to_table(self._rows)
        self._rows = []
        if self._writer is None:
            self._open_shard()
        self._writer.write_table(table, row_group_size=self.row_group_size)  # type: ignore[union-attr]
        self._shard_rows += table.num_rows
        if self.max_records is not None and self._shard_rows >= self.max_records:
            self._close_shard()

    def _to_table(self, rows: list[dict[str, Any]]) -> pa.Table:
        try:
            inferred = pa.Table.from_pylist(rows)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ValueError(f"rows cannot be stored as one Parquet table: {exc}") from None
        if self.schema is None:
            self.schema = inferred.schema
            return inferred
        lost = list(_missing_fields(inferred.schema, self.schema))
        if lost:
            raise ValueError(f"rows have fields the Parquet schema lacks: {', '.join(lost)}")
        for field in self.schema:
            if field.name not in inferred.column_names:  # no row in this group had the key
                inferred = inferred.append_column(field.name, pa.nulls(inferred.num_rows, field.type))
        try:
            return inferred.select(self.schema.names).cast(self.schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError) as exc:
            raise ValueError(f"rows do not fit the Parquet schema: {exc}") from None

    def _open_shard(self) -> None:
        name = shard_name(self.prefix, len(self.paths), ".parquet", None)
        self._target = AtomicFile(self.directory / name)
        schema = self.schema if self.schema is not None else pa.schema([])
        self._writer = pq.ParquetWriter(self._target.tmp, schema, compression=self.compression)
        self._shard_rows = 0

    def _close_shard(self) -> None:
        assert self._writer is not None and self._target is not None
        self._writer.close()
        self._writer = None
        self._shard_rows = 0
        self._target.commit()
        self.paths.append(self._target.path)
        self._target = None

    def close(self) -> list[Path]:
        """Write what is buffered and finish the last shard; returns every shard, in order."""
        try:
            self._flush()
            if self._writer is None and not self.paths:
                self._open_shard()  # an empty shard, so that readers find a file
            if self._writer is not None:
                self._close_shard()
        except BaseException:
            self.abort()
            raise
        return list(self.paths)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._target is not None:
            self._target.discard()
            self._target = None
        for path in self.paths:
            path.unlink(missing_ok=True)
        self.paths.clear()
        self._rows = []


def _missing_fields(have: pa.Schema, want: pa.Schema) -> Iterator[str]:
    """Dotted names of fields in ``have`` with no place in ``want`` (a cast would drop them)."""
    wanted = {field.name: field.type for field in want}
    for field in have:
        if field.name not in wanted:
            yield field.name
        else:
            yield from _missing_in_type(field.type, wanted[field.name], field.name)


def _missing_in_type(have: pa.DataType, want: pa.DataType, where: str) -> Iterator[str]:
    if pa.types.is_struct(have) and pa.types.is_struct(want):
        wanted = {want.field(i).name: want.field(i).type for i in range(want.num_fields)}
        for i in range(have.num_fields):
            field = have.field(i)
            if field.name not in wanted:
                yield f"{where}.{field.name}"
            else:
                yield from _missing_in_type(field.type, wanted[field.name], f"{where}.{field.name}")
    elif _is_list(have) and _is_list(want):
        yield from _missing_in_type(have.value_type, want.value_type, f"{where}[]")


def _is_list(kind: pa.DataType) -> bool:
    return pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
