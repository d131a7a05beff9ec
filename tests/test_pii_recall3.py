"""Fourth round of issue 14 (PII): the leak and false-alarm classes found on the round-4 dev set
(``tests/data/pii/generated4_dev.jsonl``: non-US address layouts, PO boxes, units, lower-case names,
role labels, sign-offs, name-like brands and works).

The values here are written for the tests, not copied from any labelled set. Real Presidio +
spaCy, no network.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from curator.pii.address import find_addresses, in_address_tail
from curator.pii.engine import looks_english
from tests.test_pii import found
from tests.test_pii_recall import redacted

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import pii_eval  # noqa: E402


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # lower-case full names where a person stands (a cue before, a comma or "at" after)
        ("please send the invoice to kevin walsh at 4 Elm Street, Leeds", ["kevin walsh"]),
        ("Update the CRM: maria kowalczyk, +48 601 234 567, Warsaw", ["maria kowalczyk"]),
        ("visiting hours for johann hübner are over", ["johann hübner"]),
        # role labels of tickets, minutes and forms, "Last, First" included
        ("Assignee: Okafor, Chidi | Reporter: Lindgren, Maja", ["Okafor", "Chidi", "Lindgren", "Maja"]),
        (
            "Minutes — present: Rasmussen, Okonkwo, Haugland. Apologies: Brekke.",
            ["Rasmussen", "Okonkwo", "Haugland", "Brekke"],
        ),
        # a list after a plural people noun and a comma, not a firm "Molina, Prieto and Soto"
        (
            "Our speakers, Molina, Prieto, Cabrera, and Soto, will present.",
            ["Molina", "Prieto", "Cabrera", "Soto"],
        ),
        # sign-offs and introductions
        ("Cheers,\nTorvaldine\n\nSent from my phone", ["Torvaldine"]),
        ("Hello, this is Mirela from Acme Ltd. Please call me back.", ["Mirela"]),
        ("xoxo Editha", ["Editha"]),
        ("Dinner at Margarethe's place on Friday.", ["Margarethe"]),
        ("Valentin bought a jacket in Leeds.", ["Valentin"]),
        # a musician's album and a person's CV are still a person's
        ("He loved the new Anna Berg album.", ["Anna Berg"]),
        ("Please review the Anna Berg CV before Monday.", ["Anna Berg"]),
        # a surname known by its ending, though on no list
        ("Please change the account holder to Bekbolat Musliyevich.", ["Bekbolat", "Musliyevich"]),
        ("Bogumiła Przybyszewska's car was towed.", ["Przybyszewska"]),
        # a question about someone's reply; a name with two particles after it
        ("Did Janaki reply to your message?", ["Janaki"]),
        ("We interviewed Anna van de Sande for the role.", ["van de Sande"]),
        # an address full of Spanish function words does not make the text "not English"
        ("Order #88 ships to Calle de la Paz, 12, 28012 Madrid (attn: Joan Ferrer).", ["Joan Ferrer"]),
    ],
)
def test_round4_names_are_redacted(pii_engine, text, names):
    out = redacted(pii_engine, text)
    assert [n for n in names if n in out] == [], out


@pytest.mark.parametrize(
    ("text", "not_people"),
    [
        # a name used as the modifier of a product or a work: a brand, a band
        ("She bought a Tommy Hilfiger jacket in Leeds.", ["Tommy Hilfiger"]),
        ("He gave her a Calvin Klein perfume.", ["Calvin Klein"]),
        # places, institutions and bands by their last word
        ("We walked around Marymoor Park on Sunday.", ["Marymoor Park"]),
        ("The Foo Fighters played for three hours.", ["Foo Fighters"]),
        # the object of "wrote" is a work
        ("Giovanni Castaneda wrote Moby Dick in 1990.", ["Moby Dick"]),
        # firms: surnames joined by "&", a double surname where an organisation goes, firm forms
        ("Hello, this is Abby from Charon & Bronder.", ["Charon", "Bronder"]),
        ("Thank you for applying to Danielsen-Engen.", ["Danielsen-Engen", "Danielsen"]),
        ("Cheers,\nAimee\n\nSent from Moore-Carlson", ["Moore", "Moore-Carlson"]),
        # the town and region parts right after an address
        ("Send the cheque to GPO Box 5276, Sydney NSW 2001.", ["Sydney"]),
        ("She lives at 82 Harbour Street, Carl Ville, Co. Kerry with her cat.", ["Carl Ville", "Kerry"]),
        # a lone title
        ("Ask Ms. Kirsty Newton about the lease.", ["Ms"]),
        # a verb at the head of an instruction
        ("Summarise what Pista Teleki said in the meeting.", ["Summarise"]),
        ("Did Google reply to the complaint?", ["Google"]),
    ],
)
def test_round4_brands_works_firms_and_places_are_not_people(pii_engine, text, not_people):
    people = [value for kind, value in found(pii_engine, text) if kind == "PERSON"]
    assert [v for v in people if v in not_people] == [], people


@pytest.mark.parametrize(
    "text",
    [
        "Best,\nAnna Berg\nAcme Ltd | 70 22 98 37",
        "Update the CRM: anna berg, 0139984978, 12 Main Street",
        "Maria Lopez, 61/422 6629",
    ],
)
def test_a_phone_shaped_number_next_to_a_name_is_a_phone(pii_engine, text):
    assert "PHONE_NUMBER" in [kind for kind, _ in found(pii_engine, text)]


@pytest.mark.parametrize(
    "text",
    [
        "Order 0139984978 was shipped to Anna Berg.",
        "Anna Berg ordered 2 items; invoice 0139984978.",
        "Anna Berg lives at Rua Cunha, 248, apto 8, Canaa, Cavalcanti - RR, 80860-454.",
        "Anna Berg, 84156518",
    ],
)
def test_numbers_next_to_a_name_that_are_no_phones(pii_engine, text):
    assert "PHONE_NUMBER" not in [kind for kind, _ in found(pii_engine, text)]


def test_lower_case_everyday_words_are_not_full_names(pii_engine):
    # common words, and a pair of dictionary words, are no lower-case name
    for text in ("I love earl grey tea, with milk", "add the rose water to the jam, then stir"):
        assert [v for kind, v in found(pii_engine, text) if kind == "PERSON"] == [], text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the house number first, a compound street word (Danish, Dutch, Flemish)
        ("Ship to 214 Solsikkevej, DK-8000 Aarhus", "214 Solsikkevej, DK-8000"),
        ("Ship to 52 Kievitpad, 3500 Utrecht", "52 Kievitpad"),
        ("Lindenboulevard 12-A, 3968 LH Kedichem", "Lindenboulevard 12-A"),
        # a number mark, a comma before the number, abbreviated and more prefix street types
        ("street=Diag. Norte N° 1200; city=La Plata", "Diag. Norte N° 1200"),
        ("street=Calle de la Luna, 58; city=Madrid", "Calle de la Luna, 58"),
        ("Jalan Merdeka No. 45, Bandung", "Jalan Merdeka No. 45"),
        ("975 Prom. des Anglais, 06000 Nice", "975 Prom. des Anglais"),
        ("Drop it at Rotonda Garibaldi, 19, Flat 34, Cessole", "Rotonda Garibaldi, 19"),
        ("Kis köz 12, Budapest", "Kis köz 12"),
        ("Pardubická 12, Hradec Králové", "Pardubická 12"),
        ("The bus stops at Pod Vinicí 5", "Pod Vinicí 5"),
        # Japanese blocks, Indian and Australian units, British and US street types
        ("Deliver to 6-5-25 Nishi-Shinjuku, Minato-ku, Tokyo 160-0023", "6-5-25 Nishi-Shinjuku, Minato-ku"),
        ("Flat 7, Rose Apartments, MG Road, Pune 411001", "Flat 7, Rose Apartments, MG Road"),
        ("Unit 4/18 Banksia End, Orange NSW 2800", "18 Banksia End, Orange NSW 2800"),
        ("Flat 3, 17 Donald Rue, Bath BA1 2AB", "17 Donald Rue"),
        ("1141 Cedar Annex, 36648 Ann Arbor", "1141 Cedar Annex"),
        # a house number and a name, then a postcode and a town
        ("please send it to 14 Hoogveld, 2705 Borgloon", "14 Hoogveld, 2705"),
        # Spanish floor and door, more PO boxes
        ("C/ Serra 27, 3º Izq., 40511 Zaragoza", "3º Izq."),
        ("Private Bag 92019, Auckland", "Private Bag 92019"),
        ("GPO Box 5276, Sydney NSW 2001", "GPO Box 5276, Sydney NSW 2001"),
    ],
)
def test_round4_addresses(text, expected):
    spans = [(s, e) for s, e, score in find_addresses(text) if score >= 0.5]
    assert any(expected in text[s:e] for s, e in spans), [text[s:e] for s, e in spans]


@pytest.mark.parametrize(
    "text",
    [
        "Chapter 5 The End",
        "I use Notepad 3 daily",
        "Spring 2024 collection",
        "Season 2 Finale",
        "buy 3 Notepads and 2 Keypads",
    ],
)
def test_round4_numbered_things_are_not_addresses(text):
    assert [text[s:e] for s, e, score in find_addresses(text) if score >= 0.5] == []


def test_address_tail_stops_at_lower_case_words():
    text = "at 5 Main Street, Santa Rosa, with Ana"
    end = text.index(",")
    assert in_address_tail(text, text.index("Santa"), [end])
    assert not in_address_tail(text, text.index("Ana"), [end])


def test_addresses_do_not_make_a_text_foreign_but_foreign_prose_still_is():
    assert looks_english("Order ships to     (attn: Joan Ferrer).")
    assert not looks_english("Der Vertrag ist fertig und die Rechnung wird morgen an den Kunden geschickt.")


@pytest.mark.slow
def test_round4_dev_set_survival(pii_engine):
    """The round-4 dev set (read while writing the rules) keeps its measured level: PERSON 3.5 %,
    STREET_ADDRESS 0.3 % survive (before this round: 20.3 % and 12.0 %)."""
    rows = pii_eval.load_generated("dev", 4)
    scores = pii_eval.score(rows, *pii_eval.ours([r["text"] for r in rows]))["types"]
    assert scores["PERSON"]["survival"] <= 0.05
    assert scores["STREET_ADDRESS"]["survival"] <= 0.02
    assert scores["PERSON"]["precision"] >= 0.92
    assert scores["PHONE_NUMBER"]["survival"] <= 0.01
