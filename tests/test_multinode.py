"""The simulated multi-node run (benchmarks/multinode.py) as a test: a head and two worker nodes
started as separate ``ray start`` processes, storage on a local S3 server, output byte-identical
to the local engine's. It starts three Ray nodes and two runs (minutes on 2 cores), so it runs
only when asked: CURATOR_MULTINODE=1 pytest -m slow tests/test_multinode.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="the ray extra is not installed")
pytest.importorskip("moto.server")
SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "multinode.py"


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("CURATOR_MULTINODE"), reason="set CURATOR_MULTINODE=1 (minutes)")
def test_three_node_cluster_on_s3_matches_the_local_engine() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--copies", "2"], capture_output=True, text=True, timeout=1500
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "byte-identical to the local engine (manifest aside): True" in done.stdout
    assert "still running: 0" in done.stdout
