"""The PII engine: Presidio's AnalyzerEngine over our recognizers, batched through spaCy's ``nlp.pipe``.

Per batch of texts:

1. code spans are found (``codeblocks``) and blanked for the NLP model, so offsets do not move;
2. texts are grouped by language; a language with a configured spaCy model runs through
   ``nlp.pipe`` (NER only: tagger, parser and lemmatizer are not even loaded), any other language
   gets the pattern recognizers only, and the result says so (``mode``/``reason``);
3. per text, only the recognizers whose cheap trigger is present run (no ``@``: no e-mail
   recognizer; no digit: no phone, card, SSN, IBAN, IP or address recognizer);
4. Presidio's ``AnalyzerEngine.analyze`` runs with the precomputed NLP artifacts and our
   window-context enhancer; then per-type thresholds, code-block rules, the allowlist and
   public-figure policy, and one winner per overlap (by type priority, score, length).

Nothing here logs, prints or stores text: results are (type, start, end, score).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import regex

from curator.pii import codeblocks
from curator.pii._presidio import import_presidio
from curator.pii.entities import CODE_ENTITIES, DEFAULT_ENTITIES, NLP_ENTITIES, OWN_PATTERN_ENTITIES, priority
from curator.pii.windows import Ent, Ents

# Presidio logs text: words around matches at DEBUG, and "Failed to validate text <candidate>" at
# ERROR (IBAN). Raw PII must never reach a log, whatever the root logger says, so only CRITICAL passes.
for _name in ("presidio-analyzer", "presidio-anonymizer"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

# Presidio (and spaCy under it) is imported on first use, not here: this module is imported with
# the stage registry, and paying ~1.6 CPU-s on every command and run without a pii stage is waste.
# Every path to presidio_analyzer goes through load() or presidio_entity_names(), which call
# import_presidio() first (it hides transformers during that import; see _presidio.py).

PATTERN_LANGUAGE = "en"  # the registry language pattern-only texts are analysed under
_NO_NAMES_INSIDE = frozenset({"STREET_ADDRESS", "EMAIL_ADDRESS", "URL_CREDENTIALS"})


@dataclass(frozen=True, slots=True)
class Span:
    type: str
    start: int
    end: int
    score: float


@dataclass(slots=True)
class TextResult:
    spans: list[Span] = field(default_factory=list)
    mode: str = "nlp"  # "nlp" or "patterns"
    reason: str | None = None  # why patterns only: "structured_only", "no_model:fr", …
    model: str | None = None


@dataclass(frozen=True)
class EngineSettings:
    entities: tuple[str, ...] = DEFAULT_ENTITIES
    thresholds: dict[str, float] = field(default_factory=dict)
    default_threshold: float = 0.5
    models: dict[str, str] = field(default_factory=lambda: {"en": "en_core_web_sm"})
    default_language: str = "en"
    structured_only: bool = False
    skip_code: bool = True
    code_entities: tuple[str, ...] = CODE_ENTITIES
    allowlist: tuple[str, ...] = ()
    public_figures: bool = True
    nlp_batch_size: int = 256


# Pieces every match of a recognizer holds (checked against each pattern; see _triggers).
_ASCII_DIGIT = re.compile(r"[0-9]")
# US_SSN: Presidio's five patterns each begin with three digits, then two more (a separator between
# or not): ddddd-dddd, ddd-dddddd, ddd-dd-dddd, ddddddddd, ddd[- .]dd[- .]dddd.
_SSN_HINT = re.compile(r"[0-9]{3}[- .]?[0-9]{2}")
# IBAN_CODE: two letters (any case: Presidio's runs case-insensitively), then two digits; searched
# backwards with ``regex`` (the engine of our loose-IBAN pattern), which fails fastest here.
_IBAN_HINT = regex.compile(r"(?r)[^\W\d_]{2}\d{2}")
# IP_ADDRESS: a dotted quad of 1–3 digit parts, or an IPv6 colon (after a hex digit, or doubled).
_IP_HINT = re.compile(r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]|[0-9A-Fa-f]:|::")


def _has_digit(text: str) -> bool:
    if text.isascii():  # the common case, without a Python-level loop over every character
        return _ASCII_DIGIT.search(text) is not None
    return any(c.isdigit() for c in text)


def _triggers(text: str) -> set[str]:
    """Entity types whose recognizers could possibly match ``text`` (a cheap pre-filter).

    Each test is a piece every match of that type's recognizers contains, so a type left out here
    could not have been found; the full patterns (Presidio's above all, with their per-call
    overhead) then run on few texts.
    """
    found: set[str] = set()
    if "@" in text:
        found.add("EMAIL_ADDRESS")
    if "://" in text or "=" in text:
        found.add("URL_CREDENTIALS")
    if _has_digit(text):
        found.update(("PHONE_NUMBER", "CREDIT_CARD", "STREET_ADDRESS"))
        if _SSN_HINT.search(text):
            found.add("US_SSN")
        if _IBAN_HINT.search(text):
            found.add("IBAN_CODE")
        if ("." in text or ":" in text) and _IP_HINT.search(text):
            found.add("IP_ADDRESS")
    return found


_WORDS = re.compile(r"[^\W\d_]+")
_ENGLISH_FUNCTION = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "is",
        "in",
        "that",
        "it",
        "for",
        "with",
        "you",
        "this",
        "are",
        "was",
        "be",
        "on",
        "as",
        "have",
        "not",
        "at",
        "by",
        "from",
        "or",
        "an",
    ]
)
# Function words of the big Latin-script languages that English never uses as words.
_FOREIGN_FUNCTION = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "ein",
        "eine",
        "mit",
        "auf",
        "für",
        "sich",
        "dem",
        "den",
        "des",
        "zu",
        "le",
        "la",
        "les",
        "et",
        "est",
        "une",
        "du",
        "pas",
        "pour",
        "sur",
        "dans",
        "qui",
        "que",
        "avec",
        "el",
        "los",
        "las",
        "es",
        "por",
        "para",
        "con",
        "una",
        "del",
        "lo",
        "como",
        "más",
        "il",
        "di",
        "che",
        "è",
        "della",
        "per",
        "sono",
        "och",
        "att",
        "det",
        "är",
        "som",
        "för",
        "på",
        "het",
        "een",
        "van",
        "zijn",
        "niet",
        "og",
        "er",
        "til",
        "af",
        "ikke",
        "ja",
        "ei",
        "ole",
        "ovat",
        "sie",
        "ich",
        "wir",
        "não",
        "com",
        "uma",
        "os",
        "ao",
        "às",
        "nas",
        "pelo",
        # Czech, Slovak, Polish
        "je",
        "se",
        "že",
        "jsem",
        "jak",
        "ale",
        "pro",
        "jsou",
        "nebo",
        "který",
        "která",
        "které",
        "mám",
        "jako",
        "są",
        "się",
        "nie",
        "jest",
        "czy",
        "ako",
        "sa",
        # Finnish
        "että",
        "mutta",
        "kun",
        "ovat",
        "minun",
        "minä",
        "sinä",
        "hän",
        "tämä",
        "olen",
        "mitä",
        "jos",
        "niin",
        "voi",
        "myös",
        # Norwegian, Danish, Swedish
        "ikke",
        "jeg",
        "har",
        "kan",
        "vil",
        "meg",
        "deg",
        "hva",
        "hvordan",
        "eller",
        "skal",
        "mitt",
        "min",
        "å",
        "inte",
        "jag",
        "hur",
        "vad",
        "na",
        "od",
        "po",
        "ze",
        "ve",
        "si",
        "už",
        "tak",
        "jen",
        "když",
        "aby",
        "bych",
        "mě",
        "mi",
        # Spanish, French, Italian, Portuguese
        "de",
        "en",
        "y",
        "su",
        "al",
        "muy",
        "pero",
        "sin",
        "sobre",
        "también",
        "esta",
        "este",
        "hay",
        "ya",
        "cómo",
        "qué",
        "je",
        "vous",
        "nous",
        "elle",
        "ce",
        "ne",
        "au",
        "aux",
        "mais",
        "ou",
        "sont",
        "cette",
        "mon",
        "ma",
        "mes",
        "ai",
        "non",
        "mio",
        "anche",
        "você",
        "muito",
        "mas",
        "minha",
        "meu",
        "seu",
        "sua",
        "ele",
        "ela",
        "na",
        "da",
        "em",
        # Norwegian, Danish
        "på",
        "til",
        "ut",
        "fra",
        "hvis",
        "så",
        "dette",
        "eg",
    ]
)


_LINKS = re.compile(r"\S+@\S+|(?:https?://|www\.)\S+")


def _blank(text: str, found: list) -> str:
    """``text`` with the street addresses and e-mails in ``found`` replaced by spaces."""
    spans = [(r.start, r.end) for r in found if r.entity_type in _NO_NAMES_INSIDE]
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def looks_english(text: str) -> bool:
    """A cheap guard for texts no language stage has labelled: is this English prose?

    No when most letters are of a non-Latin script (Chinese, Cyrillic, Arabic…) or when the
    function words of other Latin-script languages clearly outnumber English ones ("der", "und",
    "le", "que"…). Short texts, names and addresses pass.
    """
    sample = _LINKS.sub(" ", text[:2000])  # e-mail addresses and URLs are no language
    letters = [c for c in sample if c.isalpha()]
    if letters and sum(1 for c in letters if ord(c) > 0x24F) * 2 > len(letters):
        return False
    raw = _WORDS.findall(sample)
    words = [w.casefold() for w in raw]
    english = sum(1 for w in words if w in _ENGLISH_FUNCTION)
    foreign = sum(1 for w in words if w in _FOREIGN_FUNCTION)
    # a short text (a contact card, an address) may be all foreign words around English names
    if len(words) >= 12 and foreign >= 3 and foreign > 2 * english:
        return False
    if english > 1:
        return True
    # short prompts: most lower-case words unknown to an English dictionary ("Mikä on hyvä …")
    from curator.pii.names import english_ranks

    ranks = english_ranks()
    plain = [w for w in raw if len(w) >= 3 and w.islower()]
    known = sum(1 for w in plain if w in ranks)
    return not (len(plain) >= 5 and known * 10 < len(plain) * 4)


def _copy(result: TextResult) -> TextResult:
    return TextResult(list(result.spans), result.mode, result.reason, result.model)


def normalise_language(language: str | None) -> str | None:
    if not language:
        return None
    return re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0] or None


class PIIEngine:
    """Finds PII spans in texts. Build once per process (``load`` reads the spaCy models)."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.entities = tuple(settings.entities)
        self.nlp_entities = {e for e in self.entities if e in NLP_ENTITIES}
        self.pattern_entities = {e for e in self.entities if e not in NLP_ENTITIES}
        self.models: dict[str, str] = {} if settings.structured_only else dict(settings.models)
        self._nlp: dict[str, object] = {}
        self._recognizers_by_language: dict[str, list] = {}
        self._enhancer = None
        self._allow = None

    # -- building ----------------------------------------------------------------------------------
    def load(self) -> PIIEngine:
        if self._recognizers_by_language:
            return self
        from curator.pii.models import load_ner_pipeline, needs_torch

        spacy_models = self.models.values() if self.nlp_entities else ()
        import_presidio(without_torch=not any(needs_torch(name) for name in spacy_models))
        from curator.pii.allow import AllowPolicy
        from curator.pii.context import WindowContextEnhancer

        if self.nlp_entities:
            for language, name in self.models.items():
                self._nlp[language] = load_ner_pipeline(name)
        for language in sorted(set(self._nlp) | {PATTERN_LANGUAGE}):
            self._recognizers_by_language[language] = self._recognizers(language)
        self._enhancer = WindowContextEnhancer()
        self._allow = AllowPolicy(self.settings.allowlist, self.settings.public_figures)
        return self

    def _recognizers(self, language: str) -> list:
        from curator.pii.person import NerRecognizer
        from curator.pii.recognizers import pattern_recognizers, presidio_recognizers

        wanted = set(self.entities)
        recognizers = [r for r in pattern_recognizers(language) if set(r.supported_entities) & wanted]
        if self.nlp_entities and language in self._nlp:
            recognizers.append(NerRecognizer(supported_language=language))
        others = wanted - OWN_PATTERN_ENTITIES - NLP_ENTITIES
        if others:
            recognizers.extend(presidio_recognizers(sorted(others), language))
        return recognizers

    # -- analysing ---------------------------------------------------------------------------------
    def analyze(
        self, texts: Sequence[str], languages: Sequence[str | None] | None = None
    ) -> list[TextResult]:
        """Spans for each text; ``languages`` (one per text, None = unknown) picks the NLP model.

        Identical (text, language) pairs are analysed once: repeated turns, boilerplate answers.
        """
        self.load()
        languages = languages or [None] * len(texts)
        unique: dict[tuple[str, str | None], int] = {}
        order = [unique.setdefault((t, lang), len(unique)) for t, lang in zip(texts, languages, strict=True)]
        results = self._analyze_unique([t for t, _ in unique], [lang for _, lang in unique])
        seen: set[int] = set()
        shared = []
        for i in order:  # a repeat gets a copy of the first one's result
            shared.append(_copy(results[i]) if i in seen else results[i])
            seen.add(i)
        return shared

    def _analyze_unique(self, texts: list[str], languages: list[str | None]) -> list[TextResult]:
        """Patterns first, then the NER model on windows around candidate names, then the rest."""
        from curator.pii.names import needs_model
        from curator.pii.windows import name_windows, whole_text_windows

        code = [codeblocks.code_spans(t) if self.settings.skip_code else [] for t in texts]
        results = [TextResult() for _ in texts]
        found: list[list] = [[] for _ in texts]
        # (text index, window start) per window, and the masked window texts, by language
        pending: dict[str, tuple[list[tuple[int, int]], list[str]]] = {}
        whole = bool(self.nlp_entities - {"PERSON"})  # LOCATION, ORGANIZATION…: the model reads everything
        for index, (text, language) in enumerate(zip(texts, languages, strict=True)):
            if not text.strip():
                continue
            result = results[index]
            lang = normalise_language(language) or self.settings.default_language
            if not self.nlp_entities:
                result.mode = "patterns"
            elif self.settings.structured_only:
                result.mode, result.reason = "patterns", "structured_only"
            elif lang not in self._nlp:
                result.mode, result.reason = "patterns", f"no_model:{lang}"
            elif language is None and lang == PATTERN_LANGUAGE:
                found[index] = self._recognize(text, lang, None, patterns=True)
                # no language stage said what this is; if it is not English, the English model
                # would take ordinary words for names, so patterns only. Addresses and e-mails
                # found are left out of the guess: "Calle de la Ortiga, … i la Geltrú" is no prose.
                if looks_english(_blank(text, found[index])):
                    result.model = self.models[lang]
                else:
                    result.mode, result.reason = "patterns", "not_english"
                    continue
            else:
                result.model = self.models[lang]
            if language is not None or lang != PATTERN_LANGUAGE or not result.model:
                registry = lang if result.model else PATTERN_LANGUAGE
                found[index] = self._recognize(text, registry, None, patterns=True)
            if not result.model:
                continue
            masked = codeblocks.mask(text, code[index]) if code[index] else text
            if whole:
                spans = whole_text_windows(masked)
            else:
                # words inside an address are street and city names: no need to ask the model
                taken = [(r.start, r.end) for r in found[index] if r.entity_type in _NO_NAMES_INSIDE]
                spans = name_windows(masked, needs_model, taken)
            where, pieces = pending.setdefault(lang, ([], []))
            for start, end in spans:
                where.append((index, start))
                pieces.append(masked[start:end])
        ents: dict[int, list[Ent]] = {}
        for lang, (where, pieces) in pending.items():
            docs = self._nlp[lang].pipe(pieces, batch_size=self.settings.nlp_batch_size)
            for (index, offset), doc in zip(where, docs, strict=True):
                ents.setdefault(index, []).extend(
                    Ent(e.label_, e.start_char + offset, e.end_char + offset) for e in doc.ents
                )
        for index, text in enumerate(texts):
            if not text.strip():
                continue
            if results[index].model:
                lang = normalise_language(languages[index]) or self.settings.default_language
                doc = Ents(tuple(ents.get(index, ())))
                found[index] += self._recognize(text, lang, doc, patterns=False)
            else:
                lang, doc = PATTERN_LANGUAGE, None
            results[index].spans = self._finish(text, lang, doc, found[index], code[index])
        return results

    def _recognize(self, text: str, language: str, doc, patterns: bool) -> list:
        """Raw results of the pattern recognizers (``patterns``) or of the NER recognizer.

        The same steps as Presidio's ``AnalyzerEngine.analyze`` (recognizers, then ``_finish``:
        context enhancer, duplicates), called directly: its per-call registry lookups and NLP
        artifacts cost more than our recognizers.
        """
        from presidio_analyzer import RecognizerResult

        from curator.pii.nlp import artifacts

        if patterns:
            wanted = self.pattern_entities & _triggers(text)
            wanted |= self.pattern_entities - OWN_PATTERN_ENTITIES  # Presidio's other types: no pre-filter
        else:
            wanted = set(self.nlp_entities)
        if not wanted:
            return []
        nlp_artifacts = artifacts(doc, language)
        entities = sorted(wanted)
        found = []
        for recognizer in self._recognizers_by_language[language]:
            if wanted.isdisjoint(recognizer.supported_entities):
                continue
            for result in recognizer.analyze(text=text, entities=entities, nlp_artifacts=nlp_artifacts) or ():
                if result.entity_type not in wanted:
                    continue
                metadata = result.recognition_metadata
                if metadata is None:
                    result.recognition_metadata = metadata = {}
                metadata.setdefault(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY, recognizer.id)
                metadata.setdefault(RecognizerResult.RECOGNIZER_NAME_KEY, recognizer.name)
                found.append(result)
        return found

    def _finish(self, text: str, language: str, doc, found: list, code: list[tuple[int, int]]) -> list[Span]:
        from presidio_analyzer import EntityRecognizer

        from curator.pii.nlp import artifacts

        if not found:
            return []
        recognizers = self._recognizers_by_language[language]
        found = self._enhancer.enhance_using_context(text, found, artifacts(doc, language), recognizers)
        found = EntityRecognizer.remove_duplicates(found)
        return self._decide(text, found, code)

    def _decide(self, text: str, found, code: list[tuple[int, int]]) -> list[Span]:
        thresholds = self.settings.thresholds
        default = self.settings.default_threshold
        code_ok = set(self.settings.code_entities)
        _boost_phones_next_to_people(text, found, thresholds, default)
        candidates = []
        for r in found:
            if r.score < thresholds.get(r.entity_type, default):
                continue
            if code and r.entity_type not in code_ok and codeblocks.inside(code, r.start, r.end):
                continue
            candidates.append(Span(r.entity_type, r.start, r.end, round(float(r.score), 4)))
        if "PERSON" in self.nlp_entities:
            from curator.pii.propagate import drop_word_heads

            candidates = drop_word_heads(text, candidates)
        kept = resolve_overlaps(candidates, text)
        kept = _drop_places_after_addresses(text, kept)
        if self._allow is not None:
            kept = self._allow.filter(text, kept)
        if "PERSON" in self.nlp_entities and any(s.type == "PERSON" for s in kept):
            kept = self._propagate(text, kept, code, code_ok)
        return kept

    def _propagate(self, text: str, kept: list[Span], code, code_ok) -> list[Span]:
        """Names found once, found everywhere in the text (see ``propagate``)."""
        from curator.pii.propagate import propagate

        grown = propagate(text, kept)
        if len(grown) == len(kept) and grown == kept:
            return kept
        if code and "PERSON" not in code_ok:
            grown = [s for s in grown if s.type != "PERSON" or not codeblocks.inside(code, s.start, s.end)]
        return self._allow.filter(text, grown) if self._allow is not None else grown


_DIGIT_GROUPS = re.compile(r"\d+")
_NEXT_TO_PHONES = ("PERSON", "EMAIL_ADDRESS")  # an address holds postcodes that look like numbers


def _phone_like_groups(groups: list[str], first: str) -> bool:
    """Three or more digit groups ("70 22 98 37"), a "+" or "(" start, or a trunk "0" with ten or
    more digits; not "12345-678" (a Brazilian CEP) nor a lone run of eight digits."""
    if first in "+(" or len(groups) >= 3:
        return True
    return first == "0" and sum(map(len, groups)) >= 10


def _boost_phones_next_to_people(text: str, found: list, thresholds: dict, default: float) -> None:
    """A number shaped like a phone number but without a cue word ("Anna Berg, 70 22 98 37, …",
    "Acme Ltd | 0139984978" under a name) is a phone number when a name or an e-mail stands on
    the same or the previous line, within 80 characters: a contact's number.
    Numbers with a negative cue ("order", "invoice") scored 0 and stay out."""
    limit = thresholds.get("PHONE_NUMBER", default)
    weak = [
        r
        for r in found
        if r.entity_type == "PHONE_NUMBER"
        and 0.2 <= r.score < limit
        and sum(c.isdigit() for c in text[r.start : r.end]) >= 8
        # a run of digits alone or "12345-678" is as likely a postcode (CEP) or a reference
        and _phone_like_groups(_DIGIT_GROUPS.findall(text, r.start, r.end), text[r.start])
    ]
    if not weak:
        return
    anchors = [
        r
        for r in found
        if r.entity_type in _NEXT_TO_PHONES and r.score >= thresholds.get(r.entity_type, default)
    ]
    for phone in weak:
        for anchor in anchors:
            gap = (anchor.end, phone.start) if anchor.end <= phone.start else (phone.end, anchor.start)
            if 0 <= gap[1] - gap[0] <= 80 and text.count("\n", *gap) <= 1:
                phone.score = limit
                break


def _drop_places_after_addresses(text: str, spans: list[Span]) -> list[Span]:
    """A PERSON in the town or region part right after a street address is a place named after a
    person or a saint ("…, Santa Rosa", "…, Carla Ville, Co. Kerry"): the model's guess is dropped."""
    ends = [s.end for s in spans if s.type == "STREET_ADDRESS"]
    if not ends or not any(s.type == "PERSON" for s in spans):
        return spans
    from curator.pii.address import in_address_tail

    return [s for s in spans if s.type != "PERSON" or not in_address_tail(text, s.start, ends)]


def resolve_overlaps(spans: list[Span], text: str = "") -> list[Span]:
    """One winner per overlapping group: higher type priority, then score, then the longer span.

    One exception: a phone number *inside* a street address without strong evidence of its own
    (score below 0.8: no international prefix, no context word) is the address's postcode and
    house number ("03262 2437 Main St"), so the address wins.
    """
    addresses = [s for s in spans if s.type == "STREET_ADDRESS"]
    if addresses:
        spans = [
            s
            for s in spans
            if not (
                s.type == "PHONE_NUMBER"
                and s.score < 0.8
                and any(a.start <= s.start and s.end <= a.end for a in addresses)
            )
        ]
    ranked = sorted(spans, key=lambda s: (-priority(s.type), -s.score, -(s.end - s.start), s.start))
    kept: list[Span] = []
    for span in ranked:
        clashes = [k for k in kept if k.start < span.end and span.start < k.end]
        if not clashes:
            kept.append(span)
        elif span.type in TRIMMABLE:
            # free text that runs into a stronger finding keeps its own part:
            # "Diana Usamov Suite" + address "Suite 913 …" → PERSON "Diana Usamov"
            piece = _largest_free_piece(span, clashes, text)
            if piece is not None:
                kept.append(piece)
    return sorted(kept, key=lambda s: (s.start, s.end))


TRIMMABLE = frozenset({"PERSON", "STREET_ADDRESS", "LOCATION", "ORGANIZATION", "NRP"})


def _largest_free_piece(span: Span, clashes: list[Span], text: str) -> Span | None:
    pieces, position = [], span.start
    for clash in sorted(clashes, key=lambda k: k.start):
        if clash.start > position:
            pieces.append((position, clash.start))
        position = max(position, clash.end)
    if position < span.end:
        pieces.append((position, span.end))
    if not pieces:
        return None
    start, end = max(pieces, key=lambda p: p[1] - p[0])
    if text:
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        if not any(c.isalpha() for c in text[start:end]):
            return None
    return Span(span.type, start, end, span.score) if end - start >= 2 else None


def presidio_entity_names() -> frozenset[str]:
    """Entity types Presidio's predefined recognizers find (for validating a recipe's `entities`)."""
    import_presidio()
    from curator.pii.recognizers import presidio_entity_classes

    return frozenset(presidio_entity_classes())
