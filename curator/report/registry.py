"""Every report section, in report order. To add one: one import line inside section_classes()."""

from __future__ import annotations

from curator.report.base import ReportSection


def section_classes() -> list[type[ReportSection]]:
    # Imported here, not at module level, so a stage's heavy dependencies load only for reports.
    sections: list[type[ReportSection]] = []
    return sections
