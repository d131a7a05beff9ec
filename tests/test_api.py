"""The Python API: `import curator` runs recipes, reads files and applies stages in memory; the
README's Python example and every script in examples/ run as written."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SAMPLE_DATA, light_sample_recipe

import curator
from curator.removed import removed_detail

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def test_the_package_exports_a_typed_api() -> None:
    assert (ROOT / "curator" / "py.typed").is_file()
    for name in curator.__all__:
        assert getattr(curator, name) is not None, name
    assert callable(curator.run_recipe) and callable(curator.apply) and callable(curator.read_records)


def test_apply_makes_the_decisions_a_run_makes(tmp_path: Path) -> None:
    recipe = light_sample_recipe(tmp_path, keep=("length", "exact_dedup"))
    result = curator.run_recipe(recipe, tmp_path / "run")
    run_removed = {}
    for stage in ("length", "exact_dedup"):
        for line in (tmp_path / "run" / "removed" / f"{stage}.jsonl").open():
            entry = json.loads(line)
            run_removed[entry["record"]["id"]] = (stage, entry["reason"], removed_detail(entry))
    records = []
    for source in curator.load_recipe(recipe).recipe.sources:  # the same rows, read by the API
        records += curator.read_records(source.path, format=source.format, columns=source.columns,
                                        source=source.name, license=source.license, base_dir=tmp_path)
    out = curator.apply(records, [{"type": "length"}, {"type": "exact_dedup"}])
    mine = {r.record.id: (r.stage, r.reason, r.detail) for r in out.removed}
    assert mine == run_removed
    assert len(out.kept) == result.manifest["counts"]["kept"]


def test_apply_takes_dataframes_datasets_and_dicts_in_any_format() -> None:
    from datasets import Dataset

    rows = [
        {"instruction": "Name a colour.", "output": "Blue is one."},
        {"instruction": "Name a colour.", "output": "Blue is one."},
        {"instruction": "Name a colour.", "output": "no"},
    ]
    stages = [{"type": "length", "min_output_words": 2}, {"type": "exact_dedup"}]
    for data in (rows, pd.DataFrame(rows), Dataset.from_list(rows)):
        out = curator.apply(data, stages)
        assert [(r.stage, r.reason) for r in out.removed] == [
            ("length", "output_too_short_words"), ("exact_dedup", "exact_duplicate")]
        assert [m.content for m in out.kept[0].messages] == ["Name a colour.", "Blue is one."]
    frame = out.removed_frame()
    assert list(frame["reason"]) == ["output_too_short_words", "exact_duplicate"]
    with pytest.raises(curator.CuratorError, match="row 0"):
        curator.apply([{"instruction": "q", "output": 5}], {"type": "length"})


def test_read_records_collects_bad_rows_instead_of_raising() -> None:
    errors: list[str] = []
    records = curator.read_records(SAMPLE_DATA / "messy_chat.jsonl", errors=errors)
    assert len(records) == 5 and len(errors) == 5
    assert all(isinstance(r, curator.InstructionRecord) for r in records)


def test_readme_python_example_runs_as_written(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # Whole scripts (they start with their imports); fragments that only show a class's shape
    # (e.g. "Adding a stage") are not meant to run alone.
    blocks = [b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if b.startswith("import ")]
    assert any("curator.run_recipe(" in b for b in blocks) and any("class MaxUrls" in b for b in blocks)
    shutil.copytree(SAMPLE_DATA, tmp_path / "sample_data")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for block in blocks:
        done = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "runs" / "api_sample" / "manifest.json").is_file()


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_script_runs(script: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "out")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
