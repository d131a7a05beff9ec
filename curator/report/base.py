"""The contract between stages and the report: a section streams over a run's records and
returns structured results (summary numbers, tables, charts, examples); it never writes HTML.

The report builder reads a run folder once (kept records in data/, removed records in
removed/<stage>.jsonl) and feeds every record with its outcome to every section.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextvars import ContextVar
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from curator.records import InstructionRecord
from curator.run import Manifest

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


class Series(BaseModel):
    """One segment of a stacked chart: a name and one value per label."""

    model_config = _STRICT

    name: str
    values: list[float]


class Marker(BaseModel):
    """A labelled vertical line on a histogram, e.g. a threshold; ``at`` is in bins (0: left edge)."""

    model_config = _STRICT

    at: float
    label: str


class Chart(BaseModel):
    """A bar chart (categories), a histogram (``labels`` are the bins as text), a waterfall
    (``values[0]`` is the starting total and each later value the (negative) change at its step;
    the renderer adds the final total as a last bar), or a stacked bar per label (``series`` are
    the segments, ``values`` the totals; drawn as shares of each total)."""

    model_config = _STRICT

    title: str
    kind: Literal["bar", "histogram", "waterfall", "stacked"] = "bar"
    labels: list[str]
    values: list[float]
    x_label: str = ""
    y_label: str = "records"
    series: list[Series] = Field(default_factory=list, description="Segments of a stacked chart.")
    markers: list[Marker] = Field(default_factory=list, description="Threshold lines (histograms).")


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


# What a section is built from: the typed manifest, or its JSON form (coerced).
ManifestLike = Manifest | dict[str, Any]


class ReportSection(ABC):
    """Accumulates statistics over a run's records; one instance per report."""

    key: ClassVar[str]
    title: ClassVar[str]
    #: The run folder, for sections that read a file the run wrote besides records (set by the builder).
    run_dir: Path | None = None

    def __init__(self, manifest: ManifestLike) -> None:
        self.manifest = Manifest.coerce(manifest)

    @abstractmethod
    def add(self, record: InstructionRecord, outcome: Outcome) -> None: ...

    def add_rejected(self, entry: dict[str, Any]) -> None:  # noqa: B027 (optional hook)
        """One rejected.jsonl entry (a row that is no record), without its ``raw`` field."""

    @abstractmethod
    def result(self) -> SectionResult: ...


# Set while an audit's report is built (builder.build_report): an audit shows examples of records
# no NLP pii stage read (with --sample its pii runs on the sample only), so their names must go
# through the names model too. A context variable, so every section's examples obey it.
AUDIT_EXAMPLES: ContextVar[bool] = ContextVar("audit_examples", default=False)


def example_text(record: InstructionRecord, max_chars: int = 400) -> str:
    """The record's turns as 'role: text', PII-redacted and shortened, for showing in a report.

    Every example a report shows goes through here, so this is the one place that keeps raw
    PII out of reports. The spans a ``pii`` stage annotated are replaced by typed placeholders
    (``<PERSON>``, ``<EMAIL>``…); then a model-free scan (``curator.pii.scan``) redacts whatever
    structured PII is left (e-mails, phones, cards, SSNs, IBANs, IPs, addresses, secrets in URLs),
    which also covers records of runs without a ``pii`` stage. Redaction happens before
    shortening, so a cut never leaves half a value. Names need the NLP model: a record that a
    pii stage read in pattern mode, or any record no pii stage read in an audit's report
    (:data:`AUDIT_EXAMPLES`), goes through the names model; in a run without a ``pii`` stage
    names stay (add one, ``action: tag`` at least, to keep them out of reports too).
    """
    spans: dict[int, list[tuple[int, int, str]]] = {}
    for finding in record.annotations.pii:
        spans.setdefault(finding.message, []).append((finding.start, finding.end, finding.type))
    # A pii stage in pattern mode (as `curator audit` runs it without --sample) did not look for
    # names: look now; in an audit, also when no pii stage read the record (--sample, --skip pii).
    marker = record.annotations.extra.get("pii")
    mode = marker.get("mode") if isinstance(marker, dict) else None
    names = mode == "patterns" or (mode is None and AUDIT_EXAMPLES.get())
    text = "\n".join(
        f"{m.role}: {_shown_head(m.content, spans.get(i, ()), names, max_chars)}"
        for i, m in enumerate(record.messages)
    )
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


# Longer than any value the scanners or the names model redact (e-mails are at most 254
# characters): a value cut at the redaction window's end lies wholly within this margin.
_REDACT_MARGIN = 500
# The names pass decides whether a text is English from its first 2,000 characters
# (curator.pii.engine.looks_english): the window holds at least those, so it decides the same.
_NAMES_SAMPLE = 2000


def _shown_head(content: str, spans, names: bool, keep: int) -> str:
    """The redacted ``content``, of which at least the first ``keep`` characters are exact.

    A web document is tens of kilobytes and the report shows 400 characters of it: redacting it
    all (the names model above all) was most of a corpus report's cost. So only the first
    ``keep`` + 2 × :data:`_REDACT_MARGIN` characters (at least :data:`_NAMES_SAMPLE`) are
    redacted, and that is used when nothing was redacted in their last margin and what is shown
    ends before it: then every value that reaches into what is shown ends inside the window,
    whole (placeholders may shorten the window by up to one margin). Otherwise (placeholders
    shortened it more, or a value sits at its end) the whole text is redacted as before.
    """
    limit = max(keep + 2 * _REDACT_MARGIN, _NAMES_SAMPLE)
    if len(content) <= limit:
        return _shown(content, spans, names)
    head = content[:limit]
    clipped = [(start, min(end, limit), kind) for start, end, kind in spans if start < limit]
    shown = _shown(head, clipped, names)
    if len(shown) - _REDACT_MARGIN >= keep and shown.endswith(head[-_REDACT_MARGIN:]):
        return shown
    return _shown(content, spans, names)


def _shown(content: str, spans, names: bool) -> str:
    from curator.pii.display import redact_names
    from curator.pii.scan import redact_for_display

    text = redact_for_display(content, spans)
    return redact_names(text) if names else text
