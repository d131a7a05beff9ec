"""Person names from the spaCy model's entities, with the corrections the small models need.

spaCy's small English model finds most names, but labels many non-English names ORG, GPE or NORP
and now and then calls an e-mail address, a street name or a product a PERSON. We keep its PERSON
spans that look like names, promote other entity spans to PERSON where the words around them say
"this is a person" (a title, ``my name is``, ``Name:``, a greeting or signature), and add names
after a title that the model missed. Overlaps with e-mails and addresses are settled later by
type priority (see ``entities.PRIORITY``).
"""

from __future__ import annotations

import re as sre  # the standard library's engine: cheap literal pre-filters
from typing import ClassVar

import regex as re
from presidio_analyzer import LocalRecognizer, RecognizerResult

NER_LABELS = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "ORG": "ORGANIZATION",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "NORP": "NRP",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
# Entity labels the small models give to names they do not recognise as names.
_MISLABELS = {"ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT", "LANGUAGE"}

_TITLE = (
    r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lady|Lord|Madam|Mme|Mlle|Herr|Frau|Sr|Sra|Srta|"
    r"Sig|Sig\.ra|Dott|Mister|Doctor|Rev|Fr|Capt|Captain|Sgt|Officer|Judge|Senator|Rep)"
)
_NAME_WORD = (
    r"(?!(?:Apt|Apartment|Suite|Unit|Flat|Floor|Room|Box)\b)\p{Lu}[\p{Ll}'’\-]+(?:-\p{Lu}[\p{Ll}'’\-]+)?"
)
_INITIAL = r"\p{Lu}\."
_NAME = rf"{_NAME_WORD}(?:[ \t]+(?:{_INITIAL}|{_NAME_WORD})){{0,3}}"
# A title directly before capitalised words: "Mrs. Barbara Yudina", "Dr Okafor".
_TITLED = re.compile(rf"\b{_TITLE}\.?\s+({_NAME})")
# Words right before a span that say it is a person.
_CUE_BEFORE = re.compile(
    rf"(?:\b{_TITLE}\.?|\bname(?:\s+is|:)|\bnamed|\bcalled|\bI\s+am|\bI'm|\bthis\s+is|\bdear|\bhi|\bhello|"
    r"\bhey|\bthanks?|\bregards,?|\bsincerely,?|\bcheers,?|\bbest,?|\bsigned|\bby|\bwith|\bfrom:|\bto:|"
    r"\bsays|\bsaid|\basked|\btold|\baccording\s+to|\bstarring|\bdirected\s+by|\bname\s*\?|"
    r"\bcontact|\bask\s+for|\bspeak\s+(?:to|with)|\bmeet|\bmet|\bwife|\bhusband|\bson|\bdaughter|"
    r"\bmother|\bfather|\bbrother|\bsister|\bfriend|\bcolleague|\bboss|\bneighbou?r|\bpatient|\bclient|"
    r"\bcustomer|\bemployee|\bmanager|\bdoctor|\bteacher)\s*[:,]?\s*$",
    re.IGNORECASE,
)
# Words after which a capitalised word is a name even when no list knows it.
_STRONG_CUE = re.compile(
    rf"(?:\b{_TITLE}\.?|\b(?:my|his|her|their|your|maiden|last|first|full|middle|sur)\s*name\s+(?:is|was)|"
    r"\bname\s*[:?]|\bnamed|\bcalled|\bcall\s+me|\bI\s+am|\bI'm|\bsigned|\bregards,?|\bsincerely,?|"
    r"\b(?:contact(?:\s+person)?|attendees|participants|guests|invited|invitees|witnesses|authors|founders|"
    r"members|speakers|signatories|cc|attn|attention)\s*:|"
    # a role or a greeting right before the name, no colon: "Patient Ivy Hermans", "Hi Tonie"
    r"\b(?:witnesses|attendees|invitees|patient|applicant|tenant|suspect|victim|passenger|defendant|"
    r"plaintiff|hi|hello|hey|dear)|"
    # reported speech and reaching someone: "says Joly.", "You can reach Tonie at …"
    r"\b(?:says|said|asks|asked|replied|replies|added|adds|explained|explains|according\s+to|reach|"
    r"thank|thanks|thanked|belongs?\s+to|congratulations\s+to|congrats\s+to|condolences\s+to)|"
    # meeting or writing to someone: "coffee with Grys", "an email to Mclaughlin", "tell Terrance"
    r"\b(?:(?:meeting|call|coffee|lunch|dinner|drinks|chat|interview|appointment|session)\s+with(?:\s+dr\.?)?|"
    r"(?:spoke|speak|talked|talk|met|meet|chatted|agreed|argued|disagreed)\s+(?:with|to)|"
    r"(?:email|e-mail|letter|note|message|memo|reply|text|postcard|card)\s+(?:to|from)|"
    r"tell|ask|remind|inform|invite|cc|bcc)|"
    r"\b(?:my|our|his|her|their|your)\s+(?:kid|child|baby|boy|girl|son|daughter|wife|husband|partner|"
    r"fianc[ée]e?|mother|mom|mum|father|dad|brother|sister|cousin|uncle|aunt|nephew|niece|grandson|"
    r"granddaughter|grandmother|grandfather|grandma|grandpa|friend|colleague|boss|neighbou?r|patient|"
    r"client|tenant|landlord|roommate|classmate|teacher|student|doctor|lawyer|assistant))\s*[:,]?\s*$",
    re.IGNORECASE,
)
# A sign-off on its own line, the name on the next: "Cheers,\nFinwith" (looked for only when a
# line break stands right before the name).
_SIGN_OFF = re.compile(
    r"\b(?:cheers|best|thanks|thank\s+you|love|xoxo|warmly|cordially|yours(?:\s+truly|\s+sincerely)?|"
    r"best\s+wishes|many\s+thanks|take\s+care|talk\s+soon|see\s+you)[ \t]*[,!.]?[ \t]*\n[ \t]*$",
    re.IGNORECASE,
)
# A name on a line of its own at the top of a letter, a signature, a contact card.
_NAME_FIELD = re.compile(
    rf"(?m)^(?:[ \t>*•?\-]*)(?:Name|Full\s+name|Patient|Customer|Contact)\s*:\s*({_NAME})"
)


def _result(recognizer, entity: str, start: int, end: int, score: float) -> RecognizerResult:
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=score,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
            RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
        },
    )


def _looks_like_name(value: str) -> bool:
    if len(value) < 2 or any(c.isdigit() for c in value) or "@" in value or "/" in value or "_" in value:
        return False
    letters = [c for c in value if c.isalpha()]
    if not letters:
        return False
    return any(c.isupper() for c in letters) or len(value.split()) > 1


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip a leading title, surrounding punctuation and a trailing possessive from a span."""
    value = text[start:end]
    title = re.match(rf"{_TITLE}\.?\s+", value)
    if title and title.end() < len(value):
        start += title.end()
    while end > start and text[end - 1] in ".,;:!?)]}\"'’ \n":
        end -= 1
    conjunction = re.search(r"[ \t]+(?:and|or|&)$", text[start:end])
    if conjunction:  # "Suzanne Coesinck and": the model ran into the list's next item
        end = start + conjunction.start()
    while start < end and text[start] in "([{\"'’ \n":
        start += 1
    if text[end - 2 : end] in ("'s", "’s"):
        end -= 2
    return start, end


_CAPITALISED_RUN = re.compile(
    r"(?<![\p{L}\d'’@._-])\p{Lu}[\p{Ll}'’\-]+"
    r"(?:[ \t]+(?:\p{Lu}\.?(?=[ \t])|\p{Lu}[\p{Ll}'’\-]+)){0,3}(?![\p{L}\d@])"
)
_LOWER_CUE = re.compile(
    r"\b(?:(?:my|his|her|their|your|maiden|last|first|full)\s+name\s+is|name\s*:|i\s+am|i'm|call\s+me|called|signed|"
    r"(?:the\s+)?(?:patient|client|tenant|applicant|resident|passenger|student|employee))\s+"
    r"(\p{Ll}[\p{Ll}'’\-]+)(?:\s+(\p{Ll}[\p{Ll}'’\-]+))?(?:\s+(\p{Ll}[\p{Ll}'’\-]+))?",
    re.IGNORECASE,
)
_PLACE_CUE = re.compile(
    r"\b(?:from|to|in|at|near|into|towards?|visit(?:ed|ing)?|arrived\s+(?:at|in))\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_LOWER_WORD = re.compile(r"(?<![\p{L}\d'’@._-])\p{Ll}[\p{Ll}'’\-]+(?![\p{L}\d@])")
_WORDS = re.compile(r"[\p{L}'’\-]+")
_PERSON_VERB = (
    r"said|says|spent|began|begins|lives|lived|told|asked|wrote|met|loves|loved|likes|wants|wanted|"
    r"thinks|knows|married|died|studied|sang|smiled|laughed|cried|replied|answered|whispered|shouted|"
    r"bought|drove|went|came|sent|gave|took|got|left|arrived|joined|stayed|visited|paid|ordered|booked|"
    r"signed|filed|called|texted|emailed|phoned|needs|needed|lost|won|forgot|promised|brought|cooked"
)
_SUBJECT = re.compile(
    rf"(?<![\p{{L}}\d'’@.-])(\p{{Lu}}\p{{Ll}}{{2,}})(?:'s)?\s+"
    rf"(?:(?:{_PERSON_VERB})\b|(?:is|was|has|had|will)\b(?!\s+(?:a|an|the|one|located|based|headquartered|"
    r"founded|known|called|named|used|made|available|also|not|now)\b))"
)
# "Vladimiro and Sansão are planning…": two names as the subject of a verb.
_PAIR_SUBJECT = re.compile(
    r"(?<![\p{L}\d'’@.-])(\p{Lu}\p{Ll}[\p{Ll}'’\-]+)[ \t]+(?:and|&)[ \t]+(\p{Lu}\p{Ll}[\p{Ll}'’\-]+)[ \t]+"
    r"(?:are|were|have|had|will|both|met|married|live|lived|went|said)\b"
)
# A signature after a dash at the end of a line: "Call me back at … — Giray".
_SIGNATURE = re.compile(
    r"(?m)(?:[—–]|--)[ \t]*(\p{Lu}\p{Ll}[\p{Ll}'’\-]+(?:[ \t]+\p{Lu}\p{Ll}[\p{Ll}'’\-]+)?)[ \t]*[.!]?[ \t]*$"
)
# "the Christiansen novel", "the Okafor family": a surname as the adjective of its person's work.
_AUTHOR_OF = re.compile(
    r"\b(?i:the)[ \t]+(\p{Lu}\p{Ll}[\p{Ll}'’\-]+)(?:'s|’s)?[ \t]+(?:novels?|books?|films?|paintings?|"
    r"poems?|plays?|memoirs?|biography|trilogy|family|household|estate|twins)\b"
)
# "Pusat Karaduman's address is …": a name owning personal details.
_POSSESSIVE = re.compile(
    r"(?<![\p{L}\d'’@.-])(\p{Lu}\p{Ll}[\p{Ll}'’\-]+(?:[ \t]+\p{Lu}\p{Ll}[\p{Ll}'’\-]+){0,2})(?:'s|’s)[ \t]+"
    r"(?:home\s+|postal\s+|e-?mail\s+|phone\s+|full\s+)?(?:address|phone|number|e-?mail|birthday|"
    r"date\s+of\s+birth|passport|account|card|salary|diagnosis|wife|husband|mother|father|son|daughter)\b"
)
# "Please confirm Antonietta's booking": a possessive with an everyday noun counts only for
# words on the name lists.
_OWNS = re.compile(
    r"(?<![\p{L}\d'’@.-])(\p{Lu}\p{Ll}[\p{Ll}'’\-]+(?:[ \t]+\p{Lu}\p{Ll}[\p{Ll}'’\-]+)?)(?:'s|’s)[ \t]+"
    r"(?:booking|reservation|order|appointment|flight|ticket|application|profile|contract|visa|file|record|"
    r"records|details|car|house|home|flat|room|office|desk|laptop|luggage|suitcase|wedding|funeral|"
    r"parents|kids|children|husband|wife|partner|boss|doctor|lawyer|place|party|birthday|apartment|"
    r"mom|mum|dad|sister|brother|cat|dog|phone|number|address)\b"
)
# "Reply to Elizabeth (e@x.com)", "From: Ana Souza <ana@x.org>": a name right before its e-mail.
_BEFORE_EMAIL = re.compile(
    r"(?<![\p{L}\d'’@.-])(\p{Lu}\p{Ll}[\p{Ll}'’\-]+(?:[ \t]+\p{Lu}[\p{Ll}'’\-]+){0,2})[ \t]*[(<][ \t]*"
    r"[\w.+\-]+@[\w\-]+\."
)
# A list after a cue that names people: "Board members: Kuba, Trojan, Vycpálek and Sadek."
_LIST_ITEM = r"\p{Lu}\p{Ll}[\p{Ll}'’\-]+(?:[ \t]+\p{Lu}\p{Ll}[\p{Ll}'’\-]+){0,2}"
_PEOPLE_PLURALS = (
    "members|attendees|participants|guests|invitees|invited|witnesses|authors|founders|speakers|"
    "signatories|reviewers|judges|panelists|panellists|organisers|organizers|volunteers|winners|finalists|"
    "candidates|nominees|recipients|students|hosts|owners|parents|tenants|applicants"
)
_LIST_ITEMS = (
    rf"({_LIST_ITEM})(?:[ \t]*[,;][ \t]*({_LIST_ITEM}))?(?:[ \t]*[,;][ \t]*({_LIST_ITEM}))?"
    rf"(?:[ \t]*[,;][ \t]*({_LIST_ITEM}))?(?:[ \t]*,?[ \t]+(?:and|&)[ \t]+({_LIST_ITEM}))?"
)
# Each of the two needs a literal the engine looks for first (":", or "s," found by a pre-filter),
# so text without it costs nothing.
_CUED_LIST = re.compile(
    rf"\b(?i:{_PEOPLE_PLURALS}|"
    # a role label of a ticket, minutes or a form: "Assignee: Spano, Benigno", "Apologies: Durfee"
    r"cc|present|apologies|absent|regrets|assignee|assigned\s+to|reporter|reported\s+by|owner|approver|"
    r"approved\s+by|requester|requested\s+by|author|reviewer|reviewed\s+by|tutor|host|chair|secretary|"
    r"minutes\s+by|prepared\s+by|signed|witness|sender|recipient|landlord|tenant|student|nurse|"
    rf"driver|buyer|seller|guardian|next\s+of\s+kin)[ \t]*:[ \t]*{_LIST_ITEMS}"
)
# "Our speakers, Molina, Prieto, Cabrera, and Soto, will present."
_CUED_LIST_COMMA = re.compile(rf"\b(?i:{_PEOPLE_PLURALS})[ \t]*,[ \t]*{_LIST_ITEMS}")
# A contact card or letter head: the text's first line is two to four capitalised words and
# more lines follow ("Einojuhani Pyysalo\n\nLocal transit bus driver\n…").
_CARD_HEAD = re.compile(
    r"\A[ \t>*•?\-]*(\p{Lu}\p{Ll}[\p{Ll}'’\-]+(?:[ \t]+(?:\p{Lu}\.?|(?:van|von|de|der|den|ten|da|di|du|le|la)"
    r"(?=[ \t]+\p{Lu})|\p{Lu}\p{Ll}[\p{Ll}'’\-]+)){1,3})[ \t]*\n"
)
# "Gustafsson and I disagree": a name coordinated with the speaker.
_AND_I = re.compile(r"(?<![\p{L}\d'’@.-])(\p{Lu}\p{Ll}[\p{Ll}'’\-]+)[ \t]+(?:and|&)[ \t]+(?:I|me|myself)\b")
# "Deste, can you review …": a name addressed at the start of a message.
_VOCATIVE = re.compile(
    r"(?m)^[ \t]*(\p{Lu}\p{Ll}[\p{Ll}'’\-]+(?:[ \t]+\p{Lu}\p{Ll}[\p{Ll}'’\-]+)?),[ \t]+"
    r"(?:can|could|would|will|please|do|did|are|have|I|we|you|thanks|thank)\b"
)
# Introducing oneself on the phone or in a message: "Hello, this is Muhammad from PPUH Gemza".
_THIS_IS = re.compile(  # a look-behind: the scan stops at capitals only, not at every word
    r"(?<=\b(?i:this\s+is|it's|it\s+is)[ \t]+)(\p{Lu}\p{Ll}[\p{Ll}'’\-]+(?:[ \t]+\p{Lu}\p{Ll}[\p{Ll}'’\-]+)?)"
    r"[ \t]+(?:from|at|with|here|speaking|calling)\b"
)
# Someone told or asked to do something ("tell Mark to come back"), a sign-off ("xoxo Editta").
_TOLD_TO = re.compile(
    r"(?<=\b(?i:tell|ask|remind|let|invite|text|email|e-mail|call|thank|warn|help)[ \t]+)"
    r"(\p{Lu}\p{Ll}[\p{Ll}'’\-]+)[ \t]+(?:to|that|about|if|whether|when|know|for)\b"
    r"|(?<=\b(?i:xoxo|hugs|kisses|love\s+always|lots\s+of\s+love),?[ \t]+)(\p{Lu}\p{Ll}[\p{Ll}'’\-]+)\b"
)
_ASKED_ABOUT = re.compile(
    r"(?<=\b(?:Did|Does|Has|Have|Will|Can|Could|Would|Should|Is|Was)[ \t]+)(\p{Lu}\p{Ll}[\p{Ll}'’\-]+)[ \t]+"
    r"(?:reply|replied|respond|responded|answer|answered|call|called|text|texted|email|emailed|say|said|"
    r"send|sent|confirm|confirmed|sign|signed|agree|agreed|come|arrive|arrived|finish|finished|approve|"
    r"approved|mention|mentioned|get|got|see|saw|pay|paid|book|booked|ask|asked|tell|told)\b"
)
_STRONG_SLOTS = (_BEFORE_EMAIL, _CUED_LIST, _CUED_LIST_COMMA, _TOLD_TO)
# Literal words each slot pattern needs: a text without them skips the pattern (same findings).
_SLOT_NEEDS = {
    _CUED_LIST_COMMA: sre.compile(r"s,[ \t]+[A-Z]"),
    _BEFORE_EMAIL: sre.compile(r"@"),
}
_PERSON_SLOTS = (
    _PAIR_SUBJECT,
    _SIGNATURE,
    _AUTHOR_OF,
    _POSSESSIVE,
    _CARD_HEAD,
    _BEFORE_EMAIL,
    _CUED_LIST,
    _CUED_LIST_COMMA,
    _AND_I,
    _VOCATIVE,
    _THIS_IS,
    _TOLD_TO,
    _ASKED_ABOUT,
)
# "Zuzana: "Who are you?"": a speaker label at the start of a line.
_SPEAKER = re.compile(r"(?m)^[ \t>]*(\p{Lu}[\p{Ll}'’\-]+)[ \t]*:[ \t]*[\"“'‘]")


# Company names built from surnames: "Jones, Mitchell and Williams", "Thomas and Sons", "Conway Inc.".
_FIRM = re.compile(
    r"\b\p{Lu}[\p{L}'’\-]+(?:[ \t]+\p{Lu}[\p{L}'’\-]+)*[ \t]+(?:and|&)[ \t]+Sons\b"
    r"|\b\p{Lu}[\p{L}'’\-]+(?:[ \t]+(?:(?:&|and|und|et|e|y|i|és|en|og|och)[ \t]+)?\p{Lu}[\p{L}'’\-]+)*"
    r",?[ \t]+"
    r"(?:Inc|Ltd|LLC|LLP|PLC|GmbH|AG|KG|S\.A|Corp|"
    r"Corporation|Company|Group|Holdings|Partners|Associates|Orchestra|Foundation|Institute|Bank|"
    r"SA|SAS|SARL|SpA|S\.p\.A|Srl|S\.r\.l|S\.L|BV|B\.V|NV|N\.V|AB|A/S|ASA|Oy|Oyj|ApS|a\.s|s\.r\.o|o\.s|"
    r"k\.s|Ltda|Pty|e\.V|KGaA|mbH|GbR|OHG|Kft|Zrt|Nyrt|Kht|Bt|Tmi|Ky|ry|HB|KB|Şti|A\.Ş|Sp\.j|Sp\.k|S\.C\.P|"
    r"S\.Coop|S\.C|d\.o\.o|j\.d\.o\.o|EIRELI|ME|EI|e[ \t]+Filhos|et[ \t]+Fils|y[ \t]+asociados|&[ \t]+Søn|"
    r"e[ \t]+Hijos|und[ \t]+Söhne|Cie|VOF|Tbk|Kkt|s\.p|s\.c|i[ \t]+syn|SRL|S\.R\.L|LDA|Lda|SAS|"
    r"GbR|PartG|Sdn[ \t]+Bhd|Bhd|Pte|Pvt|LLP)(?![\p{L}\d])\.?"
    # a firm word first: "Laboratorios Franco-Miranda", "Grupo Herrera", "PPUH Kaziród-Mateusiak"
    r"|\b(?:Laboratorios|Laboratório|Proyectos|Familia|Grupo|Industrias|Comercial|Corporación|Inversiones|"
    r"Construcciones|Distribuidora|Transportes|PPUH|PHU|FHU|Studio|Atelier|Maison|Cabinet|Banco|Casa|"
    r"PT|Koninklijke|Stichting|Fundación|Fondazione|Fundação)"
    r"[ \t]+\p{Lu}[\p{L}'’\-]+(?:[ \t,]+(?:y|e|and|&)?[ \t]*\p{Lu}[\p{L}'’\-]+)*"
)
_SENT_FROM = re.compile(
    r"(?<=\bSent[ \t]+from[ \t]+)\p{Lu}[\p{L}'’\-]+"
    r"(?:,?[ \t]+(?:(?:&|and|i|e|y|és|en)[ \t]+)?\p{Lu}[\p{L}'’\-.]*)*"
)
_AMPERSAND = re.compile(r"\b(\p{Lu}[\p{Ll}'’]+)[ \t]+&[ \t]+(\p{Lu}[\p{Ll}'’]+)\b")
_HYPHENED = re.compile(r"(?<![\p{L}\d'’@.-])(\p{Lu}\p{Ll}+-\p{Lu}\p{Ll}+)(?![\p{L}\d@-])(?![ \t]+\p{Lu})")
# Where an organisation goes and a person rarely does ("applying to", "works at", "the CEO of").
_ORG_SLOT = re.compile(
    r"\b(?:at|of|(?:work(?:s|ed|ing)?|job)\s+(?:for|at)|employed\s+(?:by|at)|joined|"
    r"appl(?:y|ying|ied)\s+to|hired\s+by|acquired\s+by)\s+$",
    re.IGNORECASE,
)
_PAIR = re.compile(r"(\p{Lu}[\p{Ll}'’\-]+)[ \t]+(?:and|&)[ \t]+(\p{Lu}[\p{Ll}'’\-]+)")
_FIRM_AFTER = re.compile(
    r",?[ \t]+(?:Inc|Ltd|LLC|LLP|PLC|GmbH|AG|Co|Corp|Partners|Associates|Sons|SA|AB|A/S)\b"
)
# "Jones, Mitchell and Williams": three surnames name a firm (a list of first names is not all surnames).
_THREE = re.compile(
    r"(?i:\b(\p{L}[\p{L}'’\-]+),[ \t]+(\p{L}[\p{L}'’\-]+),?[ \t]+(?:and|&)[ \t]+(\p{L}[\p{L}'’\-]+)\b)"
)
# Before an unknown single word, these say "organisation or place", not "person".
_NOT_PERSON_CUE = re.compile(
    r"\b(?:from|to|in|at|near|into|towards?|visit(?:ed|ing)?|arrived\s+(?:at|in)|flew\s+to|work(?:s|ed|ing)?\s+"
    r"(?:for|at)|employed\s+(?:by|at)|joined|of|for)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_LIST = re.compile(
    r"(?<![\p{L}])(\p{L}[\p{L}'’\-]+)(?:,[ \t]+\p{L}[\p{L}'’\-]+){2,}"
    r"(?:,?[ \t]+(?:and|&)[ \t]+\p{L}[\p{L}'’\-]+)?(?![\p{L}])"
)
# Words before a list that make it a list of people, not a firm: "founders: Lindqvist, Porter and Hayes".
_PEOPLE_BEFORE = re.compile(
    r"\b(?:(?:co-?)?founders|members|authors|attendees|participants|guests|invitees|invited|witnesses|"
    r"speakers|reviewers|judges|panell?ists|organi[sz]ers|owners|directors|signatories|hosts|winners|finalists|"
    r"candidates|nominees|recipients|suspects|victims|students|employees|colleagues|friends|children|kids|"
    r"sons|daughters|parents|partners|players|authors|editors|cc|attn|team|committee|board|present|apologies|"
    r"absent|regrets|assignee|reporter)"
    # the list may have begun already: "Our authors, Molina, Prieto, Cabrera, and Soto"
    r"[ \t]*(?:are|were|include|included|:|,|were:)?[ \t]*(?:\p{Lu}[\p{L}'’\-]+[ \t]*[,;][ \t]*){0,6}$",
    re.IGNORECASE,
)
_HEAD_OF_SENTENCE = re.compile(r"(?:^|[.!?:\n])[ \t\"“'‘(]*$")
# Words around a lone surname that make it a person's.
_LONE_BEFORE = re.compile(
    r"\b(?:with|to|tell|ask|asked|told|from|by|call|called|email|e-mail|text|thank|thanks|meet|met|cc|"
    r"invite|invited|inform|remind|let|and|or|for|dear|hi|hello|hey|said|says|wrote)[ \t]+$",
    re.IGNORECASE,
)
_LONE_AFTER = re.compile(
    r"(?:'s|’s)?[ \t]+(?:and[ \t]+(?:I|me)|said|says|wrote|writes|thinks|agreed|replied|told|asked|called|"
    r"emailed|will|would|can|could|has|had|is|was|did|does)\b"
)
_PLACE_LABELS = ("GPE", "LOC", "FAC")
_POSSESSIVE_END = re.compile(r"['’]s?$")
# Endings that make a word a surname in many languages (Slavic, Baltic, Romanian, Greek, Turkish,
# Georgian, Armenian, Nordic patronymics); a word that English knows is ruled out by the caller.
_SURNAME_SHAPE = re.compile(
    r"\p{Ll}(?:ski|ska|sky|skaya|skiy|cki|cka|dzki|dzka|ová|ovich|evich|ovna|evna|enko|chuk|czuk|vić|vič|ović|"
    r"ovič|escu|eanu|oğlu|oglu|opoulos|poulos|akis|idis|iadis|shvili|dze|yan|yants|sson|sdóttir|sdottir|"
    r"ssen|aitė|ienė|ytė|auskas|evičius|avičius|iewicz|owicz|ewicz|czyk|szyk|ańska|ański|ińska|iński)$"
)
_LOWER_TOKEN = re.compile(r"\p{Ll}[\p{Ll}\p{M}'’\-]+")
_LOWER_SLOT_BEFORE = re.compile(
    r"(?:\b(?:to|for|from|with|by|attn|cc|dear|hi|hello|hey|thanks|tell|ask|visit|visiting|named|called)|"
    r"[:,;=]|^)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_LOWER_SLOT_AFTER = re.compile(
    r"[ \t]*(?:[,;:)]|$|\n|[ \t](?:at|is|was|are|were|has|had|said|says|will|and|lives|called|wrote|<))",
    re.IGNORECASE,
)
_DETERMINER_AFTER = re.compile(
    r"\s+(?:the|a|an|this|these|that|those|your|my|our|its|each|every|all)\b", re.IGNORECASE
)
_CODE_CHARS = re.compile(r"[=<>{}();\[\]]|\b(?:def|return|elif|import|function|var|const)\b")


class NerRecognizer(LocalRecognizer):
    """Entities from the spaCy doc: PERSON (tuned as above) and LOCATION, ORGANIZATION, NRP, DATE_TIME."""

    ENTITIES: ClassVar[list[str]] = ["PERSON", "LOCATION", "ORGANIZATION", "NRP", "DATE_TIME"]

    def __init__(self, supported_language: str = "en", name_lists: bool = True) -> None:
        super().__init__(supported_entities=self.ENTITIES, supported_language=supported_language, context=[])
        self.use_name_lists = name_lists

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        doc = getattr(nlp_artifacts, "tokens", None)
        if doc is None:
            return []
        from curator.pii.names import DICTIONARY_RANK, common_words, english_ranks, name_lists

        self._given, self._family = name_lists() if self.use_name_lists else (frozenset(), frozenset())
        self._common = common_words()
        self._ranks = english_ranks()
        self._dictionary_rank = DICTIONARY_RANK
        results: list[RecognizerResult] = []
        places: list[tuple[int, int]] = []
        spans: list[tuple[int, int]] = []
        want_person = "PERSON" in entities
        for ent in doc.ents:
            label = ent.label_
            spans.append((ent.start_char, ent.end_char))
            if label in _PLACE_LABELS:
                places.append((ent.start_char, ent.end_char))
            if want_person and (label in ("PERSON", "PER") or label in _MISLABELS):
                start, end = _trim(text, ent.start_char, ent.end_char)
                words = _WORDS.findall(text[start:end])
                if (
                    end > start
                    and words
                    and _looks_like_name(text[start:end])
                    and not self._all_everyday(words)
                ):
                    score = self._ner_person_score(text, start, label, words)
                    if score >= 0.5:
                        results.append(_result(self, "PERSON", start, end, score))
                        continue
                    pair = self._pair(text, start, end, label)
                    if pair:
                        results.extend(pair)
                        continue
            mapped = NER_LABELS.get(label)
            if mapped and mapped != "PERSON" and mapped in entities:
                results.append(_result(self, mapped, ent.start_char, ent.end_char, 0.85))
        if not want_person:
            return results
        for pattern in (_TITLED, _NAME_FIELD):
            for match in pattern.finditer(text):
                start, end = _trim(text, *match.span(1))
                if end > start:
                    results.append(_result(self, "PERSON", start, end, 0.75))
        results.extend(self._after_strong_cue(text, results))
        if self._given:
            results.extend(self._from_name_lists(text, results, places, spans))
        results.extend(self._subjects(text, results))
        firms = [m.span() for m in _FIRM.finditer(text)]
        if "Sent from" in text:
            firms += [m.span() for m in _SENT_FROM.finditer(text)]
        # "Charon & Bronder": surnames joined by "&" name a firm ("John & Mary" are two people)
        firms += [
            m.span()
            for m in (_AMPERSAND.finditer(text) if "&" in text else ())
            if not (m.group(1).casefold() in self._given or m.group(2).casefold() in self._given)
        ]
        # "applying to Danielsen-Engen", "works at Thomas-Haynes": a double surname alone where an
        # organisation goes
        firms += [
            m.span(1)
            for m in _HYPHENED.finditer(text)
            if _ORG_SLOT.search(text, max(0, m.start() - 30), m.start())
        ]
        firms += [
            m.span()
            for m in _THREE.finditer(text)
            if (
                all(m.group(i).casefold() in self._family for i in (1, 2, 3))
                # "Biswas, Talwar and Memon": two on the lists, none an English word or a given name
                or (
                    sum(m.group(i).casefold() in self._family for i in (1, 2, 3)) >= 2
                    and not any(
                        self._everyday(m.group(i)) or m.group(i).casefold() in self._given for i in (1, 2, 3)
                    )
                )
            )
            and not _PEOPLE_BEFORE.search(text, max(0, m.start() - 120), m.start())
        ]
        if firms:
            results = [
                r
                for r in results
                if r.entity_type != "PERSON" or not any(s <= r.start and r.end <= e for s, e in firms)
            ]
        return results

    # -- word tests ---------------------------------------------------------------------------------
    def _everyday(self, word: str) -> bool:
        """A common English word, or a dictionary word that is on no name list."""
        key = word.rstrip(".").casefold()
        if key in self._common:
            return True
        return self._ranks.get(key, self._dictionary_rank) < self._dictionary_rank and not self._is_name(key)

    def _all_everyday(self, words: list[str]) -> bool:
        """Every word (single letters aside) is an everyday word: "Guilty Pleasures", "Vitamin C"."""
        return all(self._everyday(w) for w in words if len(w.rstrip(".")) > 1)

    def _is_name(self, key: str) -> bool:
        return key in self._given or key in self._family

    # -- rules --------------------------------------------------------------------------------------
    def _ner_person_score(self, text: str, start: int, label: str, words: list[str]) -> float:
        first, last = words[0].casefold(), words[-1].casefold()
        known = first in self._given or last in self._family or (len(words) > 1 and last in self._given)
        cue = _CUE_BEFORE.search(text, max(0, start - 40), start) is not None
        single_unknown = len(words) == 1 and not known and not cue
        if label in ("PERSON", "PER"):
            if single_unknown and (
                words[0].isupper() or _NOT_PERSON_CUE.search(text, max(0, start - 30), start)
            ):
                return 0.4  # "arrived at HART", "I work for Thinknum", "originally from Lendava"
            return 0.85
        if cue:
            return 0.7
        value = " ".join(words)
        if "," in text[start : start + len(value) + 2] or " and " in value or "&" in value:
            return 0.0  # "Jones, Mitchell and Williams": a firm (or a list), not one person
        if label not in ("ORG", "NORP") or len(words) < 2:
            # places, works of art, events, products are often named after people ("Mona Lisa",
            # "Paris Peace Accords"): only a first name *and* a surname make them a person
            return 0.65 if len(words) > 1 and first in self._given and last in self._family else 0.0
        if first in self._given and not any(self._everyday(w) for w in words[1:]):
            return 0.65
        return 0.0

    def _pair(self, text: str, start: int, end: int, label: str) -> list:
        """ "Usamov and Bowers" taken as one organisation: two people when both words could be
        names (neither an everyday word, one on the lists) and no company suffix follows."""
        match = _PAIR.fullmatch(text, start, end)
        if label == "PERSON" or not match or _FIRM_AFTER.match(text, end):
            return []
        one, two = match.group(1), match.group(2)
        if (
            self._everyday(one)
            or self._everyday(two)
            or not (self._is_name(one.casefold()) or self._is_name(two.casefold()))
        ):
            return []
        return [_result(self, "PERSON", *match.span(i), 0.6) for i in (1, 2)]

    def _after_strong_cue(self, text, results):
        """A capitalised run after "my name is", "called", "my kid", "Mrs." …, unless it is everyday words."""
        found = []
        for match in _CAPITALISED_RUN.finditer(text):
            start, end = match.span()
            # the cue may be the run's own first word: "Witnesses Reinout Hendricx", "Patient Per Svensson"
            for word in re.finditer(r"\S+", match.group()):
                start = match.start() + word.start()
                if (
                    _STRONG_CUE.search(text, max(0, start - 40), start)
                    or (
                        word.start() == 0  # a sign-off stands before the run's first word only
                        and "\n" in text[max(0, start - 4) : start]
                        and _SIGN_OFF.search(text, max(0, start - 40), start)
                    )
                ):
                    break
            else:
                continue
            if _overlaps(results, start, end):
                continue
            if not self._all_everyday(text[start:end].split()):
                found.append(_result(self, "PERSON", start, end, 0.7))
        return found

    def _from_name_lists(self, text, results, places, entities):
        """Capitalised runs (and lists) whose words are on the name lists, where nothing else was found."""
        from curator.pii.names import big_places

        given, family, common = self._given, self._family, self._common
        cities = big_places()
        found = []
        for match in _CAPITALISED_RUN.finditer(text):
            start, end = match.span()
            if _overlaps(results, start, end):
                continue
            words = match.group().split()
            while words and words[0].rstrip(".").casefold() in common:  # "The", "Maybe", "Dear"…
                start = text.index(words[0], start) + len(words[0])
                words = words[1:]
            if not words:
                continue
            start = text.index(words[0], start)
            first, last = words[0].casefold(), words[-1].casefold()
            in_place = any(s < end and start < e for s, e in places)
            if first in given and len(words) > 1 and (last in family or not self._everyday(last)):
                score = 0.7
            elif (
                len(words) == 1
                and first in given
                and not any(s < end and start < e for s, e in entities)
                and not (_DETERMINER_AFTER.match(text, end) and _HEAD_OF_SENTENCE.search(text, 0, start))
            ):
                score = 0.55  # a lone given name the model saw nothing in ("Edit the …" is a verb)
            elif len(words) > 1 and last in family and first not in common and not in_place:
                score = 0.6
            elif (
                len(words) in (2, 3)
                and _SURNAME_SHAPE.search(_POSSESSIVE_END.sub("", words[-1]))
                and last not in cities
                and not any(self._everyday(w) for w in words if len(w.rstrip(".")) > 1)
            ):
                score = 0.6  # "Wisława Szczepańska", "Bekbolat Musliyevich": a surname by its ending
            elif (
                len(words) == 1
                and first in family
                and not in_place
                and first not in cities
                and (_LONE_BEFORE.search(text, max(0, start - 30), start) or _LONE_AFTER.match(text, end))
            ):
                score = 0.55  # a lone surname where a person goes: "coffee with Gustafsson", "Rehn said"
            else:
                continue
            if _CUE_BEFORE.search(text, max(0, start - 40), start):
                score += 0.2
            found.append(_result(self, "PERSON", start, end, min(score, 0.9)))
        has_capitals = text.lower() != text  # C speed, not a Python loop over characters
        found.extend(self._lower_full_names(text, results + found))
        # lists of given names: "They had 6: Hleb, Sheila, Donna, Sherry and Jodi."
        for match in _LIST.finditer(text):
            items = list(re.finditer(r"\p{L}[\p{L}'’\-]+", match.group()))
            names = [m for m in items if m.group().casefold() not in ("and",)]
            hits = sum(m.group().casefold() in given for m in names)
            towns = sum(m.group().casefold() in cities for m in names)
            if len(names) >= 3 and hits * 2 >= len(names) and towns * 2 < len(names):
                for item in names:
                    start, end = match.start() + item.start(), match.start() + item.end()
                    if (
                        item.group().casefold() not in common
                        and (item.group()[0].isupper() or not has_capitals)
                        and not _overlaps(results + found, start, end)
                    ):
                        found.append(_result(self, "PERSON", start, end, 0.6))
        if not any(c.isupper() for c in text) and not _CODE_CHARS.search(text):
            # lower-cased prose: capitals tell nothing, so the lists must
            for match in _LOWER_WORD.finditer(text):
                word = match.group().casefold()
                if (
                    word not in given
                    or word in common
                    or _overlaps(results + found, match.start(), match.end())
                ):
                    continue
                end, score = match.end(), 0.55
                following = _LOWER_WORD.match(text, end + 1) if text[end : end + 1] == " " else None
                if following and following.group().casefold() in family:
                    end, score = following.end(), 0.7
                found.append(_result(self, "PERSON", match.start(), end, score))
        for match in _LOWER_CUE.finditer(text):
            word = match.group(1).casefold()
            if word in given or (word not in common and "name" in match.group().lower()):
                end = match.end(1)
                # the rest of the name: words on the lists, or words no English dictionary knows
                for group in (2, 3):
                    part = match.group(group)
                    if not part or end != match.start(group) - 1:
                        break
                    key = part.casefold()
                    if key in common or not (key in family or key in given or key not in self._ranks):
                        break
                    end = match.end(group)
                if not _overlaps(results + found, match.start(1), end):
                    found.append(_result(self, "PERSON", match.start(1), end, 0.7))
        return found

    def _lower_full_names(self, text, results):
        """A lower-case given name and surname where a person stands ("send the invoice to maría
        juana garrido at …", "update the CRM: kevin waller, …"): the first word on the given-name
        lists, the last on the surname lists, neither a common English word, and a person's slot
        before it or a comma, "at" or a verb after it."""
        found = []
        # the lower-case words on the given-name lists, found with set operations first: most
        # texts have none, and the scan below is skipped
        firsts = self._given.intersection(_LOWER_TOKEN.findall(text)).difference(self._common)
        if not firsts:
            return found
        for first in _LOWER_TOKEN.finditer(text):
            if first.group() not in firsts:
                continue
            if first.start() > 0 and (
                text[first.start() - 1].isalnum() or text[first.start() - 1] in "'’@._-"
            ):
                continue
            run = [first]
            while len(run) < 3 and text[run[-1].end() : run[-1].end() + 1] in (" ", "\t"):
                nxt = _LOWER_TOKEN.match(text, run[-1].end() + 1)  # a middle name, then the surname
                if nxt is None:
                    break
                run.append(nxt)
            while len(run) > 1 and not self._lower_surname(run[-1].group().casefold()):
                run.pop()
            keys = [m.group().casefold() for m in run]
            if (
                len(run) < 2
                or any(k in self._common for k in keys[:-1])
                or all(self._ranks.get(k, self._dictionary_rank) < 20_000 for k in keys)
                or text[run[-1].end() : run[-1].end() + 1].isalnum()
            ):
                continue
            start, end = run[0].start(), run[-1].end()
            cued = _LOWER_SLOT_BEFORE.search(text, max(0, start - 30), start)
            if not (cued or _LOWER_SLOT_AFTER.match(text, end)) or _overlaps(results + found, start, end):
                continue
            found.append(_result(self, "PERSON", start, end, 0.6))
        return found

    def _lower_surname(self, key: str) -> bool:
        from curator.pii.names import any_name

        if key in self._family or (key not in self._ranks and key not in self._common):
            return True
        return key in any_name()

    def _subjects(self, text, results):
        """An unknown capitalised word as the subject of a person verb: "Vsevolod said", "Asya spent"."""
        found = []
        for match in _SUBJECT.finditer(text):
            start, end = match.span(1)
            word = match.group(1).casefold()
            if word in self._common or _overlaps(results + found, start, end):
                continue
            if word in self._ranks and not self._is_name(word):
                continue  # an English word ("Zoolander" is unknown, "Sandra" a name, "Water" a word)
            found.append(_result(self, "PERSON", start, end, 0.55))
        for match in _OWNS.finditer(text):
            start, end = match.span(1)
            words = match.group(1).split()
            if _overlaps(results + found, start, end) or not all(self._is_name(w.casefold()) for w in words):
                continue
            found.append(_result(self, "PERSON", start, end, 0.6))
        from curator.pii.names import any_name

        any_names = any_name()
        for pattern in _PERSON_SLOTS:
            needs = _SLOT_NEEDS.get(pattern)
            if needs is not None and needs.search(text) is None:
                continue
            for match in pattern.finditer(text):
                groups = [g for g in range(1, (match.lastindex or 0) + 1) if match.start(g) >= 0]
                # a cued list whose items are mostly names is all names ("Kuba, Trojan, Vycpálek")
                whole_list = pattern in (_CUED_LIST, _CUED_LIST_COMMA) and 2 * sum(
                    any(w.casefold() in any_names or not self._everyday(w) for w in match.group(g).split())
                    for g in groups
                ) >= len(groups)
                for group in groups:
                    start, end = match.span(group)
                    if start < 0 or _overlaps(results + found, start, end):
                        continue
                    words = match.group(group).split()
                    if whole_list and not all(w.casefold() in self._common for w in words):
                        pass
                    elif pattern is _TOLD_TO:
                        if group == 1 and not all(w.casefold() in any_names for w in words):
                            continue  # "tell Google to …": only words on the name lists
                        if (
                            group == 2
                            and self._all_everyday(words)
                            and not all(w.casefold() in any_names for w in words)
                        ):
                            continue
                    elif pattern in _STRONG_SLOTS:
                        # the slot itself says "person" (a list of members, an e-mail's owner):
                        # any name-list word (English-word surnames too: "Smith", "Price"), or
                        # any word that is not everyday, will do
                        if not any(w.casefold() in any_names or not self._everyday(w) for w in words):
                            continue
                    elif self._all_everyday(words) or self._unknown_word(words[0]):
                        continue
                    found.append(_result(self, "PERSON", start, end, 0.6))
        for match in _SPEAKER.finditer(text):
            start, end = match.span(1)
            if not self._everyday(match.group(1)) and not _overlaps(results + found, start, end):
                found.append(_result(self, "PERSON", start, end, 0.6))
        return found

    def _unknown_word(self, word: str) -> bool:
        """An English dictionary word on no name list, or a country or region: not a person here."""
        from curator.pii.names import region_words

        key = word.casefold()
        return key in region_words() or (key in self._ranks and not self._is_name(key))


def _overlaps(results, start: int, end: int) -> bool:
    return any(r.entity_type == "PERSON" and r.start < end and start < r.end for r in results)
