"""Helpers for tests that kill real runs part-way and resume them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLE_DATA

CURATOR = Path(sys.executable).with_name("curator")


def build_input(folder: Path, copies: int = 60) -> None:
    """~18k rows from the real Alpaca slice: variants of each row, and every 5th variant a duplicate."""
    rows = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text())
    with (folder / "big.jsonl").open("w") as handle:
        for copy in range(copies):
            for row in rows:
                variant = copy - copy % 5 if copy % 5 == 4 else copy  # an exact duplicate of an earlier copy
                handle.write(
                    json.dumps({**row, "instruction": f"{row['instruction']} (variant {variant})"}) + "\n"
                )


def outputs(run: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(run)): p.read_bytes()
        for p in sorted(run.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def kill_when(process: subprocess.Popen, done_dir: Path, at_least: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if done_dir.exists() and len(list(done_dir.glob("*.npz"))) >= at_least:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return
        if process.poll() is not None:
            pytest.fail("the run finished before it could be killed; make the input larger")
        time.sleep(0.002)
    process.kill()
    pytest.fail("the run never reached the point to kill it")
