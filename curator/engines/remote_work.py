"""A run's work folder on an object store (``s3://…``): no filesystem shared between nodes.

Every node works in its own local folder (under ``$CURATOR_CACHE``, keyed by the work URL and
the run's attempt, so an interrupted attempt's files are never taken for this one's). A shard
task writes its files there as on one machine, then uploads every file of its shard — the
completion marker (``done/``) last — and deletes the local copies. A task that needs a file
another node wrote (a previous pass's records, a reduce's signature files, its parts' results,
a shard's decisions) downloads it once per node. At the end the driver downloads what the run
folder is assembled from (kept, removed and rejected records); the prefix is deleted only once
the run folder is finished (its manifest written), so a run interrupted at any point before that
resumes from it. The driver writes each completion marker into its own work folder as the report
arrives, so its folder says what an interrupted run resumes from (a fresh one clears the prefix
first). Each node's copies, every attempt's, are deleted at the end of the engine's run.
Inputs on the driver's own disk are uploaded under ``inputs/`` first: the bucket is the only thing
the nodes share, so a local path may not exist on the node that reads it.
Objects are written whole (an S3 PUT is atomic); downloads are atomic locally.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curator.errors import CuratorError
from curator.io.remote import cache_root, open_filesystem

# Work folders the driver needs to assemble the run folder; the others are intermediate.
_ASSEMBLED = ("kept", "removed", "rejected")


@dataclass
class RemoteWork:
    """The work folder at ``url``, mirrored per node; pickled to Ray tasks (the client is not)."""

    url: str
    storage_options: dict[str, Any] | None = None
    attempt: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _fs: Any = field(default=None, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "storage_options": self.storage_options, "attempt": self.attempt}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _fs=None)

    @property
    def fs(self) -> Any:
        if self._fs is None:
            self._fs, root = open_filesystem(self.url, self.storage_options)
            self._root = root.rstrip("/")
        return self._fs

    def key(self, rel: str) -> str:
        self.fs  # noqa: B018 (sets _root)
        return f"{self._root}/{rel}"

    @property
    def local(self) -> Path:
        """This node's folder for this attempt: task outputs until uploaded, downloads kept."""
        digest = hashlib.sha256(self.url.rstrip("/").encode()).hexdigest()[:24]
        return cache_root() / "work" / digest / self.attempt

    def outputs(self) -> Path:
        """Where shard tasks write (a ``WorkDir`` root); uploaded and emptied after each task."""
        return self.local / "out"

    def pull(self, rel: str | Path, target: Path | None = None) -> Path:
        """A local copy of the object ``rel`` (downloaded once per node unless ``target`` is given)."""
        rel = Path(rel).as_posix()
        path = target or self.local / "in" / rel
        if target is None and path.exists():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.partial")
        try:
            self.fs.get_file(self.key(rel), str(partial))
        except FileNotFoundError:
            raise CuratorError(f"{self.url}/{rel}: missing from the work folder") from None
        os.replace(partial, path)
        return path

    def push(self, path: Path, rel: str | Path) -> None:
        self.fs.put_file(str(path), self.key(Path(rel).as_posix()))

    def push_shard(self, root: Path, shard: int) -> None:
        """Upload every file of ``shard`` under ``root`` (its marker last), then delete them."""
        name = f"{shard:06d}."
        files = sorted(
            Path(folder) / f
            for folder, _, names in os.walk(root)
            for f in names
            if f.startswith(name) and not f.endswith(".partial")
        )
        markers = [p for p in files if p.relative_to(root).parts[0] == "done"]
        for path in [p for p in files if p not in markers] + markers:
            self.push(path, path.relative_to(root))
        for path in files:
            path.unlink()

    def upload_input(self, index: int, path: Path, size: int) -> str:
        """Put the driver's local input ``path`` (a file or a ``datasets`` folder) under the
        prefix, streamed (fsspec uploads in parts: memory stays bounded); its URL, which every node
        fetches like any remote input. A resumed run keeps an upload whose size matches (the run's
        fingerprint has already checked that the input did not change)."""
        rel = f"inputs/{index:05d}/{path.name}"
        key = self.key(rel)
        if path.is_dir():
            self.fs.put(str(path).rstrip("/") + "/", key, recursive=True)
        elif not (self.fs.exists(key) and self.fs.size(key) == size):
            self.fs.put_file(str(path), key)
        return f"{self.url.rstrip('/')}/{rel}"

    def pull_assembled(self, root: Path) -> None:
        """Download what the run folder is assembled from into the driver's ``root``."""
        base = self.key("")
        for key in sorted(self.fs.find(base.rstrip("/"))):
            rel = key[len(base) :]
            if rel.split("/", 1)[0] in _ASSEMBLED:
                self.pull(rel, root / rel)

    def remove(self) -> None:
        """Delete the work prefix (the driver holds everything the run folder needs)."""
        if self.fs.exists(self.key("").rstrip("/")):
            self.fs.rm(self.key("").rstrip("/"), recursive=True)


def remove_work(url: str, storage_options: dict[str, Any] | None = None) -> None:
    """Delete the work prefix ``url`` of a finished run, if there is one."""
    RemoteWork(url, storage_options).remove()
