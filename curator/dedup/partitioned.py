"""Dedup reduces cut into hash partitions, over per-shard signature files: no process holds them all.

The in-process reduces (``MinHashDedup.reduce``, ``ExactDedup.reduce``) take every shard's
signatures at once. Here the same computation runs as ``parts`` independent tasks per phase,
each reading the shards' files (numpy ``.npz``, never pickle) and keeping only its keys:

* MinHash, phase 0: records hash-partitioned by the digest of all their band keys; each part
  finds its exact copies (identical band keys, verified) → twin edges and the copies that leave
  the buckets. Phase 1: (band, key) entries hash-partitioned by key; each part builds its
  buckets (a bucket's members all land in one part, in input order, so its candidate pairs are
  exactly the in-process reduce's), verifies them and reduces its edges to a spanning forest
  (union-find). Merge: connected components of the forests' and twins' edges.
* Exact: records partitioned by digest; each part groups its equal digests. Merge: concatenation.

The merge holds only clustered records (duplicates), never all rows; it writes one decisions
file per shard, so a caller that drives the tasks holds O(shards), not O(rows). Components,
kept records and similarities are the in-process reduce's, so outputs are byte-identical.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curator.dedup.cluster import (
    ShardedShingles,
    bucket_pairs,
    connected_components,
    equal_runs,
    jaccard,
    pack_pairs,
    sort_by_key,
    unique_sorted,
    unpack_pairs,
)
from curator.dedup.decisions import ClusterDecisions, cluster_decisions
from curator.dedup.ids import ids_at
from curator.dedup.minhash import whole_keys
from curator.io import write_bytes_atomic

# Bytes of shard arrays a task keeps loaded (pairs touch shards in no particular order); the
# memory-mapped shingles do not count (the page cache holds them, and can drop them).
_CACHE_BYTES = 256 << 20


def save_arrays(path: Path, **arrays: np.ndarray | None) -> None:
    """Write named arrays (None: absent) as one ``.npz`` file, atomically."""
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **{k: v for k, v in arrays.items() if v is not None})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, buffer.getvalue())


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:  # nothing read from a run folder runs code
        return {name: data[name] for name in data.files}


@dataclass(frozen=True, slots=True)
class StoredDecisions:
    """A shard's decisions, written by a partitioned reduce: what a later pass is handed.
    ``kind`` says what the file holds: clusters (MinHash, exact dedup) or ``units`` (line_dedup)."""

    path: Path
    kind: str = "cluster"

    def load(self) -> Any:
        if self.kind == "units":
            from curator.dedup.partitioned_units import load_unit_decisions

            return load_unit_decisions(self.path)
        a = load_arrays(self.path)
        return ClusterDecisions(
            positions=a["positions"],
            kept=a["kept"],
            cluster_size=a["cluster_size"],
            kept_id=[v.decode("utf-8", "surrogatepass") for v in a["kept_id"].tolist()],
            similarity=a["similarity"],
        )


def save_decisions(path: Path, decisions: ClusterDecisions) -> None:
    kept_id = np.array([v.encode("utf-8", "surrogatepass") for v in decisions.kept_id] or [b""], dtype="S")
    save_arrays(
        path,
        positions=decisions.positions,
        kept=decisions.kept,
        cluster_size=decisions.cluster_size,
        kept_id=kept_id[: len(decisions.kept_id)],
        similarity=decisions.similarity,
    )


class ShardFiles:
    """The per-shard signature files of one reduce, read lazily (a few shards cached)."""

    def __init__(self, paths: list[Path], offsets: np.ndarray) -> None:
        self.paths = paths
        self.offsets = offsets  # global index of each shard's first record, plus the total
        self._cache: OrderedDict[int, _ShardArrays] = OrderedDict()
        self._held = [0]  # bytes the cached shards hold in memory (their copied arrays)

    def __len__(self) -> int:
        return len(self.paths)

    def shard(self, shard: int) -> _ShardArrays:
        arrays = self._cache.pop(shard, None)
        if arrays is None:
            arrays = _ShardArrays(self.paths[shard], self._held)
        while self._cache and self._held[0] > _CACHE_BYTES:
            self._held[0] -= self._cache.popitem(last=False)[1].held
        self._cache[shard] = arrays
        return arrays

    def column(self, name: str) -> _Column:
        return _Column(self, name)

    def take(self, name: str, index: np.ndarray) -> np.ndarray:
        """Field ``name`` at global ``index`` (in that order)."""
        parts, where = [], []
        for shard, positions, local in self._by_shard(index):
            parts.append(self.shard(shard)[name][local])
            where.append(positions)
        if not parts:
            return np.zeros(0)
        out = np.empty((len(index), *parts[0].shape[1:]), dtype=np.result_type(*parts))
        for part, positions in zip(parts, where, strict=True):
            out[positions] = part
        return out

    def ids(self, index: np.ndarray) -> list[str]:
        out: list[str] = [""] * len(index)
        for shard, positions, local in self._by_shard(index):
            for position, value in zip(
                positions.tolist(), ids_at(self.shard(shard)["ids"], local), strict=True
            ):
                out[position] = value
        return out

    def _by_shard(self, index: np.ndarray):
        index = np.asarray(index, dtype=np.int64)
        shard_of = np.searchsorted(self.offsets, index, side="right") - 1
        for shard in np.unique(shard_of).tolist():
            positions = np.flatnonzero(shard_of == shard)
            yield shard, positions, index[positions] - self.offsets[shard]


# Arrays read in place (memory-mapped) instead of copied: verifying candidate pairs touches the
# shingles of shards in no particular order, and re-reading whole arrays (with zip CRC checks)
# each time a shard left the cache was most of a partitioned reduce's CPU.
_MAPPED = frozenset({"shingles"})
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _mapped_member(path: Path, name: str) -> np.ndarray | None:
    """Array ``name`` of an uncompressed ``.npz`` (what ``save_arrays`` writes), memory-mapped
    read-only; None where it cannot be (compressed, or an object dtype: never unpickled)."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        try:
            info = archive.getinfo(f"{name}.npy")
        except KeyError:
            return None
        if info.compress_type != zipfile.ZIP_STORED:
            return None
    with path.open("rb") as handle:
        handle.seek(info.header_offset)
        local = handle.read(30)  # the member's local header: name and extra field lengths at 26
        start = info.header_offset + 30 + int.from_bytes(local[26:28], "little")
        start += int.from_bytes(local[28:30], "little")
        handle.seek(start)
        read_header = _HEADER_READERS.get(np.lib.format.read_magic(handle))
        if read_header is None:
            return None
        shape, fortran, dtype = read_header(handle)
        offset = handle.tell()
    if dtype.hasobject:
        return None
    if not int(np.prod(shape)):
        return np.zeros(shape, dtype=dtype)
    order = "F" if fortran else "C"
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order=order)


class _ShardArrays:
    """One shard's file, each array read when first asked for: a task that needs only the band
    keys never reads the shingles (most of the bytes), which are memory-mapped (``_MAPPED``)."""

    def __init__(self, path: Path, held: list[int]) -> None:
        self.path = path
        self.held = 0  # bytes of the arrays read into memory (not the mapped ones)
        self._total = held  # the cache's count, which this adds to
        self._arrays: dict[str, np.ndarray] = {}
        with np.load(path, allow_pickle=False) as data:
            self._names = set(data.files)

    def __contains__(self, name: str) -> bool:
        return name in self._names

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            mapped = _mapped_member(self.path, name) if name in _MAPPED else None
            if mapped is None:
                with np.load(self.path, allow_pickle=False) as data:
                    mapped = data[name]
                self.held += mapped.nbytes
                self._total[0] += mapped.nbytes
            self._arrays[name] = mapped
        return self._arrays[name]


class _Column:
    """One field of every shard, indexable by shard (what ShardedShingles reads)."""

    def __init__(self, files: ShardFiles, name: str) -> None:
        self.files, self.name = files, name

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, shard: int) -> np.ndarray:
        return self.files.shard(int(shard))[self.name]


class PartitionedReduce(ABC):
    """A global stage's reduce as phases of ``parts`` independent tasks, then one merge.

    The driver of the tasks (an engine) calls ``save`` in each worker after ``signatures``,
    every ``run_part(phase, part, …)`` of a phase (anywhere, in any order) before the next
    phase, then ``merge``, which writes each shard's decisions to ``decisions[shard]``.
    """

    phases: int = 1
    decisions_kind = "cluster"  # the StoredDecisions kind of the files ``merge`` writes

    @abstractmethod
    def save(self, signatures: Any, path: Path) -> None:
        """Write one shard's signatures (the stage's signatures object) to ``path``."""

    @abstractmethod
    def run_part(self, phase: int, part: int, parts: int, files: ShardFiles, scratch: Path) -> None:
        """Run one part of one phase; write its result under ``scratch``."""

    @abstractmethod
    def merge(self, parts: int, files: ShardFiles, scratch: Path, decisions: list[Path]) -> int:
        """Combine the parts' results; write each shard's decisions. Returns the clustered records."""

    @staticmethod
    def part_file(scratch: Path, phase: int, part: int) -> Path:
        return scratch / f"phase{phase}" / f"{part:05d}.npz"

    def _part_results(self, scratch: Path, phase: int, parts: int) -> list[dict[str, np.ndarray]]:
        return [load_arrays(self.part_file(scratch, phase, part)) for part in range(parts)]

    @staticmethod
    def _write(decisions: list[ClusterDecisions], paths: list[Path]) -> None:
        for one, path in zip(decisions, paths, strict=True):
            save_decisions(path, one)


def _concat(arrays: list[np.ndarray], dtype: Any = np.int64) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype)


@dataclass(frozen=True)
class MinHashPartitioned(PartitionedReduce):
    """MinHash dedup's reduce (see ``curator.stages.minhash_dedup``), partitioned."""

    bands: int
    verify: bool
    threshold: float
    phases: int = 2

    def save(self, signatures: Any, path: Path) -> None:
        s = signatures
        save_arrays(path, keys=s.keys, counts=s.counts, shingles=s.shingles, values=s.values, ids=s.ids)

    def run_part(self, phase: int, part: int, parts: int, files: ShardFiles, scratch: Path) -> None:
        target = self.part_file(scratch, phase, part)
        if phase == 0:
            save_arrays(target, **self._twins(part, parts, files))
        else:
            dead = np.sort(_concat([r["dead"] for r in self._part_results(scratch, 0, parts)]))
            save_arrays(target, **self._buckets(part, parts, files, dead))

    def _jaccard(self, files: ShardFiles, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if not len(a):
            return np.zeros(0)
        store = ShardedShingles(files.offsets, files.column("shingles"), files.column("counts"))  # type: ignore[arg-type]
        return jaccard(store, a, b)

    def _twins(self, part: int, parts: int, files: ShardFiles) -> dict[str, np.ndarray]:
        present, digests = [], []
        for shard in range(len(files)):
            arrays = files.shard(shard)
            whole = whole_keys(arrays["keys"], wide=not self.verify)
            mine = np.flatnonzero((arrays["counts"] > 0) & (whole % whole.dtype.type(parts) == part))
            present.append(mine + files.offsets[shard])
            digests.append(whole[mine])
        index = _concat(present)
        keys = np.concatenate(digests) if digests else np.zeros(0, np.uint32)
        sorted_keys, order = sort_by_key(keys)
        later, starts = equal_runs(sorted_keys)
        lo, hi = index[order[starts]], index[order[later]]
        similarity = self._jaccard(files, lo, hi) if self.verify else np.ones(len(lo))
        exact = similarity >= 1.0
        near = ~exact & (similarity >= self.threshold)
        return {
            "dead": hi[exact],
            "a": np.concatenate([lo[exact], lo[near]]),
            "b": np.concatenate([hi[exact], hi[near]]),
        }

    def _buckets(self, part: int, parts: int, files: ShardFiles, dead: np.ndarray) -> dict[str, np.ndarray]:
        nodes: list[list[np.ndarray]] = [[] for _ in range(self.bands)]
        columns: list[list[np.ndarray]] = [[] for _ in range(self.bands)]
        for shard in range(len(files)):
            arrays = files.shard(shard)
            lo, hi = files.offsets[shard], files.offsets[shard + 1]
            live = arrays["counts"] > 0
            gone = dead[np.searchsorted(dead, lo) : np.searchsorted(dead, hi)]
            live[gone - lo] = False
            local = np.flatnonzero(live)
            keys = arrays["keys"][local]
            for band in range(self.bands):
                column = keys[:, band]
                mine = column % column.dtype.type(parts) == part
                nodes[band].append(local[mine] + lo)
                columns[band].append(column[mine])
        found = []
        for band in range(self.bands):
            band_nodes = _concat(nodes[band])
            lo_, hi_ = unpack_pairs(
                bucket_pairs(np.concatenate(columns[band])) if columns[band] else np.zeros(0, np.uint64)
            )
            found.append(pack_pairs(band_nodes[lo_], band_nodes[hi_]))
        a, b = unpack_pairs(unique_sorted(np.concatenate(found)) if found else np.zeros(0, np.uint64))
        if self.verify:
            similar = self._jaccard(files, a, b) >= self.threshold
            a, b = a[similar], b[similar]
        # A spanning forest carries the same connectivity with at most one edge per member.
        members, roots = connected_components(a, b)
        tree = members != roots
        return {"a": roots[tree], "b": members[tree]}

    def merge(self, parts: int, files: ShardFiles, scratch: Path, decisions: list[Path]) -> int:
        results = self._part_results(scratch, 0, parts) + self._part_results(scratch, 1, parts)
        a = _concat([r["a"] for r in results])
        b = _concat([r["b"] for r in results])
        members, labels = connected_components(a, b)
        has_values = len(files) > 0 and "values" in files.shard(0)
        self._write(
            cluster_decisions(
                files.offsets,
                members,
                labels,
                values=files.take("values", members) if has_values else None,
                ids=files.ids,
                similarity_to_kept=(lambda x, y: self._jaccard(files, x, y)) if self.verify else None,
            ),
            decisions,
        )
        return len(members)


@dataclass(frozen=True)
class ExactPartitioned(PartitionedReduce):
    """Exact dedup's reduce (see ``curator.stages.exact_dedup``), partitioned by digest."""

    def save(self, signatures: Any, path: Path) -> None:
        save_arrays(path, digests=signatures.digests, values=signatures.values, ids=signatures.ids)

    def run_part(self, phase: int, part: int, parts: int, files: ShardFiles, scratch: Path) -> None:
        present, chunks = [], []
        for shard in range(len(files)):
            digests = files.shard(shard)["digests"]
            mine = np.flatnonzero(digests[:, 0] % np.uint64(parts) == part)
            present.append(mine + files.offsets[shard])
            chunks.append(digests[mine])
        index = _concat(present)
        digests = np.concatenate(chunks) if chunks else np.zeros((0, 2), np.uint64)
        # As ExactDedup.reduce: sort by digest, ties in input order; runs of equal digests cluster.
        order = np.lexsort((index, digests[:, 1], digests[:, 0]))
        ordered = digests[order]
        same = np.zeros(len(order), dtype=bool)
        same[1:] = (ordered[1:] == ordered[:-1]).all(axis=1)
        in_cluster = same.copy()
        in_cluster[:-1] |= same[1:]
        label_sorted = order[np.maximum.accumulate(np.where(same, 0, np.arange(len(order))))]
        save_arrays(
            self.part_file(scratch, phase, part),
            members=index[order[in_cluster]],
            labels=index[label_sorted[in_cluster]],
        )

    def merge(self, parts: int, files: ShardFiles, scratch: Path, decisions: list[Path]) -> int:
        results = self._part_results(scratch, 0, parts)
        members = _concat([r["members"] for r in results])
        labels = _concat([r["labels"] for r in results])
        sort = np.argsort(members)
        members, labels = members[sort], labels[sort]
        has_values = len(files) > 0 and "values" in files.shard(0)
        self._write(
            cluster_decisions(
                files.offsets,
                members,
                labels,
                values=files.take("values", members) if has_values else None,
                ids=files.ids,
                similarity_to_kept=lambda x, _y: np.ones(len(x)),
            ),
            decisions,
        )
        return len(members)


def reduce_in_process(
    plan: PartitionedReduce,
    paths: list[Path],
    offsets: np.ndarray,
    scratch: Path,
    decisions: list[Path],
    parts: int,
) -> int:
    """Every task of ``plan`` one after the other in this process (tests; what an engine spreads out)."""
    for phase in range(plan.phases):
        for part in range(parts):
            plan.run_part(phase, part, parts, ShardFiles(paths, offsets), scratch)
    return plan.merge(parts, ShardFiles(paths, offsets), scratch, decisions)
