"""What to train and evaluate on: mixtures of a run, any data file, the uncurated baseline, eval sets.

``DATA`` for ``curator train`` and ``validate-mixtures`` can be

* a **run folder** (it has ``manifest.json``): its ``mixtures/<name>/`` folders, or, when the run
  wrote no mixtures, its cleaned output ``data/`` as one mixture named ``curated``;
* a **mixture folder** or any folder of data files (read recursively; cards and metadata skipped);
* a **file or glob** in any supported format (records written by curator, or alpaca, sharegpt,
  messages, … detected from the field names as ``curator run`` does).

The **baseline** of a run is its inputs adapted to records with no stage applied, read again from
the files named in its manifest. Rows that are not records (``rejected.jsonl``) cannot be trained
on, so they are in neither the baseline nor any mixture.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from curator.errors import CuratorError
from curator.formats import describe_validation_error
from curator.ingest import Rejected, ResolvedFile, location, read_file, resolve_file
from curator.io import check_readable, display_path, expand_paths, iter_rows
from curator.io.paths import input_format, is_datasets_dir
from curator.records import InstructionRecord
from curator.run import RunFolder
from curator.validation import EvalSetConfig

RECORD_FIELDS = frozenset({"id", "messages", "provenance"})
# Files in run and mixture folders that describe data rather than hold it.
METADATA_FILES = RunFolder.METADATA_FILES | frozenset(
    {
        "card.json",
        "mixtures.json",
        "stats.json",
        "summary.json",
        "metrics.json",
        "scorecard.json",
        "dataset_info.json",
    }
)
SKIPPED_FOLDERS = RunFolder.NON_DATA_FOLDERS | frozenset({"validation", "report", "model", "generations"})
MAX_PROBLEMS = 20


@dataclass(slots=True)
class RecordSet:
    """Records read from one mixture, eval set or baseline, and how reading went.

    A *streamed* set (``reader`` given) holds no records: :meth:`iter_records` reads its files again
    on every pass, and ``rows``, ``skipped``, ``problems`` and ``count`` describe the last pass.
    Training sets are streamed, so memory does not grow with them; eval sets are loaded.
    """

    name: str
    records: list[InstructionRecord]
    origin: str
    rows: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reader: Callable[[RecordSet], Iterator[InstructionRecord]] | None = None
    count: int = 0  # records of the last full pass (streamed sets)

    @property
    def streamed(self) -> bool:
        return self.reader is not None

    def iter_records(self) -> Iterator[InstructionRecord]:
        """Every record: the loaded ones, or the files read again (streamed sets)."""
        if self.reader is None:
            yield from self.records
            return
        self.rows = self.skipped = 0
        self.problems = []
        count = 0
        for record in self.reader(self):
            count += 1
            yield record
        self.count = count

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "origin": self.origin,
            "rows": self.rows,
            "records": self.count if self.streamed else len(self.records),
            "rows_not_records": self.skipped,
            "problems": self.problems[:5],
            "notes": self.notes,
        }


def data_files(folder: Path) -> list[Path]:
    """Readable data files under ``folder`` (recursive, sorted), skipping cards, metadata and removed/."""
    if is_datasets_dir(folder):
        return [folder]
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        root_path = Path(root)
        keep = []
        for name in sorted(dirs):
            if name in SKIPPED_FOLDERS or name.startswith("."):
                continue
            if is_datasets_dir(root_path / name):
                found.append(root_path / name)
            else:
                keep.append(name)
        dirs[:] = keep
        for name in files:
            path = root_path / name
            if name in METADATA_FILES or name.startswith(".") or input_format(path) is None:
                continue
            found.append(path)
    return sorted(found, key=lambda p: p.parts)


def discover(data: str | Path, base_dir: Path | None = None) -> list[tuple[str, list[Path]]]:
    """The mixtures ``data`` names: [(name, files)] (see the module docstring)."""
    base_dir = base_dir or Path.cwd()
    path = Path(os.path.expanduser(str(data)))
    path = path if path.is_absolute() else base_dir / path
    if path.is_dir() and not is_datasets_dir(path):
        run = RunFolder(path)
        if run.is_finished() or run.mixtures_dir.is_dir():
            mixtures_dir = run.mixtures_dir
            if mixtures_dir.is_dir():
                found = [
                    (child.name, data_files(child))
                    for child in sorted(mixtures_dir.iterdir())
                    if child.is_dir() and not child.name.startswith((".", "_"))
                ]
                if found:
                    return found
            if run.data_dir.is_dir():
                return [("curated", data_files(run.data_dir))]
            raise CuratorError(f"{path}: a run folder without mixtures/ or data/ to train on")
        return [(path.name, data_files(path))]
    files = expand_paths(str(data), base_dir)
    stem = files[0].name.split(".")[0] if len(files) == 1 else Path(str(data)).parent.name or "data"
    return [(stem, files)]


def read_records(
    name: str,
    files: Iterable[Path],
    *,
    fmt: str = "auto",
    columns: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    stream: bool = False,
) -> RecordSet:
    """Every record in ``files``: curator record rows as they are, other formats adapted.

    ``stream``: return a streamed set (read on each :meth:`RecordSet.iter_records`, never held).
    """
    files = list(files)
    columns = dict(columns or {})
    base_dir = base_dir or Path.cwd()
    result = RecordSet(name, [], ", ".join(display_path(f, base_dir) for f in files[:3]))
    if len(files) > 3:
        result.origin += f", … ({len(files)} files)"
    for path in files:
        check_readable(path)

    def reader(target: RecordSet) -> Iterator[InstructionRecord]:
        return _records(target, files, fmt, columns, base_dir)

    if stream:
        result.reader = reader
    else:
        result.records = list(reader(result))
    return result


def _records(
    result: RecordSet, files: list[Path], fmt: str, columns: dict[str, str], base_dir: Path
) -> Iterator[InstructionRecord]:
    for path in files:
        display = display_path(path, base_dir)
        first = _first_row(path, display)
        if first is None:
            if f"{display} has no rows" not in result.notes:
                result.notes.append(f"{display} has no rows")
            continue
        if first.keys() >= RECORD_FIELDS and not columns and fmt == "auto":
            yield from _read_record_rows(path, display, result)
            continue
        file = resolve_file(path, display, fmt, columns)
        for _, outcome in read_file(file, columns, {"source": result.name}):
            result.rows += 1
            if isinstance(outcome, InstructionRecord):
                yield outcome
            else:
                _problem(result, f"{outcome.where}: {outcome.reason}: {outcome.error}")


def _add(result: RecordSet, outcome: InstructionRecord | Rejected) -> None:
    result.rows += 1
    if isinstance(outcome, InstructionRecord):
        result.records.append(outcome)
    else:
        _problem(result, f"{outcome.where}: {outcome.reason}: {outcome.error}")


def _first_row(path: Path, display: str) -> dict[str, Any] | None:
    """The first readable row; None when the file has none (empty, or nothing but broken lines)."""
    for raw in iter_rows(path, display):
        if raw.data is not None:
            return raw.data
    return None


def _read_record_rows(path: Path, display: str, result: RecordSet) -> Iterator[InstructionRecord]:
    for raw in iter_rows(path, display):
        result.rows += 1
        data = raw.data
        if data is None:
            _problem(result, f"{location(raw)}: unreadable_row: {raw.error}")
            continue
        for key in ("annotations", "meta"):  # Parquet output keeps these two as JSON text
            if isinstance(data.get(key), str):
                data = {**data, key: orjson.loads(data[key])}
        if isinstance(data.get("messages"), list):  # Parquet gives every message a name (None)
            data = {**data, "messages": [_drop_none_name(m) for m in data["messages"]]}
        try:
            record = InstructionRecord.model_validate(data)
        except ValidationError as exc:
            _problem(result, f"{location(raw)}: invalid_record: {describe_validation_error(exc)}")
            continue
        yield record


def _drop_none_name(message: Any) -> Any:
    if isinstance(message, dict) and "name" in message and message["name"] is None:
        return {k: v for k, v in message.items() if k != "name"}
    return message


def _problem(result: RecordSet, text: str) -> None:
    result.skipped += 1
    if len(result.problems) < MAX_PROBLEMS:
        result.problems.append(text)


def load_mixtures(
    data: str | Path, names: list[str] | None = None, base_dir: Path | None = None, stream: bool = False
) -> list[RecordSet]:
    """Read the mixtures ``data`` names (optionally only ``names``); an empty one is an error.

    ``stream``: streamed sets (see :class:`RecordSet`); only the rows up to the first record are
    read here, to find out whether a mixture is empty.
    """
    found = discover(data, base_dir)
    if names is not None:
        known = {name for name, _ in found}
        missing = [n for n in names if n not in known]
        if missing:
            raise CuratorError(
                f"{data}: no mixture named {', '.join(map(repr, missing))}; it has {', '.join(sorted(known))}"
            )
        found = [(name, files) for name, files in found if name in names]
    sets = []
    for name, files in found:
        if not files:
            raise CuratorError(f"mixture {name!r} ({data}) has no data files to train on")
        records = read_records(name, files, base_dir=base_dir, stream=stream)
        if not _has_records(records):
            why = f"; first problem: {records.problems[0]}" if records.problems else ""
            raise CuratorError(f"mixture {name!r} ({records.origin}) is empty: no records to train on{why}")
        sets.append(records)
    return sets


def _has_records(records: RecordSet) -> bool:
    if not records.streamed:
        return bool(records.records)
    stream = records.iter_records()
    try:
        return next(stream, None) is not None
    finally:
        stream.close()


def load_eval_sets(configs: list[EvalSetConfig], base_dir: Path) -> list[RecordSet]:
    sets: list[RecordSet] = []
    for config in configs:
        files = expand_paths(config.path, base_dir)
        if len(files) == 1 and files[0].is_dir() and not is_datasets_dir(files[0]):
            files = data_files(files[0])
        name = config.name or files[0].name.split(".")[0]
        if name in {s.name for s in sets}:
            raise CuratorError(f"two eval sets are named {name!r}; give them a `name`")
        records = read_records(name, files, fmt=config.format, columns=config.columns, base_dir=base_dir)
        if not records.records:
            raise CuratorError(f"eval set {name!r} ({config.path}) has no records to evaluate on")
        sets.append(records)
    return sets


def load_baseline(run_dir: Path) -> RecordSet:
    """The run's inputs as records with no stage applied (read again from the manifest's input files)."""
    from curator.recipe import SourceConfig

    folder = RunFolder(run_dir)
    manifest = folder.read_manifest()
    base_dir = manifest.recipe.base_dir
    sources = {s["name"]: SourceConfig.model_validate(s) for s in manifest.recipe.source_configs()}
    result = RecordSet("baseline", [], f"inputs of {manifest.recipe.path}, no stages")
    for item in manifest.inputs:
        display = item.file
        path = Path(display) if os.path.isabs(display) else base_dir / display
        if not path.exists():
            raise CuratorError(
                f"the baseline re-reads the run's inputs, but {path} is gone; "
                f"restore it or pass --no-baseline"
            )
        source = sources.get(item.source)
        if source is None:
            where = folder.manifest_path
            raise CuratorError(f"{where}: input {display} names unknown source {item.source!r}")
        file = ResolvedFile(path, display, item.format)
        for _, outcome in read_file(file, source.columns, source.provenance()):
            _add(result, outcome)
    if result.skipped:
        result.notes.append(
            f"{result.skipped} input rows are not records (see rejected.jsonl) and cannot be trained on, so "
            f"the baseline has {len(result.records)} of {result.rows} input rows"
        )
    if not result.records:
        raise CuratorError(f"the baseline of {run_dir} is empty: none of its input rows is a record")
    return result
