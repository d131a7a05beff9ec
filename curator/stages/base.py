"""What every stage is: a Pydantic config plus pure functions over batches of records.

A stage never opens files and never knows which engine runs it. Record stages map a batch to
kept + removed records. Global stages (dedup) need to see every record once, so they run as
map → reduce → map: ``signatures`` per batch (parallel), ``reduce`` over all signatures (one
process, compact arrays), then ``apply`` the decisions per batch (parallel).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from curator.config_types import SafeName
from curator.records import InstructionRecord

Action = Literal["drop", "tag"]


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
        folder and checked; the pipeline calls it before a run. Stages without files: itself."""
        return self


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


C = TypeVar("C", bound=StageConfig)


class Stage(ABC, Generic[C]):
    """Base of all stages. ``setup`` loads heavy resources once per worker process."""

    kind: ClassVar[Literal["record", "global"]]
    config_model: ClassVar[type[StageConfig]]

    def __init__(self, config: C) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.stage_name

    def setup(self) -> None:
        """Load models or build tables; called once in each process before the first batch."""

    def route(self, result: StageResult, record: InstructionRecord, reason: str | None, detail=None) -> None:
        """Keep, tag or remove ``record`` according to the stage's action."""
        if reason is None:
            result.kept.append(record)
        elif self.config.action == "tag":
            record.annotations.quality_flags.append(f"{self.name}:{reason}")
            result.kept.append(record)
            result.tagged += 1
        else:
            result.removed.append(Removal(record, reason, detail))


class RecordStage(Stage[C]):
    """A stage that decides each record on its own."""

    kind = "record"

    @abstractmethod
    def process(self, batch: list[InstructionRecord]) -> StageResult: ...


class GlobalStage(Stage[C]):
    """A stage whose decisions depend on all records (map → reduce → map)."""

    kind = "global"

    @abstractmethod
    def signatures(self, batch: list[InstructionRecord]) -> Any:
        """Map: compact per-record keys for one batch (numpy arrays, not Python objects)."""

    @abstractmethod
    def reduce(self, signatures: Sequence[Any]) -> list[Any]:
        """Reduce: from every batch's signatures (in input order), one decisions object per batch."""

    @abstractmethod
    def apply(self, batch: list[InstructionRecord], decisions: Any) -> StageResult:
        """Map: keep, tag or remove each record of the batch by its decisions."""
