"""The distributed engine: the same shard passes, mapped over Ray Data by a pool of actors.

Each pass is a Ray Dataset of shard descriptors (never the rows themselves) mapped with
``map_batches`` by actors that build the stages once (``setup`` loads models per actor) and run
the very ``ShardRunner`` code the local engine runs, so both engines produce the same records.
Workers read their own rows (plain JSON Lines by byte offset) and write their shard files; on a
multi-node cluster the run folder must be on storage every node sees (NFS, a mounted bucket).

A global stage with a partitioned reduce (:mod:`curator.dedup.partitioned`: MinHash and exact
dedup) reduces in the workers: each shard task writes its signatures to the work folder, Ray
tasks run the reduce's hash partitions phase by phase and a last task merges their clusters and
writes each shard's decisions, so the driver holds O(shards) (paths and counts), not O(rows).
Other global stages reduce in the driver over the compact signatures the workers return.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from curator.dedup.partitioned import PartitionedReduce, ShardFiles, StoredDecisions
from curator.engines.accounting import ShardReport
from curator.engines.passes import Done, EngineResult, OnReport, Task, reduce_in_driver, run_passes
from curator.engines.sharding import ShardSpec, plan_shards, read_shard
from curator.engines.shards import ShardRunner
from curator.errors import CuratorError
from curator.ingest import InputFile
from curator.io import ReadStats, write_bytes_atomic
from curator.io.safe_pack import pack, unpack
from curator.recipe import Recipe
from curator.run.work import WorkDir
from curator.stages import GlobalStage

_PLAN_FILE = "ray_plan.npz"  # safe_pack, never pickle: the run folder may be shared storage


class _PassActor:
    """One per Ray worker slot: builds the stages once, then runs shard passes."""

    def __init__(self, work_root: str) -> None:
        from curator.engines.gc_tuning import tune_worker

        tune_worker()
        # The plan travels as a file in the run folder (which every node sees), not as actor
        # arguments: Ray keeps large constructor arguments in the object store and warns about it.
        recipe, inputs = _read_plan(Path(work_root) / _PLAN_FILE)
        self.inputs = inputs
        self.limits = recipe.run.limits.read_limits()
        self.runner = ShardRunner(recipe, inputs, Path(work_root), spill_signatures=True)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        reports = []
        for task in batch["task"]:
            pass_index, shard, payload = unpack(task)
            if pass_index == 0:
                spec: ShardSpec = payload
                rows = read_shard(self.inputs[spec.input_index], spec, self.limits)
                report = self.runner.first_pass(shard, spec.input_index, rows)
            else:
                report = self.runner.later_pass(pass_index, shard, payload)
            reports.append(pack(report))
        return {"report": reports}


class RayEngine:
    """Runs a recipe on Ray: a local instance limited to ``workers`` CPUs, or a cluster at ``address``."""

    def __init__(self, workers: int = 1, address: str | None = None) -> None:
        self.workers = max(1, workers)
        self.address = address

    def run(
        self,
        recipe: Recipe,
        inputs: list[InputFile],
        work_root: Path,
        batch_size: int,
        on_report: OnReport | None = None,
    ) -> EngineResult:
        ray = _import_ray()
        # Our own progress bars and summary speak for the run; Ray's per-dataset logs would bury them.
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.ERROR)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        started_here = not ray.is_initialized()
        if started_here:
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.WARNING,
            }
            if self.address:
                ray.init(address=self.address, **options)
            else:
                ray.init(num_cpus=self.workers, **options)
        try:
            return self._run(ray, recipe, inputs, work_root, batch_size, on_report)
        finally:
            if started_here:
                ray.shutdown()

    def _run(
        self,
        ray: Any,
        recipe: Recipe,
        inputs: list[InputFile],
        work_root: Path,
        batch_size: int,
        on_report: OnReport | None,
    ) -> EngineResult:
        result = EngineResult(read_stats=[ReadStats() for _ in inputs])
        specs = plan_shards(inputs, batch_size, result.read_stats, recipe.run.limits.read_limits())
        result.shard_count = len(specs)
        _write_plan(work_root / _PLAN_FILE, recipe, inputs)

        def map_tasks(pass_index: int, tasks: Iterable[Task]) -> Iterator[ShardReport]:
            return self._map_pass(ray, work_root, pass_index, tasks)

        def reduce(pass_index: int, stage: GlobalStage, reports: list[ShardReport]) -> list[Any]:
            plan = stage.partitioned_reduce()
            if plan is None:
                return reduce_in_driver(pass_index, stage, reports)
            result.reduced_in_workers.append(stage.name)
            return self._reduce_in_workers(ray, plan, WorkDir(work_root), pass_index, reports)

        run_passes(recipe, WorkDir(work_root), result, enumerate(specs), map_tasks, on_report, reduce)
        return result

    def _reduce_in_workers(
        self, ray: Any, plan: PartitionedReduce, work: WorkDir, pass_index: int, reports: list[ShardReport]
    ) -> list[StoredDecisions]:
        """Every phase's partitions as Ray tasks (one CPU each), then the merge as one more task."""
        paths = [work.signatures(pass_index, report.shard) for report in reports]
        for report, path in zip(reports, paths, strict=True):
            if report.signatures is not None:  # a shard-pass an interrupted local run completed
                plan.save(report.signatures, path)
                report.signatures = None
        offsets = np.zeros(len(reports) + 1, dtype=np.int64)
        np.cumsum([report.records_out for report in reports], out=offsets[1:])
        decisions = [work.decisions(pass_index, report.shard) for report in reports]
        reduce_on_ray(ray, plan, paths, offsets, work.reduce_scratch(pass_index), decisions, self.workers)
        return [StoredDecisions(path) for path in decisions]

    def _map_pass(
        self, ray: Any, work_root: Path, pass_index: int, tasks: Iterable[Task]
    ) -> Iterator[ShardReport]:
        """One pass's tasks as a Ray Dataset of descriptors, mapped by the actor pool (any order)."""
        todo = []
        for shard, payload in tasks:
            if isinstance(payload, Done):
                yield payload.report
            else:
                todo.append({"task": pack((pass_index, shard, payload))})
        if not todo:
            return
        dataset = ray.data.from_items(todo, override_num_blocks=len(todo))
        mapped = dataset.map_batches(
            _PassActor,
            fn_constructor_args=(str(work_root),),
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=min(self.workers, len(todo))),
            num_cpus=1,
        )
        for row in mapped.iter_rows():
            yield unpack(row["report"])


def _write_plan(path: Path, recipe: Recipe, inputs: list[InputFile]) -> None:
    """The recipe as JSON plus what stage configs resolved privately (an eval set's base folder)."""
    private = [
        {k: v for k, v in (stage.__pydantic_private__ or {}).items() if isinstance(v, _PLAIN)}
        for stage in recipe.stages
    ]
    write_bytes_atomic(path, pack((recipe.model_dump_json(), private, inputs)))


def _read_plan(path: Path) -> tuple[Recipe, list[InputFile]]:
    recipe_json, private, inputs = unpack(path.read_bytes())
    recipe = Recipe.model_validate_json(recipe_json)
    for stage, values in zip(recipe.stages, private, strict=True):
        for name, value in values.items():
            setattr(stage, name, value)
    return recipe, inputs


_PLAIN = (str, int, float, bool, Path, type(None))


def reduce_on_ray(
    ray: Any,
    plan: PartitionedReduce,
    paths: list[Path],
    offsets: np.ndarray,
    scratch: Path,
    decisions: list[Path],
    parts: int,
) -> int:
    """Every phase's ``parts`` partitions as Ray tasks (one CPU each), then the merge as one more
    task; the driver passes only paths and offsets. Returns the number of clustered records."""
    run_part = ray.remote(num_cpus=1, max_retries=0)(_run_part)
    merge = ray.remote(num_cpus=1, max_retries=0)(_merge)
    for phase in range(plan.phases):  # a phase reads the previous phase's parts
        ray.get([run_part.remote(plan, phase, p, parts, paths, offsets, scratch) for p in range(parts)])
    return ray.get(merge.remote(plan, parts, paths, offsets, scratch, decisions))


def _run_part(
    plan: PartitionedReduce, phase: int, part: int, parts: int, paths: list[Path], offsets: Any, scratch: Path
) -> None:
    plan.run_part(phase, part, parts, ShardFiles(paths, offsets), scratch)


def _merge(
    plan: PartitionedReduce, parts: int, paths: list[Path], offsets: Any, scratch: Path, decisions: list[Path]
) -> int:
    return plan.merge(parts, ShardFiles(paths, offsets), scratch, decisions)


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # Ray Data lives in the ray extra
    except ImportError:
        raise CuratorError("the ray engine needs Ray Data: pip install 'instruct-curator[ray]'") from None
    return ray
