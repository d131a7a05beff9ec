"""A quick, model-free PII scan for text that is about to be shown to a person (report examples).

No Presidio, no spaCy: regular expressions plus checksums for e-mails, secrets in URLs, card
numbers (Luhn), SSNs, IBANs (mod 97), IP addresses, phone numbers and street addresses, tuned to
redact rather than to miss. Names need the NLP model: a report shows a name only when the run
had no ``pii`` stage (the stage's annotations are applied first, see ``redact_for_display``).
"""

from __future__ import annotations

import ipaddress

import regex as re

from curator.pii.address import find_addresses
from curator.pii.detectors import find_cards, find_phones, find_url_credentials
from curator.pii.entities import placeholder, priority

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b")
_SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}([- .]?)(?!00)\d{2}\1(?!0000)\d{4}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


def _iban_valid(value: str) -> bool:
    compact = re.sub(r"[ -]", "", value).upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
    except ValueError:
        return False


def _ip_valid(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


def scan(text: str) -> list[tuple[int, int, str]]:
    """(start, end, type) of the structured PII in ``text``, overlaps resolved."""
    found: list[tuple[int, int, str, float]] = []
    if "@" in text:
        found += [(m.start(), m.end(), "EMAIL_ADDRESS", 1.0) for m in _EMAIL.finditer(text)]
    found += [(s, e, "URL_CREDENTIALS", c) for s, e, c in find_url_credentials(text)]
    if any(c.isdigit() for c in text):
        found += [(s, e, "CREDIT_CARD", c) for s, e, c in find_cards(text) if c >= 0.5]
        found += [(m.start(), m.end(), "US_SSN", 0.5) for m in _SSN.finditer(text) if m.group(1)]
        found += [
            (m.start(), m.end(), "IBAN_CODE", 1.0) for m in _IBAN.finditer(text) if _iban_valid(m.group())
        ]
        found += [
            (m.start(), m.end(), "IP_ADDRESS", 0.6) for m in _IPV4.finditer(text) if _ip_valid(m.group())
        ]
        if ":" in text:
            found += [
                (m.start(), m.end(), "IP_ADDRESS", 0.6) for m in _IPV6.finditer(text) if _ip_valid(m.group())
            ]
        found += [(s, e, "PHONE_NUMBER", c) for s, e, c in find_phones(text) if c >= 0.5]
        found += [(s, e, "STREET_ADDRESS", c) for s, e, c in find_addresses(text) if c >= 0.5]
    ranked = sorted(found, key=lambda f: (-priority(f[2]), -f[3], f[0] - f[1]))
    kept: list[tuple[int, int, str, float]] = []
    for span in ranked:
        if all(span[1] <= k[0] or k[1] <= span[0] for k in kept):
            kept.append(span)
    return sorted((s, e, t) for s, e, t, _ in kept)


def replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each (start, end, type) span replaced by its placeholder; bad spans are skipped."""
    parts, position = [], 0
    for start, end, entity in sorted(spans):
        if start < position or start < 0 or end > len(text) or end <= start:
            continue
        parts.append(text[position:start])
        parts.append(placeholder(entity))
        position = end
    parts.append(text[position:])
    return "".join(parts)


def redact_for_display(text: str, annotated: list[tuple[int, int, str]] = ()) -> str:
    """Replace the annotated spans (from the pii stage), then whatever the quick scan still finds."""
    if annotated:
        text = replace_spans(text, list(annotated))
    return replace_spans(text, scan(text))
