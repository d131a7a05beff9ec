"""``curator audit``: every annotator over some files, in tag mode (nothing is removed), and a report.

The audit recipe is built from the stage registry (:data:`curator.stages.STAGES`), so a stage
joins the audit the moment it is registered. For each stage type, in registry order:

1. skip it if its class says ``audit = False`` (``length``: the ``quality`` stage covers it), if
   ``--skip TYPE`` names it, if ``--sample`` moves it to the sample (``pii``: patterns and names
   run on the sampled records only, :mod:`curator.audit_corpus`), or if its config cannot be
   built from defaults (a required option such as ``decontaminate``'s eval sets: say it with
   ``--set``);
2. options: the config's defaults, then the stage class's ``audit_options`` (a dict, e.g. the PII
   stage's fast structured-only mode, the licence stage's commercial use), then ``--set
   TYPE.KEY=VALUE`` (a YAML value; dots go deeper);
3. tag mode: every option, at any depth, whose value is ``drop`` or unset (None) and that
   accepts ``tag`` becomes ``tag`` — the stage's ``action``, per-check actions, licence rules;
   ``fix``/``redact`` actions become ``tag`` too, so the audit never changes the text.

The run goes into OUT like any run (data/ holds every record, annotated; there is no removed/),
plus ``audit_recipe.yaml`` (the recipe it ran: edit it and ``curator run`` it to curate for real),
``report.json`` and ``report.html``. A stage that still removed records is a bug in that stage's
tag mode; the audit says so rather than hide it.
"""

from __future__ import annotations

import hashlib
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from curator.errors import CuratorError
from curator.recipe import LoadedRecipe, parse_recipe
from curator.run import Manifest, RunFolder
from curator.stages import STAGES, StageConfig

AUDIT_RECIPE = "audit_recipe.yaml"

_TO_TAG = {"drop", "fix", "redact", None}


@dataclass(slots=True)
class AuditPlan:
    """The audit's stage configs, and the stage types left out with why."""

    stages: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def parse_settings(settings: tuple[str, ...] | list[str]) -> dict[str, dict[str, Any]]:
    """``["pii.structured_only=false", "length.max_output_words=4000"]`` → nested options per stage type."""
    options: dict[str, dict[str, Any]] = {}
    for setting in settings:
        key, sep, raw = setting.partition("=")
        parts = key.strip().split(".")
        if not sep or len(parts) < 2 or not all(parts):
            raise CuratorError(
                f"--set expects TYPE.KEY=VALUE (e.g. quality.repetition.action=drop), got {setting!r}"
            )
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError as exc:
            raise CuratorError(f"--set {key}: value is not valid YAML: {exc}") from None
        target = options.setdefault(parts[0], {})
        for part in parts[1:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return options


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _accepts(annotation: Any, value: str) -> bool:
    """Whether a field annotation admits the literal string ``value``."""
    origin = get_origin(annotation)
    if origin is Literal:
        return value in get_args(annotation)
    if origin in (typing.Union, types.UnionType) or origin is typing.Annotated:
        return any(_accepts(arg, value) for arg in get_args(annotation))
    return False


def tag_mode(config: StageConfig) -> StageConfig:
    """The config with every drop/fix/redact/unset option that accepts ``tag`` set to ``tag``."""

    def convert(model: BaseModel) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            if isinstance(value, BaseModel):
                data[name] = convert(value)
            elif (value in _TO_TAG if isinstance(value, (str, type(None))) else False) and _accepts(
                info.annotation, "tag"
            ):
                data[name] = "tag"
            else:
                data[name] = value
        return data

    return type(config).model_validate(convert(config))


def sampled_types(sample: Any) -> tuple[str, ...]:
    """Stage types that run on the audit's sample instead of every record: the expensive
    detectors (:data:`curator.audit_corpus.SAMPLED_DETECTORS`) when ``--sample`` is given."""
    from curator.audit_corpus import SAMPLED_DETECTORS

    return tuple(SAMPLED_DETECTORS) if sample is not None else ()


def plan_audit(
    skip: tuple[str, ...] | list[str] = (),
    settings: dict[str, dict[str, Any]] | None = None,
    sampled: tuple[str, ...] | list[str] = (),
) -> AuditPlan:
    """Every registered stage, configured for the audit (see the module docstring).

    ``sampled`` (see :func:`sampled_types`): types left out of the full pass because the corpus
    pass runs them on the sample; their ``--set`` options go to the sampled detector."""
    settings = settings or {}
    unknown = sorted(set(skip) - set(STAGES))
    unknown += sorted(set(settings) - set(STAGES))
    if unknown:
        raise CuratorError(f"unknown stage type {unknown[0]!r}; stage types: {', '.join(STAGES)}")
    plan = AuditPlan()
    for stage_type, cls in STAGES.items():
        if stage_type in skip:
            plan.skipped[stage_type] = "--skip"
            continue
        if stage_type in sampled:
            plan.skipped[stage_type] = "run on the sample only (--sample): its rates are estimated"
            continue
        if not cls.audit and stage_type not in settings:
            plan.skipped[stage_type] = cls.audit_reason
            continue
        options = _merge(dict(cls.audit_options or {}), settings.get(stage_type, {}))
        try:
            config = cls.config_model.model_validate({**options, "type": stage_type})
        except ValidationError as exc:
            if stage_type in settings:
                raise CuratorError(f"--set {stage_type}: {_first_error(exc)}") from None
            missing = [".".join(str(p) for p in e["loc"]) for e in exc.errors() if e["type"] == "missing"]
            why = (
                f"needs {', '.join(missing)} (--set {stage_type}.{missing[0]}=...)"
                if missing
                else _first_error(exc)
            )
            plan.skipped[stage_type] = why
            continue
        try:
            tagged = tag_mode(config)
        except ValidationError as exc:
            plan.skipped[stage_type] = f"has no tag mode: {_first_error(exc)}"
            continue
        plan.stages.append(tagged.model_dump(mode="json", exclude_defaults=True) | {"type": stage_type})
    return plan


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"


def source_names(inputs: list[Path]) -> list[str]:
    """A unique, readable source name per input: its file name without extensions."""
    names: list[str] = []
    for path in inputs:
        stem = path.name
        while Path(stem).suffix and len(Path(stem).suffix) <= 8:
            stem = Path(stem).stem
        base = re.sub(r"[^\w.-]+", "_", stem).strip("_.") or "input"
        name, n = base, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def audit_recipe(
    inputs: list[Path],
    *,
    fmt: str = "auto",
    columns: dict[str, str] | None = None,
    license: str | None = None,
    plan: AuditPlan,
    workers: int = 1,
) -> dict[str, Any]:
    sources = []
    for name, path in zip(source_names(inputs), inputs, strict=True):
        source: dict[str, Any] = {"name": name, "path": str(path.resolve()), "format": fmt}
        if columns:
            source["columns"] = dict(columns)
        if license:
            source["license"] = license
        sources.append(source)
    return {
        "name": "audit",
        "sources": sources,
        "stages": plan.stages,
        "output": {"format": "jsonl"},
        "run": {"workers": workers},
    }


def default_workers() -> int:
    return max(
        1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    )


@dataclass(slots=True)
class AuditResult:
    out_dir: Path
    run: Manifest  # the manifest as written
    plan: AuditPlan
    recipe_path: Path

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest as plain JSON (what manifest.json holds)."""
        return self.run.to_json()


def run_audit(
    inputs: list[Path],
    out_dir: Path,
    *,
    fmt: str = "auto",
    columns: dict[str, str] | None = None,
    license: str | None = None,
    skip: tuple[str, ...] | list[str] = (),
    settings: dict[str, dict[str, Any]] | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    on_report: Any = None,
    on_planned: Any = None,
    base_dir: Path | None = None,
    sample: Any = None,
    tokenizer: Path | None = None,
) -> AuditResult:
    """Audit ``inputs`` into ``out_dir``: run every annotator in tag mode, then write the report.

    ``sample`` (a :class:`curator.estimates.SampleSpec`) runs the expensive detectors on a seeded
    uniform sample; ``tokenizer`` (a tokenizer.json) counts tokens over every record. Both happen in
    one more read of the annotated records (:mod:`curator.audit_corpus`), before the report."""
    from curator.pipeline import run_recipe

    if not inputs:
        raise CuratorError("audit needs at least one input file")
    plan = plan_audit(skip, settings, sampled_types(sample))
    workers = workers or default_workers()
    data = audit_recipe(inputs, fmt=fmt, columns=columns, license=license, plan=plan, workers=workers)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    recipe = parse_recipe(text, source_name=AUDIT_RECIPE)
    base = (base_dir or Path.cwd()).resolve()
    loaded = LoadedRecipe(
        recipe=recipe,
        path=(out_dir / AUDIT_RECIPE).resolve(),
        base_dir=base,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
    result = run_recipe(
        loaded,
        out_dir,
        workers=workers,
        overwrite=overwrite,
        on_report=on_report,
        on_planned=on_planned,
        report=None,
    )
    from curator.audit_corpus import corpus_pass, sampled_configs
    from curator.report.builder import write_report

    corpus_pass(
        out_dir,
        spec=sample,
        tokenizer=tokenizer,
        detectors=sampled_configs(settings) if sample is not None else None,
        base_dir=base,
    )
    write_report(out_dir, kind="audit")
    recipe_path = out_dir / AUDIT_RECIPE
    header = "# The recipe `curator audit` ran (every stage in tag mode). Edit it and `curator run` it.\n"
    if plan.skipped:
        header += "".join(f"# left out: {t}: {why}\n" for t, why in plan.skipped.items())
    recipe_path.write_text(header + text, encoding="utf-8")
    return AuditResult(out_dir, result.run, plan, recipe_path)


def top_flags(out_dir: Path, limit: int = 12) -> list[str]:
    """Lines for the terminal: the most frequent flags, by stage and reason, from report.json."""
    import orjson

    try:
        document = orjson.loads(RunFolder(out_dir).report_json.read_bytes())
    except (OSError, ValueError):
        return []
    for section in document.get("sections", []):
        if section.get("key") != "waterfall":
            continue
        for table in section.get("tables", []):
            if table["title"].startswith("Flagged"):
                rows = sorted(table["rows"], key=lambda row: -row[2])[:limit]
                width = max(len(f"{row[0]}:{row[1]}") for row in rows) if rows else 0
                return ["flags (records kept with a reason in quality_flags):"] + [
                    f"  {f'{row[0]}:{row[1]}':<{width}}  {row[2]:>9,}  {row[3]:>6}%" for row in rows
                ]
    return []
