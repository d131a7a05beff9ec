"""Recipe ``columns:`` mappings: renaming a source's fields to a format's, and suggesting one."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from curator.errors import FormatError

# Field names seen in the wild for each canonical field, best first.
_ALIASES: dict[str, tuple[str, ...]] = {
    "instruction": ("instruction", "question", "query", "prompt", "problem", "inputs", "request", "task"),
    "input": ("input", "context"),
    "output": (
        "output",
        "answer",
        "std_answer",
        "response",
        "completion",
        "solution",
        "target",
        "targets",
        "reply",
        "answers",
        "outputs",
    ),
}
_CHAT_ALIASES = ("conversations", "conversation", "messages", "dialog", "dialogue", "chat", "turns")
# Language tags around a name: en_instruction, instruction_zh.
_LANGUAGE_TAG = re.compile(r"^[a-z]{2}_(?=[a-z])|_[a-z]{2}$")


def rename_columns(row: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """Apply a ``{source_name: canonical_name}`` mapping; unmapped fields are kept as they are.

    Renames are simultaneous, so ``{instruction: zh_instruction, en_instruction: instruction}``
    swaps names. Two fields ending up with one name is a FormatError rather than a silent loss.
    """
    if not mapping:
        return dict(row)
    out = {mapping.get(key, key): value for key, value in row.items()}
    if len(out) < len(row):
        sources: dict[str, list[str]] = {}
        for key in row:
            sources.setdefault(mapping.get(key, key), []).append(key)
        target, names = next((t, n) for t, n in sources.items() if len(n) > 1)
        unmapped = next((n for n in names if n not in mapping), names[-1])
        raise FormatError(
            f"columns: fields {' and '.join(map(repr, names))} would both become {target!r}; "
            f"map {unmapped!r} to another name too, e.g. {unmapped}: original_{unmapped}"
        )
    return out


def suggest_columns(rows: Iterable[Mapping[str, Any]]) -> dict[str, str] | None:
    """A likely ``columns:`` mapping for rows no format fits, or None when nothing looks familiar."""
    rows = list(rows)
    keys = list(dict.fromkeys(key for row in rows for key in row if isinstance(key, str)))
    found: dict[str, str] = {}
    for canonical, aliases in _ALIASES.items():
        best = None
        for key in keys:
            if key in found.values():
                continue
            name = _LANGUAGE_TAG.sub("", key.lower())
            if name in aliases:
                rank = (key != canonical, aliases.index(name), key)
                if best is None or rank < best[0]:
                    best = (rank, key)
        if best is not None:
            found[canonical] = best[1]
    if "instruction" not in found and "input" in found:
        found["instruction"] = found.pop("input")  # {input, output} rows: the input is the prompt
    if "instruction" in found and "output" in found:
        return {key: canonical for canonical, key in found.items() if key != canonical}
    for key in keys:
        if _LANGUAGE_TAG.sub("", key.lower()) in _CHAT_ALIASES:
            turn = next((r[key][0] for r in rows if isinstance(r.get(key), list) and r[key]), None)
            if isinstance(turn, Mapping) and ("from" in turn or "role" in turn):
                target = "conversations" if "from" in turn else "messages"
                return {key: target} if key != target else None
    return None


def format_mapping(mapping: Mapping[str, str]) -> str:
    """A mapping as YAML flow text: ``{question: instruction, std_answer: output}``."""
    return "{" + ", ".join(f"{source}: {target}" for source, target in mapping.items()) + "}"
