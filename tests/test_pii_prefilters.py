"""The PII pattern pre-filters only skip work that could find nothing.

``engine._triggers`` decides which recognizers run on a text, and each address core in
``address._CORES`` carries a piece every match of it contains (``needs``). Both are speed-ups: a
pre-filter that rejected a text one of the full patterns matches would lose PII. So, on the
committed PII test sets (real-looking sentences in 20+ locales with e-mails, phones, cards, SSNs,
IBANs, IPs and addresses) plus their lower- and upper-cased forms, every recognizer result and
every core match must have passed its pre-filter, and enough of them must exist to mean something.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from curator.pii import address
from curator.pii.engine import PATTERN_LANGUAGE, EngineSettings, PIIEngine, _triggers

DATA = Path(__file__).parent / "data" / "pii"
EXTRA = [
    "Server at 192.168.10.25, backup fe80::1ff:fe23:4567:890a and ::ffff:10.0.0.7/24.",
    "SSN 123-45-6789, old 123 45 6789, also 12345-6789 and 078051120.",
    "IBAN de89 3704 0044 0532 0130 00 and GB82WEST12345698765432, loose FR7630006000011234567890189.",
    "Schicken Sie es an Karl-Marx-Straße 12, 10178 Berlin, oder Hauptstrasse 5.",
    "Kaarikatu 32, 00100 Helsinki · hegyalja út 98 · Villacher Strasse 89 · P.O. Box 287",
    "Hoge Wei 32 St. and Rue de Piétrain 371 and ul. Więckowskiego 28 and Calle tachkent 31",
]


def _texts() -> list[str]:
    texts = list(EXTRA)
    for name in ("generated_dev", "generated2_dev", "false_alarm_probes", "false_alarm_probes_dolly"):
        for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text")
            if isinstance(text, str):
                texts.append(text)
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = _texts()
    assert len(found) > 1500
    return found + [t.lower() for t in found]


def test_every_recognizer_result_passed_its_trigger(texts):
    engine = PIIEngine(EngineSettings(structured_only=True)).load()
    recognizers = engine._recognizers_by_language[PATTERN_LANGUAGE]
    everything = sorted(engine.pattern_entities)
    skipped: Counter = Counter()
    found: Counter = Counter()
    for text in texts:
        triggered = _triggers(text)
        for recognizer in recognizers:
            (entity,) = recognizer.supported_entities
            if entity not in triggered:  # skipped by the engine: it must find nothing here
                skipped[entity] += 1
                results = recognizer.analyze(text=text, entities=everything, nlp_artifacts=None) or ()
                assert not [r for r in results if r.score > 0], (entity, text)
        found.update(s.type for s in engine.analyze([text])[0].spans)
    # each type is both skipped on many texts and found on some (the sets hold every type)
    for entity in ("EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "IBAN_CODE", "IP_ADDRESS", "STREET_ADDRESS"):
        assert skipped[entity] > len(texts) // 2 and found[entity] >= 3, (entity, skipped, found)


def test_every_address_core_match_holds_its_needed_piece(texts):
    checked: Counter = Counter()
    skipped = 0
    for text in texts + [t.upper() for t in texts]:
        if not any(c.isupper() for c in text):
            text = address._capitalised(text)
        for index, (pattern, _, needs) in enumerate(address._CORES):
            if needs is None:
                continue
            matched = pattern.search(text) is not None
            if needs.search(text) is None:
                assert not matched, (index, text)
                skipped += 1
            elif matched:
                checked[index] += 1
    # the pre-filtered cores do match on these sets (street type after the number, prefixes,
    # compounds, P.O. boxes), and the pre-filters do skip most texts
    assert len(checked) >= 5 and sum(checked.values()) >= 100, checked
    assert skipped > 2 * len(texts)


def test_addresses_in_lower_and_upper_case_are_still_found():
    for text in EXTRA[3:]:
        found = address.find_addresses(text)
        assert found
        assert address.find_addresses(text.lower()) == [
            (s, e, score) for s, e, score in address.find_addresses(address._capitalised(text.lower()))
        ]


def test_engines_without_a_torch_model_never_import_torch():
    """Presidio imports spaCy, whose thinc imports torch (1-2 CPU-s) when it is installed: an
    engine with patterns only, or with a CNN spaCy pipeline, hides it, still finds what it should
    (names included), and leaves torch importable for whatever else the process runs."""
    import subprocess
    import sys

    from curator.pii.models import find_model, needs_torch

    assert not needs_torch("en_core_web_sm") and not needs_torch("de_core_news_lg")
    assert needs_torch("en_core_web_trf") and needs_torch("./my_model")
    ner = find_model("en_core_web_sm") is not None
    script = (
        "import sys\n"
        "from curator.pii.engine import EngineSettings, PIIEngine\n"
        f"engine = PIIEngine(EngineSettings(structured_only={not ner})).load()\n"
        "(found,) = engine.analyze(['Ann Smith: mail a@b.com or call +41 69 979 80 58, 12 Main Street'])\n"
        "print(sorted(s.type for s in found.spans), 'torch' in sys.modules)\n"
        "import torch\n"
        "print(float(torch.ones(2).sum()))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    types = ["EMAIL_ADDRESS", *(["PERSON"] if ner else []), "PHONE_NUMBER", "STREET_ADDRESS"]
    assert out.split("\n")[:2] == [f"{types} False", "2.0"]
