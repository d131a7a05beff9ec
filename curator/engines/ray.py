"""The distributed engine: the same shard passes, mapped over Ray Data by a pool of actors.

Each pass is a Ray Dataset of shard descriptors (never the rows themselves) mapped with
``map_batches`` by actors that build the stages once (``setup`` loads models per actor) and run
the very ``ShardRunner`` code the local engine runs, so both engines produce the same records.
Workers read their own rows (plain JSON Lines by byte offset) and write their shard files: to
the run folder (on a cluster: storage every node sees, e.g. NFS), or, given ``work_url`` (a run
folder on an object store: ``--out s3://…``), to their own disk, uploading each shard's files to
the bucket (:mod:`curator.engines.remote_work`): then no filesystem is shared between nodes.
Remote inputs (``s3://…``) are fetched by each node itself; with work on a bucket, inputs on the
driver's disk are uploaded under the work prefix first and fetched the same way. The plan
(recipe and inputs) travels in Ray's object store, never as a file.

A global stage with a partitioned reduce (:mod:`curator.dedup.partitioned`: MinHash and exact
dedup) reduces in the workers: each shard task writes its signatures to the work folder, Ray
tasks run the reduce's hash partitions phase by phase and a last task merges their clusters and
writes each shard's decisions, so the driver holds O(shards) (paths and counts), not O(rows).
Other global stages reduce in the driver over the compact signatures the workers return.
"""

from __future__ import annotations

import dataclasses
import errno
import inspect
import logging
import re
import shutil
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from curator.dedup.partitioned import PartitionedReduce, ShardFiles, StoredDecisions
from curator.engines.accounting import ShardReport
from curator.engines.passes import Done, EngineResult, OnReport, Task, reduce_in_driver, run_passes
from curator.engines.remote_work import RemoteWork
from curator.engines.sharding import ShardSpec, plan_shards, read_shard
from curator.engines.shards import ShardRunner
from curator.errors import CuratorError
from curator.ingest import InputFile
from curator.io import ReadStats
from curator.io.remote import fetch, remote_name
from curator.io.safe_pack import pack, unpack
from curator.recipe import Recipe
from curator.run.work import WorkDir
from curator.stages import GlobalStage


class _PassActor:
    """One per Ray worker slot: builds the stages once, then runs shard passes."""

    def __init__(self, plan: list[Any], work_root: str, remote: RemoteWork | None) -> None:
        import ray

        from curator.engines.gc_tuning import tune_worker

        tune_worker()
        # The plan is a reference into Ray's object store (safe_pack bytes, never pickle; a
        # list, so Ray hands over the reference): no node needs to see the driver's files.
        recipe, inputs = _read_plan(ray.get(plan[0]))
        self.remote = remote
        self.root = remote.outputs() if remote else Path(work_root)
        self.inputs = inputs
        self.limits = recipe.run.limits.read_limits()
        self.runner = ShardRunner(recipe, inputs, self.root, spill_signatures=True)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        reports = []
        for task in batch["task"]:
            pass_index, shard, payload = unpack(task)
            if pass_index == 0:
                spec: ShardSpec = payload
                rows = read_shard(self.inputs[spec.input_index], spec, self.limits)
                report = self.runner.first_pass(shard, spec.input_index, rows)
            else:
                if self.remote:  # the previous pass's records and the decisions, from the bucket
                    spill = self.runner.work.spill(pass_index - 1, shard)
                    self.remote.pull(spill.relative_to(self.root), spill)
                    if isinstance(payload, StoredDecisions):
                        payload = dataclasses.replace(payload, path=self.remote.pull(payload.path))
                report = self.runner.later_pass(pass_index, shard, payload)
            if self.remote:
                self.remote.push_shard(self.root, shard)
            reports.append(pack(report))
        return {"report": reports}


class RayEngine:
    """Runs a recipe on Ray: a local instance limited to ``workers`` CPUs, or a cluster at ``address``."""

    def __init__(
        self,
        workers: int = 1,
        address: str | None = None,
        work_url: str | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        self.workers = max(1, workers)
        self.address = address
        self.work_url = work_url  # work files on an object store (no shared filesystem)
        self.storage_options = storage_options

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
        # A failed dataset is our one error line (Ray Data's log file under the session folder keeps
        # the stack trace Ray Data would otherwise print to stderr as well).
        logging.getLogger("ray").setLevel(logging.ERROR)
        logging.getLogger("ray.data").setLevel(logging.CRITICAL)
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
        except ray.exceptions.RayError as exc:
            raise _as_user_error(ray, exc) from None
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
        remote = RemoteWork(self.work_url, self.storage_options) if self.work_url else None
        if remote and not WorkDir(work_root).has_markers():
            remote.remove()  # a fresh run: nothing an older attempt left under the prefix counts
        plan = [ray.put(_plan_bytes(recipe, inputs, _input_urls(recipe, inputs, remote)))]

        def map_tasks(pass_index: int, tasks: Iterable[Task]) -> Iterator[ShardReport]:
            return self._map_pass(ray, plan, work_root, remote, pass_index, tasks)

        def reduce(pass_index: int, stage: GlobalStage, reports: list[ShardReport]) -> list[Any]:
            partitioned = stage.partitioned_reduce()
            if partitioned is None:
                return reduce_in_driver(pass_index, stage, reports)
            result.reduced_in_workers.append(stage.name)
            return self._reduce_in_workers(ray, partitioned, WorkDir(work_root), pass_index, reports, remote)

        run_passes(recipe, WorkDir(work_root), result, enumerate(specs), map_tasks, on_report, reduce)
        if remote:  # the run folder is assembled here, from the driver's copy; the prefix stays
            remote.pull_assembled(work_root)  # until the run is finished (a rerun resumes from it)
            _clean_nodes(ray, remote)
        return result

    def _reduce_in_workers(
        self,
        ray: Any,
        plan: PartitionedReduce,
        work: WorkDir,
        pass_index: int,
        reports: list[ShardReport],
        remote: RemoteWork | None,
    ) -> list[StoredDecisions]:
        """Every phase's partitions as Ray tasks (one CPU each), then the merge as one more task."""
        paths = [work.signatures(pass_index, report.shard) for report in reports]
        for report, path in zip(reports, paths, strict=True):
            if report.signatures is not None:  # a shard-pass an interrupted local run completed
                plan.save(report.signatures, path)
                report.signatures = None
                if remote:
                    remote.push(path, path.relative_to(work.root))
        offsets = np.zeros(len(reports) + 1, dtype=np.int64)
        np.cumsum([report.records_out for report in reports], out=offsets[1:])
        decisions = [work.decisions(pass_index, report.shard) for report in reports]
        scratch = work.reduce_scratch(pass_index)
        if remote:  # names inside the work prefix: each task finds them on the bucket
            paths = [p.relative_to(work.root) for p in paths]
            decisions = [p.relative_to(work.root) for p in decisions]
            scratch = scratch.relative_to(work.root)
        reduce_on_ray(ray, plan, paths, offsets, scratch, decisions, self.workers, remote)
        return [StoredDecisions(path, plan.decisions_kind) for path in decisions]

    def _map_pass(
        self,
        ray: Any,
        plan: list[Any],
        work_root: Path,
        remote: RemoteWork | None,
        pass_index: int,
        tasks: Iterable[Task],
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
        with warnings.catch_warnings():  # Ray 2.60 deprecates actor options, and has no other way yet
            warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
            mapped = dataset.map_batches(
                _PassActor,
                fn_constructor_args=(plan, str(work_root), remote),
                batch_size=1,
                compute=ray.data.ActorPoolStrategy(size=min(self.workers, len(todo))),
                num_cpus=1,
                **_bounded_restarts(dataset.map_batches),
            )
        for row in mapped.iter_rows():
            report = unpack(row["report"])
            if remote:  # the driver's folder holds the markers: a rerun resumes from it
                WorkDir(work_root).mark_done(pass_index, report)
            yield report


# How often a shard actor is restarted (and its task retried) after its process died, e.g. killed
# by Ray's memory monitor. Ray Data's default is forever: a node short of memory would kill the
# same actor again and again and the run would never end; after these many the run stops with one
# clear error line instead, and running the same command again resumes it.
_RESTARTS = 3


def _bounded_restarts(map_batches: Any) -> dict[str, int]:
    """The actor options bounding restarts, where this Ray's ``map_batches`` still takes them."""
    if "ray_remote_args" not in inspect.signature(map_batches).parameters:
        return {}  # a Ray without actor options: its own default
    return {"max_restarts": _RESTARTS, "max_task_retries": _RESTARTS}


def _as_user_error(ray: Any, exc: Exception) -> Exception:
    """What a Ray failure means to the user: out of memory (exit 3, with advice), the error a
    task raised (a CuratorError or OSError, without Ray's remote traceback), or ``exc`` itself."""
    oom = isinstance(exc, ray.exceptions.OutOfMemoryError) or (
        isinstance(exc, ray.exceptions.RayActorError) and "low on memory" in str(exc)
    )
    if oom:
        usage = re.search(r"\(IP: ([^,]+),.*?was ([\d.]+GB) used / ([\d.]+GB) limit", str(exc), re.DOTALL)
        where = f" (node {usage[1]}: {usage[2]} used of {usage[3]})" if usage else ""
        return OSError(
            errno.ENOMEM,
            f"out of memory: Ray's memory monitor stopped a task{where}; use fewer --workers, a smaller "
            "run.batch_size or nodes with more memory, then run the same command again to resume",
        )
    cause = getattr(exc, "cause", None)  # a RayTaskError: the exception the task raised
    if isinstance(exc, ray.exceptions.RayTaskError) and isinstance(cause, CuratorError | OSError):
        return cause
    return exc


def _input_urls(
    recipe: Recipe, inputs: list[InputFile], remote: RemoteWork | None
) -> list[tuple[str, dict[str, Any] | None] | None]:
    """Where each node fetches each input from, with its storage options (None: read ``path``).
    With work on a bucket, a remote input from its own URL, and a file on the driver's disk from
    the copy uploaded under the work prefix (another node cannot read the driver's disk)."""
    if remote is None:
        return [None] * len(inputs)
    urls: list[tuple[str, dict[str, Any] | None] | None] = []
    for index, item in enumerate(inputs):
        url = remote_name(item.path)
        if url is not None:
            urls.append((url, recipe.sources[item.source_index].storage_options))
        else:
            urls.append((remote.upload_input(index, item.path, item.size), remote.storage_options))
    return urls


def _plan_bytes(
    recipe: Recipe, inputs: list[InputFile], urls: list[tuple[str, dict[str, Any] | None] | None]
) -> bytes:
    """The recipe as JSON plus what stage configs resolved privately (an eval set's base folder),
    the inputs, and the URL (with storage options) each node fetches an input from itself."""
    private = [
        {k: v for k, v in (stage.__pydantic_private__ or {}).items() if isinstance(v, _PLAIN)}
        for stage in recipe.stages
    ]
    return pack((recipe.model_dump_json(), private, inputs, urls))


def _read_plan(data: bytes) -> tuple[Recipe, list[InputFile]]:
    recipe_json, private, inputs, urls = unpack(data)
    recipe = Recipe.model_validate_json(recipe_json)
    for stage, values in zip(recipe.stages, private, strict=True):
        for name, value in values.items():
            setattr(stage, name, value)
    for index, (item, url) in enumerate(zip(inputs, urls, strict=True)):
        if url is not None:  # this node's own copy (cached by URL, size and ETag)
            inputs[index] = dataclasses.replace(item, path=fetch(url[0], url[1])[0])
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
    remote: RemoteWork | None = None,
) -> int:
    """Every phase's ``parts`` partitions as Ray tasks (one CPU each), then the merge as one more
    task; the driver passes only paths and offsets. With ``remote``, the paths are names inside
    the bucket's work prefix: each task downloads its inputs and uploads what it writes.
    Returns the number of clustered records."""
    # A part or the merge writes whole files from its inputs: rerunning one (Ray retries a task
    # its memory monitor killed) gives the same files.
    run_part = ray.remote(num_cpus=1, max_retries=3)(_run_part)
    merge = ray.remote(num_cpus=1, max_retries=3)(_merge)
    for phase in range(plan.phases):  # a phase reads the previous phase's parts
        ray.get(
            [run_part.remote(plan, phase, p, parts, paths, offsets, scratch, remote) for p in range(parts)]
        )
    return ray.get(merge.remote(plan, parts, paths, offsets, scratch, decisions, remote))


def _earlier_parts(
    plan: PartitionedReduce, remote: RemoteWork, scratch: Path, phases: int, parts: int
) -> Path:
    """Download the parts' results of the first ``phases`` phases; their local scratch folder."""
    for phase in range(phases):
        for part in range(parts):
            remote.pull(plan.part_file(scratch, phase, part))
    return remote.local / "in" / scratch


def _run_part(
    plan: PartitionedReduce,
    phase: int,
    part: int,
    parts: int,
    paths: list[Path],
    offsets: Any,
    scratch: Path,
    remote: RemoteWork | None,
) -> None:
    if remote is None:
        plan.run_part(phase, part, parts, ShardFiles(paths, offsets), scratch)
        return
    local = _earlier_parts(plan, remote, scratch, phase, parts)
    plan.run_part(phase, part, parts, ShardFiles([remote.pull(p) for p in paths], offsets), local)
    remote.push(plan.part_file(local, phase, part), plan.part_file(scratch, phase, part))


def _merge(
    plan: PartitionedReduce,
    parts: int,
    paths: list[Path],
    offsets: Any,
    scratch: Path,
    decisions: list[Path],
    remote: RemoteWork | None,
) -> int:
    if remote is None:
        return plan.merge(parts, ShardFiles(paths, offsets), scratch, decisions)
    local = _earlier_parts(plan, remote, scratch, plan.phases, parts)
    written = [remote.local / "in" / d for d in decisions]  # as if downloaded: reused on this node
    clustered = plan.merge(parts, ShardFiles([remote.pull(p) for p in paths], offsets), local, written)
    for path, name in zip(written, decisions, strict=True):
        remote.push(path, name)
    return clustered


def _clean_nodes(ray: Any, remote: RemoteWork) -> None:
    """Every live node deletes its copies of this run's work files, interrupted attempts' too
    (downloaded signature files alone are 321 B per row): one zero-CPU task pinned to each node."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    clean = ray.remote(num_cpus=0, max_retries=3)(_remove_local)
    nodes = [node["NodeID"] for node in ray.nodes() if node.get("Alive")]
    pinned = [NodeAffinitySchedulingStrategy(node, soft=False) for node in nodes]
    try:
        ray.get([clean.options(scheduling_strategy=strategy).remote(remote) for strategy in pinned])
    except ray.exceptions.RayError as exc:  # the run is complete: a copy left on a disk loses nothing
        logging.getLogger(__name__).warning("some nodes kept their copy of the work files: %s", exc)


def _remove_local(remote: RemoteWork) -> None:
    shutil.rmtree(remote.local.parent, ignore_errors=True)  # every attempt's folder for this URL


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # Ray Data lives in the ray extra
    except ImportError:
        raise CuratorError("the ray engine needs Ray Data: pip install 'instruct-curator[ray]'") from None
    return ray
