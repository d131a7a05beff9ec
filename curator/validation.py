"""The recipe's ``validation:`` section and the settings of one training run (no torch needed here).

A recipe model, so it lives beside the recipe: the recipe layer never imports training code, and
``curator.train`` reads these settings from here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from curator.config_types import SafeName, Seed
from curator.formats.spec import DataFiles

PRESET_NAMES: tuple[str, ...] = ("proxy-tiny", "proxy-small", "proxy-125m")
# On a CPU a step's peak memory is its activations: proxy-small holds ≈ 250 MiB per 512-token row
# in a backward pass, so the default batch of 8 in one pass peaks near 3 GiB; two rows at a time
# keep it near 1.7 GiB (benchmarks/train_memory.py); tokens/s of the two: benchmarks/train_throughput.py.
CPU_FORWARD_ROWS = 2


class TrainConfig(BaseModel):
    """How one model is trained and evaluated. Every mixture of a validation uses the same one."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default="proxy-tiny",
        description=(
            "A proxy preset (proxy-tiny ≈1M parameters for CPU/CI, proxy-small ≈25M, proxy-125m for a GPU; "
            "trained from scratch with a byte-level or BPE tokenizer, no download), a local Hugging Face "
            "model folder, or a model id already in the local Hugging Face cache."
        ),
    )
    tokenizer: Literal["byte", "bpe"] = Field(
        default="byte",
        description=(
            "Tokenizer of a proxy preset: byte (one token per UTF-8 byte) or bpe (a byte-level BPE of "
            "`vocab_size` tokens learnt from the training set first: ~4× fewer tokens per text). Ignored "
            "for other models, which bring their own."
        ),
    )
    vocab_size: int = Field(
        default=2048,
        ge=300,
        le=65536,
        description="Tokens of a proxy's BPE (tokenizer: bpe), specials included.",
    )
    steps: int = Field(default=200, ge=1, description="Optimizer steps: the budget every mixture gets.")
    seq_len: int = Field(default=512, ge=16, description="Tokens per packed row; longer examples are cut.")
    batch_size: int = Field(default=8, ge=1, description="Packed rows per micro-batch.")
    grad_accum: int = Field(default=1, ge=1, description="Micro-batches per optimizer step.")
    forward_rows: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Rows per forward/backward pass within a micro-batch: memory only, the step's gradient is the "
            "same sum over the batch. Default: 2 on a CPU (activations, not data, bound training memory "
            "there), the whole micro-batch on a GPU."
        ),
    )
    lr: float | None = Field(
        default=None, gt=0, description="Peak learning rate; default 2e-3 for proxy presets, 2e-5 otherwise."
    )
    min_lr_ratio: float = Field(default=0.1, ge=0, le=1, description="Cosine decays to lr × this.")
    warmup_steps: int | None = Field(default=None, ge=0, description="Linear warmup; default 5% of steps.")
    weight_decay: float = Field(default=0.1, ge=0, description="AdamW decay (not on norms and biases).")
    beta1: float = 0.9
    beta2: float = 0.95
    max_grad_norm: float = Field(default=1.0, gt=0, description="Gradient clipping (global L2 norm).")
    seed: Seed = Field(default=0, description="Seeds initialisation, data order and packing.")
    device: str = Field(
        default="auto", description="auto (cuda, then mps, then cpu), cpu, cuda, cuda:1, mps."
    )
    precision: Literal["auto", "bf16", "fp32"] = Field(
        default="auto", description="auto: bf16 autocast on a GPU that supports it, fp32 elsewhere."
    )
    threads: int | None = Field(
        default=None,
        ge=1,
        description="CPU threads for torch (default: torch's choice); 1 is fastest on a busy machine.",
    )
    compile: bool = Field(default=False, description="torch.compile the model (worth it on a GPU).")
    attn_implementation: str = Field(
        default="auto", description="auto: flash_attention_2 when installed on CUDA, else sdpa."
    )
    pack: bool = Field(
        default=True, description="Pack several examples per row (attention stays per example)."
    )
    log_every: int = Field(default=10, ge=1)
    eval_every: int = Field(default=0, ge=0, description="Held-out loss every N steps (0: only at the end).")
    eval_at_start: bool = Field(default=True, description="Held-out loss of the untrained model too.")
    eval_batch_size: int = Field(default=16, ge=1)
    max_eval_examples: int | None = Field(default=None, ge=1, description="Per eval set (default: all).")
    max_generate: int = Field(
        default=64, ge=0, description="Eval examples per set answered by greedy generation (0: none)."
    )
    max_new_tokens: int = Field(default=128, ge=1, description="Generation length limit.")
    decontaminate: bool = Field(default=True, description="Drop training records that overlap an eval set.")
    ngram: int = Field(default=13, ge=3, description="Word n-gram length of the overlap check.")
    save_model: bool = Field(default=False, description="Write the trained model with save_pretrained.")

    def effective_forward_rows(self, device_type: str) -> int:
        """Rows per forward pass on this device (never more than a micro-batch)."""
        if self.forward_rows is not None:
            return min(self.forward_rows, self.batch_size)
        return min(CPU_FORWARD_ROWS, self.batch_size) if device_type == "cpu" else self.batch_size

    def effective_lr(self, is_preset: bool) -> float:
        if self.lr is not None:
            return self.lr
        return 2e-3 if is_preset else 2e-5

    def effective_warmup(self) -> int:
        if self.warmup_steps is not None:
            return min(self.warmup_steps, self.steps)
        return max(1, self.steps // 20)


class EvalSetConfig(DataFiles):
    """A held-out set: any file or glob in a supported format (detected, or named with `format`)."""

    name: str | None = Field(default=None, description="Name in the scorecard; default: the file's stem.")
    path: str = Field(description="File, glob or folder (relative to the recipe's folder).")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"path": data} if isinstance(data, str) else data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        # _from_string accepts a bare path, so the exported schema must too (editors validate with it).
        schema = handler.resolve_ref_schema(handler(core_schema))
        return {"anyOf": [{"type": "string", "description": "Path of the eval set."}, schema]}


class ValidationConfig(TrainConfig):
    """The recipe's ``validation:``: train one model per mixture and one on the uncurated input."""

    eval: list[EvalSetConfig] = Field(
        min_length=1,
        description="Held-out eval sets (e.g. sample_data/user_oriented_instructions.jsonl); a path or "
        "{path, name, format, columns}.",
    )
    baseline: bool = Field(
        default=True, description="Also train on the run's inputs with no stages (the uncurated baseline)."
    )
    mixtures: list[str] | None = Field(
        default=None, description="Mixtures to validate (default: all of the run's mixtures)."
    )
    out: SafeName = Field(
        default="validation", description="Folder inside the run folder for models and scorecard."
    )

    def train_config(self) -> TrainConfig:
        return TrainConfig.model_validate(self.model_dump(include=set(TrainConfig.model_fields)))
