"""Decontamination against real eval sets: n-gram overlap found and named, from any file format,
through a recipe with relative paths, and as the library call the SFT runner uses."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE_DATA, read_jsonl, write_recipe

from curator.errors import CuratorError
from curator.formats import get_format
from curator.pipeline import run_recipe
from curator.recipe import load_recipe
from curator.records import InstructionRecord
from curator.removed import removed_detail
from curator.report.builder import build_report
from curator.report.duplicates import ContaminationSection, DuplicatesSection
from curator.stage_inputs import setup_context
from curator.stages import build_stage
from curator.stages.decontaminate import DecontaminateConfig, find_contamination

EVAL_FILE = SAMPLE_DATA / "user_oriented_instructions.jsonl"


def eval_records() -> list[InstructionRecord]:
    fmt = get_format("self_instruct")
    return [
        fmt.to_record(row, {"source": "user_oriented", "row": i})
        for i, row in enumerate(read_jsonl(EVAL_FILE))
    ]


def train_records() -> list[InstructionRecord]:
    alpaca = get_format("alpaca")
    rows = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text())
    return [alpaca.to_record(row, {"source": "alpaca", "row": i}) for i, row in enumerate(rows)]


def record(user: str, assistant: str, row: int = 0) -> InstructionRecord:
    return InstructionRecord(
        messages=[{"role": "user", "content": user}, {"role": "assistant", "content": assistant}],
        provenance={"source": "train", "row": row},
    )


def leaked_rows() -> list[dict]:
    """Training rows that quote eval items: a reworded prompt around a verbatim eval sentence."""
    evals = read_jsonl(EVAL_FILE)
    return [
        {
            "instruction": "Please help with this: " + evals[5]["instruction"].upper(),
            "input": "",
            "output": "Sure.",
        },
        {
            "instruction": "Answer the question.",
            "input": "",
            "output": "As asked, " + evals[75]["instances"][0]["output"],
        },
    ]


def test_find_contamination_names_train_and_eval_ids() -> None:
    train = train_records()
    alpaca = get_format("alpaca")
    leaks = [alpaca.to_record(row, {"source": "leak", "row": i}) for i, row in enumerate(leaked_rows())]
    evals = eval_records()
    result = find_contamination([*train, *leaks], evals, ngram=13)
    assert result.contaminated_train_ids == [leak.id for leak in leaks]
    assert result.hit_eval_ids == [evals[5].id, evals[75].id]
    assert result.matches == {leaks[0].id: [evals[5].id], leaks[1].id: [evals[75].id]}
    assert result.train_checked == len(train) + 2 and result.eval_items == 252
    # The SFT runner's switch finds this function and reads the same ids.
    from curator.train.decontam import find_overlap

    overlap = find_overlap([*train, *leaks], evals)
    assert overlap.train_ids == {leak.id for leak in leaks}
    assert overlap.eval_ids == {evals[5].id, evals[75].id}


def test_short_eval_items_match_whole_and_shorter_ones_are_reported_unchecked() -> None:
    evals = [
        record("Name the capital city of France for me", "Paris"),  # 8 words: matched whole
        record("Hi", "Hello"),  # too short to check
    ]
    train = [
        record("Quiz: name the capital city of France for me!", "It is Paris, of course.", row=1),
        record("Name the capital city of Spain for me", "Madrid", row=2),
        record("Hi", "Hello", row=3),
    ]
    result = find_contamination(train, evals, text="conversation", eval_text="conversation")
    assert result.contaminated_train_ids == []  # the role words: "user ... assistant paris" is not in train
    result = find_contamination(train, evals, eval_text="user", text="user")
    assert result.contaminated_train_ids == [train[0].id]
    assert result.eval_unchecked_ids == [evals[1].id]
    result = find_contamination(train, evals, ngram=13, min_words=20, eval_text="user", text="user")
    assert result.contaminated_train_ids == [] and len(result.eval_unchecked_ids) == 2


def test_stage_in_a_recipe_reads_eval_sets_in_any_format_relative_to_the_recipe(tmp_path: Path) -> None:
    evals = read_jsonl(EVAL_FILE)
    (tmp_path / "evals").mkdir()
    # The same eval items as Parquet, with their own column names.
    table = pa.Table.from_pylist(
        [{"question": e["instruction"], "answer": e["instances"][0]["output"]} for e in evals[:60]]
    )
    pq.write_table(table, tmp_path / "evals" / "first60.parquet")
    (tmp_path / "evals" / "rest.jsonl").write_text(EVAL_FILE.read_text().split("\n", 60)[60])
    train = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text())[:100] + leaked_rows()
    (tmp_path / "train.json").write_text(json.dumps(train))
    recipe = write_recipe(
        tmp_path,
        "sources:\n  - {name: train, path: train.json}\n"
        "stages:\n"
        "  - type: decontaminate\n"
        "    evals:\n"
        "      - name: first60\n"
        "        path: evals/first60.parquet\n"
        "        columns: {question: instruction, answer: output}\n"
        "      - {name: rest, path: 'evals/r*.jsonl', format: self_instruct}\n",
    )
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    import os

    before = os.getcwd()
    os.chdir(elsewhere)  # relative eval paths resolve against the recipe, not the working folder
    try:
        manifest = run_recipe(load_recipe(recipe), tmp_path / "run").manifest
    finally:
        os.chdir(before)
    assert manifest["conservation"]["holds"]
    removed = read_jsonl(tmp_path / "run" / "removed" / "decontaminate.jsonl")
    assert [entry["record"]["provenance"]["row"] for entry in removed] == [100, 101]
    first, second = (removed_detail(entry) for entry in removed)
    assert all(entry["reason"] == "eval_overlap" for entry in removed)
    assert first["eval_hits"] == [{"eval_set": "first60", "id": first["eval_hits"][0]["id"], "row": 5}]
    assert second["eval_hits"] == [{"eval_set": "rest", "id": "user_oriented_task_75", "row": 15}]
    assert second["shared_ngrams"] > 1 and len(second["first_match"].split()) == 13
    annotation = removed[1]["record"]["annotations"]["extra"]["decontaminate"]
    assert annotation["eval_hits"] == second["eval_hits"]

    report = build_report(tmp_path / "run", sections=[ContaminationSection, DuplicatesSection])
    contamination = next(s for s in report.sections if s.key == "contamination")
    assert contamination.summary == {
        "contaminated_records": 2,
        "contaminated_percent": round(100 * 2 / 102, 2),
        "eval_items_hit": 2,
    }
    assert {row[0] for row in contamination.tables[0].rows} == {"first60", "rest"}
    assert len(contamination.examples) == 2


def test_missing_eval_file_is_an_error_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "train.json").write_text(json.dumps([{"instruction": "a", "input": "", "output": "b"}]))
    recipe = write_recipe(
        tmp_path,
        "sources:\n  - {name: train, path: train.json}\n"
        "stages:\n  - {type: decontaminate, evals: [{name: mmlu, path: evals/mmlu.jsonl}]}\n",
    )
    with pytest.raises(CuratorError, match="eval set 'mmlu': input not found"):
        run_recipe(load_recipe(recipe), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_tag_keeps_the_record_and_flags_it() -> None:
    config = DecontaminateConfig(evals=[{"path": str(EVAL_FILE)}], action="tag")
    stage = build_stage(config)
    stage.setup(setup_context(config))  # the pipeline reads the eval sets and hands them over
    alpaca = get_format("alpaca")
    records = [alpaca.to_record(row, {"source": "leak", "row": i}) for i, row in enumerate(leaked_rows())]
    result = stage.process(records)
    assert len(result.kept) == 2 and result.tagged == 2 and not result.removed
    assert records[0].annotations.quality_flags == ["decontaminate:eval_overlap"]
    assert stage.summary()["eval_items"] == {"user_oriented_instructions.jsonl": 252}
