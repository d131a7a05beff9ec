"""OpenAI / TRL chat: ``messages: [{"role", "content", "name"?}]``.

Roles are system, user, assistant and tool; OpenAI's ``developer`` (read as system) and legacy
``function`` (read as tool) are accepted and written back under their own name.

Content may be a list of OpenAI content parts: text parts (``text``, ``input_text``,
``output_text``) are joined with a blank line and written back as one string; any other part
(``image_url``, audio, files) is a FormatError, since records hold text only. A null content is
accepted on an assistant message that carries ``tool_calls``/``function_call`` (OpenAI writes
them so): it is read as ``""`` and written back as null.

Per-message fields the record does not model (``tool_calls``, ``tool_call_id``, ``weight``, ...)
are kept in ``meta["message_fields"]`` keyed by message index and written back in place, so a
round trip is lossless as long as no stage adds or removes messages.
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
    type_name,
    with_original_id,
)
from curator.records import InstructionRecord

_KNOWN = frozenset({"id", "messages"})
_ROLES = {
    "system": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "developer": "system",
    "function": "tool",
}
_TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
_OWN_FIELDS = frozenset({"role", "content", "name"})


class Messages(Format):
    """OpenAI-style chat rows."""

    name: ClassVar[str] = "messages"
    required: ClassVar[frozenset[str]] = frozenset({"messages"})

    def fits(self, row: Mapping[str, Any]) -> bool:
        return isinstance(row.get("messages"), list)

    def to_record(self, row: Mapping[str, Any], provenance: Mapping[str, Any]) -> InstructionRecord:
        turns = row.get("messages", MISSING)
        if turns is MISSING:
            raise FormatError(f"missing field 'messages' (the row has: {', '.join(map(str, row))})")
        meta = extra_fields(row, _KNOWN)
        fields: dict[str, Any] = {}
        messages = parse_messages(turns, "messages", fields)
        if fields:
            meta["message_fields"] = fields
        return build_record(messages, with_original_id(row, provenance, meta), meta)

    def from_record(self, record: InstructionRecord, *, flatten: str = "error") -> dict[str, Any]:
        """Write the chat; every record fits, so ``flatten`` is never needed."""
        check_flatten(flatten)
        stored = record.meta.get("message_fields")
        out = []
        for index, message in enumerate(record.messages):
            turn: dict[str, Any] = {"role": message.role, "content": message.content}
            if message.name is not None:
                turn["name"] = message.name
            extra = stored.get(str(index)) if isinstance(stored, dict) else None
            if extra:
                for key, value in extra.items():
                    if key == "role":
                        if _ROLES.get(value) == message.role:
                            turn["role"] = value
                    elif key == "content":
                        if value is None and not message.content:
                            turn["content"] = None
                    elif key != "from":  # a sharegpt label: meaningless here
                        turn[key] = value
            out.append(turn)
        return finish_row(record, {"messages": out})


def parse_messages(turns: Any, field: str, fields: dict[str, Any], offset: int = 0) -> list[dict[str, Any]]:
    """Read a list of OpenAI messages; per-message extras go to ``fields`` (see module docstring)."""
    if not isinstance(turns, list):
        raise FormatError(f"field '{field}' is {type_name(turns)}, expected a list of messages")
    out = []
    for index, turn in enumerate(turns):
        where = f"{field}[{index}]"
        if not isinstance(turn, Mapping):
            raise FormatError(f"{where} is {type_name(turn)}, expected an object with role and content")
        role = turn.get("role", MISSING)
        canonical = _ROLES.get(role) if isinstance(role, str) else None
        if canonical is None:
            raise _role_error(turn, role, where, field)
        content = turn.get("content", MISSING)
        message: dict[str, Any] = {"role": canonical, "content": content}
        extra: dict[str, Any] = {}
        if not isinstance(content, str):
            message["content"] = _content(content, turn, where, extra)
        if len(turn) > 2 or role != canonical:
            if role != canonical:
                extra["role"] = role
            for key, value in turn.items():
                if key not in _OWN_FIELDS:
                    extra[key] = value
            name = turn.get("name", MISSING)
            if isinstance(name, str):
                message["name"] = name
            elif name is None:
                extra["name"] = None  # an explicit null name comes back as null
            elif name is not MISSING:
                raise FormatError(f"{where}.name is {type_name(name)}, expected text")
        if extra:
            fields[str(offset + index)] = extra
        out.append(message)
    return out


def _content(content: Any, turn: Mapping[str, Any], where: str, extra: dict[str, Any]) -> str:
    """Text of a non-string content: joined text parts, or "" for a tool-call message's null."""
    if isinstance(content, list):
        texts = []
        for number, part in enumerate(content):
            kind = part.get("type") if isinstance(part, Mapping) else None
            if kind not in _TEXT_PARTS:
                what = f"a part of type {kind!r}" if kind else f"{type_name(part)}, not a content part"
                raise FormatError(
                    f"{where}.content[{number}] is {what}; only text is supported "
                    f"(images and other media are not)"
                )
            text = part.get("text")
            if not isinstance(text, str):
                raise FormatError(f"{where}.content[{number}].text is {type_name(text)}, expected text")
            texts.append(text)
        return "\n\n".join(texts)
    if content is None and ("tool_calls" in turn or "function_call" in turn):
        extra["content"] = None
        return ""
    if content is MISSING:
        raise FormatError(f"missing field '{where}.content'")
    raise FormatError(f"{where}.content is {type_name(content)}, expected text")


def _role_error(turn: Mapping[str, Any], role: Any, where: str, field: str) -> FormatError:
    if role is MISSING:
        if "from" in turn:
            return FormatError(
                f"{where} has 'from'/'value' instead of 'role'/'content': that is the sharegpt format; "
                f"set `format: sharegpt` and `columns: {{{field}: conversations}}` on the source"
            )
        return FormatError(f"missing field '{where}.role'")
    return FormatError(
        f"{where}.role is {role!r}; expected one of system, user, assistant, tool (or developer, function)"
    )
