"""databricks-dolly-15k: ``instruction``, ``context``, ``response``, ``category``.

Messages: user(``instruction``, then a blank line and ``context`` when the context is non-empty)
+ assistant(``response``). ``category`` and any other field go to meta. The context length is
kept as ``meta["input_chars"]`` so the writer can split the user turn again (as for alpaca's
``input``). ``context`` is always written, as ``""`` when empty. Dolly has no system prompt and
one exchange per row; anything else needs ``flatten``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from curator.formats.base import (
    Format,
    build_record,
    extra_fields,
    finish_row,
    get_text,
    join_input,
    split_input,
    text_error,
    with_original_id,
)
from curator.formats.flatten import to_exchange
from curator.records import InstructionRecord

_KNOWN = frozenset({"id", "instruction", "context", "response"})


class Dolly(Format):
    """Databricks Dolly rows."""

    name: ClassVar[str] = "dolly"
    required: ClassVar[frozenset[str]] = frozenset({"instruction", "response"})

    def to_record(self, row: Mapping[str, Any], provenance: Mapping[str, Any]) -> InstructionRecord:
        instruction = get_text(row, "instruction")
        response = get_text(row, "response")
        meta = extra_fields(row, _KNOWN)
        context = row.get("context", "")
        if context is None:
            meta["context"] = None  # read as empty, written back as null
            context = ""
        elif not isinstance(context, str):
            raise text_error("context", context)
        messages = [
            {"role": "user", "content": join_input(instruction, context, meta)},
            {"role": "assistant", "content": response},
        ]
        return build_record(messages, with_original_id(row, provenance, meta), meta)

    def from_record(self, record: InstructionRecord, *, flatten: str = "error") -> dict[str, Any]:
        """Write dolly. ``flatten="last_turn"`` loses earlier turns; ``"concat"`` renders them."""
        exchange = to_exchange(record, self.name, flatten, system_slot=False)
        instruction, context = split_input(exchange.prompt, exchange.input_chars)
        return finish_row(
            record, {"instruction": instruction, "context": context, "response": exchange.response}
        )
