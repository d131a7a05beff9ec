"""The embedded engine: streams shards through the stages, inline or over a process pool.

Memory stays bounded: the main process holds at most ``2 × workers`` shards of raw rows in
flight; records live in per-shard work files. A global stage with a partitioned reduce
(:mod:`curator.dedup.partitioned`: exact, MinHash and line dedup) writes its signatures to the
work folder and is reduced as the Ray engine reduces it: hash partitions of at most
``ROWS_PER_PART`` rows, run on the pool (one process: one after the other), then a merge that
writes each shard's decisions, so no process holds every row's signatures and the main process
holds O(shards). Other global stages reduce in the main process over the signatures the shards
return. Reports come back in shard order, so outputs do not depend on the number of workers.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

from curator.dedup.partitioned import PartitionedReduce, ShardFiles, StoredDecisions
from curator.engines.accounting import ShardReport
from curator.engines.gc_tuning import fewer_collections, tune_worker
from curator.engines.passes import (
    Done,
    EngineResult,
    OnReport,
    ReduceFiles,
    Task,
    reduce_files,
    reduce_in_driver,
    run_passes,
)
from curator.engines.shards import ShardRunner
from curator.ingest import InputFile
from curator.io import ReadStats, iter_rows
from curator.io.rows import ReadLimits
from curator.recipe import Recipe
from curator.run.work import WorkDir
from curator.stages import GlobalStage, build_stage

# Per-process state of pool workers (a pool initializer cannot return a value).
_RUNNER: ShardRunner | None = None
# Set in the main process only while it forks its pool: the runner the workers inherit.
_FORKED: ShardRunner | None = None
# Rows of the first shard the main process runs the stages that ask for it on before forking.
WARM_UP_ROWS = 1000
# Rows per hash partition of a partitioned reduce (at least one partition per worker): a MinHash
# part holds about 0.5 KiB per row of its partition, so a part stays near 250 MiB at any size
# (more, smaller parts cost CPU: each part reads every shard's band keys; 1 M rows: 7.6 CPU-s
# in 1 part, 16.7 in 4).
# The decisions do not depend on it (tests/test_partitioned_reduce.py).
ROWS_PER_PART = 500_000


def _init_worker(recipe: Recipe, inputs: list[InputFile], work_root: Path, pooled: bool = True) -> None:
    global _RUNNER
    if pooled:
        tune_worker()
    # Forked: the main process's runner, set up and warmed once; inline or not forked: set up here.
    _RUNNER = _FORKED if pooled and _FORKED is not None else _runner(recipe, inputs, work_root)
    if pooled:  # run by the worker's exit handlers when the pool shuts down
        Finalize(_RUNNER, _RUNNER.close, exitpriority=10)


def _runner(recipe: Recipe, inputs: list[InputFile], work_root: Path) -> ShardRunner:
    return ShardRunner(recipe, inputs, work_root, spill_signatures=True)


def _run_part(plan: PartitionedReduce, phase: int, part: int, parts: int, files: ReduceFiles) -> None:
    plan.run_part(phase, part, parts, ShardFiles(files.signatures, files.offsets), files.scratch)


def _merge(plan: PartitionedReduce, parts: int, files: ReduceFiles) -> int:
    return plan.merge(parts, ShardFiles(files.signatures, files.offsets), files.scratch, files.decisions)


def _run_task(pass_index: int, shard: int, payload: Any) -> ShardReport:
    assert _RUNNER is not None
    if pass_index == 0:
        input_index, rows = payload
        return _RUNNER.first_pass(shard, input_index, rows)
    return _RUNNER.later_pass(pass_index, shard, payload)


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
        first = self._read_shards(inputs, batch_size, result, recipe.run.limits.read_limits())
        pool = None
        if self.workers > 1:
            first, pool = self._start_pool(recipe, inputs, work_root, first)
        else:
            _init_worker(recipe, inputs, work_root, pooled=False)

        def map_tasks(pass_index: int, tasks: Iterable[Task]) -> Iterator[ShardReport]:
            return self._ordered(pool, pass_index, tasks)

        def reduce(pass_index: int, stage: GlobalStage, reports: list[ShardReport]) -> list[Any]:
            plan = stage.partitioned_reduce()
            if plan is None:
                return reduce_in_driver(pass_index, stage, reports)
            result.reduced_in_workers.append(stage.name)
            files = reduce_files(plan, WorkDir(work_root), pass_index, reports)
            self._reduce_partitioned(pool, plan, files)
            return [StoredDecisions(path, plan.decisions_kind) for path in files.decisions]

        try:
            with fewer_collections():
                run_passes(recipe, WorkDir(work_root), result, first, map_tasks, on_report, reduce)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
            elif _RUNNER is not None:
                _RUNNER.close()
        return result

    def _start_pool(
        self, recipe: Recipe, inputs: list[InputFile], work_root: Path, first: Iterator[Task]
    ) -> tuple[Iterator[Task], ProcessPoolExecutor]:
        """The worker pool, forked from a runner set up (and warmed on the first shard's first rows)
        here: models are loaded once and their memory shared, instead of once per worker. Where
        processes are not forked, or a stage's model may run on a GPU (CUDA and OpenMP thread state
        do not survive a fork), each worker sets up its own runner in the initializer."""
        global _FORKED
        peeked = next(first, None)
        forks = multiprocessing.get_start_method() == "fork" and not any(
            build_stage(config).resources().wants_gpu for config in recipe.stages
        )
        if forks:
            runner = _runner(recipe, inputs, work_root)
            if peeked is not None:
                _, (input_index, rows) = peeked
                runner.warm_up(input_index, rows[:WARM_UP_ROWS])
            _FORKED = runner
        try:
            pool = ProcessPoolExecutor(
                self.workers, initializer=_init_worker, initargs=(recipe, inputs, work_root)
            )
            if forks:
                pool.submit(int).result()  # with fork, every worker starts at the first submit
        finally:
            _FORKED = None  # the workers hold it now; this process does not need it
        tasks = first if peeked is None else itertools.chain([peeked], first)
        return tasks, pool

    def _reduce_partitioned(
        self, pool: ProcessPoolExecutor | None, plan: PartitionedReduce, files: ReduceFiles
    ) -> None:
        """Each phase's parts on the pool (or here, one at a time), then the merge, which writes
        the decisions files; this process passes paths and offsets only."""
        parts = max(self.workers, -(-files.rows // ROWS_PER_PART))
        for phase in range(plan.phases):  # a phase reads the previous phase's parts
            if pool is None:
                for part in range(parts):
                    _run_part(plan, phase, part, parts, files)
            else:
                futures = [pool.submit(_run_part, plan, phase, part, parts, files) for part in range(parts)]
                for future in futures:
                    future.result()
        if pool is None:
            _merge(plan, parts, files)
        else:
            pool.submit(_merge, plan, parts, files).result()

    def _read_shards(
        self, inputs: list[InputFile], batch_size: int, result: EngineResult, limits: ReadLimits
    ) -> Iterator[Task]:
        """Pass 0's tasks: ``batch_size`` consecutive rows of one input file each, read as they are needed."""
        shard = 0
        for input_index, item in enumerate(inputs):
            batch: list = []
            for row in iter_rows(item.path, item.display, result.read_stats[input_index], limits):
                batch.append(row)
                if len(batch) >= batch_size:
                    yield shard, (input_index, batch)
                    shard, batch = shard + 1, []
            if batch:
                yield shard, (input_index, batch)
                shard += 1
            result.shard_count = shard

    def _ordered(
        self, pool: ProcessPoolExecutor | None, pass_index: int, tasks: Iterable[Task]
    ) -> Iterator[ShardReport]:
        """Run each task, inline or on the pool, in shard order, at most ``2 × workers`` in flight."""
        pending: deque[Future[ShardReport]] = deque()
        for shard, payload in tasks:
            future: Future[ShardReport]
            if isinstance(payload, Done):
                future = Future()
                future.set_result(payload.report)
            elif pool is None:
                future = Future()
                future.set_result(_run_task(pass_index, shard, payload))
            else:
                future = pool.submit(_run_task, pass_index, shard, payload)
            pending.append(future)
            if len(pending) >= 2 * self.workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
