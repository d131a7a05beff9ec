"""The reduce of near-dedup, on plain numpy arrays: buckets → candidate pairs → verified
similarities → connected components.

Records are named by their global index (input order). A pair ``(lo, hi)`` with ``lo < hi`` is
packed into one uint64 as ``lo << 32 | hi``, so sets of pairs sort and deduplicate as numbers
(this caps a run at 2^32 records).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

_U64 = np.uint64
_LOW32 = _U64(0xFFFFFFFF)

# In a bucket with more members than this, each member is paired with the next BUCKET_WINDOW
# members (input order) instead of with all of them: candidate pairs stay O(n), and members that
# are duplicates of each other stay connected through chains of pairs.
BUCKET_WINDOW = 64


def pack_pairs(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return (lo.astype(_U64) << _U64(32)) | hi.astype(_U64)


def unpack_pairs(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (pairs >> _U64(32)).astype(np.int64), (pairs & _LOW32).astype(np.int64)


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique without its hash-table path, which is slower for uint64)."""
    values = np.sort(values)
    if len(values) > 1:
        keep = np.empty(len(values), dtype=bool)
        keep[0] = True
        np.not_equal(values[1:], values[:-1], out=keep[1:])
        values = values[keep]
    return values


def sort_by_key(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keys sorted, positions in that order), ties in position order.

    32-bit keys take one in-place uint64 sort of ``key << 32 | position`` (8 bytes per key, and
    both results are views of it) instead of a stable argsort and a gather (24 bytes per key).
    """
    if keys.dtype == np.uint32 and len(keys) < (1 << 32) and sys.byteorder == "little":
        combined = keys.astype(_U64)
        combined <<= _U64(32)
        combined |= np.arange(len(keys), dtype=_U64)
        combined.sort()
        halves = combined.view(np.uint32)  # little-endian: [position, key] per element
        return halves[1::2], halves[0::2]
    order = np.argsort(keys, kind="stable")
    return keys[order], order


def equal_runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted keys: (positions j > 0 equal to the key before, the start of j's run of equal keys)."""
    later = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1]) + 1
    if not len(later):
        return later, later
    # Consecutive positions form one run; its start is one before its first repeated position.
    step = later - np.arange(len(later))
    first = np.ones(len(later), dtype=bool)
    first[1:] = step[1:] != step[:-1]
    starts = (later[first] - 1)[np.cumsum(first) - 1]
    return later, starts


def bucket_pairs(keys: np.ndarray, window: int = BUCKET_WINDOW) -> np.ndarray:
    """Packed pairs of positions whose keys are equal (all pairs in buckets up to ``window + 1``)."""
    sorted_keys, order = sort_by_key(keys)
    if len(sorted_keys) < 2:
        return np.zeros(0, dtype=_U64)
    equal_next = sorted_keys[1:] == sorted_keys[:-1]
    starts = np.flatnonzero(equal_next)  # j: sorted_keys[j] == sorted_keys[j + d] for d = 1
    found = []
    distance = 1
    last = len(sorted_keys) - 1
    while len(starts) and distance <= window:
        found.append(pack_pairs(order[starts], order[starts + distance]))
        # j keeps a partner at distance d + 1 iff keys[j + d] == keys[j + d + 1] as well.
        starts = starts[starts + distance < last]
        starts = starts[equal_next[starts + distance]]
        distance += 1
    return np.concatenate(found) if found else np.zeros(0, dtype=_U64)


def segment_indices(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(starts[i], starts[i] + lengths[i])`` for every i."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts.astype(np.int64) - (np.cumsum(lengths) - lengths), lengths)
    shift += np.arange(total, dtype=np.int64)
    return shift


def segment_gather(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``values[starts[i] : starts[i] + lengths[i]]`` for every i."""
    return values[segment_indices(starts, lengths)]


class ShardedShingles:
    """Each record's sorted distinct shingle hashes, read in place from the shards' arrays.

    ``offsets``: global index of each shard's first record, plus the total; ``hashes[s]`` and
    ``counts[s]``: shard ``s``'s concatenated hashes and per-record counts. Nothing is copied up
    front: :meth:`gather` copies only the records asked for.
    """

    def __init__(
        self, offsets: np.ndarray, hashes: Sequence[np.ndarray], counts: Sequence[np.ndarray]
    ) -> None:
        self.offsets = offsets
        self.hashes = hashes
        self.counts = counts
        self._starts: dict[int, np.ndarray] = {}

    def _shard_starts(self, shard: int) -> np.ndarray:
        starts = self._starts.get(shard)
        if starts is None:
            counts = self.counts[shard]
            # Shard-local offsets: 4 bytes per record unless a shard holds 2^32 hashes or more.
            dtype = np.uint32 if len(self.hashes[shard]) < (1 << 32) else np.int64
            starts = np.zeros(len(counts), dtype=dtype)
            np.cumsum(counts[:-1], out=starts[1:], dtype=dtype)
            self._starts[shard] = starts
        return starts

    def lengths(self, records: np.ndarray) -> np.ndarray:
        out = np.empty(len(records), dtype=np.int64)
        shard_of = np.searchsorted(self.offsets, records, side="right") - 1
        for shard in np.unique(shard_of):
            where = shard_of == shard
            out[where] = self.counts[shard][records[where] - self.offsets[shard]]
        return out

    def gather(self, records: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """The concatenation of the records' hashes, in the order of ``records``."""
        out = np.empty(int(lengths.sum()), dtype=np.uint32)
        out_starts = np.cumsum(lengths) - lengths
        shard_of = np.searchsorted(self.offsets, records, side="right") - 1
        for shard in np.unique(shard_of):
            where = np.flatnonzero(shard_of == shard)
            local = records[where] - self.offsets[shard]
            source = self._shard_starts(int(shard))[local].astype(np.int64)
            size = lengths[where]
            out[segment_indices(out_starts[where], size)] = segment_gather(self.hashes[shard], source, size)
        return out


def jaccard(store: ShardedShingles, a: np.ndarray, b: np.ndarray, chunk: int = 1 << 20) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of records ``a[i]`` and ``b[i]``.

    Works through the pairs in blocks of about ``chunk`` hashes, so memory stays bounded.
    """
    out = np.empty(len(a), dtype=np.float64)
    la, lb = store.lengths(a), store.lengths(b)
    sizes = np.cumsum(la + lb)
    begin = 0
    while begin < len(a):
        before = sizes[begin - 1] if begin else 0
        end = int(np.searchsorted(sizes, before + chunk, side="right"))
        end = min(max(end, begin + 1), len(a))
        out[begin:end] = _jaccard_block(store, a[begin:end], b[begin:end], la[begin:end], lb[begin:end])
        begin = end
    return out


def _jaccard_block(
    store: ShardedShingles, a: np.ndarray, b: np.ndarray, la: np.ndarray, lb: np.ndarray
) -> np.ndarray:
    pair = np.arange(len(a), dtype=_U64)
    # Keys (pair << 32 | hash) are sorted: pairs ascend and each record's hashes are sorted.
    keys_a = (np.repeat(pair, la) << _U64(32)) | store.gather(a, la).astype(_U64)
    keys_b = (np.repeat(pair, lb) << _U64(32)) | store.gather(b, lb).astype(_U64)
    if len(keys_b):
        where = np.minimum(np.searchsorted(keys_b, keys_a), len(keys_b) - 1)
        hit = keys_b[where] == keys_a
        common = np.bincount((keys_a[hit] >> _U64(32)).astype(np.int64), minlength=len(a))
    else:
        common = np.zeros(len(a), dtype=np.int64)
    union = la + lb - common
    return np.where(union > 0, common / np.maximum(union, 1), 1.0)


def connected_components(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union-find over edges ``a[i] — b[i]``: (nodes ascending, the smallest node of each one's component).

    Vectorised hook-and-compress: every round hooks each edge's larger root under the smaller one
    and then jumps pointers to the roots, until no edge joins two roots. A node's root is the
    smallest node of its component, so the result does not depend on the order of the edges.
    """
    nodes = unique_sorted(np.concatenate([a, b]).astype(np.int64))
    if not len(nodes):
        return nodes, nodes.copy()
    ia, ib = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    parent = np.arange(len(nodes), dtype=np.int64)
    while True:
        ra, rb = parent[ia], parent[ib]
        differ = ra != rb
        if not differ.any():
            break
        low, high = np.minimum(ra[differ], rb[differ]), np.maximum(ra[differ], rb[differ])
        np.minimum.at(parent, high, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    return nodes, nodes[parent]
