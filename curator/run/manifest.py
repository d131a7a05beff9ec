"""The run manifest as a typed model: what went in, what each stage did, what came out, where it went.

``manifest.json`` is this model, dumped with sorted keys (:meth:`Manifest.to_json_bytes`); every
reader of a run loads it through :class:`curator.run.RunFolder`, so no module reads the manifest as
an untyped dict. ``schemas/manifest.schema.json`` is generated from it (``curator schema``).

Reading is lenient — every field has a default, so a partial manifest (an older run, a test's
hand-made one) still loads — while the generated schema, which describes what curator *writes*,
marks every field required except the few that are absent when they do not apply (written only
when set: a source's card, its licence verdict when a licence policy ran, ...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field


def _absent_when_none(default: Any = None) -> Any:
    """A field that manifest.json leaves out (rather than writing null) when it does not apply."""
    return Field(default, exclude_if=lambda value: value is None)


class _Part(BaseModel):
    # Serialization-mode schema: fields with defaults are still required in what curator writes.
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class _OpenPart(_Part):
    """A part whose owner may add keys (mixture summaries, licence conflicts, timings)."""

    model_config = ConfigDict(extra="allow", json_schema_serialization_defaults_required=True)


class RecipeInfo(_Part):
    name: str = ""
    path: str = ""  # the recipe file as given to the run; its folder resolves relative input paths
    sha256: str = ""
    resolved: dict[str, Any] = Field(default_factory=dict)  # the validated recipe, as JSON

    @property
    def base_dir(self) -> Path:
        return Path(self.path).parent

    def stage_configs(self, stage_type: str | None = None) -> list[dict[str, Any]]:
        """The resolved stage configs (as JSON), optionally only those of one type."""
        stages = self.resolved.get("stages") or []
        return [s for s in stages if stage_type is None or s.get("type") == stage_type]

    def source_configs(self) -> list[dict[str, Any]]:
        return list(self.resolved.get("sources") or [])

    def validation(self) -> dict[str, Any]:
        return self.resolved.get("validation") or {}


class InputEntry(_Part):
    source: str
    file: str  # relative to the recipe's folder (or absolute)
    format: str
    sha256: str
    bytes: int
    rows: int
    blank_lines_skipped: int = 0


class Counts(_Part):
    input_rows: int = 0
    kept: int = 0
    removed: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = Field(default_factory=dict)


class StageEntry(_Part):
    name: str
    type: str
    action: Any = None  # a stage's action: usually a string, per-role/per-check for some stages
    records_in: int = 0
    kept: int = 0
    removed: int = 0
    tagged: int = 0
    removed_by_reason: dict[str, int] = Field(default_factory=dict)


class Conservation(_Part):
    input_rows: int = 0
    kept_plus_removed_plus_rejected: int = 0
    holds: bool = True


class OutputFile(_Part):
    path: str  # relative to the run folder
    records: int
    sha256: str


class Outputs(_Part):
    data: list[OutputFile] = Field(default_factory=list)
    removed: list[OutputFile] = Field(default_factory=list)
    rejected: list[OutputFile] = Field(default_factory=list)


class RunInfo(_Part):
    engine: str = "local"
    workers: int = 1
    batch_size: int = 0
    shards: int = 0
    # Shard-passes taken from an interrupted earlier run of the same fingerprint (0: fresh run).
    resumed_shard_passes: int = 0
    # Global stages whose reduce ran hash-partitioned from files (in the workers, or one part at a
    # time in a one-process local run), not over every row in the driver.
    reduced_in_workers: list[str] = Field(default_factory=list)


class Timings(_OpenPart):
    total_seconds: float = 0.0
    engine_seconds: float = 0.0
    adapt_seconds: float = 0.0
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    provenance_seconds: float | None = _absent_when_none()


class SourceFate(_Part):
    """One source's rows: read → rejected / removed by stage and reason / kept → in which mixtures."""

    rows: int = 0
    rejected: int = 0
    removed: dict[str, dict[str, int]] = Field(default_factory=dict)  # stage → reason → records
    kept: int = 0
    flagged: dict[str, int] = Field(default_factory=dict)  # "stage:flag" → kept records
    modified: int = 0
    removed_total: int = 0
    accounted: bool = True
    mixtures: dict[str, int] = Field(default_factory=dict)


class Conflict(_OpenPart):
    level: str
    code: str
    message: str
    sources: list[str] = Field(default_factory=list)


class LicenceComponent(_OpenPart):
    license: str | None = None
    records: int = 0
    sources: dict[str, int] = Field(default_factory=dict)


class LicenceSummary(_OpenPart):
    """The licence of a set of records (kept records, a mixture): expression, obligations, restrictions."""

    expression: str | None = None
    license: str | None = None
    hub_license: list[str] | str | None = None
    components: list[LicenceComponent] = Field(default_factory=list)
    obligations: list[str] = Field(default_factory=list)
    restrictions: list[str] = Field(default_factory=list)
    conflicts: list[Conflict] | None = _absent_when_none()  # a mixture's; the run's are in Licences


class LicencePolicy(_Part):
    stage: str
    intended_use: str | None = None
    rules: dict[str, str] = Field(default_factory=dict)
    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)


class SourceLicence(_Part):
    license: str | None = None
    license_column: str | None = None
    generated_by: str | None = None
    model_terms: dict[str, Any] | None = None
    card: dict[str, Any] | None = _absent_when_none()  # what the dataset card beside the inputs says
    # Only when the recipe has a licence stage:
    removed_by_policy: dict[str, int] | None = _absent_when_none()
    flagged_by_policy: dict[str, int] | None = _absent_when_none()
    verdict: str | None = _absent_when_none()


class Licences(_Part):
    policy: LicencePolicy | None = None
    sources: dict[str, SourceLicence] = Field(default_factory=dict)
    kept: LicenceSummary = Field(default_factory=LicenceSummary)
    modifying_stages: list[str] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)


class MixtureFile(_OpenPart):
    path: str  # relative to the mixture's folder
    records: int = 0
    sha256: str = ""
    bytes: int = 0


class MixtureSummary(_OpenPart):
    """One mixture as built (also written as its folder's ``mixture.json``)."""

    path: str  # relative to the run folder
    records: int = 0
    unique_records: int = 0
    tokens: int = 0
    sources: dict[str, dict[str, int]] = Field(default_factory=dict)
    licence: LicenceSummary = Field(default_factory=LicenceSummary)
    files: list[MixtureFile] = Field(default_factory=list)


class Manifest(_Part):
    """``manifest.json``: written last, so a folder that has one holds a finished run."""

    curator_version: str = ""
    recipe: RecipeInfo = Field(default_factory=RecipeInfo)
    seed: int = 0
    packages: dict[str, str | None] = Field(default_factory=dict)
    inputs: list[InputEntry] = Field(default_factory=list)
    counts: Counts = Field(default_factory=Counts)
    stages: list[StageEntry] = Field(default_factory=list)
    conservation: Conservation = Field(default_factory=Conservation)
    outputs: Outputs = Field(default_factory=Outputs)
    run: RunInfo = Field(default_factory=RunInfo)
    timings: Timings = Field(default_factory=Timings)
    sources: dict[str, SourceFate] = Field(default_factory=dict)
    licences: Licences = Field(default_factory=Licences)
    mixtures: dict[str, MixtureSummary] = Field(default_factory=dict)

    @classmethod
    def coerce(cls, value: Manifest | dict[str, Any]) -> Manifest:
        """A Manifest from itself or from its JSON form (e.g. a test's partial dict)."""
        return value if isinstance(value, Manifest) else cls.model_validate(value)

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to manifest.json (keys sorted, as in the file)."""
        return orjson.loads(self.to_json_bytes())

    def to_json_bytes(self) -> bytes:
        """Pretty, key-sorted JSON with a trailing newline: the same manifest gives the same bytes."""
        data = self.model_dump(mode="json")
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"

    def stage_types(self) -> dict[str, str]:
        """Stage name → type, in run order."""
        return {entry.name: entry.type for entry in self.stages}

    def stages_of(self, *types: str) -> dict[str, StageEntry]:
        """Stage name → entry, for the stages of the given types (run order)."""
        return {entry.name: entry for entry in self.stages if entry.type in types}

    def input_of(self, source: str, file: str | None) -> InputEntry | None:
        return next((i for i in self.inputs if i.source == source and i.file == file), None)

