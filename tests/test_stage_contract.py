"""The stage contract (curator/stages/base.py): how the base class applies a stage's verdicts, and
the hooks the pipeline and engines call instead of discovering abilities by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from conftest import write_recipe

from curator.pipeline import run_recipe
from curator.quality.reasons import CHECK_OF_REASON, check_actions
from curator.recipe import load_recipe
from curator.records import InstructionRecord
from curator.stages import STAGES, build_stage
from curator.stages.base import Reason, RecordStage, Resources, StageConfig, Verdict
from curator.stages.decontaminate import DecontaminateConfig
from curator.stages.length import LengthFilter
from curator.stages.licence import LicenceConfig
from curator.stages.pii import PIIConfig
from curator.stages.quality import QualityConfig, QualityFilter


def record(text: str, row: int = 0) -> InstructionRecord:
    return InstructionRecord(
        messages=[{"role": "user", "content": f"Say {text}."}, {"role": "assistant", "content": text}],
        provenance={"source": "s", "row": row},
    )


class _Config(StageConfig):
    type: Literal["judged"] = "judged"


class _Judged(RecordStage[_Config]):
    """Judges by the assistant text, so each test names the verdict it wants."""

    config_model = _Config
    verdicts: ClassVar[dict[str, object]] = {}

    def check(self, record: InstructionRecord):
        return self.verdicts.get(record.messages[1].content)


def test_the_base_class_applies_verdicts_in_order() -> None:
    changed = record("changed", row=9)
    _Judged.verdicts = {
        "plain": "bad",  # a reason code: the stage's action (drop)
        "tagged": Reason("odd", action="tag"),
        "quiet": Reason("noted", action="keep"),
        "tag-then-drop": Verdict(
            [Reason("first", action="tag"), Reason("second", {"n": 1}), Reason("third")]
        ),
        "modified": Verdict(modified=True),
        "replaced": Verdict(record=changed, modified=True),
    }
    batch = [record(t, row=i) for i, t in enumerate(["ok", *_Judged.verdicts])]
    result = _Judged(_Config()).process(batch)
    assert [r.messages[1].content for r in result.kept] == ["ok", "tagged", "quiet", "modified", "changed"]
    assert [(r.record.messages[1].content, r.reason, r.detail) for r in result.removed] == [
        ("plain", "bad", None),
        ("tag-then-drop", "second", {"n": 1}),  # the first drop ends the list: no "third"
    ]
    # Flags: tags before a drop stay on the removed record; keep adds nothing; modified counts.
    assert batch[2].annotations.quality_flags == ["judged:odd"]
    assert batch[4].annotations.quality_flags == ["judged:first"]
    assert batch[3].annotations.quality_flags == [] and result.tagged == 3

    tag = _Judged(_Config(action="tag")).process([record("plain")])
    assert tag.tagged == 1 and tag.kept[0].annotations.quality_flags == ["judged:bad"]

    _Judged.verdicts = {"x": Reason("r", action="redact")}  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="no action 'redact'"):
        _Judged(_Config()).process([record("x")])


def test_config_hooks_say_what_a_stage_does_to_licences_and_text() -> None:
    pii = PIIConfig(action="tag", roles={"user": "redact"}, structured_only=True)
    assert pii.replaces_pii("user") and not pii.replaces_pii("assistant") and pii.modifies_text()
    assert not PIIConfig(action="tag", structured_only=True).modifies_text()
    assert QualityConfig().modifies_text()  # fixes placeholders and control characters by default
    assert not StageConfig(type="x").modifies_text() and StageConfig(type="x").licence_policy() is None
    policy = LicenceConfig(intended_use="research", deny=["CC-BY-ND-4.0"]).licence_policy()
    assert policy["intended_use"] == "research" and policy["deny"] == ["CC-BY-ND-4.0"]
    assert policy["rules"]["unknown"] == "tag"


def test_declared_audit_defaults_and_resources() -> None:
    assert STAGES["length"].audit is False and "quality" in STAGES["length"].audit_reason
    assert STAGES["pii"].audit_options == {"structured_only": True}
    assert STAGES["licence"].audit_options == {"intended_use": "commercial"}
    assert STAGES["pii"].scrubs_outputs and not STAGES["quality"].scrubs_outputs
    assert build_stage(PIIConfig(structured_only=True)).resources().loads_model
    assert build_stage(QualityConfig()).resources() == Resources()


def test_a_stage_that_needs_files_gets_them_from_the_pipeline(tmp_path: Path) -> None:
    config = DecontaminateConfig(evals=[{"name": "e", "path": "evals.jsonl"}]).resolve_paths(tmp_path)
    [spec] = config.input_files()
    assert (spec.name, spec.paths, spec.base_dir, spec.what) == ("e", ("evals.jsonl",), tmp_path, "eval set")
    stage = build_stage(config)
    with pytest.raises(RuntimeError, match="needs its eval sets"):
        stage.process([record("x")])  # it would have to open the file itself: it may not


def test_engine_sets_up_and_tears_down_each_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.jsonl").write_text(
        "\n".join(json.dumps({"instruction": f"Say {i}.", "input": "", "output": f"{i}"}) for i in range(5))
    )
    calls: list[str] = []
    monkeypatch.setattr(LengthFilter, "teardown", lambda self: calls.append(self.name))
    recipe = write_recipe(tmp_path, "sources:\n  - {name: a, path: a.jsonl}\nstages:\n  - {type: length}\n")
    run_recipe(load_recipe(recipe), tmp_path / "run")
    assert calls == ["length"]


@pytest.mark.parametrize(
    "options",
    [{}, {"action": "tag"}, {"refusal": {"action": "tag"}, "repetition": {"enabled": False}}],
)
def test_quality_report_reads_actions_from_config_data(options: dict) -> None:
    """The report reads the resolved recipe, not a QualityFilter: same answer as the stage."""
    config = QualityConfig.model_validate(options)
    stage = QualityFilter(config)
    expected = {
        reason: stage.action_of(check) if getattr(config, check).enabled else "off"
        for reason, check in CHECK_OF_REASON.items()
    }
    assert check_actions(config.model_dump(mode="json")) == expected
