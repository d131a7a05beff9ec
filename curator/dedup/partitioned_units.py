"""Line dedup's reduce (first occurrences of unit hashes) cut into hash partitions.

``LineDedup.reduce`` concatenates every shard's 64-bit line and paragraph hashes and marks each
hash seen at an earlier position (input order) as a repeat. Here part ``p`` of ``parts`` reads
every shard's hashes (numpy ``.npz``, never pickle), keeps those with ``hash % parts == p`` (a
hash's every occurrence lands in one part), and finds their first occurrences by a stable sort
on (hash, global position): the repeats it writes are exactly the in-process reduce's. The merge
turns the parts' repeat positions (8 bytes per repeated unit: O(duplicates), not O(units)) into
each shard's decisions file: per unit kind, the shard's lengths, counts and repeat mask, what
``LineDedup.apply`` takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curator.dedup.partitioned import PartitionedReduce, ShardFiles, load_arrays, save_arrays

KIND = "units"  # StoredDecisions.kind of the files this reduce writes


@dataclass(frozen=True)
class UnitsPartitioned(PartitionedReduce):
    """First occurrences of each unit kind's hashes (``line_dedup``: lines and paragraphs)."""

    units: tuple[str, ...]
    phases: int = 1
    decisions_kind = KIND

    def save(self, signatures: Any, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        for unit in self.units:
            s = signatures[unit]
            arrays.update(
                {f"{unit}_hashes": s.hashes, f"{unit}_lengths": s.lengths, f"{unit}_counts": s.counts}
            )
        save_arrays(path, **arrays)

    def run_part(self, phase: int, part: int, parts: int, files: ShardFiles, scratch: Path) -> None:
        repeats = {}
        for unit in self.units:
            positions, hashes, start = [], [], 0
            for shard in range(len(files)):
                shard_hashes = files.shard(shard)[f"{unit}_hashes"]
                mine = np.flatnonzero(shard_hashes % np.uint64(parts) == part)
                positions.append(mine + start)
                hashes.append(shard_hashes[mine])
                start += len(shard_hashes)
            index = np.concatenate(positions) if positions else np.zeros(0, np.int64)
            values = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
            order = np.lexsort((index, values))  # by hash, then input order: a run's head is first
            ordered = values[order]
            later = np.zeros(len(order), dtype=bool)
            later[1:] = ordered[1:] == ordered[:-1]
            repeats[f"{unit}_repeats"] = np.sort(index[order[later]]).astype(np.int64)
        save_arrays(self.part_file(scratch, phase, part), **repeats)

    def merge(self, parts: int, files: ShardFiles, scratch: Path, decisions: list[Path]) -> int:
        results = self._part_results(scratch, 0, parts)
        repeats = {
            unit: np.sort(np.concatenate([r[f"{unit}_repeats"] for r in results] or [np.zeros(0, np.int64)]))
            for unit in self.units
        }
        starts = dict.fromkeys(self.units, 0)
        for shard, path in enumerate(decisions):
            arrays = files.shard(shard)
            out: dict[str, np.ndarray] = {"units": np.array(self.units)}  # in the stage's order
            for unit in self.units:
                n = len(arrays[f"{unit}_hashes"])
                lo, hi = starts[unit], starts[unit] + n
                mine = repeats[unit][np.searchsorted(repeats[unit], lo) : np.searchsorted(repeats[unit], hi)]
                mask = np.zeros(n, dtype=bool)
                mask[mine - lo] = True
                out.update({
                    f"{unit}_lengths": arrays[f"{unit}_lengths"],
                    f"{unit}_counts": arrays[f"{unit}_counts"],
                    f"{unit}_repeat": mask,
                })
                starts[unit] = hi
            save_arrays(path, **out)
        return sum(len(r) for r in repeats.values())


def load_unit_decisions(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A shard's decisions as ``LineDedup.apply`` takes them: per unit, (lengths, counts, repeat)."""
    a = load_arrays(path)
    units = a["units"].tolist()
    return {unit: (a[f"{unit}_lengths"], a[f"{unit}_counts"], a[f"{unit}_repeat"]) for unit in units}
