"""`curator audit`: every registered annotator in tag mode, nothing removed, and the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_DATA
from pydantic import BaseModel, Field

from curator import audit
from curator.cli import cli
from curator.errors import CuratorError
from curator.recipe import load_recipe, parse_recipe
from curator.stages import STAGES, RecordStage, StageConfig, StageResult


def test_audit_of_real_files_tags_and_removes_nothing(tmp_path: Path) -> None:
    inputs = [SAMPLE_DATA / "alpaca_52k_slice.json", SAMPLE_DATA / "messy_chat.jsonl"]
    result = audit.run_audit(inputs, tmp_path / "audit", workers=1)
    manifest = result.manifest
    assert manifest["counts"]["removed"] == 0
    assert manifest["counts"]["kept"] + manifest["counts"]["rejected"] == manifest["counts"]["input_rows"]
    assert all(stage["action"] == "tag" for stage in manifest["stages"])
    types = [stage["type"] for stage in manifest["stages"]]
    assert "quality" in types and "length" not in types  # quality covers length
    assert set(types) == set(STAGES) - set(result.plan.skipped)

    report = json.loads((tmp_path / "audit" / "report.json").read_text())
    assert report["kind"] == "audit" and report["errors"] == []
    quality = next(s for s in report["sections"] if s["key"] == "quality")
    rows = {row[0]: row for row in quality["tables"][0]["rows"]}
    # 10 Alpaca rows with empty outputs, plus the messy file's empty answer; all tagged, none removed
    assert rows["empty_output"][4] == 11 and rows["url_only_input"][4] == 10
    assert all(row[3] == 0 for row in rows.values())
    assert (tmp_path / "audit" / "report.html").read_text(encoding="utf-8").count("<svg") >= 4

    # The recipe it ran is a real recipe: it loads, and says what was left out.
    recipe_text = result.recipe_path.read_text(encoding="utf-8")
    assert "# left out: length" in recipe_text
    assert [s.type for s in load_recipe(result.recipe_path).recipe.stages] == types


class _Nested(BaseModel):
    action: Literal["drop", "tag", "fix"] | None = "fix"
    threshold: float = 0.5


class _Config(StageConfig):
    type: Literal["fake"] = "fake"
    needed: str = Field(description="A required option.")
    rule: Literal["drop", "tag", "allow"] | None = None
    keep: Literal["drop", "tag", "allow"] = "allow"
    nested: _Nested = Field(default_factory=_Nested)


class _FakeStage(RecordStage[_Config]):
    config_model = _Config
    audit_options: ClassVar[dict] = {"needed": "from the stage"}

    def process(self, batch):  # pragma: no cover - never run
        return StageResult(kept=batch)


def test_plan_builds_tag_mode_configs_generically(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(audit.STAGES, "fake", _FakeStage)
    plan = audit.plan_audit()
    fake = next(s for s in plan.stages if s["type"] == "fake")
    assert fake["needed"] == "from the stage"  # the stage's audit_options
    assert fake["action"] == "tag" and fake["rule"] == "tag" and fake["nested"]["action"] == "tag"
    assert "keep" not in fake  # 'allow' is a decision, not a removal: left as it is
    assert fake["nested"].get("threshold", 0.5) == 0.5

    plan = audit.plan_audit(settings=audit.parse_settings(["fake.nested.threshold=0.9", "fake.needed=x"]))
    fake = next(s for s in plan.stages if s["type"] == "fake")
    assert fake["nested"]["threshold"] == 0.9 and fake["needed"] == "x"

    monkeypatch.setattr(_FakeStage, "audit_options", None)
    plan = audit.plan_audit()
    assert "fake" not in [s["type"] for s in plan.stages]
    assert plan.skipped["fake"].startswith("needs needed")

    assert "fake" in audit.plan_audit(skip=["fake"]).skipped
    with pytest.raises(CuratorError, match="unknown stage type 'nope'"):
        audit.plan_audit(skip=["nope"])
    with pytest.raises(CuratorError, match=r"TYPE\.KEY=VALUE"):
        audit.parse_settings(["quality=1"])


def test_every_registered_stage_can_be_audited_or_says_why_not() -> None:
    plan = audit.plan_audit()
    assert set(s["type"] for s in plan.stages) | set(plan.skipped) == set(STAGES)
    recipe = parse_recipe(
        json.dumps({"sources": [{"name": "a", "path": "a.jsonl"}], "stages": plan.stages}), "audit.yaml"
    )
    for config in recipe.stages:
        assert config.action == "tag"
        if config.type == "pii":  # the fast pattern-only mode unless --set says otherwise
            assert config.structured_only is True


def test_audit_command_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "audit",
            str(SAMPLE_DATA / "belle_eval_zh.jsonl"),
            "--columns",
            "question=instruction",
            "--columns",
            "std_answer=output",
            "--license",
            "ODC-By-1.0",
            "--skip",
            "minhash_dedup",
            *[arg for stage in ("language", "pii") if stage in STAGES for arg in ("--skip", stage)],
            "--set",
            "quality.length.min_output_chars=2",
            "--out",
            str(tmp_path / "a"),
            "--workers",
            "1",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "report: " in result.output and "quality:empty_output" in result.output
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert "minhash_dedup" not in [s["type"] for s in manifest["stages"]]
    bad = CliRunner().invoke(
        cli, ["audit", str(SAMPLE_DATA / "messy_chat.jsonl"), "--out", str(tmp_path / "b"), "--set", "x"]
    )
    assert bad.exit_code == 2 and bad.output.startswith("error:")
