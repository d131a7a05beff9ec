"""Document: one plain-text field per row (a web page, a book, a code file) — pre-training data.

Rows look like dolma's (``id, text, source, added, created, metadata{url, …}``), FineWeb's
(``text, id, dump, url, date, language, …``) or RedPajama's (``text, meta{url, …}``; v2's
``raw_content`` through ``columns: {raw_content: text}``). The text becomes the record's one
message with role ``document``; the row's ``id`` becomes ``provenance.original_id`` and every
other field goes to ``record.meta`` unchanged, so it is written back as it came.

Detection: a row fits when its ``text`` is a string with no turn markers of a chat style (the
:mod:`curator.formats.text` markers, or half of an unambiguous pair such as a lone ``### Human:``,
which is a broken conversation rather than prose). A chat row is therefore never read as a
document by detection; ``format: document`` reads any text as a document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from curator.errors import ConversionError
from curator.formats.base import (
    Format,
    build_record,
    check_flatten,
    extra_fields,
    finish_row,
    get_text,
    with_original_id,
)
from curator.formats.text import STYLES, detect_style
from curator.records import DOCUMENT, InstructionRecord, is_document

_KNOWN = frozenset({"id", "text"})
# Markers that never occur in prose by accident; "Human:" or "USER:" alone may.
_STRONG_MARKERS = tuple(
    marker
    for name in ("chatml", "zephyr", "human", "instruction")
    for marker in (STYLES[name].user_marker, STYLES[name].assistant_marker)
)
# Where web-corpus formats keep a document's URL, most specific first.
_URL_KEYS: tuple[tuple[str, ...], ...] = (
    ("url",),
    ("metadata", "url"),
    ("meta", "url"),
    ("metadata", "warc_url"),
    ("warc_url",),
)


def looks_like_chat(text: str) -> bool:
    """Whether ``text`` holds a conversation's turn markers (a whole pair, or half a strong one)."""
    return detect_style(text) is not None or any(marker in text for marker in _STRONG_MARKERS)


class Document(Format):
    """Plain text with optional metadata: a document record."""

    name: ClassVar[str] = "document"
    required: ClassVar[frozenset[str]] = frozenset({"text"})

    def fits(self, row: Mapping[str, Any]) -> bool:
        text = row.get("text")
        return isinstance(text, str) and not looks_like_chat(text)

    def to_record(self, row: Mapping[str, Any], provenance: Mapping[str, Any]) -> InstructionRecord:
        text = get_text(row, "text")
        meta = extra_fields(row, _KNOWN)
        return build_record(
            [{"role": DOCUMENT, "content": text}], with_original_id(row, provenance, meta), meta
        )

    def from_record(self, record: InstructionRecord, *, flatten: str = "error") -> dict[str, Any]:
        """The document's text (and metadata); a conversation only with ``flatten: concat``."""
        check_flatten(flatten)
        if is_document(record):
            return finish_row(record, {"text": record.messages[0].content})
        if flatten != "concat":
            raise ConversionError(
                f"record {record.id}: a conversation is not a document; "
                f"use --flatten concat to write its turns as 'role: text' lines"
            )
        text = "\n\n".join(f"{m.role}: {m.content}" for m in record.messages)
        return finish_row(record, {"text": text})


def document_url(meta: Mapping[str, Any]) -> str | None:
    """The document's URL from its metadata (dolma, FineWeb, RedPajama layouts), if any."""
    for path in _URL_KEYS:
        value: Any = meta
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(value, str) and value:
            return value
    return None


def url_domain(url: str) -> str | None:
    """The host of ``url`` without ``www.`` (dolma's ``url`` lacks a scheme: it is added)."""
    try:
        host = urlsplit(url if "://" in url else f"http://{url}").hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host
