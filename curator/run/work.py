"""The names of a run's intermediate files under ``_work/`` (part of the run folder's layout).

Every file is per shard, so workers never share one; a shard-pass's report is written last and
atomically, so it marks that shard-pass complete (an interrupted run resumes from there).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from curator.errors import CuratorError
from curator.io import write_bytes_atomic
from curator.io.safe_pack import UnsafePackError, pack, unpack

if TYPE_CHECKING:
    from curator.engines.accounting import ShardReport


class WorkDir:
    """Names of a run's intermediate files. Every file is per shard, so workers never share one."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def rejected(self, shard: int) -> Path:
        return self._file("rejected", shard)

    def removed(self, stage: str, shard: int) -> Path:
        return self._file(f"removed/{stage}", shard)

    def removed_dir(self, stage: str) -> Path:
        """The folder of one stage's per-shard removed files."""
        return self.root / "removed" / stage

    def spill(self, pass_index: int, shard: int) -> Path:
        return self._file(f"pass{pass_index}", shard)

    def signatures(self, pass_index: int, shard: int) -> Path:
        """A shard's signatures for a reduce that runs in workers (numpy .npz, no pickle)."""
        return self._file(f"signatures/pass{pass_index}", shard).with_suffix(".npz")

    def decisions(self, pass_index: int, shard: int) -> Path:
        """A shard's decisions, written by a reduce that ran in workers."""
        return self._file(f"decisions/pass{pass_index}", shard).with_suffix(".npz")

    def reduce_scratch(self, pass_index: int) -> Path:
        """The parts' intermediate results of a reduce that runs in workers."""
        return self.root / "reduce" / f"pass{pass_index}"

    def kept(self, shard: int) -> Path:
        return self._file("kept", shard)

    def done(self, pass_index: int, shard: int) -> Path:
        """The shard's report for a pass: written last, atomically, so it marks the pass complete."""
        directory = self.root / "done" / f"pass{pass_index}"
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f"{shard:06d}.npz"

    def load_done(self, pass_index: int, shard: int) -> ShardReport | None:
        """The report of a shard-pass an earlier, interrupted run completed; None if it did not."""
        path = self.done(pass_index, shard)
        if not path.exists():
            return None
        try:
            return unpack(path.read_bytes())  # never pickle: a run folder may sit on shared storage
        except (UnsafePackError, TypeError) as exc:
            raise CuratorError(
                f"{path}: not a work file this program wrote ({exc}); run `curator clean` on the run folder"
            ) from None

    def has_markers(self) -> bool:
        """Whether any shard-pass is marked complete (an interrupted run left work to resume)."""
        done = self.root / "done"
        return done.is_dir() and any(any(folder.iterdir()) for folder in done.iterdir() if folder.is_dir())

    def mark_done(self, pass_index: int, report: ShardReport) -> None:
        write_bytes_atomic(self.done(pass_index, report.shard), pack(report))

    def _file(self, folder: str, shard: int) -> Path:
        directory = self.root / folder
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f"{shard:06d}.jsonl"
