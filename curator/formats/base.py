"""The adapter interface, and the helpers every adapter shares.

An adapter turns one raw row of a dataset format into an :class:`InstructionRecord` and back.
Rules all adapters follow:

* Text is never coerced: a number, list or null where text belongs is a :class:`FormatError`
  that names the field (``field 'output' is int, expected text``).
* Lossless: fields a format does not model go to ``record.meta`` under their own name and are
  written back by ``from_record``; the row's ``id`` becomes ``provenance.original_id`` (and is
  written back as ``id``). Empty optional fields (``system: ""``, ``history: []``, ``input: null``)
  are kept in meta too, so they come back exactly.
* A few meta keys belong to curator itself (:data:`RESERVED_META_KEYS`); they record what a
  format needs to rebuild its row and are never written out as fields:

  ``input_chars``
      The last user turn is ``instruction + "\\n\\n" + input`` and the input (alpaca ``input``,
      dolly ``context``, self-instruct ``instances[0].input``, ``### Input:``) had this many
      characters. Only set when the input was non-empty, since that split cannot be recovered
      from the text. A length rather than a copy of the text, so that a stage that redacts
      the messages leaves no second copy behind; if a stage changed the turn so the blank line
      is no longer there, the writer puts the whole turn in the instruction.
  ``message_fields``
      ``{"<message index>": {field: value}}``: per-message fields the record does not model
      (``tool_calls``, ``weight``, a non-default sharegpt ``from`` label, an OpenAI role alias).
  ``sharegpt_system_field``
      True when a sharegpt row carried its system prompt in a top-level ``system`` field.
  ``text_style``
      Marker style of a ``text`` row, when it was not the default ``### Human:`` style.
  ``instance_fields``
      Fields of a self-instruct instance other than ``input`` and ``output``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import ValidationError

from curator.errors import ConversionError, FormatError
from curator.records import InstructionRecord

Flatten = Literal["error", "concat", "last_turn"]
FLATTEN_POLICIES: tuple[str, ...] = ("error", "concat", "last_turn")

RESERVED_META_KEYS = frozenset(
    {"input_chars", "message_fields", "sharegpt_system_field", "text_style", "instance_fields"}
)
# Per-message fields that only relabel a turn; formats without per-turn objects may drop them.
LABEL_FIELDS = frozenset({"from", "role"})

MISSING: Any = object()
_EMPTY: tuple[Any, ...] = ("", None, [])


class Format(ABC):
    """One dataset format: reads a raw row into a record, writes a record as a row."""

    name: ClassVar[str]
    #: Fields whose presence (by name) identifies the format in :func:`detect_format`.
    required: ClassVar[frozenset[str]]

    def fits(self, row: Mapping[str, Any]) -> bool:
        """Whether the row has this format's identifying fields (names only: cheap)."""
        return row.keys() >= self.required

    @abstractmethod
    def to_record(self, row: Mapping[str, Any], provenance: Mapping[str, Any]) -> InstructionRecord:
        """Convert one (column-renamed) row; raise FormatError saying what is wrong with it."""

    @abstractmethod
    def from_record(self, record: InstructionRecord, *, flatten: str = "error") -> dict[str, Any]:
        """Write the record as a row of this format.

        ``flatten`` decides what happens when the format cannot hold the conversation:
        ``"error"`` raises ConversionError, ``"concat"`` renders earlier turns into the prompt
        text, ``"last_turn"`` keeps the system prompt and the last exchange (earlier turns are lost).
        """

    def __repr__(self) -> str:
        return f"<format {self.name}>"


def build_record(
    messages: list[dict[str, Any]], provenance: Mapping[str, Any], meta: dict[str, Any]
) -> InstructionRecord:
    """Validate the record once; turn a ValidationError into a one-line FormatError."""
    try:
        # An explicit {} is validated in Rust; the default_factory would run a Python __init__.
        return InstructionRecord.model_validate(
            {"messages": messages, "provenance": provenance, "annotations": {}, "meta": meta}
        )
    except ValidationError as exc:
        raise FormatError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """One readable line: ``messages[1].content: Input should be a valid string``."""
    errors = exc.errors(include_url=False)
    parts = []
    for error in errors[:3]:
        loc = ""
        for item in error["loc"]:
            loc += f"[{item}]" if isinstance(item, int) else (f".{item}" if loc else str(item))
        msg = error["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    if len(errors) > 3:
        parts.append(f"and {len(errors) - 3} more")
    return "; ".join(parts)


def type_name(value: Any) -> str:
    """A JSON-ish name for a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def text_error(name: str, value: Any, row: Mapping[str, Any] | None = None) -> FormatError:
    """The error for a field that should hold text but is missing, null or of another type."""
    if value is MISSING:
        has = f" (the row has: {', '.join(map(str, row))})" if row is not None else ""
        return FormatError(f"missing field '{name}'{has}")
    return FormatError(f"field '{name}' is {type_name(value)}, expected text")


def get_text(row: Mapping[str, Any], name: str) -> str:
    """A required text field, or FormatError."""
    value = row.get(name, MISSING)
    if not isinstance(value, str):
        raise text_error(name, value, row)
    return value


def extra_fields(row: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The row's fields the format does not model, in row order (they become record.meta)."""
    meta = {k: v for k, v in row.items() if k not in known}
    if meta and not RESERVED_META_KEYS.isdisjoint(meta):
        clash = sorted(RESERVED_META_KEYS.intersection(meta))
        raise FormatError(
            f"field {clash[0]!r} has a name curator uses for its own record.meta keys; "
            f"rename it with `columns:` on the source"
        )
    return meta


def with_original_id(
    row: Mapping[str, Any], provenance: Mapping[str, Any], meta: dict[str, Any]
) -> Mapping[str, Any]:
    """Provenance with ``original_id`` from the row's ``id``.

    A non-text id (an int, null) is also kept in meta so that it is written back with its type.
    """
    rid = row.get("id", MISSING)
    if rid is MISSING:
        return provenance
    if isinstance(rid, str):
        return {**provenance, "original_id": rid}
    meta["id"] = rid
    if isinstance(rid, int) and not isinstance(rid, bool):
        return {**provenance, "original_id": str(rid)}
    return provenance


def join_input(instruction: str, input_text: str, meta: dict[str, Any]) -> str:
    """The user turn ``instruction + "\\n\\n" + input``; records the split in meta when needed."""
    if not input_text:
        return instruction
    meta["input_chars"] = len(input_text)
    return f"{instruction}\n\n{input_text}"


def split_input(content: str, input_chars: Any) -> tuple[str, str]:
    """Undo :func:`join_input`: (instruction, input). Without a valid hint the input is empty."""
    if isinstance(input_chars, int) and 0 < input_chars <= len(content) - 2:
        cut = len(content) - input_chars
        if content[cut - 2 : cut] == "\n\n":
            return content[: cut - 2], content[cut:]
    return content, ""


def finish_row(record: InstructionRecord, fields: dict[str, Any]) -> dict[str, Any]:
    """The written row: ``id`` (when the record has one), the format's fields, then record.meta.

    A meta field that collides with a field the format wrote is an error, unless one of them is
    an empty placeholder (meta's empty value then wins, so ``input: null`` comes back as null).
    """
    meta = record.meta
    out: dict[str, Any] = {}
    original_id = record.provenance.original_id
    if "id" in meta and (original_id is None or str(meta["id"]) == original_id):
        out["id"] = meta["id"]
    elif original_id is not None:
        out["id"] = original_id
    out.update(fields)
    for key, value in meta.items():
        if key == "id" or key in RESERVED_META_KEYS:
            continue
        if key in fields:
            current = fields[key]
            if value in _EMPTY and current in _EMPTY:
                out[key] = value
            elif value not in _EMPTY and current != value:
                raise ConversionError(
                    f"record {record.id}: meta field {key!r} has the same name as a field of the "
                    f"target format; rename or drop it before converting"
                )
            continue
        out[key] = value
    return out


def check_flatten(flatten: str) -> None:
    """Reject an unknown flatten policy (a programming or recipe error)."""
    if flatten not in FLATTEN_POLICIES:
        raise ValueError(f"flatten must be one of {', '.join(FLATTEN_POLICIES)}; got {flatten!r}")
