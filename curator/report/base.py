"""The contract between stages and the report: a section streams over a run's records and
returns structured results (summary numbers, tables, charts, examples); it never writes HTML.

The report builder reads a run folder once (kept records in data/, removed records in
removed/<stage>.jsonl) and feeds every record with its outcome to every section.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from curator.records import InstructionRecord

_STRICT = ConfigDict(extra="forbid")


class Outcome(BaseModel):
    """What happened to a record in the run."""

    model_config = _STRICT

    fate: Literal["kept", "removed"]
    stage: str | None = None  # the stage that removed it
    reason: str | None = None
    detail: dict[str, Any] | None = None


class Table(BaseModel):
    model_config = _STRICT

    title: str
    columns: list[str]
    rows: list[list[str | int | float | None]]


class Chart(BaseModel):
    """A bar chart (categories) or a histogram (``labels`` are bin edges as text)."""

    model_config = _STRICT

    title: str
    kind: Literal["bar", "histogram"] = "bar"
    labels: list[str]
    values: list[float]
    x_label: str = ""
    y_label: str = "records"


class Example(BaseModel):
    """One record shown in a report. ``text`` must already be PII-redacted (see example_text)."""

    model_config = _STRICT

    title: str
    record_id: str
    text: str
    note: str = ""


class SectionResult(BaseModel):
    model_config = _STRICT

    key: str
    title: str
    summary: dict[str, int | float | str | None] = Field(default_factory=dict)
    tables: list[Table] = Field(default_factory=list)
    charts: list[Chart] = Field(default_factory=list)
    examples: list[Example] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class ReportSection(ABC):
    """Accumulates statistics over a run's records; one instance per report."""

    key: ClassVar[str]
    title: ClassVar[str]

    def __init__(self, manifest: dict[str, Any]) -> None:
        self.manifest = manifest

    @abstractmethod
    def add(self, record: InstructionRecord, outcome: Outcome) -> None: ...

    @abstractmethod
    def result(self) -> SectionResult: ...


def example_text(record: InstructionRecord, max_chars: int = 400) -> str:
    """The record's turns as 'role: text', shortened, for showing in a report.

    Every example a report shows goes through here, so this is the one place that keeps raw
    PII out of reports.
    """
    text = "\n".join(f"{m.role}: {m.content}" for m in record.messages)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"
