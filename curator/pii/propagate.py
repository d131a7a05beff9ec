"""Grow the names found in a text to the rest of the text: what the model and the lists miss.

A name that is redacted once and left in place elsewhere is not redacted at all. So, from every
PERSON span that survived the thresholds and the public-figure policy:

1. **extend** over a capitalised word right next to it that is not an everyday word
   ("Tomomi <PERSON>" → the whole name), or, in lower-cased text, over a word on the name lists;
2. **coordinate**: names joined to it by ``,``, ``;``, ``and``, ``&`` or ``or`` are names too
   ("founders: Lindqvist, Porter and Hayes": finding Hayes finds all three), unless the run
   ends in a company suffix ("Lauritsen & Holst A/S") or is only place names;
3. **repeat**: every other whole-word occurrence of the name or of one of its words (three
   letters or more, not an everyday word) is the same person ("directed by Maciej Borkowski
   and starring Borkowski").

New spans take the score of the span they came from and never overlap another finding.
"""

from __future__ import annotations

import unicodedata

import regex as re

from curator.pii.engine import Span

_CAP_WORD = r"\p{Lu}[\p{Ll}\p{M}'’\-]*[\p{Ll}\p{M}](?:-\p{Lu}[\p{Ll}\p{M}'’\-]+)?"
_PARTICLE = r"(?:van|von|der|den|de|del|della|di|da|du|dos|das|ten|ter|le|la|al|el|bin|ibn)"
_RUN = rf"{_CAP_WORD}(?:[ \t]+(?:\p{{Lu}}\.|{_PARTICLE}[ \t]+{_CAP_WORD}|{_CAP_WORD})){{0,3}}"
_AFTER = re.compile(rf"[ \t]*(?:,|;|&|,?[ \t]+(?:and|or|&))[ \t]+({_RUN})")
_BEFORE = re.compile(rf"({_RUN})(?:[ \t]*(?:,|;|&)|[ \t]+(?:and|or|&))[ \t]*$")
_END = re.compile(r"[ \t]*(?:[.;!?]|\n|$)")
_CHAIN = re.compile(rf"(?:[ \t]*(?:,|&|,?[ \t]+and)[ \t]+{_RUN})*")
_NEXT = re.compile(
    rf"[ \t]+(\p{{Lu}}\.(?:[ \t]+{_CAP_WORD})?|{_CAP_WORD}"
    # one or two particles: "Anna van de Sande" (not "… de la in Madrid")
    rf"|(?:{_PARTICLE}[ \t]+){{1,2}}{_CAP_WORD}(?![ \t]+\p{{Ll}}+[ \t]+\p{{Lu}}))"
)
_PREVIOUS = re.compile(rf"({_CAP_WORD})[ \t]+$")
# The rest of a list after an item: ", Porter and Hayes", ", and Dalton", " and Wong".
_LIST_TAIL = re.compile(rf"(?:[ \t]*[,;][ \t]+{_RUN})*[ \t]*[,;]?[ \t]+(?:and|or|&)[ \t]+{_RUN}")
_LOWER_NEXT = re.compile(r"[ \t]+(\p{Ll}[\p{Ll}\p{M}'’\-]+)")
_WORD = re.compile(r"[\p{L}\p{M}][\p{L}\p{M}'’\-]*")
# Company forms: a run followed by one of these names a firm, not people.
FIRM_SUFFIX = re.compile(
    r",?[ \t]+(?:Inc|Ltd|LLC|LLP|PLC|plc|GmbH|AG|KG|SE|S\.?A|S\.?A\.?S|SARL|S\.?p\.?A|S\.?r\.?l|S\.?L|B\.?V|"
    r"N\.?V|AB|A/S|AS|ASA|Oy|Oyj|ApS|a\.?s|s\.?r\.?o|o\.?s|k\.?s|sp\.?[ \t]*z[ \t]*o\.?o|Ltda|Pty|Co|Corp|"
    r"Corporation|Company|Group|Holdings|Partners|Associates|and[ \t]+Sons|&[ \t]+Sons|e\.?V)\b"
)
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "lady",
        "lord",
        "madam",
        "mme",
        "mlle",
        "herr",
        "frau",
        "sr",
        "sra",
        "srta",
        "dott",
        "rev",
        "fr",
        "capt",
        "sgt",
        "judge",
        "senator",
        "rep",
        "president",
        "king",
        "queen",
        "saint",
        "st",
        "general",
    ]
)


def _free(spans: list[Span], start: int, end: int) -> bool:
    return all(s.end <= start or end <= s.start for s in spans)


def _firm_ahead(text: str, position: int) -> bool:
    """A company suffix at ``position`` or after more coordinated words ("Lauritsen & Holst A/S")."""
    chain = _CHAIN.match(text, position)
    return bool(FIRM_SUFFIX.match(text, chain.end() if chain else position))


def propagate(text: str, spans: list[Span]) -> list[Span]:
    """``spans`` plus the PERSON spans grown from them (see the module docstring), sorted."""
    from curator.pii.names import any_name, big_places, everyday, is_name, place_words

    places, names, cities = place_words(), any_name(), big_places()
    is_everyday = everyday

    def is_place(key: str) -> bool:
        return key in places

    people = [s for s in spans if s.type == "PERSON"]
    if not people:
        return spans
    lower_text = not any(c.isupper() for c in text)
    out = list(spans)

    def add(start: int, end: int, score: float) -> Span | None:
        if end - start < 2 or not _free(out, start, end):
            return None
        span = Span("PERSON", start, end, score)
        out.append(span)
        return span

    def plain(words: list[str]) -> bool:
        """Words that cannot make a name: all everyday, titles, or only places."""
        keys = [w.casefold().rstrip(".") for w in words if len(w.rstrip(".")) > 1]
        if not keys or any(k in _TITLES for k in keys):
            return True
        if all(is_everyday(w) for w in words if len(w.rstrip(".")) > 1):
            return True
        return all(is_place(k) and not is_name(k) for k in keys)

    end_of: dict[str, int] = {}

    def linked(joint: str, run: str, tail: int) -> bool:
        """A coordinated run is a name: "and"/"&" with any name-like words; a bare comma only with
        words on the name lists, or inside a list that ends in "and" ("Lindqvist, Porter and
        Hayes": ``tail`` is where the rest of the list would start), since a comma also separates
        a name from a company or a town."""
        words = run.split()
        keys = [w.casefold() for w in words]
        if any(k in _TITLES for k in keys) or all(is_place(k) and not is_name(k) for k in keys):
            return False
        if " ".join(keys) in cities:
            return False  # "…, Virginia, Tennessee and Alabama": a list of real places
        if plain(words) and not re.search(r"\b(?:and|or)\b|&", joint):
            return False  # "Depeche Mode, Green Day": everyday words after a bare comma
        if any(k in names for k in keys):
            return True
        if plain(words):
            return False
        if re.search(r"\b(?:and|or)\b|[&;]", joint) or _LIST_TAIL.match(text, tail):
            return True
        # a bare comma: one unknown word that ends the line or sentence ("Contact: Hänninen, Perttu")
        return len(words) == 1 and _END.match(text, end_of[run]) is not None

    # 1. extend over neighbouring name words
    for span in people:
        start, end = span.start, span.end
        while True:
            match = (_LOWER_NEXT if lower_text else _NEXT).match(text, end)
            word = match.group(1) if match else ""
            if not match or FIRM_SUFFIX.match(text, end):
                break
            if lower_text and not is_name(word.casefold()):
                break
            if not lower_text and ((word[-1:] != "." and is_everyday(word)) or word.casefold() in _TITLES):
                break
            end = match.end(1)
        if not lower_text:
            while (match := _PREVIOUS.search(text, max(0, start - 40), start)) and match.end() == start:
                word = match.group(1)
                if is_everyday(word) or word.casefold() in _TITLES:
                    break
                start = match.start(1)
        if (start, end) != (span.start, span.end):
            others = [s for s in out if s is not span]
            if text[start:end].casefold() in cities:
                out.remove(span)  # "Rica" grown is "Costa Rica": a place, not a name
            elif _free(others, start, end):
                out[out.index(span)] = Span("PERSON", start, end, span.score)

    # 2. coordination and 3. repeated mentions, until nothing new is found (a repeated mention
    # can sit in a list: "The authors (Bonner, Mcdowell) thank Amina Bonner")
    for _ in range(3):
        before_count = len(out)
        if not lower_text:
            _coordinate(text, out, [s for s in out if s.type == "PERSON"], linked, end_of, add)
        _repeat(text, out, lower_text, add, is_everyday)
        if len(out) == before_count:
            break
    return sorted(out, key=lambda s: (s.start, s.end))


def _coordinate(text: str, out: list[Span], people: list[Span], linked, end_of: dict, add) -> None:
    """Names joined to a found name by ``,`` ``;`` ``and`` ``&`` ``or`` (see ``propagate``)."""
    from curator.pii.names import everyday

    queue = list(people)
    while queue:
        span = queue.pop()
        if _firm_ahead(text, span.end):
            continue
        after = _AFTER.match(text, span.end)
        if after:
            end_of[after.group(1)] = after.end(1)
        if (
            after
            and linked(after.group(), after.group(1), after.end(1))
            and not _firm_ahead(text, after.end(1))
        ):
            new = add(after.start(1), after.end(1), span.score)
            if new:
                queue.append(new)
        before = _BEFORE.search(text, max(0, span.start - 60), span.start)
        if not before:
            continue
        run, start = before.group(1), before.start(1)
        # a cue word in front of the list is no part of the name ("Witnesses Ziemowit Kotowski, …")
        words = run.split()
        while len(words) > 1 and (everyday(words[0]) or words[0].casefold() in _TITLES):
            start = text.index(words[1], start + len(words[0]))
            words = words[1:]
        run = text[start : before.end(1)]
        end_of[run] = before.end(1)
        if linked(before.group()[len(before.group(1)) :], run, span.end):
            new = add(start, before.end(1), span.score)
            if new:
                queue.append(new)


def _repeat(text: str, out: list[Span], lower_text: bool, add, is_everyday) -> None:
    """Every other whole-word occurrence of a found name, or of one of its words, is that person."""
    keys: dict[str, float] = {}
    for span in [s for s in out if s.type == "PERSON"]:
        value = text[span.start : span.end]
        keys[value] = max(keys.get(value, 0.0), span.score)
        for word in _WORD.findall(value):
            if len(word) >= 3 and not is_everyday(word) and word.casefold() not in _TITLES:
                keys[word] = max(keys.get(word, 0.0), span.score)
    # plain substring search with a word-boundary check: a regex per key cost more than all the rest
    haystack = text.lower() if lower_text else text
    if len(haystack) != len(text):  # a letter whose lower case is longer ("İ"): offsets would move
        haystack, lower_text = text, False
    for key in sorted(keys, key=len, reverse=True):
        needle = key.lower() if lower_text else key
        position = haystack.find(needle)
        while position >= 0:
            end = position + len(needle)
            if not _word_char(haystack, position - 1) and not _word_char(haystack, end):
                add(position, end, keys[key])
            position = haystack.find(needle, position + 1)


def _word_char(text: str, index: int) -> bool:
    """Whether ``text[index]`` is part of a word (a letter, mark, digit or ``_``); False off the ends."""
    if index < 0 or index >= len(text):
        return False
    char = text[index]
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


_SENTENCE_START = re.compile(r"(?:^|[.!?\n]|[\"“‘'(\[])[ \t\"“‘'(\[]*$")
# Words this frequent are cut at a sentence start; surnames only when they are very common words.
_HEAD_RANK, _COMMON_HEAD_RANK = 15_000, 5_000
_LEADING_ARTICLE = re.compile(r"(?:a|an|the)[ \t]+", re.IGNORECASE)
_NOT_A_PERSON_BEFORE = re.compile(r"(?:\d|\bdegrees?|°)[ \t]*$", re.IGNORECASE)
_TITLE_OF_WORK = re.compile(r"[ \t]+(?:and|of|in)[ \t]+the[ \t]+\p{Lu}")
_ISM = re.compile(r"\p{Ll}isms?$")
_ARTICLE = re.compile(r"\b(?:the|a|an)[ \t]+$", re.IGNORECASE)
# "the Christiansen novel", "the Okafor family": a surname used as an adjective of its person.
_AUTHOR_NOUN = re.compile(
    r"(?:'s|’s)?[ \t]+(?:novels?|books?|films?|movies?|songs?|albums?|plays?|poems?|paintings?|family|"
    r"families|estate|household|administration|biography|memoirs?|trilogy|twins|"
    r"brothers|sisters)\b"
)
_PEOPLE_LIST = re.compile(
    r"\b(?i:members|attendees|participants|guests|invitees|invited|witnesses|authors|founders|speakers|"
    r"signatories|reviewers|judges|panell?ists|organi[sz]ers|volunteers|winners|finalists|candidates|"
    r"nominees|recipients|cc|present|apologies|absent|regrets|assignee|reporter|owner|approver|requester|"
    r"author|reviewer|tutor|host|chair)[ \t]*:[^.\n]*$"
)
# A name used as the modifier of a product or a work is a brand, a band or a label, not a person
# in the text: "bought a Tommy Hilfiger jacket", "the new Steely Dan album".
_ATTRIBUTIVE_BEFORE = re.compile(
    r"\b(?i:a|an|the|this|that|these|those|my|his|her|their|our|your|new|old|latest|vintage|classic|"
    r"favourite|favorite|first|last|original|fake|genuine)[ \t]+(?:(?i:new|old|latest|vintage|classic|"
    r"favourite|favorite|first|last|original|fake|genuine)[ \t]+)?(?:(?:Dr|St|Mr|Mrs)\.?[ \t]+)?"
    r"(?:\p{Lu}\p{Ll}+[ \t]+)?$"
)
_PRODUCT_AFTER = re.compile(
    # goods only: "the new John Smith album" is a musician's, as "the Christiansen novel" is a writer's
    r"[ \t]+(?i:jackets?|coats?|dress(?:es)?|shirts?|t-shirts?|bags?|handbags?|shoes|boots|sneakers|trainers|"
    r"perfume|fragrance|cologne|watch(?:es)?|suits?|jeans|sweaters?|jumpers?|scarf|scarves|hats?|glasses|"
    r"sunglasses|belt|wallet|store|boutique|outlet|outfit|gown|heels|lipstick|makeup|underwear|swimsuit|"
    r"handbag|purse|backpack|tie|blazer|hoodie|socks|skirt|trousers)\b"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The last word of a place, an institution, an event, a band or a dish, never of a person's name
# (unless it starts with a given name: "Anna Park", "Ed Sheeran's Band" stay for the other rules).
_THING_HEADS = _words(
    "park parks lake river mountain mountains island islands bay beach valley canyon forest falls bridge "
    "tower towers hall center centre stadium arena airport station museum university college school "
    "academy hospital clinic church cathedral chapel temple mosque castle palace records fighters men "
    "boys girls street road avenue square gardens zoo library theatre theater festival awards prize cup "
    "league club orchestra choir foundation institute society association council committee syndrome "
    "disease effect law theorem principle equation sauce salad cake pie soup bread cheese dragon dragons "
    "retriever retrievers terrier terriers spaniel spaniels shepherd hotel restaurant cafe café bar pub "
    "mall market airlines airways motors pictures studios games entertainment media press times post "
    "herald gazette journal magazine news radio tv channel network systems technologies software labs "
    "bank capital ventures group holdings partners brands wines brewery distillery creek ridge hills "
    "heights county province state republic kingdom empire dynasty war wars battle treaty accords act "
    "bill doctrine prize trophy series show tour concert album "
)
# What follows a verb at the head of an instruction ("Summarise what she said"), not a name.
_IMPERATIVE_OBJECT = re.compile(
    r"[ \t]+(?:what|how|why|when|where|which|who|whether|if|the|a|an|this|that|these|those|my|your|our|"
    r"their|his|her|its|each|every|all|some|any|it|them|me|us|him)\b"
)
_FIRM_WORDS = _words(
    "inc ltd llc plc gmbh ag kg sa sas sarl spa srl bv nv ab oy oyj aps kft zrt kht bt tbk kkt cie vof "
    "scs snc eirl ltda pty corp co "
)
# A work is what one writes, paints or directs: "Giovanni Castaneda wrote Moby Dick in 1990".
_WORK_VERB_BEFORE = re.compile(
    r"\b(?:wrote|authored|published|directed|painted|composed|filmed|re-?read|translated|adapted)[ \t]+"
    r"(?:(?:the|a|his|her|their)[ \t]+(?:novel|book|play|poem|film|movie|opera|song)[ \t]+)?$"
)
_WORK_VERBS = _words(
    "wrote authored published directed painted composed filmed reread re-read translated adapted"
)
_INDIRECT_OBJECT = re.compile(r"[ \t]+(?:a|an|the|some|back|to)\b")  # "wrote Anna a letter"
_TITLE_BEFORE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Lady|Lord|Madam|Mme|Mlle|Herr|Frau|Sr|Sra|Srta|Dott|Rev)"
    r"\.?[ \t]+$"
)


def titled_early(text: str, start: int) -> bool:
    """A courtesy title or a people-list label stands before ``start``: a person whatever the words."""
    if _TITLE_BEFORE.search(text, max(0, start - 12), start) is not None:
        return True
    return _PEOPLE_LIST.search(text, max(0, text.rfind("\n", 0, start) + 1), start) is not None


def drop_word_heads(text: str, spans: list[Span]) -> list[Span]:
    """Ordinary words the model took for names, checked case-insensitively against the word list.

    A capital at the start of a sentence says nothing: "Yoga provides…", "Tone deafness…",
    "Server 10.0.0.1 was…", "Wire the deposit…". Leading words of a PERSON span there that are
    frequent English words (surnames only when very frequent) and not given names are cut off
    (a span left empty is dropped); a one-word PERSON after an article that is on no name list
    ("the Jira licence", but "the Christiansen novel") is not a person either, nor a word after a
    number ("73 degrees Fahrenheit", "500 Kelvin"), a doctrine ("Judaism"), or the head of a
    title ("Harry Potter and the Chamber of Secrets").
    """
    from curator.pii.names import (
        DICTIONARY_RANK,
        any_name,
        big_places,
        english_given,
        english_ranks,
        everyday,
        name_lists,
        place_words,
    )

    ranks, given, names = english_ranks(), english_given(), any_name()
    surnames = english_given(("last_names",))
    places, all_given = place_words(), name_lists()[0]
    cities, english = big_places(), given
    out = []
    for span in spans:
        if span.type != "PERSON":
            out.append(span)
            continue
        start, end = span.start, span.end
        while start < end and _SENTENCE_START.search(text, max(0, start - 4), start):
            word = _WORD.match(text, start)
            if not word or word.end() > end:
                break
            key, rank = word.group().casefold(), ranks.get(word.group().casefold(), DICTIONARY_RANK)
            if rank >= _HEAD_RANK or key in given or (key in surnames and rank >= _COMMON_HEAD_RANK):
                break
            before = _WORD.findall(text, max(0, start - 12), start)
            if before and before[-1].casefold() in _TITLES:  # "Mr. Spears": not a sentence end
                break
            start = word.end()
            while start < end and not text[start].isalpha():
                start += 1
        if end - start < 2:
            continue
        while (article := _LEADING_ARTICLE.match(text, start, end)) and article.end() < end:
            start = article.end()  # "a Quinoa Salad"
        value = text[start:end]
        if _NOT_A_PERSON_BEFORE.search(text, max(0, start - 12), start) or _TITLE_OF_WORK.match(text, end):
            continue  # "73 degrees Fahrenheit", "500 Kelvin"; "Harry Potter and the Chamber of Secrets"
        if _ISM.search(value):
            continue  # "Judaism", "Cubism": doctrines, not people
        if (
            " " not in value
            and _SENTENCE_START.search(text, max(0, start - 4), start)
            and _IMPERATIVE_OBJECT.match(text, end)
            and value.casefold() not in all_given
        ):
            continue  # "Summarise what …", "Paraphrase the …": a verb that starts an instruction
        if value.casefold().rstrip(".") in _TITLES or value.casefold().rstrip(".") in _FIRM_WORDS:
            continue  # a title or a company form left alone ("Dr", "Ms", "Kht", "Cie")
        if (
            not _WORK_VERBS.isdisjoint(text[max(0, start - 30) : start].lower().split())
            and _WORK_VERB_BEFORE.search(text, max(0, start - 30), start)
            and not _INDIRECT_OBJECT.match(text, end)
        ):
            continue  # "Mirac wrote Moby Dick in 1990": the object of "wrote" is a work
        head, *rest = value.split()
        if (
            rest
            and rest[-1].casefold() in _THING_HEADS
            and head.casefold() not in all_given
            and not titled_early(text, start)
        ):
            continue  # "Marymoor Park", "Guinness World Records", "Foo Fighters": a place, a work, a band
        if _PRODUCT_AFTER.match(text, end) and _ATTRIBUTIVE_BEFORE.search(text, max(0, start - 40), start):
            continue  # "a Karl Lagerfeld jacket", "a Tommy Hilfiger bag": a brand
        key = value.casefold()
        titled = _TITLE_BEFORE.search(text, max(0, start - 12), start) is not None
        # in a list after "members:", "founders:"… a town-named surname is a person ("Kuba")
        titled = (
            titled or _PEOPLE_LIST.search(text, max(0, text.rfind("\n", 0, start) + 1), start) is not None
        )
        # "Costa Rica", "Gistrup": a place (a place that is also a given name stays), unless a
        # title says otherwise ("Ms Petrová": Petrová is a town too); a surname that is also a
        # town comes back when it stands in a list of names (``propagate``)
        if not titled and key in places and key.split()[0] not in all_given:
            continue
        if not titled and key in cities and key.split()[0] not in english:
            continue  # "London", "Tallahassee": a real city that is no English given name
        head, *rest = value.split()
        if (
            not titled
            and rest
            and head.casefold() in cities
            and head.casefold() not in english
            and all(everyday(w) or w.isupper() for w in rest)
        ):
            continue  # "Miami Marlins", "Texas BBQ": a team or a dish named after its city
        if (
            not titled
            and " " not in value
            and value.casefold() not in names
            and _ARTICLE.search(text, max(0, start - 5), start)
            and not _AUTHOR_NOUN.match(text, end)
        ):
            continue  # "the Jira licence" (but "the Christiansen novel", "the Okafor family")
        out.append(span if start == span.start else Span("PERSON", start, end, span.score))
    return out
