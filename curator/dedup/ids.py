"""Record ids as compact numpy arrays (a reduce over millions of records holds one per record).

A record id is 24 lowercase hex characters (:func:`curator.records.record_id`): packed, 12 bytes
in a ``(n, 12)`` uint8 array. Any other id (a record read with its own id) falls back to a 1-D
bytes array of UTF-8 ids.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_HEX_CHARS = 24


def pack_ids(ids: Sequence[str]) -> np.ndarray:
    joined = "".join(ids)
    if len(joined) == _HEX_CHARS * len(ids) and all(len(i) == _HEX_CHARS for i in ids):
        try:
            raw = bytes.fromhex(joined)
        except ValueError:
            raw = None
        if raw is not None and raw.hex() == joined:
            return np.frombuffer(raw, dtype=np.uint8).reshape(len(ids), _HEX_CHARS // 2).copy()
    return _as_bytes_array([i.encode("utf-8", "surrogatepass") for i in ids])


def _as_bytes_array(values: list[bytes]) -> np.ndarray:
    # Numpy's S dtype drops trailing NUL bytes; a UTF-8 id only ends with one if the id does.
    return np.array(values, dtype=f"S{max((len(v) for v in values), default=1) or 1}")


def _to_bytes_array(packed: np.ndarray) -> np.ndarray:
    if packed.ndim == 2:
        return _as_bytes_array([row.tobytes().hex().encode() for row in packed])
    return packed


def concat_ids(parts: Sequence[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.zeros((0, _HEX_CHARS // 2), dtype=np.uint8)
    if all(p.ndim == 2 for p in parts):
        return np.concatenate(parts)
    return np.concatenate([_to_bytes_array(p) for p in parts])


def ids_at(packed: np.ndarray, index: np.ndarray) -> list[str]:
    """The ids at ``index`` as strings."""
    taken = packed[index]
    if packed.ndim == 2:
        return [row.tobytes().hex() for row in taken]
    return [value.decode("utf-8", "surrogatepass") for value in taken]


def take_parts(parts: Sequence[np.ndarray], offsets: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``concatenate(parts)[index]`` without building the concatenation (``offsets``: part starts + total)."""
    index = np.asarray(index, dtype=np.int64)
    part = np.searchsorted(offsets, index, side="right") - 1
    if not len(parts):
        return np.zeros(0)
    out = np.empty((len(index), *parts[0].shape[1:]), dtype=np.result_type(*parts))
    for number in np.unique(part):
        where = part == number
        out[where] = parts[number][index[where] - offsets[number]]
    return out


def ids_at_parts(parts: Sequence[np.ndarray], offsets: np.ndarray, index: np.ndarray) -> list[str]:
    """Ids at global ``index`` of ids packed per shard."""
    if all(p.ndim == 2 for p in parts):
        return ids_at(take_parts(parts, offsets, index), np.arange(len(index)))
    return ids_at(take_parts([_to_bytes_array(p) for p in parts], offsets, index), np.arange(len(index)))
