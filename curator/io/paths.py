"""Finding inputs and checking them before a run writes anything.

``expand_paths`` turns a recipe's path or glob into a sorted list of inputs; ``check_readable``
fails fast, with one line a user can act on, for anything ``iter_rows`` could not read.
"""

from __future__ import annotations

import glob
import os
import re
import stat
from pathlib import Path
from typing import Any, Literal

import orjson
import zstandard

from curator.errors import InputError
from curator.io.compression import detect_compression, read_head, strip_compression_suffix
from curator.io.remote import fetch, is_url, remote_name

InputFormat = Literal["jsonl", "json", "parquet", "csv", "tsv", "datasets"]

EXTENSIONS: dict[str, InputFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonlines": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".csv": "csv",
    ".tsv": "tsv",
}
SUPPORTED = (
    f"{', '.join(EXTENSIONS)} (each optionally .gz or .zst, except .parquet), "
    "or a folder written by datasets' save_to_disk"
)
_GLOB_CHARS = re.compile(r"[*?\[]")
_DATASET_MARKERS = ("state.json", "dataset_dict.json")


def is_datasets_dir(path: Path) -> bool:
    """True for a folder written by ``Dataset.save_to_disk`` or ``DatasetDict.save_to_disk``."""
    return path.is_dir() and any((path / marker).is_file() for marker in _DATASET_MARKERS)


def input_format(path: Path) -> InputFormat | None:
    """The format ``iter_rows`` reads ``path`` as, from its extension; None when unsupported."""
    if path.is_dir():
        return "datasets" if is_datasets_dir(path) else None
    return EXTENSIONS.get(strip_compression_suffix(path).suffix.lower())


def display_path(path: Path, base_dir: Path) -> str:
    """``path`` relative to ``base_dir`` (POSIX form) when inside it, else absolute.

    Use it for provenance: record ids hash the file name, so it must not depend on where the
    recipe's folder happens to live.
    """
    # abspath, not resolve: a symlinked input keeps the name the recipe gave it.
    url = remote_name(Path(path))
    if url is not None:  # a cached remote file: provenance (and so record ids) name the URL
        return url
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(os.path.abspath(base_dir)).as_posix()
    except ValueError:
        return str(absolute)


def expand_paths(
    pattern: str | Path, base_dir: Path, storage_options: dict[str, Any] | None = None
) -> list[Path]:
    """The inputs a recipe's path or glob names, sorted by path components.

    Relative patterns resolve against ``base_dir`` (the recipe's folder); ``**`` matches any depth.
    A glob keeps files and datasets folders, drops other folders and the files inside datasets
    folders, and keeps files of unsupported types so that ``check_readable`` names them. A URL
    (s3://, gs://, hf://, https://, …) is fetched into the local cache (``curator.io.remote``).
    """
    if is_url(pattern):
        return fetch(str(pattern), storage_options)
    text = os.path.expanduser(str(pattern))
    full = Path(text) if os.path.isabs(text) else Path(base_dir) / text
    if full.exists() or not _GLOB_CHARS.search(text):  # a literal name wins, even one with '[' in it
        if not full.exists():
            raise InputError(f"input not found: '{pattern}' (looked in {full.parent.resolve()})")
        return [full]
    matches = {Path(m) for m in glob.glob(str(full), recursive=True)}
    datasets_dirs = {m for m in matches if is_datasets_dir(m)}
    kept = [
        m
        for m in matches
        # a split folder of a matched DatasetDict is read with it; files inside datasets folders never
        if (m in datasets_dirs and m.parent not in datasets_dirs) or (m.is_file() and not _in_datasets_dir(m))
    ]
    if not kept:
        raise InputError(f"no file matches '{pattern}' (looked in {_glob_root(full).resolve()})")
    return sorted(kept, key=lambda p: p.parts)


def _in_datasets_dir(path: Path) -> bool:
    # A DatasetDict nests Dataset folders one level down, so look at parent and grandparent.
    return any(is_datasets_dir(parent) for parent in path.parents[:2])


def _glob_root(full: Path) -> Path:
    """The deepest folder of a glob pattern before its first wildcard."""
    root = full
    while _GLOB_CHARS.search(str(root)) and root != root.parent:
        root = root.parent
    return root


def check_readable(path: Path) -> None:
    """Raise InputError with one clear line unless ``iter_rows(path)`` can start reading.

    Cheap: it opens the file and reads its first bytes (and a Parquet file's footer), so call it
    for every input before the run writes any output.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode  # follows links: a link to /dev/zero is a device
    except FileNotFoundError:
        raise InputError(f"input not found: {path}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        _check_datasets_dir(path)
        return
    if not stat.S_ISREG(mode):
        device = stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if device else "a socket"
        raise InputError(f"{path}: is {kind}, not a regular file; inputs must be regular files")
    fmt = input_format(path)
    if fmt is None:
        suffix = "".join(path.suffixes[-2:]) or "(none)"
        raise InputError(f"{path}: unsupported file type {suffix}; supported: {SUPPORTED}")
    try:
        compression = detect_compression(path)
        if fmt == "parquet":
            _check_parquet(path, compression)
            return
        head = read_head(path, 4)
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except (OSError, EOFError, zstandard.ZstdError) as exc:  # gzip.BadGzipFile is an OSError
        what = f"corrupt {compression} data" if compression else "cannot read"
        raise InputError(f"{path}: {what}: {exc}") from None
    check_text_head(path, head)


def check_text_head(path: Path, head: bytes) -> None:
    """Reject text in an encoding other than UTF-8, which would otherwise fail row by row."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: the file is UTF-16 encoded; convert it to UTF-8")


def _check_parquet(path: Path, compression: str | None) -> None:
    import pyarrow.parquet as pq

    if compression is not None:
        raise InputError(f"{path}: a {compression}-compressed Parquet file cannot be read; decompress it")
    try:
        pq.ParquetFile(path).close()
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError and others for a bad footer
        raise InputError(f"{path}: not a valid Parquet file: {exc}") from None


def _check_datasets_dir(path: Path) -> None:
    if not is_datasets_dir(path):
        raise InputError(
            f"{path}: is a folder but not one written by datasets' save_to_disk (no state.json or "
            f"dataset_dict.json); to read the files in it use a glob such as '{path}/*.jsonl'"
        )
    if not os.access(path, os.R_OK | os.X_OK):
        raise InputError(f"{path}: permission denied")
    dict_file = path / "dataset_dict.json"
    if dict_file.is_file():
        for split in _load_json(dict_file).get("splits", []):
            _check_datasets_dir(path / split)
        return
    for entry in _load_json(path / "state.json").get("_data_files", []):
        data_file = path / entry.get("filename", "")
        if not data_file.is_file():
            raise InputError(f"{path}: datasets folder is incomplete: {data_file.name} is missing")


def _load_json(path: Path) -> dict:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read datasets metadata: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: cannot read datasets metadata: expected a JSON object")
    return data


__all__ = [
    "EXTENSIONS",
    "SUPPORTED",
    "InputFormat",
    "check_readable",
    "check_text_head",
    "display_path",
    "expand_paths",
    "input_format",
    "is_datasets_dir",
]
