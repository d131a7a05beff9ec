"""Build every mixture of a recipe from a run's kept records (after the run's outputs are written).

For each mixture: group shares and quotas (:mod:`.sampling`), copies per kept record, then one
streaming pass over data/ writes every mixture's rows (:mod:`.writer`), then the card,
ATTRIBUTION and ``mixture.json`` (:mod:`curator.mixtures.cards`, driven by :mod:`curator.mixtures.run`).
"""

from __future__ import annotations

import hashlib
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curator.io import write_json_atomic
from curator.licensing.combine import Component, resulting_licence
from curator.licensing.terms import ModelTerms
from curator.mixtures.config import MixtureConfig
from curator.mixtures.pool import PoolScan, iter_pool_raw, load
from curator.mixtures.rows import SCHEMAS, to_row
from curator.mixtures.sampling import fill_group, natural_size, quotas, rng_for, shares
from curator.mixtures.tokens import WHITESPACE
from curator.mixtures.writer import ShuffledWriter
from curator.recipe import Recipe
from curator.run import RunFolder


@dataclass(slots=True)
class Selection:
    config: MixtureConfig
    counts: np.ndarray  # copies per pool record
    summary: dict[str, Any]


def _round(value: float) -> float:
    return round(float(value), 6)


def select(
    mixture: MixtureConfig,
    scan: PoolScan,
    seed: int,
    *,
    intended_use: str | None,
    terms: dict[str, ModelTerms | None],
    modifying_stages: list[str],
) -> Selection:
    """Decide how many copies of each kept record the mixture takes; summarise the result."""
    seed = mixture.seed if mixture.seed is not None else seed
    codes = scan.group_code[mixture.name]
    if mixture.name in scan.selected:  # select: only the chosen records are in any group
        codes = np.where(scan.selected[mixture.name], codes, -1)
    group_names = scan.groups[mixture.name].values
    tokens = scan.tokens[mixture.tokenizer]
    units = np.ones(scan.count, np.int64) if mixture.unit == "records" else tokens
    eligible = codes >= 0
    available_records = np.bincount(codes[eligible], minlength=len(group_names))
    available_units = np.bincount(codes[eligible], weights=units[eligible], minlength=len(group_names))
    available = {g: float(available_units[i]) for i, g in enumerate(group_names)}
    requested, used = shares(available, mixture.weights, mixture.temperature)
    notes: list[str] = []
    for group in sorted(set(requested) - set(used)):
        notes.append(
            f"group {group!r} was asked for {requested[group]:.3f} of the mixture but has no records"
        )
    if mixture.size is not None:
        size = mixture.size
    else:
        size = natural_size(available, used)
        size = math.floor(size + 1e-9) if mixture.unit == "records" else size
    whole = mixture.unit == "records"
    targets: dict[str, float] = (
        dict(quotas(int(size), used)) if whole else {g: size * p for g, p in used.items()}
    )
    counts = np.zeros(scan.count, np.int32)
    groups: dict[str, Any] = {}
    index_of = {g: i for i, g in enumerate(group_names)}
    for group in sorted(set(requested) | set(used) | set(available)):
        if group not in index_of or group not in used:
            groups[group] = {
                "requested_weight": _round(requested.get(group, 0.0)),
                "effective_weight": 0.0,
                "available_records": int(available_records[index_of[group]]) if group in index_of else 0,
                "available_units": int(available.get(group, 0)),
                "selected_units": 0,
                "selected_records": 0,
                "unique_records": 0,
                "epochs": 0.0,
                "capped": False,
            }
            continue
        indices = np.flatnonzero(codes == index_of[group])
        result = fill_group(
            indices,
            units,
            targets[group],
            mixture.max_epochs,
            rng_for(seed, mixture.name, group),
            counts,
            whole_units=whole,
        )
        if result.capped:
            notes.append(
                f"group {group!r} is capped at max_epochs={mixture.max_epochs:g}: asked for "
                f"{targets[group]:,.0f} {mixture.unit}, has {result.available_units:,}, took "
                f"{result.selected_units:,}"
            )
        groups[group] = {
            "requested_weight": _round(requested.get(group, 0.0)),
            "used_weight": _round(used[group]),
            "effective_weight": 0.0,
            "available_records": result.available_records,
            "available_units": result.available_units,
            "target_units": _round(targets[group]),
            "selected_units": result.selected_units,
            "selected_records": result.selected_records,
            "unique_records": result.unique_records,
            "epochs": _round(result.epochs),
            "capped": result.capped,
        }
    total_units = sum(g["selected_units"] for g in groups.values())
    if not total_units:
        notes.append("the mixture is empty: no kept record fits its sources, exclude_flags and weights")
    for info in groups.values():
        info["effective_weight"] = _round(info["selected_units"] / total_units) if total_units else 0.0
    errors = [
        abs(g["effective_weight"] - g.get("used_weight", 0.0)) for g in groups.values() if "used_weight" in g
    ]

    picked = counts > 0
    sources = scan.sources.values
    per_source_records = np.bincount(scan.source_code, weights=counts, minlength=len(sources))
    per_source_unique = np.bincount(scan.source_code, weights=picked, minlength=len(sources))
    per_source_tokens = np.bincount(scan.source_code, weights=counts * tokens, minlength=len(sources))
    per_source_whitespace = np.bincount(
        scan.source_code, weights=counts * scan.tokens[WHITESPACE], minlength=len(sources)
    )
    modified = np.bincount(scan.source_code[picked & scan.modified], minlength=len(sources))
    source_summary = {
        name: {
            "records": int(per_source_records[i]),
            "unique_records": int(per_source_unique[i]),
            "tokens": int(per_source_tokens[i]),
            "words": int(per_source_whitespace[i]),
            "modified_records": int(modified[i]),
        }
        for i, name in sorted(enumerate(sources), key=lambda item: item[1])
        if per_source_records[i] > 0
    }
    components: dict[Any, Component] = {}
    pair = scan.license_code.astype(np.int64) * len(sources) + scan.source_code
    rows_per_pair = np.bincount(pair, weights=counts, minlength=len(scan.licenses.values) * len(sources))
    for code in np.flatnonzero(rows_per_pair):
        license_ = scan.licenses.values[int(code) // len(sources)]
        component = components.setdefault(license_, Component(license_))
        component.records[sources[int(code) % len(sources)]] = int(rows_per_pair[code])
    licence = resulting_licence(
        list(components.values()),
        intended_use=intended_use,
        terms=terms,
        modified={sources[i]: int(n) for i, n in enumerate(modified) if n},
        modifying_stages=modifying_stages,
    )
    languages = np.bincount(scan.language_code, weights=counts, minlength=len(scan.languages.values))
    summary = {
        "path": f"{RunFolder.MIXTURES}/{mixture.name}",
        "by": mixture.by,
        "unit": mixture.unit,
        "tokenizer": mixture.tokenizer,
        "seed": seed,
        "format": mixture.format,
        "size": {
            "requested": mixture.size,
            "target": _round(size),
            "achieved": int(total_units),
        },
        "records": int(counts.sum()),
        "unique_records": int(picked.sum()),
        "tokens": int((counts * tokens).sum()),
        "max_weight_error": _round(max(errors, default=0.0)),
        "groups": groups,
        "sources": source_summary,
        "languages": {
            str(scan.languages.values[i]): int(n)
            for i, n in enumerate(languages)
            if n and scan.languages.values[i] is not None
        },
        "licence": licence,
        "notes": notes,
    }
    if mixture.name in scan.selection:
        summary["selection"] = scan.selection[mixture.name]
    return Selection(mixture, counts, summary)


def write_mixtures(
    selections: list[Selection],
    pool_paths: list[Path],
    out_dir: Path,
    recipe: Recipe,
    seed: int,
    describe: Callable[[Path], dict[str, Any]],
) -> None:
    """One pass over the pool writes every mixture's data files (and fills summary['files'])."""
    writers = []
    for selection in selections:
        mixture = selection.config
        folder = RunFolder(out_dir).mixture_dir(mixture.name)
        if folder.exists():
            shutil.rmtree(folder)
        total = int(selection.counts.sum())
        mixture_seed = mixture.seed if mixture.seed is not None else seed
        positions = (
            rng_for(mixture_seed, mixture.name, "__order__").permutation(total)
            if mixture.shuffle
            else np.arange(total)
        )
        writers.append(
            ShuffledWriter(
                folder / "data",
                RunFolder(out_dir).mixture_work_dir(mixture.name),
                total,
                positions,
                mixture.file_format or recipe.output.format,
                mixture.max_records_per_file or recipe.output.max_records_per_file,
                SCHEMAS[mixture.format],
            )
        )
    if selections:
        wanted = np.zeros(len(selections[0].counts), bool)
        for selection in selections:
            wanted |= selection.counts > 0
        for index, item in enumerate(iter_pool_raw(pool_paths)):
            if not wanted[index]:
                continue  # not parsed at all
            record = load(item)
            for selection, writer in zip(selections, writers, strict=True):
                copies = int(selection.counts[index])
                if copies:
                    config = selection.config
                    writer.add(to_row(record, config.format, config.flatten, config.name), copies)
    for selection, writer in zip(selections, writers, strict=True):
        paths = writer.close()
        files = []
        limit = writer.max_records
        remaining = writer.total
        for path in paths:
            count = min(limit, remaining)
            remaining -= count
            info = describe(path)
            info["records"] = count
            info["path"] = path.relative_to(out_dir / selection.summary["path"]).as_posix()
            files.append(info)
        selection.summary["file_format"] = writer.file_format
        selection.summary["files"] = files
    shutil.rmtree(out_dir / RunFolder.MIXTURE_WORK, ignore_errors=True)


def file_digest(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return {"sha256": digest.hexdigest(), "bytes": path.stat().st_size}


def write_summary(out_dir: Path, summary: dict[str, Any], extra: dict[str, Any]) -> None:
    write_json_atomic(out_dir / summary["path"] / RunFolder.MIXTURE_SUMMARY, {**summary, **extra})
