"""Runs a recipe: check everything, run the engine, assemble outputs, prove the accounting.

The run folder's layout is :class:`curator.run.RunFolder`'s; its manifest (a typed
:class:`curator.run.Manifest`) is written last: a folder without it is an unfinished run.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from curator.engines.accounting import ShardReport, StageStats
from curator.engines.local import LocalEngine
from curator.engines.passes import EngineResult
from curator.errors import CuratorError
from curator.ingest import InputFile, plan_inputs
from curator.ingest.cards import CardInfo, fill_from_cards
from curator.io import write_bytes_atomic
from curator.licensing.run import run_licences, source_fates
from curator.licensing.terms import resolve_terms
from curator.mixtures.run import build_mixtures, check_tokenizers, scan_kept
from curator.output import assemble_outputs
from curator.recipe import LoadedRecipe
from curator.run import Manifest, RunFolder, fingerprint
from curator.run.assemble import build_manifest, finish_manifest
from curator.run.lock import FolderLock
from curator.stage_inputs import check_stage_inputs

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class RunResult:
    out_dir: Path
    run: Manifest  # the manifest as written
    already_finished: bool = False  # the folder held this finished run; nothing was recomputed

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest as plain JSON (what manifest.json holds)."""
        return self.run.to_json()


def resolve_stage_paths(loaded: LoadedRecipe) -> LoadedRecipe:
    """The recipe with every stage's relative input paths resolved against the recipe's folder and
    checked (InputError naming the stage when a file is missing)."""
    stages = [stage.resolve_paths(loaded.base_dir) for stage in loaded.recipe.stages]
    for stage in stages:
        check_stage_inputs(stage)
    return loaded.model_copy(update={"recipe": loaded.recipe.model_copy(update={"stages": stages})})


def prepare_out_dir(out_dir: Path, overwrite: bool, parts: dict[str, str]) -> bool:
    """Make the run folder ready; True when it holds an interrupted run of the same work to resume.

    A resume is refused, naming what changed, when anything the output depends on differs from
    what the interrupted run was computing (see :mod:`curator.run.fingerprint`).
    """
    folder = RunFolder(out_dir)
    work_root, marker = folder.work_dir, folder.fingerprint_path
    if out_dir.exists() and folder.has_content():
        finished = folder.is_finished()
        if not finished and marker.exists() and not overwrite:
            old = fingerprint.decode(marker.read_bytes())
            if old == parts:
                return True
            changed = fingerprint.describe_changes(old, parts)
            raise CuratorError(
                f"{out_dir} holds an unfinished run of another recipe or other inputs ({changed}); "
                "pass --overwrite to start over"
            )
        if not overwrite:
            raise CuratorError(f"output folder {out_dir} is not empty; choose another --out or --overwrite")
        if not finished and not work_root.exists():
            raise CuratorError(f"refusing to overwrite {out_dir}: it does not look like a curator run folder")
        folder.clear()
    folder.make_work_dir()
    write_bytes_atomic(marker, fingerprint.encode(parts))
    return False


def run_recipe(
    loaded: LoadedRecipe,
    out_dir: Path,
    *,
    workers: int | None = None,
    overwrite: bool = False,
    on_report: Callable[[int, ShardReport], None] | None = None,
    on_planned: Callable[[list[InputFile]], None] | None = None,
    engine: str = "local",
    ray_address: str | None = None,
    report: Literal["run", "audit"] | None = "run",
    work_url: str | None = None,
) -> RunResult:
    """Run a recipe into ``out_dir`` and return its manifest. Raises CuratorError on user errors.

    ``work_url``: the Ray engine keeps its work files there (an object store), not in ``out_dir``.

    ``report``: after the manifest, write report.json and report.html of this kind (None: none).
    """
    started = time.perf_counter()
    inputs = plan_inputs(loaded)  # every input is checked before anything is written
    check_tokenizers(loaded.recipe, loaded.base_dir)  # a mixture's tokenizer must load, offline
    by_source = [[i.path for i in inputs if i.source_index == n] for n in range(len(loaded.recipe.sources))]
    # Missing licences etc. from the dataset cards beside the inputs (the recipe's own fields win).
    filled, cards = fill_from_cards(loaded.recipe, loaded.base_dir, by_source)
    loaded = loaded.model_copy(update={"recipe": filled}) if filled is not loaded.recipe else loaded
    loaded = resolve_stage_paths(loaded)  # stages' own input files (eval sets), checked now too
    if on_planned:
        on_planned(inputs)
    folder = RunFolder(out_dir)
    with FolderLock(out_dir):  # one run per folder; a killed run's lock is released by the kernel
        if folder.is_finished() and not overwrite and _same_work(folder.read_manifest(), loaded, inputs):
            return _finish_interrupted(folder, report)
        prepare_out_dir(out_dir, overwrite, fingerprint.fingerprint_parts(loaded, inputs))
        ray_setup = (ray_address, work_url)
        return _run(loaded, inputs, cards, folder, started, workers, on_report, engine, ray_setup, report)


def _run(
    loaded: LoadedRecipe,
    inputs: list[InputFile],
    cards: dict[str, CardInfo | None],
    folder: RunFolder,
    started: float,
    workers: int | None,
    on_report: Callable[[int, ShardReport], None] | None,
    engine: str,
    ray_setup: tuple[str | None, str | None],
    report: Literal["run", "audit"] | None,
) -> RunResult:
    recipe = loaded.recipe
    workers = workers or recipe.run.workers
    engine_started = time.perf_counter()
    if engine == "local":
        runner = LocalEngine(workers)
    else:
        runner = _ray_engine(workers, *ray_setup, recipe.storage_options)
    result = runner.run(recipe, inputs, folder.work_dir, recipe.run.batch_size, on_report)
    engine_seconds = time.perf_counter() - engine_started
    outputs = assemble_outputs(folder, result.shard_count, recipe)
    totals = summarise(result)
    core = build_manifest(
        loaded=loaded,
        inputs=inputs,
        result=result,
        totals=totals,
        outputs=outputs,
        workers=workers,
        engine=engine,
        timings={"total_seconds": time.perf_counter() - started, "engine_seconds": engine_seconds},
    )
    provenance_started = time.perf_counter()
    after = after_run(loaded, folder, core, cards)  # source fates, licences, mixtures
    manifest = finish_manifest(core, **after, provenance_seconds=time.perf_counter() - provenance_started)
    if not manifest.conservation.holds:
        raise AssertionError(f"accounting bug: {manifest.conservation}")
    folder.write_manifest(manifest)  # last: a folder with a manifest is a finished run
    return _complete(folder, manifest, report)


def _complete(folder: RunFolder, manifest: Manifest, report: Literal["run", "audit"] | None) -> RunResult:
    """What follows the manifest: drop the work files, write the report. A run killed in between
    is completed by running it again (see ``_finish_interrupted``)."""
    if folder.work_dir.exists():
        shutil.rmtree(folder.work_dir)
    if report:  # after the manifest: it reads the finished run's files, like `curator report` does
        from curator.report.builder import write_report

        write_report(folder.root, kind=report)  # reads the manifest back: same report as `curator report`
    return RunResult(folder.root, manifest)


def _same_work(manifest: Manifest, loaded: LoadedRecipe, inputs: list[InputFile]) -> bool:
    """Whether a finished run's manifest describes this recipe text on these very inputs."""
    return (
        manifest.recipe.sha256 == loaded.sha256
        and manifest.run.batch_size == loaded.recipe.run.batch_size
        and [(i.file, i.sha256) for i in manifest.inputs] == [(i.display, i.sha256) for i in inputs]
    )


def _finish_interrupted(folder: RunFolder, report: Literal["run", "audit"] | None) -> RunResult:
    """A finished run asked to run again: complete what a kill after its manifest left undone
    (work files, report) and report it as already finished."""
    manifest = folder.read_manifest()
    reported = folder.report_json.exists() and folder.report_html.exists()
    if folder.work_dir.exists() or (report and not reported):
        logger.warning("%s: the run had finished but not cleaned up; completing it", folder.root)
        result = _complete(folder, manifest, report)
    else:
        result = RunResult(folder.root, manifest)
    result.already_finished = True
    return result


def after_run(
    loaded: LoadedRecipe, folder: RunFolder, core: Manifest, cards: dict[str, CardInfo | None]
) -> dict[str, Any]:
    """The work after a run, each part by its owner: source fates and licences (licensing), mixtures."""
    recipe = loaded.recipe
    scan = scan_kept(recipe, loaded.base_dir, folder.data_paths(core))
    modifying = [s.stage_name for s in recipe.stages if s.modifies_text()]
    fates = source_fates(recipe, core, folder, scan)
    terms = {s.name: resolve_terms(s.generated_by, s.model_terms) for s in recipe.sources}
    licences = run_licences(recipe, scan, fates, terms, cards, modifying)
    mixtures = build_mixtures(
        loaded,
        folder,
        core,
        scan,
        fates=fates,
        terms=terms,
        cards=cards,
        intended_use=licences.policy.intended_use if licences.policy else None,
        modifying=modifying,
    )
    taken: dict[str, dict[str, int]] = {name: {} for name in fates}
    for mixture_name, summary in mixtures.items():
        for source_name, stats in summary.sources.items():
            taken[source_name][mixture_name] = stats["records"]
    sources = {name: fate.model_copy(update={"mixtures": taken[name]}) for name, fate in fates.items()}
    return {"sources": sources, "licences": licences, "mixtures": mixtures}


def _ray_engine(workers: int, address: str | None, work_url: str | None, options: dict | None):
    from curator.engines.ray import RayEngine  # Ray is an optional extra

    return RayEngine(workers, address, work_url, options)


@dataclass(slots=True)
class Totals:
    rows: int
    rejected: int
    rejected_reasons: Counter
    kept: int
    stages: dict[str, StageStats]
    adapt_seconds: float


def summarise(result: EngineResult) -> Totals:
    """Add up shard reports: rows read, rejected, per-stage stats, records kept at the end."""
    first = result.passes[0] if result.passes else []
    stages: dict[str, StageStats] = {}
    for reports in result.passes:
        for report in reports:
            for name, stats in report.stages.items():
                stages.setdefault(name, StageStats()).add(stats)
    rejected_reasons: Counter = Counter()
    for report in first:
        rejected_reasons.update(report.rejected_reasons)
    return Totals(
        rows=sum(r.rows for r in first),
        rejected=sum(r.rejected for r in first),
        rejected_reasons=rejected_reasons,
        kept=sum(r.records_out for r in result.passes[-1]) if result.passes else 0,
        stages=stages,
        adapt_seconds=sum(r.adapt_seconds for r in first),
    )
