"""Assemble a run's final files from per-shard work files, in shard order (so output is deterministic)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from curator.engines.shards import WorkDir
from curator.io import JsonlWriter, ParquetShardWriter, ShardedJsonlWriter
from curator.recipe import Recipe

# Parquet keeps the typed core as columns; annotations and meta vary per stage and format, so they are
# JSON text (readable by any Parquet tool, and by `datasets` as a string column).
PARQUET_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        (
            "messages",
            pa.list_(pa.struct([("role", pa.string()), ("content", pa.string()), ("name", pa.string())])),
        ),
        (
            "provenance",
            pa.struct(
                [
                    ("source", pa.string()),
                    ("file", pa.string()),
                    ("row", pa.int64()),
                    ("original_id", pa.string()),
                    ("license", pa.string()),
                    ("generated_by", pa.string()),
                    ("url", pa.string()),
                    ("citation", pa.string()),
                ]
            ),
        ),
        ("annotations", pa.string()),
        ("meta", pa.string()),
    ]
)


def _lines(paths: list[Path]) -> Iterator[bytes]:
    for path in paths:
        if path.exists():
            with path.open("rb") as handle:
                for line in handle:
                    yield line.rstrip(b"\n")


def _parquet_row(line: bytes) -> dict[str, Any]:
    record = orjson.loads(line)
    record["annotations"] = orjson.dumps(record["annotations"]).decode()
    record["meta"] = orjson.dumps(record["meta"]).decode()
    return record


def _describe(path: Path, records: int) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return {"path": path.as_posix(), "records": records, "sha256": digest.hexdigest()}


def assemble_outputs(work: WorkDir, out_dir: Path, shard_count: int, recipe: Recipe) -> dict[str, Any]:
    """Write data/, removed/ and rejected.jsonl; return {kind: [{path, records, sha256}]} (paths relative)."""
    shards = range(shard_count)
    data_dir = out_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    kept = [work.kept(s) for s in shards]
    output = recipe.output
    if output.format == "parquet":
        writer: Any = ParquetShardWriter(data_dir, "part", output.max_records_per_file, schema=PARQUET_SCHEMA)
        with writer:
            for line in _lines(kept):
                writer.write_row(_parquet_row(line))
    else:
        compression = None if output.compression == "none" else output.compression
        writer = ShardedJsonlWriter(data_dir, "part", output.max_records_per_file, compression=compression)
        with writer:
            for path in kept:
                with path.open("rb") as handle:
                    while block := handle.read(1 << 22):
                        block += handle.readline()  # end the block on a whole line
                        writer.write_block(block)
    files: dict[str, list[dict[str, Any]]] = {"data": [], "removed": [], "rejected": []}
    paths, limit = writer.paths, output.max_records_per_file
    # Every shard but the last is full.
    counts = [limit] * (len(paths) - 1) + [writer.count - limit * (len(paths) - 1)] if paths else []
    for path, count in zip(paths, counts, strict=True):
        files["data"].append(_describe(path, count))

    removed_root = work.root / "removed"
    stage_dirs = sorted(p for p in removed_root.iterdir()) if removed_root.exists() else []
    if stage_dirs:
        (out_dir / "removed").mkdir(exist_ok=True)
    for stage_dir in stage_dirs:
        target = out_dir / "removed" / f"{stage_dir.name}.jsonl"
        with JsonlWriter(target) as out:
            out.write_lines(_lines(sorted(stage_dir.glob("*.jsonl"))))
        files["removed"].append(_describe(target, out.count))

    target = out_dir / "rejected.jsonl"
    with JsonlWriter(target) as out:
        out.write_lines(_lines([work.rejected(s) for s in shards]))
    files["rejected"].append(_describe(target, out.count))
    for kind in files.values():
        for item in kind:
            item["path"] = Path(item["path"]).relative_to(out_dir).as_posix()
    return files
