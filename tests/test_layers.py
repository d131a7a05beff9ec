"""Layers point one way (records ← io/formats ← algorithms ← stages ← pipeline/engines ← cli),
and the pipeline asks stages only through their declared contract (curator/stages/base.py).

These read the source tree, so a new import or a new duck-typed lookup fails here, not in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from curator.stages import STAGES
from curator.stages.base import RecordStage, Stage, StageConfig

PACKAGE = Path(__file__).resolve().parents[1] / "curator"
ALGORITHMS = ("dedup", "pii", "langid", "quality")
# Modules that drive stages: they may only call the hooks Stage and StageConfig declare.
DRIVERS = [
    "engines",
    "pipeline.py",
    "recipe.py",
    "ingest",
    "licensing/run.py",
    "mixtures",
    "run",
    "audit.py",
    "stage_inputs.py",
]


def _modules(*parts: str) -> list[Path]:
    found: list[Path] = []
    for part in parts:
        path = PACKAGE / part
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    assert found, parts
    return found


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _offenders(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in paths
        for name in sorted(_imports(path))
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_algorithm_packages_never_import_stages_or_what_drives_them() -> None:
    forbidden = ("curator.stages", "curator.engines", "curator.pipeline", "curator.cli")
    assert _offenders(_modules(*ALGORITHMS), forbidden) == []


def test_stages_never_open_files_or_know_their_engine() -> None:
    forbidden = (
        "curator.io",
        "curator.ingest",
        "curator.stage_inputs",
        "curator.engines",
        "curator.pipeline",
        "curator.cli",
        "fsspec",
        "curator.report",
    )
    assert _offenders(_modules("stages"), forbidden) == []


def test_report_sections_read_annotations_not_stages() -> None:
    assert _offenders(_modules("report"), ("curator.stages",)) == []


def _hook_names() -> set[str]:
    names = {n for cls in (Stage, RecordStage, StageConfig) for n in dir(cls) if not n.startswith("__")}
    return names | {"scrub_removed", "scrub_rejected", "bind_sources", "role_action", "type"}


def test_drivers_never_discover_a_stage_by_duck_typing() -> None:
    """No hasattr/getattr of a hook by name, no getattr/hasattr on a stage at all, and no
    ``stage.type == ...``: what a driver needs is a declared hook."""
    hooks = _hook_names()
    problems: list[str] = []
    for path in _modules(*DRIVERS):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id not in ("getattr", "hasattr") or len(node.args) < 2:
                    continue
                target = ast.unparse(node.args[0]).lower()
                key = node.args[1]
                by_hook = isinstance(key, ast.Constant) and key.value in hooks
                if by_hook or "stage" in target or target == "cls":
                    problems.append(f"{where}: {ast.unparse(node)}")
            elif isinstance(node, ast.Compare):
                left = node.left
                on_stage = "stage" in ast.unparse(left).lower()
                if isinstance(left, ast.Attribute) and left.attr == "type" and on_stage:
                    problems.append(f"{where}: {ast.unparse(node)}")
    assert problems == []


@pytest.mark.parametrize("stage_type", sorted(STAGES))
def test_every_stage_uses_the_base_class_routing(stage_type: str) -> None:
    """A stage module judges; the base class writes flags and counts (no hand-written
    ``quality_flags`` appends, no StageResult/Removal built by hand)."""
    cls = STAGES[stage_type]
    source = Path(__import__(cls.__module__, fromlist=["_"]).__file__).read_text(encoding="utf-8")
    assert "quality_flags.append" not in source and "quality_flags.extend" not in source
    assert "Removal(" not in source and "StageResult(" not in source
