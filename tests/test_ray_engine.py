"""The Ray engine gives the same output as the local engine (a local Ray limited to 2 CPUs)."""

from __future__ import annotations

import errno
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE_DATA, copy_sample, planted_alpaca_rows, run_files, write_recipe
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
    assert local["run"]["reduced_in_workers"] == distributed["run"]["reduced_in_workers"]  # the same plan
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
    overlap: the partitioned line-dedup (repeated lines tagged and counted in each record's
    annotations), MinHash and exact reduces on Ray and decontamination (a record stage:
    each worker holds the eval index, so nothing of it reduces in the driver) remove exactly
    what the local engine removes."""
    rng = random.Random(3)
    rows, data = planted_alpaca_rows(rng)
    (tmp_path / "rows.json").write_text(json.dumps(data), encoding="utf-8")
    evals = [{"instruction": "Answer.", "input": "", "output": row["output"]} for row in rng.sample(rows, 8)]
    (tmp_path / "evals.jsonl").write_text("".join(json.dumps(e) + "\n" for e in evals), encoding="utf-8")
    recipe_text = (
        "name: planted\nsources:\n  - {name: a, path: rows.json, license: CC-BY-NC-4.0}\n"
        "stages:\n  - {type: line_dedup, text: assistant, max_duplicate_line_chars: 0.3, action: tag}\n"
        "  - {type: exact_dedup}\n  - {type: minhash_dedup, keep: longest_response}\n"
        "  - {type: decontaminate, evals: [{name: planted, path: evals.jsonl}], text: assistant}\n"
        "run: {batch_size: 40}\n"
    )
    recipe = write_recipe(tmp_path, recipe_text)
    local = run_recipe(load_recipe(recipe), tmp_path / "local").manifest
    distributed = run_recipe(load_recipe(recipe), tmp_path / "ray", engine="ray", workers=2).manifest
    assert distributed["run"]["reduced_in_workers"] == ["line_dedup", "exact_dedup", "minhash_dedup"]
    assert {s["name"]: s["tagged"] for s in local["stages"]}["line_dedup"] >= 25  # the exact copies
    removed = {s["name"]: s["removed"] for s in local["stages"]}
    assert removed["exact_dedup"] >= 25 and removed["minhash_dedup"] >= 10
    assert removed["decontaminate"] >= 5
    assert run_files(tmp_path / "ray") == run_files(tmp_path / "local")


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("CURATOR_RAY_OOM_TEST") != "1",
    reason="opt-in (CURATOR_RAY_OOM_TEST=1): Ray's memory monitor picks which worker to kill, and when "
    "it picks one of Ray Data's own helper actors instead of the shard actor the run can stall",
)
def test_a_node_out_of_memory_is_one_error_line_with_advice(tmp_path: Path) -> None:
    """Ray's real memory monitor, told that 1 % of the machine's memory is the limit, kills the
    shard actor as it starts (nothing is allocated to get there): the run stops after its bounded
    restarts (instead of restarting it forever) with one `error:` line, exit code 3, no traceback."""
    copy_sample(tmp_path, "alpaca_52k_slice.json")
    recipe = write_recipe(
        tmp_path, "sources:\n  - {name: a, path: alpaca_52k_slice.json, license: CC-BY-NC-4.0}\n"
        "stages:\n  - type: length\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "CURATOR_DEBUG"},  # an earlier test may leave it set
        "RAY_memory_usage_threshold": "0.01",
        "RAY_memory_monitor_refresh_ms": "100",
        "RAY_task_oom_retries": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "curator.cli", "run", str(recipe), "--out", str(tmp_path / "run"),
         "--engine", "ray", "--workers", "1"],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 3, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert errors[0].startswith("error: the system refused: out of memory: Ray's memory monitor stopped")
    assert "use fewer --workers, a smaller run.batch_size or nodes with more memory" in errors[0]
    assert done.stderr.rstrip().endswith(errors[0])  # the last word is ours


def test_an_error_raised_in_a_ray_task_is_its_own_one_line(ray_local: None) -> None:
    """A CuratorError raised inside a Ray task (a reduce part missing its input) reaches the CLI
    as that error, not as Ray's wrapper whose text carries the remote traceback."""
    from curator.engines.ray import _as_user_error
    from curator.errors import CuratorError

    @ray.remote(max_retries=0)
    def missing() -> None:
        raise CuratorError("s3://b/run/_work/signatures/pass0/000000.npz: missing from the work folder")

    with pytest.raises(ray.exceptions.RayTaskError) as raised:
        ray.get(missing.remote())
    assert "\n  File " in str(raised.value)  # the remote stack the CLI would have printed
    error = _as_user_error(ray, raised.value)
    assert type(error) is CuratorError
    assert str(error) == "s3://b/run/_work/signatures/pass0/000000.npz: missing from the work folder"
    oom = ray.exceptions.OutOfMemoryError(
        "1 worker(s) were killed due to the node running low on memory. Memory on the node "
        "(IP: 10.0.0.7, ID: ab12) was 60.10GB used / 62.00GB limit (0.969)\nOOM kill reason: …"
    )
    error = _as_user_error(ray, oom)
    assert isinstance(error, OSError) and error.errno == errno.ENOMEM
    assert "(node 10.0.0.7: 60.10GB used of 62.00GB)" in str(error) and "\n" not in str(error)
