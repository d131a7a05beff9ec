"""Entity types the PII stage knows: names, placeholders, what needs the NLP model, what may sit in code."""

from __future__ import annotations

# The default set: structured identifiers, names, street addresses and secrets in URLs.
DEFAULT_ENTITIES: tuple[str, ...] = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "PERSON",
    "STREET_ADDRESS",
    "URL_CREDENTIALS",
)

# Types found by the spaCy model (named-entity recognition); everything else is a pattern recognizer.
NLP_ENTITIES: frozenset[str] = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP", "DATE_TIME"})

# Types our own recognizers produce (the rest come from Presidio's predefined recognizers by name).
OWN_PATTERN_ENTITIES: frozenset[str] = frozenset(
    {
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "CREDIT_CARD",
        "US_SSN",
        "IBAN_CODE",
        "IP_ADDRESS",
        "STREET_ADDRESS",
        "URL_CREDENTIALS",
    }
)

PLACEHOLDERS: dict[str, str] = {
    "EMAIL_ADDRESS": "<EMAIL>",
    "PHONE_NUMBER": "<PHONE>",
    "CREDIT_CARD": "<CREDIT_CARD>",
    "US_SSN": "<US_SSN>",
    "IBAN_CODE": "<IBAN>",
    "IP_ADDRESS": "<IP_ADDRESS>",
    "PERSON": "<PERSON>",
    "STREET_ADDRESS": "<ADDRESS>",
    "URL_CREDENTIALS": "<CREDENTIALS>",
    "LOCATION": "<LOCATION>",
    "ORGANIZATION": "<ORGANIZATION>",
    "DATE_TIME": "<DATE_TIME>",
    "NRP": "<NRP>",
}


def placeholder(entity: str) -> str:
    return PLACEHOLDERS.get(entity, f"<{entity}>")


# Types still looked for inside code blocks: secrets and identifiers that mean the same thing in code
# as in prose. Names, phone numbers and addresses are not: in code they are identifiers, constants,
# version numbers and hashes far more often than PII.
CODE_ENTITIES: tuple[str, ...] = (
    "EMAIL_ADDRESS",
    "URL_CREDENTIALS",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
)

# When two findings overlap, the higher priority wins (then the higher score, then the longer span).
# Validated, structured types beat free-text ones: an e-mail is never also an ORGANIZATION, a card
# number never holds a DATE_TIME, a US phone number is not a UK NHS number.
PRIORITY: dict[str, int] = {
    "URL_CREDENTIALS": 95,  # beats the e-mail pattern that "pass@host" in a URL also matches
    "EMAIL_ADDRESS": 90,
    "IBAN_CODE": 80,
    "CREDIT_CARD": 80,
    "US_SSN": 70,
    "IP_ADDRESS": 70,
    "PHONE_NUMBER": 60,
    "STREET_ADDRESS": 50,
    "PERSON": 40,
}
DEFAULT_PRIORITY = 20  # Presidio's other predefined types (UK_NHS, US_BANK_NUMBER, …) and NER types


def priority(entity: str) -> int:
    return PRIORITY.get(entity, DEFAULT_PRIORITY)
