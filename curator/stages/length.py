"""Empty and length filter: the cheapest checks, run first to spare later stages.

"Output" is the assistant turns, "prompt" the user turns; a document's text is its output and
it has no prompt (the prompt limits do not apply to it). Words are whitespace-separated
tokens, which undercounts scripts written without spaces (Chinese, Japanese, Thai): use the
character limits for those. ``min_tokens``/``max_tokens`` count with the model's ``tokenizer``
as the trainer sees a record (chat template applied; ``count_tokens``: the whole conversation or
the assistant tokens only; see ``curator.tokens``), or whitespace words when no tokenizer is named.
With either set, each record carries its counts in ``annotations.extra["tokens"]`` (the report
draws their histograms).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from curator.quality.checks import length_limit
from curator.records import InstructionRecord, is_document
from curator.stages.base import Judgement, RecordStage, SetupContext, StageConfig
from curator.tokens import TokenCounter, load_tokenizer, make_counter


class LengthFilterConfig(StageConfig):
    """Remove records with an empty or whitespace-only turn, or a prompt/output outside the limits."""

    type: Literal["length"] = "length"
    min_output_words: int = Field(default=1, ge=0)
    max_output_words: int | None = Field(default=None, ge=1)
    min_output_chars: int = Field(default=1, ge=0)
    max_output_chars: int | None = Field(default=None, ge=1)
    min_prompt_words: int = Field(default=1, ge=0)
    max_prompt_words: int | None = Field(default=None, ge=1)
    min_prompt_chars: int = Field(default=1, ge=0)
    max_prompt_chars: int | None = Field(default=None, ge=1)
    tokenizer: str | None = Field(
        default=None,
        description="The model's tokenizer for min_tokens/max_tokens: a local folder or tokenizer.json "
        "(relative to the recipe) or a model id in the Hugging Face cache; default: whitespace words.",
    )
    min_tokens: int | None = Field(default=None, ge=0, description="Fewest tokens a record may have.")
    max_tokens: int | None = Field(default=None, ge=1, description="Most tokens a record may have.")
    count_tokens: Literal["total", "assistant"] = Field(
        default="total",
        description="total: the whole rendered conversation; assistant: the tokens a trainer learns from.",
    )

    def resolve_paths(self, base_dir: Path) -> LengthFilterConfig:
        """The tokenizer path resolved against the recipe's folder, and loaded once to check it."""
        if self.tokenizer is None:
            return self
        local = Path(self.tokenizer).expanduser()
        if not local.is_absolute() and (base_dir / local).exists():
            resolved = self.model_copy(update={"tokenizer": str((base_dir / local).resolve())})
        else:
            resolved = self
        load_tokenizer(resolved.tokenizer, base_dir)  # type: ignore[arg-type]
        return resolved

    @property
    def counts_tokens(self) -> bool:
        return self.tokenizer is not None or self.min_tokens is not None or self.max_tokens is not None


class LengthFilter(RecordStage[LengthFilterConfig]):
    config_model = LengthFilterConfig
    # `curator audit` leaves this stage out: the quality stage makes the same checks per turn.
    audit: ClassVar[bool] = False
    audit_reason: ClassVar[str] = "the quality stage covers empty and length checks"

    counter: TokenCounter | None = None

    def setup(self, context: SetupContext | None = None) -> None:
        if self.config.counts_tokens and self.counter is None:
            self.counter = make_counter(self.config.tokenizer, Path.cwd())  # resolve_paths made it absolute

    def judge(self, batch: list[InstructionRecord]) -> list[Judgement]:
        if self.config.counts_tokens:
            self.setup()  # lazily, for library callers that skip setup
            assert self.counter is not None
            for record, counts in zip(batch, self.counter.counts(batch), strict=True):
                record.annotations.extra["tokens"] = {
                    "total": counts.total,
                    "assistant": counts.assistant,
                    "unit": self.counter.name,  # "whitespace" when no tokenizer is named
                }
        return [self.reason(record) for record in batch]

    def check(self, record: InstructionRecord) -> str | None:
        return self.judge([record])[0]  # type: ignore[return-value]

    def _token_reason(self, record: InstructionRecord) -> str | None:
        c = self.config
        if c.min_tokens is None and c.max_tokens is None:
            return None
        tokens = record.annotations.extra["tokens"][c.count_tokens]
        if c.min_tokens is not None and tokens < c.min_tokens:
            return "too_few_tokens"
        if c.max_tokens is not None and tokens > c.max_tokens:
            return "too_many_tokens"
        return None

    def reason(self, record: InstructionRecord) -> str | None:
        """The first failed check's reason code, or None when the record passes."""
        c = self.config
        output_parts, prompt_parts = [], []
        for m in record.messages:
            if m.role in ("assistant", "document"):
                if not m.content.strip():
                    return "empty_output"
                output_parts.append(m.content)
            elif m.role == "user":
                if not m.content.strip():
                    return "empty_prompt"
                prompt_parts.append(m.content)
        checks = (
            (
                "output",
                output_parts,
                (c.min_output_words, c.max_output_words, c.min_output_chars, c.max_output_chars),
            ),
            (
                "prompt",
                prompt_parts,
                (c.min_prompt_words, c.max_prompt_words, c.min_prompt_chars, c.max_prompt_chars),
            ),
        )
        for kind, parts, limits in checks[:1] if is_document(record) else checks:
            text = "\n".join(parts)
            broken = length_limit(text, len(text), kind, *limits)
            if broken is not None:
                return broken[0]
        return self._token_reason(record)
