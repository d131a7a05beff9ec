"""What a run shows while it works, and the summary table after.

On a terminal: a rich bar per stage with rows done / total, rows/s and an ETA. Otherwise (cron,
Airflow, ``| tee``): a log line per stage every few seconds through ``logging`` (text or JSON,
see ``curator.logs``). Progress is counted in *input rows*: every stage sees every shard once, so
a stage is done when the rows of all shards have passed it, whatever it removed on the way.
Totals come from ``curator.io.counting`` in a background thread (the run does not wait for them).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from curator.engines.accounting import ShardReport
from curator.ingest import InputFile
from curator.io.counting import estimate_rows
from curator.recipe import Recipe
from curator.run import Manifest, RunFolder

log = logging.getLogger(__name__)
ProgressMode = Literal["auto", "bars", "log", "off"]
READ = "read"


class RateColumn(ProgressColumn):
    """Rows per second, from rich's moving average."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "", style="progress.data.speed")


@dataclass
class StageCounter:
    done: int = 0  # input rows whose shard has passed this stage
    records_in: int = 0  # records the stage saw (fewer than rows: earlier stages removed some)
    started: float | None = None
    finished: float | None = None
    logged: int = -1
    pass_index: int = 0  # a global stage works in two passes (signatures, then apply): count the latest


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds + 0.5)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class RunProgress:
    """Follows a run through the engine's callbacks (``on_planned``, ``on_report``)."""

    def __init__(
        self,
        recipe: Recipe,
        enabled: bool = True,
        mode: ProgressMode = "auto",
        interval: float = 5.0,
        count_totals: bool = True,
    ) -> None:
        if not enabled:
            mode = "off"
        elif mode == "auto":
            mode = "bars" if sys.stderr.isatty() else "log"
        self.mode = mode
        self.interval = interval
        self.count_totals = count_totals
        self.total: int | None = None
        self.files = 0
        self.shard_rows: dict[int, int] = {}
        self.counters: dict[str, StageCounter] = {READ: StageCounter()}
        self.counters.update({s.stage_name: StageCounter() for s in recipe.stages})
        self.pass_started: dict[int, float] = {}
        self.last_report = self.started = time.monotonic()
        self.last_log = self.started
        self._lock = threading.Lock()
        self.progress = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=mode != "bars",
        )
        self.tasks = {name: self.progress.add_task(name, total=None) for name in self.counters}

    # -- engine callbacks --------------------------------------------------------------------------
    def on_planned(self, inputs: list[InputFile]) -> None:
        self.files = len(inputs)
        self.progress.update(self.tasks[READ], description=f"read ({len(inputs)} files)")
        if self.mode == "log":
            log.info("run: %d input files", len(inputs), extra={"event": "planned", "files": len(inputs)})
        if self.count_totals and self.mode != "off":
            threading.Thread(target=self._count, args=(inputs,), daemon=True, name="curator-count").start()

    def on_report(self, pass_index: int, report: ShardReport) -> None:
        now = time.monotonic()
        with self._lock:
            if pass_index not in self.pass_started:
                self.pass_started[pass_index] = self.last_report if pass_index else self.started
            if pass_index == 0:
                self.shard_rows[report.shard] = report.rows
                self._advance(READ, report.rows, report.rows, self.started, now, 0)
            rows = self.shard_rows.get(report.shard, 0)
            for name, stats in report.stages.items():
                self._advance(name, rows, stats.records_in, self.pass_started[pass_index], now, pass_index)
            self.last_report = now
        if self.mode == "log" and now - self.last_log >= self.interval:
            self.last_log = now
            self.log_lines(now)

    # -- internals ---------------------------------------------------------------------------------
    def _count(self, inputs: list[InputFile]) -> None:
        counts = [estimate_rows(item.path) for item in inputs]
        if any(c is None for c in counts):
            return  # a total that leaves out some files would give a wrong ETA; show none instead
        with self._lock:
            self.total = sum(c for c in counts if c is not None)
            for name, task in self.tasks.items():
                self.progress.update(task, total=max(self.total, self.counters[name].done))

    def _advance(
        self, name: str, rows: int, records: int, started: float, now: float, pass_index: int
    ) -> None:
        counter = self.counters[name]
        if pass_index > counter.pass_index:  # the stage's second pass over every shard starts over
            counter.pass_index, counter.done, counter.started = pass_index, 0, None
            self.progress.reset(self.tasks[name], total=self.progress.tasks[self.tasks[name]].total)
        counter.started = started if counter.started is None else counter.started
        counter.done += rows
        counter.records_in += records
        counter.finished = now
        self.progress.advance(self.tasks[name], rows)

    def rate(self, counter: StageCounter) -> float | None:
        if counter.started is None or counter.finished is None or counter.finished <= counter.started:
            return None
        return counter.done / (counter.finished - counter.started)

    def log_lines(self, now: float | None = None) -> None:
        """One line per stage that moved since its last line: rows done, rows/s, ETA when known."""
        with self._lock:
            for name, counter in self.counters.items():
                if counter.done == counter.logged or counter.started is None:
                    continue
                counter.logged = counter.done
                rate = self.rate(counter)
                total = self.total
                eta = (max(total - counter.done, 0) / rate) if total is not None and rate else None
                done = f"{counter.done:,}/{total:,}" if total is not None else f"{counter.done:,}"
                log.info(
                    "%s: %s rows, %s rows/s, eta %s",
                    name,
                    done,
                    f"{rate:,.0f}" if rate else "?",
                    format_eta(eta),
                    extra={
                        "event": "progress",
                        "stage": name,
                        "pass": counter.pass_index,
                        "rows_done": counter.done,
                        "rows_total": total,
                        "records_in": counter.records_in,
                        "rows_per_s": round(rate, 1) if rate else None,
                        "eta_s": round(eta, 1) if eta is not None else None,
                    },
                )

    def __enter__(self) -> RunProgress:
        self.progress.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.progress.__exit__(kind, value, traceback)
        if self.mode == "log" and kind is None:
            self.total = self.counters[READ].done  # now known exactly (counts of text files estimate)
            self.log_lines()  # the final counts of every stage


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
        tokenizer = (mixture.model_extra or {}).get("tokenizer", "whitespace")
        unit = "whitespace words" if tokenizer == "whitespace" else "tokens"  # the fallback says so
        lines.append(
            f"mixture {name}: {mixture.records:,} records, {mixture.tokens:,} {unit}, {terms}"
            + (f", {errors} licence error(s)" if errors else "")
            + f" → {mixture.path}/"
        )
    return lines
