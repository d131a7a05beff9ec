"""The stage contract: what a stage is, and everything the pipeline or an engine may ask of it.

A stage is a Pydantic config (:class:`StageConfig`: validated, exported as JSON Schema) plus a
:class:`Stage` built from it. Every hook the pipeline or an engine calls is declared here with a
default, so a stage overrides only what it needs and nobody has to ask "does this stage have…?":

on the config (the pipeline calls these before and after a run, without building the stage)
  ``resolve_paths``   resolve the stage's own file paths against the recipe's folder
  ``input_files``     the files the stage needs (eval sets): the pipeline checks and reads them
  ``bind_sources``    learn the recipe's sources (the licence stage: each source's model terms)
  ``modifies_text``   whether the stage may change text (licence checks of NoDerivatives data)
  ``replaces_pii``    whether it replaces PII found in a role's turns (same checks, per role)
  ``licence_policy`` the licence policy (intended use, rules) the stage enforces, if any

on the stage (the engine calls these in each worker)
  ``resources``       loads a model? wants a GPU? memory beyond its batches?
  ``setup(context)``  once per worker before the first batch; ``context`` holds what the pipeline
                      read for it (the records of its ``input_files``): a stage never opens files
  ``teardown``        once per worker after the last batch
  ``scrubs_outputs``, ``scrub_removed``, ``scrub_rejected``: keep removed records and rejected
                      rows free of what the stage hides (the PII stage); default: unchanged
  ``audit``, ``audit_reason``, ``audit_options``: how ``curator audit`` runs the stage

Record stages judge each record alone: ``check(record)`` (or ``judge(batch)`` for batched work)
returns keep (None) or what it found: a reason code, a :class:`Reason` (code, detail, action) or
a :class:`Verdict` (several reasons, a changed record). The base class applies the actions
(``drop`` → removed/<stage>.jsonl, ``tag`` → ``<stage>:<reason>`` in quality_flags, ``keep`` →
nothing), counts removed and tagged records, and never loses one. Global stages (dedup) need every
record once, so they run as map → reduce → map: ``signatures`` per batch (parallel), ``reduce``
over all signatures (one process, compact arrays), then ``apply`` per batch, which returns the
same verdicts through :meth:`Stage.settle`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from curator.config_types import SafeName
from curator.formats.spec import DataFiles
from curator.records import InstructionRecord

if TYPE_CHECKING:
    from curator.dedup.partitioned import PartitionedReduce

Action = Literal["drop", "tag"]
ReasonAction = Literal["drop", "tag", "keep"]
# Values of an action option (top level, per role or per check) that change a record's text.
TEXT_CHANGING_ACTIONS = ("redact", "pseudonymise", "fix")


def sets_text_changing_action(config: BaseModel) -> bool:
    """Whether any option of ``config``, at any depth, is a text-changing action (redact, fix, …)."""

    def values(value: Any) -> Any:
        if isinstance(value, dict):
            for item in value.values():
                yield from values(item)
        elif isinstance(value, list):
            for item in value:
                yield from values(item)
        else:
            yield value

    return any(v in TEXT_CHANGING_ACTIONS for v in values(config.model_dump()))


@dataclass(frozen=True, slots=True)
class StageInput:
    """Files a stage needs besides the records (decontamination's eval sets), declared by its
    config. The pipeline checks them before the run and reads them for the stage's ``setup``."""

    name: str  # how errors, reports and provenance.source name it
    files: DataFiles  # path (files, folders, globs or URLs, relative to base_dir), format, columns
    base_dir: Path
    what: str = "input"  # what errors call it: "eval set"

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(self.files.paths)


@dataclass(slots=True)
class InputRecords:
    """One StageInput as the pipeline read it."""

    records: list[InstructionRecord] = field(default_factory=list)
    skipped: int = 0  # rows that were not valid records


@dataclass(slots=True)
class SetupContext:
    """What the pipeline hands a stage at setup: the records of each of its ``input_files``, in
    the same order."""

    inputs: list[InputRecords] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Resources:
    """What a stage asks of the worker it runs in (engines may place or size workers by it)."""

    loads_model: bool = False  # setup loads a model (seconds, and memory per worker)
    wants_gpu: bool = False  # runs faster with a GPU, if the engine has one
    memory_mb: int = 0  # rough memory per worker beyond the batches, 0: negligible


class StageConfig(BaseModel):
    """Fields every stage config has. Subclasses narrow ``type`` to a Literal."""

    model_config = ConfigDict(extra="forbid")

    type: str
    name: SafeName | None = Field(default=None, description="Unique name in the recipe (default: the type).")
    action: Action = Field(
        default="drop",
        description="drop: move failing records to removed/<stage>.jsonl; tag: keep them and flag them.",
    )

    @property
    def stage_name(self) -> str:
        return self.name or self.type

    def resolve_paths(self, base_dir: Path) -> StageConfig:
        """This config with its input files (eval sets, word lists) resolved against the recipe's
        folder; the pipeline calls it before a run. Stages without files: itself."""
        return self

    def input_files(self) -> list[StageInput]:
        """Files the pipeline must read for this stage (after ``resolve_paths``). Default: none."""
        return []

    def bind_sources(self, sources: Iterable[Any]) -> None:
        """Called with the recipe's sources whenever they are validated or filled from dataset
        cards. Default: the stage does not need them."""

    def modifies_text(self) -> bool:
        """Whether this stage may change a kept record's text. Default: some action option of the
        config is redact, pseudonymise or fix."""
        return sets_text_changing_action(self)

    def replaces_pii(self, role: str) -> bool:
        """Whether PII found in ``role``'s turns is replaced in the text. Default: no."""
        return False

    def licence_policy(self) -> dict[str, Any] | None:
        """The licence policy this stage enforces, for the manifest (``intended_use``: commercial or
        research, ``rules``, ``allow``, ``deny``); None: not a licence policy. The run's licence
        summary and its mixtures follow the first stage that has one."""
        return None


@dataclass(slots=True)
class Removal:
    """A record a stage took out, with a short machine-readable reason."""

    record: InstructionRecord
    reason: str
    detail: dict[str, Any] | None = None


@dataclass(slots=True)
class StageResult:
    kept: list[InstructionRecord] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    tagged: int = 0


@dataclass(frozen=True, slots=True)
class Reason:
    """One thing a stage found in a record: a reason code, optional detail (written with a
    removal), and what to do about it (None: the stage's configured ``action``)."""

    code: str
    detail: dict[str, Any] | None = None
    action: ReasonAction | None = None


@dataclass(slots=True)
class Verdict:
    """A stage's judgement of one record.

    ``reasons`` are applied in order: a ``tag`` adds a flag, a ``keep`` nothing, and the first
    ``drop`` removes the record (with the flags of the tags before it) and ends the list.
    ``record`` replaces the input record (a changed copy); ``modified`` says the stage changed the
    record's text (a kept record is then counted as tagged, even without a flag).
    """

    reasons: list[Reason] = field(default_factory=list)
    record: InstructionRecord | None = None
    modified: bool = False


# What a record stage may return per record: keep (None), a reason code (the stage's action), a
# Reason, or a Verdict.
Judgement = Verdict | Reason | str | None

C = TypeVar("C", bound=StageConfig)


class Stage(ABC, Generic[C]):
    """Base of all stages: the hooks an engine calls, with their defaults."""

    kind: ClassVar[Literal["record", "global"]]
    config_model: ClassVar[type[StageConfig]]
    # curator audit: False leaves the stage out (with audit_reason); audit_options are the options
    # it runs with there (before --set), e.g. the PII stage's fast pattern-only mode.
    audit: ClassVar[bool] = True
    audit_reason: ClassVar[str] = "left out of audits by the stage"
    audit_options: ClassVar[dict[str, Any] | None] = None
    # True: the engine passes every removed record and rejected row through scrub_removed /
    # scrub_rejected before writing them (the first such stage of a recipe does it).
    scrubs_outputs: ClassVar[bool] = False
    # True: an engine that forks its workers may first run this (record) stage on a few rows in its
    # main process, results dropped, so that what the stage loads on first use (language models) is
    # loaded once and shared by the forked workers instead of once in each. Only for stages whose
    # process() does nothing beyond its result.
    warm_before_fork: ClassVar[bool] = False

    def __init__(self, config: C) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.stage_name

    def resources(self) -> Resources:
        """What this stage needs from a worker. Default: nothing special."""
        return Resources()

    def setup(self, context: SetupContext | None = None) -> None:
        """Load models or build tables; called once in each worker before the first batch, with the
        records the pipeline read for the config's ``input_files``. Stages that need no files may
        also set up lazily on their first batch, so a library caller can skip this call."""

    def teardown(self) -> None:
        """Release what ``setup`` loaded; called once in each worker after its last batch."""

    def scrub_removed(self, records: list[InstructionRecord]) -> list[InstructionRecord]:
        """Removed records (of any stage) as they may be written. Default: unchanged."""
        return records

    def scrub_rejected(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rejected rows as they may be written. Default: unchanged."""
        return entries

    # -- applying judgements --------------------------------------------------------------------
    def settle(self, batch: Sequence[InstructionRecord], judgements: Iterable[Judgement]) -> StageResult:
        """Keep, tag or remove each record of ``batch`` by its judgement (one per record, in order)."""
        result = StageResult()
        for record, judgement in zip(batch, judgements, strict=True):
            self._settle_one(result, record, judgement)
        return result

    def _settle_one(self, result: StageResult, record: InstructionRecord, judgement: Judgement) -> None:
        if judgement is None:
            result.kept.append(record)
            return
        if isinstance(judgement, str):
            verdict = Verdict([Reason(judgement)])
        elif isinstance(judgement, Reason):
            verdict = Verdict([judgement])
        else:
            verdict = judgement
        if verdict.record is not None:
            record = verdict.record
        flags: list[str] = []
        for reason in verdict.reasons:
            action = reason.action or self.config.action
            if action == "drop":
                record.annotations.quality_flags.extend(flags)
                result.removed.append(Removal(record, reason.code, reason.detail))
                return
            if action == "tag":
                flags.append(f"{self.name}:{reason.code}")
            elif action != "keep":
                raise ValueError(f"stage {self.name!r}: reason {reason.code!r} has no action {action!r}")
        record.annotations.quality_flags.extend(flags)
        result.kept.append(record)
        if flags or verdict.modified:
            result.tagged += 1


class RecordStage(Stage[C]):
    """A stage that decides each record on its own: define ``check`` (one record) or ``judge``
    (a whole batch at once, e.g. one model call); ``process`` applies the judgements."""

    kind = "record"

    def process(self, batch: list[InstructionRecord]) -> StageResult:
        return self.settle(batch, self.judge(batch))

    def judge(self, batch: list[InstructionRecord]) -> Iterable[Judgement]:
        """One judgement per record of ``batch``, in order. Default: ``check`` on each."""
        return [self.check(record) for record in batch]

    def check(self, record: InstructionRecord) -> Judgement:
        """Keep (None) or what was found in ``record``; it may annotate the record."""
        raise NotImplementedError(f"{type(self).__name__} defines neither check() nor judge()")


class GlobalStage(Stage[C]):
    """A stage whose decisions depend on all records (map → reduce → map)."""

    kind = "global"

    @abstractmethod
    def signatures(self, batch: list[InstructionRecord]) -> Any:
        """Map: compact per-record keys for one batch (numpy arrays, not Python objects)."""

    @abstractmethod
    def reduce(self, signatures: Sequence[Any]) -> list[Any]:
        """Reduce: from every batch's signatures (in input order), one decisions object per batch."""

    def partitioned_reduce(self) -> PartitionedReduce | None:
        """The same reduce cut into hash-partitioned tasks over per-shard signature files
        (:mod:`curator.dedup.partitioned`), for engines that run the reduce in their workers;
        its decisions must equal ``reduce``'s. Default: None, the reduce runs in one process."""
        return None

    @abstractmethod
    def apply(self, batch: list[InstructionRecord], decisions: Any) -> StageResult:
        """Map: keep, tag or remove each record of the batch by its decisions (via ``settle``)."""
