"""Pure detectors (no Presidio import): phone numbers, card numbers, secrets in URLs.

The Presidio recognizers in ``recognizers.py`` wrap these, and ``scan.py`` uses them directly to
redact report examples without loading Presidio or a model.
"""

from __future__ import annotations

import phonenumbers
import regex as re

from curator.pii.words import has_context, words_after, words_before

# Public test card numbers (payment processors' documentation): in code and docs, never PII.
TEST_CARD_NUMBERS = frozenset(
    {
        "4111111111111111",
        "4242424242424242",
        "4012888888881881",
        "4000056655665556",
        "5555555555554444",
        "5105105105105100",
        "5200828282828210",
        "2223003122003222",
        "378282246310005",
        "371449635398431",
        "6011111111111117",
        "6011000990139424",
        "3056930009020004",
        "36227206271667",
        "3566002020360505",
        "6200000000000005",
    }
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _known_network(digits: str) -> bool:
    """Issuer prefix and length of the big networks (Visa, Mastercard, Amex, Discover, JCB, …)."""
    n = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    return (
        (digits[0] == "4" and n in (13, 16, 19))
        or (51 <= two <= 55 and n == 16)
        or (2221 <= four <= 2720 and n == 16)
        or (two in (34, 37) and n == 15)
        or ((digits.startswith("6011") or two == 65 or 644 <= int(digits[:3]) <= 649) and n in (16, 19))
        or (3528 <= four <= 3589 and 16 <= n <= 19)
        or (two in (30, 36, 38, 39) and 14 <= n <= 19)
        or (two == 62 and 16 <= n <= 19)
    )


CARD_CANDIDATE = re.compile(r"(?<![\w.,/+\-])\d(?:[ \-]?\d){11,18}(?![\w]|[.,/\-]\d)")


def find_cards(text: str) -> list[tuple[int, int, float]]:
    """12–19 digits, one kind of separator, an issuer prefix (1–6) and a valid Luhn checksum."""
    found = []
    for match in CARD_CANDIDATE.finditer(text):
        raw = match.group()
        if len({c for c in raw if not c.isdigit()}) > 1:
            continue
        digits = raw.replace(" ", "").replace("-", "")
        if len(set(digits)) == 1 or not luhn_valid(digits) or digits in TEST_CARD_NUMBERS:
            continue
        if _known_network(digits):
            score = 0.8
        elif digits[0] in "123456":
            score = 0.6
        else:
            score = 0.3  # an unusual issuer prefix: only with context ("credit card 0604…")
        found.append((match.start(), match.end(), score))
    return found


URL_USERINFO = re.compile(r"(?<=\b[a-z][a-z0-9+.\-]{1,15}://)[^\s/?#@:]+:[^\s/?#@]+(?=@)", re.IGNORECASE)
URL_SECRET_PARAM = re.compile(
    r"(?<=[?&;](?:access_token|refresh_token|id_token|token|api_key|apikey|api-key|key|secret|"
    r"client_secret|password|passwd|pwd|pass|auth|sig|signature|session|sessionid|sid)=)"
    r"[^\s&#\"'<>]{6,}",
    re.IGNORECASE,
)


def find_url_credentials(text: str) -> list[tuple[int, int, float]]:
    """``user:password`` in ``scheme://user:password@host`` and secret-looking query values."""
    if "://" not in text and "=" not in text:
        return []
    found = [(m.start(), m.end(), 0.9) for m in URL_USERINFO.finditer(text)]
    found += [(m.start(), m.end(), 0.75) for m in URL_SECRET_PARAM.finditer(text)]
    return found


# Words that make a number a phone number; "number" and "contact" are weaker on their own.
PHONE_CONTEXT = [
    "phone",
    "telephone",
    "tel",
    "mobile",
    "cell",
    "fax",
    "call",
    "calling",
    "sms",
    "text",
    "whatsapp",
    "dial",
    "ring",
    "hotline",
    "landline",
    "desk",
    "office",
    "home",
    "work",
    "answering",
    "voicemail",
    "reach",
    "contact",
    "message",
    "ext",
    "telefon",
    "téléphone",
    "handy",
    "portable",
]
PHONE_NEGATIVE_CONTEXT = (
    "isbn",
    "invoice",
    "order",
    "account",
    "acct",
    "ref",
    "reference",
    "serial",
    "version",
    "id",
    "zip",
    "postcode",
    "population",
    "price",
    "total",
    "page",
)
PHONE_CANDIDATE = re.compile(
    r"(?<![\w@#$€£¥%/\\:.+\-])(?<!\d,)"
    r"(?:\+\s?|\b|(?=\())"
    r"(?:\(\d{1,5}\)|\d{1,5})"
    r"(?:(?:[ .\-/]|\)\s?)?(?:\(\d{1,5}\)|\d{1,6})){1,7}"
    r"(?:\s?(?:x|ext\.?|extension|#)\s?\d{1,6})?"
    r"(?![\w@%$€£]|[.,:/\-]\d)",
    re.IGNORECASE,
)
_EXTENSION = re.compile(r"\s?(?:x|ext\.?|extension|#)\s?\d{1,6}$", re.IGNORECASE)
_NANP = re.compile(r"^(?:\+?1[ .\-]?)?\(?[2-9]\d{2}\)?[ .\-]?[2-9]\d{2}[ .\-]\d{4}$")
_DATE = re.compile(
    r"^(?:(?:19|20)\d{2}[\-/.](?:0?[1-9]|1[0-2])[\-/.](?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])[\-/.](?:0?[1-9]|1[0-2])[\-/.](?:19|20)?\d{2}"
    r"|(?:0?[1-9]|1[0-2])[\-/.](?:0?[1-9]|[12]\d|3[01])[\-/.](?:19|20)?\d{2})$"
)
_SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_POSSESSIVE = frozenset({"my", "your", "his", "her", "our", "their"})
_MONEY_AFTER = re.compile(r"^\s?(?:%|usd|eur|gbp|dollars?|euros?|pounds?|percent)\b", re.IGNORECASE)


def _negative(words: list[str]) -> bool:
    """A negative context word before a number; short cues match whole words only ("ref", not
    the name "Refugio")."""
    cues = PHONE_NEGATIVE_CONTEXT
    return any(word == cue or (len(cue) >= 5 and word.startswith(cue)) for word in words for cue in cues)


# An IBAN whose length does not fit its country's (a typo, a generator's slip) but whose mod-97
# checksum holds: still an account number, and Presidio's recognizer rejects it on length.
_LOOSE_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")


def find_loose_ibans(text: str) -> list[tuple[int, int, float]]:
    found = []
    for match in _LOOSE_IBAN.finditer(text):
        compact = match.group().replace(" ", "")
        rotated = compact[4:] + compact[:4]
        if any(c.isdigit() for c in compact[4:]) and int("".join(str(int(c, 36)) for c in rotated)) % 97 == 1:
            found.append((match.start(), match.end(), 0.85))
    return found


def find_phones(text: str) -> list[tuple[int, int, float]]:
    """Phone numbers in any common layout, scored by shape and by context words on both sides."""
    found = []
    for match in PHONE_CANDIDATE.finditer(text):
        score = phone_score(text, match.start(), match.end())
        if score > 0:
            found.append((match.start(), match.end(), round(score, 4)))
    return found


def phone_shape_score(raw: str) -> float:
    """How phone-like the candidate is on its own (0 = not a phone number)."""
    body = _EXTENSION.sub("", raw)
    digits = "".join(c for c in body if c.isdigit())
    if not 7 <= len(digits) <= 15:
        return 0.0
    if _DATE.match(body) or _SSN.match(body):
        return 0.0
    groups = re.findall(r"\d+", body)
    if "." in body and not body.startswith("+"):
        # dotted: 01.84.17.61.18 and 930.167.3943 are phones; 1.2.3, 10.0.0.1, 3.14159 are not
        if any(len(g) == 1 for g in groups) or (len(groups) == 4 and all(len(g) <= 3 for g in groups)):
            return 0.0
        if len(groups) < 3:
            return 0.0
    if len(set(digits)) == 1:
        return 0.0
    if body.startswith("+") or (body.startswith("00") and len(digits) >= 10):
        international = "+" + digits[2:] if body.startswith("00") else "+" + digits
        try:
            number = phonenumbers.parse(international, None)
        except phonenumbers.NumberParseException:
            return 0.2
        if phonenumbers.is_valid_number(number):
            return 0.8
        return 0.65 if phonenumbers.is_possible_number(number) else 0.2
    if _NANP.match(body):
        return 0.6
    if len(groups) == 1:  # no separators at all
        if len(digits) in (10, 11) and _NANP.match(f"{digits[-10:-7]}-{digits[-7:-4]}-{digits[-4:]}"):
            return 0.3
        return 0.2 if len(digits) <= 11 else 0.1
    if body.startswith(("0", "(0")) and 9 <= len(digits) <= 12:
        return 0.5  # trunk prefix: the national layout of most of Europe, Australia, Africa
    return 0.3


def phone_score(text: str, start: int, end: int) -> float:
    raw = text[start:end]
    base = phone_shape_score(raw)
    if base == 0.0:
        return 0.0
    after = text[end : end + 12]
    if _MONEY_AFTER.match(after) or text[max(0, start - 1) : start] in ("$", "€", "£", "#"):
        return 0.0
    before = words_before(text, start, 4)
    if _negative(before[-2:]):
        return 0.0
    cue = has_context(before + words_after(text, end, 2), PHONE_CONTEXT)
    # "my number is …", "her number: …": a possessive makes "number" a person's number
    asks_number = before[-1:] == ["number"] or before[-2:] == ["number", "is"]
    if cue is None and asks_number and set(before[-4:]) & _POSSESSIVE:
        cue = "number"
    if cue is not None:
        base = max(base + 0.35, 0.55)
    elif (
        raw.startswith("+")
        and _ALONE_ON_LINE.match(text[text.rfind("\n", 0, start) + 1 : start])
        and (_ALONE_ON_LINE.match(text[end : (text.find("\n", end) + 1 or len(text) + 1) - 1]))
    ):
        base = max(base, 0.6)  # "+45 145 153 775" on a line of its own: a signature's phone line
    return min(base, 1.0)


_ALONE_ON_LINE = re.compile(r"[ \t>*•|\-]*$")
