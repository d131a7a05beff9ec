"""JSON Lines and JSON-array readers, fast on good rows and precise about bad ones.

Good lines cost one ``orjson.loads`` on the raw bytes; everything else (BOM, blank lines, invalid
UTF-8, lone surrogate escapes, non-objects) is handled only on the error path.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import orjson

from curator.errors import InputError
from curator.io.paths import check_text_head
from curator.io.rows import DEFAULT_LIMITS, RawRow, ReadLimits, ReadStats

_BOM = b"\xef\xbb\xbf"
# An escaped UTF-16 surrogate: orjson refuses lone ones, the stdlib accepts them.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
# 19+ digits may be an integer past 64 bits, which orjson would turn into a float: the stdlib keeps
# it exact. Text that merely holds such digits only costs the slower parse.
_LONG_DIGITS = re.compile(rb"\d{19}")
_JSON_TYPES = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def read_jsonl(
    stream: BinaryIO, name: str, stats: ReadStats, limits: ReadLimits = DEFAULT_LIMITS
) -> Iterator[RawRow]:
    """Rows of a JSON Lines stream, read line by line."""
    return _jsonl_rows(bounded_lines(stream, limits.max_row_bytes), name, stats, limits=limits)


class OversizedLine:
    """Stands for a line longer than the row limit, which was skipped without being held."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size


def bounded_lines(stream: BinaryIO, limit: int) -> Iterator[bytes | OversizedLine]:
    """The stream's lines; a line over ``limit`` bytes is read past in chunks and yielded as its size.

    A gzip of zeros or a corrupt file can hold one "line" of gigabytes: it must never be in memory.
    """
    readline = stream.readline
    while line := readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        size = len(line)
        while chunk := readline(1 << 20):
            size += len(chunk)
            if chunk.endswith(b"\n"):
                break
        yield OversizedLine(size)


def read_json(
    stream: BinaryIO, path: Path, name: str, stats: ReadStats, limits: ReadLimits = DEFAULT_LIMITS
) -> Iterator[RawRow]:
    """Rows of a ``.json`` file: a JSON array of objects, or JSON Lines under a ``.json`` name.

    The first non-blank character decides: ``[`` is an array (loaded whole), ``{`` is JSON Lines
    (streamed), unless that line is a lone ``{``, i.e. one pretty-printed object, which is rejected.
    """
    head: list[bytes] = []
    for line in stream:
        head.append(line)
        first = (line.removeprefix(_BOM) if len(head) == 1 else line).strip()
        if first:
            break
    else:
        return  # empty or blank file: no rows
    check_text_head(path, head[0])
    if first.startswith(b"["):
        yield from _array_rows(_read_document(head, stream, path, limits), path, name, stats, limits)
    elif first == b"{":
        _reject_single_object(_read_document(head, stream, path, limits), path)
    elif first.startswith(b"{"):
        lines = itertools.chain(head, bounded_lines(stream, limits.max_row_bytes))
        yield from _jsonl_rows(lines, name, stats, limits=limits)
    else:
        raise InputError(
            f"{path}: expected a JSON array of objects or JSON Lines, but the file starts with {first[:20]!r}"
        )


def _read_document(head: list[bytes], stream: BinaryIO, path: Path, limits: ReadLimits) -> bytes:
    """A whole ``.json`` document, refused past ``limits.max_document_bytes`` before it is all read."""
    document = b"".join(head) + stream.read(limits.max_document_bytes + 1)
    if len(document) > limits.max_document_bytes:
        raise InputError(
            f"{path}: a JSON array over {limits.max_document_bytes:,} bytes is parsed whole and is too "
            "big; convert it to JSON Lines (one object per line), which is streamed"
        )
    return document


def read_jsonl_from(
    stream: BinaryIO,
    name: str,
    stats: ReadStats,
    first_line: int,
    first_row: int,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[RawRow]:
    """Rows of a JSON Lines stream positioned at the start of line ``first_line`` (row ``first_row``).

    For engines that split one file into byte ranges: numbering matches a read from the start.
    """
    lines = bounded_lines(stream, limits.max_row_bytes)
    return _jsonl_rows(lines, name, stats, first_line, first_row, limits)


def _jsonl_rows(
    lines: Iterable[bytes | OversizedLine],
    name: str,
    stats: ReadStats,
    first_line: int = 1,
    first_row: int = 0,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[RawRow]:
    loads = orjson.loads
    long_digits = _LONG_DIGITS.search
    max_depth = limits.max_depth
    row = first_row
    for number, line in enumerate(lines, first_line):
        if type(line) is OversizedLine:
            stats.rows += 1
            stats.errors += 1
            yield RawRow(name, row, number, None, None, oversized_error(line.size, limits))
            row += 1
            continue
        try:
            data = loads(line) if long_digits(line) is None else _exact_ints(line)
        except orjson.JSONDecodeError:
            if number == 1 and line.startswith(_BOM):
                line = line[3:]
            if not line.strip():
                stats.blank_lines += 1
                continue
            data, error = _parse_slow(line)
            if error is not None:
                stats.rows += 1
                stats.errors += 1
                yield RawRow(name, row, number, None, _raw_text(line), error)
                row += 1
                continue
        stats.rows += 1
        if type(data) is not dict:
            stats.errors += 1
            yield RawRow(name, row, number, None, _raw_text(line), _not_object(data))
        # Brackets bound the depth from above (C-speed counts): only rare rows are walked.
        elif line.count(b"[") + line.count(b"{") > max_depth and nesting_depth(data, max_depth) > max_depth:
            stats.errors += 1
            yield RawRow(name, row, number, None, _raw_text(line[:4096]), _too_deep(max_depth))
        else:
            yield RawRow(name, row, number, data, None, None)
        row += 1


def oversized_error(size: int, limits: ReadLimits) -> str:
    return f"row of {size:,} bytes is over the {limits.max_row_bytes:,}-byte limit (run.limits.max_row_bytes)"


def _too_deep(limit: int) -> str:
    return f"row is nested deeper than {limit} levels (run.limits.max_depth)"


def nesting_depth(value: Any, stop_after: int) -> int:
    """Depth of nested lists/dicts in ``value`` (a scalar is 0), walked without recursion.

    Stops counting once past ``stop_after``: the caller only needs to know it is too deep.
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > stop_after:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _exact_ints(line: bytes) -> Any:
    """Parse with the stdlib, which keeps integers past 64 bits exact (orjson makes them floats)."""
    try:
        return json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return orjson.loads(line)  # let orjson raise its precise message (or parse what it can)


def _parse_slow(line: bytes) -> tuple[Any, str | None]:
    """Parse a line orjson refused (after BOM removal): the value, or None and a precise reason."""
    try:
        return orjson.loads(line), None
    except orjson.JSONDecodeError as exc:
        first_error = exc
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"invalid UTF-8 (byte 0x{line[exc.start]:02x}) at byte offset {exc.start} of the line"
    value = _loads_with_surrogates(text)
    if value is not None:
        return value, None
    return None, f"invalid JSON: {first_error.msg} at column {first_error.colno}"


def _loads_with_surrogates(text: str) -> Any:
    """The stdlib parse of ``text`` when it has surrogate escapes orjson refuses; else None.

    The record layer removes lone surrogates and flags the repair, so the row is not lost.
    """
    if not _SURROGATE_ESCAPE.search(text):
        return None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # JSONDecodeError, NaN/Infinity, or 10⁵-deep nesting
        return None


def dumps_line(value: Any, default: Any = None) -> bytes:
    """Compact JSON of ``value``: orjson, or the stdlib for integers orjson cannot hold (past 64
    bits, which readers keep exact), so such a row never crashes a writer."""
    try:
        return orjson.dumps(value, default=default)
    except TypeError:  # orjson.JSONEncodeError: "Integer exceeds 64-bit range", or a true type error
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=default).encode(
            "utf-8", "surrogatepass"
        )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _array_rows(
    document: bytes, path: Path, name: str, stats: ReadStats, limits: ReadLimits
) -> Iterator[RawRow]:
    items = _load_document(document, path)
    if not isinstance(items, list):
        raise InputError(f"{path}: expected a JSON array of objects, found a JSON {_json_type(items)}")
    del document
    for row, item in enumerate(items):
        stats.rows += 1
        if type(item) is not dict:
            stats.errors += 1
            yield RawRow(name, row, None, None, _dump_preview(item), _not_object(item))
        elif _has_containers(item) and nesting_depth(item, limits.max_depth) > limits.max_depth:
            stats.errors += 1
            yield RawRow(name, row, None, None, _dump_preview(item), _too_deep(limits.max_depth))
        else:
            yield RawRow(name, row, None, item, None, None)


def _has_containers(item: dict) -> bool:
    # Most rows are flat (strings, numbers): skip the walk for them.
    return any(type(v) is dict or type(v) is list for v in item.values())


def _dump_preview(item: Any) -> str:
    try:
        return json.dumps(item, ensure_ascii=False)[:4096]
    except (ValueError, RecursionError):
        return "(too deeply nested to show)"


def _load_document(document: bytes, path: Path) -> Any:
    """Parse a whole JSON document or raise InputError saying where it is broken."""
    if document.startswith(_BOM):
        document = document[3:]
    try:
        return orjson.loads(document) if _LONG_DIGITS.search(document) is None else _exact_ints(document)
    except orjson.JSONDecodeError as exc:
        error = exc
    try:
        text = document.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: invalid UTF-8 at byte offset {exc.start}") from None
    value = _loads_with_surrogates(text)
    if value is None:
        raise InputError(f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")
    return value


def _reject_single_object(document: bytes, path: Path) -> NoReturn:
    value = _load_document(document, path)
    keys = ", ".join(list(value)[:10]) if isinstance(value, dict) else ""
    raise InputError(
        f"{path}: holds one JSON object (keys: {keys}), not an array of rows or JSON Lines; "
        "extract the list of rows into its own file"
    )


def _not_object(value: Any) -> str:
    return f"row is a JSON {_json_type(value)}, expected an object"


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), "object" if isinstance(value, dict) else type(value).__name__)


def _raw_text(line: bytes) -> str:
    return line.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
