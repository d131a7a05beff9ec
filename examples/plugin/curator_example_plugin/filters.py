"""Functions for the built-in ``python`` stage (``function: curator_example_plugin.filters:…``)."""

from __future__ import annotations

from curator.records import InstructionRecord


def no_placeholder_text(record: InstructionRecord, words: tuple[str, ...] = ("lorem ipsum",)) -> str | None:
    """A filter: a reason code for records whose answer holds placeholder text, else None (keep)."""
    answer = " ".join(m.content for m in record.messages if m.role == "assistant").lower()
    return "placeholder_text" if any(w in answer for w in words) else None


def strip_signature(record: InstructionRecord, marker: str = "\n--\n") -> InstructionRecord | None:
    """A mapper: cut an e-mail style signature off each answer; None when there is none."""
    changed = False
    for message in record.messages:
        if message.role == "assistant" and marker in message.content:
            message.content = message.content.split(marker, 1)[0]
            changed = True
    return record if changed else None
