"""Build a run's report: read the run folder once, feed every registered section, write
``report.json`` and a self-contained ``report.html``.

Records are read from the files the manifest lists (``outputs.data`` then ``outputs.removed``),
in that order, each with its :class:`~curator.report.base.Outcome`; ``rejected.jsonl`` entries go
to sections that implement ``add_rejected`` (without the raw row, which may hold anything). A
section that raises is reported as failed in both files (``errors``) and the others still run:
a report must not lose a finished run.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

import curator
from curator.io import write_bytes_atomic
from curator.records import InstructionRecord
from curator.removed import removed_detail
from curator.report.base import AUDIT_EXAMPLES, Outcome, ReportSection, SectionResult
from curator.report.registry import section_classes
from curator.run import Manifest, RunFolder

REPORT_VERSION = 1
ReportKind = Literal["run", "audit"]
_KEPT = Outcome(fate="kept")


@dataclass(slots=True)
class Report:
    """What a report holds; ``to_json`` is the report.json document."""

    kind: ReportKind
    title: str
    run_dir: str
    manifest: Manifest
    sections: list[SectionResult]
    errors: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    records: int = 0

    def to_json(self) -> dict[str, Any]:
        manifest = self.manifest
        # Key-sorted like manifest.json, so the report is the same whether the manifest was read back.
        sorted_json = manifest.to_json()
        return {
            "report_version": REPORT_VERSION,
            "kind": self.kind,
            "title": self.title,
            "curator_version": curator.__version__,
            "run": {
                "recipe": manifest.recipe.name,
                "recipe_sha256": manifest.recipe.sha256,
                "seed": manifest.seed,
                "counts": sorted_json["counts"],
                "conservation": sorted_json["conservation"],
                "stages": [
                    {"name": stage.name, "type": stage.type, "action": stage.action}
                    for stage in manifest.stages
                ],
            },
            "sections": [section.model_dump(mode="json") for section in self.sections],
            "errors": self.errors,
            # No timings: the same run must give a byte-identical report (the manifest has the timings).
            "records_read": self.records,
        }


def iter_run_records(run_dir: Path, manifest: Manifest) -> Iterator[tuple[InstructionRecord, Outcome]]:
    """Every record of a finished run with what happened to it: kept records, then removed ones."""
    folder = RunFolder(run_dir)
    for record in folder.iter_kept(manifest):
        yield record, _KEPT
    for entry in folder.iter_removed(manifest):
        outcome = Outcome(
            fate="removed", stage=entry.get("stage"), reason=entry.get("reason"), detail=removed_detail(entry)
        )
        yield InstructionRecord.model_validate(entry["record"]), outcome


def iter_rejected(run_dir: Path, manifest: Manifest) -> Iterator[dict[str, Any]]:
    """rejected.jsonl entries without ``raw`` (a rejected row may hold anything, PII included)."""
    return RunFolder(run_dir).iter_rejected(manifest, raw=False)


def default_title(kind: ReportKind, manifest: Manifest) -> str:
    if kind == "audit":
        sources = sorted({item.source for item in manifest.inputs})
        shown = ", ".join(sources[:3]) + (f" and {len(sources) - 3} more" if len(sources) > 3 else "")
        return f"Audit of {shown}"
    return f"Run report: {manifest.recipe.name or 'curation'}"


def build_report(
    run_dir: Path,
    *,
    kind: ReportKind = "run",
    title: str | None = None,
    manifest: Manifest | None = None,
    sections: list[type[ReportSection]] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Report:
    """Read the run folder once and compute every section (writes nothing)."""
    token = AUDIT_EXAMPLES.set(kind == "audit")
    try:
        return _build(run_dir, kind, title, manifest, sections, on_progress)
    finally:
        AUDIT_EXAMPLES.reset(token)


def _build(
    run_dir: Path,
    kind: ReportKind,
    title: str | None,
    manifest: Manifest | None,
    sections: list[type[ReportSection]] | None,
    on_progress: Callable[[int], None] | None,
) -> Report:
    started = time.perf_counter()
    manifest = manifest if manifest is not None else RunFolder(run_dir).read_manifest()
    errors: list[dict[str, str]] = []
    live: list[ReportSection] = []
    for cls in sections if sections is not None else section_classes():
        try:
            live.append(cls(manifest))
            live[-1].run_dir = run_dir
        except Exception as exc:
            errors.append(_error(cls, "init", exc))
    failed: set[int] = set()
    count = 0
    for record, outcome in iter_run_records(run_dir, manifest):
        count += 1
        for index, section in enumerate(live):
            if index in failed:
                continue
            try:
                section.add(record, outcome)
            except Exception as exc:
                failed.add(index)
                errors.append(_error(type(section), "add", exc))
        if on_progress is not None and count % 1000 == 0:
            on_progress(1000)
    if on_progress is not None:
        on_progress(count % 1000)
    for entry in iter_rejected(run_dir, manifest):
        for index, section in enumerate(live):
            if index in failed:
                continue
            try:
                section.add_rejected(entry)
            except Exception as exc:
                failed.add(index)
                errors.append(_error(type(section), "add_rejected", exc))
    results: list[SectionResult] = []
    for index, section in enumerate(live):
        if index in failed:
            continue
        try:
            results.append(section.result())
        except Exception as exc:
            errors.append(_error(type(section), "result", exc))
    return Report(
        kind=kind,
        title=title or default_title(kind, manifest),
        run_dir=str(run_dir),
        manifest=manifest,
        sections=results,
        errors=errors,
        seconds=time.perf_counter() - started,
        records=count,
    )


def _error(cls: type, phase: str, exc: BaseException) -> dict[str, str]:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    return {
        "section": getattr(cls, "key", cls.__name__),
        "phase": phase,
        "error": f"{type(exc).__name__}: {exc}",
        "where": f"{where.filename}:{where.lineno}" if where else "",
    }


def write_report(
    run_dir: Path,
    *,
    kind: ReportKind = "run",
    title: str | None = None,
    manifest: Manifest | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Report:
    """Build the report of a finished run and write report.json and report.html into its folder."""
    from curator.report.html import render_html

    report = build_report(run_dir, kind=kind, title=title, manifest=manifest, on_progress=on_progress)
    document = report.to_json()
    folder = RunFolder(run_dir)
    write_bytes_atomic(folder.report_json, orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    write_bytes_atomic(folder.report_html, render_html(document).encode("utf-8"))
    return report
