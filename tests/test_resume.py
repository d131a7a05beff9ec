"""A run killed with SIGKILL part-way resumes from completed shards and ends byte-identical."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLE_DATA, write_recipe

from curator.errors import CuratorError
from curator.pipeline import run_recipe
from curator.recipe import load_recipe

CURATOR = Path(sys.executable).with_name("curator")
RECIPE = """\
sources:
  - {name: alpaca, path: big.jsonl, format: alpaca}
stages:
  - type: length
  - type: exact_dedup
run: {batch_size: 150}
"""


def build_input(folder: Path, copies: int = 60) -> None:
    """~18k rows from the real Alpaca slice: variants of each row, and every 5th variant a duplicate."""
    rows = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text())
    with (folder / "big.jsonl").open("w") as handle:
        for copy in range(copies):
            for row in rows:
                variant = copy - copy % 5 if copy % 5 == 4 else copy  # an exact duplicate of an earlier copy
                handle.write(json.dumps({**row, "instruction": f"{row['instruction']} (variant {variant})"}) + "\n")


def outputs(run: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(run)): p.read_bytes()
        for p in sorted(run.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("resume")
    build_input(folder)
    write_recipe(folder, RECIPE)
    run_recipe(load_recipe(folder / "recipe.yaml"), folder / "uninterrupted")
    return folder


def kill_when(process: subprocess.Popen, done_dir: Path, at_least: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if done_dir.exists() and len(list(done_dir.glob("*.pkl"))) >= at_least:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return
        if process.poll() is not None:
            pytest.fail("the run finished before it could be killed; make the input larger")
        time.sleep(0.002)
    process.kill()
    pytest.fail("the run never reached the point to kill it")


@pytest.mark.parametrize(("pass_index", "at_least"), [(0, 20), (1, 40)], ids=["during-adapt-and-length", "during-dedup"])
def test_killed_run_resumes_to_identical_output(workspace: Path, pass_index: int, at_least: int) -> None:
    out = workspace / f"killed-{pass_index}"
    command = [str(CURATOR), "run", str(workspace / "recipe.yaml"), "--out", str(out), "-q"]
    kill_when(subprocess.Popen(command), out / "_work" / "done" / f"pass{pass_index}", at_least)
    assert not (out / "manifest.json").exists()

    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run"]["resumed_shard_passes"] >= at_least
    assert manifest["conservation"]["holds"]
    assert not (out / "_work").exists()
    assert outputs(out) == outputs(workspace / "uninterrupted")


def test_unfinished_run_of_other_work_is_not_resumed(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    (out / "_work").mkdir(parents=True)
    (out / "_work" / "fingerprint").write_text("something else")
    with pytest.raises(CuratorError, match="unfinished run of another recipe"):
        run_recipe(load_recipe(workspace / "recipe.yaml"), out)
    manifest = run_recipe(load_recipe(workspace / "recipe.yaml"), out, overwrite=True).manifest
    assert manifest["run"]["resumed_shard_passes"] == 0
