"""A score from a local sequence-classification model, as ``annotations.scores[score]`` (see
:mod:`curator.scoring.classify` for how instruction and answer are joined and which output is read)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, model_validator

from curator.records import InstructionRecord
from curator.stages.base import Judgement, RecordStage, Resources, SetupContext, StageConfig
from curator.stages.scores import ModelOptions, annotate_and_judge, check_threshold_names, resolve_model_path

Join = Literal["pair", "chat", "template", "answer", "instruction"]


class ClassifierScoreConfig(StageConfig, ModelOptions):
    """Score each record with a sequence classifier (reward model, quality or toxicity classifier)."""

    type: Literal["classifier_score"] = "classifier_score"
    model: str = Field(description="A local sequence-classification model folder or cached model id.")
    score: str = Field(default="", description="Score name (default: the stage's name).")
    label: str | int | None = Field(
        default=None, description="Output to read: a label name (config.id2label) or index; default the last."
    )
    output: Literal["probability", "logit", "expected"] = Field(
        default="probability",
        description="probability (softmax; sigmoid for one output or multi-label), logit, or expected "
        "(Σ p(label)·index, for ordinal ratings).",
    )
    join: Join = Field(
        default="pair",
        description="How instruction and answer go in: pair (text pair), chat (chat template), template, "
        "answer or instruction only.",
    )
    template: str = Field(
        default="{instruction}\n\n{answer}", description="With join: template; {instruction} and {answer}."
    )
    max_tokens: int = Field(default=512, ge=8)
    batch_size: int = Field(default=32, ge=1)

    _base_dir: Path | None = PrivateAttr(default=None)

    @property
    def score_name(self) -> str:
        return self.score or self.stage_name

    @model_validator(mode="after")
    def _check(self) -> ClassifierScoreConfig:
        if self.join == "template":
            try:
                self.template.format(instruction="", answer="")
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(
                    f"template: only {{instruction}} and {{answer}} may appear ({exc})"
                ) from None
        check_threshold_names(self.thresholds, [self.score_name], self.stage_name)
        return self

    def resolve_paths(self, base_dir: Path) -> ClassifierScoreConfig:
        resolved = self.model_copy(deep=True)
        resolved._base_dir = Path(base_dir)
        resolved.model = resolve_model_path(self.model, resolved._base_dir, self.stage_name)
        return resolved


def instruction_and_answer(record: InstructionRecord) -> tuple[str, str]:
    """The prompt (system and user turns before the last answer) and the last answer."""
    last = max(i for i, m in enumerate(record.messages) if m.role == "assistant")
    prompt = "\n\n".join(m.content for m in record.messages[:last] if m.role in ("system", "user"))
    return prompt, record.messages[last].content


class ClassifierScore(RecordStage[ClassifierScoreConfig]):
    config_model = ClassifierScoreConfig

    def resources(self) -> Resources:
        return Resources(loads_model=True, wants_gpu=True, memory_mb=500)

    def setup(self, context: SetupContext | None = None) -> None:
        from curator.scoring.classify import ClassifierScorer

        c = self.config
        self.scorer = ClassifierScorer(
            c.model,
            label=c.label,
            output=c.output,
            base_dir=c._base_dir,
            max_tokens=c.max_tokens,
            batch_size=c.batch_size,
            device=c.device,
            precision=c.precision,
            threads=c.threads,
        )

    def judge(self, batch: list[InstructionRecord]) -> list[Judgement]:
        c = self.config
        if c.join == "chat":
            encoded = self.scorer.chat_ids(
                [[m.model_dump(include={"role", "content"}) for m in r.messages] for r in batch]
            )
        else:
            pairs = [instruction_and_answer(r) for r in batch]
            if c.join == "pair":
                encoded = self.scorer.encode([p for p, _ in pairs], [a for _, a in pairs])
            elif c.join == "template":
                encoded = self.scorer.encode(
                    [c.template.format(instruction=p, answer=a) for p, a in pairs], None
                )
            else:
                encoded = self.scorer.encode([a if c.join == "answer" else p for p, a in pairs], None)
        values = self.scorer.score(encoded)
        return annotate_and_judge(batch, {c.score_name: values}, c.thresholds)
