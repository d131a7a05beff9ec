"""Labelled PII sets and how we score them: recall, precision and what *survives* redaction.

Used by ``benchmarks/pii.py`` (the figures) and by the tests (small committed fixtures).

Sets (every row: ``text`` and gold ``spans`` of ``type``/``start``/``end``/``value``):

- presidio-research's ``synth_dataset_v2`` (../shared/data, 1,500 rows), split by template:
  ``template_id % 5 != 0`` is the dev part (the rules were developed on it), ``% 5 == 0`` the
  held-out part (276 rows, 55 templates never looked at while tuning);
- our generated set (``tests/data/pii/generated_{dev,heldout}.jsonl``, ``pii_make_sets.py``):
  Faker and mimesis values in 16 locales; held-out templates and seed differ from dev's; a second
  round (``generated2_*``: 48 new templates, new seeds, 22 locales; held-out ``id % 4 == 0``,
  only ever reported on), a third, dev only (``generated3_dev``: lone names in ordinary
  sentences), and a fourth (``generated4_*``: 52 templates written before any of its figures was
  seen, held-out ``id % 3 == 1``, 22 locales, non-US address layouts, PO boxes and units,
  lower-case, listed and signed names, brands, bands and works named after people);
- the false-alarm probes (``tests/data/pii/false_alarm_probes.jsonl``, and ``_dolly.jsonl``):
  sentences from real Alpaca rows and Dolly open_qa answers, read by hand, that hold no personal
  data at all (Dolly: place names, titles of works, eponyms, teams and bands kept; any sentence
  naming a person, real or fictional, dropped); split by source row into dev and held-out;
- foreign-language rows (HPLT prompts in ten languages, no language label): no English-model
  names on them.

Scoring:

- a gold span is *found* when a prediction of its type overlaps it; a prediction is *right* when
  it overlaps a gold span of its type (recall / precision by overlap, as presidio-research does);
- a gold value *survives* when it is still present verbatim in the redacted text (what a user
  of ``redact`` cares about); ``partial`` is stricter: a PERSON survives partially when any word of
  three or more letters of the name is still there as a word, an address when its street line
  (the part holding the house number) is still there, anything else when 4 or more consecutive
  digits or characters of it are left in place.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
PRESIDIO_SET = SHARED / "pii" / "presidio_synth_dataset_v2.json"
FIXTURES = ROOT / "tests" / "data" / "pii"
TYPES = [
    "PERSON",
    "STREET_ADDRESS",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
]
STRUCTURED = ["EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "IP_ADDRESS"]
# Survival goals (issue 14): at most this share of gold values left verbatim after redact.
SURVIVAL_GOALS = {
    "PERSON": 0.03,
    "STREET_ADDRESS": 0.03,
    "PHONE_NUMBER": 0.01,
    **dict.fromkeys(STRUCTURED, 0.0),
}


def _row(text: str, spans: list[dict], **extra) -> dict:
    return {"text": text, "spans": spans, **extra}


def load_presidio(path: Path = PRESIDIO_SET) -> tuple[list[dict], list[dict]]:
    """(dev, held-out) rows of presidio-research's synthetic set, split by template id."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for r in rows:
        spans = [
            {
                "type": s["entity_type"],
                "start": s["start_position"],
                "end": s["end_position"],
                "value": r["full_text"][s["start_position"] : s["end_position"]],
            }
            for s in r["spans"]
        ]
        out.append(_row(r["full_text"], spans, template=r["template_id"]))
    return [r for r in out if r["template"] % 5], [r for r in out if not r["template"] % 5]


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_generated(part: str, round_: int = 1) -> list[dict]:
    """``generated_{part}`` (round 1), ``generated2_{part}`` (new templates, seeds and locales),
    ``generated3_dev`` (lone names in ordinary sentences; dev only) or ``generated4_{part}``."""
    prefix = "generated" if round_ == 1 else f"generated{round_}"
    return load_jsonl(FIXTURES / f"{prefix}_{part}.jsonl")


def load_probes(part: str | None = None, source: str = "alpaca") -> list[dict]:
    """False-alarm probes: ``source`` "alpaca" (false_alarm_probes.jsonl), "dolly"
    (false_alarm_probes_dolly.jsonl, Dolly open_qa answers) or "selfinstruct"
    (false_alarm_probes_selfinstruct.jsonl, held-out only), ``part`` "dev" or "heldout"."""
    name = "false_alarm_probes.jsonl" if source == "alpaca" else f"false_alarm_probes_{source}.jsonl"
    rows = load_jsonl(FIXTURES / name)
    return [r for r in rows if part is None or r["part"] == part]


HPLT = SHARED / "instructions" / "hplt_prompts"


def load_foreign() -> list[dict]:
    """Non-English HPLT prompts ({"text", "language"}), for the "no English-model names on
    foreign rows" check; empty when ../shared/data is absent."""
    rows = []
    for path in sorted(HPLT.glob("test_*.jsonl")) if HPLT.exists() else ():
        language = path.stem.split("_", 1)[1]
        if language != "en":
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except ValueError:  # test_hi.jsonl has one broken line upstream
                    continue
                if row.get("prompt"):
                    rows.append({"text": row["prompt"], "language": language})
    return rows


# -- scoring --------------------------------------------------------------------------------------------
def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _name_words(value: str) -> list[str]:
    return [w for w in re.findall(r"[^\W\d_][^\W\d_'’\-]*", value) if len(w) >= 3]


def _partial(kind: str, value: str, redacted: str) -> bool:
    if kind == "PERSON":
        return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", redacted) for w in _name_words(value))
    if kind == "STREET_ADDRESS":
        lines = [p.strip() for p in re.split(r"[\n,]", value) if re.search(r"\d", p) and len(p.strip()) > 3]
        return any(line in redacted for line in lines[:1])
    compact = re.sub(r"[\s\-.()/]", "", value)
    return any(compact[i : i + 6] in re.sub(r"[\s\-.()/]", "", redacted) for i in range(len(compact) - 5))


def score(rows: list[dict], predictions: list[list[tuple[str, int, int]]], redacted: list[str]) -> dict:
    """Per type: gold, recall, predicted, precision, survived (verbatim), partial; plus record leaks."""
    gold_n, hit, pred_n, right, survived, partial = (Counter() for _ in range(6))
    leaking_records = 0
    for row, spans, text in zip(rows, predictions, redacted, strict=True):
        leaked = False
        for g in row["spans"]:
            kind = g["type"]
            if kind not in TYPES:
                continue
            gold_n[kind] += 1
            if any(t == kind and _overlap((s, e), (g["start"], g["end"])) for t, s, e in spans):
                hit[kind] += 1
            if g["value"] and g["value"] in text:
                survived[kind] += 1
                leaked = True
            if _partial(kind, g["value"], text):
                partial[kind] += 1
        leaking_records += leaked
        for t, s, e in spans:
            if t not in TYPES:
                continue
            pred_n[t] += 1
            if any(t == g["type"] and _overlap((s, e), (g["start"], g["end"])) for g in row["spans"]):
                right[t] += 1
    nan = float("nan")
    per_type = {
        t: {
            "gold": gold_n[t],
            "recall": hit[t] / gold_n[t] if gold_n[t] else nan,
            "predicted": pred_n[t],
            "precision": right[t] / pred_n[t] if pred_n[t] else nan,
            "survived": survived[t],
            "survival": survived[t] / gold_n[t] if gold_n[t] else nan,
            "partial": partial[t] / gold_n[t] if gold_n[t] else nan,
        }
        for t in TYPES
    }
    return {"types": per_type, "records": len(rows), "leaking_records": leaking_records}


def probe_rate(probes: list[dict], predictions: list[list[tuple[str, int, int]]]) -> dict:
    """False alarms on sentences with no personal data: share of sentences with any finding."""
    flagged = [p for p, spans in zip(probes, predictions, strict=True) if spans]
    person = [
        p for p, spans in zip(probes, predictions, strict=True) if any(t == "PERSON" for t, _, _ in spans)
    ]
    n = len(probes)
    return {
        "probes": n,
        "any_finding": len(flagged) / n if n else float("nan"),
        "person": len(person) / n if n else float("nan"),
        "flagged": [
            [p["text"][s:e] + f" ({t})" for t, s, e in spans]
            for p, spans in zip(probes, predictions, strict=True)
            if spans
        ],
    }


# -- the two systems ------------------------------------------------------------------------------------
def ours(texts: list[str], model: str = "en_core_web_sm", language: str | None = None, **options):
    """(spans, redacted texts) from the pii stage with ``action: redact`` (what a user runs)."""
    from curator.records import InstructionRecord
    from curator.stages.pii import PIIConfig, PIIStage

    stage = PIIStage(PIIConfig(model=model, **options))
    stage.setup()
    records = [
        InstructionRecord.model_validate(
            {
                "messages": [{"role": "user", "content": t}, {"role": "assistant", "content": "ok"}],
                "provenance": {"source": "eval", "row": i},
                "annotations": {"language": language},
            }
        )
        for i, t in enumerate(texts)
    ]
    found = stage.engine.analyze(texts, [language] * len(texts))
    spans = [[(s.type, s.start, s.end) for s in r.spans] for r in found]
    result = stage.process(records)
    by_row = {r.provenance.row: r.messages[0].content for r in result.kept}
    by_row.update({rm.record.provenance.row: rm.record.messages[0].content for rm in result.removed})
    return spans, [by_row[i] for i in range(len(texts))]


def presidio_default(model: str):
    """Presidio's AnalyzerEngine in its default configuration over the same spaCy model, offline."""
    from curator.pii._presidio import import_presidio

    import_presidio()  # Presidio without its transformers back end (same import as the stage's)
    import presidio_analyzer
    import yaml
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer

    from curator.pii.recognizers import OFFLINE_TLD_EXTRACT

    email_recognizer.tldextract.extract = OFFLINE_TLD_EXTRACT  # offline: the bundled suffix list
    conf = yaml.safe_load((Path(presidio_analyzer.__file__).parent / "conf" / "default.yaml").read_text())
    conf["models"] = [{"lang_code": "en", "model_name": model}]
    engine = NlpEngineProvider(nlp_configuration=conf).create_engine()
    return AnalyzerEngine(nlp_engine=engine)


def presidio_run(analyzer, texts: list[str]):
    """(spans, redacted texts): Presidio's analyze() per text, then its AnonymizerEngine's defaults."""
    from presidio_anonymizer import AnonymizerEngine

    anonymizer = AnonymizerEngine()
    spans, redacted = [], []
    for text in texts:
        results = analyzer.analyze(text, language="en")
        spans.append([(r.entity_type, r.start, r.end) for r in results])
        redacted.append(anonymizer.anonymize(text=text, analyzer_results=results).text)
    return spans, redacted
