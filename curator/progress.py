"""Terminal output of a run: a rich progress bar per stage while it runs, a summary table after."""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from curator.engines.accounting import ShardReport
from curator.ingest import InputFile
from curator.recipe import Recipe
from curator.run import Manifest, RunFolder


class RunProgress:
    """Counts rows read and records seen by each stage. Off when stderr is not a terminal."""

    def __init__(self, recipe: Recipe, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.progress = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not self.enabled,
        )
        self.read_task = self.progress.add_task("read", total=None)
        self.stage_tasks = {
            s.stage_name: self.progress.add_task(s.stage_name, total=None) for s in recipe.stages
        }

    def on_planned(self, inputs: list[InputFile]) -> None:
        self.progress.update(self.read_task, description=f"read ({len(inputs)} files)")

    def on_report(self, pass_index: int, report: ShardReport) -> None:
        if pass_index == 0:
            self.progress.advance(self.read_task, report.rows)
        for name, stats in report.stages.items():
            self.progress.advance(self.stage_tasks[name], stats.records_in)

    def __enter__(self) -> RunProgress:
        self.progress.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.progress.__exit__(kind, value, traceback)


def print_summary(manifest: Manifest, out_dir: Path, command: str = "curator run") -> None:
    console = Console()
    counts = manifest.counts
    table = Table(title=f"{command} → {out_dir}", title_justify="left")
    for column in ("stage", "in", "kept", "removed", "tagged", "top reasons"):
        table.add_column(column, justify="left" if column in ("stage", "top reasons") else "right")
    table.add_row(
        "read",
        f"{counts.input_rows:,}",
        f"{counts.input_rows - counts.rejected:,}",
        "",
        "",
        f"rejected {counts.rejected:,}",
    )
    for stage in manifest.stages:
        reasons = sorted(stage.removed_by_reason.items(), key=lambda item: -item[1])[:3]
        table.add_row(
            stage.name,
            f"{stage.records_in:,}",
            f"{stage.kept:,}",
            f"{stage.removed:,}",
            f"{stage.tagged:,}",
            ", ".join(f"{reason} {n:,}" for reason, n in reasons),
        )
    console.print(table)
    resumed = manifest.run.resumed_shard_passes
    if resumed:
        console.print(f"resumed an interrupted run: {resumed:,} shard-passes were already complete")
    verdict = "[green]holds[/green]" if manifest.conservation.holds else "[red]FAILS[/red]"
    console.print(
        f"input {counts.input_rows:,} = kept {counts.kept:,} + removed {counts.removed:,} "
        f"+ rejected {counts.rejected:,}: {verdict}"
    )
    report = RunFolder(out_dir).report_html
    if report.exists():
        console.print(f"report: {report} (numbers in report.json)")


def summary_lines(manifest: Manifest) -> list[str]:
    """Licence conflicts and mixtures of a finished run, for the end of `curator run`."""
    lines = []
    for c in manifest.licences.conflicts:
        lines.append(f"licence {c.level}: {c.code}: {c.message}")
    for name, mixture in manifest.mixtures.items():
        licence = mixture.licence
        terms = licence.license or f"no single licence ({licence.expression or 'unknown'})"
        errors = sum(c.level == "error" for c in licence.conflicts or [])
        lines.append(
            f"mixture {name}: {mixture.records:,} records, {mixture.tokens:,} tokens, {terms}"
            + (f", {errors} licence error(s)" if errors else "")
            + f" → {mixture.path}/"
        )
    return lines
