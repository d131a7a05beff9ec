"""Write a mixture's rows in a seeded shuffled order with bounded memory.

Each output row has a position from a seeded permutation. Rows arrive in pool order and go to
buckets of consecutive positions (in memory for one bucket, else temporary files); each bucket
is then sorted by position and appended to the data files. Memory: one bucket plus one int64
per output row.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from curator.io import ParquetShardWriter, ShardedJsonlWriter

BUCKET_ROWS = 50_000
MAX_BUCKETS = 256


class ShuffledWriter:
    def __init__(
        self,
        data_dir: Path,
        work_dir: Path,
        total: int,
        positions: np.ndarray,
        file_format: str,
        max_records: int,
        schema: pa.Schema,
    ) -> None:
        self.data_dir = data_dir
        self.work_dir = work_dir
        self.total = total
        self.positions = positions
        self.file_format = file_format
        self.max_records = max_records
        self.schema = schema
        self.bucket_rows = max(BUCKET_ROWS, math.ceil(total / MAX_BUCKETS))
        self.buckets = max(1, math.ceil(total / self.bucket_rows))
        self.emitted = 0
        self._memory: list[Any] = []
        self._files: dict[int, Any] = {}
        self.paths: list[Path] = []

    def add(self, row: dict[str, Any], copies: int) -> None:
        # One bucket and Parquet: keep the dicts; otherwise JSON bytes (compact, and what files hold).
        line: Any = row if self.buckets == 1 and self.file_format == "parquet" else orjson.dumps(row)
        for _ in range(copies):
            if self.buckets == 1:
                self._memory.append(line)
            else:
                bucket = int(self.positions[self.emitted]) // self.bucket_rows
                handle = self._files.get(bucket)
                if handle is None:
                    self.work_dir.mkdir(parents=True, exist_ok=True)
                    handle = self._files[bucket] = (self.work_dir / f"bucket-{bucket:05d}.jsonl").open("wb")
                handle.write(line + b"\n")
            self.emitted += 1

    def _bucket_lines(self, bucket: int) -> list[Any]:
        if self.buckets == 1:
            return self._memory
        handle = self._files.pop(bucket, None)
        if handle is None:
            return []
        handle.close()
        path = self.work_dir / f"bucket-{bucket:05d}.jsonl"
        lines = path.read_bytes().split(b"\n")[:-1]
        path.unlink()
        return lines

    def close(self) -> list[Path]:
        assert self.emitted == self.total, f"mixture writer got {self.emitted} rows, expected {self.total}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        bucket_of = self.positions // self.bucket_rows
        emission_order = np.argsort(bucket_of, kind="stable")  # emissions grouped by bucket, in arrival order
        bounds = np.searchsorted(bucket_of[emission_order], np.arange(self.buckets + 1))
        if self.file_format == "parquet":
            writer: Any = ParquetShardWriter(self.data_dir, "train", self.max_records, schema=self.schema)
        else:
            writer = ShardedJsonlWriter(self.data_dir, "train", self.max_records)
        with writer:
            for bucket in range(self.buckets):
                lines = self._bucket_lines(bucket)
                emitted = emission_order[bounds[bucket] : bounds[bucket + 1]]
                for j in np.argsort(self.positions[emitted], kind="stable"):
                    if self.file_format == "parquet":
                        line = lines[j]
                        writer.write_row(orjson.loads(line) if isinstance(line, bytes) else line)
                    else:
                        writer.write_line(lines[j])
        for handle in self._files.values():
            handle.close()
        if self.work_dir.exists():
            shutil.rmtree(self.work_dir)
        self.paths = list(writer.paths)
        return self.paths
