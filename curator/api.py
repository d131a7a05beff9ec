"""The Python API for scripts and notebooks: ``import curator``.

    import curator

    recipe = curator.load_recipe("sample_data/recipe.yaml")     # or curator.recipe_from_dict({...})
    result = curator.run_recipe(recipe, "runs/sample")           # a RunResult with the manifest
    records = curator.read_records("sample_data/*.jsonl")        # any supported file or glob
    out = curator.apply(records, [{"type": "length"}, {"type": "exact_dedup"}])
    out.kept, out.removed                                        # records; (record, stage, reason, detail)

``apply`` takes InstructionRecords, dicts in any supported format, a pandas DataFrame or a
``datasets.Dataset`` (rows in any format), and stage configs as dicts, ``StageConfig`` objects or
built stages. Record stages and global stages (dedup) both work: in memory, one batch, the same
decisions as a run. Stages that read files (decontaminate's eval sets) get them read for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from curator import pipeline
from curator.errors import CuratorError
from curator.formats import get_format
from curator.ingest import adapt_row, detect_file_format
from curator.io import check_readable, display_path, expand_paths, iter_rows
from curator.pipeline import RunResult
from curator.recipe import LoadedRecipe, load_recipe
from curator.records import InstructionRecord
from curator.stages import AnyStageConfig, GlobalStage, Stage, StageConfig, build_stage

__all__ = [
    "Applied",
    "Removed",
    "apply",
    "load_recipe",
    "read_records",
    "recipe_from_dict",
    "run_recipe",
]

_STAGE_CONFIG: TypeAdapter[Any] = TypeAdapter(AnyStageConfig)


def recipe_from_dict(data: Mapping[str, Any], base_dir: str | Path = ".") -> LoadedRecipe:
    """A recipe built in Python (the same keys as YAML); relative paths resolve against ``base_dir``."""
    import hashlib

    import yaml

    from curator.recipe import parse_recipe

    text = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True)
    recipe = parse_recipe(text, source_name="<dict>")  # errors name the key, as for a file
    base = Path(base_dir).resolve()
    return LoadedRecipe(
        recipe=recipe, path=base / "<dict>", base_dir=base, sha256=hashlib.sha256(text.encode()).hexdigest()
    )


def run_recipe(
    recipe: LoadedRecipe | str | Path | Mapping[str, Any],
    out: str | Path,
    *,
    workers: int | None = None,
    overwrite: bool = False,
    engine: str = "local",
) -> RunResult:
    """Run a recipe (a loaded one, a YAML file or a dict) into ``out`` (a folder, or a URL such as
    s3://bucket/run); returns the run folder and its manifest."""
    from curator.publish import run_recipe_to

    if isinstance(recipe, (str, Path)):
        recipe = load_recipe(recipe)
    elif not isinstance(recipe, LoadedRecipe):
        recipe = recipe_from_dict(recipe)
    if isinstance(out, Path) or "://" not in str(out):
        return pipeline.run_recipe(recipe, Path(out), workers=workers, overwrite=overwrite, engine=engine)
    return run_recipe_to(recipe, str(out), overwrite=overwrite, workers=workers, engine=engine)


def read_records(
    paths: str | Path | Sequence[str | Path],
    *,
    format: str = "auto",
    columns: Mapping[str, str] | None = None,
    source: str | None = None,
    license: str | None = None,
    base_dir: str | Path = ".",
    errors: list[str] | None = None,
) -> list[InstructionRecord]:
    """Every valid record of the files (globs, folders and URLs too) in any supported format.

    Rows that are not records are skipped; pass a list as ``errors`` to collect
    ``file:line: reason: error`` for each.
    """
    patterns = [paths] if isinstance(paths, (str, Path)) else list(paths)
    base = Path(base_dir)
    files = [path for pattern in patterns for path in expand_paths(pattern, base)]
    for path in files:
        check_readable(path)
    records: list[InstructionRecord] = []
    for path in files:
        display = display_path(path, base)
        adapter = get_format(format if format != "auto" else detect_file_format(path, display, columns or {}))
        provenance = {"source": source or path.name, "file": display, "license": license}
        for raw in iter_rows(path, display):
            outcome = adapt_row(raw, adapter, dict(columns or {}), provenance)
            if isinstance(outcome, InstructionRecord):
                records.append(outcome)
            elif errors is not None:
                errors.append(f"{display}:{raw.line or raw.row}: {outcome[0]}: {outcome[1]}")
    return records


@dataclass(frozen=True, slots=True)
class Removed:
    """A record a stage removed, with its reason code and the stage's detail."""

    record: InstructionRecord
    stage: str
    reason: str
    detail: dict[str, Any] | None


@dataclass(slots=True)
class Applied:
    """What ``apply`` returns: the kept records (annotated) and the removed ones with reasons."""

    kept: list[InstructionRecord] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)

    def kept_frame(self) -> Any:
        """The kept records as a pandas DataFrame (one row per record, JSON-able columns)."""
        import pandas as pd

        return pd.DataFrame([r.model_dump(mode="json") for r in self.kept])

    def removed_frame(self) -> Any:
        """The removed records as a pandas DataFrame with ``stage``, ``reason`` and ``detail`` columns."""
        import pandas as pd

        return pd.DataFrame(
            [
                {"stage": r.stage, "reason": r.reason, "detail": r.detail, **r.record.model_dump(mode="json")}
                for r in self.removed
            ]
        )


def _rows(data: Any) -> Iterable[Any]:
    """Rows of a pandas DataFrame, a datasets.Dataset, or any iterable (records or dicts)."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data.to_dict(orient="records")
    from datasets import Dataset

    if isinstance(data, Dataset):
        return data.to_list()
    return data


def _as_records(data: Any, format: str, columns: Mapping[str, str] | None) -> list[InstructionRecord]:
    from curator.formats.columns import rename_columns
    from curator.formats.detect import detect_format
    from curator.io import RawRow

    records: list[InstructionRecord] = []
    plain: list[tuple[int, dict[str, Any]]] = []
    for index, row in enumerate(_rows(data)):
        if isinstance(row, InstructionRecord):
            records.append(row)
        elif {"id", "messages", "provenance"} <= set(row):  # a record as a dict (a run's data/ row)
            records.append(InstructionRecord.model_validate(dict(row)))
        else:
            plain.append((index, dict(row)))
    if plain:
        renamed = [rename_columns(row, columns) if columns else row for _, row in plain]
        adapter = get_format(format if format != "auto" else detect_format(renamed[:100]))
        for index, row in plain:
            raw = RawRow(file="<memory>", row=index, line=None, data=row)
            outcome = adapt_row(raw, adapter, dict(columns or {}), {"source": "memory", "file": "<memory>"})
            if not isinstance(outcome, InstructionRecord):
                raise CuratorError(f"row {index}: {outcome[0]}: {outcome[1]}")
            records.append(outcome)
    return records


def _as_stage(spec: Any) -> Stage:
    if isinstance(spec, Stage):
        return spec
    config = spec if isinstance(spec, StageConfig) else _STAGE_CONFIG.validate_python(dict(spec))
    config = config.resolve_paths(Path.cwd())
    stage = build_stage(config)
    if config.input_files():
        from curator.stage_inputs import check_stage_inputs, setup_context

        check_stage_inputs(config)
        stage.setup(setup_context(config))
    else:
        stage.setup()
    return stage


def apply(
    data: Any,
    stages: Any,
    *,
    format: str = "auto",
    columns: Mapping[str, str] | None = None,
) -> Applied:
    """Run one stage or a list of stages over in-memory data; return kept and removed records.

    ``data``: InstructionRecords, row dicts in any supported format (``format``/``columns`` as in a
    recipe), a pandas DataFrame or a ``datasets.Dataset``. ``stages``: a stage config dict
    (``{"type": "length", "min_output_words": 2}``), a StageConfig, a built Stage, or a list.
    """
    records = _as_records(data, format, columns)
    specs = stages if isinstance(stages, (list, tuple)) else [stages]
    result = Applied()
    for spec in specs:
        stage = _as_stage(spec)
        if isinstance(stage, GlobalStage):
            decisions = stage.reduce([stage.signatures(records)])
            outcome = stage.apply(records, decisions[0])
        else:
            outcome = stage.process(records)
        result.removed.extend(Removed(r.record, stage.name, r.reason, r.detail) for r in outcome.removed)
        records = outcome.kept
        stage.teardown()
    result.kept = records
    return result
