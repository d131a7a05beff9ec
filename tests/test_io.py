"""curator.io: every input format and compression, the bad-input gauntlet, atomic deterministic writers."""

from __future__ import annotations

import csv
import datetime
import gzip
import io
import os
import tracemalloc
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from curator.errors import InputError
from curator.io import (
    JsonlWriter,
    ParquetShardWriter,
    RawRow,
    ReadStats,
    ShardedJsonlWriter,
    atomic_path,
    check_readable,
    display_path,
    expand_paths,
    iter_rows,
    iter_rows_batched,
    open_text_writer,
    write_bytes_atomic,
    write_json_atomic,
)

ROWS = [
    {"instruction": "Say hi", "output": "Hi", "n": 1},
    {"instruction": "Zähle bis drei", "output": "eins, zwei, drei", "n": 2},
    {"instruction": "翻译", "output": "translate", "n": 3},
]
MESSAGES = [
    {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}], "id": "a"},
    {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}], "id": "b"},
]


def rows_of(path: Path, **kwargs: object) -> list[RawRow]:
    return list(iter_rows(path, **kwargs))  # type: ignore[arg-type]


def data_of(path: Path) -> list[dict]:
    out = []
    for raw in iter_rows(path):
        assert raw.error is None, raw.error
        out.append(raw.data)
    return out


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    with JsonlWriter(path) as writer:
        writer.write_lines(orjson.dumps(row) for row in rows)
    return path


# --- JSON Lines: the bad-input gauntlet -----------------------------------------------------------

BIG = "x" * (2 * 1024 * 1024)
GAUNTLET_LINES: list[bytes] = [
    b'\xef\xbb\xbf{"id": 0, "text": "first row after a BOM"}\r\n',  # line 1, row 0
    b'{"id": 1, "text": "crlf"}\r\n',  # line 2, row 1
    b"\n",  # line 3: blank
    b'{"id": 2, "text": broken}\n',  # line 4, row 2
    b'{"id": 3, "text": "trailing comma",}\n',  # line 5, row 3
    b"[1, 2, 3]\n",  # line 6, row 4
    b"null\n",  # line 7, row 5
    b"   \t  \n",  # line 8: whitespace only
    b'{"id": 6, "text": "bad \xff byte"}\n',  # line 9, row 6
    b'{"id": 7, "text": "raw \x00 nul"}\n',  # line 10, row 7
    b'{"id": 8, "text": "escaped \\u0000 nul"}\n',  # line 11, row 8
    b'{"id": 9, "text": "lone \\ud800 surrogate"}\n',  # line 12, row 9
    b'{"id": 10, "text": "' + BIG.encode() + b'"}\n',  # line 13, row 10
    b'"just a string"\n',  # line 14, row 11
    b"\r\n",  # line 15: blank (CRLF)
    b'{"id": 12, "text": "pair \\ud83d\\ude00 is fine"}',  # line 16, row 12, no final newline
]


@pytest.fixture(scope="module")
def gauntlet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[RawRow], ReadStats]:
    path = tmp_path_factory.mktemp("gauntlet") / "bad.jsonl"
    path.write_bytes(b"".join(GAUNTLET_LINES))
    stats = ReadStats()
    return path, list(iter_rows(path, display_name="data/bad.jsonl", stats=stats)), stats


def test_gauntlet_row_and_line_numbers(gauntlet: tuple[Path, list[RawRow], ReadStats]) -> None:
    _, rows, stats = gauntlet
    assert [r.row for r in rows] == list(range(13))
    assert [r.line for r in rows] == [1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 16]
    assert {r.file for r in rows} == {"data/bad.jsonl"}
    assert stats.rows == 13 and stats.blank_lines == 3 and stats.errors == 7 and stats.files == 1
    assert stats.bytes == sum(map(len, GAUNTLET_LINES))


def test_gauntlet_good_rows(gauntlet: tuple[Path, list[RawRow], ReadStats]) -> None:
    _, rows, _ = gauntlet
    good = {r.row: r for r in rows if r.ok}
    assert sorted(good) == [0, 1, 8, 9, 10, 12]
    assert good[0].data == {"id": 0, "text": "first row after a BOM"}
    assert good[1].data == {"id": 1, "text": "crlf"}
    assert good[8].data == {"id": 8, "text": "escaped \x00 nul"}  # the record layer strips it
    assert good[9].data == {"id": 9, "text": "lone \ud800 surrogate"}  # stdlib fallback
    assert good[10].data is not None and good[10].data["text"] == BIG
    assert good[12].data == {"id": 12, "text": "pair \U0001f600 is fine"}
    assert all(r.raw is None and r.error is None for r in good.values())


def test_gauntlet_errors_are_specific(gauntlet: tuple[Path, list[RawRow], ReadStats]) -> None:
    _, rows, _ = gauntlet
    bad = {r.row: r for r in rows if not r.ok}
    assert all(r.data is None for r in bad.values())
    assert bad[2].error == "invalid JSON: unexpected character, expected a JSON value at column 19"
    assert bad[2].raw == '{"id": 2, "text": broken}'
    assert bad[3].error == "invalid JSON: trailing comma is not allowed at column 35"
    assert bad[4].error == "row is a JSON array, expected an object"
    assert bad[4].raw == "[1, 2, 3]"
    assert bad[5].error == "row is a JSON null, expected an object"
    assert bad[6].error == "invalid UTF-8 (byte 0xff) at byte offset 23 of the line"
    assert bad[6].raw == '{"id": 6, "text": "bad \\xff byte"}'
    assert bad[7].error == "invalid JSON: unexpected control character in string at column 24"
    assert bad[7].raw == '{"id": 7, "text": "raw \x00 nul"}'
    assert bad[11].error == "row is a JSON string, expected an object"


def test_jsonl_gzip_and_zstd_match_plain(tmp_path: Path) -> None:
    plain = write_jsonl(tmp_path / "a.jsonl", ROWS)
    for name in ("a.jsonl.gz", "a.ndjson.zst", "a.jsonlines.gz"):
        assert data_of(write_jsonl(tmp_path / name, ROWS)) == data_of(plain) == ROWS


def test_mislabelled_compression_is_sniffed(tmp_path: Path) -> None:
    gz_named_plain = tmp_path / "rows.jsonl"
    gz_named_plain.write_bytes(gzip.compress(b'{"a": 1}\n'))
    assert data_of(gz_named_plain) == [{"a": 1}]
    zst_named_gz = tmp_path / "rows.jsonl.gz"
    zst_named_gz.write_bytes(zstandard.ZstdCompressor().compress(b'{"a": 2}\n'))
    assert data_of(zst_named_gz) == [{"a": 2}]
    plain_named_gz = tmp_path / "plain.jsonl.gz"
    plain_named_gz.write_bytes(b'{"a": 3}\n')
    with pytest.raises(InputError, match=r"plain\.jsonl\.gz: not a gzip file"):
        list(iter_rows(plain_named_gz))


def test_multi_frame_zstd_reads_whole(tmp_path: Path) -> None:
    compressor = zstandard.ZstdCompressor()
    path = tmp_path / "frames.jsonl.zst"
    path.write_bytes(compressor.compress(b'{"a": 1}\n') + compressor.compress(b'{"a": 2}\n'))
    assert data_of(path) == [{"a": 1}, {"a": 2}]


def test_truncated_gzip_fails_with_input_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n' * 5000)[:-30])
    check_readable(path)  # the header is fine; the damage shows only at the end
    with pytest.raises(InputError, match=r"cut\.jsonl\.gz: read failed after \d+ rows"):
        list(iter_rows(path))


def test_reading_streams(tmp_path: Path) -> None:
    line = orjson.dumps({"text": "y" * 1000}) + b"\n"
    path = tmp_path / "big.jsonl"
    path.write_bytes(line * 30_000)  # ~30 MB
    tracemalloc.start()
    try:
        rows = iter_rows(path)
        first = [next(rows) for _ in range(10)]
        _, peak = tracemalloc.get_traced_memory()
        rows.close()
    finally:
        tracemalloc.stop()
    assert [r.row for r in first] == list(range(10))
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes: the reader loaded the file"


def test_iter_rows_batched_and_stats_across_files(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", ROWS)
    b = write_jsonl(tmp_path / "b.jsonl.gz", ROWS[:2])
    stats = ReadStats()
    batches = list(iter_rows_batched(a, 2, stats=stats)) + list(iter_rows_batched(b, 2, stats=stats))
    assert [len(batch) for batch in batches] == [2, 1, 2]
    assert stats.files == 2 and stats.rows == 5
    assert stats.bytes == a.stat().st_size + b.stat().st_size


# --- .json: arrays, JSON Lines in disguise, single objects ---------------------------------------


def test_json_array(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_bytes(b"\xef\xbb\xbf\n  " + orjson.dumps([*ROWS, 5], option=orjson.OPT_INDENT_2))
    rows = rows_of(path)
    assert [r.data for r in rows[:3]] == ROWS
    assert all(r.line is None for r in rows)
    assert rows[3].row == 3 and rows[3].error == "row is a JSON number, expected an object"
    assert rows[3].raw == "5"


def test_json_array_compressed_with_surrogate(tmp_path: Path) -> None:
    path = tmp_path / "rows.json.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(b'[{"t": "\\udc00"}, {"t": "ok"}]'))
    assert data_of(path) == [{"t": "\udc00"}, {"t": "ok"}]


def test_json_that_is_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "hf.json"
    path.write_bytes(b'\n{"a": 1}\n{"a": 2}\n{"a": \n')
    rows = rows_of(path)
    assert [(r.row, r.line, r.data) for r in rows[:2]] == [(0, 2, {"a": 1}), (1, 3, {"a": 2})]
    assert rows[2].line == 4 and rows[2].error is not None and rows[2].error.startswith("invalid JSON")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{\n  "data": [{"a": 1}],\n  "version": 2\n}\n', r"holds one JSON object \(keys: data, version\)"),
        (b'[{"a": 1},\n {"a": 2]\n', r"invalid JSON at line 2 column \d+"),
        (b'"text"', r"expected a JSON array of objects or JSON Lines"),
    ],
)
def test_json_file_level_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        list(iter_rows(path))


def test_empty_files_have_no_rows(tmp_path: Path) -> None:
    for name in ("e.jsonl", "e.json", "e.csv"):
        (tmp_path / name).write_bytes(b"")
        assert rows_of(tmp_path / name) == []
    (tmp_path / "blank.jsonl").write_bytes(b"\n\n  \n")
    stats = ReadStats()
    assert rows_of(tmp_path / "blank.jsonl", stats=stats) == []
    assert stats.blank_lines == 3


# --- CSV / TSV ------------------------------------------------------------------------------------


def test_csv_rows_lines_and_errors(tmp_path: Path) -> None:
    big = "z" * 300_000  # over the csv module's default field limit
    path = tmp_path / "rows.csv.gz"
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(["instruction", "output"])
    writer.writerow(["multi\nline", ""])  # lines 2-3
    text.write("\r\n")  # line 4: blank
    writer.writerow(["too", "many", "fields"])  # line 5
    writer.writerow(["big", big])  # line 6
    with gzip.open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf" + text.getvalue().encode())
    stats = ReadStats()
    rows = rows_of(path, stats=stats)
    assert [(r.row, r.line) for r in rows] == [(0, 2), (1, 5), (2, 6)]
    assert rows[0].data == {"instruction": "multi\nline", "output": ""}
    assert rows[1].error == "row has 3 fields, the header has 2" and rows[1].raw == "too,many,fields"
    assert rows[2].data == {"instruction": "big", "output": big}
    assert stats.blank_lines == 1 and stats.errors == 1


def test_tsv_and_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "rows.tsv"
    path.write_bytes(b"\na\tb\n1\t\xe9t\xe9\n2\tok\n")
    stats = ReadStats()
    rows = rows_of(path, stats=stats)
    assert [(r.row, r.line) for r in rows] == [(0, 3), (1, 4)] and stats.blank_lines == 1
    assert rows[0].error == "invalid UTF-8 in column 'b'"
    assert rows[0].raw == "1\t\\xe9t\\xe9"
    assert rows[1].data == {"a": "2", "b": "ok"}


def test_csv_duplicate_header(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("a,b,a\n1,2,3\n")
    with pytest.raises(InputError, match="names a column twice: a"):
        list(iter_rows(path))


# --- Parquet and datasets folders -----------------------------------------------------------------


def test_parquet_round_trip_nested_messages(tmp_path: Path) -> None:
    with ParquetShardWriter(tmp_path, "part", row_group_size=1) as writer:
        writer.write_rows(MESSAGES)
    assert writer.paths == [tmp_path / "part-00000.parquet"]
    assert pq.ParquetFile(writer.paths[0]).metadata.num_row_groups == 2
    assert data_of(writer.paths[0]) == MESSAGES
    rows = rows_of(writer.paths[0])
    assert type(rows[0].data["messages"][0]) is dict  # type: ignore[index]
    assert rows[1].row == 1 and rows[1].line is None


def test_parquet_is_byte_identical_and_sharded(tmp_path: Path) -> None:
    rows = [{"i": i, "text": f"row {i}", "tags": ["a"] * (i % 3)} for i in range(25)]
    outputs = []
    for run in ("one", "two"):
        with ParquetShardWriter(tmp_path / run, "kept", max_records=10, row_group_size=4) as writer:
            writer.write_rows(rows)
        assert [p.name for p in writer.paths] == [f"kept-0000{i}.parquet" for i in range(3)]
        outputs.append([p.read_bytes() for p in writer.paths])
    assert outputs[0] == outputs[1]
    assert [pq.ParquetFile(p).metadata.num_rows for p in writer.paths] == [10, 10, 5]
    assert pq.ParquetFile(writer.paths[0]).metadata.row_group(0).column(0).compression == "ZSTD"
    read = [r.data for p in writer.paths for r in iter_rows(p)]
    assert read == rows


def test_parquet_schema_never_drops_fields(tmp_path: Path) -> None:
    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    schema = pa.schema([("messages", pa.list_(message)), ("id", pa.string())])
    writer = ParquetShardWriter(tmp_path, "x", schema=schema)
    writer.write_row({"messages": [{"role": "user", "content": "hi"}]})  # missing id → null
    writer.write_row({"messages": [{"role": "user", "content": "hi", "name": "bob"}], "id": "b"})
    with pytest.raises(ValueError, match=r"fields the Parquet schema lacks: messages\[\]\.name"):
        writer.close()
    assert list(tmp_path.iterdir()) == []


def test_parquet_empty_and_abort(tmp_path: Path) -> None:
    with ParquetShardWriter(tmp_path / "empty", "kept") as writer:
        pass
    assert pq.ParquetFile(writer.paths[0]).metadata.num_rows == 0
    with pytest.raises(RuntimeError), ParquetShardWriter(tmp_path / "abort", "kept", max_records=1) as writer:
        writer.write_rows([{"a": 1}, {"a": 2}, {"a": 3}])
        raise RuntimeError("boom")
    assert list((tmp_path / "abort").iterdir()) == []


def test_parquet_non_json_types_come_out_plain(tmp_path: Path) -> None:
    table = pa.table(
        {
            "when": pa.array([datetime.datetime(2024, 5, 1, 12, 30)], pa.timestamp("us")),
            "blob": pa.array([b"\x00\xff"], pa.binary()),
            "utf8_blob": pa.array([b"caf\xc3\xa9"], pa.binary()),
            "labels": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64())),
            "score": pa.array([0.5], pa.float32()),
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    [row] = data_of(tmp_path / "t.parquet")
    assert row == {
        "when": "2024-05-01T12:30:00",
        "blob": "base64:AP8=",
        "utf8_blob": "café",
        "labels": {"k": 1},
        "score": 0.5,
    }
    assert orjson.loads(orjson.dumps(row)) == row


def test_datasets_folders(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    train = datasets.Dataset.from_list(MESSAGES)
    folder = tmp_path / "saved"
    train.save_to_disk(str(folder))
    check_readable(folder)
    rows = rows_of(folder, display_name="saved")
    assert [r.data for r in rows] == MESSAGES and [r.row for r in rows] == [0, 1]
    both = tmp_path / "splits"
    test = datasets.Dataset.from_list(MESSAGES[:1])
    datasets.DatasetDict({"train": train, "test": test}).save_to_disk(str(both))
    check_readable(both)
    rows = rows_of(both)
    assert [r.data for r in rows] == [*MESSAGES, MESSAGES[0]]  # dataset_dict.json order: train, test
    assert [r.row for r in rows] == [0, 1, 2]
    assert expand_paths("*", tmp_path) == [folder, both]  # the folders, not the files inside them
    assert expand_paths("**/*", tmp_path) == [folder, both]  # nor the split folders of a DatasetDict
    assert expand_paths("splits/*", tmp_path) == [both / "test", both / "train"]
    (folder / "data-00000-of-00001.arrow").unlink()
    with pytest.raises(InputError, match="datasets folder is incomplete"):
        check_readable(folder)


# --- finding and checking inputs ------------------------------------------------------------------


def test_expand_paths(tmp_path: Path) -> None:
    for name in ("b.jsonl", "a.jsonl", "sub/c.jsonl", "sub/deeper/d.jsonl", "a-b/e.jsonl", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n")
    assert expand_paths("*.jsonl", tmp_path) == [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    found = expand_paths("**/*.jsonl", tmp_path)
    names = [p.relative_to(tmp_path).as_posix() for p in found]
    assert names == ["a-b/e.jsonl", "a.jsonl", "b.jsonl", "sub/c.jsonl", "sub/deeper/d.jsonl"]
    assert expand_paths(Path("sub") / "c.jsonl", tmp_path) == [tmp_path / "sub/c.jsonl"]
    assert expand_paths(str(tmp_path / "a.jsonl"), Path("/elsewhere")) == [tmp_path / "a.jsonl"]
    assert tmp_path / "notes.txt" in expand_paths("*", tmp_path)  # check_readable will name it
    assert display_path(found[-1], tmp_path) == "sub/deeper/d.jsonl"
    with pytest.raises(InputError, match=r"no file matches 'x/\*\.jsonl' \(looked in /"):
        expand_paths("x/*.jsonl", tmp_path)
    with pytest.raises(InputError, match=r"input not found: 'missing\.jsonl' \(looked in /"):
        expand_paths("missing.jsonl", tmp_path)


def test_check_readable(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "ok.jsonl.gz", ROWS)
    check_readable(good)
    cases = {
        "missing.jsonl": (None, "input not found"),
        "table.xlsx": (b"PK", r"unsupported file type \.xlsx; supported: \.jsonl, \.ndjson"),
        "data.gz": (gzip.compress(b"{}"), r"unsupported file type \.gz"),
        "bad.jsonl.gz": (b"\x1f\x8b\x08\xff garbage header", "corrupt gzip data"),
        "plain.json.gz": (b"[]", "not a gzip file"),
        "bad.jsonl.zst": (b"\x28\xb5\x2f\xfd garbage", "corrupt zstd data"),
        "bad.parquet": (b"not parquet at all", "not a valid Parquet file"),
        "wide.jsonl": ("{}".encode("utf-16"), "UTF-16"),
    }
    for name, (content, message) in cases.items():
        if content is not None:
            (tmp_path / name).write_bytes(content)
        with pytest.raises(InputError, match=message):
            check_readable(tmp_path / name)
    (tmp_path / "folder").mkdir()
    with pytest.raises(InputError, match="is a folder but not one written by datasets"):
        check_readable(tmp_path / "folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_check_readable_permission(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "secret.jsonl", ROWS)
    path.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        check_readable(path)


# --- writers --------------------------------------------------------------------------------------


def test_atomic_path_success_and_failure(tmp_path: Path) -> None:
    target = tmp_path / "out" / "result.json"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".") and tmp.name.endswith(".tmp")
        tmp.write_bytes(b"v1")
    assert target.read_bytes() == b"v1"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash")
    assert target.read_bytes() == b"v1"  # the old file, never a half new one
    assert sorted(p.name for p in target.parent.iterdir()) == ["result.json"]


def test_jsonl_writer_abort_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kept.jsonl.gz"
    with pytest.raises(KeyboardInterrupt), JsonlWriter(path) as writer:
        writer.write_lines(orjson.dumps({"i": i}) for i in range(100_000))  # several flushes
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="newline"), JsonlWriter(path) as writer:
        writer.write_line(b'{"a":\n1}')
    assert list(tmp_path.iterdir()) == []


def test_compressed_output_is_byte_identical(tmp_path: Path) -> None:
    lines = [orjson.dumps({"i": i, "text": "hello " * (i % 7)}) for i in range(5000)]
    for suffix in (".jsonl.gz", ".jsonl.zst", ".jsonl"):
        first, second = tmp_path / f"one{suffix}", tmp_path / f"two{suffix}"
        for path in (first, second):
            with JsonlWriter(path) as writer:
                writer.write_lines(lines)
            assert writer.count == 5000
        assert first.read_bytes() == second.read_bytes()
        assert [orjson.dumps(d) for d in data_of(first)] == lines
    header = (tmp_path / "one.jsonl.gz").read_bytes()[:10]
    assert header[3] == 0 and header[4:8] == b"\x00\x00\x00\x00"  # no FNAME flag, mtime 0


def test_sharded_jsonl_writer(tmp_path: Path) -> None:
    with ShardedJsonlWriter(tmp_path, "kept", max_records=2, compression="gzip") as writer:
        writer.write_lines(orjson.dumps(row) for row in ROWS)
    assert [p.name for p in writer.paths] == ["kept-00000.jsonl.gz", "kept-00001.jsonl.gz"]
    assert [r.data for p in writer.paths for r in iter_rows(p)] == ROWS
    assert writer.count == 3
    with ShardedJsonlWriter(tmp_path / "empty", "kept") as empty:
        pass
    assert [p.read_bytes() for p in empty.paths] == [b""]
    with pytest.raises(RuntimeError), ShardedJsonlWriter(tmp_path / "abort", "k", max_records=1) as writer:
        writer.write_lines(orjson.dumps(row) for row in ROWS)
        raise RuntimeError("boom")
    assert list((tmp_path / "abort").iterdir()) == []


def test_write_json_and_text(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "summary.json", {"b": [1, 2], "a": {"y": 1, "x": "é"}})
    assert (tmp_path / "summary.json").read_text() == (
        '{\n  "a": {\n    "x": "é",\n    "y": 1\n  },\n  "b": [\n    1,\n    2\n  ]\n}\n'
    )
    write_bytes_atomic(tmp_path / "raw.bin", b"\x00\x01")
    assert (tmp_path / "raw.bin").read_bytes() == b"\x00\x01"
    for name in ("card.md", "card.md.gz", "card.md.zst"):
        with open_text_writer(tmp_path / name) as f:
            f.write("# Card\nünïcode\n")
    assert (tmp_path / "card.md").read_bytes() == "# Card\nünïcode\n".encode()
    assert gzip.decompress((tmp_path / "card.md.gz").read_bytes()) == (tmp_path / "card.md").read_bytes()
    zst = zstandard.ZstdDecompressor().stream_reader((tmp_path / "card.md.zst").read_bytes()).read()
    assert zst == (tmp_path / "card.md").read_bytes()


def test_open_text_writer_failure_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), open_text_writer(tmp_path / "report.txt.gz") as f:
        f.write("partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
