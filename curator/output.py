"""Assemble a run's final files from per-shard work files, in shard order (so output is deterministic)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from curator.io import JsonlWriter, ParquetShardWriter, ShardedJsonlWriter, open_binary_reader
from curator.recipe import Recipe
from curator.run import RunFolder
from curator.run.manifest import OutputFile, Outputs

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


def _describe(folder: RunFolder, path: Path, written: int) -> OutputFile:
    """The file's digest and its record count read back from disk (the manifest proves the
    accounting from the files, not from counters); a count that differs from what was written is
    an accounting bug, never a silent loss."""
    digest = hashlib.sha256()
    newlines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            newlines += chunk.count(b"\n")
    records = recount(path) if path.suffix in (".parquet", ".gz", ".zst") else newlines
    if records != written:
        raise AssertionError(f"accounting bug: {path} holds {records} records, {written} were written")
    return OutputFile(path=folder.relative(path), records=records, sha256=digest.hexdigest())


def recount(path: Path) -> int:
    """Records in a written data file: Parquet metadata, or lines of (compressed) JSON Lines."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    count = 0
    with open_binary_reader(path) as stream:
        while chunk := stream.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def assemble_outputs(folder: RunFolder, shard_count: int, recipe: Recipe) -> Outputs:
    """Write data/, removed/ and rejected.jsonl from the work files; describe them for the manifest."""
    work = folder.work()
    shards = range(shard_count)
    data_dir = folder.data_dir
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
    outputs = Outputs()
    paths, limit = writer.paths, output.max_records_per_file
    # Every shard but the last is full.
    counts = [limit] * (len(paths) - 1) + [writer.count - limit * (len(paths) - 1)] if paths else []
    for path, count in zip(paths, counts, strict=True):
        outputs.data.append(_describe(folder, path, count))

    # The recipe's stages, not whatever folders _work/removed holds: a planted one is never output.
    names = sorted(stage.stage_name for stage in recipe.stages)
    stage_dirs = [d for d in map(work.removed_dir, names) if d.is_dir()]
    if stage_dirs:
        folder.removed_dir.mkdir(exist_ok=True)
    for stage_dir in stage_dirs:
        target = folder.removed_file(stage_dir.name)
        with JsonlWriter(target) as out:
            out.write_lines(_lines(sorted(stage_dir.glob("*.jsonl"))))
        outputs.removed.append(_describe(folder, target, out.count))

    target = folder.rejected_path
    with JsonlWriter(target) as out:
        out.write_lines(_lines([work.rejected(s) for s in shards]))
    outputs.rejected.append(_describe(folder, target, out.count))
    return outputs
