"""Every report section, in report order. To add one: one import line inside section_classes()."""

from __future__ import annotations

from curator.report.base import ReportSection


def section_classes() -> list[type[ReportSection]]:
    # Imported here, not at module level, so a stage's heavy dependencies load only for reports.
    from curator.report.corpus import CorpusSection, DocQualitySection, EstimatesSection
    from curator.report.duplicates import ContaminationSection, DuplicatesSection
    from curator.report.language import LanguageSection
    from curator.report.lengths import LengthsSection
    from curator.report.licences import LicenceSection
    from curator.report.overview import OverviewSection, RejectsSection, WaterfallSection
    from curator.report.pii import PIISection
    from curator.report.quality import QualitySection
    from curator.report.scores import ScoresSection
    from curator.report.sources import SourcesSection

    sections: list[type[ReportSection]] = [OverviewSection, CorpusSection, EstimatesSection]
    sections += [WaterfallSection, QualitySection, DocQualitySection]
    sections += [SourcesSection, LengthsSection, RejectsSection]
    sections.append(LicenceSection)
    sections += [DuplicatesSection, ContaminationSection]
    sections.append(LanguageSection)
    sections.append(PIISection)
    sections.append(ScoresSection)
    return sections
