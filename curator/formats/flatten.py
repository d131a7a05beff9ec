"""Fitting a record into a format with fewer slots than a conversation has.

Single-exchange formats (alpaca, dolly, prompt_completion, self_instruct) hold one prompt and one
response, sometimes with a system prompt and (alpaca) a history of earlier [user, assistant]
pairs. :func:`to_exchange` maps a record onto those slots losslessly when it can, and otherwise
applies the caller's ``flatten`` policy:

``"error"``
    raise ConversionError saying what does not fit (tool turns, names, two user turns in a row,
    a conversation that does not end with an assistant reply, ...).
``"concat"``
    everything before the last assistant reply becomes the prompt, one ``Role: text`` paragraph
    per turn (a lone user turn is kept as is); the last assistant reply is the response.
``"last_turn"``
    keep the system prompt and the last user turn before the last assistant reply; earlier turns
    are lost. Without a system slot the system text is put before the prompt.

Both flatten modes drop turns after the last assistant reply (they have no response to train
on) and per-message fields such as ``tool_calls``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from curator.errors import ConversionError
from curator.formats.base import LABEL_FIELDS, check_flatten
from curator.records import InstructionRecord, Message


@dataclass(slots=True)
class Exchange:
    """A record cut down to the slots of a single-exchange format."""

    system: str | None
    history: list[list[str]]
    prompt: str
    response: str
    #: ``meta["input_chars"]`` when it still applies to ``prompt`` (see base), else None.
    input_chars: Any = None


def to_exchange(
    record: InstructionRecord, fmt: str, flatten: str, *, system_slot: bool, history_slot: bool = False
) -> Exchange:
    """The record as one exchange, or ConversionError / a flattened exchange per ``flatten``."""
    check_flatten(flatten)
    messages = record.messages
    n_system = leading_systems(messages)
    problems = unsupported_fields(record, fmt)
    if n_system > 1 and system_slot:
        problems.append(f"it has {n_system} system messages and {fmt} holds one")
    elif n_system and not system_slot:
        problems.append(f"{fmt} has no place for a system prompt")
    rest = messages[n_system:]
    expected = "user"
    for offset, message in enumerate(rest):
        if message.role != expected:
            what = "a tool message" if message.role == "tool" else f"a {message.role} turn"
            problems.append(
                f"messages[{n_system + offset}] is {what} where {fmt} needs a {expected} turn "
                f"(it holds user/assistant turns in alternation)"
            )
            break
        expected = "assistant" if expected == "user" else "user"
    else:
        if expected == "assistant":
            problems.append("the conversation ends with a user turn, not an assistant reply")
        elif len(rest) > 2 and not history_slot:
            problems.append(f"it has {len(rest) // 2} user/assistant exchanges and {fmt} holds one")
    if not problems:
        return Exchange(
            system=messages[0].content if n_system else None,
            history=[[rest[i].content, rest[i + 1].content] for i in range(0, len(rest) - 2, 2)],
            prompt=rest[-2].content,
            response=rest[-1].content,
            input_chars=record.meta.get("input_chars"),
        )
    if flatten == "error":
        raise ConversionError(
            f"record {record.id} cannot be written as {fmt} without losing information: "
            f"{'; '.join(problems)}. Pass flatten='concat' to render earlier turns into the prompt, "
            f"or flatten='last_turn' to keep only the system prompt and the last exchange"
        )
    return flatten_exchange(record, fmt, flatten, system_slot=system_slot)


def flatten_exchange(record: InstructionRecord, fmt: str, flatten: str, *, system_slot: bool) -> Exchange:
    """Apply ``concat`` or ``last_turn`` (see module docstring)."""
    messages = record.messages
    n_system = leading_systems(messages)
    systems = [m.content for m in messages[:n_system]]
    last_reply = max(i for i, m in enumerate(messages) if m.role == "assistant")
    users = [i for i, m in enumerate(messages[:last_reply]) if m.role == "user"]
    if not users:
        raise ConversionError(f"record {record.id}: no user turn before the last assistant reply")
    last_user = max(i for i, m in enumerate(messages) if m.role == "user")
    system = "\n\n".join(systems) if systems and system_slot else None
    turns = messages[n_system:last_reply]
    if flatten == "last_turn" or (len(turns) == 1 and turns[0].name is None):
        prompt_index = users[-1]
        prompt = messages[prompt_index].content
        hint = record.meta.get("input_chars") if prompt_index == last_user else None
        if systems and not system_slot:
            prompt = "\n\n".join([*systems, prompt])
    else:
        if systems and not system_slot:
            turns = messages[:last_reply]
        prompt = render_turns(turns)
        hint = None
    return Exchange(system, [], prompt, messages[last_reply].content, hint)


def render_turns(messages: list[Message]) -> str:
    """``User: ...`` paragraphs, one per turn, for ``flatten='concat'``."""
    parts = []
    for message in messages:
        label = message.role.capitalize()
        if message.name:
            label += f" ({message.name})"
        parts.append(f"{label}: {message.content}")
    return "\n\n".join(parts)


def leading_systems(messages: list[Message]) -> int:
    """How many system messages open the conversation (the record allows them nowhere else)."""
    count = 0
    for message in messages:
        if message.role != "system":
            break
        count += 1
    return count


def unsupported_fields(record: InstructionRecord, fmt: str) -> list[str]:
    """Problems for per-message data a format without per-turn objects cannot hold."""
    problems = []
    for index, message in enumerate(record.messages):
        if message.name is not None:
            problems.append(f"messages[{index}] has a name ({message.name!r}) and {fmt} has no place for it")
    fields = record.meta.get("message_fields")
    if isinstance(fields, dict):
        for index, extra in fields.items():
            keys = [k for k in extra if k not in LABEL_FIELDS] if isinstance(extra, dict) else []
            if keys:
                problems.append(f"messages[{index}] has fields {fmt} cannot hold: {', '.join(keys)}")
    return problems
