from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DATA = ROOT / "sample_data"
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """A file of ../shared/data, or skip the test with a clear message when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"{path} not present (../shared/data is only in the project's workspace)")
    return path


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_recipe(folder: Path, text: str) -> Path:
    path = folder / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    return path


RESUME_RECIPE = """\
sources:
  - {name: alpaca, path: big.jsonl, format: alpaca}
stages:
  - type: length
  - type: exact_dedup
run: {batch_size: 150}
"""


def planted_alpaca_rows(rng) -> tuple[list[dict], list[dict]]:
    """(300 real Alpaca rows, those rows plus planted near copies (one word changed in a long
    answer) and exact copies, shuffled by ``rng``); ``rng`` is a ``random.Random`` the caller may
    keep drawing from."""
    rows = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text(encoding="utf-8"))[:300]
    planted = []
    for row in rng.sample(rows, 60):
        words = row["output"].split()
        if len(words) > 30:
            words[rng.randrange(len(words))] = "zebra"
            planted.append({**row, "output": " ".join(words)})
    planted += rng.sample(rows, 30)
    data = rows + planted
    rng.shuffle(data)
    return rows, data


@pytest.fixture(scope="session")
def resume_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~18k real-derived rows, a two-pass recipe, and its uninterrupted run in ./uninterrupted."""
    from interrupted_runs import build_input

    from curator.pipeline import run_recipe
    from curator.recipe import load_recipe

    folder = tmp_path_factory.mktemp("resume")
    build_input(folder)
    write_recipe(folder, RESUME_RECIPE)
    run_recipe(load_recipe(folder / "recipe.yaml"), folder / "uninterrupted")
    return folder


def copy_sample(folder: Path, *names: str) -> None:
    """Copy sample_data files into ``folder`` (tests that write recipes next to their inputs)."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SAMPLE_DATA / name, folder / name)


@pytest.fixture(scope="session")
def pii_engine():
    """The PII engine with the default settings and the small English spaCy model, loaded once."""
    from curator.pii.engine import EngineSettings, PIIEngine

    return PIIEngine(EngineSettings()).load()


def light_sample_recipe(folder: Path, keep: tuple[str, ...] = ("length", "exact_dedup", "licence")) -> Path:
    """sample_data/recipe.yaml (its sources and mixtures) with only the stages named in ``keep``,
    written into ``folder`` next to copies of its input files: fast, and immune to model-backed stages."""
    import yaml

    data = yaml.safe_load((SAMPLE_DATA / "recipe.yaml").read_text(encoding="utf-8"))
    data["stages"] = [stage for stage in data.get("stages", []) if stage["type"] in keep]
    for source in data["sources"]:
        copy_sample(folder, source["path"])
    return write_recipe(folder, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


OFFLINE_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/nonexistent",
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    # Any HTTP(S) attempt goes to a closed local port and fails fast.
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "",
    # The code under test, not whatever checkout the console script was installed from.
    **({"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}),
}


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory):
    """The sample recipe, run once per session through the real console script, offline.

    Returns (run folder, completed process). Tests that only read a sample run share this one,
    so the suite pays for the model-backed stages once.
    """
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("sample") / "run"
    exe = Path(sys.executable).with_name("curator")
    process = subprocess.run(
        [str(exe), "run", str(SAMPLE_DATA / "recipe.yaml"), "--out", str(out)],
        capture_output=True,
        text=True,
        env=OFFLINE_ENV,
    )
    return out, process


def run_files(run: Path) -> dict[str, bytes]:
    """Every file of a run folder but the manifest (which holds timings), by relative path."""
    files = (p for p in sorted(run.rglob("*")) if p.is_file() and p.name != "manifest.json")
    return {str(p.relative_to(run)): p.read_bytes() for p in files}
