"""Consistent fake values for ``action: pseudonymise``.

Within one record the same original value always gets the same fake (so "Anna … Anna's phone"
stays one person), different values get different fakes, and the whole mapping is a pure
function of (stage seed, record id, type, order of first appearance): the same inputs give the
same output on every run and every machine, and nothing is stored.

Fakes come from ranges reserved for fiction and documentation wherever one exists, so a
pseudonym can never be someone's real data: e-mail at ``example.com/.org/.net`` (RFC 2606),
phone numbers ``+1 555-01xx`` (reserved for fiction), IPs from 192.0.2.0/24, 198.51.100.0/24 and
203.0.113.0/24 (RFC 5737) and 2001:db8::/32 (RFC 3849), the SSA's advertising SSNs
``987-65-432x``, the card networks' public test numbers, and an IBAN with bank code ``TEST``.
Names and streets are drawn from Faker's English lists (an installed package; no network).
"""

from __future__ import annotations

import functools
import hashlib
import random
import re

from curator.pii.entities import placeholder

_TEST_CARDS = ("4111 1111 1111 1111", "5555 5555 5555 4444", "4242 4242 4242 4242", "3782 822463 10005")
_STREET_TYPES = ("Street", "Avenue", "Road", "Lane", "Drive", "Court", "Place", "Way")


@functools.lru_cache(maxsize=1)
def _names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    from faker.providers.person.en_US import Provider

    first = sorted({*Provider.first_names_male, *Provider.first_names_female})
    last = sorted(set(Provider.last_names))
    return tuple(first), tuple(last)


def _iban(rng: random.Random) -> str:
    account = "".join(rng.choice("0123456789") for _ in range(14))
    bban = "TEST" + account
    numeric = "".join(str(int(c, 36)) for c in bban + "GB00")
    check = 98 - int(numeric) % 97
    return f"GB{check:02d}{bban}"


def fake_value(entity: str, original: str, rng: random.Random, index: int) -> str:
    """One fake for ``entity``; ``index`` (0, 1, …) keeps distinct values distinct within a record."""
    first, last = _names()
    if entity == "PERSON":
        if len(original.split()) == 1:  # a first name or a surname stays one word
            return rng.choice(first)
        return f"{rng.choice(first)} {rng.choice(last)}"
    if entity == "EMAIL_ADDRESS":
        domain = ("example.com", "example.org", "example.net")[index % 3]
        return f"{rng.choice(first).lower()}.{rng.choice(last).lower()}{index or ''}@{domain}"
    if entity == "PHONE_NUMBER":
        return f"+1 555-01{(rng.randrange(100) + index) % 100:02d}"
    if entity == "US_SSN":
        return f"987-65-432{(rng.randrange(10) + index) % 10}"
    if entity == "CREDIT_CARD":
        return _TEST_CARDS[(rng.randrange(len(_TEST_CARDS)) + index) % len(_TEST_CARDS)]
    if entity == "IBAN_CODE":
        return _iban(rng)
    if entity == "IP_ADDRESS":
        if ":" in original:
            return f"2001:db8::{rng.randrange(1, 0xFFFF):x}"
        net = ("192.0.2", "198.51.100", "203.0.113")[index % 3]
        return f"{net}.{rng.randrange(1, 255)}"
    if entity == "STREET_ADDRESS":
        return f"{rng.randrange(1, 999)} {rng.choice(last)} {rng.choice(_STREET_TYPES)}"
    if entity == "URL_CREDENTIALS":
        if ":" in original:
            return f"user{index}:{rng.getrandbits(48):012x}"
        return f"{rng.getrandbits(64):016x}"
    return placeholder(entity)


def _normalise(entity: str, value: str) -> str:
    if entity in ("PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE"):
        return re.sub(r"[^0-9A-Za-z]", "", value).upper()
    return re.sub(r"\s+", " ", value.strip()).casefold()


class Pseudonymiser:
    """Fake values for one record: same original → same fake, deterministic from seed and record id."""

    def __init__(self, seed: int, record_id: str) -> None:
        self.seed = seed
        self.record_id = record_id
        self.mapping: dict[tuple[str, str], str] = {}
        self.counts: dict[str, int] = {}

    def __call__(self, entity: str, original: str) -> str:
        key = (entity, _normalise(entity, original))
        if key not in self.mapping:
            index = self.counts.get(entity, 0)
            self.counts[entity] = index + 1
            digest = hashlib.blake2b(
                f"{self.seed}\x1f{self.record_id}\x1f{entity}\x1f{index}".encode(), digest_size=8
            ).digest()
            rng = random.Random(int.from_bytes(digest, "big"))
            fake = fake_value(entity, original, rng, index)
            used = set(self.mapping.values())
            attempt = 0
            while fake in used and attempt < 20:  # distinct originals keep distinct fakes
                attempt += 1
                fake = fake_value(entity, original, rng, index + attempt)
            self.mapping[key] = fake
        return self.mapping[key]
