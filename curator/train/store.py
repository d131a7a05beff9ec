"""Encoded training examples on disk, memory-mapped: training memory does not grow with the data.

Examples are appended as they are encoded (a stream of records in, nothing held per record) to
three flat files in a scratch folder: token ids (int32), targets (int32, ``IGNORE`` where nothing
is learned) and target bytes (uint16). Only the offsets stay in memory (8 bytes per example).
Once closed, ``store[i]`` is example ``i`` as an :class:`~curator.train.chat.Encoded` whose arrays
are views of the memory maps, so packing reads just the examples of the rows it builds and the
operating system pages the rest in and out as it likes.

10 bytes per token on disk instead of 20 in memory (int64 ids and targets, int32 bytes): token ids
of every supported tokenizer fit in 31 bits, and one token never carries 65,536 bytes of text.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import TracebackType

import numpy as np

from curator.train.chat import Encoded

FIELDS = (("input_ids", np.int32), ("targets", np.int32), ("target_bytes", np.uint16))
_FLUSH_TOKENS = 1 << 20  # buffered tokens per file before a write


class TokenStore:
    """Append-only store of encoded examples; read by index once :meth:`close` d.

    Use as a context manager (or call :meth:`cleanup`): the scratch folder is deleted at the end.
    """

    def __init__(self, folder: str | Path | None = None) -> None:
        self._scratch = tempfile.TemporaryDirectory(prefix="curator-tokens-", dir=folder)
        self.path = Path(self._scratch.name)
        self._files = {name: (self.path / f"{name}.bin").open("wb") for name, _ in FIELDS}
        self._pending: dict[str, list[np.ndarray]] = {name: [] for name, _ in FIELDS}
        self._pending_tokens = 0
        self._lengths: list[int] = []
        self.truncated = 0
        self.tokens = 0
        self._maps: dict[str, np.ndarray] | None = None
        self.offsets = np.zeros(1, dtype=np.int64)

    # -- writing -----------------------------------------------------------------------------------
    def add(self, example: Encoded) -> None:
        if self._maps is not None:
            raise RuntimeError("the token store is closed")
        if len(example) and int(example.target_bytes.max()) > np.iinfo(np.uint16).max:
            raise ValueError("a token carries more than 65,535 bytes of text")
        for name, dtype in FIELDS:
            self._pending[name].append(np.asarray(getattr(example, name), dtype=dtype))
        self._lengths.append(len(example))
        self.truncated += bool(example.truncated)
        self.tokens += len(example)
        self._pending_tokens += len(example)
        if self._pending_tokens >= _FLUSH_TOKENS:
            self._flush()

    def _flush(self) -> None:
        for name, _ in FIELDS:
            if self._pending[name]:
                self._files[name].write(np.concatenate(self._pending[name]).tobytes())
            self._pending[name] = []
        self._pending_tokens = 0

    def close(self) -> TokenStore:
        """Finish writing and map the files for reading (idempotent)."""
        if self._maps is not None:
            return self
        self._flush()
        for handle in self._files.values():
            handle.close()
        self.offsets = np.zeros(len(self._lengths) + 1, dtype=np.int64)
        np.cumsum(np.asarray(self._lengths, dtype=np.int64), out=self.offsets[1:])
        self._lengths = []
        self._maps = {}
        for name, dtype in FIELDS:
            if self.tokens:
                self._maps[name] = np.memmap(self.path / f"{name}.bin", dtype=dtype, mode="r")
            else:  # numpy cannot map an empty file
                self._maps[name] = np.zeros(0, dtype=dtype)
        return self

    # -- reading -----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.offsets) - 1 if self._maps is not None else len(self._lengths)

    @property
    def lengths(self) -> np.ndarray:
        """Tokens of each example, (n,) int64."""
        return np.diff(self.offsets)

    def __getitem__(self, index: int) -> Encoded:
        maps = self._maps
        if maps is None:
            raise RuntimeError("close() the token store before reading it")
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        return Encoded(
            maps["input_ids"][start:end],
            maps["targets"][start:end],
            maps["target_bytes"][start:end],
            truncated=False,  # not kept per example; ``truncated`` counts them
        )

    # -- lifetime ----------------------------------------------------------------------------------
    def cleanup(self) -> None:
        if self._maps is None:
            for handle in self._files.values():
                handle.close()
        self._maps = None
        self._scratch.cleanup()

    def __enter__(self) -> TokenStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.cleanup()
