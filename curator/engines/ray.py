"""The distributed engine: the same shard passes, mapped over Ray Data by a pool of actors.

Each pass is a Ray Dataset of shard descriptors (never the rows themselves) mapped with
``map_batches`` by actors that build the stages once (``setup`` loads models per actor) and run
the very ``ShardRunner`` code the local engine runs, so both engines produce the same records.
Workers read their own rows (plain JSON Lines by byte offset) and write their shard files; on a
multi-node cluster the run folder must be on storage every node sees (NFS, a mounted bucket).

A global stage's reduce runs in the driver over the compact numpy signatures the workers return
(tens of bytes per record), as in the local engine.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from curator.engines.accounting import ShardReport
from curator.engines.passes import Done, EngineResult, OnReport, Task, run_passes
from curator.engines.sharding import ShardSpec, plan_shards, read_shard
from curator.engines.shards import ShardRunner
from curator.errors import CuratorError
from curator.ingest import InputFile
from curator.io import ReadStats, write_bytes_atomic
from curator.recipe import Recipe
from curator.run.work import WorkDir

_PLAN_FILE = "ray_plan.pkl"


class _PassActor:
    """One per Ray worker slot: builds the stages once, then runs shard passes."""

    def __init__(self, work_root: str) -> None:
        from curator.engines.gc_tuning import tune_worker

        tune_worker()
        # The plan travels as a file in the run folder (which every node sees), not as actor
        # arguments: Ray keeps large constructor arguments in the object store and warns about it.
        recipe, inputs = pickle.loads((Path(work_root) / _PLAN_FILE).read_bytes())
        self.inputs = inputs
        self.runner = ShardRunner(recipe, inputs, Path(work_root))

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        reports = []
        for task in batch["task"]:
            pass_index, shard, payload = pickle.loads(task)
            if pass_index == 0:
                spec: ShardSpec = payload
                rows = read_shard(self.inputs[spec.input_index], spec)
                report = self.runner.first_pass(shard, spec.input_index, rows)
            else:
                report = self.runner.later_pass(pass_index, shard, payload)
            reports.append(pickle.dumps(report, protocol=5))
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
        specs = plan_shards(inputs, batch_size, result.read_stats)
        result.shard_count = len(specs)
        write_bytes_atomic(work_root / _PLAN_FILE, pickle.dumps((recipe, inputs), protocol=5))

        def map_tasks(pass_index: int, tasks: Iterable[Task]) -> Iterator[ShardReport]:
            return self._map_pass(ray, work_root, pass_index, tasks)

        run_passes(recipe, WorkDir(work_root), result, enumerate(specs), map_tasks, on_report)
        return result

    def _map_pass(
        self, ray: Any, work_root: Path, pass_index: int, tasks: Iterable[Task]
    ) -> Iterator[ShardReport]:
        """One pass's tasks as a Ray Dataset of descriptors, mapped by the actor pool (any order)."""
        todo = []
        for shard, payload in tasks:
            if isinstance(payload, Done):
                yield payload.report
            else:
                todo.append({"task": pickle.dumps((pass_index, shard, payload), protocol=5)})
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
            yield pickle.loads(row["report"])


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # Ray Data lives in the ray extra
    except ImportError:
        raise CuratorError("the ray engine needs Ray Data: pip install 'instruct-curator[ray]'") from None
    return ray
