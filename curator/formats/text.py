"""Text: one ``text`` field holding a whole conversation between turn markers.

Marker styles, tried in this order (a row uses the first whose user and assistant markers both
occur in its text):

=============  ================================================================================
chatml         ``<|im_start|>user\\n…<|im_end|>`` (roles system, user, assistant, tool)
zephyr         ``<|system|>\\n…</s>\\n<|user|>\\n…</s>\\n<|assistant|>\\n…</s>``
human          ``### Human: … ### Assistant: …`` (guanaco / Dolly-as-text; the default for writing)
instruction    ``### Instruction:\\n…\\n\\n### Input:\\n…\\n\\n### Response:\\n…`` (Alpaca prompt)
vicuna         ``USER: … ASSISTANT: …</s>``
hh             ``\\n\\nHuman: … \\n\\nAssistant: …`` (Anthropic HH; also on one line)
=============  ================================================================================

Text before the first marker (e.g. Vicuna's "A chat between a curious user…" or Alpaca's "Below
is an instruction…") becomes the system message, and is where a system prompt is written for
styles without a system marker. ``### Input:`` is joined to its instruction with a blank line,
as for alpaca. The ``hh`` and ``vicuna`` markers count only at the start of the text or after
whitespace. A trailing empty assistant turn (a generation prompt) is dropped.

Whitespace around each turn's text is stripped and not preserved, so a round trip gives the same
turns but not necessarily the same bytes. Records are written in the row's own style
(``meta["text_style"]``, set for styles other than ``human``) unless the Text format was made
with an explicit ``style``; a turn whose text contains a marker of that style cannot be written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from curator.errors import ConversionError, FormatError
from curator.formats.base import (
    Format,
    build_record,
    check_flatten,
    extra_fields,
    finish_row,
    get_text,
    split_input,
    with_original_id,
)
from curator.formats.flatten import flatten_exchange, leading_systems, unsupported_fields
from curator.records import InstructionRecord, Message


@dataclass(frozen=True, slots=True)
class Style:
    """One marker convention."""

    name: str
    user_marker: str
    assistant_marker: str
    #: Splits the text; its one group captures the role label.
    pattern: re.Pattern[str]
    roles: dict[str, str]
    #: End-of-turn token, stripped from the end of a turn.
    end: str = ""


STYLES: dict[str, Style] = {
    style.name: style
    for style in (
        Style(
            "chatml",
            "<|im_start|>user",
            "<|im_start|>assistant",
            re.compile(r"<\|im_start\|>(\w*)"),
            {"system": "system", "user": "user", "assistant": "assistant", "tool": "tool"},
            "<|im_end|>",
        ),
        Style(
            "zephyr",
            "<|user|>",
            "<|assistant|>",
            re.compile(r"<\|(system|user|assistant)\|>"),
            {"system": "system", "user": "user", "assistant": "assistant"},
            "</s>",
        ),
        Style(
            "human",
            "### Human:",
            "### Assistant:",
            re.compile(r"### (Human|Assistant):"),
            {"Human": "user", "Assistant": "assistant"},
        ),
        Style(
            "instruction",
            "### Instruction:",
            "### Response:",
            re.compile(r"### (Instruction|Input|Response):"),
            {"Instruction": "user", "Input": "user", "Response": "assistant"},
        ),
        Style(
            "vicuna",
            "USER:",
            "ASSISTANT:",
            re.compile(r"(?:^|(?<=\s)|(?<=</s>))(USER|ASSISTANT):"),
            {"USER": "user", "ASSISTANT": "assistant"},
            "</s>",
        ),
        Style(
            "hh",
            "Human:",
            "Assistant:",
            re.compile(r"(?:^|(?<=\s))(Human|Assistant):"),
            {"Human": "user", "Assistant": "assistant"},
        ),
    )
}
DEFAULT_STYLE = "human"
MARKERS_HELP = ", ".join(f"{s.user_marker!r}…{s.assistant_marker!r}" for s in STYLES.values())
_KNOWN = frozenset({"id", "text"})


def detect_style(text: str) -> Style | None:
    """The first style whose user and assistant markers both occur in ``text`` (substring tests)."""
    for style in STYLES.values():
        if style.user_marker in text and style.assistant_marker in text:
            return style
    return None


class Text(Format):
    """Conversations serialised into one ``text`` field."""

    name: ClassVar[str] = "text"
    required: ClassVar[frozenset[str]] = frozenset({"text"})

    def __init__(self, style: str | None = None) -> None:
        if style is not None and style not in STYLES:
            raise ValueError(f"unknown text style {style!r}; expected one of {', '.join(STYLES)}")
        self.style = style

    def fits(self, row: Mapping[str, Any]) -> bool:
        text = row.get("text")
        return isinstance(text, str) and detect_style(text) is not None

    def to_record(self, row: Mapping[str, Any], provenance: Mapping[str, Any]) -> InstructionRecord:
        text = get_text(row, "text")
        style = detect_style(text)
        if style is None:
            raise FormatError(_no_markers(text))
        meta = extra_fields(row, _KNOWN)
        messages = _parse(text, style, meta)
        if style.name != DEFAULT_STYLE:
            meta["text_style"] = style.name
        return build_record(messages, with_original_id(row, provenance, meta), meta)

    def from_record(self, record: InstructionRecord, *, flatten: str = "error") -> dict[str, Any]:
        """Write the conversation in this format's style (or the row's own).

        Tool turns (except in chatml), names, per-message fields and several system prompts (except
        in chatml and zephyr) need ``flatten``: ``"last_turn"`` loses earlier turns, ``"concat"``
        renders them into one user turn.
        """
        check_flatten(flatten)
        style = STYLES[self.style or record.meta.get("text_style") or DEFAULT_STYLE]
        messages = record.messages
        hint = record.meta.get("input_chars")
        problems = unsupported_fields(record, f"text ({style.name} style)")
        if style.name != "chatml" and any(m.role == "tool" for m in messages):
            problems.append(f"the {style.name} style has no tool turns")
        if style.name not in ("chatml", "zephyr") and leading_systems(messages) > 1:
            problems.append(f"it has several system messages and the {style.name} style holds one")
        if problems:
            if flatten == "error":
                raise ConversionError(
                    f"record {record.id} cannot be written as text without losing information: "
                    f"{'; '.join(problems)}. Pass flatten='concat' to render earlier turns into the prompt, "
                    f"or flatten='last_turn' to keep only the system prompt and the last exchange"
                )
            exchange = flatten_exchange(record, "text", flatten, system_slot=True)
            messages = [Message(role="user", content=exchange.prompt)]
            messages.append(Message(role="assistant", content=exchange.response))
            if exchange.system is not None:
                messages.insert(0, Message(role="system", content=exchange.system))
            hint = exchange.input_chars
        return finish_row(record, {"text": _render(messages, style, hint, record.id)})


def _no_markers(text: str) -> str:
    for style in STYLES.values():
        if style.user_marker in text:
            return f"field 'text' has a {style.user_marker!r} marker but no {style.assistant_marker!r} reply"
    return f"field 'text' has no turn markers; expected one of {MARKERS_HELP}"


def _parse(text: str, style: Style, meta: dict[str, Any]) -> list[dict[str, Any]]:
    parts = style.pattern.split(text)
    preamble = parts[0].strip().removeprefix("<s>").lstrip()
    messages: list[dict[str, Any]] = [{"role": "system", "content": preamble}] if preamble else []
    input_of: dict[int, int] = {}  # message index -> length of its ### Input: text
    for label, body in zip(parts[1::2], parts[2::2], strict=True):
        body = body.strip()
        if style.end and body.endswith(style.end):
            body = body[: -len(style.end)].rstrip()
        role = style.roles.get(label)
        if role is None:
            raise FormatError(
                f"text: unknown {style.name} role {label!r}; expected one of {', '.join(style.roles)}"
            )
        if label == "Input":
            last = len(messages) - 1
            if last < 0 or messages[last]["role"] != "user" or last in input_of:
                raise FormatError("text: '### Input:' must follow an '### Instruction:'")
            if body:
                messages[last]["content"] += f"\n\n{body}"
                input_of[last] = len(body)
            continue
        messages.append({"role": role, "content": body})
    if messages and messages[-1]["role"] == "assistant" and not messages[-1]["content"]:
        messages.pop()  # "### Assistant:" with nothing after it: a generation prompt, not a reply
    last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=-1)
    if last_user in input_of:
        meta["input_chars"] = input_of[last_user]
    return messages


def _render(messages: list[Message], style: Style, hint: Any, record_id: str) -> str:
    for index, message in enumerate(messages):
        content = message.content
        if style.pattern.search(content) or (style.end and style.end in content):
            raise ConversionError(
                f"record {record_id}: messages[{index}] contains a {style.name}-style turn marker, "
                f"so it would be read back as several turns; choose another text style"
            )
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    name = style.name
    if name == "chatml":
        return "\n".join(f"<|im_start|>{m.role}\n{m.content}<|im_end|>" for m in messages)
    if name == "zephyr":
        return "\n".join(f"<|{m.role}|>\n{m.content}</s>" for m in messages)
    has_system = bool(messages) and messages[0].role == "system"
    system = messages[0].content if has_system else ""
    pieces = []
    for index, message in enumerate(messages[1:] if has_system else messages, start=int(has_system)):
        user = message.role == "user"
        if name == "human":
            pieces.append(f"### {'Human' if user else 'Assistant'}: {message.content}")
        elif name == "hh":
            pieces.append(f"\n\n{'Human' if user else 'Assistant'}: {message.content}")
        elif name == "vicuna":
            pieces.append(f"USER: {message.content} " if user else f"ASSISTANT: {message.content}</s>")
        elif user:
            instruction, input_text = split_input(message.content, hint if index == last_user else None)
            block = f"### Instruction:\n{instruction}"
            pieces.append(f"{block}\n\n### Input:\n{input_text}" if input_text else block)
        else:
            pieces.append(f"### Response:\n{message.content}")
    if name == "human":
        return " ".join([system, *pieces] if system else pieces)
    if name == "hh":
        return system + "".join(pieces)
    if name == "vicuna":
        return ((f"{system} " if system else "") + "".join(pieces)).rstrip()
    return "\n\n".join([system, *pieces] if system else pieces)
