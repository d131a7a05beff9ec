"""Ray runs whose run folder (and so the work files) is on S3, against moto's real S3 server:
an interrupted run resumes to the same bytes, local inputs are uploaded for the workers.

The driver runs as a real ``curator run … --engine ray`` process; a kill is a SIGKILL of that
process (Ray's own processes share its fate), taken once its completion markers exist.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLE_DATA, copy_sample
from test_remote import curator, remote_files, s3  # noqa: F401 (s3: the module's S3 server fixture)

pytest.importorskip("ray", reason="the ray extra is not installed")
psutil = pytest.importorskip("psutil")
s3fs = pytest.importorskip("s3fs")

RESUME_RECIPE = """\
sources:
  - {name: alpaca, path: "s3://inputs/resume/big.jsonl", format: alpaca, license: CC-BY-NC-4.0}
stages:
  - type: length
  - type: exact_dedup
  - {type: minhash_dedup, keep: longest_response}
run: {batch_size: 100}
"""


def big_rows(copies: int) -> str:
    """Variants of the real Alpaca slice: every 5th copy repeats an earlier one, every 7th differs
    from an earlier one by one word (exact and near duplicates across shards)."""
    rows = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text(encoding="utf-8"))
    lines = []
    for copy in range(copies):
        variant = copy - copy % 5 if copy % 5 == 4 else copy
        for row in rows:
            output = row["output"] + (" Indeed." if copy % 7 == 6 else "")
            instruction = f"{row['instruction']} (v{variant})"
            lines.append(json.dumps({**row, "instruction": instruction, "output": output}))
    return "\n".join(lines) + "\n"


def ray_run(recipe: Path, url: str, env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "curator.cli", "run", str(recipe), "--out", url, "-q",
               "--engine", "ray", "--workers", "2"]
    return subprocess.Popen(command, cwd=recipe.parent, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_after(process: subprocess.Popen, markers: Path, at_least: int) -> int:
    """SIGKILL the driver once ``markers`` holds ``at_least`` completion markers. Ray's workers
    die with it; its dashboard and runtime-env agents may linger a while: the processes of the
    driver's session still there after 10 s are ended by id. Returns the markers' count."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        count = len(list(markers.glob("*.npz"))) if markers.is_dir() else 0
        if count >= at_least:
            session = [p for p in psutil.process_iter() if _session(p) == process.pid]
            os.kill(process.pid, signal.SIGKILL)
            process.communicate()
            _gone, alive = psutil.wait_procs([p for p in session if p.pid != process.pid], timeout=10)
            for left in alive:
                left.kill()
            return count
        if process.poll() is not None:
            _out, err = process.communicate()
            pytest.fail(f"the run ended (rc {process.returncode}) before the kill: {err[-2000:]}")
        time.sleep(0.01)
    process.kill()
    pytest.fail("the run never reached the point to kill it")


def _session(process: psutil.Process) -> int | None:
    try:
        return os.getsid(process.pid)
    except (OSError, psutil.Error):
        return None


@pytest.mark.slow
def test_a_killed_ray_run_on_s3_resumes_to_identical_output(
    s3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """Killed in pass 0 (some shards' spills and signatures on the bucket), resumed and killed
    again in pass 1 (the partitioned reduce's decisions on the bucket), resumed and interrupted
    after the engine, resumed to the end: the published run equals an uninterrupted run's byte
    for byte, every row accounted for, and no attempt's work files are left anywhere."""
    from curator.io.remote import staging_dir

    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.pipe_file("inputs/resume/big.jsonl", big_rows(12).encode())  # 3,576 rows: 36 shards
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RESUME_RECIPE, encoding="utf-8")
    env = {**os.environ, **s3, "CURATOR_CACHE": str(tmp_path / "cache")}
    done = curator("run", str(recipe), "--out", "s3://runs/resume-reference", "-q", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr

    url = "s3://runs/resume-ray"
    monkeypatch.setenv("CURATOR_CACHE", env["CURATOR_CACHE"])
    work = staging_dir(url) / "_work"  # the driver's folder: its completion markers
    killed_in_pass0 = kill_after(ray_run(recipe, url, env), work / "done" / "pass0", 8)
    assert killed_in_pass0 < 36
    assert fs.exists("runs/resume-ray/_work/signatures/pass0")  # the killed run's work is on the bucket
    assert not fs.exists("runs/resume-ray/manifest.json")
    killed_in_pass1 = kill_after(ray_run(recipe, url, env), work / "done" / "pass1", 8)
    assert killed_in_pass1 < 36
    assert fs.exists("runs/resume-ray/_work/decisions/pass0")

    # Interrupted once more after the engine finished, before the manifest (Ctrl-C while the
    # mixtures are built): the last run still finds every work file it needs.
    from curator import pipeline
    from curator.publish import run_recipe_to
    from curator.recipe import load_recipe

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "after_run", interrupted)
        with pytest.raises(KeyboardInterrupt):
            run_recipe_to(load_recipe(recipe), url, engine="ray", workers=2)
    assert (work / "done" / "pass2").is_dir() and not fs.exists("runs/resume-ray/manifest.json")

    last = ray_run(recipe, url, env)
    _out, err = last.communicate(timeout=900)
    assert last.returncode == 0, err
    reference, resumed = remote_files(fs, "runs/resume-reference"), remote_files(fs, "runs/resume-ray")
    assert {k: v for k, v in resumed.items() if k != "manifest.json"} == {
        k: v for k, v in reference.items() if k != "manifest.json"}
    manifest, expected = json.loads(resumed["manifest.json"]), json.loads(reference["manifest.json"])
    assert manifest["counts"] == expected["counts"] and manifest["conservation"]["holds"]
    assert manifest["counts"]["input_rows"] == 3576
    assert manifest["run"]["reduced_in_workers"] == ["exact_dedup", "minhash_dedup"]
    # this attempt took pass 0 whole and pass 1 in part from the killed attempts
    assert manifest["run"]["resumed_shard_passes"] >= 36 + killed_in_pass1
    removed = {s["name"]: s["removed"] for s in manifest["stages"]}
    assert removed["exact_dedup"] > 0 and removed["minhash_dedup"] > 0
    assert not fs.exists("runs/resume-ray/_work")
    # no node (here: this machine) keeps a copy of any attempt's work files
    assert not [p for p in (tmp_path / "cache" / "work").rglob("*") if p.is_file()]


def test_local_inputs_are_uploaded_for_the_workers_when_work_is_on_s3(s3, tmp_path: Path) -> None:  # noqa: F811
    """--out s3:// on Ray with inputs on the driver's disk: the driver uploads them under the
    work prefix (the bucket is all the nodes share) and each worker, with its own cache, fetches
    them from there; output byte-identical to the local engine's, provenance naming the local file."""
    import ray

    from curator.publish import run_recipe_to
    from curator.recipe import load_recipe

    copy_sample(tmp_path, "alpaca_52k_slice.json", "dolly_open_qa_text.jsonl")
    (tmp_path / "recipe.yaml").write_text(
        "sources:\n  - {name: alpaca, path: alpaca_52k_slice.json, license: CC-BY-NC-4.0}\n"
        "  - {name: dolly, path: dolly_open_qa_text.jsonl, format: text, license: CC-BY-SA-3.0}\n"
        "stages:\n  - type: length\n  - type: exact_dedup\nrun: {batch_size: 100}\n",
        encoding="utf-8",
    )
    env = {**os.environ, **s3}
    done = curator("run", "recipe.yaml", "--out", "s3://runs/local-inputs-ref", "-q", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    worker_cache = tmp_path / "worker-cache"
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False,
        runtime_env={"env_vars": {"CURATOR_CACHE": str(worker_cache)}},
    )
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    uploaded: set[str] = set()

    def look(_pass: int, _report: object) -> None:
        uploaded.update(p.rsplit("/", 1)[-1] for p in fs.find("runs/local-inputs/_work/inputs"))

    try:
        result = run_recipe_to(
            load_recipe(tmp_path / "recipe.yaml"), "s3://runs/local-inputs", engine="ray", workers=2,
            on_report=look,
        )
    finally:
        ray.shutdown()
    assert uploaded == {"alpaca_52k_slice.json", "dolly_open_qa_text.jsonl"}
    fetched = {p.name for p in (worker_cache / "remote").rglob("*") if p.is_file()}
    assert fetched == {"alpaca_52k_slice.json", "dolly_open_qa_text.jsonl"}
    reference, distributed = remote_files(fs, "runs/local-inputs-ref"), remote_files(fs, "runs/local-inputs")
    assert {k: v for k, v in distributed.items() if k != "manifest.json"} == {
        k: v for k, v in reference.items() if k != "manifest.json"}
    assert result.manifest["counts"]["input_rows"] > 298
    data = [json.loads(line) for name, blob in distributed.items() if name.startswith("data/")
            for line in blob.decode().splitlines()]
    assert {r["provenance"]["file"] for r in data} == {"alpaca_52k_slice.json", "dolly_open_qa_text.jsonl"}
    assert not fs.exists("runs/local-inputs/_work")
