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
from curator.io.rows import RawRow, ReadStats

_BOM = b"\xef\xbb\xbf"
# An escaped UTF-16 surrogate: orjson refuses lone ones, the stdlib accepts them.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_JSON_TYPES = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def read_jsonl(stream: BinaryIO, name: str, stats: ReadStats) -> Iterator[RawRow]:
    """Rows of a JSON Lines stream, read line by line."""
    return _jsonl_rows(stream, name, stats)


def read_json(stream: BinaryIO, path: Path, name: str, stats: ReadStats) -> Iterator[RawRow]:
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
        yield from _array_rows(b"".join(head) + stream.read(), path, name, stats)
    elif first == b"{":
        _reject_single_object(b"".join(head) + stream.read(), path)
    elif first.startswith(b"{"):
        yield from _jsonl_rows(itertools.chain(head, stream), name, stats)
    else:
        raise InputError(
            f"{path}: expected a JSON array of objects or JSON Lines, but the file starts with {first[:20]!r}"
        )


def read_jsonl_from(
    stream: BinaryIO, name: str, stats: ReadStats, first_line: int, first_row: int
) -> Iterator[RawRow]:
    """Rows of a JSON Lines stream positioned at the start of line ``first_line`` (row ``first_row``).

    For engines that split one file into byte ranges: numbering matches a read from the start.
    """
    return _jsonl_rows(stream, name, stats, first_line, first_row)


def _jsonl_rows(
    lines: Iterable[bytes], name: str, stats: ReadStats, first_line: int = 1, first_row: int = 0
) -> Iterator[RawRow]:
    loads = orjson.loads
    row = first_row
    for number, line in enumerate(lines, first_line):
        try:
            data = loads(line)
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
        if type(data) is dict:
            yield RawRow(name, row, number, data, None, None)
        else:
            stats.errors += 1
            yield RawRow(name, row, number, None, _raw_text(line), _not_object(data))
        row += 1


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
    except ValueError:  # JSONDecodeError, or NaN/Infinity, which orjson rightly rejects
        return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _array_rows(document: bytes, path: Path, name: str, stats: ReadStats) -> Iterator[RawRow]:
    items = _load_document(document, path)
    if not isinstance(items, list):
        raise InputError(f"{path}: expected a JSON array of objects, found a JSON {_json_type(items)}")
    del document
    for row, item in enumerate(items):
        stats.rows += 1
        if type(item) is dict:
            yield RawRow(name, row, None, item, None, None)
        else:
            stats.errors += 1
            yield RawRow(name, row, None, None, json.dumps(item, ensure_ascii=False), _not_object(item))


def _load_document(document: bytes, path: Path) -> Any:
    """Parse a whole JSON document or raise InputError saying where it is broken."""
    if document.startswith(_BOM):
        document = document[3:]
    try:
        return orjson.loads(document)
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
