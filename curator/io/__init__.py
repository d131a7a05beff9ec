"""Reading inputs and writing outputs: every supported format and compression, streamed and atomic.

Readers yield ``RawRow``s (parsed rows, or the exact reason a row could not be parsed); writers
never leave a partial file under a final name and give byte-identical output for the same input.
"""

from curator.io.compression import Compression, open_binary_reader, open_binary_writer
from curator.io.parquet_writer import ParquetShardWriter
from curator.io.paths import SUPPORTED, check_readable, display_path, expand_paths, input_format
from curator.io.readers import iter_rows, iter_rows_batched
from curator.io.rows import RawRow, ReadStats
from curator.io.tabular import to_plain
from curator.io.writers import (
    JsonlWriter,
    ShardedJsonlWriter,
    atomic_path,
    open_text_writer,
    write_bytes_atomic,
    write_json_atomic,
)

__all__ = [
    "SUPPORTED",
    "Compression",
    "JsonlWriter",
    "ParquetShardWriter",
    "RawRow",
    "ReadStats",
    "ShardedJsonlWriter",
    "atomic_path",
    "check_readable",
    "display_path",
    "expand_paths",
    "input_format",
    "iter_rows",
    "iter_rows_batched",
    "open_binary_reader",
    "open_binary_writer",
    "open_text_writer",
    "to_plain",
    "write_bytes_atomic",
    "write_json_atomic",
]
