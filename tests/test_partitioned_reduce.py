"""The partitioned dedup reduces (curator.dedup.partitioned) decide exactly what the in-process
reduces decide, for any number of parts, on real Alpaca rows with planted near and exact copies."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE_DATA, planted_alpaca_rows

from curator.dedup.partitioned import StoredDecisions, reduce_in_process
from curator.records import InstructionRecord
from curator.stages.exact_dedup import ExactDedup, ExactDedupConfig
from curator.stages.minhash_dedup import MinHashDedup, MinHashDedupConfig


def planted_records(seed: int = 7) -> list[InstructionRecord]:
    rows = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text(encoding="utf-8"))[:400]
    rng = random.Random(seed)
    texts = [(r["instruction"] + " " + r["input"]).strip() + "\n" + r["output"] for r in rows]
    planted = []
    for text in rng.sample(texts, 80):  # near copies: one word changed in a long text
        words = text.split()
        if len(words) > 40:
            words[rng.randrange(len(words))] = "zebra"
            planted.append(" ".join(words))
    planted += rng.sample(texts, 40)  # exact copies
    planted += ["", ""]  # no text: never anyone's duplicate
    everything = texts + planted
    rng.shuffle(everything)
    return [
        InstructionRecord(
            id=f"{i:024x}",
            messages=[{"role": "user", "content": " "}, {"role": "assistant", "content": t or " "}],
            provenance={"source": "alpaca"},
        )
        for i, t in enumerate(everything)
    ]


def _same(left, right) -> None:
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        np.testing.assert_array_equal(a.positions, b.positions)
        np.testing.assert_array_equal(a.kept, b.kept)
        np.testing.assert_array_equal(a.cluster_size, b.cluster_size)
        np.testing.assert_array_equal(a.similarity, b.similarity)
        assert a.kept_id == b.kept_id


def _partitioned(stage, records, tmp_path: Path, parts: int):
    plan = stage.partitioned_reduce()
    shards = [records[i : i + 37] for i in range(0, len(records), 37)]
    offsets = np.cumsum([0] + [len(s) for s in shards])
    paths = [tmp_path / f"sig/{i}.npz" for i in range(len(shards))]
    signatures = [stage.signatures(s) for s in shards]
    for sig, path in zip(signatures, paths, strict=True):
        plan.save(sig, path)
    decisions = [tmp_path / f"dec/{i}.npz" for i in range(len(shards))]
    reduce_in_process(plan, paths, offsets, tmp_path / f"scratch{parts}", decisions, parts)
    return stage.reduce(signatures), [StoredDecisions(p, plan.decisions_kind).load() for p in decisions]


@pytest.mark.parametrize("parts", [1, 3])
@pytest.mark.parametrize(
    "options",
    [{}, {"verify": False}, {"keep": "longest_response"}, {"threshold": 0.5, "shingles": "char", "ngram": 4}],
)
def test_partitioned_minhash_reduce_equals_in_process(tmp_path: Path, parts: int, options: dict) -> None:
    stage = MinHashDedup(MinHashDedupConfig(**options))
    local, partitioned = _partitioned(stage, planted_records(), tmp_path, parts)
    assert sum(int((~d.kept).sum()) for d in local) >= 60  # the planted copies are found
    if options.get("verify", True):  # near copies too, not only exact ones
        assert any((d.similarity[~d.kept] < 1).any() for d in local)
    _same(local, partitioned)


@pytest.mark.parametrize("parts", [1, 4])
@pytest.mark.parametrize("keep", ["first", "longest_response"])
def test_partitioned_exact_reduce_equals_in_process(tmp_path: Path, parts: int, keep: str) -> None:
    stage = ExactDedup(ExactDedupConfig(keep=keep))
    local, partitioned = _partitioned(stage, planted_records(), tmp_path, parts)
    assert sum(int((~d.kept).sum()) for d in local) >= 40
    _same(local, partitioned)


def boilerplate_records(seed: int = 11) -> list[InstructionRecord]:
    """Real Alpaca answers, some sharing lines and paragraphs (a repeated footer, answers pasted
    into others), plus empty texts: what line_dedup measures."""
    rows = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text(encoding="utf-8"))[:300]
    rng = random.Random(seed)
    outputs = [r["output"] for r in rows]
    texts = []
    for output in outputs:
        roll = rng.random()
        if roll < 0.2:
            output += "\n\nThis answer was reviewed.\nSee the guidelines."  # a repeated footer
        elif roll < 0.35:
            output = rng.choice(outputs) + "\n\n" + output  # another answer pasted in front
        texts.append(output)
    texts += ["", "\n\n", rng.choice(texts)]
    return [
        InstructionRecord(
            id=f"{i:024x}",
            messages=[{"role": "user", "content": "Answer."}, {"role": "assistant", "content": t or " "}],
            provenance={"source": "alpaca"},
        )
        for i, t in enumerate(texts)
    ]


@pytest.mark.parametrize("parts", [1, 3])
def test_partitioned_line_dedup_reduce_equals_in_process(tmp_path: Path, parts: int) -> None:
    from curator.stages.line_dedup import LineDedup, LineDedupConfig

    stage = LineDedup(LineDedupConfig(text="assistant"))
    local, partitioned = _partitioned(stage, boilerplate_records(), tmp_path, parts)
    assert sum(int(d["line"][2].sum()) for d in local) >= 80  # repeated lines were found
    assert sum(int(d["paragraph"][2].sum()) for d in local) >= 40
    assert len(local) == len(partitioned)
    for a, b in zip(local, partitioned, strict=True):
        assert list(a) == list(b) == ["line", "paragraph"]  # the order the annotations are written in
        for unit in a:
            for x, y in zip(a[unit], b[unit], strict=True):
                np.testing.assert_array_equal(x, y)
                assert x.dtype == y.dtype


# -- the local engine reduces partitioned, from files, and decides what the in-driver reduce decides --
def _planted_alpaca(tmp_path: Path) -> Path:
    """Real Alpaca rows with planted near copies (one word changed) and exact copies, a recipe
    with the three partitioned reduces (line_dedup tags repeated lines in each record)."""
    from conftest import write_recipe

    rng = random.Random(5)
    _, data = planted_alpaca_rows(rng)
    (tmp_path / "rows.json").write_text(json.dumps(data), encoding="utf-8")
    return write_recipe(
        tmp_path,
        "name: planted\nsources:\n  - {name: a, path: rows.json}\n"
        "stages:\n  - {type: line_dedup, text: assistant, max_duplicate_line_chars: 0.3, action: tag}\n"
        "  - {type: exact_dedup}\n  - {type: minhash_dedup, keep: longest_response}\n"
        "run: {batch_size: 40}\n",
    )


def test_local_engine_partitioned_reduce_same_output_as_in_driver(tmp_path: Path, monkeypatch) -> None:
    from conftest import run_files

    from curator.engines import local
    from curator.pipeline import run_recipe
    from curator.recipe import load_recipe
    from curator.stages.base import GlobalStage
    from curator.stages.line_dedup import LineDedup

    recipe = _planted_alpaca(tmp_path)
    partitioned = run_recipe(load_recipe(recipe), tmp_path / "parts", workers=1).manifest
    monkeypatch.setattr(local, "ROWS_PER_PART", 45)  # 9 parts (of ~45 rows) per phase
    many = run_recipe(load_recipe(recipe), tmp_path / "many", workers=1).manifest
    pooled = run_recipe(load_recipe(recipe), tmp_path / "pooled", workers=2).manifest
    # The reference: every stage's in-driver reduce over the signatures the shards sent back.
    for cls in (MinHashDedup, ExactDedup, LineDedup):
        monkeypatch.setattr(cls, "partitioned_reduce", GlobalStage.partitioned_reduce)
    driver = run_recipe(load_recipe(recipe), tmp_path / "driver", workers=1).manifest
    assert driver["run"]["reduced_in_workers"] == []
    for manifest in (partitioned, many, pooled):
        assert manifest["run"]["reduced_in_workers"] == ["line_dedup", "exact_dedup", "minhash_dedup"]
        assert manifest["counts"] == driver["counts"]
    removed = {s["name"]: s["removed"] for s in driver["stages"]}
    assert removed["exact_dedup"] >= 25 and removed["minhash_dedup"] >= 10
    assert {s["name"]: s["tagged"] for s in driver["stages"]}["line_dedup"] >= 25
    reference = run_files(tmp_path / "driver")
    for name in ("parts", "many", "pooled"):
        assert run_files(tmp_path / name) == reference  # byte-identical: records, removed, report
