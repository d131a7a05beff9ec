"""What names a set of input files: ``name``, ``path``, ``format`` and ``columns``.

Recipe sources, the decontaminate stage's eval sets and training's eval sets all read files the
same way, so they share this model (and :func:`curator.ingest.read_records` reads any of them).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from curator.formats.registry import FORMAT_NAMES

# The wire formats a recipe may name: every adapter, or "auto" (detected from the field names).
InputFormat = Literal[("auto", *FORMAT_NAMES)]  # type: ignore[valid-type]
INPUT_FORMATS: tuple[str, ...] = ("auto", *FORMAT_NAMES)


class DataFiles(BaseModel):
    """Files of rows in one wire format, read and adapted to records the same way wherever named."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="Name shown in reports; default: the file name.")
    path: str | list[str] = Field(
        description="File, folder or glob (relative to the recipe's folder), or a list; any input format."
    )
    format: InputFormat = Field(  # type: ignore[valid-type]
        default="auto", description="Wire format; 'auto' detects it from the field names."
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="Rename fields before adapting: {source_field: canonical_field}"
    )
    storage_options: dict[str, Any] | None = Field(
        default=None,
        exclude=True,  # may hold credentials: never written to the manifest or a resolved recipe
        repr=False,
        description="fsspec options for a remote path (s3://, gs://, az://, hf://, https://), e.g. "
        "{client_kwargs: {endpoint_url: ...}}; default: the recipe's storage_options, then the standard "
        "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL, ...).",
    )

    @property
    def paths(self) -> list[str]:
        return [self.path] if isinstance(self.path, str) else list(self.path)
