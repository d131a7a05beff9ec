"""ShareGPT: ``conversations: [{"from", "value"}]`` with an optional top-level ``system``.

``from`` labels and the roles they are read as:

==============================================  =========
human, user                                     user
gpt, assistant, chatgpt, bard, bing, model      assistant
function_call                                   assistant (LLaMA-Factory: the model's tool call)
observation, tool, function                     tool      (the tool's result)
system                                          system
==============================================  =========

``function_call`` is read as assistant, not tool: in LLaMA-Factory's sharegpt it is the model's
own turn (its call), followed by an ``observation`` with the result.

Written labels are human, gpt, system and observation; a row's other labels are kept in
``meta["message_fields"]`` and written back, as are other per-turn fields (``weight``, ...), so
round trips are exact. A system prompt is written as a ``from: system`` turn, or as a top-level
``system`` field when the row had it there (``meta["sharegpt_system_field"]``). Names of
messages, which sharegpt has no place for, are written as a ``name`` key of the turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from curator.errors import FormatError
from curator.formats.base import (
    MISSING,
    Format,
    build_record,
    check_flatten,
    extra_fields,
    finish_row,
    text_error,
    type_name,
    with_original_id,
)
from curator.records import InstructionRecord

_KNOWN = frozenset({"id", "conversations", "system"})
ROLE_OF_LABEL = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "model": "assistant",
    "function_call": "assistant",
    "observation": "tool",
    "tool": "tool",
    "function": "tool",
    "system": "system",
}
LABEL_OF_ROLE = {"user": "human", "assistant": "gpt", "system": "system", "tool": "observation"}
_ACCEPTED = ", ".join(ROLE_OF_LABEL)


class ShareGPT(Format):
    """ShareGPT / LLaMA-Factory sharegpt rows."""

    name: ClassVar[str] = "sharegpt"
    required: ClassVar[frozenset[str]] = frozenset({"conversations"})

    def fits(self, row: Mapping[str, Any]) -> bool:
        return isinstance(row.get("conversations"), list)

    def to_record(self, row: Mapping[str, Any], provenance: Mapping[str, Any]) -> InstructionRecord:
        turns = row.get("conversations", MISSING)
        if not isinstance(turns, list):
            if turns is MISSING:
                raise text_error("conversations", MISSING, row)
            raise FormatError(f"field 'conversations' is {type_name(turns)}, expected a list of turns")
        meta = extra_fields(row, _KNOWN)
        messages: list[dict[str, Any]] = []
        system = row.get("system")
        if system:
            if not isinstance(system, str):
                raise text_error("system", system)
            messages.append({"role": "system", "content": system})
            meta["sharegpt_system_field"] = True
        elif "system" in row:
            if system not in ("", None):
                raise text_error("system", system)
            meta["system"] = system  # empty: no system message, written back as it was
        fields: dict[str, Any] = {}
        for index, turn in enumerate(turns):
            messages.append(_read_turn(turn, index, len(messages), fields))
        if fields:
            meta["message_fields"] = fields
        return build_record(messages, with_original_id(row, provenance, meta), meta)

    def from_record(self, record: InstructionRecord, *, flatten: str = "error") -> dict[str, Any]:
        """Write the conversation; every record fits, so ``flatten`` is never needed."""
        check_flatten(flatten)
        meta = record.meta
        stored = meta.get("message_fields")
        fields: dict[str, Any] = {}
        turns = []
        for index, message in enumerate(record.messages):
            if index == 0 and message.role == "system" and meta.get("sharegpt_system_field"):
                fields["system"] = message.content
                continue
            turn: dict[str, Any] = {"from": LABEL_OF_ROLE[message.role], "value": message.content}
            if message.name is not None:
                turn["name"] = message.name
            extra = stored.get(str(index)) if isinstance(stored, dict) else None
            if extra:
                for key, value in extra.items():
                    if key == "from":
                        if ROLE_OF_LABEL.get(value) == message.role:
                            turn["from"] = value
                    elif key not in ("role", "content"):  # OpenAI-only labels and markers
                        turn[key] = value
            turns.append(turn)
        fields["conversations"] = turns
        return finish_row(record, fields)


def _read_turn(turn: Any, index: int, message_index: int, fields: dict[str, Any]) -> dict[str, Any]:
    where = f"conversations[{index}]"
    if not isinstance(turn, Mapping):
        raise FormatError(f"{where} is {type_name(turn)}, expected an object with from and value")
    label = turn.get("from", MISSING)
    role = ROLE_OF_LABEL.get(label) if isinstance(label, str) else None
    if role is None:
        if label is MISSING:
            if "role" in turn:
                raise FormatError(
                    f"{where} has 'role'/'content' instead of 'from'/'value': that is the messages format; "
                    f"set `format: messages` and `columns: {{conversations: messages}}` on the source"
                )
            raise FormatError(f"missing field '{where}.from'")
        raise FormatError(f"{where}.from is {label!r}; expected one of {_ACCEPTED}")
    value = turn.get("value", MISSING)
    if not isinstance(value, str):
        raise text_error(f"{where}.value", value, turn)
    message: dict[str, Any] = {"role": role, "content": value}
    if len(turn) > 2 or label != LABEL_OF_ROLE[role]:
        extra = {
            k: v for k, v in turn.items() if k != "value" and (k != "from" or label != LABEL_OF_ROLE[role])
        }
        name = extra.pop("name", MISSING)
        if isinstance(name, str):
            message["name"] = name
        elif name is not MISSING:
            extra["name"] = name  # a null or non-text name is kept as it was
        if extra:
            fields[str(message_index)] = extra
    return message
