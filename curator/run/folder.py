"""The run folder: one type owns its layout, so no other module spells a run's file names.

Layout::

    data/part-00000.jsonl      kept records (InstructionRecord JSON), or .parquet
    removed/<stage>.jsonl      {stage, reason, detail, record} for every removed record
    rejected.jsonl             {source, file, row, line, reason, error, raw} for each row that is no record
    mixtures/<name>/           each mixture's data files, README.md, ATTRIBUTION, mixture.json
    manifest.json              the typed :class:`~curator.run.manifest.Manifest`; written last
    report.json, report.html   the report (read from the files above)
    _work/                     per-shard intermediate files; removed when the run completes

A folder with ``manifest.json`` holds a finished run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from curator.errors import CuratorError
from curator.io import open_binary_reader, write_bytes_atomic
from curator.records import InstructionRecord
from curator.run.lock import LOCK_FILE
from curator.run.manifest import Manifest
from curator.run.work import WorkDir


class RunFolder:
    """Paths of a run folder and typed reading of what a finished run wrote there."""

    MANIFEST = "manifest.json"
    DATA = "data"
    REMOVED = "removed"
    REJECTED = "rejected.jsonl"
    MIXTURES = "mixtures"
    MIXTURE_SUMMARY = "mixture.json"  # in each mixture's folder
    MIXTURE_WORK = "_mixwork"  # mixtures' intermediate files while they are written
    WORK = "_work"
    FINGERPRINT = "fingerprint"  # inside _work/: what the interrupted run was computing
    REPORT_JSON = "report.json"
    REPORT_HTML = "report.html"
    # Files and folders of a run that describe data rather than hold records.
    METADATA_FILES = frozenset({MANIFEST, REJECTED, REPORT_JSON, MIXTURE_SUMMARY})
    NON_DATA_FOLDERS = frozenset({REMOVED, WORK})

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"RunFolder({self.root!s})"

    # -- layout ---------------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / self.MANIFEST

    @property
    def data_dir(self) -> Path:
        return self.root / self.DATA

    @property
    def removed_dir(self) -> Path:
        return self.root / self.REMOVED

    def removed_file(self, stage: str) -> Path:
        return self.inside(self.removed_dir / f"{stage}.jsonl")

    @property
    def rejected_path(self) -> Path:
        return self.root / self.REJECTED

    @property
    def mixtures_dir(self) -> Path:
        return self.root / self.MIXTURES

    def mixture_dir(self, name: str) -> Path:
        return self.inside(self.mixtures_dir / name)

    def mixture_work_dir(self, name: str) -> Path:
        return self.root / self.MIXTURE_WORK / name

    @property
    def work_dir(self) -> Path:
        return self.root / self.WORK

    def work(self) -> WorkDir:
        """The names of the per-shard intermediate files under ``_work/``."""
        return WorkDir(self.work_dir)

    @property
    def fingerprint_path(self) -> Path:
        return self.work_dir / self.FINGERPRINT

    @property
    def report_json(self) -> Path:
        return self.root / self.REPORT_JSON

    @property
    def report_html(self) -> Path:
        return self.root / self.REPORT_HTML

    def path(self, relative: str) -> Path:
        """A path the manifest lists (relative to the run folder)."""
        return self.inside(self.root / relative)

    def inside(self, path: Path) -> Path:
        """``path``, after checking it stays inside the run folder (names come from recipes)."""
        root = os.path.abspath(self.root)
        if os.path.commonpath([root, os.path.abspath(path)]) != root:
            raise CuratorError(f"refusing to write {path}: it is outside the run folder {self.root}")
        return path

    # -- making and clearing --------------------------------------------------------------------
    def has_content(self) -> bool:
        """Whether the folder holds anything besides the lock of the run that holds it."""
        return self.root.is_dir() and any(p.name != LOCK_FILE for p in self.root.iterdir())

    def clear(self) -> None:
        """Remove everything but the lock (a run holds it while it clears the folder)."""
        for entry in self.root.iterdir():
            if entry.name == LOCK_FILE:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    def make_work_dir(self) -> Path:
        """``_work/``, private to its owner: it can hold raw rows until the run finishes."""
        self.work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.work_dir, 0o700)
        return self.work_dir

    def clean(self) -> bool:
        """Remove the work files an interrupted run left (they may hold raw, unredacted rows).
        True when there was something to remove."""
        if not self.work_dir.exists():
            return False
        shutil.rmtree(self.work_dir)
        return True

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # -- the manifest ---------------------------------------------------------------------------
    @classmethod
    def is_finished_run(cls, path: Path) -> bool:
        return path.is_dir() and (path / cls.MANIFEST).is_file()

    def is_finished(self) -> bool:
        return self.manifest_path.exists()

    def read_manifest(self) -> Manifest:
        """The finished run's manifest; a CuratorError when there is none or it is not one."""
        path = self.manifest_path
        if not path.is_file():
            raise CuratorError(f"{self.root} is not a finished curator run (no {self.MANIFEST})")
        try:
            data = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise CuratorError(f"cannot read {path}: {exc}") from None
        if not isinstance(data, dict) or "recipe" not in data or "inputs" not in data:
            raise CuratorError(f"{path} is not a curator run manifest")
        try:
            return Manifest.model_validate(data)
        except ValidationError as exc:
            raise CuratorError(f"{path} is not a curator run manifest: {exc.errors()[0]['msg']}") from None

    def write_manifest(self, manifest: Manifest) -> Path:
        write_bytes_atomic(self.manifest_path, manifest.to_json_bytes())
        return self.manifest_path

    # -- records --------------------------------------------------------------------------------
    def iter_kept(self, manifest: Manifest) -> Iterator[InstructionRecord]:
        """Every kept record, from the data files the manifest lists, in order."""
        for item in manifest.outputs.data:
            path = self.path(item.path)
            if path.suffix == ".parquet":
                for row in parquet_rows(path):
                    yield InstructionRecord.model_validate(row)
            else:
                validate = InstructionRecord.model_validate_json
                for line in _lines(path):
                    yield validate(line)

    def iter_removed(self, manifest: Manifest) -> Iterator[dict[str, Any]]:
        """Every removed/ entry ``{stage, reason, detail, record}`` (record as JSON), stage file order."""
        for item in manifest.outputs.removed:
            for line in _lines(self.path(item.path)):
                yield orjson.loads(line)

    def iter_rejected(self, manifest: Manifest, *, raw: bool = True) -> Iterator[dict[str, Any]]:
        """rejected.jsonl entries; ``raw=False`` drops the raw row (it may hold anything, PII included)."""
        for item in manifest.outputs.rejected:
            path = self.path(item.path)
            if not path.exists():
                continue
            for line in _lines(path):
                entry = orjson.loads(line)
                if not raw:
                    entry.pop("raw", None)
                yield entry

    def data_paths(self, manifest: Manifest) -> list[Path]:
        return [self.path(item.path) for item in manifest.outputs.data]


def _lines(path: Path) -> Iterator[bytes]:
    with open_binary_reader(path) as handle:
        for line in handle:
            if line.strip():
                yield line


def parquet_rows(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a curator Parquet output file, with annotations and meta parsed back from JSON text."""
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
        for row in batch.to_pylist():
            for key in ("annotations", "meta"):
                if isinstance(row.get(key), str):
                    row[key] = orjson.loads(row[key])
            yield row
