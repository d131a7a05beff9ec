"""What is not PII even when a recognizer says so: the recipe's allowlist and public figures.

Policy for names (``public_figures: true``, the default):

- a PERSON span whose whole text is a listed public figure ("Abraham Lincoln") is kept as is;
- a surname alone is kept when the full name is in the same message ("Abraham Lincoln … Lincoln's
  speech"), and a few single names that mean one famous person ("Einstein", "Shakespeare") are
  kept anywhere;
- unless the words right before it make it private: "my neighbour Abraham Lincoln", "our client
  Lincoln", "patient Einstein" are redacted like any other name.

The trade-off: a private person who shares a listed name and is not introduced by such a word
("Abraham Lincoln called about the invoice") keeps their name. The list is short (a few hundred
historical figures and holders of high public office) to keep that rare; ``public_figures: false``
turns the policy off for the strictest setting, where "Write a biography of Abraham Lincoln"
becomes "Write a biography of <PERSON>".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from curator.pii.public_figures import PUBLIC_FIGURES, PUBLIC_MONONYMS

_TITLE = re.compile(
    r"^(?:mr|mrs|ms|miss|dr|prof|sir|dame|lady|lord|president|king|queen|saint|st|general|emperor)\.?\s+",
    re.IGNORECASE,
)
_PRIVATE_CUE = re.compile(
    r"\b(?:my|our|your|his|her|their)\s+(?:\w+\s+)?(?:neighbou?r|friend|colleague|co-?worker|boss|manager|"
    r"client|customer|patient|tenant|landlord|wife|husband|partner|son|daughter|mother|mom|mum|father|"
    r"dad|brother|sister|cousin|uncle|aunt|grandma|grandpa|grandmother|grandfather|roommate|classmate|"
    r"teacher|student|doctor|employee|ex|girlfriend|boyfriend|fianc[ée]e?|child|kid|baby)\s*,?\s*$"
    r"|\b(?:patient|client|customer|employee|tenant|applicant|user|member)\s*(?:name)?\s*:?\s*$"
    # a courtesy title makes a surname a private person's: "Frau Bach", "Mr. Lincoln from accounts"
    r"|\b(?:mr|mrs|ms|miss|mx|herr|frau|mme|mlle|madame|monsieur|señor|señora|sr|sra|srta)\.?\s*$",
    re.IGNORECASE,
)


def _key(value: str) -> str:
    value = _TITLE.sub("", value.strip())
    value = re.sub(r"['’]s$", "", value)
    return re.sub(r"\s+", " ", value).casefold()


class AllowPolicy:
    """Drops allowlisted values (any type) and public-figure names (PERSON) from a text's spans."""

    def __init__(self, allowlist: Iterable[str] = (), public_figures: bool = True) -> None:
        self.allow = {_key(value) for value in allowlist if value.strip()}
        self.public = public_figures
        # "Queen Elizabeth" keys to "elizabeth": a title dropped must not make every Elizabeth public
        full = {_key(name) for name in PUBLIC_FIGURES if " " in _key(name) or not _TITLE.match(name)}
        self.full = full if public_figures else set()
        written = {re.sub(r"\s+", " ", name.strip()).casefold() for name in PUBLIC_FIGURES}
        self.written = written if public_figures else set()  # "queen elizabeth", title and all
        surnames = {_key(name).split(" ")[-1] for name in PUBLIC_FIGURES if " " in name}
        self.single = ({_key(n) for n in PUBLIC_MONONYMS} | surnames) if public_figures else set()
        self.mononyms = {_key(n) for n in PUBLIC_MONONYMS} if public_figures else set()

    def filter(self, text: str, spans: list) -> list:
        if not self.allow and not self.public:
            return spans
        kept = []
        full_in_text: set[str] | None = None
        for span in spans:
            key = _key(text[span.start : span.end])
            if key in self.allow:
                continue
            if span.type == "PERSON" and self.public and not self._private(text, span.start):
                value = re.sub(r"\s+", " ", text[span.start : span.end].strip()).casefold()
                if key in self.full or value in self.written:
                    continue
                if " " not in key and key in self.single:
                    if key in self.mononyms:
                        continue
                    if full_in_text is None:
                        lowered = text.casefold()
                        full_in_text = {name for name in self.full if name in lowered}
                    if any(name.endswith(" " + key) for name in full_in_text):
                        continue
            kept.append(span)
        return kept

    @staticmethod
    def _private(text: str, start: int) -> bool:
        return _PRIVATE_CUE.search(text, max(0, start - 40), start) is not None
