"""PII outside the conversation: ``meta`` fields, ``provenance.original_id``.

A row's extra fields travel with the record into every output (``meta``), and its own id into
``provenance.original_id``; either can hold an e-mail address, a name or an SSN. When a pii stage
replaces PII, these strings are redacted too, with the same analyzer, in one batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from curator.pii import redact
from curator.pii.engine import TextResult
from curator.records import InstructionRecord

Analyze = Callable[[Sequence[str], Sequence[str | None] | None], list[TextResult]]


def scrub_fields(records: Sequence[InstructionRecord], analyze: Analyze) -> int:
    """Redact PII in every string of ``meta`` (at any depth) and in ``original_id``, in place.

    Returns how many strings changed.
    """
    slots: list[tuple[Callable[[str], None], str]] = []
    for record in records:
        _collect(record.meta, slots)
        provenance = record.provenance
        if provenance.original_id:
            slots.append((_setter(provenance, "original_id"), provenance.original_id))
    if not slots:
        return 0
    texts = [text for _, text in slots]
    changed = 0
    for (assign, text), found in zip(slots, analyze(texts, None), strict=True):
        if found.spans:
            assign(redact.apply(text, found.spans)[0])
            changed += 1
    return changed


def _collect(value: Any, slots: list[tuple[Callable[[str], None], str]]) -> None:
    # Iterative: meta can be deep (up to the reader's depth limit).
    stack = [value]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, item in items:
            if isinstance(item, str):
                if item.strip():
                    slots.append((_item_setter(node, key), item))
            elif isinstance(item, dict | list):
                stack.append(item)


def _item_setter(container: Any, key: Any) -> Callable[[str], None]:
    def assign(text: str) -> None:
        container[key] = text

    return assign


def _setter(obj: Any, attribute: str) -> Callable[[str], None]:
    def assign(text: str) -> None:
        setattr(obj, attribute, text)

    return assign
