"""Corpus audits of documents (issue 19): exact full-pass figures, the contamination table,
sampled estimates with intervals, and the shipped Common Crawl sample end to end."""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import pytest
from conftest import SAMPLE_DATA, SHARED_DATA, shared_file

from curator import audit
from curator.estimates import SampleSpec

SLICE = SAMPLE_DATA / "cc_main_2019_slice.jsonl"
TOKENIZER = SHARED_DATA / "tokenizers" / "gpt-neo-tokenizer.json"
EVAL_SPAN = (
    "the quick auditors counted every planted benchmark question inside this web corpus "
    "before anyone trained a model on it"
)


def section(report: dict, key: str) -> dict:
    return next(s for s in report["sections"] if s["key"] == key)


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def build_corpus(folder: Path) -> tuple[Path, Path, dict]:
    """The real slice plus planted copies, e-mails and an eval item; returns the truth."""
    rows = [json.loads(line) for line in SLICE.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(7)
    planted = []
    for i in range(6):  # exact copies of real pages under new ids
        copy = dict(rng.choice([r for r in rows if len(r["text"]) > 500]))
        planted.append({**copy, "id": f"copy-{i}"})
    for i in range(4):  # an eval item's words inside real pages
        base = rows[i + 1]
        planted.append(
            {**base, "id": f"contaminated-{i}", "text": base["text"] + "\n" + EVAL_SPAN.capitalize() + "."}
        )
    for i in range(5):
        base = rows[i + 10]
        planted.append(
            {**base, "id": f"mail-{i}", "text": base["text"] + f"\nWrite to jane.roe{i}@example.org."}
        )
    corpus = rows + planted
    path = folder / "web.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus), encoding="utf-8")
    evals = folder / "bench.jsonl"
    evals.write_text(
        json.dumps({"id": "q1", "instruction": EVAL_SPAN, "output": "yes"})
        + "\n"
        + json.dumps(
            {
                "id": "q2",
                "instruction": "an unrelated question that no page mentions at all, not once",
                "output": "no",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    seen: set[str] = set()
    duplicates = 0
    lines_seen: set[str] = set()
    lines = duplicate_lines = 0
    for row in corpus:
        key = norm(row["text"])
        duplicates += key in seen
        seen.add(key)
        for line in row["text"].split("\n"):
            line = " ".join(line.split())
            if line:
                lines += 1
                duplicate_lines += line in lines_seen
                lines_seen.add(line)
    truth = {
        "documents": len(corpus),
        "bytes": sum(len(r["text"].encode("utf-8")) for r in corpus),
        "exact_duplicates": duplicates,
        "contaminated": sum(EVAL_SPAN in r["text"].lower() for r in corpus),
        "lines": lines,
        "duplicate_lines": duplicate_lines,
    }
    return path, evals, truth


def test_document_audit_exact_figures_contamination_and_estimates(tmp_path: Path) -> None:
    corpus, evals, truth = build_corpus(tmp_path)
    tokenizer = TOKENIZER if TOKENIZER.exists() else None
    out = tmp_path / "audit"
    result = audit.run_audit(
        [corpus],
        out,
        workers=1,
        settings={"decontaminate": {"evals": [{"name": "bench", "path": str(evals)}]}},
        sample=SampleSpec(size=25, seed=3),
        tokenizer=tokenizer,
    )
    assert result.manifest["counts"]["removed"] == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["errors"] == []

    corpus_section = section(report, "corpus")
    summary = corpus_section["summary"]
    assert summary["documents"] == truth["documents"]
    assert summary["bytes"] == truth["bytes"]
    share = round(100 * truth["exact_duplicates"] / truth["documents"], 2)
    assert summary["exact_duplicate_documents_percent"] == share
    assert summary["duplicate_lines_percent"] == round(100 * truth["duplicate_lines"] / truth["lines"], 2)
    rows = {row[0]: row for row in corpus_section["tables"][0]["rows"]}
    assert rows["documents"][2] == "exact (full pass)"
    assert summary["distinct_domains"] > 10
    if tokenizer is not None:
        from tokenizers import Tokenizer

        encoder = Tokenizer.from_file(str(tokenizer))
        texts = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines()]
        assert summary["tokens"] == sum(len(encoder.encode(t, add_special_tokens=False).ids) for t in texts)

    contamination = section(report, "contamination")
    assert contamination["summary"]["contaminated_records"] == truth["contaminated"] == 4
    table = contamination["tables"][0]
    assert [row[:3] for row in table["rows"]] == [["bench", "q1", 4]]
    assert table["rows"][0][3] in EVAL_SPAN  # the overlapping 13-gram, normalised

    # Document checks apply to documents; the instruction checks say they do not.
    assert section(report, "doc_quality")["summary"]["documents_flagged"] > 0
    assert any("do not apply to documents" in note for note in corpus_section["notes"])

    estimates = section(report, "estimates")
    assert estimates["summary"]["sample_size"] == 25
    assert estimates["summary"]["population"] == truth["documents"]
    for row in estimates["tables"][0]["rows"]:
        assert row[5] <= row[4] <= row[6]
    # Sample results hold counts, never text.
    assert "example.org" not in (out / "corpus.json").read_text(encoding="utf-8")
    # With --sample, PII (patterns and names) runs on the sample only: no pii stage in the full
    # pass, the planted e-mails counted from the sample, and the report says so; no file the
    # report writes holds a planted address.
    assert "pii" not in [s["type"] for s in result.manifest["stages"]]
    assert result.plan.skipped["pii"].startswith("run on the sample only")
    sampled = json.loads((out / "corpus.json").read_text(encoding="utf-8"))["sample"]
    records = [
        json.loads(line)
        for part in sorted((out / "data").glob("*.jsonl"))
        for line in part.read_text(encoding="utf-8").splitlines()
    ]
    mailed = {r["id"] for r in records if "@example.org" in r["messages"][0]["content"]}
    assert all(not r["annotations"]["pii"] for r in records)
    found = sampled["detectors"]["pii_sampled"]["by_type"].get("EMAIL_ADDRESS", {"count": 0})["count"]
    assert found >= 1 and found <= len(mailed)
    assert "sample only" in section(report, "pii")["notes"][0]
    for name in ("report.json", "report.html"):
        assert "jane.roe" not in (out / name).read_text(encoding="utf-8")

    # `curator report` rebuilds the same report from the folder (corpus.json included).
    before = (out / "report.json").read_bytes()
    from curator.report.builder import write_report

    write_report(out, kind="audit")
    assert (out / "report.json").read_bytes() == before


def test_audit_command_line_sample_options(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from curator.cli import cli

    runner = CliRunner()
    bad = runner.invoke(cli, ["audit", str(SLICE), "--out", str(tmp_path / "a"), "--sample", "lots", "-q"])
    assert bad.exit_code == 2 and bad.output.startswith("error: --sample expects")
    ok = runner.invoke(
        cli,
        [
            "audit",
            str(SLICE),
            "--out",
            str(tmp_path / "b"),
            "--sample",
            "50%",
            "--seed",
            "4",
            "-q",
            "--skip",
            "decontaminate",
        ],
    )
    assert ok.exit_code == 0, ok.output
    sample = json.loads((tmp_path / "b" / "corpus.json").read_text())["sample"]
    assert sample["spec"] == {"size": None, "fraction": 0.5, "seed": 4}
    assert 0 < sample["n"] < sample["population"] == 48


@pytest.mark.slow
def test_shipped_common_crawl_sample_audits_offline(tmp_path: Path) -> None:
    path = shared_file("pretraining/cc_main_2019_sample.jsonl.gz")
    tokenizer = shared_file("tokenizers/gpt-neo-tokenizer.json")
    result = audit.run_audit(
        [path], tmp_path / "cc", sample=SampleSpec(size=100, seed=0), tokenizer=tokenizer
    )
    report = json.loads((tmp_path / "cc" / "report.json").read_text(encoding="utf-8"))
    assert report["errors"] == [] and result.manifest["counts"]["kept"] == 697
    summary = section(report, "corpus")["summary"]
    assert summary["documents"] == 697 and summary["tokens"] > 500_000
    languages = section(report, "language")
    assert languages["summary"]  # every document has a language
    assert section(report, "estimates")["summary"]["sample_size"] == 100


def test_long_document_examples_are_redacted_in_a_window_as_if_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Report examples of long documents redact only the head they show; what they show equals
    redacting the whole text, for values inside, across and past the window, and when
    placeholders shorten the head or an annotated span crosses its end (then the whole text is
    redacted)."""
    from curator.formats import get_format
    from curator.records import PIIFinding
    from curator.report import base

    fmt = get_format("document")
    rows = [json.loads(line) for line in SLICE.read_text(encoding="utf-8").splitlines()]
    long_rows = [r for r in rows if len(r["text"]) > 3000][:10]
    assert len(long_rows) == 10
    keep, margin = 400, base._REDACT_MARGIN
    limit = max(keep + 2 * margin, base._NAMES_SAMPLE)
    mail = "jane.roe@example.org"
    # case → (planted values by position, an annotated span, whether the whole text is redacted)
    cases = {
        "shown": ([(100, mail)], (20, 30), False),
        "past the window": ([(limit + 50, mail)], (limit + 60, limit + 70), False),
        "value across the window's end": ([(limit - 8, mail)], None, None),
        "annotated span across the end": ([], (limit - 3, limit + 5), True),
        # 60 credential URLs shrink to placeholders: the head no longer covers what is shown
        "dense": ([(i * 30, f"https://u{i}:pw{i}@h.io/x") for i in range(60)], None, True),
    }
    whole_calls: list[int] = []
    shown_fn = base._shown

    def counting(content: str, spans, names: bool) -> str:
        whole_calls.append(len(content) > limit)
        return shown_fn(content, spans, names)

    monkeypatch.setattr(base, "_shown", counting)
    for i, row in enumerate(long_rows):
        for name, (values, span, redacts_whole) in cases.items():
            text = row["text"]
            for at, value in sorted(values, reverse=True):
                text = text[:at] + " " + value + " " + text[at:]
            record = fmt.to_record({**row, "text": text}, {"source": "t", "file": "x", "row": i})
            spans = [(span[0], span[1], "PERSON")] if span else []
            record.annotations.pii = [
                PIIFinding(type="PERSON", message=0, start=a, end=b, score=1.0) for a, b, _ in spans
            ]
            whole = "document: " + shown_fn(text, spans, False)
            expected = whole if len(whole) <= keep else whole[: keep - 1] + "…"
            whole_calls.clear()
            shown = base.example_text(record, keep)
            assert shown == expected, (name, i)
            assert mail not in shown and "pw1@" not in shown
            if redacts_whole is not None:
                assert any(whole_calls) == redacts_whole, (name, i)


def test_long_document_examples_hide_names_as_if_whole() -> None:
    """In pattern mode (as `curator audit` runs pii) examples also go through the names model:
    on the windowed head it finds what it finds on the whole document."""
    from curator.formats import get_format
    from curator.pii.engine import looks_english
    from curator.report import base

    fmt = get_format("document")
    rows = [json.loads(line) for line in SLICE.read_text(encoding="utf-8").splitlines()]
    english = [r for r in rows if len(r["text"]) > 5000 and looks_english(r["text"])]
    assert len(english) >= 3
    for i, row in enumerate(english[:3]):
        text = "Letter from Ada Okafor to Peter Lindqvist. " + row["text"]
        record = fmt.to_record({**row, "text": text}, {"source": "t", "file": "x", "row": i})
        record.annotations.extra["pii"] = {"mode": "patterns"}
        whole = "document: " + base._shown(text, [], True)
        shown = base.example_text(record)
        assert shown == whole[:399] + "…"
        assert "Okafor" not in shown and "Lindqvist" not in shown


def test_audit_examples_of_records_no_pii_stage_read_hide_names() -> None:
    """With --sample the audit's full pass has no pii stage, so no record carries a pii marker:
    in an audit's report (AUDIT_EXAMPLES) their examples still go through the names model; in a
    run's report without a pii stage names stay (its PII section says so)."""
    from curator.formats import get_format
    from curator.report import base

    fmt = get_format("document")
    row = json.loads(SLICE.read_text(encoding="utf-8").splitlines()[0])
    text = "Letter from Ada Okafor to Peter Lindqvist about the harbour. " + row["text"]
    record = fmt.to_record({**row, "text": text}, {"source": "t", "file": "x", "row": 0})
    assert "pii" not in record.annotations.extra
    assert "Okafor" in base.example_text(record)
    token = base.AUDIT_EXAMPLES.set(True)
    try:
        shown = base.example_text(record)
    finally:
        base.AUDIT_EXAMPLES.reset(token)
    assert "Okafor" not in shown and "Lindqvist" not in shown and "<PERSON>" in shown


def test_audit_plan_moves_pii_to_the_sample() -> None:
    """--sample takes pii out of the full pass (its --set options go to the sampled detector;
    the other stages' stay theirs)."""
    from curator.audit import plan_audit, sampled_types
    from curator.audit_corpus import sampled_configs

    full = {s["type"]: s for s in plan_audit().stages}
    assert "pii" in full and "max_chars" not in full["language"]
    spec = SampleSpec(size=10, seed=0)
    settings = {"pii": {"threshold": 0.7}, "language": {"max_chars": 1000}}
    sampled = plan_audit(settings=settings, sampled=sampled_types(spec))
    assert "pii" not in [s["type"] for s in sampled.stages] and "pii" in sampled.skipped
    assert next(s for s in sampled.stages if s["type"] == "language")["max_chars"] == 1000
    (detector,) = sampled_configs(settings)
    assert detector["threshold"] == 0.7 and detector["structured_only"] is False
    assert sampled_types(None) == ()


@pytest.mark.slow  # ~10 s: language of the 697 pages, then 3,000 documents twice
def test_mixed_corpus_builder_plants_what_its_truth_says(tmp_path: Path) -> None:
    """benchmarks/corpus_audit.py's default builder: new documents (few repeats beyond the planted
    copies), planted e-mails and eval items as counted in the truth file, seeded and deterministic."""
    import sys
    from collections import Counter

    shared_file("pretraining/cc_main_2019_sample.jsonl.gz")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from corpus_audit import build_mixed_corpus

    truth = build_mixed_corpus(tmp_path / "a.jsonl", 3000, seed=3)
    build_mixed_corpus(tmp_path / "b.jsonl", 3000, seed=3)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert json.loads((tmp_path / "a.jsonl.truth.json").read_text()) == truth
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len({r["id"] for r in rows}) == 3000
    planted = truth["planted"]
    assert 60 <= planted["exact_copy"] <= 120 and 30 <= planted["near_copy"] <= 90  # 3 % and 2 % of 3,000
    texts = Counter(r["text"] for r in rows)
    repeats = sum(n - 1 for n in texts.values())
    # Every planted exact copy repeats an earlier text; new documents almost never do.
    assert planted["exact_copy"] <= repeats <= planted["exact_copy"] + 15
    mails = sum("Contact: editor" in r["text"] for r in rows)
    assert mails >= planted["email"] > 0  # copies of a document with an address carry it too
    assert sum(truth["base_languages"].values()) == 3000 - planted["exact_copy"] - planted["near_copy"]
    assert truth["base_languages"]["en"] > 3000 * 0.3
