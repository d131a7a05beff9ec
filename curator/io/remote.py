"""Remote files through fsspec: s3://, gs://, az://, hf://datasets/…, http(s)://, and any other
protocol fsspec knows (its package — s3fs, gcsfs, adlfs, huggingface_hub — must be installed).

Inputs, eval sets and tokenizers are fetched once into a local cache (``$CURATOR_CACHE``, default
``~/.cache/curator``), keyed by URL and the object's size and ETag/mtime, written atomically; then
they are read like local files. Provenance and record ids use the URL, never the cache path, so a
record's id is the same on every machine. A run folder on an object store (``--out s3://…``) is
built in a local staging folder (``$CURATOR_CACHE/runs/<hash>``: an interrupted run resumes from
it) and published file by file, the manifest last: as locally, a prefix without the manifest is
an unfinished run (``curator.publish``).

Credentials come from each library's standard environment (for S3: ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, profiles) or from ``storage_options``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from curator.errors import CuratorError, InputError

_URL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
_GLOB_CHARS = re.compile(r"[*?\[]")
# Local cache path → the URL it came from (display_path shows the URL; ids hash it).
REMOTE_NAMES: dict[str, str] = {}


def is_url(text: str | Path) -> bool:
    match = _URL.match(str(text))
    return bool(match) and match.group(1).lower() not in ("file", "local")


def cache_root() -> Path:
    return Path(os.environ.get("CURATOR_CACHE") or Path.home() / ".cache" / "curator").expanduser()


def _filesystem(url: str, storage_options: dict[str, Any] | None) -> tuple[Any, str, str]:
    try:
        import fsspec
    except ImportError:  # pragma: no cover - fsspec comes with datasets
        raise InputError(f"{url}: reading remote paths needs fsspec") from None
    try:
        fs, path = fsspec.core.url_to_fs(url, **(storage_options or {}))
    except (ImportError, ValueError) as exc:
        protocol = url.split("://", 1)[0]
        hint = {"s3": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs"}.get(protocol)
        extra = f" (pip install {hint})" if hint else ""
        raise InputError(f"{url}: cannot open this protocol: {exc}{extra}") from None
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return fs, path, protocol


def open_filesystem(url: str, storage_options: dict[str, Any] | None = None) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path inside it (for a work folder on a bucket)."""
    fs, path, _ = _filesystem(url, storage_options)
    return fs, path


def _url(protocol: str, path: str) -> str:
    return path if _URL.match(path) else f"{protocol}://{path}"


def fetch(pattern: str, storage_options: dict[str, Any] | None = None) -> list[Path]:
    """Local copies of the remote files (or folders) ``pattern`` names; a glob may match several."""
    fs, path, protocol = _filesystem(pattern, storage_options)
    try:
        if _GLOB_CHARS.search(path):
            names = sorted(fs.glob(path))
            if not names:
                raise InputError(f"no file matches '{pattern}'")
        else:
            if not fs.exists(path):
                raise InputError(f"input not found: '{pattern}'")
            names = [path]
        return [_cached(fs, name, _url(protocol, name)) for name in names]
    except InputError:
        raise
    except Exception as exc:  # botocore, gcsfs, adlfs each raise their own kinds: missing
        # credentials, access denied, network errors are all the user's to fix: one line, no traceback
        raise InputError(f"{pattern}: cannot read: {type(exc).__name__}: {exc}") from None


def _cached(fs: Any, name: str, url: str) -> Path:
    info = fs.info(name)
    stamp = f"{info.get('size')}|{info.get('ETag') or info.get('etag') or info.get('mtime') or ''}"
    key = hashlib.sha256(f"{url}\n{stamp}".encode()).hexdigest()[:24]
    target = cache_root() / "remote" / key / (name.rstrip("/").rsplit("/", 1)[-1] or "data")
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own per process: Ray workers on one node share this cache and may fetch
        # the same file at once (with one shared ".partial" the loser's rename found nothing).
        partial = target.with_name(f"{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
        try:
            if info.get("type") == "directory":
                fs.get(name.rstrip("/") + "/", str(partial), recursive=True)
            else:
                fs.get(name, str(partial))
            os.replace(partial, target)  # atomic: a cache entry is complete or absent
        except OSError:
            if not target.exists():  # not a lost race (a folder cannot replace a folder): a real error
                raise
        finally:  # left behind only by a failed or lost download
            if partial.is_dir():
                shutil.rmtree(partial, ignore_errors=True)
            else:
                partial.unlink(missing_ok=True)
    REMOTE_NAMES[str(target)] = url
    return target


def remote_name(path: Path) -> str | None:
    """The URL a cached local file came from, if it came from one."""
    return REMOTE_NAMES.get(str(path))


def staging_dir(url: str) -> Path:
    """The local folder a run for the remote run folder ``url`` is built (and resumed) in."""
    return cache_root() / "runs" / hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:24]


def remote_exists(url: str, name: str, storage_options: dict[str, Any] | None = None) -> bool:
    """Whether the object ``name`` exists under the prefix ``url``."""
    fs, path, _ = _filesystem(url, storage_options)
    try:
        return fs.exists(path.rstrip("/") + "/" + name)
    except Exception as exc:  # as in fetch
        raise CuratorError(f"{url}: cannot read: {type(exc).__name__}: {exc}") from None


def publish(local: Path, url: str, last: str, storage_options: dict[str, Any] | None = None) -> None:
    """Upload the finished run folder ``local`` to ``url``: every file, then ``last`` (the manifest).

    Work files (``_work/``) stay local. Re-publishing overwrites objects with the same bytes.
    """
    fs, path, _ = _filesystem(url, storage_options)
    root = path.rstrip("/")
    files = sorted(
        p for p in local.rglob("*") if p.is_file() and "_work" not in p.relative_to(local).parts
    )
    final = [p for p in files if p.relative_to(local).as_posix() == last]
    try:
        if fs.exists(root + "/" + last):
            fs.rm(root + "/" + last)  # the old run is unfinished from here until the new manifest lands
        for item in [p for p in files if p not in final] + final:
            fs.put_file(str(item), f"{root}/{item.relative_to(local).as_posix()}")
    except Exception as exc:  # as in fetch: credentials, permissions, network
        raise CuratorError(f"{url}: cannot write: {type(exc).__name__}: {exc}") from None
