"""Atomic, deterministic writers: a crash never leaves a half file under a final name.

Every file is written to a hidden ``.<name>.<pid>-<n>.tmp`` beside it, fsynced, then renamed over
the final name. Compressed output is byte-identical across runs (see ``compression``).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO

import orjson

from curator.io.compression import Compression, compression_from_suffix, open_binary_writer

Infer = Literal["infer"]
_temp_ids = itertools.count()
_FLUSH_BYTES = 1 << 20


class AtomicFile:
    """A temporary sibling of ``path`` that becomes ``path`` on ``commit`` and vanishes on ``discard``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}-{next(_temp_ids)}.tmp")

    def commit(self, fsync: bool = True) -> None:
        """Rename the temp file onto the final path (after fsync, so the rename never exposes a hole)."""
        try:
            if fsync:
                _fsync(self.tmp, os.O_RDONLY)
            os.replace(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise
        # Make the rename durable; some filesystems refuse fsync on a directory (the data is safe).
        with contextlib.suppress(OSError):
            _fsync(self.path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces ``path``, on an exception it is removed."""
    target = AtomicFile(path)
    try:
        yield target.tmp
    except BaseException:
        target.discard()
        raise
    target.commit()


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Pretty, key-sorted JSON with a trailing newline: the same object gives the same bytes."""
    write_bytes_atomic(path, orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


def resolve_compression(path: Path, compression: Compression | Infer | None) -> Compression | None:
    """``"infer"`` means: from the suffix (``.gz``, ``.zst``); otherwise the value as given."""
    return compression_from_suffix(path) if compression == "infer" else compression


@contextmanager
def open_text_writer(
    path: Path, compression: Compression | Infer | None = "infer", encoding: str = "utf-8"
) -> Iterator[TextIO]:
    """An atomic text file, compressed by suffix by default; ``\\n`` line endings on every OS."""
    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        stream = open_binary_writer(raw, resolve_compression(Path(path), compression))
        text = io.TextIOWrapper(stream, encoding=encoding, newline="\n")  # type: ignore[arg-type]
        try:
            yield text
        except BaseException:
            with contextlib.suppress(Exception):  # the file is discarded; just release it cleanly
                text.close()
            raise
        text.close()  # flushes, and writes the compressed trailer; closing raw twice is harmless


class JsonlWriter:
    """One JSON Lines file, written atomically; use as a context manager.

    ``write_line`` takes one serialised row (bytes, no newline). Lines are buffered and written in
    large chunks, which matters for gzip. On an exception inside the ``with`` block, nothing
    appears at ``path``.
    """

    def __init__(
        self, path: Path, compression: Compression | Infer | None = "infer", durable: bool = True
    ) -> None:
        self.path = Path(path)
        self.compression = resolve_compression(self.path, compression)
        self.durable = durable  # fsync before rename; intermediate work files skip it
        self.count = 0
        self._target: AtomicFile | None = None
        self._raw: BinaryIO | None = None
        self._stream: BinaryIO | None = None
        self._buffer: list[bytes] = []
        self._buffered = 0

    def __enter__(self) -> JsonlWriter:
        self.open()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def open(self) -> None:
        if self._target is not None:
            raise RuntimeError(f"{self.path} is already open")
        self._target = AtomicFile(self.path)
        self._raw = open(self._target.tmp, "wb")  # noqa: SIM115 - closed in close()/abort()
        self._stream = open_binary_writer(self._raw, self.compression)

    def write_line(self, line: bytes) -> None:
        if b"\n" in line:
            raise ValueError("a JSON Lines row must not contain a newline byte")
        if self._stream is None:
            raise RuntimeError(f"{self.path} is not open")
        self._buffer.append(line)
        self._buffered += len(line) + 1
        self.count += 1
        if self._buffered >= _FLUSH_BYTES:
            self._flush()

    def write_lines(self, lines: Iterable[bytes]) -> None:
        for line in lines:
            self.write_line(line)

    def write_block(self, block: bytes) -> None:
        """Append whole JSON Lines (each ending in a newline) without splitting them: a fast copy."""
        if self._stream is None:
            raise RuntimeError(f"{self.path} is not open")
        if block and not block.endswith(b"\n"):
            raise ValueError("a block of JSON Lines must end with a newline")
        self._flush()
        self._stream.write(block)
        self.count += block.count(b"\n")

    def _flush(self) -> None:
        if self._buffer:
            self._buffer.append(b"")  # so the join ends with a newline
            self._stream.write(b"\n".join(self._buffer))  # type: ignore[union-attr]
            self._buffer.clear()
            self._buffered = 0

    def close(self) -> Path:
        """Finish the file and move it to its final name; returns that path."""
        if self._target is None or self._raw is None or self._stream is None:
            raise RuntimeError(f"{self.path} is not open")
        try:
            self._flush()
            if self._stream is not self._raw:
                self._stream.close()
            self._raw.flush()
            if self.durable:
                os.fsync(self._raw.fileno())
            self._raw.close()
        except BaseException:
            self.abort()
            raise
        self._target.commit(fsync=False)
        self._target = self._raw = self._stream = None
        return self.path

    def abort(self) -> None:
        """Drop everything written; the final path is left as it was."""
        if self._stream is not None and self._stream is not self._raw:
            with contextlib.suppress(OSError, ValueError):  # the data is being discarded anyway
                self._stream.close()  # else the compressor's finaliser writes to a closed file
        if self._raw is not None:
            self._raw.close()
        if self._target is not None:
            self._target.discard()
        self._target = self._raw = self._stream = None
        self._buffer.clear()
        self._buffered = 0


def shard_name(prefix: str, index: int, extension: str, compression: Compression | None) -> str:
    suffix = {None: "", "gzip": ".gz", "zstd": ".zst"}[compression]
    return f"{prefix}-{index:05d}{extension}{suffix}"


def _end_of_line(block: bytes, lines: int) -> int:
    """Offset just past the ``lines``-th newline of ``block``, or its length if it has fewer."""
    position = 0
    for _ in range(lines):
        found = block.find(b"\n", position)
        if found < 0:
            return len(block)
        position = found + 1
    return position


class ShardedJsonlWriter:
    """JSON Lines split into ``<prefix>-00000.jsonl``, ``-00001`` … of ``max_records`` rows each.

    Each shard is atomic. At least one shard is written, empty if no row was, so readers always
    find a file. On an exception the shards this writer completed are removed too: a partial set
    would pass for a complete output.
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        max_records: int | None = None,
        compression: Compression | None = None,
    ) -> None:
        if max_records is not None and max_records < 1:
            raise ValueError("max_records must be at least 1")
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_records = max_records
        self.compression = compression
        self.paths: list[Path] = []
        self.count = 0
        self._current: JsonlWriter | None = None

    def __enter__(self) -> ShardedJsonlWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _roll(self) -> JsonlWriter:
        if self._current is not None:
            self.paths.append(self._current.close())
        name = shard_name(self.prefix, len(self.paths), ".jsonl", self.compression)
        self._current = JsonlWriter(self.directory / name, self.compression)
        self._current.open()
        return self._current

    def write_line(self, line: bytes) -> None:
        current = self._current
        if current is None or (self.max_records is not None and current.count >= self.max_records):
            current = self._roll()
        current.write_line(line)
        self.count += 1

    def write_lines(self, lines: Iterable[bytes]) -> None:
        for line in lines:
            self.write_line(line)

    def write_block(self, block: bytes) -> None:
        """Append whole JSON Lines (each ending in a newline), rolling shards only where a line ends."""
        while block:
            current = self._current
            if current is None or (self.max_records is not None and current.count >= self.max_records):
                current = self._roll()
            room = None if self.max_records is None else self.max_records - current.count
            cut = len(block) if room is None else _end_of_line(block, room)
            before = current.count
            current.write_block(block[:cut])
            self.count += current.count - before
            block = block[cut:]

    def close(self) -> list[Path]:
        """Finish the last shard; returns every shard written, in order."""
        try:
            if self._current is None and not self.paths:
                self._roll()
            if self._current is not None:
                self.paths.append(self._current.close())
                self._current = None
        except BaseException:
            self.abort()
            raise
        return list(self.paths)

    def abort(self) -> None:
        if self._current is not None:
            self._current.abort()
            self._current = None
        for path in self.paths:
            path.unlink(missing_ok=True)
        self.paths.clear()
