"""One way to read records: expand paths → detect the format → read rows → adapt → records.

Sources (through the engines), the decontaminate stage's eval sets (read by the pipeline and
handed to the stage), ``curator validate``/``convert`` and training all read files through here:

* :func:`resolve_files` expands a :class:`~curator.formats.spec.DataFiles` (``path`` + ``format`` +
  ``columns``) into readable files with their formats, detecting ``auto`` from the field names;
* :func:`adapt_rows` turns rows into records, or :class:`Rejected` with the reason and the error
  (each paired with its row, for callers that report where it was);
* :func:`read_records` does both for every file of a spec.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curator.errors import CuratorError, InputError
from curator.formats import Format, get_format
from curator.formats.spec import DataFiles
from curator.ingest.rows import adapt_row, detect_file_format, location, rejection
from curator.io import RawRow, check_readable, display_path, expand_paths, iter_rows
from curator.io.remote import remote_name
from curator.licensing.spdx import with_row_license
from curator.records import InstructionRecord

# How a file is named in provenance and messages, from its path and the folder paths resolve against.
Display = Callable[[Path, Path], str]


def relative_display(path: Path, base_dir: Path) -> str:
    """Relative to the base folder, even when that needs ``..`` (what a run's provenance records);
    the URL for a file fetched from remote storage (so record ids do not depend on the cache)."""
    return remote_name(path) or os.path.relpath(path, base_dir)


@dataclass(frozen=True, slots=True)
class ResolvedFile:
    path: Path
    display: str
    format: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row that is no record: the row as read, a reason code and the precise error."""

    raw: RawRow
    reason: str
    error: str

    @property
    def where(self) -> str:
        return location(self.raw)

    def entry(self, source: str) -> dict[str, Any]:
        """The rejected.jsonl entry."""
        return rejection(source, self.raw, self.reason, self.error)


def resolve_files(
    spec: DataFiles, base_dir: Path, *, display: Display = display_path, label: str | None = None
) -> list[ResolvedFile]:
    """Every file of ``spec`` (checked readable) with its format; ``auto`` is detected from the
    field names of the first rows. ``label`` (e.g. ``source 'alpaca'``) prefixes the message of a
    path that names nothing or a format that cannot be detected."""

    def labelled(exc: CuratorError) -> CuratorError:
        return exc if label is None else InputError(f"{label}: {exc}")

    paths: list[Path] = []
    for pattern in spec.paths:
        try:
            paths.extend(expand_paths(pattern, base_dir, spec.storage_options))
        except InputError as exc:
            raise labelled(exc) from None
    resolved = []
    for path in paths:
        check_readable(path)
        try:
            resolved.append(resolve_file(path, display(path, base_dir), spec.format, spec.columns))
        except CuratorError as exc:
            raise labelled(exc) from None
    return resolved


def resolve_file(path: Path, display: str, fmt: str, columns: Mapping[str, str]) -> ResolvedFile:
    """One file with its format: ``fmt``, or for ``auto`` the one the first rows' field names show."""
    return ResolvedFile(path, display, detect_file_format(path, display, columns) if fmt == "auto" else fmt)


def adapt_rows(
    rows: Iterable[RawRow],
    fmt: Format | str,
    columns: Mapping[str, str],
    provenance: dict[str, Any],
    *,
    license_column: str | None = None,
) -> Iterator[tuple[RawRow, InstructionRecord | Rejected]]:
    """Each row with its record, or with :class:`Rejected`. ``provenance``: the source-level fields."""
    adapter = get_format(fmt) if isinstance(fmt, str) else fmt
    for raw in rows:
        base = provenance
        if license_column is not None:  # the row's own licence field overrides the source's
            base = with_row_license(provenance, raw.data, license_column)
        outcome = adapt_row(raw, adapter, columns, base)
        yield raw, outcome if isinstance(outcome, InstructionRecord) else Rejected(raw, *outcome)


def read_file(
    file: ResolvedFile, columns: Mapping[str, str], provenance: dict[str, Any], **options: Any
) -> Iterator[tuple[RawRow, InstructionRecord | Rejected]]:
    """Every row of one resolved file, adapted (``file`` is added to ``provenance``)."""
    rows = iter_rows(file.path, file.display)
    yield from adapt_rows(rows, file.format, columns, {**provenance, "file": file.display}, **options)


def read_records(
    spec: DataFiles,
    base_dir: Path,
    *,
    provenance: dict[str, Any] | None = None,
    display: Display = display_path,
) -> Iterator[tuple[RawRow, InstructionRecord | Rejected]]:
    """Every row of every file of ``spec`` with its record or rejection, in file and row order.

    Files are resolved (and checked) before the first row is read, so a missing file is an error
    before anything is yielded. ``provenance`` defaults to ``{"source": spec.name}``.
    """
    base = provenance if provenance is not None else {"source": spec.name or ""}
    for file in resolve_files(spec, base_dir, display=display):
        yield from read_file(file, spec.columns, base)
