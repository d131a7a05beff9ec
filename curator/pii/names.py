"""Given names, surnames and English word frequencies, to back up the small spaCy models on names.

The lists come from Faker's person providers (86 locales, ~30,000 given names and ~28,000
surnames; MIT licence, an installed package: nothing is downloaded). Words that are also common
English words ("Will", "May", "Grace", "Young", "Black"…) are removed, so a name-list hit alone
only counts for words that are names and nothing else. English word ranks come from
pyspellchecker's frequency dictionary (MIT; also an installed package): a "name" made only of
everyday words that are on no name list ("Guilty Pleasures", "Tales", "Salesperson") is not a
name. Built once per process, on first use.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

# Given names and surnames that are everyday English words, on top of spaCy's stop words and the
# 1,000 common words of Faker's English word list.
_ENGLISH_WORDS = """
will may june april august grace hope faith joy summer autumn winter spring dawn art guy van page sky
rock ray sunny mark bill rose lily daisy iris holly ivy violet ruby pearl amber crystal jewel star
king young black white green brown gray grey wood stone hall hill long short little small rich
cash gay love rich price rice bell cook baker miller smith fisher hunter carter walker turner
taylor mason porter cole lane street park marsh field ford bush moss heath may reed wells banks
page law major mayor judge bishop pope dean earl duke prince chase cliff dale glen wade wolf fox
bear hawk crane swan lamb bird finch drake nash rush sharp strong swift wise bright gold silver
case bond best good well early late day week may sun moon sky river lake sea ocean bay north
south east west summer christmas easter sunday monday tuesday wednesday thursday friday saturday
january february march july september october november december english french german spanish
italian chinese japanese russian american british european african asian indian canadian
mercedes chanel dell ford porsche tesla apple amazon google oracle
"""


@functools.lru_cache(maxsize=1)
def english_ranks() -> dict[str, int]:
    """English words by frequency rank (0 = most frequent), from pyspellchecker's dictionary."""
    import gzip
    import json
    from pathlib import Path

    import spellchecker

    path = Path(spellchecker.__file__).parent / "resources" / "en.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        frequencies: dict[str, int] = json.load(handle)
    ordered = sorted(frequencies.items(), key=lambda item: (-item[1], item[0]))
    return {word: rank for rank, (word, _) in enumerate(ordered)}


COMMON_RANK = 3_000  # the 3,000 most frequent English words are "common", even when also names
DICTIONARY_RANK = 40_000  # words this frequent are English words (used with the name lists)


@functools.lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    from faker.providers.lorem.en_US import Provider as Lorem
    from spacy.lang.en.stop_words import STOP_WORDS

    words = {w.casefold() for w in Lorem.word_list} | {w.casefold() for w in STOP_WORDS}
    words |= set(_ENGLISH_WORDS.split())
    words |= {word for word, rank in english_ranks().items() if rank < COMMON_RANK}
    return frozenset(words)


def _values(value) -> list[str]:
    if isinstance(value, dict):
        value = list(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v for v in value if isinstance(v, str)]
    return []


# Faker's person providers keep surnames under several names (Polish, Russian: by gender).
_SURNAME_ATTRIBUTES = (
    "last_names",
    "last_names_male",
    "last_names_female",
    "last_names_nonbinary",
    "male_last_names",
    "female_last_names",
    "unisex_last_names",
)


@functools.lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames), casefolded, without common English words and one-letter entries."""
    import faker.providers.person as person

    given: set[str] = set()
    family: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"faker.providers.person.{module.name}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary"):
            given.update(v.casefold() for v in _values(getattr(provider, attribute, None)))
        for attribute in _SURNAME_ATTRIBUTES:
            family.update(v.casefold() for v in _values(getattr(provider, attribute, None)))
    common = common_words()
    given = {n for n in given if len(n) > 2 and " " not in n and n not in common}
    family = {n for n in family if len(n) > 2 and " " not in n and n not in common}
    return frozenset(given), frozenset(family)


@functools.lru_cache(maxsize=1)
def any_name() -> frozenset[str]:
    """Every given name and surname, English words included ("Porter", "Hayes", "Will")."""
    import faker.providers.person as person

    names: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"faker.providers.person.{module.name}").Provider
        for attribute in (
            "first_names",
            "first_names_male",
            "first_names_female",
            *_SURNAME_ATTRIBUTES,
        ):
            names.update(v.casefold() for v in _values(getattr(provider, attribute, None)) if " " not in v)
    return frozenset(n for n in names if len(n) > 2)


def everyday(word: str) -> bool:
    """A common English word, or a dictionary word on no name list ("Server", "Yoga"); one letter too."""
    key = word.rstrip(".").casefold()
    if len(key) < 2 or key in common_words():
        return True
    given, family = name_lists()
    return english_ranks().get(key, DICTIONARY_RANK) < DICTIONARY_RANK and not (key in given or key in family)


@functools.lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Place names (countries, states, cities) from Faker's address providers, casefolded."""
    import faker.providers.address as address

    words: set[str] = set()
    for module in pkgutil.iter_modules(address.__path__):
        provider = importlib.import_module(f"faker.providers.address.{module.name}").Provider
        for attribute in ("countries", "cities", "states", "provinces", "regions", "city_names", "counties"):
            words.update(v.casefold() for v in _values(getattr(provider, attribute, None)))
    return frozenset(words)


@functools.lru_cache(maxsize=1)
def big_places() -> frozenset[str]:
    """Real, well-known places (casefolded): cities of 100,000+ people, US states, countries.

    From GeoNames (CC BY 4.0), shipped as ``places.txt`` (``benchmarks/pii_make_places.py``).
    Faker's lists hold few real cities, so "Tallahassee" or "London" needed these.
    """
    from pathlib import Path

    lines = (Path(__file__).parent / "places.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


@functools.lru_cache(maxsize=1)
def region_words() -> frozenset[str]:
    """Countries, states, provinces and regions (casefolded): places that are never a surname here.

    City lists are full of surnames ("Castro", "Cicala", "Petrová" are towns too), so a city name
    alone says little; a country or a state does.
    """
    import faker.providers.address as address

    words: set[str] = set()
    for module in pkgutil.iter_modules(address.__path__):
        provider = importlib.import_module(f"faker.providers.address.{module.name}").Provider
        for attribute in ("countries", "states", "provinces", "regions"):
            words.update(v.casefold() for v in _values(getattr(provider, attribute, None)))
    return frozenset(words)


def needs_model(word: str, in_run: bool = False) -> bool:
    """Whether the NER model has anything to say about ``word`` that the word lists do not.

    Everyday words are never names (the stage drops such PERSON spans anyway); a word that is a
    given name or surname and not also a place is settled by the name-list rules when it stands
    alone (next to another capitalised word, "John Smith", the model decides), and a place
    that is no name ("Estonia") is not a person; short all-capital words are acronyms ("IBAN",
    "CEO"). Everything else (unknown words, "Jordan", "Victoria") goes to the model.
    """
    if everyday(word) or (word.isupper() and len(word) <= 4):
        return False
    key = word.rstrip(".").casefold()
    if "'" in key or "’" in key:
        head = key.replace("’", "'").split("'")[0]
        if everyday(head):  # "You're", "C'mon"
            return False
    given, family = name_lists()
    is_name, is_place = key in given or key in family, key in place_words()
    return (is_place or in_run) if is_name else not is_place


def is_name(key: str) -> bool:
    """``key`` (casefolded) is on the given-name or surname lists."""
    given, family = name_lists()
    return key in given or key in family


@functools.lru_cache(maxsize=4)
def english_given(attributes: tuple[str, ...] = ("first_names", "first_names_male", "first_names_female")):
    """Given names (or other ``attributes``) of Faker's English locales ("Mark", "Harry"; not "Yoga")."""
    import faker.providers.person as person

    names: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        if not module.name.startswith("en"):
            continue
        provider = importlib.import_module(f"faker.providers.person.{module.name}").Provider
        for attribute in attributes:
            names.update(v.casefold() for v in _values(getattr(provider, attribute, None)) if " " not in v)
    return frozenset(names)
