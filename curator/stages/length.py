"""Empty and length filter: the cheapest checks, run first to spare later stages.

"Output" is the assistant turns, "prompt" the user turns; a document's text is its output and
it has no prompt (the prompt limits do not apply to it). Words are whitespace-separated
tokens, which undercounts scripts written without spaces (Chinese, Japanese, Thai): use the
character limits for those.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from curator.quality.checks import length_limit
from curator.records import InstructionRecord, is_document
from curator.stages.base import RecordStage, StageConfig


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


class LengthFilter(RecordStage[LengthFilterConfig]):
    config_model = LengthFilterConfig
    # `curator audit` leaves this stage out: the quality stage makes the same checks per turn.
    audit: ClassVar[bool] = False
    audit_reason: ClassVar[str] = "the quality stage covers empty and length checks"

    def check(self, record: InstructionRecord) -> str | None:
        return self.reason(record)

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
        return None
