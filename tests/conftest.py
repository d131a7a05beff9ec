from __future__ import annotations

import json
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
