"""The pool mixtures sample from: a run's kept records in data/, read twice, never all at once.

Pass 1 (:func:`scan_pool`) streams the records and keeps a few integers per record — source,
licence, language, whether it was modified, token counts, and each mixture's group — in numpy
arrays. Pass 2 (:func:`iter_pool`) streams them again so the writer converts only selected ones.
"""

from __future__ import annotations

import fnmatch
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from curator.io import iter_rows, open_binary_reader
from curator.mixtures.config import MixtureConfig
from curator.mixtures.tokens import TokenCounter

_BATCH = 2048


def iter_pool_raw(paths: Sequence[Path]) -> Iterator[bytes | dict[str, Any]]:
    """Kept records in output order: JSONL lines unparsed (bytes), Parquet rows as dicts."""
    for path in paths:
        if path.name.endswith(".parquet"):
            for raw in iter_rows(path, path.name):
                record = raw.data
                if record is None:  # cannot happen for files curator wrote; never silently skip
                    raise ValueError(f"{path}: unreadable kept record at row {raw.row}: {raw.error}")
                for key in ("annotations", "meta"):
                    if isinstance(record.get(key), str):
                        record[key] = orjson.loads(record[key])
                yield record
            continue
        with open_binary_reader(path) as handle:
            for line in handle:
                if line.strip():
                    yield line


def load(item: bytes | dict[str, Any]) -> dict[str, Any]:
    return orjson.loads(item) if isinstance(item, bytes) else item


def iter_pool(paths: Sequence[Path]) -> Iterator[dict[str, Any]]:
    """Kept records as dicts, in output order."""
    for item in iter_pool_raw(paths):
        yield load(item)


def score_value(scores: dict[str, Any] | None, name: str) -> float:
    """The record's score ``name`` as a float; NaN when it has none."""
    value = (scores or {}).get(name)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return math.nan


def _path_value(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def group_of(record: dict[str, Any], by: str) -> str:
    """The record's group for a mixture's ``by``."""
    provenance = record["provenance"]
    annotations = record.get("annotations") or {}
    if by == "source":
        return provenance["source"]
    if by == "license":
        return provenance.get("license") or "unknown"
    if by == "language":
        return annotations.get("language") or "unknown"
    if by == "generated_by":
        return provenance.get("generated_by") or "human"
    if by == "quality":
        return "flagged" if annotations.get("quality_flags") else "clean"
    if by.startswith("flag:"):
        prefix = by[len("flag:") :]
        return "yes" if any(f.startswith(prefix) for f in annotations.get("quality_flags") or ()) else "no"
    value = _path_value(record, by)
    if value is None:
        return "none"
    return value if isinstance(value, str) else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def eligible(record: dict[str, Any], mixture: MixtureConfig) -> bool:
    if mixture.sources is not None and record["provenance"]["source"] not in mixture.sources:
        return False
    if mixture.exclude_flags:
        flags = (record.get("annotations") or {}).get("quality_flags") or ()
        for flag in flags:
            if any(fnmatch.fnmatchcase(flag, pattern) for pattern in mixture.exclude_flags):
                return False
    return True


ROLE_BITS = {"system": 1, "user": 2, "assistant": 4, "tool": 8}


def pii_roles(record: dict[str, Any], annotations: dict[str, Any]) -> int:
    """Bit mask (ROLE_BITS) of the roles of messages that hold PII findings."""
    mask = 0
    messages = record["messages"]
    for finding in annotations.get("pii") or ():
        index = finding.get("message")
        if isinstance(index, int) and 0 <= index < len(messages):
            mask |= ROLE_BITS.get(messages[index]["role"], 0)
    return mask


class Codes:
    """Strings ↔ small integers, in order of first appearance."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[Any, int] = {}

    def code(self, value: Any) -> int:
        index = self._index.get(value)
        if index is None:
            index = self._index[value] = len(self.values)
            self.values.append(value)
        return index


@dataclass(slots=True)
class PoolScan:
    count: int = 0
    sources: Codes = field(default_factory=Codes)
    licenses: Codes = field(default_factory=Codes)
    languages: Codes = field(default_factory=Codes)
    source_code: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    license_code: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    language_code: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    repaired: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # text repaired on read
    pii: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))  # roles with PII: ROLE_BITS
    modified: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # set by the caller
    tokens: dict[str, np.ndarray] = field(default_factory=dict)  # tokenizer spec → per record
    groups: dict[str, Codes] = field(default_factory=dict)  # mixture → group names
    group_code: dict[str, np.ndarray] = field(default_factory=dict)  # mixture → per record, -1: left out
    flags: Counter = field(default_factory=Counter)  # (source, quality flag) → kept records
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # score a mixture selects by → per record
    selected: dict[str, np.ndarray] = field(default_factory=dict)  # mixture with select: → bool per record
    selection: dict[str, dict[str, Any]] = field(default_factory=dict)  # mixture → how it selected


def scan_pool(
    paths: Sequence[Path], mixtures: Sequence[MixtureConfig], counters: dict[str, TokenCounter]
) -> PoolScan:
    scan = PoolScan()
    columns: dict[str, list[int]] = {"source": [], "license": [], "language": []}
    repaired: list[bool] = []
    pii: list[int] = []
    tokens: dict[str, list[int]] = {spec: [] for spec in counters}
    groups: dict[str, list[int]] = {m.name: [] for m in mixtures}
    score_names = sorted({m.select.score for m in mixtures if m.select is not None})
    scores: dict[str, list[float]] = {name: [] for name in score_names}
    scan.groups = {m.name: Codes() for m in mixtures}
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        for spec, counter in counters.items():
            tokens[spec].extend(counter.count(batch))
        batch.clear()

    for record in iter_pool(paths):
        provenance = record["provenance"]
        columns["source"].append(scan.sources.code(provenance["source"]))
        columns["license"].append(scan.licenses.code(provenance.get("license")))
        annotations = record.get("annotations") or {}
        columns["language"].append(scan.languages.code(annotations.get("language")))
        repaired.append(bool(annotations.get("repairs")))
        pii.append(pii_roles(record, annotations))
        for flag in annotations.get("quality_flags") or ():
            scan.flags[provenance["source"], flag] += 1
        for name in score_names:
            scores[name].append(score_value(annotations.get("scores"), name))
        for mixture in mixtures:
            code = (
                scan.groups[mixture.name].code(group_of(record, mixture.by))
                if eligible(record, mixture)
                else -1
            )
            groups[mixture.name].append(code)
        if counters:
            batch.append({"messages": record["messages"]})
            if len(batch) >= _BATCH:
                flush()
    if batch:
        flush()
    scan.count = len(repaired)
    scan.source_code = np.asarray(columns["source"], np.int32)
    scan.license_code = np.asarray(columns["license"], np.int32)
    scan.language_code = np.asarray(columns["language"], np.int32)
    scan.repaired = np.asarray(repaired, bool)
    scan.pii = np.asarray(pii, np.uint8)
    scan.modified = scan.repaired.copy()
    scan.tokens = {spec: np.asarray(values, np.int64) for spec, values in tokens.items()}
    scan.group_code = {name: np.asarray(values, np.int32) for name, values in groups.items()}
    scan.scores = {name: np.asarray(values, np.float64) for name, values in scores.items()}
    return scan


def modified_roles(recipe: Any, role_bits: dict[str, int] = ROLE_BITS) -> int:
    """``ROLE_BITS`` of the roles whose PII findings some stage replaces in the text."""
    mask = 0
    for stage in recipe.stages:
        for role, bit in role_bits.items():
            if stage.replaces_pii(role):
                mask |= bit
    return mask
