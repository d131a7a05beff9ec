"""Names that must not survive redaction, ordinary words that must not become names (issue 14),
and the speed levers that must not change what is found (issue 15): windows, dedup, long turns."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from curator.pii.engine import EngineSettings, PIIEngine, looks_english
from curator.pii.names import needs_model
from curator.pii.windows import MAX_WINDOW, name_windows
from curator.stages.pii import PIIConfig, PIIStage
from tests.test_pii import found, record

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import pii_eval  # noqa: E402


def redacted(pii_engine, text: str, language: str | None = None) -> str:
    stage = PIIStage(PIIConfig())
    stage.engine = pii_engine
    result = stage.process([record(text, "ok", language=language)])
    return result.kept[0].messages[0].content


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("The company's founders: Lindqvist, Porter and Hayes.", ["Lindqvist", "Porter", "Hayes"]),
        (
            "Witnesses Ida Jespersen, Thorgun Strange and Vibeke Richter were interviewed.",
            ["Thorgun", "Strange"],
        ),
        ("Zoolander is a film directed by Maciej Borkowski and starring Borkowski.", ["Borkowski"]),
        (
            "Is there a better crafted pop song on this list? Usamov and Bowers were precision engineers.",
            ["Bowers"],
        ),
        ("Contact person: Hänninen, Perttu", ["Hänninen", "Perttu"]),
        ("Dear Frau Bach, your parcel is on its way.", ["Bach"]),
        ("The authors (Niskanen, Kanerva, and Siekkinen) thank Leevi Niskanen for comments.", ["Siekkinen"]),
    ],
)
def test_names_in_lists_cues_and_repeats_are_all_redacted(pii_engine, text, names):
    out = redacted(pii_engine, text)
    assert "<PERSON>" in out
    assert [n for n in names if n in out] == []


@pytest.mark.parametrize(
    "text",
    [
        "Yoga provides many health benefits and can be an effective form of exercise.",
        "Tone deafness is when a person is unable to recognize pitch.",
        "Tomorrow will be sunny with a high of 85 degrees Fahrenheit.",
        "Add a teaspoon of Worcestershire sauce and a dash of cayenne pepper.",
        'Compare the plots of "Harry Potter and the Chamber of Secrets" and the first book.',
        "The major world religions are Christianity, Islam, Hinduism, Buddhism and Judaism.",
        "Server 10.20.30.40 was configured last week.",
        "Please renew the Jira licence before Friday.",
    ],
)
def test_ordinary_words_units_and_titles_are_not_names(pii_engine, text):
    assert [v for t, v in found(pii_engine, text) if t == "PERSON"] == []


def test_company_names_made_of_surnames_are_not_people(pii_engine):
    text = "Reviewed by Magnus Dahl, Lauritsen & Holst A/S, and Persson Karlsson AB."
    people = [v for t, v in found(pii_engine, text) if t == "PERSON"]
    assert people == ["Magnus Dahl"]


def test_false_alarm_probe_rate_on_the_dev_probes(pii_engine):
    probes = pii_eval.load_probes("dev")
    assert len(probes) >= 90 and all(p["source"].startswith("Stanford Alpaca") for p in probes)
    results = pii_engine.analyze([p["text"] for p in probes])
    with_person = [
        p["text"] for p, r in zip(probes, results, strict=True) if any(s.type == "PERSON" for s in r.spans)
    ]
    assert len(with_person) / len(probes) <= 0.15, with_person


def test_unlabelled_foreign_text_gets_patterns_only(pii_engine):
    german = (
        "Der Hund läuft schnell über die Straße und bellt laut, weil er Hunger hat. "
        "Schreib an hund@example.org"
    )
    chinese = "请写一篇关于北京的文章，介绍它的历史和文化。联系 wang.fang@example.cn"
    assert not looks_english(german) and not looks_english(chinese)
    assert looks_english("Yoga provides many health benefits.")
    assert looks_english("Tomomi Nishiyama lives at 86036 Rua do Arenque 1634, Goiânia")
    for text in (german, chinese):
        result = pii_engine.analyze([text])[0]
        assert (result.mode, result.reason) == ("patterns", "not_english")
        assert [s.type for s in result.spans] == ["EMAIL_ADDRESS"]
    # a language stage's label wins over the guess: English text labelled "en" still gets names
    assert ("PERSON", "Kamila Červinková") in found(pii_engine, "I am Kamila Červinková.", language="en")


def test_a_two_megabyte_turn_does_not_crash_and_finds_what_is_at_the_end(pii_engine):
    text = "the cat sat on the mat and looked at the rain. " * 45_000 + (
        "Please contact Kamila Červinková at kamila.cervinkova@corp-mail.cz."
    )
    assert len(text) > 2_000_000  # above the limit the old code raised spaCy's max_length to
    spans = found(pii_engine, text)
    assert ("PERSON", "Kamila Červinková") in spans
    assert ("EMAIL_ADDRESS", "kamila.cervinkova@corp-mail.cz") in spans
    windows = name_windows(text, needs_model)
    assert windows and all(end - start <= MAX_WINDOW for start, end in windows)


def test_whole_text_mode_chunks_long_lines():
    engine = PIIEngine(EngineSettings(entities=("PERSON", "LOCATION"))).load()
    text = ("word " * 30_000) + "Maria Lopez flew to Lisbon."  # one 150 kB line, no sentence breaks
    spans = found(engine, text)
    assert ("PERSON", "Maria Lopez") in spans and ("LOCATION", "Lisbon") in spans


def test_identical_texts_are_analysed_once_with_independent_results(pii_engine):
    text = "Call Jan Novák on +420 777 123 456."
    results = pii_engine.analyze([text, "ok", text, text], ["en", None, "en", None])
    assert results[0].spans == results[2].spans and results[0].spans
    assert results[0] is not results[2] and results[0].spans is not results[2].spans
    assert results[3].spans == results[0].spans  # None → default language en: a separate key, same answer


def test_windows_skip_text_that_cannot_hold_a_name_but_rules_still_run(pii_engine):
    assert name_windows("write a haiku about the sea. The sea is calm.", needs_model) == []
    # lower-cased prose has no window, yet the name lists still find the name
    assert ("PERSON", "john kowalski") in found(pii_engine, "my name is john kowalski and i need help")


def test_survival_scoring_counts_values_left_in_the_redacted_text():
    rows = [
        {
            "text": "Ann Lee and Bo Chen",
            "spans": [
                {"type": "PERSON", "start": 0, "end": 7, "value": "Ann Lee"},
                {"type": "PERSON", "start": 12, "end": 19, "value": "Bo Chen"},
            ],
        },
    ]
    scored = pii_eval.score(rows, [[("PERSON", 0, 7)]], ["<PERSON> and Bo Chen"])
    person = scored["types"]["PERSON"]
    assert (person["recall"], person["precision"], person["survival"]) == (0.5, 1.0, 0.5)
    assert scored["leaking_records"] == 1
    # partial: one word of the name left is a partial survival, not a verbatim one
    scored = pii_eval.score(rows, [[("PERSON", 0, 7), ("PERSON", 12, 14)]], ["<PERSON> and <PERSON> Chen"])
    assert scored["types"]["PERSON"]["survival"] == 0 and scored["types"]["PERSON"]["partial"] == 0.5
