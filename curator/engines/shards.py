"""What happens to one shard in one pass: adapt rows, run stages, write the shard's work files.

A shard is up to ``batch_size`` consecutive rows of one input file. The stages of a recipe are
cut into *passes* at each global stage: pass 0 adapts the raw rows and runs the record stages
up to the first global stage, then computes that stage's signatures and spills the shard's
records; pass k applies global stage k-1's decisions and runs the next record stages. Any
engine can drive these functions; they only touch the run's work folder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curator.dedup.partitioned import StoredDecisions
from curator.engines.accounting import ShardReport, StageStats, account
from curator.ingest import InputFile, adapt_rows
from curator.io import JsonlWriter, RawRow
from curator.io.jsonl import dumps_line
from curator.recipe import Recipe
from curator.records import InstructionRecord
from curator.run.work import WorkDir
from curator.stage_inputs import setup_context
from curator.stages import GlobalStage, RecordStage, Stage, StageResult, build_stage


@dataclass(frozen=True, slots=True)
class Pass:
    record_stages: tuple[int, ...]  # indexes into the recipe's stages
    global_stage: int | None  # the global stage whose signatures end this pass


def plan_passes(stages: list[Stage]) -> list[Pass]:
    passes, current = [], []
    for index, stage in enumerate(stages):
        if isinstance(stage, GlobalStage):
            passes.append(Pass(tuple(current), index))
            current = []
        else:
            current.append(index)
    passes.append(Pass(tuple(current), None))
    return passes


_SERIALIZER = InstructionRecord.__pydantic_serializer__


def record_line(record: InstructionRecord) -> bytes:
    """Compact JSON straight from pydantic-core (no intermediate dict)."""
    return _SERIALIZER.to_json(record)


class ShardRunner:
    """Runs passes over shards. Built once per process: stages load their resources in ``setup``."""

    def __init__(
        self, recipe: Recipe, inputs: list[InputFile], work_root: Path, spill_signatures: bool = False
    ) -> None:
        self.recipe = recipe
        # True (engines that reduce in workers): a global stage with a partitioned reduce writes
        # its signatures to the work folder instead of sending them back in the report.
        self.spill_signatures = spill_signatures
        self.inputs = inputs
        self.work = WorkDir(work_root)
        self.stages: list[Stage] = [build_stage(config) for config in recipe.stages]
        for stage in self.stages:
            stage.setup(setup_context(stage.config))  # the files it needs, read here for it
        self.passes = plan_passes(self.stages)
        # A stage that scrubs outputs (the pii stage) also redacts removed records and rejected rows.
        self.scrubber = next((s for s in self.stages if s.scrubs_outputs), None)

    def close(self) -> None:
        """Let each stage release what its setup loaded (once, when this process is done)."""
        for stage in self.stages:
            stage.teardown()

    # -- pass 0 -------------------------------------------------------------------------------
    def first_pass(self, shard: int, input_index: int, rows: list[RawRow]) -> ShardReport:
        report = ShardReport(shard=shard, rows=len(rows))
        started = time.perf_counter()
        records = self._adapt(shard, self.inputs[input_index], rows, report)
        report.adapt_seconds = time.perf_counter() - started
        self._run_pass(0, shard, records, report)
        self.work.mark_done(0, report)
        return report

    def _adapt(
        self, shard: int, item: InputFile, rows: list[RawRow], report: ShardReport
    ) -> list[InstructionRecord]:
        source = self.recipe.sources[item.source_index]
        provenance = {**source.provenance(), "file": item.display}
        records: list[InstructionRecord] = []
        entries: list[dict[str, Any]] = []
        with JsonlWriter(self.work.rejected(shard), durable=False) as rejected:
            adapted = adapt_rows(
                rows, item.format, source.columns, provenance, license_column=source.license_column
            )
            for _, outcome in adapted:
                if isinstance(outcome, InstructionRecord):
                    records.append(outcome)
                    continue
                report.rejected += 1
                report.rejected_reasons[outcome.reason] += 1
                entries.append(outcome.entry(source.name))
            if self.scrubber is not None:
                entries = self.scrubber.scrub_rejected(entries)
            for entry in entries:
                rejected.write_line(dumps_line(entry, default=str))
        return records

    def warm_up(self, input_index: int, rows: list[RawRow]) -> None:
        """Run the record stages that ask for it (``warm_before_fork``) on ``rows``, results dropped:
        what they load on first use is then loaded in this process (before an engine forks it)."""
        stages = [s for s in self.stages if isinstance(s, RecordStage) and s.warm_before_fork]
        if not stages or not rows:
            return
        item = self.inputs[input_index]
        source = self.recipe.sources[item.source_index]
        provenance = {**source.provenance(), "file": item.display}
        adapted = adapt_rows(
            rows, item.format, source.columns, provenance, license_column=source.license_column
        )
        records = [outcome for _, outcome in adapted if isinstance(outcome, InstructionRecord)]
        for stage in stages:
            stage.process(records)

    # -- later passes ---------------------------------------------------------------------------
    def later_pass(self, pass_index: int, shard: int, decisions: Any) -> ShardReport:
        spill = self.work.spill(pass_index - 1, shard)
        with spill.open("rb") as handle:
            records = [InstructionRecord.model_validate_json(line) for line in handle]
        report = ShardReport(shard=shard)
        stage_index = self.passes[pass_index - 1].global_stage
        assert stage_index is not None
        stage = self.stages[stage_index]
        assert isinstance(stage, GlobalStage)
        started = time.perf_counter()
        if isinstance(decisions, StoredDecisions):  # written by a reduce that ran in workers
            decisions = decisions.load()
        result = stage.apply(records, decisions)
        self._account(stage, shard, len(records), result, time.perf_counter() - started, report)
        self._run_pass(pass_index, shard, result.kept, report)
        self.work.mark_done(pass_index, report)
        spill.unlink()  # only now: a run killed before the marker redoes the pass from this file
        return report

    # -- shared ----------------------------------------------------------------------------------
    def _run_pass(
        self, pass_index: int, shard: int, records: list[InstructionRecord], report: ShardReport
    ) -> ShardReport:
        plan = self.passes[pass_index]
        for stage_index in plan.record_stages:
            stage = self.stages[stage_index]
            assert isinstance(stage, RecordStage)
            started = time.perf_counter()
            result = stage.process(records)
            self._account(stage, shard, len(records), result, time.perf_counter() - started, report)
            records = result.kept
        if plan.global_stage is not None:
            stage = self.stages[plan.global_stage]
            assert isinstance(stage, GlobalStage)
            started = time.perf_counter()
            signatures = stage.signatures(records)
            partitioned = stage.partitioned_reduce() if self.spill_signatures else None
            if partitioned is not None:
                partitioned.save(signatures, self.work.signatures(pass_index, shard))
            else:
                report.signatures = signatures
            del signatures
            stats = report.stages.setdefault(stage.name, StageStats())
            stats.seconds += time.perf_counter() - started
            target = self.work.spill(pass_index, shard)
        else:
            target = self.work.kept(shard)
        with JsonlWriter(target, durable=False) as out:
            out.write_lines(record_line(r) for r in records)
        report.records_out = len(records)
        return report

    def _account(
        self,
        stage: Stage,
        shard: int,
        records_in: int,
        result: StageResult,
        seconds: float,
        report: ShardReport,
    ) -> None:
        scrub = self.scrubber.scrub_removed if self.scrubber is not None else None
        removed_file = lambda: self.work.removed(stage.name, shard)  # noqa: E731 (created only if needed)
        account(stage.name, records_in, result, seconds, report, removed_file, scrub)
