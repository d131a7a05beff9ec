"""Second round of issue 14 (PII): names that leaked in ordinary places, addresses of other
countries, and the false alarms the new rules must not bring (places, firms, foreign rows).

Each case was a leak or a false alarm on the dev sets (benchmarks/pii_eval.py); the values here
are written for the test (not copied from a held-out set). Real Presidio + spaCy, no network.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from curator.pii.address import find_addresses
from curator.pii.allow import AllowPolicy
from curator.pii.detectors import find_loose_ibans, find_phones
from curator.pii.engine import Span, looks_english
from curator.pii.names import big_places
from curator.pii.redact import _apply_presidio, apply
from tests.test_pii import found
from tests.test_pii_recall import redacted

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import pii_eval  # noqa: E402


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # a people cue before three surnames: a list of people, not a firm "Jones, Mitchell and Williams"
        ("The startup's founders: Eimer, Roskoth and Wieloch.", ["Eimer", "Roskoth", "Wieloch"]),
        ("The startup's founders: Smith, Dunn and Charlton.", ["Smith", "Dunn", "Charlton"]),
        ("Board members: Kuba, Trojan, Vycpálek and Sadek.", ["Kuba", "Trojan", "Vycpálek", "Sadek"]),
        # an Oxford-comma list reached from a repeated mention
        ("The authors (Bonner, Bonner, and Mcdowell) thank Amina Bonner for comments.", ["Mcdowell"]),
        # semicolon lists
        ("Invited: Jærle Samuelsson; Kætilfridh Rosenquist; Matz Olofsson", ["Kætilfridh", "Rosenquist"]),
        # a title before a surname that is also a town ("Petrová", "Cicala" are towns in Faker's lists)
        ("Meeting with Sir Kamil Novak and Ms Petrová at the office.", ["Petrová"]),
        ("Please note it for Miss Cicala.", ["Cicala"]),
        # lone names where a person goes
        ("I had coffee with Gustafsson this morning.", ["Gustafsson"]),
        ("Gustafsson and I disagree about the budget.", ["Gustafsson"]),
        ("Please tell Terrance that the meeting moved.", ["Terrance"]),
        ("Deste, can you review my pull request?", ["Deste"]),
        ("Call me back at 669.360.4230 — Giray", ["Giray"]),
        ("Sent from my phone. -- Sanjo", ["Sanjo"]),
        ('"I\'m glad to hear that Norway is moving in that direction," says Joly.', ["Joly"]),
        ("You can reach Tonie at +15074066225 or tonie@example.com.", ["Tonie"]),
        ("Reply to Elizabeth (e.x@example.com) and copy Tom Lee.", ["Elizabeth"]),
        ("Please confirm Antonietta's booking for Friday.", ["Antonietta"]),
        ("Pusat Karaduman's address is Bükebuyruç Caddesi 1336, 95628 Sivas", ["Pusat", "Karaduman"]),
        ("Vladimiro and Sansão are planning a trip to the coast.", ["Vladimiro", "Sansão"]),
        ("Unlike the Christiansen novel, it's not about the sea.", ["Christiansen"]),
        ("Patient Per Svensson, tel. 043-47 39 17.", ["Svensson"]),
        (
            "the patient gustavo henrique duarte was discharged on Wednesday",
            ["gustavo", "henrique", "duarte"],
        ),
        ("Einojuhani Pyysalo\n\nLocal transit bus driver\n\nPhone:\n201-948-1927", ["Einojuhani", "Pyysalo"]),
        (
            "Witnesses Reinout Hendricx, Suzanne Coesinck and Frederique Wisink were interviewed.",
            ["Hendricx"],
        ),
    ],
)
def test_names_in_ordinary_places_are_redacted(pii_engine, text, names):
    out = redacted(pii_engine, text)
    assert [n for n in names if n in out] == [], out


@pytest.mark.parametrize(
    "text",
    [
        "Jones, Mitchell and Williams is a law firm in Leeds.",
        "Five capital cities in the USA are Tallahassee, Austin, Sacramento, Atlanta, and Raleigh.",
        "These countries include Germany, the United Kingdom, Costa Rica, France, and Spain.",
        "Illinois, Pennsylvania, Ohio, Georgia, Virginia, Washington, Tennessee and Alabama.",
        "Bands from the 1980s include R.E.M., The Police, Green Day and The Cure.",
        "Book a table at Laboratorios Franco-Miranda for the team.",
    ],
)
def test_places_firms_and_everyday_lists_are_not_people(pii_engine, text):
    assert [value for kind, value in found(pii_engine, text) if kind == "PERSON"] == []


def test_a_title_dropped_does_not_make_every_elizabeth_a_public_figure():
    policy = AllowPolicy()
    text = "Reply to Elizabeth about the invoice. Write about Queen Elizabeth."
    private = Span("PERSON", text.index("Elizabeth"), text.index("Elizabeth") + 9, 0.8)
    queen_start = text.index("Queen")
    queen = Span("PERSON", queen_start, queen_start + len("Queen Elizabeth"), 0.8)
    assert policy.filter(text, [private, queen]) == [private]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gregory Kudryashov\n\n233 Erzsébet tér 19.\n Suite 282\n Domoszló\n Hungary 34796", "Suite 282"),
        ("Ask Sir Jan Nowak about the lease at pl. Makuszyńskiego 344, 72-146 Legnica.", "Legnica"),
        ("Return the keys to Prof. Novak at Panenská 2, 255 41 Solnice.", "Panenská 2, 255 41 Solnice"),
        ("Signed,\nAna Kovač\nEkvägen 2\n57832 Kristianstad", "Ekvägen 2\n57832 Kristianstad"),
        ("Signed,\nAna\nplac Nałkowskiej 843\n78-302 Łuków", "plac Nałkowskiej 843\n78-302 Łuków"),
        ("Leonel Urrutia\nProyectos Mayorga\nLomas del Ajedrez 487\nCosta calida", "Lomas del Ajedrez 487"),
        ("the bus drops you off at 74678 midtvollen 130 st.", "74678 midtvollen 130 st."),
        ("6614 Luite tee 87\n Apt. 931\n Salumäe\n Estonia 62031", "Luite tee 87\n Apt. 931"),
        ("Return the keys at Diagonal Sonora 944 Interior 340, San Luis, TAMPS 96412.", "Interior 340"),
        ("Return the keys to Mr. Kapoor at 20/428, Kapoor Chowk, Nagercoil 733143.", "Kapoor Chowk"),
        ("User: 5586 Þórunnarstræti 31, Arnsdorf, Germany", "Þórunnarstræti 31"),
        # a street line of a label block, between a name or firm line and a town line
        ("Noa\nRasmussen & Søn ApS\n454 Engen\nGudbjerg", "454 Engen\nGudbjerg"),
        ("Jana\nBaška a.s.\nPekná vyhliadka 798\nPrešov", "Pekná vyhliadka 798\nPrešov"),
        ("Signed,\nMadalena Henriques\nLargo Melo, 49\n7391-497 Sabugal", "Largo Melo, 49\n7391-497 Sabugal"),
    ],
)
def test_addresses_of_other_countries(text, expected):
    spans = [(s, e) for s, e, score in find_addresses(text) if score >= 0.5]
    assert any(expected in text[s:e] for s, e in spans), [text[s:e] for s, e in spans]


@pytest.mark.parametrize(
    "text",
    [
        "Read Chapter 12, 2020 Edition.",
        "Table of contents\nChapter 12\nIntroduction",
        "Write to jane@example.com. Card 4111 1111 1111 1111, SSN 123-45-6789.",
        "Windows 10\nSettings",
        "Steps:\nStep 2\nMix the flour",
        "Hi\nVersion 2\n1234 Release",
    ],
)
def test_numbered_things_are_not_addresses(text):
    assert [text[s:e] for s, e, score in find_addresses(text) if score >= 0.5] == []


def test_phone_negative_cues_are_whole_words_and_signature_lines_count():
    assert find_phones("You can reach Refugio at 336.343.4875 or me.")  # "ref" is no prefix of a name
    assert not find_phones("Order ref 336.343.4875")
    assert find_phones("Kind regards,\nAna\n+52 772 473 215")  # a number alone on its line
    assert not find_phones("Version +52 772 473 215 here")


def test_an_iban_of_odd_length_with_a_valid_checksum_is_found():
    assert find_loose_ibans("IBAN GB51LPMF6890401859634, holder X") == [(5, 26, 0.85)]
    assert find_loose_ibans("IBAN GB51LPMF6890401859635") == []  # checksum fails


def test_short_foreign_prompts_are_not_english_and_english_cards_are():
    assert not looks_english("Mikä on hyvä D-vitamiinin taso veressä immuniteetin lisäämiselle?")
    assert not looks_english("Jaké je správné množství vitamínu D v krvi pro podporu imunity?")
    assert looks_english(
        "Layla Gairbekov\n\nAccountant\n\nPersonal Info:\nPhone:\n51 516 33 75\n\nE-mail:\n"
        "LaylaGairbekov@rhyta.com\n\nWebsite:\nhttp://www.GoalForum.com.au/\n\nAddress:\n"
        "22120 Eriksbo Västergärde 78\n Suite 721\n ASKIM\n Sweden."
    )
    assert looks_english("Call me back at +31 6 06795749 — Sietse")


def test_one_pass_redaction_matches_presidio_anonymizer():
    text = "Mail Ana Souza at ana@example.org or call +1 (415) 555-0100, Ana."
    spans = [
        Span("PERSON", 5, 14, 0.85),
        Span("EMAIL_ADDRESS", 18, 33, 1.0),
        Span("PHONE_NUMBER", 42, 59, 0.95),
        Span("PERSON", 61, 64, 0.85),
    ]
    assert apply(text, spans) == _apply_presidio(text, spans, None)
    fake = lambda kind, value: f"[{kind}:{len(value)}]"  # noqa: E731
    assert apply(text, spans, fake) == _apply_presidio(text, spans, fake)


def test_place_list_is_shipped_with_the_package():
    places = big_places()
    assert {"tallahassee", "london", "costa rica", "tennessee"} <= places
    assert "gustafsson" not in places


def test_dolly_probe_rate_on_the_dev_probes(pii_engine):
    probes = pii_eval.load_probes("dev", "dolly")
    assert len(probes) >= 100
    results = pii_engine.analyze([p["text"] for p in probes])
    rate = sum(bool(r.spans) for r in results) / len(probes)
    assert rate <= 0.22, rate  # measured 0.178 on this tree; Presidio's default: see the benchmark
