"""A run killed with SIGKILL part-way resumes from completed shards and ends byte-identical."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from interrupted_runs import CURATOR, kill_when, outputs

from curator.errors import CuratorError
from curator.pipeline import run_recipe
from curator.recipe import load_recipe


@pytest.mark.parametrize(
    ("pass_index", "at_least"), [(0, 20), (1, 40)], ids=["during-adapt-and-length", "during-dedup"]
)
def test_killed_run_resumes_to_identical_output(
    resume_workspace: Path, pass_index: int, at_least: int
) -> None:
    out = resume_workspace / f"killed-{pass_index}"
    command = [str(CURATOR), "run", str(resume_workspace / "recipe.yaml"), "--out", str(out), "-q"]
    kill_when(subprocess.Popen(command), out / "_work" / "done" / f"pass{pass_index}", at_least)
    assert not (out / "manifest.json").exists()

    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run"]["resumed_shard_passes"] >= at_least
    assert manifest["conservation"]["holds"]
    assert not (out / "_work").exists()
    assert outputs(out) == outputs(resume_workspace / "uninterrupted")


def test_unfinished_run_of_other_work_is_not_resumed(resume_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    (out / "_work").mkdir(parents=True)
    (out / "_work" / "fingerprint").write_text("something else")
    with pytest.raises(CuratorError, match="unfinished run of another recipe"):
        run_recipe(load_recipe(resume_workspace / "recipe.yaml"), out)
    manifest = run_recipe(load_recipe(resume_workspace / "recipe.yaml"), out, overwrite=True).manifest
    assert manifest["run"]["resumed_shard_passes"] == 0
