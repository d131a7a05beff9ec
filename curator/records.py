"""The instruction record: one conversation, where it came from, and what stages found.

Every format adapter produces these, every stage consumes and returns them, and every
writer serialises them. JSON Schema for them lives in ``schemas/`` (``curator schema``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

Role = Literal["system", "user", "assistant", "tool", "document"]
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool", "document")
#: The role of a document record's one message: plain text (a web page, a book), not a turn.
DOCUMENT = "document"

_STRICT = ConfigDict(extra="forbid")
_SURROGATES = re.compile("[\ud800-\udfff]")


class Message(BaseModel):
    """One turn of a conversation."""

    model_config = _STRICT

    role: Role
    content: StrictStr
    name: str | None = Field(default=None, description="Tool or speaker name, when the format has one.")


class Provenance(BaseModel):
    """Where a record came from: enough to find its source row again."""

    model_config = _STRICT

    source: str = Field(description="Name of the source in the recipe.")
    file: str | None = Field(default=None, description="Input file, as named by the recipe's path or glob.")
    row: int | None = Field(default=None, description="0-based index of the row among the file's data rows.")
    original_id: str | None = Field(default=None, description="The id the row carried in its own format.")
    license: str | None = Field(default=None, description="SPDX licence expression of the source.")
    generated_by: str | None = Field(default=None, description="Model that generated the data, if any.")
    url: str | None = None
    citation: str | None = None


class PIIFinding(BaseModel):
    """A PII span found by a stage. Never holds the raw value."""

    model_config = _STRICT

    type: str
    message: int = Field(description="Index of the message the span is in.")
    start: int
    end: int
    score: float


class DuplicateInfo(BaseModel):
    """Duplicate cluster membership written by the dedup stages."""

    model_config = _STRICT

    method: str = Field(description="Stage that clustered the record, e.g. exact_dedup.")
    cluster_id: str = Field(description="Id of the record kept for the cluster.")
    cluster_size: int
    duplicate_of: str | None = Field(
        default=None, description="Kept record this one duplicates; None if kept."
    )
    similarity: float | None = None


class Annotations(BaseModel):
    """What stages found. Stages annotate; their action decides what happens to the record."""

    model_config = _STRICT

    language: str | None = None
    language_score: float | None = None
    pii: list[PIIFinding] = Field(default_factory=list)
    duplicate: DuplicateInfo | None = None
    quality_flags: list[str] = Field(default_factory=list)
    scores: dict[str, float] = Field(
        default_factory=dict,
        description="Model scores by name (lm_score, classifier_score, ...); mixtures select by them.",
    )
    repairs: list[str] = Field(
        default_factory=list,
        description="Changes made to the text on ingest, e.g. 'removed_nul:messages[1]'.",
    )
    extra: dict[str, Any] = Field(
        default_factory=dict, description="Annotations of stages without a typed field."
    )


class InstructionRecord(BaseModel):
    """One training example: a conversation with at least one user and one assistant turn, or a
    document (pre-training text): exactly one message with role ``document``."""

    model_config = _STRICT

    id: str = Field(
        default="", description="Stable hash of the conversation and its origin; computed when empty."
    )
    messages: list[Message]
    provenance: Provenance
    annotations: Annotations = Field(default_factory=Annotations)
    meta: dict[str, Any] = Field(
        default_factory=dict, description="Original fields the format had that the record does not model."
    )

    @model_validator(mode="before")
    @classmethod
    def _repair_text(cls, data: Any) -> Any:
        """Remove NUL bytes and lone surrogates (they break tokenisers and UTF-8 writers), and flag it."""
        if not isinstance(data, dict):
            return data
        messages = data.get("messages")
        if not isinstance(messages, list):
            return data
        repairs: list[str] = []
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            if not isinstance(content, str) or (content.isascii() and "\x00" not in content):
                continue
            fixed, found = repair_text(content)
            if found:
                message["content"] = fixed
                repairs.extend(f"{kind}:messages[{index}]" for kind in found)
        if repairs:
            annotations = data.setdefault("annotations", {})
            if isinstance(annotations, dict):
                annotations.setdefault("repairs", []).extend(repairs)
            else:
                annotations.repairs.extend(repairs)
        return data

    @model_validator(mode="after")
    def _check_conversation(self) -> InstructionRecord:
        check_conversation(self.messages)
        if not self.id:
            # Straight into __dict__: pydantic's __setattr__ costs ~1 µs per record on the ingest path.
            self.__dict__["id"] = record_id(self.messages, self.provenance)
        return self

    def to_json(self) -> bytes:
        """Compact, key-stable JSON (one JSONL line without the newline)."""
        return orjson.dumps(self.model_dump(mode="json", exclude_defaults=False))


def repair_text(text: str) -> tuple[str, list[str]]:
    """Return ``text`` without NUL bytes and lone surrogates, and which of the two were found."""
    found: list[str] = []
    if "\x00" in text:
        text = text.replace("\x00", "")
        found.append("removed_nul")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # json.loads already joins valid pairs into one code point, so any surrogate left is lone.
        text = _SURROGATES.sub("", text)
        found.append("removed_surrogate")
    return text, found


def check_conversation(messages: list[Message]) -> None:
    """Raise ValueError with a precise message when the turns cannot be a training example."""
    if not messages:
        raise ValueError("messages is empty: a record needs at least one user and one assistant turn")
    if any(m.role == DOCUMENT for m in messages):
        if len(messages) != 1:
            raise ValueError("a document record holds exactly one message (role 'document') and no turns")
        return
    first_user = first_assistant = None
    for index, message in enumerate(messages):
        role = message.role
        if role == "system" and index > 0 and messages[index - 1].role != "system":
            raise ValueError(f"messages[{index}]: a system message may only open the conversation")
        if role == "user" and first_user is None:
            first_user = index
        elif role == "assistant" and first_assistant is None:
            first_assistant = index
    if first_assistant is None:
        raise ValueError("no assistant turn: a training example needs at least one assistant message")
    if first_user is None:
        raise ValueError("no user turn: a training example needs at least one user message")


def record_id(messages: list[Message], provenance: Provenance) -> str:
    """Stable id: a hash of the conversation and of the row it came from.

    Two identical conversations from different rows get different ids, so every input row stays
    traceable (the exact-dedup stage hashes the text alone to find them).
    """
    payload = orjson.dumps(
        [provenance.source, provenance.file, provenance.row, [[m.role, m.content] for m in messages]]
    )
    return hashlib.blake2b(payload, digest_size=12).hexdigest()


def is_document(record: InstructionRecord) -> bool:
    """Whether the record is a document (plain text) rather than a conversation."""
    messages = record.messages
    return len(messages) == 1 and messages[0].role == DOCUMENT


def conversation_text(record: InstructionRecord, roles: tuple[str, ...] | None = None) -> str:
    """The text of the record's turns (optionally only some roles), joined by blank lines."""
    return "\n\n".join(m.content for m in record.messages if roles is None or m.role in roles)
