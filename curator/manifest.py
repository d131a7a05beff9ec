"""The run manifest: what went in, what each stage did, what came out, and proof nothing was lost."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import curator
from curator.io import write_json_atomic

if TYPE_CHECKING:
    from curator.engines.local import EngineResult
    from curator.engines.shards import InputFile
    from curator.pipeline import Totals
    from curator.recipe import LoadedRecipe

MANIFEST_NAME = "manifest.json"
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
    outputs: dict[str, Any],
    workers: int,
    timings: dict[str, float],
    engine: str = "local",
) -> dict[str, Any]:
    recipe = loaded.recipe
    removed_total = sum(s.removed for s in totals.stages.values())
    accounted = totals.kept + removed_total + totals.rejected
    stages = []
    for config in recipe.stages:
        stats = totals.stages.get(config.stage_name)
        stages.append(
            {
                "name": config.stage_name,
                "type": config.type,
                "action": config.action,
                "records_in": stats.records_in if stats else 0,
                "kept": stats.kept if stats else 0,
                "removed": stats.removed if stats else 0,
                "tagged": stats.tagged if stats else 0,
                "removed_by_reason": dict(sorted(stats.reasons.items())) if stats else {},
            }
        )
    return {
        "curator_version": curator.__version__,
        "recipe": {
            "name": recipe.name,
            "path": loaded.path.as_posix(),
            "sha256": loaded.sha256,
            "resolved": recipe.model_dump(mode="json"),
        },
        "seed": recipe.seed,
        "packages": package_versions(),
        "inputs": [
            {
                "source": recipe.sources[item.source_index].name,
                "file": item.display,
                "format": item.format,
                "sha256": item.sha256,
                "bytes": item.size,
                "rows": stats.rows,
                "blank_lines_skipped": stats.blank_lines,
            }
            for item, stats in zip(inputs, result.read_stats, strict=True)
        ],
        "counts": {
            "input_rows": totals.rows,
            "kept": totals.kept,
            "removed": removed_total,
            "rejected": totals.rejected,
            "rejected_by_reason": dict(sorted(totals.rejected_reasons.items())),
        },
        "stages": stages,
        "conservation": {
            "input_rows": totals.rows,
            "kept_plus_removed_plus_rejected": accounted,
            "holds": totals.rows == accounted,
        },
        "outputs": outputs,
        "run": {
            "engine": engine,
            "workers": workers,
            "batch_size": recipe.run.batch_size,
            "shards": result.shard_count,
            # Shard-passes taken from an interrupted earlier run of the same fingerprint (0: fresh run).
            "resumed_shard_passes": result.resumed_shard_passes,
        },
        "timings": {
            **{k: round(v, 4) for k, v in timings.items()},
            "adapt_seconds": round(totals.adapt_seconds, 4),
            "stage_seconds": {name: round(s.seconds, 4) for name, s in totals.stages.items()},
        },
    }


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> Path:
    path = out_dir / MANIFEST_NAME
    write_json_atomic(path, manifest)
    return path
