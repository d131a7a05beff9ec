"""Street addresses: a recognizer Presidio does not have.

An address is found from a *core* that holds a number, then grown over the parts around it:

- cores: ``<number> <Name…> <street type>`` (``2450 Crown St``, ``52 Huntly Street``), a street
  type first (``Rue de Piétrain 371``, ``Rua Diadema 1903``, ``ul. Więckowskiego 28``), one word
  ending in a street type (``Ringvej 144``, ``Nybyvägen 65``, ``Kaarikatu 32``, ``Hauptstraße 5``),
  post-office boxes, US military addresses (``PSC 2581, Box 0041 APO AP 32376``), and, right after
  an address cue (``my address is``, ``I live at``, ``ship to``), ``<Name…> <number>``;
- then forward over unit, postcode, city, state and country parts (a city is kept only when a
  unit, postcode, state or country follows it), across commas and line breaks, and backward over
  a leading house number or unit.

A street name alone is not an address here: every core needs a house number or a box number,
which is what makes an address point at a household. Street-type words are the general lists of
each language (the USPS suffix list for English), not anything learnt from a test set.
"""

from __future__ import annotations

import re as sre  # the standard library's engine: scans a list of literal words faster than ``regex``

import regex as re

from curator.pii.words import has_context, words_before

_NOT_NAME = r"(?!(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Room|Box|Mr|Mrs|Ms|Miss|Dr|Prof)\b)"
_NAME = (
    rf"{_NOT_NAME}(?:\p{{Lu}}[\p{{L}}'’\-]*\.?|\p{{Ll}}{{1,3}}'\p{{Lu}}[\p{{L}}'’\-]*"
    r"|\d{1,3}(?:st|nd|rd|th))"
)
_CONNECTOR = (
    r"(?:de|du|des|la|le|les|del|della|delle|dello|degli|dei|di|da|dal|do|dos|das|van|von|der|den|ten|"
    r"of|the|y|e|i|al|el|z|u|na|st\.?)"
)
_NAME_SEQ = rf"{_NAME}(?:[ \t]+(?:{_CONNECTOR}[ \t]+)?{_NAME}){{0,4}}"  # a street name never spans lines
_HOUSE = r"\d{1,6}[A-Za-z]?(?:[\-/](?:\d{1,4}[A-Za-z]?|[A-Za-z]{1,3}(?![\p{L}\d])))?"
# "N° 673", "No. 341", "Nr. 5": a house number after its mark (Spanish, Indonesian, Romanian…)
_HOUSE_NO = rf"(?:(?:N[°º]\.?|No\.|Nr\.?|n[°º])[ \t]*)?{_HOUSE}"

# English street types: common ones (strong) and the rest of the USPS suffix list (weak).
_EN_STRONG = (
    "street|st|avenue|ave|av|road|rd|drive|dr|lane|ln|boulevard|blvd|way|place|pl|court|ct|terrace|"
    "ter|crescent|cres|close|square|sq|parkway|pkwy|highway|hwy|circle|cir|trail|trl|alley|plaza|mews|"
    "row|walk|grove|gardens|gdns|broadway|expressway|freeway|turnpike|str"
)
_EN_WEAK = (
    "bridge|union|pass|crossing|forge|forges|rapids|heights|junction|meadow|meadows|mill|mills|ridge|"
    "shore|shores|spring|springs|station|summit|valley|view|village|vista|green|hollow|harbor|haven|"
    "island|isle|knoll|lake|lakes|landing|lodge|manor|mount|mountain|orchard|oval|pines|point|port|"
    "prairie|ranch|river|run|skyway|stream|track|trace|tunnel|underpass|viaduct|ville|wall|wells|"
    "estates|extension|falls|ferry|field|fields|flat|flats|ford|fords|forest|fork|forks|fort|garden|"
    "gateway|glen|glens|burg|burgs|bypass|camp|canyon|cape|causeway|center|centre|cliff|cliffs|"
    "common|commons|corner|corners|course|courts|cove|coves|creek|crest|curve|dale|dam|divide|"
    "branch|brook|brooks|bluff|bluffs|bottom|beach|bend|arcade|hill|hills|park|path|pike|loop|"
    "motorway|route|circus|quay|wharf|rise|vale|approach|parade|esplanade|promenade|chase|wynd|"
    # the rest of the USPS list and the Australian/British street types (plurals included)
    "access|alleyway|amble|anchorage|artery|basin|brace|brae|brow|byway|centers|centreway|circles|circlet|"
    "circuit|colonnade|concourse|copse|courtyard|crossroad|crossway|cul-de-sac|cutting|dell|driveway|drives|"
    "estate|extensions|fairway|footway|foreshore|frontage|gates|glade|grange|greens|groves|gully|harbors|"
    "highroad|inlet|interchange|islands|junctions|knolls|laneway|lees|lookout|loaf|locks|mall|manors|"
    "meander|mews|mission|mountains|neck|nook|outlook|overpass|parklands|parks|parkways|passage|pathway|"
    "pine|plain|plains|plateau|points|ports|quadrangle|quadrant|quays|radial|ramble|ramp|rapid|reserve|"
    "rest|retreat|ridges|ridgeway|riverway|roads|roadway|rotary|shoal|shoals|siding|slope|spur|spurs|"
    "squares|strand|stravenue|streets|thoroughfare|throughway|tollway|tor|towers|trafficway|turn|unions|"
    "valleys|views|villages|villas|walks|walkway|ways|club|chowk|nagar|marg|gali|colony|"
    "annex|anex|bayou|rue|riviera|keys|locks|lights|mew|tarn|wade|corso|piazza|ronde|cruiseway|trunkway|"
    "roadside|triangle|subway|pocket|elbow"
)
# Street types that are also everyday words in titles ("Chapter 5 The End"): a core with one of
# them is weak, kept only when a unit, postcode or state follows ("Unit 7/52 Nathan End, … QLD 0210").
_EN_RISKY = "end|gate|cross|line|link|range|edge|top|steps|gap|reach|ride|front|ground|strip|entrance"
_DIRECTION = r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\b)?"

# Street types written before the name (Romance and Slavic languages, Portuguese, Hungarian…).
_PREFIX = (
    "rue|avenue|boulevard|bd|chemin|allée|impasse|place|quai|via|viale|piazza|piazzetta|piazzale|"
    "corso|strada|vicolo|largo|calle|avenida|avda|paseo|plaza|carrera|camino|rambla|ronda|carretera|"
    "rua|rúa|travessa|praça|alameda|estrada|ulica|ul|al|aleja|quadra|rodovia|sokak|sokağı|caddesi|"
    "odos|leoforos|ulitsa|prospekt|pereulok|naberezhnaya|square|venelle|cours|passage|sentier|chaussée|"
    "montée|voie|esplanade|hameau|plac|osiedle|avenija|ulice|diagonal|calzada|privada|cerrada|andador|"
    "circuito|prolongación|retorno|callejón|boulevard|travesía|ronda|glorieta|trecho|jardim|morro|"
    "passarela|vereda|viela|ladeira|lagoa|largo|beco|diag|prom|rotonda|contrada|borgo|vico|salita|traversa|"
    "lungomare|jalan|jl|jln|pasaje|pje|incrocio|sitio|soseaua|șoseaua|bulevardul|strada|stradela|intrarea|"
    "splaiul|aleea|cl|cra|kr|tv|transversal|autopista|vía|pod|nad|za"
)
_PREFIX_TITLE = "|".join(word.capitalize() for word in _PREFIX.split("|"))
# Prefixes that are not also English words may be followed by a lower-case name (Rue tachkent 31).
_PREFIX_FOREIGN = "|".join(
    word.capitalize()
    for word in _PREFIX.split("|")
    if word
    not in {
        "avenue",
        "boulevard",
        "place",
        "via",
        "plaza",
        "largo",
        "ronda",
        "camino",
        "al",
        "ul",
        "quadra",
        "square",
        "passage",
        "esplanade",
        "diagonal",
        "cours",
        "morro",
        "lagoa",
        "prom",
        "cl",
        "tv",
    }
)
# Street types that end one word (German, Dutch, Nordic, Finnish, Icelandic, Hungarian…).
_COMPOUND = (
    "straße|strasse|str\\.|gasse|weg|allee|platz|damm|ufer|chaussee|steig|pfad|straat|laan|plein|"
    "gracht|kade|singel|dijk|vej|gade|vænget|væng|stræde|plads|vägen|gatan|gränd|stigen|backen|torget|"
    "veien|vegen|gata|gaten|gate|stien|katu|tie|kuja|polku|väylä|raitti|kaari|rinne|utca|körút|"
    "cesta|ulice|náměstí|trida|třída|tér|sor|köz|braut|vegur|stígur|sund|terrasse|bulevardi|puistotie|stræti|tänav|iela|"
    "steeg|dreef|markt|baan|kaai|boulevard|pad|hof|lei|vest|straatweg|vænge|allé|gränden|gårdsvägen"
)
_COMPOUND_WORD = (
    r"(?:út|útja|utca|u\.|tér|körút|krt\.|rkp\.|ulica|ulice|cesta|sokak|caddesi|köz|sor|sétány|fasor|"
    r"sugárút|rakpart|lépcső|dűlő|lakótelep)"
)
# The same street types written as a word of their own after a capitalised name (Villacher Strasse 89).
_SEPARATE_WORD = (
    "straße|strasse|gasse|weg|allee|platz|straat|laan|plein|gracht|kade|vej|gade|vägen|gatan|veien|vegen|"
    "gata|katu|tie|terrasse|utca|út|bulevardi|puistotie|kuja|polku|tori|väylä|rinne|kaari|tee|maantee|põik|"
    "puiestee|tänav|iela|gatvė|prospektas"
)

_PO_BOX = re.compile(
    r"\b(?i:G?P\.?\s?O\.?\s?Box|Post\s+Office\s+Box|Postfach|Apartado(?:\s+de\s+correos)?|"
    r"Bo[iî]te\s+postale|Caixa\s+Postal|Casilla(?:\s+de\s+correo)?|Private\s+Bag|Locked\s+Bag|Postbus|"
    r"Casella\s+postale|Skrytka\s+pocztowa|Postboks|Postilokero|Case\s+postale|Apdo\.?)\s+\d{1,6}\b"
)
# Each core with what every match of it contains (None: nothing cheaper to look for): a text
# without that part cannot hold the core, and the full pattern is not run on it. Each "needs" is a
# contiguous piece of its pattern (a house number starts with a digit and ends with a digit or a
# letter after one), searched backwards ("(?r)") where that fails faster, or a list of literal
# words for the standard library's engine; so skipping never changes what is found.
_CORES: list[tuple[re.Pattern, float, re.Pattern | sre.Pattern | None]] = [
    # 2450 Crown St · 52 Huntly Street · 1600 Pennsylvania Ave NW
    (re.compile(rf"\b{_HOUSE},?\s+{_NAME_SEQ}\s+(?i:{_EN_STRONG})\b\.?{_DIRECTION}"), 0.7, None),
    (re.compile(rf"\b{_HOUSE},?\s+{_NAME_SEQ}\s+(?i:{_EN_WEAK})\b{_DIRECTION}"), 0.55, None),
    # Hoge Wei 32 St. (a house number, then the street type)
    (
        re.compile(rf"\b{_NAME_SEQ}\s+{_HOUSE}\s+(?:St|Street|Ave|Avenue|Rd|Road)\b\.?"),
        0.6,
        re.compile(r"\d[A-Za-z]?\s+(?:St|Street|Ave|Avenue|Rd|Road)\b"),
    ),
    # Rue de Piétrain 371 · Avenue d'Ouchy 109 · ul. Więckowskiego Stefana 28
    (
        re.compile(
            rf"(?:\b(?:{_PREFIX_TITLE})\b\.?|\b(?:ul|al|pl|os)\.|\bC/|\b(?:plac|ulica|aleja|osiedle|trg|ulice)\b)"
            rf"\s+(?:(?:{_CONNECTOR}|d')\s*)?{_NAME_SEQ}\s+{_HOUSE_NO}\b"
        ),
        0.65,
        sre.compile(rf"{_PREFIX_TITLE}|ul\.|al\.|pl\.|os\.|C/|plac|ulica|aleja|osiedle|trg|ulice"),
    ),
    (
        # a comma may stand before the number: "Calle de Playa Hípica, 58", "Diag. Mitre N° 673"
        re.compile(
            rf"\b(?:{_PREFIX_FOREIGN})\.?\s+(?:\p{{L}}[\p{{L}}'’\-]*\.?\s+){{0,4}}?\p{{L}}[\p{{L}}'’\-]*\.?,?\s+"
            rf"{_HOUSE_NO}\b"
        ),
        0.6,
        sre.compile(_PREFIX_FOREIGN),
    ),
    # 33 avenue de Provence · 12, rue de la Paix
    (
        re.compile(rf"\b{_HOUSE},?\s+(?i:{_PREFIX})\.?\s+(?:(?:{_CONNECTOR}|d')\s*)?{_NAME_SEQ}"),
        0.65,
        None,
    ),
    # 770 rue des lieutemants Thomazo · 12 calle de la paz: a foreign street type after the house
    # number may be followed by lower-case words, up to the end of the line, a comma or a number
    (
        re.compile(
            rf"\b{_HOUSE},?\s+(?i:{_PREFIX_FOREIGN})\.?[ \t]+[\p{{L}}'’\-]+(?:[ \t]+[\p{{L}}'’\-.]+){{0,4}}?"
            r"(?=[ \t]*(?:[,\n]|\d|$))"
        ),
        0.6,
        None,
    ),
    # Czech and Slovak streets named by an adjective: "Dašická 688", "Opavská 8", "Jablonecká 63"
    (
        re.compile(
            r"\b(\p{Lu}\p{Ll}+(?:sk|ck|ov|ín|in|n)[áé])[ \t]+\d{1,4}[a-z]?(?:/\d{1,4}[a-z]?)?(?![\p{L}\d])"
        ),
        0.6,
        re.compile(r"[áé][ \t]+\d"),
    ),
    # Ringvej 144 · Nybyvägen 65 · Kaarikatu 32 · Karl-Marx-Straße 12 · hegyalja út 98
    (
        re.compile(rf"\b([\p{{L}}'\-]{{2,}}(?i:{_COMPOUND}))\s+{_HOUSE_NO}\b"),
        0.65,
        re.compile(rf"(?r)(?i:{_COMPOUND})\s+(?:N|\d)"),
    ),
    # a unit, then the street without a house number: "Flat 7, Gade Apartments, MG Road"
    (
        re.compile(
            rf"\b(?:Flat|Apt\.?|Apartment|Unit|Suite|Room|Shop|Office)[ \t]+\d{{1,5}}[A-Za-z]?,?[ \t]+"
            rf"(?:{_NAME_SEQ}[ \t]*,[ \t]*)?{_NAME_SEQ}[ \t]+(?i:{_EN_STRONG})\b\.?"
        ),
        0.6,
        sre.compile(r"(?:Flat|Apt\.?|Apartment|Unit|Suite|Room|Shop|Office)[ \t]+\d"),
    ),
    # Japanese block addresses: "6-5-251 Nishi-Shinjuku, Minato-ku" (chōme-banchi-gō, then the ward)
    (
        re.compile(
            r"\b\d{1,2}-\d{1,3}(?:-\d{1,4})?[ \t]+\p{Lu}[\p{L}\-]+,[ \t]*\p{Lu}[\p{L}]*"
            r"-(?:ku|shi|cho|chō|machi|gun|mura)\b"
        ),
        0.7,
        re.compile(r"-(?:ku|shi|cho|chō|machi|gun|mura)\b"),
    ),
    (
        re.compile(rf"\b\p{{L}}[\p{{L}}'\-]+\s+{_COMPOUND_WORD}\s+{_HOUSE}\b", re.IGNORECASE),
        0.65,
        re.compile(rf"(?r)\s+{_COMPOUND_WORD}\s+\d", re.IGNORECASE),
    ),
    (
        re.compile(rf"\b\p{{Lu}}[\p{{L}}'\-]{{2,}}\s(?i:{_SEPARATE_WORD})\s+{_HOUSE}\b"),
        0.65,
        re.compile(rf"(?r)\s(?i:{_SEPARATE_WORD})\s+\d"),
    ),
    # P.O. Box 287 · Postfach 1234 · Apartado 55
    (_PO_BOX, 0.7, re.compile(_PO_BOX.pattern, _PO_BOX.flags | re.REVERSE)),
    # PSC 2581, Box 0041 APO AP 32376 · Unit 5146 Box 1772 DPO AE 91410
    (
        re.compile(
            r"\b(?i:PSC|Unit|CMR)\s+\d{3,5},?\s+(?i:Box)\s+\d{3,5}[\s,]+(?i:APO|FPO|DPO)\s+(?i:AA|AE|AP)\s+\d{5}"
        ),
        0.85,
        None,
    ),
    # USS Mahler FPO AA 70489
    (
        re.compile(
            r"\b(?i:USS|USNS|USNV|USCGC)\s+\p{L}[\p{L}'\-]+(?:\s+\p{Lu}[\p{L}'\-]+)?[\s,]+(?i:FPO)\s+"
            r"(?i:AA|AE|AP)\s+\d{5}"
        ),
        0.85,
        None,
    ),
]

# Right after an address cue: "<Name…> <number>" or "<number> <Name…>" (no street type needed).
_CUED = re.compile(
    rf"\G\s*(?:{_HOUSE}[ \t]+)?{_NAME_SEQ},?[ \t]+{_HOUSE}\b"
    rf"|\G\s*{_HOUSE},?[ \t]+{_NAME_SEQ}(?=\s*(?:[,\n.]|$))"
)
_CUE = re.compile(
    r"(?i:\b(?:address(?:\s+is)?|addressed\s+to|live[sd]?\s+(?:at|on|in)|living\s+(?:at|on)|"
    r"located\s+(?:at|on|in)|resides?\s+(?:at|on)|moved\s+to|move\s+to|"
    r"(?:ship|send|deliver|mail|post|forward)(?:ed|ing)?\s+(?:it\s+|them\s+|this\s+|the\s+\w+\s+)?to|"
    r"meet\s+(?:me|us)\s+at|come\s+to|visit\s+(?:me|us)\s+at|find\s+(?:me|us)\s+at|"
    r"billing\s+address|shipping\s+address|home\s+address|mailing\s+address|"
    r"(?:lease|property|house|flat|apartment|office|premises)\s+(?:at|on|is\s+at)|moved\s+(?:in\s+)?to)\b\s*:?)"
)

_UNIT = (
    r"(?:\d{1,2}[º°ª][ \t]*(?:(?:Izq|Izda|Izqda|Dcha|Dcho|Der|Centro|Ctro|Int|Ext|[A-H])(?![\p{L}])\.?)?|"
    r"(?i:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Floor|Fl\.?|Room|Rm\.?|Bldg\.?|Building|#|Interior|Int\.|"
    r"Piso|Depto\.?|Dpto\.?|Departamento|Puerta|Pta\.?|Esc\.?|Escalera|Bloque|Whg\.?|Wohnung|Etage|Lgh|"
    r"H\.?\s?No\.?|Casa|Lote|Bl\.?|Et\.?|Ap\.?|Apto\.?|Sala|Andar|Appt\.?|Level|Lvl\.?|Oficina|Of\.|Block|"
    r"Lot|Bât\.?|Bâtiment|Shop|Kat|Daire|Local|Bodega)"
    r"\s*\d{1,5}[A-Za-z]?\b)"
)
_POSTCODE = (
    r"(?:\d{4,6}(?:-\d{3,4})?(?!\d)|\d{3}\s\d{2}(?!\d)|\d{2}-\d{3}(?!\d)|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b|"
    r"[A-Z]\d[A-Z]\s?\d[A-Z]\d\b|\d{4}\s?[A-Z]{2}\b|\d{3}-\d{4}(?!\d)|(?:DK|CH|D|A|F|B|NL|L|FI|SE|NO)-\d{4,5}(?!\d)|"
    r"[AC-FHKNPRTV-Y]\d{2}\s?[AC-FHKNPRTV-Y\d]{4}\b)"
)
_COUNTRIES = (
    "afghanistan|albania|algeria|andorra|angola|argentina|armenia|australia|austria|azerbaijan|bahamas|"
    "bahrain|bangladesh|barbados|belarus|belgium|belize|benin|bhutan|bolivia|bosnia and herzegovina|"
    "botswana|brazil|brunei|bulgaria|burkina faso|burundi|cambodia|cameroon|canada|chad|chile|china|"
    "colombia|congo|costa rica|croatia|cuba|cyprus|czech republic|czechia|denmark|djibouti|dominica|"
    "dominican republic|ecuador|egypt|el salvador|eritrea|estonia|eswatini|ethiopia|fiji|finland|france|"
    "gabon|gambia|georgia|germany|ghana|greece|greenland|grenada|guatemala|guinea|guyana|haiti|honduras|"
    "hong kong|hungary|iceland|india|indonesia|iran|iraq|ireland|israel|italy|jamaica|japan|jordan|"
    "kazakhstan|kenya|kosovo|kuwait|kyrgyzstan|laos|latvia|lebanon|lesotho|liberia|libya|liechtenstein|"
    "lithuania|luxembourg|madagascar|malawi|malaysia|maldives|mali|malta|mauritania|mauritius|mexico|"
    "moldova|monaco|mongolia|montenegro|morocco|mozambique|myanmar|namibia|nepal|netherlands|"
    "new zealand|nicaragua|niger|nigeria|north macedonia|norway|oman|pakistan|panama|paraguay|peru|"
    "philippines|poland|portugal|qatar|romania|russia|rwanda|samoa|san marino|saudi arabia|senegal|"
    "serbia|seychelles|sierra leone|singapore|slovakia|slovenia|somalia|south africa|south korea|"
    "spain|sri lanka|sudan|suriname|sweden|switzerland|syria|taiwan|tajikistan|tanzania|thailand|togo|"
    "tonga|trinidad and tobago|tunisia|turkey|türkiye|turkmenistan|uganda|ukraine|united arab emirates|"
    "united kingdom|united states(?: of america)?|uruguay|uzbekistan|vanuatu|venezuela|vietnam|yemen|"
    "zambia|zimbabwe|usa|uk|u\\.s\\.a\\.|deutschland|españa|italia|suisse|schweiz|svizzera|sverige|norge|"
    "danmark|suomi|polska|österreich|nederland|belgique|belgië|ísland|magyarország|česko|éire|brasil|"
    "méxico|россия|ελλάδα|κύπρος|faroe islands|puerto rico|guam"
)
_LINE_PREFIX = r"[ \t>*•|?\-]"  # quoted mail (">"), bullets, and "???" where a bullet was lost in encoding
# an optional full stop first: Hungarian and Czech house numbers end in one ("Erzsébet tér 19.")
_SEP = rf"\.?[ \t]*(?:(?:,|;|\\,|\n){_LINE_PREFIX}*){{0,3}}"
_TAIL_STRONG = re.compile(
    rf"\G{_SEP}(?:{_UNIT}|{_POSTCODE}|(?i:{_COUNTRIES})\b(?:\s*\([\p{{L}} ]+\))?|[A-Z]{{2}}\b(?!\.\w)"
    r"|[A-Z]{3,5}\b(?=[ \t]+\d{4,6}))"
)
_CITY_WORD = r"\p{Lu}[\p{L}'’\-.]*(?![\p{L}\d])"
_CITY_LINK = r"(?:[ \t]+(?:nad|pod|sur|am|an|im|bei|upon|on|en|de|del|di|la|le|u)\b)?"
_TAIL_CITY = re.compile(
    # a state code is no city word ("Orange NSW 2800": the state counts as a strong part)
    rf"\G{_SEP}(?:{_CITY_WORD}(?:{_CITY_LINK}[ \t]+(?![A-Z]{{2,3}}\b){_CITY_WORD}){{0,3}})"
    rf"(?:[ \t]*\([\p{{L}}\- ]+\))?"
)
_TAIL_AND = re.compile(
    rf"\G\s+(?:and|&)\s+(?:{_HOUSE}\s+)?(?:\p{{L}}+\s+){{0,3}}(?i:{_EN_STRONG}|{_EN_WEAK})\b"
)
_UNIT_RE = re.compile(_UNIT)
_COUNTRY_RE = re.compile(rf"(?i:{_COUNTRIES})\b")
_YEAR = re.compile(r"(?:19|20)\d{2}")
_HEAD = re.compile(rf"(?:{_UNIT}|{_HOUSE})[ \t,>]*(?:\n{_LINE_PREFIX}*)?$")
# "<Name…> <number>" with no street type: an address only when units, postcodes or countries follow.
# The house number first: "1335 Orchidevej", "788 Mussenpad", "250 B-Vej" (Danish and Belgian
# layouts). A plain scan for "<number> <Word>"; the word must end in a street type and not be an
# everyday English word ("3 Notepads").
_NUMBER_FIRST = re.compile(rf"\b{_HOUSE},?[ \t]+(\p{{Lu}}[\p{{L}}'\-]+)(?![\p{{L}}\d])")
_NUMBER_FIRST_NEEDS = sre.compile(r"\d,?[ \t]+[^\W\d_]")
_COMPOUND_END = re.compile(rf"(?i:{_COMPOUND})$")
_WEAK_CORE = re.compile(rf"\b(?:{_HOUSE}[ \t]+)?{_NAME_SEQ}[ \t]+{_HOUSE}\b(?![.,]\d)")
_WEAK_CORES = (
    _WEAK_CORE,
    re.compile(rf"\b{_HOUSE},?[ \t]+{_NAME_SEQ}[ \t]+(?i:{_EN_RISKY})\b{_DIRECTION}"),
    # "276 Tweebunder, 2705 Borgloon": a house number and a name, then a postcode and a town
    re.compile(rf"\b{_HOUSE}[ \t]+{_NAME_SEQ}(?=[ \t]*,[ \t]*{_POSTCODE}[ \t]+\p{{Lu}})"),
)

_CONTEXT = (
    "address",
    "addresses",
    "live",
    "lives",
    "lived",
    "located",
    "reside",
    "residence",
    "moved",
    "deliver",
    "ship",
    "shipping",
    "billing",
    "mailing",
    "headquarters",
    "office",
    "offices",
)


def _capitalised(text: str) -> str:
    """Lower-cased text with each word's first letter capitalised, offsets unchanged: the street
    grammar reads capitals ("74678 midtvollen 130 st." → "74678 Midtvollen 130 St.")."""
    return _WORD_START.sub(_upper_one, text)


_WORD_START = re.compile(r"(?<![\p{L}\p{N}])\p{Ll}")


def _upper_one(match) -> str:
    upper = match.group().upper()
    return upper if len(upper) == 1 else match.group()  # "ß" → "SS" would move the offsets


# Every core, cued or weak core and block street holds a house or box number: a digit of ``regex``.
_DIGIT = re.compile(r"\d")
_ASCII_UPPER = sre.compile(r"[A-Z]")


def _has_upper(text: str) -> bool:
    if text.isascii():  # the common case, without a Python-level loop over every character
        return _ASCII_UPPER.search(text) is not None
    return any(c.isupper() for c in text)


def find_addresses(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of every street address in ``text``."""
    if _DIGIT.search(text) is None:
        return []
    if not _has_upper(text):
        text = _capitalised(text)  # same length: the offsets hold for the original
    spans: list[list] = []  # [start, end, score, weak]
    for pattern, score, needs in _CORES:
        if needs is not None and needs.search(text) is None:
            continue
        for match in pattern.finditer(text):
            if match.lastindex and everyday_word(match.group(1)):
                continue  # "3 Notepads", "12 Pinehof"-like words that English already has
            spans.append([match.start(), match.end(), score, False])
    if _NUMBER_FIRST_NEEDS.search(text) is not None:
        for match in _NUMBER_FIRST.finditer(text):
            word = match.group(1)
            if _COMPOUND_END.search(word) and not everyday_word(word):
                spans.append([match.start(), match.end(), 0.6, False])
    for position in _iter_cues(text):
        match = _CUED.match(text, position)
        if match:
            start = match.start() + len(match.group()) - len(match.group().lstrip())
            spans.append([start, match.end(), 0.6, False])
    for weak_core in _WEAK_CORES:
        for match in weak_core.finditer(text):
            spans.append([match.start(), match.end(), 0.3, True])
    for match in _BLOCK_STREET.finditer(text):
        # a street line of a letter or label block ("454 Engen", "Pekná vyhliadka 798") with a
        # town line under it and a line above it
        start, end = match.span(1)
        if start > 0 and _TOWN_LINE.match(text, end) and _named(text, start, end):
            spans.append([start, _next_line_end(text, end), 0.5, False])
    found = []
    for start, end, score, weak in _merge(spans):
        core_end = end
        start, end, units, strong, town = _grow(text, start, end)
        if weak:
            score = 0.3 + 0.25 * min(units, 1) + 0.1 * min(strong, 3)
            if town and _named(text, start, core_end):  # "Opavská 8, 679 18 Rýmařov": number, postcode, town
                score += 0.15
            elif end == core_end and _street_line(text, start, end):
                end, score = _next_line_end(text, end), score + 0.2  # "Avenija Brodska 817\nSinj"
        else:
            score = min(1.0, score + 0.05 * (units + strong))
        if has_context(words_before(text, start, 5), _CONTEXT):
            score = min(1.0, score + 0.15)
        if score >= 0.3:
            found.append((start, end, round(score, 4)))
    return found


_LINE_PREFIX_RE = re.compile(rf"{_LINE_PREFIX}*")
_TOWN_LINE = re.compile(
    rf"\n{_LINE_PREFIX}*(?:{_POSTCODE}[ \t]+)?\p{{Lu}}[\p{{L}}'’\-.]*(?:[ \t]+[\p{{L}}'’\-.]+){{0,3}}"
    r"[ \t]*(?=\n|$)"
)


_BLOCK_WORD = r"[\p{L}'’\-.]+"
_BLOCK_STREET = re.compile(
    rf"(?m)^{_LINE_PREFIX}*((?:{_HOUSE}[ \t]+\p{{Lu}}{_BLOCK_WORD}(?:[ \t]+{_BLOCK_WORD}){{0,3}}"
    rf"|\p{{Lu}}{_BLOCK_WORD}(?:[ \t]+{_BLOCK_WORD}){{0,3}},?[ \t]+{_HOUSE}))[ \t]*$"
)


def everyday_word(word: str) -> bool:
    from curator.pii.names import everyday

    return everyday(word)


def _named(text: str, start: int, end: int) -> bool:
    """Some word of the core is not an everyday English word ("Opavská 8", not "Card 4111")."""
    from curator.pii.names import everyday

    words = re.findall(r"[\p{L}'’\-]{2,}", text[start:end])
    return bool(words) and not all(everyday(w) for w in words)


def _street_line(text: str, start: int, end: int) -> bool:
    """A "<Name…> <number>" core that is a whole line of a block, with a town line under it, and
    whose words are not everyday English ("Chapter 12" is no street)."""
    line_start = text.rfind("\n", 0, start) + 1
    if _LINE_PREFIX_RE.fullmatch(text, line_start, start) is None or "\n" not in text[:start]:
        return False
    return _TOWN_LINE.match(text, end) is not None and _named(text, start, end)


def _next_line_end(text: str, end: int) -> int:
    match = _TOWN_LINE.match(text, end)
    return match.end() if match else end


def _grow(text: str, start: int, end: int) -> tuple[int, int, int, int, bool]:
    """Grow a core over the address parts around it; returns (start, end, units, other strong parts,
    whether a town after a postcode was taken)."""
    town = False
    units = numbers = 0
    kinds: set[str] = set()  # postcode, country, state, street: a run of numbers is one kind, not four
    committed = position = end
    after_postcode = False
    for _ in range(10):
        match = _TAIL_AND.match(text, position)
        if match is not None:
            kinds.add("street")
        else:
            match = _TAIL_STRONG.match(text, position)
            if match is not None:
                part = match.group().strip(" \t\n,;>*•|?-\\")
                if _UNIT_RE.fullmatch(part):
                    units += 1
                elif part[:1].isdigit():
                    if not _YEAR.fullmatch(part):
                        kinds.add("postcode")
                elif len(part) <= 3 and part.isupper() and part.isalpha():
                    kinds.add("state")  # "CA", "QLD", "NSW"
                else:
                    kinds.add("country" if _COUNTRY_RE.match(part) else "postcode")
        if match is not None:
            part = match.group().strip(" \t\n,;>*•|?-\\")
            after_postcode = part[:1].isdigit() and not _YEAR.fullmatch(part)
            numbers += part[:1].isdigit()
            position = committed = match.end()
            continue
        match = _TAIL_CITY.match(text, position)
        if match and match.end() - position <= 60:
            position = match.end()
            # "72-146 Legnica": the town after its one postcode, on the same line
            one_line = "\n" not in text[committed : match.start()]
            if after_postcode and numbers == 1 and one_line and not match.group().strip(" \t,").isupper():
                committed, town = position, True
            after_postcode = False
            continue
        break
    # backward: a leading house number, postcode or unit (at most two parts)
    for _ in range(2):
        match = _HEAD.search(text, max(0, start - 40), start)
        if not match or not match.group().strip():
            break
        if match.start() > 0 and text[match.start() - 1].isalnum():
            break
        if _UNIT_RE.match(match.group().strip()):
            units += 1
        start = match.start()
    return start, committed, units, len(kinds), town


def _iter_cues(text: str):
    """Positions right after an address cue ("my address is", "I live at", "ship to", …)."""
    for match in _CUE.finditer(text):
        yield match.end()


def _merge(spans: list[list]) -> list[list]:
    spans.sort()
    merged: list[list] = []
    for start, end, score, weak in spans:
        if merged and start <= merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            if weak == last[3]:
                last[2] = max(last[2], score)
            elif last[3]:  # a strong core wins over a weak one
                last[2], last[3] = score, False
        else:
            merged.append([start, end, score, weak])
    return merged


# What may stand between an address and the next place part of it on the same line: commas and
# capitalised words, numbers or postcodes with their particles ("…, Vila Cloris, 84156518 da Costa").
_TAIL_GAP = re.compile(
    r"(?:[ \t]*(?:,|-|/)[ \t]*(?:[\p{Lu}\d][\p{L}\d'’.\-]*(?:[ \t]+(?:[\p{Lu}\d][\p{L}\d'’.\-]*|"
    r"de|da|do|dos|das|del|la|le|am|an|der|sur|di|i|en|im))*)?)+[ \t]*"
)


def in_address_tail(text: str, start: int, ends: list[int]) -> bool:
    """The text at ``start`` continues an address that ends at one of ``ends``, on the same line,
    across commas and capitalised parts only: a town, region or district ("…, Nora Ville, Co.
    Mayo", "…, Santa Rosa de Cabal"), not a person named after it ("…, on Friday with Ana")."""
    return any(end <= start and start - end <= 120 and _TAIL_GAP.fullmatch(text, end, start) for end in ends)
