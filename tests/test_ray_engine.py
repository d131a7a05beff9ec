"""The Ray engine gives the same output as the local engine (a local Ray limited to 2 CPUs)."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest
from conftest import SAMPLE_DATA, run_files, write_recipe
from interrupted_runs import CURATOR, kill_when, outputs

from curator.pipeline import run_recipe
from curator.recipe import load_recipe

ray = pytest.importorskip("ray", reason="the ray extra is not installed")


@pytest.fixture(scope="module")
def ray_local():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_sample_recipe_same_output_on_ray_and_local(sample_run, tmp_path: Path, ray_local: None) -> None:
    reference, process = sample_run  # the local engine, 1 process
    assert process.returncode == 0, process.stderr
    recipe = load_recipe(SAMPLE_DATA / "recipe.yaml")
    recipe.recipe.run.batch_size = 64  # many shards per file: exercises byte-offset JSONL shards
    distributed = run_recipe(recipe, tmp_path / "ray", engine="ray", workers=2).manifest
    local = json.loads((reference / "manifest.json").read_text())
    assert distributed["run"]["engine"] == "ray"
    # Both dedup reduces ran partitioned in Ray tasks; exact dedup had copies to find (the
    # sample has no near copies left after it: the next test plants them).
    assert distributed["run"]["reduced_in_workers"] == ["exact_dedup", "minhash_dedup"]
    assert local["run"].get("reduced_in_workers", []) == []
    assert {s["name"]: s["removed"] for s in local["stages"]}["exact_dedup"] > 0
    assert distributed["counts"] == local["counts"]
    # Same bytes in every file: not only the same records, the same files in the same order.
    assert run_files(tmp_path / "ray") == run_files(reference)


def test_killed_run_resumes_on_ray_to_identical_output(resume_workspace: Path, ray_local: None) -> None:
    """Completion markers are engine-agnostic: a local run killed mid-way finishes on Ray."""
    out = resume_workspace / "killed-then-ray"
    command = [str(CURATOR), "run", str(resume_workspace / "recipe.yaml"), "--out", str(out), "-q"]
    kill_when(subprocess.Popen(command), out / "_work" / "done" / "pass0", 20)
    manifest = run_recipe(
        load_recipe(resume_workspace / "recipe.yaml"), out, engine="ray", workers=2
    ).manifest
    assert manifest["run"]["resumed_shard_passes"] >= 20
    assert outputs(out) == outputs(resume_workspace / "uninterrupted")


def test_planted_near_duplicates_same_output_with_ray_worker_reduce(
    tmp_path: Path, ray_local: None
) -> None:
    """Real Alpaca rows with planted near copies (one word changed), exact copies and eval
    overlap: the partitioned MinHash and exact reduces on Ray and decontamination (a record stage:
    each worker holds the eval index, so nothing of it reduces in the driver) remove exactly
    what the local engine removes."""
    rows = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text(encoding="utf-8"))[:300]
    rng = random.Random(3)
    planted = []
    for row in rng.sample(rows, 60):
        words = row["output"].split()
        if len(words) > 30:
            words[rng.randrange(len(words))] = "zebra"
            planted.append({**row, "output": " ".join(words)})
    planted += rng.sample(rows, 30)
    data = rows + planted
    rng.shuffle(data)
    (tmp_path / "rows.json").write_text(json.dumps(data), encoding="utf-8")
    evals = [{"instruction": "Answer.", "input": "", "output": row["output"]} for row in rng.sample(rows, 8)]
    (tmp_path / "evals.jsonl").write_text("".join(json.dumps(e) + "\n" for e in evals), encoding="utf-8")
    recipe_text = (
        "name: planted\nsources:\n  - {name: a, path: rows.json, license: CC-BY-NC-4.0}\n"
        "stages:\n  - {type: exact_dedup}\n  - {type: minhash_dedup, keep: longest_response}\n"
        "  - {type: decontaminate, evals: [{name: planted, path: evals.jsonl}], text: assistant}\n"
        "run: {batch_size: 40}\n"
    )
    recipe = write_recipe(tmp_path, recipe_text)
    local = run_recipe(load_recipe(recipe), tmp_path / "local").manifest
    distributed = run_recipe(load_recipe(recipe), tmp_path / "ray", engine="ray", workers=2).manifest
    assert distributed["run"]["reduced_in_workers"] == ["exact_dedup", "minhash_dedup"]
    removed = {s["name"]: s["removed"] for s in local["stages"]}
    assert removed["exact_dedup"] >= 25 and removed["minhash_dedup"] >= 10
    assert removed["decontaminate"] >= 5
    assert run_files(tmp_path / "ray") == run_files(tmp_path / "local")
