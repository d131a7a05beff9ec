"""Prompt/completion: ``prompt`` + ``completion`` (OpenAI legacy fine-tuning, TRL).

Messages: user(``prompt``) + assistant(``completion``), both kept exactly (legacy OpenAI data
relies on separators such as a trailing ``"\\n\\n###\\n\\n"`` and a leading space in the
completion). TRL's conversational variant, where ``prompt`` and ``completion`` are lists of
``{"role", "content"}`` messages, is read too (as the ``messages`` format reads them) but always
written back in the plain-text form. Preference data (``chosen``/``rejected``) is not handled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from curator.errors import FormatError
from curator.formats.base import (
    MISSING,
    Format,
    build_record,
    extra_fields,
    finish_row,
    text_error,
    with_original_id,
)
from curator.formats.flatten import to_exchange
from curator.formats.messages import parse_messages
from curator.records import InstructionRecord

_KNOWN = frozenset({"id", "prompt", "completion"})


class PromptCompletion(Format):
    """Prompt/completion rows."""

    name: ClassVar[str] = "prompt_completion"
    required: ClassVar[frozenset[str]] = frozenset({"prompt", "completion"})

    def to_record(self, row: Mapping[str, Any], provenance: Mapping[str, Any]) -> InstructionRecord:
        prompt = row.get("prompt", MISSING)
        completion = row.get("completion", MISSING)
        if completion is MISSING and "chosen" in row:
            raise FormatError(
                "missing field 'completion': rows with chosen/rejected are preference data, not handled"
            )
        meta = extra_fields(row, _KNOWN)
        if isinstance(prompt, list) and isinstance(completion, list):
            fields: dict[str, Any] = {}
            messages = parse_messages(prompt, "prompt", fields)
            messages += parse_messages(completion, "completion", fields, offset=len(messages))
            if fields:
                meta["message_fields"] = fields
        else:
            if not isinstance(prompt, str):
                raise text_error("prompt", prompt, row)
            if not isinstance(completion, str):
                raise text_error("completion", completion, row)
            messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": completion}]
        return build_record(messages, with_original_id(row, provenance, meta), meta)

    def from_record(self, record: InstructionRecord, *, flatten: str = "error") -> dict[str, Any]:
        """Write the text form. ``flatten="last_turn"`` loses earlier turns; ``"concat"`` renders them."""
        exchange = to_exchange(record, self.name, flatten, system_slot=False)
        return finish_row(record, {"prompt": exchange.prompt, "completion": exchange.response})
