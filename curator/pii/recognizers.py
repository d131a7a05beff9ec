"""Pattern recognizers: Presidio's where they are good, ours where its defaults miss or misfire.

Every recognizer here works on the raw text alone (no NLP model), so the same set runs in
``structured_only`` mode, for languages without a model, and when reports redact examples.

What differs from Presidio's defaults, and why:

- E-mail: Presidio validates the domain with ``tldextract``, which downloads the public suffix
  list on first use. Ours uses the snapshot bundled with tldextract and never the network.
- Phone numbers: Presidio runs ``phonenumbers``' matcher for eight regions and misses most
  international formats (``+41 (0)69 979 80 58``, ``0490 75 40 81``, ``01.84.17.61.18``). Ours
  finds digit groups in any common layout, scores them by their shape (international prefix,
  North-American layout, trunk ``0``) and by context words on both sides (``Phone:``, ``fax``),
  and rejects dates, times, version numbers, IP-like dotted quads, money and SSN layouts.
- Credit cards: Presidio's pattern skips 2-series Mastercard, 12-digit Maestro, 19-digit cards and
  several 15-digit ranges. Ours takes 12–19 digits with consistent separators and an issuer
  prefix, and requires the Luhn checksum; well-known public test numbers are not PII.
- URL credentials (new): ``scheme://user:password@host`` and secret-looking query parameters
  (``?token=…``, ``api_key=…``); only the secret part is the span.
- IP addresses: Presidio's, minus loopback and the unspecified address (``127.0.0.1``, ``::1``,
  ``0.0.0.0``), and minus dotted numbers that follow the word ``version``.
"""

from __future__ import annotations

import ipaddress
from typing import ClassVar

import regex as re
import tldextract
from presidio_analyzer import EntityRecognizer, LocalRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import (
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    UsSsnRecognizer,
)

from curator.pii.address import find_addresses
from curator.pii.detectors import find_cards, find_loose_ibans, find_phones, find_url_credentials
from curator.pii.words import has_context, words_before

# The public suffix list as bundled in the installed tldextract: no download, no cache directory.
OFFLINE_TLD_EXTRACT = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


def _result(
    recognizer: EntityRecognizer, entity: str, start: int, end: int, score: float
) -> RecognizerResult:
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=score,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail pattern; the domain is checked against the bundled suffix list only."""

    def validate_result(self, pattern_text: str) -> bool:
        return OFFLINE_TLD_EXTRACT(pattern_text.rsplit("@", 1)[-1]).fqdn != ""


class _Wrapped(LocalRecognizer):
    """A Presidio recognizer around one of our pure detectors (they do their own context scoring)."""

    ENTITY: ClassVar[str] = ""
    CONTEXT: ClassVar[list[str]] = []

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY], supported_language=supported_language, context=self.CONTEXT
        )

    def load(self) -> None:
        pass

    def find(self, text: str) -> list[tuple[int, int, float]]:
        raise NotImplementedError

    def analyze(self, text, entities, nlp_artifacts=None):
        results = []
        for start, end, score in self.find(text):
            result = _result(self, self.ENTITY, start, end, score)
            if not self.CONTEXT:
                result.recognition_metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
            results.append(result)
        return results


class CuratorUrlCredentialsRecognizer(_Wrapped):
    """Passwords and tokens inside URLs: ``https://user:secret@host`` and ``?api_key=…``."""

    ENTITY = "URL_CREDENTIALS"

    def find(self, text):
        return find_url_credentials(text)


class CuratorCreditCardRecognizer(_Wrapped):
    """12–19 digits, one kind of separator, an issuer prefix (1–6) and a valid Luhn checksum."""

    ENTITY = "CREDIT_CARD"
    CONTEXT: ClassVar[list[str]] = [
        "credit",
        "card",
        "visa",
        "mastercard",
        "amex",
        "discover",
        "jcb",
        "diners",
        "maestro",
        "cc",
    ]

    def find(self, text):
        return find_cards(text)


class CuratorPhoneRecognizer(_Wrapped):
    """Phone numbers in any layout, scored by shape and context on both sides (see detectors.py)."""

    ENTITY = "PHONE_NUMBER"

    def find(self, text):
        return find_phones(text)


class CuratorStreetAddressRecognizer(_Wrapped):
    """Street addresses, post-office boxes and military addresses (see address.py)."""

    ENTITY = "STREET_ADDRESS"

    def find(self, text):
        return find_addresses(text)


class CuratorLooseIbanRecognizer(_Wrapped):
    """IBANs with a valid checksum whose length is off for their country (see detectors.py)."""

    ENTITY = "IBAN_CODE"

    def find(self, text):
        return find_loose_ibans(text)


class FilteredIpRecognizer(IpRecognizer):
    """Presidio's IP recognizer without loopback/unspecified addresses and version numbers."""

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        kept = []
        for result in results:
            value = text[result.start : result.end]
            try:
                address = ipaddress.ip_interface(value).ip
            except ValueError:
                continue
            if address.is_loopback or address.is_unspecified:
                continue
            if has_context(words_before(text, result.start, 2), ("version", "v", "ver", "release")):
                continue
            if result.start > 0 and text[result.start - 1] in "vV":  # v1.2.3.4
                continue
            kept.append(result)
        return kept


_FLAGS = re.DOTALL | re.MULTILINE | re.IGNORECASE


def pattern_recognizers(language: str) -> list[EntityRecognizer]:
    """Our pattern recognizers for one language (context words are English; they still help elsewhere)."""
    return [
        OfflineEmailRecognizer(supported_language=language),
        CuratorUrlCredentialsRecognizer(supported_language=language),
        CuratorCreditCardRecognizer(supported_language=language),
        CuratorPhoneRecognizer(supported_language=language),
        CuratorStreetAddressRecognizer(supported_language=language),
        FilteredIpRecognizer(supported_language=language),
        UsSsnRecognizer(supported_language=language),
        IbanRecognizer(supported_language=language, regex_flags=_FLAGS),  # Presidio's default flags: any case
        CuratorLooseIbanRecognizer(supported_language=language),
    ]


def presidio_entity_classes() -> dict[str, str]:
    """Presidio's predefined pattern recognizers by the entity they find (e.g. UK_NHS → NhsRecognizer)."""
    import inspect

    import presidio_analyzer.predefined_recognizers as predefined

    found: dict[str, str] = {}
    for name in getattr(predefined, "__all__", []):
        cls = getattr(predefined, name, None)
        if not inspect.isclass(cls) or not issubclass(cls, EntityRecognizer):
            continue
        try:
            parameter = inspect.signature(cls.__init__).parameters.get("supported_entity")
        except (TypeError, ValueError):
            continue
        if parameter is not None and isinstance(parameter.default, str):
            found.setdefault(parameter.default, name)
    return found


def presidio_recognizers(entities: list[str], language: str) -> list[EntityRecognizer]:
    """Presidio's own recognizers for entity types we have none for (UK_NHS, US_PASSPORT, …)."""
    import presidio_analyzer.predefined_recognizers as predefined

    classes = presidio_entity_classes()
    recognizers = []
    for entity in entities:
        name = classes.get(entity)
        if name is None:
            continue
        recognizers.append(getattr(predefined, name)(supported_language=language))
    return recognizers
