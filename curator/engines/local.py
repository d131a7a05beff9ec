"""The embedded engine: streams shards through the stages, inline or over a process pool.

Memory stays bounded: the main process holds at most ``2 × workers`` shards of raw rows in
flight, plus the compact signatures of global stages; records live in per-shard work files.
Reports come back in shard order, so outputs do not depend on the number of workers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

from curator.engines.gc_tuning import fewer_collections, tune_worker
from curator.engines.shards import InputFile, ShardReport, ShardRunner, plan_passes
from curator.io import ReadStats, iter_rows
from curator.recipe import Recipe
from curator.run.work import WorkDir
from curator.stages import GlobalStage, build_stage

OnReport = Callable[[int, ShardReport], None]


@dataclass(slots=True)
class EngineResult:
    passes: list[list[ShardReport]] = field(default_factory=list)
    read_stats: list[ReadStats] = field(default_factory=list)  # one per input file
    shard_count: int = 0
    resumed_shard_passes: int = 0  # shard-passes an interrupted earlier run had completed


# Per-process state of pool workers (a pool initializer cannot return a value).
_RUNNER: ShardRunner | None = None


def _init_worker(recipe: Recipe, inputs: list[InputFile], work_root: Path, pooled: bool = True) -> None:
    global _RUNNER
    if pooled:
        tune_worker()
    _RUNNER = ShardRunner(recipe, inputs, work_root)
    if pooled:  # run by the worker's exit handlers when the pool shuts down
        Finalize(_RUNNER, _RUNNER.close, exitpriority=10)


def _first_pass(shard: int, input_index: int, rows: list) -> ShardReport:
    assert _RUNNER is not None
    return _RUNNER.first_pass(shard, input_index, rows)


def _later_pass(pass_index: int, shard: int, decisions: Any) -> ShardReport:
    assert _RUNNER is not None
    return _RUNNER.later_pass(pass_index, shard, decisions)


class LocalEngine:
    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)

    def run(
        self,
        recipe: Recipe,
        inputs: list[InputFile],
        work_root: Path,
        batch_size: int,
        on_report: OnReport | None = None,
    ) -> EngineResult:
        result = EngineResult(read_stats=[ReadStats() for _ in inputs])
        pool = None
        if self.workers > 1:
            pool = ProcessPoolExecutor(
                self.workers, initializer=_init_worker, initargs=(recipe, inputs, work_root)
            )
        else:
            _init_worker(recipe, inputs, work_root, pooled=False)
        try:
            with fewer_collections():
                self._run_passes(pool, recipe, inputs, batch_size, result, on_report, WorkDir(work_root))
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
            elif _RUNNER is not None:
                _RUNNER.close()
        return result

    def _run_passes(
        self,
        pool: ProcessPoolExecutor | None,
        recipe: Recipe,
        inputs: list[InputFile],
        batch_size: int,
        result: EngineResult,
        on_report: OnReport | None,
        work: WorkDir,
    ) -> None:
        # Global stages reduce in this process; reduce needs no models, so no setup() here.
        stages = [build_stage(config) for config in recipe.stages]
        passes = plan_passes(stages)
        for pass_index in range(len(passes)):
            if pass_index == 0:
                tasks: Iterable[tuple[int, tuple]] = (
                    (shard, (shard, input_index, rows))
                    for shard, input_index, rows in self._read_shards(inputs, batch_size, result)
                )
                function: Callable[..., ShardReport] = _first_pass
            else:
                stage = stages[passes[pass_index - 1].global_stage]  # type: ignore[index]
                assert isinstance(stage, GlobalStage)
                signatures = [report.signatures for report in result.passes[-1]]
                for report in result.passes[-1]:
                    report.signatures = None  # only the reduce holds them, and only while it runs
                decisions = stage.reduce(signatures)
                del signatures
                tasks = ((s, (pass_index, s, decisions[s])) for s in range(result.shard_count))
                function = _later_pass
            reports = []
            for report in self._ordered(pool, function, tasks, work, pass_index, result):
                reports.append(report)
                if on_report:
                    on_report(pass_index, report)
            result.passes.append(reports)

    def _read_shards(self, inputs: list[InputFile], batch_size: int, result: EngineResult) -> Iterator[tuple]:
        shard = 0
        for input_index, item in enumerate(inputs):
            batch: list = []
            for row in iter_rows(item.path, item.display, stats=result.read_stats[input_index]):
                batch.append(row)
                if len(batch) >= batch_size:
                    yield shard, input_index, batch
                    shard, batch = shard + 1, []
            if batch:
                yield shard, input_index, batch
                shard += 1
            result.shard_count = shard

    def _ordered(
        self,
        pool: ProcessPoolExecutor | None,
        function: Callable[..., ShardReport],
        tasks: Iterable[tuple[int, tuple]],
        work: WorkDir,
        pass_index: int,
        result: EngineResult,
    ) -> Iterator[ShardReport]:
        """Run ``function(*args)`` per shard, in shard order; shard-passes already done are loaded."""
        pending: deque[Future[ShardReport]] = deque()
        for shard, args in tasks:
            finished = work.load_done(pass_index, shard)
            if finished is not None:
                result.resumed_shard_passes += 1
                future: Future[ShardReport] = Future()
                future.set_result(finished)
            elif pool is None:
                future = Future()
                future.set_result(function(*args))
            else:
                future = pool.submit(function, *args)
            pending.append(future)
            if len(pending) >= 2 * self.workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
