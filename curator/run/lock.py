"""One run per folder: an exclusive lock on ``<run>/.lock`` for as long as a run works there.

``fcntl.flock`` is held by the open file, and the kernel drops it when the process ends in any way
(exit, exception, SIGKILL), so the lock of a killed run is stale by construction: the next run
simply takes it. The file holds who took the lock, for the message a second run prints. It is
removed when the run ends (so a finished folder is the same bytes every time); a run that locked
a file which was removed meanwhile notices (the name points elsewhere) and tries again.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from pathlib import Path

import orjson

from curator.errors import CuratorError

LOCK_FILE = ".lock"


class FolderLock:
    """``with FolderLock(folder):`` — raises CuratorError naming the holder when another run has it."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _describe(os.read(fd, 4096))
                os.close(fd)
                raise CuratorError(
                    f"{self.folder} is in use by another run ({holder}); wait for it to finish or choose "
                    "another --out"
                ) from None
            if _same_file(fd, self.path):
                break
            os.close(fd)  # the holder removed the file as we opened it: lock the new one
        os.ftruncate(fd, 0)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": int(time.time())}
        os.pwrite(fd, orjson.dumps(info), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            if _same_file(self._fd, self.path):
                self.path.unlink()  # while still locked: nobody can hold this file after us
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _describe(raw: bytes) -> str:
    try:
        info = orjson.loads(raw)
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(int(info["since"])))
        return f"pid {int(info['pid'])} on {str(info['host'])[:100]}, since {since}"
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return "holder unknown"
