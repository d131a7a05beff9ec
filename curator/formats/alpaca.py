"""Alpaca: ``instruction``, ``input``, ``output``, with LLaMA-Factory's optional ``system`` and ``history``.

Messages: [system] + history pairs as user/assistant turns + user(``instruction``, followed by
a blank line and ``input`` when the input is non-empty) + assistant(``output``).

The instruction/input split cannot be recovered from the user turn (both may contain blank
lines), so when ``input`` is non-empty its length is kept as ``meta["input_chars"]`` (see
:mod:`curator.formats.base`); the writer splits the last user turn there. ``input`` is always
written, as ``""`` when empty, so a row without an ``input`` field comes back with ``input: ""``.
Empty ``system``/``history`` and a null ``input`` stay in meta and come back as they were.

Any conversation of alternating user/assistant turns fits (earlier pairs go to ``history``);
tool turns, names, several system messages, two user turns in a row or a conversation that does
not end with an assistant reply need ``flatten`` (see :mod:`curator.formats.flatten`).
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
    split_input,
    text_error,
    type_name,
    with_original_id,
)
from curator.formats.flatten import to_exchange
from curator.records import InstructionRecord

_KNOWN = frozenset({"id", "instruction", "input", "output", "system", "history"})


class Alpaca(Format):
    """Stanford Alpaca / LLaMA-Factory alpaca rows."""

    name: ClassVar[str] = "alpaca"
    required: ClassVar[frozenset[str]] = frozenset({"instruction", "output"})

    def to_record(self, row: Mapping[str, Any], provenance: Mapping[str, Any]) -> InstructionRecord:
        instruction = row.get("instruction", MISSING)
        output = row.get("output", MISSING)
        input_text = row.get("input", "")
        if not isinstance(instruction, str):
            raise text_error("instruction", instruction, row)
        if not isinstance(output, str):
            raise text_error("output", output, row)
        # Plain instruction/input/output rows (the common case) have nothing for meta.
        meta = extra_fields(row, _KNOWN) if len(row) > 2 + ("input" in row) else {}
        if input_text.__class__ is not str:
            if input_text is None:
                meta["input"] = None  # read as empty, written back as null
                input_text = ""
            elif not isinstance(input_text, str):
                raise text_error("input", input_text)
        if input_text:
            meta["input_chars"] = len(input_text)
            user = f"{instruction}\n\n{input_text}"
        else:
            user = instruction
        messages: list[dict[str, Any]] = []
        if "system" in row or "history" in row:
            _system_and_history(row, messages, meta)
        messages.append({"role": "user", "content": user})
        messages.append({"role": "assistant", "content": output})
        return build_record(messages, with_original_id(row, provenance, meta), meta)

    def from_record(self, record: InstructionRecord, *, flatten: str = "error") -> dict[str, Any]:
        """Write alpaca; earlier alternating turns go to ``history``.

        ``flatten="last_turn"`` loses earlier turns; ``"concat"`` renders them into ``instruction``.
        """
        exchange = to_exchange(record, self.name, flatten, system_slot=True, history_slot=True)
        instruction, input_text = split_input(exchange.prompt, exchange.input_chars)
        fields: dict[str, Any] = {
            "instruction": instruction,
            "input": input_text,
            "output": exchange.response,
        }
        if exchange.system is not None:
            fields["system"] = exchange.system
        if exchange.history:
            fields["history"] = exchange.history
        return finish_row(record, fields)


def _system_and_history(row: Mapping[str, Any], messages: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    """Add the optional system prompt and history turns; empty ones stay in meta as they were."""
    system = row.get("system")
    if system:
        if not isinstance(system, str):
            raise text_error("system", system)
        messages.append({"role": "system", "content": system})
    elif "system" in row:
        if system not in ("", None):
            raise text_error("system", system)
        meta["system"] = system
    history = row.get("history")
    if not history:
        if "history" in row:
            if history not in ([], None):
                raise FormatError(
                    f"field 'history' is {type_name(history)}, expected a list of [user, assistant]"
                )
            meta["history"] = history
        return
    if not isinstance(history, list):
        raise FormatError(f"field 'history' is {type_name(history)}, expected a list of [user, assistant]")
    for index, pair in enumerate(history):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise FormatError(f"field 'history[{index}]' is not a [user, assistant] pair")
        for slot, role in enumerate(("user", "assistant")):
            if not isinstance(pair[slot], str):
                raise text_error(f"history[{index}][{slot}]", pair[slot])
            messages.append({"role": role, "content": pair[slot]})
