"""Which text of a record a stage looks at, and how it is normalised before comparison.

Text (``text:`` of the dedup and decontamination stages):
- ``conversation``: every turn as ``role: content``, one per line (a user turn never matches an
  assistant turn);
- ``user`` / ``assistant`` / ``system``: only those turns' contents, one per line (for Alpaca
  rows, ``user`` is the instruction followed by the input);
- ``prompt``: system and user turns.

Normalisation, applied in this order when enabled:
1. Unicode NFKC (full-width letters, ligatures and compatibility forms fold to their plain form);
2. lower-casing (``str.lower``);
3. punctuation removal (every character whose Unicode category starts with ``P``: in ASCII
   ``! " # % & ' ( ) * , - . / : ; ? @ [ ] _ { }`` and the backslash; dashes, quotes, «», …;
   not symbols such as ``$ + < = > ^ | ~`` and the backtick);
4. whitespace collapse (runs of whitespace, as ``str.split`` sees it, become one space; leading
   and trailing whitespace is removed).

ASCII text takes a fast path (one ``bytes.translate``) with the same result; a test checks it.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from curator.records import InstructionRecord, is_document

TextField = Literal["conversation", "user", "assistant", "system", "prompt"]


class _PunctuationTable(dict):
    """str.translate table deleting Unicode punctuation, filled per code point on first sight.

    (Building it for all 1.1 million code points up front costs ~0.3 s in every process.)
    """

    def __missing__(self, code: int) -> int | None:
        value = None if unicodedata.category(chr(code)).startswith("P") else code
        self[code] = value
        return value


@cache
def _punctuation_table() -> dict[int, int | None]:
    return _PunctuationTable()


class Normalization(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nfkc: bool = True
    lowercase: bool = True
    strip_punctuation: bool = False
    collapse_whitespace: bool = True


def select_text(record: InstructionRecord, field: TextField) -> str:
    """The text a stage compares.

    ``conversation``: every turn, with its role, so a user turn never matches an assistant turn;
    ``user``/``assistant``/``system``: only those turns; ``prompt``: system + user turns.
    A document has no turns: every field is its whole text.
    """
    messages = record.messages
    if is_document(record):
        return messages[0].content
    if field == "conversation":
        return "\n".join(f"{m.role}: {m.content}" for m in messages)
    roles = ("system", "user") if field == "prompt" else (field,)
    return "\n".join(m.content for m in messages if m.role in roles)


@cache
def _ascii_tables(lowercase: bool, strip_punctuation: bool, collapse: bool) -> tuple[bytes, bytes]:
    """bytes.translate arguments doing steps 2-3 on ASCII text in one pass (NFKC leaves ASCII as is).

    With collapse, the four ASCII separators that ``str.split`` counts as whitespace but
    ``bytes.split`` does not (0x1C-0x1F) become spaces first, so both split alike.
    """
    table = bytearray(range(256))
    if lowercase:
        for code in range(ord("A"), ord("Z") + 1):
            table[code] = code + 32
    if collapse:
        for code in range(0x1C, 0x20):
            table[code] = 0x20
    delete = bytes(c for c in range(128) if unicodedata.category(chr(c)).startswith("P"))
    return bytes(table), delete if strip_punctuation else b""


def normalize(text: str, options: Normalization) -> str:
    if text.isascii():
        # Fast path, same result: one bytes.translate instead of str.lower + str.translate.
        table, delete = _ascii_tables(
            options.lowercase, options.strip_punctuation, options.collapse_whitespace
        )
        data = text.encode("ascii").translate(table, delete)
        if options.collapse_whitespace:
            data = b" ".join(data.split())
        return data.decode("ascii")
    if options.nfkc:
        text = unicodedata.normalize("NFKC", text)
    if options.lowercase:
        text = text.lower()
    if options.strip_punctuation:
        text = text.translate(_punctuation_table())
    if options.collapse_whitespace:
        text = " ".join(text.split())
    return text
