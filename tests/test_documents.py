"""Documents as records (issue 19): detection, metadata, round trips, and text stages on them."""

from __future__ import annotations

import pytest

from curator.errors import FormatError
from curator.formats import get_format
from curator.formats.detect import detect_format
from curator.formats.document import document_url, url_domain
from curator.records import InstructionRecord, is_document
from curator.stages.text import select_text

PROV = {"source": "web", "file": "web.jsonl", "row": 0}

DOLMA = {
    "id": "blj5",
    "text": "A New Home?\n\nMarch 03, 2018 - After a great deal of discussion.",
    "source": "cc",
    "created": "2019-07-17T13:39:42.000Z",
    "metadata": {"url": "16thfleet.wikidot.com/chatter:anewhome", "warc_url": "http://x.org/a"},
}
FINEWEB = {
    "text": "Some page.",
    "id": "<urn:uuid:1>",
    "dump": "CC-MAIN-2024-10",
    "url": "https://www.example.org/p",
    "date": "2024-02-21",
    "language": "en",
}
REDPAJAMA = {"text": "Another page.", "meta": {"url": "https://blog.example.net/x", "language": "en"}}


@pytest.mark.parametrize("row", [DOLMA, FINEWEB, REDPAJAMA])
def test_web_rows_are_documents_and_round_trip(row: dict) -> None:
    assert detect_format([row]) == "document"
    fmt = get_format("document")
    record = fmt.to_record(row, PROV)
    assert is_document(record)
    assert record.messages[0].content == row["text"]
    assert record.provenance.original_id == row.get("id")
    assert fmt.from_record(record) == row  # metadata kept losslessly, in order
    again = InstructionRecord.model_validate_json(record.to_json())
    assert again == record


def test_urls_and_domains_from_each_layout() -> None:
    fmt = get_format("document")
    urls = [document_url(fmt.to_record(row, PROV).meta) for row in (DOLMA, FINEWEB, REDPAJAMA)]
    assert urls == [
        "16thfleet.wikidot.com/chatter:anewhome",
        "https://www.example.org/p",
        "https://blog.example.net/x",
    ]
    assert [url_domain(u) for u in urls] == ["16thfleet.wikidot.com", "example.org", "blog.example.net"]


def test_chat_text_is_never_a_document() -> None:
    chat = [{"text": "### Human: hi\n### Assistant: hello"}] * 3
    assert detect_format(chat) == "text"
    # Half of an unambiguous marker pair is a broken conversation, not prose.
    with pytest.raises(FormatError, match="no turn markers"):
        detect_format([{"text": "<|im_start|>user\nwhere is the reply?"}])
    # Mostly prose with one chat row: the file is documents; the chat row reads as a document too.
    rows = [{"text": f"page {i}"} for i in range(9)] + chat[:1]
    assert detect_format(rows) == "document"


def test_document_shape_is_enforced() -> None:
    with pytest.raises(ValueError, match="exactly one message"):
        InstructionRecord.model_validate(
            {
                "messages": [{"role": "document", "content": "a"}, {"role": "user", "content": "b"}],
                "provenance": PROV,
            }
        )


def test_every_text_field_of_a_document_is_its_text() -> None:
    record = get_format("document").to_record(DOLMA, PROV)
    for field in ("conversation", "user", "assistant", "system", "prompt"):
        assert select_text(record, field) == DOLMA["text"]


def test_conversation_to_document_needs_flatten() -> None:
    from curator.errors import ConversionError

    chat = get_format("alpaca").to_record({"instruction": "q", "output": "a"}, PROV)
    with pytest.raises(ConversionError, match="not a document"):
        get_format("document").from_record(chat)
    assert get_format("document").from_record(chat, flatten="concat")["text"] == "user: q\n\nassistant: a"


# -- document quality heuristics -------------------------------------------------------------------
from curator.quality.documents import DOCUMENT_REASONS, DocumentThresholds, document_findings  # noqa: E402

CLEAN = (
    "The committee met on Tuesday to review the proposal for the new library. Members agreed that "
    "the design should have more natural light and with a larger reading room for children. "
    "After a long discussion, the chair asked the architects to prepare two revised plans. "
    "Residents will be able to comment on both plans at a public meeting next month, and the "
    "final decision is expected before the end of the year."
)


def reasons(text: str, **kw) -> list[str]:
    return [f.reason for f in document_findings(text, DocumentThresholds(**kw))]


def test_clean_prose_passes_every_check() -> None:
    assert reasons(CLEAN) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Too short to be a page.", "too_few_words"),
        (" ".join(["a b"] * 40), "short_mean_word_length"),
        (" ".join(["internationalisation"] * 60), "long_mean_word_length"),
        (CLEAN + " #tag" * 12, "symbol_ratio"),
        ("\n".join(f"- item number {i} of the list and the rest" for i in range(20)), "bullet_lines"),
        ("\n".join(f"and the story goes on {i}..." for i in range(20)), "ellipsis_lines"),
        (CLEAN + " " + " ".join(["12345"] * 30), "non_alpha_words"),
        (" ".join(["lorem", "ipsum", "dolor", "sit", "amet", "consectetur"] * 12), "no_stop_words"),
        (CLEAN + "\nHome\nHome\nHome\nHome\nHome\nHome", "repeated_lines"),
        (
            "\n\n".join([CLEAN, "Share this page.", "Share this page.", "Share this page."]),
            "repeated_paragraphs",
        ),
        (CLEAN + " " + "buy now " * 30, "top_ngram_repeated"),
        (CLEAN + " " + CLEAN, "duplicate_ngrams"),
        (
            "\n".join(f"Menu entry {i} of the site and the links" for i in range(60)),
            "few_terminal_punctuation",
        ),
        (CLEAN + " Lorem ipsum dolor sit amet.", "lorem_ipsum"),
        (CLEAN + " var x = {a: 1};", "curly_bracket"),
    ],
)
def test_each_check_flags_its_case(text: str, reason: str) -> None:
    assert reason in reasons(text)
    assert set(reasons(text)) <= set(DOCUMENT_REASONS)


def test_thresholds_come_from_the_config() -> None:
    assert "too_few_words" not in reasons("Too short to be a page.", min_words=3)
    text = CLEAN + " " + CLEAN
    found = document_findings(text, DocumentThresholds())
    detail = next(f.detail for f in found if f.reason == "duplicate_ngrams")
    assert detail["n"] == 5 and 0.45 < detail["share"] <= 0.5  # the second copy repeats the first
    assert "duplicate_ngrams" not in reasons(text, max_duplicate_ngram_chars={5: 0.6})


def test_stop_words_only_for_english() -> None:
    text = " ".join(["lorem", "ipsum", "dolor", "sit", "amet", "consectetur"] * 12)
    flagged = [f.reason for f in document_findings(text, DocumentThresholds(), english=False)]
    assert "no_stop_words" not in flagged


# -- stages on documents -------------------------------------------------------------------------------
def _doc(text: str, row: int = 0) -> InstructionRecord:
    return get_format("document").to_record({"text": text}, {**PROV, "row": row})


def _stage(stage_type: str, **options):
    from curator.stages import STAGES, build_stage

    stage = build_stage(STAGES[stage_type].config_model.model_validate({"type": stage_type, **options}))
    stage.setup()
    return stage


def test_doc_quality_stage_tags_drops_and_skips_conversations() -> None:
    chat = get_format("alpaca").to_record({"instruction": "q", "output": "a"}, PROV)
    short = _doc("Too short to be a page.")
    tagged = _stage("doc_quality", action="tag").process([chat, short, _doc(CLEAN, 1)])
    assert tagged.tagged == 1 and len(tagged.kept) == 3
    assert chat.annotations.quality_flags == []  # does not apply to a conversation
    assert "doc_quality:too_few_words" in short.annotations.quality_flags
    assert short.annotations.extra["doc_quality"]["too_few_words"] == {"words": 6}
    dropped = _stage("doc_quality").process([_doc("Too short to be a page.")])
    assert dropped.removed[0].reason == "too_few_words"
    assert dropped.removed[0].detail["reasons"]["too_few_words"] == {"words": 6}
    with pytest.raises(ValueError, match="unknown reason"):
        _stage("doc_quality", disabled=["nope"])


def test_length_language_and_pii_read_the_document() -> None:
    length = _stage("length", min_output_words=3)
    assert length.reason(_doc(CLEAN)) is None  # no prompt, and that is not a failure
    assert length.reason(_doc("two words")) == "output_too_short_words"
    assert length.reason(_doc("   ")) == "empty_output"
    record = _doc(CLEAN + " Write to jane.roe@example.org for the minutes.")
    _stage("language").process([record])
    assert record.annotations.language == "en"
    _stage("pii", action="tag", structured_only=True).process([record])
    assert [f.type for f in record.annotations.pii] == ["EMAIL_ADDRESS"]


def test_line_dedup_counts_repeats_across_documents() -> None:
    stage = _stage("line_dedup", action="tag", max_duplicate_line_chars=0.5)
    docs = [
        _doc("Home\nA unique first line.\n\nShared footer", 0),
        _doc("Home\nAnother line.\n\nShared footer", 1),
    ]
    decisions = stage.reduce([stage.signatures(docs[:1]), stage.signatures(docs[1:])])
    first = stage.apply(docs[:1], decisions[0])
    second = stage.apply(docs[1:], decisions[1])
    assert docs[0].annotations.extra["line_dedup"]["duplicate_lines"] == 0
    found = docs[1].annotations.extra["line_dedup"]
    assert found["lines"] == 3 and found["duplicate_lines"] == 2  # "Home" and "Shared footer"
    assert found["paragraphs"] == 2 and found["duplicate_paragraphs"] == 1
    assert first.tagged == 0 and second.tagged == 1  # 17 of 30 line characters repeat


def test_line_dedup_partitioned_reduce_equals_one_sort() -> None:
    """The reduce sorts hash partitions one at a time; it marks exactly the units one sort of
    every hash marks as seen earlier in input order (repeats within and across batches, empty
    batches, values in every partition)."""
    import numpy as np

    from curator.stages.line_dedup import _first_occurrences

    rng = np.random.default_rng(5)
    for trial in range(40):
        pool = rng.integers(0, 2**64, size=int(rng.integers(1, 300)), dtype=np.uint64)
        parts = [pool[rng.integers(0, len(pool), size=int(rng.integers(0, 60)))] for _ in range(12)]
        every = np.concatenate(parts)
        seen: set[int] = set()
        expected = []
        for value in every.tolist():
            expected.append(value in seen)
            seen.add(value)
        got = _first_occurrences(parts)
        assert [len(m) for m in got] == [len(p) for p in parts]
        assert np.concatenate(got).tolist() == expected, trial


def test_parquet_web_shards_run_as_documents(tmp_path) -> None:
    """FineWeb-style Parquet shards: detected as documents, read streaming, every row accounted for."""
    import orjson
    import pyarrow as pa
    import pyarrow.parquet as pq

    from curator.pipeline import run_recipe
    from curator.recipe import load_recipe

    for shard in range(2):
        rows = [dict(FINEWEB, id=f"<urn:{shard}-{i}>", text=f"{CLEAN} Page {i % 3}.") for i in range(30)]
        pq.write_table(pa.Table.from_pylist(rows), tmp_path / f"shard-{shard}.parquet", row_group_size=7)
    (tmp_path / "recipe.yaml").write_text(
        "sources:\n  - {name: web, path: 'shard-*.parquet', license: ODC-By-1.0}\n"
        "stages:\n  - {type: exact_dedup}\n  - {type: doc_quality, action: tag}\n"
        "run: {batch_size: 16}\n",
        encoding="utf-8",
    )
    result = run_recipe(load_recipe(tmp_path / "recipe.yaml"), tmp_path / "run")
    counts = result.manifest["counts"]
    assert counts["input_rows"] == 60 and counts["kept"] == 3 and counts["removed"] == 57
    kept = [
        orjson.loads(line)
        for f in sorted((tmp_path / "run" / "data").glob("*.jsonl"))
        for line in f.read_bytes().splitlines()
    ]
    assert [r["messages"][0]["role"] for r in kept] == ["document"] * 3
    assert kept[0]["meta"]["url"] == FINEWEB["url"] and kept[0]["provenance"]["original_id"] == "<urn:0-0>"
