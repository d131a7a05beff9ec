"""Every failure is one line: disk full, read-only output, internal errors, with documented exit codes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from curator import cli as cli_module
from curator.errors import EXIT_INTERNAL, EXIT_IO

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "recipe.yaml"


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    return done.returncode == 0


needs_mount_ns = pytest.mark.skipif(not _unshare_works(), reason="needs unshare -rm (user+mount namespaces)")


def _run_in_tmpfs(tmp_path: Path, mount_options: str, then: str = "") -> subprocess.CompletedProcess:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = (
        f"mount -t tmpfs -o {mount_options} tmpfs {mnt} && {then}"
        f"{sys.executable} -m curator.cli run {SAMPLE} --out {mnt}/out -q"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, env=env)


@needs_mount_ns
def test_disk_full_is_one_line_with_exit_code_3(tmp_path: Path) -> None:
    done = _run_in_tmpfs(tmp_path, "size=200k")
    assert done.returncode == EXIT_IO, done.stderr
    assert done.stderr.strip().splitlines() == ["error: the system refused: No space left on device"]


@needs_mount_ns
def test_read_only_output_is_one_line_with_exit_code_3(tmp_path: Path) -> None:
    done = _run_in_tmpfs(tmp_path, "size=10m,ro")
    assert done.returncode == EXIT_IO, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and line.endswith("Read-only file system")


def test_unexpected_error_is_one_line_unless_debug(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("curator.pipeline.run_recipe", broken)
    monkeypatch.delenv("CURATOR_DEBUG", raising=False)
    runner = CliRunner()
    result = runner.invoke(cli_module.cli, ["run", str(SAMPLE), "--out", str(tmp_path / "o"), "-q"])
    assert result.exit_code == EXIT_INTERNAL
    assert result.output.strip().splitlines() == [
        "error: internal error (RuntimeError: boom); rerun with --debug for the traceback "
        "and please report it"
    ]
    args = ["--debug", "run", str(SAMPLE), "--out", str(tmp_path / "p"), "-q"]
    result = runner.invoke(cli_module.cli, args)
    assert isinstance(result.exception, RuntimeError)
    # --debug set CURATOR_DEBUG in this process; monkeypatch.delenv would restore that "1" at teardown
    # and leak debug mode into every later test's subprocesses, so drop it directly.
    os.environ.pop("CURATOR_DEBUG", None)
