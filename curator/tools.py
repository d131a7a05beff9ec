"""Library side of `curator validate` and `curator convert`: one pass over files, problems listed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from curator.errors import ConversionError, CuratorError
from curator.formats import FORMAT_NAMES, Format, get_format
from curator.formats.spec import DataFiles
from curator.ingest import location, read_file, resolve_files
from curator.io import JsonlWriter, atomic_path
from curator.records import InstructionRecord


@dataclass(slots=True)
class Summary:
    rows: int = 0
    valid: int = 0
    problems: list[str] = field(default_factory=list)


def _records(
    inputs: list[Path], fmt: str, columns: dict[str, str], summary: Summary
) -> Iterator[tuple[str, InstructionRecord]]:
    """Yield (location, record) for good rows; add 'file:line: reason' to summary.problems for bad ones."""
    spec = DataFiles(path=[str(p) for p in inputs], format=fmt, columns=columns)
    for file in resolve_files(spec, Path.cwd(), display=lambda path, _base: str(path)):
        for raw, outcome in read_file(file, columns, {"source": file.path.name}):
            summary.rows += 1
            if isinstance(outcome, InstructionRecord):
                yield location(raw), outcome
            else:
                summary.problems.append(f"{outcome.where}: {outcome.reason}: {outcome.error}")


def validate_files(inputs: list[Path], fmt: str, columns: dict[str, str]) -> Summary:
    summary = Summary()
    for _ in _records(inputs, fmt, columns, summary):
        summary.valid += 1
    return summary


def convert_files(
    inputs: list[Path], target: str, out_file: Path, fmt: str, columns: dict[str, str], flatten: str
) -> Summary:
    if target != "record" and target not in FORMAT_NAMES:
        raise CuratorError(
            f"unknown target format {target!r}; expected record or one of {', '.join(FORMAT_NAMES)}"
        )
    writer_format = get_format(target) if target != "record" else None
    check_output_name(out_file)
    summary = Summary()
    suffixes = out_file.suffixes
    out_file.parent.mkdir(parents=True, exist_ok=True)
    if suffixes and suffixes[-1] == ".parquet":
        rows = []  # Parquet needs a schema; collect first (convert is for modest files)
        for where, record in _records(inputs, fmt, columns, summary):
            row = _convert(where, record, writer_format, flatten, summary)
            if row is not None:
                rows.append(row)
        _write_parquet(out_file, rows)
    else:
        with JsonlWriter(out_file) as out:
            for where, record in _records(inputs, fmt, columns, summary):
                row = _convert(where, record, writer_format, flatten, summary)
                if row is not None:
                    out.write_line(orjson.dumps(row))
    return summary


_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")


def check_output_name(out_file: Path) -> None:
    """convert writes JSON Lines (optionally .gz/.zst) or Parquet; any other name would mislead a reader."""
    suffixes = [s.lower() for s in out_file.suffixes]
    if suffixes[-1:] in ([".gz"], [".zst"]):
        suffixes = suffixes[:-1]
    if suffixes[-1:] == [".parquet"] and out_file.suffix.lower() == ".parquet":
        return
    if suffixes[-1:] and suffixes[-1] in _JSONL_SUFFIXES:
        return
    got = "".join(out_file.suffixes) or "no extension"
    raise CuratorError(
        f"--out {out_file}: convert writes JSON Lines (.jsonl, optionally .gz or .zst) or Parquet "
        f"(.parquet), not {got}"
    )


def _convert(where: str, record: InstructionRecord, target: Format | None, flatten: str, summary: Summary):
    if target is None:
        summary.valid += 1
        return record.model_dump(mode="json")
    try:
        row = target.from_record(record, flatten=flatten)
    except ConversionError as exc:
        summary.problems.append(f"{where}: cannot convert: {exc}")
        return None
    summary.valid += 1
    return row


def _write_parquet(out_file: Path, rows: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with atomic_path(out_file) as temporary:
        pq.write_table(pa.Table.from_pylist(rows), temporary, compression="zstd")
