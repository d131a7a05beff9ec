"""Answer loss, perplexity and IFD from a causal LM, as ``annotations.scores`` (see
:mod:`curator.scoring.lm`). The model is a local Hugging Face folder or cached id, or a proxy
preset that the bundled runner first trains on ``reference`` (cached, trained once)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, WithJsonSchema, model_validator

from curator.config_types import Seed
from curator.formats.spec import DataFiles
from curator.records import InstructionRecord
from curator.scoring.lm import METRICS
from curator.stages.base import Judgement, RecordStage, Resources, SetupContext, StageConfig, StageInput
from curator.stages.scores import ModelOptions, annotate_and_judge, check_threshold_names, resolve_model_path
from curator.validation import PRESET_NAMES

Metric = Literal["loss", "perplexity", "ifd", "unconditional_loss"]
_PATH_OR_PATHS: dict[str, Any] = {
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}, {"type": "null"}]
}


class LMScoreConfig(StageConfig, ModelOptions):
    """Score each record's answers with a causal LM: loss, perplexity and IFD."""

    type: Literal["lm_score"] = "lm_score"
    model: str = Field(
        description="A local causal-LM folder, a model id in the local Hugging Face cache, or a proxy "
        f"preset ({', '.join(PRESET_NAMES)}) trained on `reference` first."
    )
    # A bare path is accepted too (see _reference_list): the exported schema must say so for editors.
    reference: Annotated[list[str] | None, WithJsonSchema(_PATH_OR_PATHS)] = Field(
        default=None,
        description="For a proxy preset: files (any supported format) the bundled runner trains it on.",
    )
    proxy_steps: int = Field(default=200, ge=1, description="Training steps of the proxy.")
    proxy_seed: Seed = Field(default=0, description="Seed of the proxy's training.")
    proxy_tokenizer: Literal["bpe", "byte"] = Field(
        default="bpe",
        description="Tokenizer of a proxy preset: bpe (learnt from `reference` first; ~4× fewer tokens "
        "per record than byte, so scoring is several times faster) or byte (one token per UTF-8 byte).",
    )
    proxy_vocab: int = Field(default=2048, ge=300, le=65536, description="Tokens of the proxy's BPE.")
    scores: dict[Metric, str] = Field(
        default_factory=lambda: {"loss": "answer_loss", "perplexity": "perplexity", "ifd": "ifd"},
        description="Which metrics to write, and under which score name.",
    )
    max_tokens: int = Field(default=1024, ge=16, description="Tokens per conversation; longer ones are cut.")
    batch_size: int = Field(default=16, ge=1)
    max_batch_tokens: int = Field(default=16384, ge=16, description="Padded tokens per batch at most.")

    _base_dir: Path | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _reference_list(cls, data):
        if isinstance(data, dict) and isinstance(data.get("reference"), str):
            data = {**data, "reference": [data["reference"]]}
        return data

    @model_validator(mode="after")
    def _check(self) -> LMScoreConfig:
        if self.model in PRESET_NAMES and not self.reference:
            raise ValueError(
                f"model {self.model} is an untrained proxy preset: give `reference:` files to train it on, "
                "or a trained model folder"
            )
        if not self.scores:
            raise ValueError("scores: name at least one metric to write")
        check_threshold_names(self.thresholds, list(self.scores.values()), self.stage_name)
        return self

    def resolve_paths(self, base_dir: Path) -> LMScoreConfig:
        """A copy that knows the recipe's folder; a model folder is checked now (the pipeline
        checks and reads the reference files: ``input_files``)."""
        resolved = self.model_copy(deep=True)
        resolved._base_dir = Path(base_dir)
        if self.model not in PRESET_NAMES:
            resolved.model = resolve_model_path(self.model, resolved._base_dir, self.stage_name)
        return resolved

    def input_files(self) -> list[StageInput]:
        """For a proxy preset: the reference set it is trained on (read by the pipeline)."""
        if self.model not in PRESET_NAMES:
            return []
        base = self._base_dir or Path.cwd()
        files = DataFiles(name="reference", path=list(self.reference or ()))
        return [StageInput("reference", files, base, what="reference set")]


class LMScore(RecordStage[LMScoreConfig]):
    config_model = LMScoreConfig

    def resources(self) -> Resources:
        # proxy-tiny is ~1M parameters; a local model can be any size: its weights dominate.
        return Resources(loads_model=True, wants_gpu=True, memory_mb=500)

    def setup(self, context: SetupContext | None = None) -> None:
        from curator.scoring.lm import LMScorer, proxy_folder

        c = self.config
        model = c.model
        if model in PRESET_NAMES:
            if context is None or not context.inputs:
                raise RuntimeError(
                    f"stage {self.name!r} trains {model} on its reference set: call setup(context) with "
                    "the records the pipeline read for config.input_files()"
                )
            model = str(
                proxy_folder(
                    model,
                    context.inputs[0].records,
                    steps=c.proxy_steps,
                    seed=c.proxy_seed,
                    seq_len=min(c.max_tokens, 512),
                    batch_size=8,
                    threads=c.threads,
                    tokenizer=c.proxy_tokenizer,
                    vocab_size=c.proxy_vocab,
                )
            )
        self.scorer = LMScorer(
            model,
            max_tokens=c.max_tokens,
            batch_size=c.batch_size,
            max_batch_tokens=c.max_batch_tokens,
            device=c.device,
            precision=c.precision,
            threads=c.threads,
        )

    def judge(self, batch: list[InstructionRecord]) -> list[Judgement]:
        c = self.config
        wanted = set(c.scores)
        values = self.scorer.score(
            [r.messages for r in batch], ifd=bool(wanted & {"ifd", "unconditional_loss"})
        )
        scores = {name: values[metric] for metric, name in c.scores.items() if metric in METRICS}
        return annotate_and_judge(batch, scores, c.thresholds)
