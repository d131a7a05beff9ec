"""Run and audit reports: sections accumulate statistics over a run's records (see base.py)."""

from __future__ import annotations

from curator.report.base import (
    Chart,
    Example,
    Outcome,
    ReportSection,
    SectionResult,
    Series,
    Table,
    example_text,
)

__all__ = ["Chart", "Example", "Outcome", "ReportSection", "SectionResult", "Series", "Table", "example_text"]
