"""Readers for tables: CSV/TSV, Parquet and folders written by ``datasets``' ``save_to_disk``.

Arrow-backed rows come out as plain Python values that orjson can write: columns of types JSON
has no word for (binary, timestamps, decimals, maps with non-string keys) are converted; the
check is made once per schema, so ordinary string and nested list/struct columns cost nothing.
"""

from __future__ import annotations

import base64
import csv
import datetime
import decimal
import io
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa

from curator.errors import InputError
from curator.io.rows import DEFAULT_LIMITS, RawRow, ReadLimits, ReadStats

BATCH_ROWS = 8192
_SURROGATE = re.compile("[\udc80-\udcff]")  # what surrogateescape turns invalid UTF-8 bytes into


def _set_field_limit(limit: int) -> None:
    # Instruction data has fields of megabytes (the csv default is 128 KiB); the row limit bounds it,
    # so a quote left open cannot swallow the rest of a huge file into one field.
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:  # C long is 32 bits on some platforms
            limit //= 2


def read_csv(
    stream: BinaryIO,
    path: Path,
    name: str,
    stats: ReadStats,
    delimiter: str,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[RawRow]:
    """Rows of a CSV/TSV stream with a header row; every value is a string, empty cells are ""."""
    _set_field_limit(min(limits.max_row_bytes, sys.maxsize))
    with io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
        # strict: a quote still open at the end of the file is an error, not a silently merged row.
        yield from _csv_rows(csv.reader(text, delimiter=delimiter, strict=True), path, name, stats)


def _csv_rows(reader: Any, path: Path, name: str, stats: ReadStats) -> Iterator[RawRow]:
    """``reader`` is a ``csv.reader``; its ``line_num`` gives each row's first physical line."""
    header: list[str] | None = None
    end = row = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{path}: line {reader.line_num}: {exc}") from None
        start, end = end + 1, reader.line_num
        if not values:
            stats.blank_lines += 1
            continue
        if header is None:
            header = values
            duplicates = sorted({column for column in header if header.count(column) > 1})
            if duplicates:
                raise InputError(f"{path}: the header names a column twice: {', '.join(duplicates)}")
            continue
        if len(values) != len(header):
            error = f"row has {len(values)} fields, the header has {len(header)}"
        else:
            error = _invalid_utf8(header, values)
        stats.rows += 1
        if error is None:
            yield RawRow(name, row, start, dict(zip(header, values, strict=True)), None, None)
        else:
            stats.errors += 1
            yield RawRow(name, row, start, None, _csv_text(values, reader.dialect.delimiter), error)
        row += 1


def _invalid_utf8(header: list[str], values: list[str]) -> str | None:
    for column, value in zip(header, values, strict=True):
        if not value.isascii() and _SURROGATE.search(value):
            return f"invalid UTF-8 in column '{column}'"
    return None


def _csv_text(values: list[str], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(values)
    return out.getvalue().encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_parquet(path: Path, name: str, stats: ReadStats) -> Iterator[RawRow]:
    """Rows of a Parquet file, one record batch at a time."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as parquet:
        yield from _table_rows(parquet.iter_batches(batch_size=BATCH_ROWS), parquet.schema_arrow, name, stats)


def read_datasets_dir(path: Path, name: str, stats: ReadStats) -> Iterator[RawRow]:
    """Rows of a ``save_to_disk`` folder, memory-mapped, in batches.

    A DatasetDict's splits are read one after another in the order its dataset_dict.json lists
    them (the order they were saved in), numbered as one sequence of rows; the split name is not
    kept. Point the recipe at ``folder/<split>`` to read one split.
    """
    import datasets

    loaded = datasets.load_from_disk(str(path))
    splits = list(loaded.values()) if isinstance(loaded, datasets.DatasetDict) else [loaded]
    offset = 0
    for split in splits:
        batches = split.with_format("arrow").iter(batch_size=BATCH_ROWS)
        yield from _table_rows(batches, split.data.schema, name, stats, first_row=offset)
        offset += split.num_rows


def _table_rows(
    batches: Iterator[pa.RecordBatch | pa.Table],
    schema: pa.Schema,
    name: str,
    stats: ReadStats,
    first_row: int = 0,
) -> Iterator[RawRow]:
    convert = [field.name for field in schema if _needs_conversion(field.type)]
    row = first_row
    for batch in batches:
        for data in batch.to_pylist(maps_as_pydicts="lossy"):
            for column in convert:
                data[column] = to_plain(data[column])
            stats.rows += 1
            yield RawRow(name, row, None, data, None, None)
            row += 1


def _type_test(name: str) -> Callable[[pa.DataType], bool]:
    return getattr(pa.types, name, lambda _kind: False)  # view types are missing from older pyarrow


_SCALAR_OK = [_type_test(n) for n in ("is_null", "is_boolean", "is_integer", "is_floating", "is_string")]
_SCALAR_OK += [_type_test(n) for n in ("is_large_string", "is_string_view")]
_LISTS = [_type_test(n) for n in ("is_list", "is_large_list", "is_fixed_size_list", "is_list_view")]
_LISTS += [_type_test("is_large_list_view"), _type_test("is_dictionary")]


def _needs_conversion(kind: pa.DataType) -> bool:
    if any(test(kind) for test in _SCALAR_OK):
        return False
    if any(test(kind) for test in _LISTS):
        return _needs_conversion(kind.value_type)
    if pa.types.is_struct(kind):
        return any(_needs_conversion(kind.field(i).type) for i in range(kind.num_fields))
    return True  # binary, temporal, decimal, map, union, extension types


def _iso(value: Any) -> str:
    return value.isoformat()


_PLAIN: dict[type, Callable[[Any], Any]] = {
    datetime.datetime: _iso,
    datetime.date: _iso,
    datetime.time: _iso,
    datetime.timedelta: lambda value: value.total_seconds(),
    decimal.Decimal: str,  # exact; a float could round
}


def to_plain(value: Any) -> Any:
    """``value`` as JSON-able Python: str/int/float/bool/None, lists and dicts with str keys.

    bytes become text when they are UTF-8, else ``"base64:<data>"``.
    """
    if value is None or isinstance(value, (str, bool, int, float)):
        return value.item() if hasattr(value, "item") else value  # numpy scalars subclass int/float
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(data).decode("ascii")
    convert = _PLAIN.get(type(value))
    if convert is not None:
        return convert(value)
    if hasattr(value, "item"):  # other numpy scalars
        return to_plain(value.item())
    return str(value)
