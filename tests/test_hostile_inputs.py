"""Hostile input is normal input: truncated archives, bombs, deep nesting, huge rows, odd files.

Each test builds its hostile file itself and checks the promise: an error naming the file, or
every readable row plus a rejection that says why — never a silent short count, a crash, or
memory that grows with the attack.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from curator.errors import InputError, RecipeError
from curator.io import check_readable, iter_rows
from curator.io.rows import ReadLimits
from curator.io.safe_yaml import YamlLimitError, load_bounded
from curator.recipe import parse_recipe

ROW = orjson.dumps({"instruction": "Say hi.", "output": "Hi there, friend."}) + b"\n"


def _rows(n: int) -> bytes:
    rows = ({"instruction": f"Question {i}?", "output": f"Answer {i} " * 8} for i in range(n))
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


# -- silent data loss ---------------------------------------------------------------------------


def test_truncated_zstd_is_an_error_naming_the_file(tmp_path: Path) -> None:
    data = zstandard.ZstdCompressor(level=3).compress(_rows(30_000))
    path = tmp_path / "cut.jsonl.zst"
    path.write_bytes(data[: len(data) // 2])
    check_readable(path)  # the header is fine: the damage shows only at the end
    with pytest.raises(InputError, match=r"cut\.jsonl\.zst: read failed after \d+ rows: .*truncated"):
        list(iter_rows(path))


def test_concatenated_zstd_frames_read_whole(tmp_path: Path) -> None:
    rows = _rows(5_000)
    half = len(rows) // 2 + 7  # cut mid-line: the frames join into one stream
    c = zstandard.ZstdCompressor(level=3)
    path = tmp_path / "frames.jsonl.zst"
    path.write_bytes(c.compress(rows[:half]) + c.compress(rows[half:]))
    assert sum(1 for r in iter_rows(path) if r.ok) == 5_000


@pytest.mark.parametrize("cut", [10, 200, 1000])
def test_truncated_gzip_anywhere_is_an_error(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(_rows(3_000))[:-cut])
    with pytest.raises(InputError, match=r"cut\.jsonl\.gz"):
        list(iter_rows(path))


def test_corrupt_gzip_body_is_an_error(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(_rows(3_000)))
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "flipped.jsonl.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"flipped\.jsonl\.gz"):
        list(iter_rows(path))


def test_broken_parquet_footer_is_refused_up_front(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"instruction": ["a"] * 100, "output": ["b"] * 100}), path)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(InputError, match=r"t\.parquet: not a valid Parquet file"):
        check_readable(path)


def test_csv_quote_left_open_at_the_end_is_an_error_not_a_merged_row(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    body = "".join(f"q{i},a{i}\n" for i in range(100))
    path.write_text('instruction,output\n' + body + 'q100,"this quote never closes\nq101,a101\n')
    with pytest.raises(InputError, match=r"t\.csv: line \d+"):
        list(iter_rows(path))


# -- unbounded input --------------------------------------------------------------------------


def test_huge_row_is_rejected_with_its_size_and_the_rest_reads(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    huge = orjson.dumps({"instruction": "x", "output": "y" * 3_000_000}) + b"\n"
    path.write_bytes(ROW + huge + ROW)
    rows = list(iter_rows(path, limits=ReadLimits(max_row_bytes=1 << 20)))
    assert [r.ok for r in rows] == [True, False, True]
    assert rows[1].line == 2 and rows[1].raw is None
    assert "3,000,0" in rows[1].error and "max_row_bytes" in rows[1].error


def test_gzip_of_zeros_is_stopped_as_a_bomb(tmp_path: Path) -> None:
    path = tmp_path / "zeros.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        chunk = b"\0" * (1 << 20)
        for _ in range(300):  # 300 MiB of zeros in ~300 KB
            f.write(chunk)
    assert path.stat().st_size < 400_000
    with pytest.raises(InputError, match="decompression bomb"):
        list(iter_rows(path))


def test_bomb_memory_stays_bounded(tmp_path: Path) -> None:
    """Under a 1 GiB address-space limit, reading a zstd bomb of newline-free bytes ends in an error."""
    path = tmp_path / "bomb.jsonl.zst"
    with path.open("wb") as raw, zstandard.ZstdCompressor(level=19).stream_writer(raw) as w:
        for _ in range(2048):
            w.write(b"a" * (1 << 20))  # 2 GiB, one "line"
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
        from curator.errors import InputError
        from curator.io import iter_rows
        try:
            rows = list(iter_rows({str(path)!r}))
        except InputError as exc:
            print("error:", exc)
            sys.exit(0)
        print("rows", [r.error for r in rows])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "decompression bomb" in done.stdout or "over the" in done.stdout


@pytest.mark.parametrize("kind", ["fifo", "devzero"])
def test_non_regular_inputs_are_refused_up_front(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "rows.jsonl"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    with pytest.raises(InputError, match="not a regular file"):
        check_readable(path)


def test_huge_json_array_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_bytes(b"[" + b",".join([ROW.strip()] * 2000) + b"]")
    with pytest.raises(InputError, match="JSON Lines"):
        list(iter_rows(path, limits=ReadLimits(max_document_bytes=10_000)))


# -- nesting and numbers ----------------------------------------------------------------------


def test_deep_nesting_is_rejected_per_row(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    deep_extra = b'{"instruction": "a", "output": "b", "extra": ' + b"[" * 300 + b"]" * 300 + b"}\n"
    very_deep = b'{"x": "\\ud800", "y": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    path.write_bytes(ROW + deep_extra + very_deep + ROW)
    rows = list(iter_rows(path))
    assert [r.ok for r in rows] == [True, False, False, True]
    assert "nested deeper than 64" in rows[1].error
    assert rows[2].error  # orjson's own recursion limit, or ours: a reason, not a crash


def test_deep_nesting_in_a_json_array_is_rejected_per_row(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(b'[{"a": 1}, {"a": ' + b"[" * 200 + b"]" * 200 + b"}]")
    rows = list(iter_rows(path))
    assert [r.ok for r in rows] == [True, False]


def test_big_integers_are_kept_exact(tmp_path: Path) -> None:
    path = tmp_path / "ints.jsonl"
    path.write_bytes(b'{"instruction": "a", "output": "b", "id": 123456789012345678901234567890}\n')
    (row,) = list(iter_rows(path))
    assert row.data["id"] == 123456789012345678901234567890


# -- YAML -------------------------------------------------------------------------------------

_LAUGHS = "\n".join(
    [
        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
        *(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]"
            for i in range(8)
        ),
    ]
)


def test_yaml_alias_bomb_in_a_recipe_is_a_recipe_error() -> None:
    with pytest.raises(RecipeError, match="expands to more than"):
        parse_recipe(_LAUGHS + "\nsources: [{name: a, path: x.jsonl}]\n", "bomb.yaml")


def test_yaml_recursive_alias_and_python_tags_are_refused() -> None:
    with pytest.raises(YamlLimitError, match="recursive"):
        load_bounded("a: &a [*a]\n", max_bytes=1000)
    with pytest.raises(RecipeError, match="invalid YAML"):
        parse_recipe("sources: !!python/object/apply:os.system ['true']\n", "evil.yaml")


def test_yaml_set_is_not_plain_data() -> None:
    with pytest.raises(YamlLimitError, match="set"):
        load_bounded("license: !!set {mit: null}\n", max_bytes=1000)
    assert load_bounded("date: 2024-01-02\n", max_bytes=1000) == {"date": "2024-01-02"}


def test_card_with_a_bomb_or_a_set_is_ignored_not_a_crash(tmp_path: Path) -> None:
    from curator.ingest.cards import read_readme

    card = tmp_path / "README.md"
    card.write_text("---\n" + _LAUGHS + "\nlicense: mit\n---\n# Data\n")
    assert read_readme(card) is None
    card.write_text("---\nlicense: !!set {mit: null}\n---\n# Data\n")
    assert read_readme(card) is None
    card.write_text("---\nlicense: mit\n---\n# Data\n")
    assert read_readme(card).license == "MIT"


# -- names and numbers in recipes -------------------------------------------------------------


@pytest.mark.parametrize(
    "recipe",
    [
        "sources: [{name: a/b, path: x.jsonl}]",
        "sources: [{name: ok, path: x.jsonl}]\nstages: [{type: length, name: ../../x}]",
        "sources: [{name: ok, path: x.jsonl}]\nmixtures: [{name: .hidden}]",
        "sources: [{name: ok, path: x.jsonl}]\nvalidation: {eval: [x.jsonl], out: ../../x}",
    ],
)
def test_names_that_would_become_paths_are_refused(recipe: str) -> None:
    with pytest.raises(RecipeError, match="is not a safe name"):
        parse_recipe(recipe, "r.yaml")


def test_out_of_range_seed_is_a_recipe_error() -> None:
    with pytest.raises(RecipeError, match=r"r\.yaml:1: seed"):
        parse_recipe(f"seed: {2**64}\nsources: [{{name: ok, path: x.jsonl}}]\n", "r.yaml")


# -- fuzzing ----------------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".jsonl", ".json", ".csv", ".jsonl.gz"]))
def test_readers_never_crash_on_arbitrary_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    if suffix.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    try:
        check_readable(path)
        rows = list(iter_rows(path))
    except InputError:
        return  # a whole-file problem, one clear line
    assert all((r.data is None) == (r.error is not None) for r in rows)
    assert [r.row for r in rows] == list(range(len(rows)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_recipe_loader_never_crashes(text: str) -> None:
    with contextlib.suppress(RecipeError):
        parse_recipe(text, "fuzz.yaml")


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=30,
    )
)
def test_any_json_row_reads_back_or_is_rejected(value: object) -> None:
    line = json.dumps(value).encode() + b"\n"  # the stdlib: integers of any size
    from curator.io.jsonl import read_jsonl
    from curator.io.rows import ReadStats

    (row,) = list(read_jsonl(io.BytesIO(line), "x", ReadStats()))
    if isinstance(value, dict):
        assert row.data == value
    else:
        assert row.error


def test_row_limit_is_set_in_the_recipe_and_whole_runs_reject_the_row(tmp_path: Path) -> None:
    from curator.pipeline import run_recipe
    from curator.recipe import load_recipe

    big = orjson.dumps({"instruction": "x y", "output": "z " * 40_000}) + b"\n"
    (tmp_path / "in.jsonl").write_bytes(ROW + big + ROW)
    (tmp_path / "r.yaml").write_text(
        "sources: [{name: a, path: in.jsonl}]\nrun: {limits: {max_row_bytes: 10000}}\n"
    )
    manifest = run_recipe(load_recipe(tmp_path / "r.yaml"), tmp_path / "run").run
    assert (manifest.counts.kept, manifest.counts.rejected) == (2, 1)
    rejected = orjson.loads((tmp_path / "run" / "rejected.jsonl").read_bytes())
    assert rejected["line"] == 2 and "max_row_bytes" in rejected["error"]
