"""``curator trace RECORD_ID RUN_DIR``: a record's path from its source row to the mixtures.

The record is looked up (by id, or an unambiguous prefix of at least 6 characters) in data/
(kept), removed/<stage>.jsonl and every mixture's data files. What each stage did is read
from the record itself — stages annotate first and decide second — and from the manifest's
stage order: stages before the one that removed it passed it (or flagged it), later ones never
saw it. The source row is read back from the input file named in provenance.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import orjson

from curator.errors import CuratorError
from curator.io import iter_rows, open_binary_reader
from curator.removed import removed_detail
from curator.run import Manifest, RunFolder
from curator.run.manifest import StageEntry

_ID = re.compile(r"^[0-9a-f]{6,24}$")
_ROW_PREVIEW = 600


def _jsonl_matches(path: Path, prefix: str) -> list[tuple[int, dict[str, Any]]]:
    """(1-based line, parsed row) of rows whose id starts with ``prefix`` (a bytes search, then a parse)."""
    needle = b'"id":"' + prefix.encode()
    found = []
    with open_binary_reader(path) as handle:
        for number, line in enumerate(handle, start=1):
            if needle in line:
                row = orjson.loads(line)
                record = row.get("record", row)
                if str(record.get("id", "")).startswith(prefix):
                    found.append((number, row))
    return found


def _parquet_matches(path: Path, prefix: str) -> list[tuple[int, dict[str, Any]]]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    mask = pc.starts_with(table.column("id"), prefix)
    found = []
    for index in pc.indices_nonzero(mask).to_pylist():
        row = table.slice(index, 1).to_pylist()[0]
        for key in ("annotations", "meta"):
            if isinstance(row.get(key), str):
                row[key] = orjson.loads(row[key])
        found.append((index + 1, row))
    return found


def _matches(path: Path, prefix: str) -> list[tuple[int, dict[str, Any]]]:
    return _parquet_matches(path, prefix) if path.suffix == ".parquet" else _jsonl_matches(path, prefix)


def _source_row(manifest: Manifest, provenance: dict[str, Any]) -> dict[str, Any]:
    """The input row the record came from, read back from the input file when it is still there."""
    recipe_dir = manifest.recipe.base_dir
    info: dict[str, Any] = {"file": provenance.get("file"), "row": provenance.get("row")}
    entry = manifest.input_of(provenance["source"], info["file"])
    if entry is not None:
        info["format"] = entry.format
        info["sha256"] = entry.sha256
    if info["file"] is None or info["row"] is None:
        return info
    path = Path(info["file"])
    path = path if path.is_absolute() else recipe_dir / path
    info["path"] = str(path)
    if not path.exists():
        info["missing"] = True
        return info
    try:
        for raw in itertools.islice(iter_rows(path, info["file"]), info["row"], info["row"] + 1):
            info["line"] = raw.line
            info["raw"] = raw.data if raw.data is not None else raw.raw
    except CuratorError as exc:
        info["error"] = str(exc)
    return info


def _stage_notes(record: dict[str, Any], stage: StageEntry) -> list[str]:
    """What the record says this stage found (flags, duplicate cluster, licence, extra annotations)."""
    name, kind = stage.name, stage.type
    annotations = record.get("annotations") or {}
    notes = [
        f"flag {flag}" for flag in annotations.get("quality_flags") or () if flag.startswith(f"{name}:")
    ]
    duplicate = annotations.get("duplicate")
    if duplicate and duplicate.get("method") == name:
        if duplicate.get("duplicate_of"):
            notes.append(
                f"duplicate of {duplicate['duplicate_of']} (cluster of {duplicate.get('cluster_size')})"
            )
        else:
            notes.append(f"kept as the first of a cluster of {duplicate.get('cluster_size')}")
    extra = annotations.get("extra") or {}
    for key in dict.fromkeys((name, kind)):
        if key in extra:
            notes.append(f"{key}: {orjson.dumps(extra[key]).decode()}")
    if kind == "language" and annotations.get("language"):
        notes.append(f"language {annotations['language']} ({annotations.get('language_score')})")
    if kind == "pii" and annotations.get("pii"):
        types = sorted({f.get("type") for f in annotations["pii"]})
        notes.append(f"PII {len(annotations['pii'])} span(s): {', '.join(map(str, types))}")
    return notes


def trace_record(
    record_id: str, run_dir: Path, *, source_row: bool = True, raw: bool = False
) -> dict[str, Any]:
    """Everything known about one record of a run (JSON-ready)."""
    prefix = record_id.strip().lower()
    if not _ID.match(prefix):
        raise CuratorError(f"{record_id!r} is not a record id (24 hex characters, or a prefix of at least 6)")
    run_dir = Path(run_dir)
    folder = RunFolder(run_dir)
    manifest = folder.read_manifest()
    hits: list[dict[str, Any]] = []
    for item in manifest.outputs.data:
        for line, row in _matches(folder.path(item.path), prefix):
            hits.append({"fate": "kept", "file": item.path, "line": line, "record": row})
    for item in manifest.outputs.removed:
        for line, row in _matches(folder.path(item.path), prefix):
            hits.append(
                {
                    "fate": "removed",
                    "file": item.path,
                    "line": line,
                    "stage": row["stage"],
                    "reason": row["reason"],
                    "detail": removed_detail(row),
                    "record": row["record"],
                }
            )
    mixture_rows: dict[str, dict[str, Any]] = {}
    for name, mixture in manifest.mixtures.items():
        for file in mixture.files:
            path = folder.path(mixture.path) / file.path
            for line, row in _matches(path, prefix) if path.exists() else []:
                entry = mixture_rows.setdefault(row["id"], {}).setdefault(name, {"copies": 0, "rows": []})
                entry["copies"] += 1
                entry["rows"].append(f"{file.path}:{line}")
    ids = sorted({h["record"]["id"] for h in hits} | set(mixture_rows))
    if not ids:
        raise CuratorError(
            f"no record with id {record_id!r} in {run_dir} (data/, removed/, mixtures/); rejected rows "
            f"have no record id: look them up by file and line in rejected.jsonl"
        )
    if len(ids) > 1:
        raise CuratorError(
            f"{record_id!r} matches {len(ids)} records: {', '.join(ids[:5])}; give more characters"
        )
    full_id = ids[0]
    hit = next((h for h in hits if h["record"]["id"] == full_id), None)
    if hit is None:
        raise CuratorError(f"record {full_id} is in a mixture but not in data/ or removed/ of {run_dir}")
    record = hit["record"]
    provenance = record["provenance"]
    stages, reached = [], True
    for stage in manifest.stages:
        if not reached:
            stages.append({"stage": stage.name, "type": stage.type, "status": "not reached"})
            continue
        notes = _stage_notes(record, stage)
        if hit["fate"] == "removed" and hit["stage"] == stage.name:
            stages.append(
                {
                    "stage": stage.name,
                    "type": stage.type,
                    "status": "removed",
                    "reason": hit["reason"],
                    "detail": hit.get("detail"),
                    "notes": notes,
                }
            )
            reached = False
        else:
            status = "flagged" if any(n.startswith("flag ") for n in notes) else "passed"
            stages.append({"stage": stage.name, "type": stage.type, "status": status, "notes": notes})
    result: dict[str, Any] = {
        "id": full_id,
        "run": str(run_dir),
        "provenance": provenance,
        "repairs": (record.get("annotations") or {}).get("repairs") or [],
        "fate": hit["fate"],
        "location": f"{hit['file']}:{hit['line']}",
        "stages": stages,
        "mixtures": {
            name: mixture_rows.get(full_id, {}).get(name, {"copies": 0, "rows": []})
            for name in manifest.mixtures
        },
    }
    if hit["fate"] == "removed":
        result["removed"] = {"stage": hit["stage"], "reason": hit["reason"], "detail": hit.get("detail")}
    if source_row:
        result["source_row"] = _source_row(manifest, provenance)
        if not raw:
            _redact_source_row(manifest, result["source_row"])
    return result


def _redact_source_row(manifest: Manifest, row: dict[str, Any]) -> None:
    """With a pii stage in the run, the input row is shown as that stage would write it: redacted
    (``--raw`` shows it as it is in the input file)."""
    if "raw" not in row:
        return
    from curator.recipe import Recipe
    from curator.stages import build_stage

    recipe = Recipe.model_validate(manifest.recipe.resolved)
    for config in recipe.stages:
        stage = build_stage(config)
        if stage.scrubs_outputs:
            row["raw"] = stage.scrub_rejected([{"raw": row["raw"]}])[0]["raw"]
            row["redacted_by"] = stage.name
            return


def format_trace(trace: dict[str, Any]) -> str:
    prov = trace["provenance"]
    row = trace.get("source_row") or {}
    where = f"{prov.get('file')}, row {prov.get('row')}"
    if row.get("line") is not None:
        where += f" (line {row['line']})"
    lines = [f"record {trace['id']}  (run {trace['run']})"]
    lines.append(
        f"  source      {prov['source']}: {where}"
        + (f", format {row['format']}" if row.get("format") else "")
    )
    if prov.get("original_id"):
        lines.append(f"              original id {prov['original_id']}")
    lines.append(
        f"              licence {prov.get('license') or 'unknown'}; "
        + (f"generated by {prov['generated_by']}" if prov.get("generated_by") else "written by people")
    )
    if "raw" in row:
        text = orjson.dumps(row["raw"]).decode() if not isinstance(row["raw"], str) else row["raw"]
        if len(text) > _ROW_PREVIEW:
            text = text[: _ROW_PREVIEW - 1] + "…"
        lines.append(f"  source row  {text}")
    elif row.get("missing"):
        lines.append(f"  source row  (input file {row.get('path')} is no longer there)")
    if trace["repairs"]:
        lines.append(f"  on read     repaired: {', '.join(trace['repairs'])}")
    lines.append("  stages")
    width = max((len(s["stage"]) for s in trace["stages"]), default=5)
    for number, stage in enumerate(trace["stages"], start=1):
        text = stage["status"]
        if stage["status"] == "removed":
            text = f"REMOVED: {stage['reason']}"
            if stage.get("detail"):
                text += f" {orjson.dumps(stage['detail']).decode()}"
        notes = stage.get("notes") or []
        if notes:
            text += " — " + "; ".join(notes)
        lines.append(f"    {number} {stage['stage']:<{width}}  {text}")
    outcome = "kept" if trace["fate"] == "kept" else f"removed by {trace['removed']['stage']}"
    lines.append(f"  outcome     {outcome} → {trace['location']}")
    if trace["mixtures"]:
        parts = []
        for name, info in trace["mixtures"].items():
            if info["copies"]:
                parts.append(f"{name} ×{info['copies']} ({', '.join(info['rows'][:3])})")
            else:
                parts.append(f"{name}: not included")
        lines.append("  mixtures    " + "\n              ".join(parts))
    else:
        lines.append("  mixtures    (the run declares none)")
    return "\n".join(lines)
