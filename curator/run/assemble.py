"""Assemble the typed run manifest from a finished engine run: inputs, stage counts, outputs, proof.

The pipeline adds what the owners of the work after a run return (source fates, licences,
mixtures) and builds the :class:`~curator.run.manifest.Manifest` once; nothing mutates it later.
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

import curator
from curator.run.manifest import (
    Conservation,
    Counts,
    InputEntry,
    Licences,
    Manifest,
    MixtureSummary,
    Outputs,
    RecipeInfo,
    RunInfo,
    SourceFate,
    StageEntry,
    Timings,
)

if TYPE_CHECKING:
    from curator.engines.passes import EngineResult
    from curator.ingest import InputFile
    from curator.pipeline import Totals
    from curator.recipe import LoadedRecipe

_PACKAGES = ("pydantic", "pydantic-core", "orjson", "pyarrow", "datasets", "pyyaml", "numpy", "zstandard")


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {
        "python": platform.python_version(),
        "instruct-curator": curator.__version__,
    }
    for name in _PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def build_manifest(
    *,
    loaded: LoadedRecipe,
    inputs: list[InputFile],
    result: EngineResult,
    totals: Totals,
    outputs: Outputs,
    workers: int,
    timings: dict[str, float],
    engine: str = "local",
) -> Manifest:
    """The manifest of what the engine did; the work after a run (fates, licences, mixtures) is added
    by the pipeline when it builds the final one (:func:`finish_manifest`)."""
    recipe = loaded.recipe
    removed_total = sum(s.removed for s in totals.stages.values())
    # Conservation is proven from the files on disk (records recounted as they were described),
    # and the counters must agree with them.
    on_disk = [sum(f.records for f in files) for files in (outputs.data, outputs.removed, outputs.rejected)]
    counters = [totals.kept, removed_total, totals.rejected]
    accounted = sum(on_disk) if on_disk == counters else -1
    stages = []
    for config in recipe.stages:
        stats = totals.stages.get(config.stage_name)
        stages.append(
            StageEntry(
                name=config.stage_name,
                type=config.type,
                action=config.action,
                records_in=stats.records_in if stats else 0,
                kept=stats.kept if stats else 0,
                removed=stats.removed if stats else 0,
                tagged=stats.tagged if stats else 0,
                removed_by_reason=dict(sorted(stats.reasons.items())) if stats else {},
            )
        )
    return Manifest(
        curator_version=curator.__version__,
        recipe=RecipeInfo(
            name=recipe.name,
            path=loaded.path.as_posix(),
            sha256=loaded.sha256,
            resolved=recipe.model_dump(mode="json"),
        ),
        seed=recipe.seed,
        packages=package_versions(),
        inputs=[
            InputEntry(
                source=recipe.sources[item.source_index].name,
                file=item.display,
                format=item.format,
                sha256=item.sha256,
                bytes=item.size,
                rows=stats.rows,
                blank_lines_skipped=stats.blank_lines,
            )
            for item, stats in zip(inputs, result.read_stats, strict=True)
        ],
        counts=Counts(
            input_rows=totals.rows,
            kept=totals.kept,
            removed=removed_total,
            rejected=totals.rejected,
            rejected_by_reason=dict(sorted(totals.rejected_reasons.items())),
        ),
        stages=stages,
        conservation=Conservation(
            input_rows=totals.rows,
            kept_plus_removed_plus_rejected=accounted,
            holds=totals.rows == accounted,
        ),
        outputs=outputs,
        run=RunInfo(
            engine=engine,
            workers=workers,
            batch_size=recipe.run.batch_size,
            shards=result.shard_count,
            resumed_shard_passes=result.resumed_shard_passes,
            reduced_in_workers=result.reduced_in_workers,
        ),
        timings=Timings(
            **{k: round(v, 4) for k, v in timings.items()},
            adapt_seconds=round(totals.adapt_seconds, 4),
            stage_seconds={name: round(s.seconds, 4) for name, s in totals.stages.items()},
        ),
    )


def finish_manifest(
    core: Manifest,
    *,
    sources: dict[str, SourceFate],
    licences: Licences,
    mixtures: dict[str, MixtureSummary],
    provenance_seconds: float,
) -> Manifest:
    """The final manifest: the engine's part plus what the work after the run returned."""
    timings = core.timings.model_copy(update={"provenance_seconds": round(provenance_seconds, 4)})
    return core.model_copy(
        update={"sources": sources, "licences": licences, "mixtures": mixtures, "timings": timings}
    )
