"""The pass loop every engine runs; an engine differs only in how it maps shard tasks to reports.

A recipe's stages are cut into passes at each global stage (:func:`~curator.engines.shards.plan_passes`).
Pass 0 adapts each shard's rows and runs the first record stages; between passes the driver
reduces the global stage's signatures into per-shard decisions (no models needed: no ``setup``);
pass k applies them and runs the next stages. A shard-pass an interrupted earlier run completed
is taken from its work file instead of being run again. Reports are handed on in shard order, so
outputs do not depend on the engine or the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from curator.dedup.partitioned import PartitionedReduce
from curator.engines.accounting import ShardReport
from curator.engines.shards import plan_passes
from curator.errors import CuratorError
from curator.io import ReadStats
from curator.recipe import Recipe
from curator.run.work import WorkDir
from curator.stages import GlobalStage, build_stage

OnReport = Callable[[int, ShardReport], None]
# (shard, payload): pass 0's payload says which rows to read; a later pass's is the shard's decisions.
Task = tuple[int, Any]
# An engine's mapping of one pass's tasks to reports (in any order); a Done payload is passed through.
MapTasks = Callable[[int, Iterable[Task]], Iterator[ShardReport]]
# An engine's reduce of a global stage (pass index, stage, the pass's reports) → per-shard decisions.
Reduce = Callable[[int, GlobalStage, list[ShardReport]], list[Any]]


@dataclass(slots=True)
class EngineResult:
    passes: list[list[ShardReport]] = field(default_factory=list)
    read_stats: list[ReadStats] = field(default_factory=list)  # one per input file
    shard_count: int = 0
    resumed_shard_passes: int = 0  # shard-passes an interrupted earlier run had completed
    reduced_in_workers: list[str] = field(default_factory=list)  # global stages reduced partitioned


@dataclass(frozen=True, slots=True)
class Done:
    """The payload of a shard-pass that is already complete: its report, read back from _work/."""

    report: ShardReport


def run_passes(
    recipe: Recipe,
    work: WorkDir,
    result: EngineResult,
    first_tasks: Iterable[Task],
    map_tasks: MapTasks,
    on_report: OnReport | None = None,
    reduce: Reduce | None = None,
) -> None:
    """Run every pass of ``recipe``; ``first_tasks`` may set ``result.shard_count`` as it is consumed."""
    stages = [build_stage(config) for config in recipe.stages]
    passes = plan_passes(stages)
    for pass_index in range(len(passes)):
        if pass_index == 0:
            tasks: Iterable[Task] = first_tasks
        else:
            stage = stages[passes[pass_index - 1].global_stage]  # type: ignore[index]
            assert isinstance(stage, GlobalStage)
            decisions = (reduce or reduce_in_driver)(pass_index - 1, stage, result.passes[-1])
            tasks = ((shard, decisions[shard]) for shard in range(result.shard_count))
        reports = []
        for report in _in_shard_order(map_tasks(pass_index, _resumed(work, pass_index, tasks, result))):
            reports.append(report)
            if on_report:
                on_report(pass_index, report)
        result.passes.append(reports)


def reduce_in_driver(pass_index: int, stage: GlobalStage, reports: list[ShardReport]) -> list[Any]:
    """The stage's reduce in this process, over the signatures the reports carried back."""
    signatures = [report.signatures for report in reports]
    for report in reports:
        report.signatures = None  # only the reduce holds them, and only while it runs
    if any(s is None for s in signatures):
        raise CuratorError(
            f"stage {stage.name!r}: this work folder was started by an engine that reduces in its "
            "workers; resume it with that engine (--engine ray)"
        )
    return stage.reduce(signatures)


@dataclass(frozen=True, slots=True)
class ReduceFiles:
    """Where a partitioned reduce reads and writes: O(shards) paths, never the signatures."""

    signatures: list[Path]  # one .npz per shard, written by the shard's task (``plan.save``)
    offsets: np.ndarray  # global index of each shard's first record, plus the total
    scratch: Path  # the parts' results
    decisions: list[Path]  # one per shard, written by the merge

    @property
    def rows(self) -> int:
        return int(self.offsets[-1])


def reduce_files(
    plan: PartitionedReduce, work: WorkDir, pass_index: int, reports: list[ShardReport]
) -> ReduceFiles:
    """The work folder's files of one partitioned reduce. A report that still carries its
    signatures (a shard-pass an interrupted run of an engine that reduced in its driver
    completed) has them written to its file here, and let go."""
    paths = [work.signatures(pass_index, report.shard) for report in reports]
    for report, path in zip(reports, paths, strict=True):
        if report.signatures is not None:
            plan.save(report.signatures, path)
            report.signatures = None
    offsets = np.zeros(len(reports) + 1, dtype=np.int64)
    np.cumsum([report.records_out for report in reports], out=offsets[1:])
    decisions = [work.decisions(pass_index, report.shard) for report in reports]
    return ReduceFiles(paths, offsets, work.reduce_scratch(pass_index), decisions)


def _resumed(work: WorkDir, pass_index: int, tasks: Iterable[Task], result: EngineResult) -> Iterator[Task]:
    for shard, payload in tasks:
        finished = work.load_done(pass_index, shard)
        if finished is not None:  # completed by an interrupted earlier run of the same work
            result.resumed_shard_passes += 1
            yield shard, Done(finished)
        else:
            yield shard, payload


def _in_shard_order(reports: Iterable[ShardReport]) -> Iterator[ShardReport]:
    waiting: dict[int, ShardReport] = {}
    expected = 0
    for report in reports:
        waiting[report.shard] = report
        while expected in waiting:
            yield waiting.pop(expected)
            expected += 1
    assert not waiting, f"shard reports missing before shard {expected}"
