"""Format adapters: real rows, round trips between every pair of formats, detection, error text."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from curator.errors import ConversionError, FormatError
from curator.formats import (
    FORMAT_NAMES,
    TEXT_STYLES,
    Format,
    Text,
    convert_row,
    describe_validation_error,
    detect_format,
    get_format,
    rename_columns,
)
from curator.records import InstructionRecord

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "instructions"
PROV = {"source": "test", "file": "rows.jsonl", "row": 3, "license": "Apache-2.0", "generated_by": None}


def data_file(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is absent (the real data lives in ../shared/data, not in a user's checkout)")
    return path


def jsonl(name: str) -> list[dict[str, Any]]:
    with data_file(name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def read(fmt: str, row: dict[str, Any]) -> InstructionRecord:
    return get_format(fmt).to_record(row, PROV)


def turns(record: InstructionRecord) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in record.messages]


def make(*pairs: tuple[str, str], meta: dict[str, Any] | None = None) -> InstructionRecord:
    messages = [{"role": role, "content": content} for role, content in pairs]
    return InstructionRecord.model_validate({"messages": messages, "provenance": PROV, "meta": meta or {}})


# ---------------------------------------------------------------- real data


def test_alpaca_real_rows_detect_and_round_trip_exactly() -> None:
    rows = json.loads(data_file("alpaca_5000.json").read_text(encoding="utf-8"))
    assert detect_format(rows) == "alpaca"
    alpaca = get_format("alpaca")
    records = [alpaca.to_record(row, PROV) for row in rows]
    assert turns(records[0]) == [
        ("user", rows[0]["instruction"] + "\n\n" + rows[0]["input"]),
        ("assistant", "No"),
    ]
    assert all(alpaca.from_record(r) == row for r, row in zip(records, rows, strict=True))
    assert records[0].provenance.source == "test" and records[0].provenance.row == 3


def test_alpaca_zh_keeps_translation_score_in_meta() -> None:
    with gzip.open(data_file("alpaca_52k_zh.json.gz"), "rt", encoding="utf-8") as handle:
        rows = json.load(handle)[:2000]
    alpaca = get_format("alpaca")
    records = [alpaca.to_record(row, PROV) for row in rows]
    assert records[0].meta == {"translation_score": 5}
    assert all(alpaca.from_record(r) == row for r, row in zip(records, rows, strict=True))


def test_dolly_text_real_rows() -> None:
    rows = jsonl("dolly_open_qa_text.jsonl")
    assert detect_format(rows) == "text"
    text = get_format("text")
    records = [text.to_record(row, PROV) for row in rows]
    assert turns(records[0]) == [
        ("user", "Why can camels survive for long without water?"),
        (
            "assistant",
            "Camels use the fat in their humps to keep them filled with energy and hydration for long "
            "periods of time.",
        ),
    ]
    assert all(r.meta == {} for r in records)
    written = [text.from_record(r) for r in records]
    # Whitespace around turns is not preserved; all but a couple of rows come back byte for byte.
    assert sum(w == row for w, row in zip(written, rows, strict=True)) >= len(rows) - 5
    assert all(turns(text.to_record(w, PROV)) == turns(r) for w, r in zip(written, records, strict=True))


@pytest.mark.parametrize("name", ["self_instruct_seed_tasks.jsonl", "user_oriented_instructions.jsonl"])
def test_self_instruct_real_rows(name: str) -> None:
    rows = jsonl(name)
    assert detect_format(rows) == "self_instruct"
    adapter = get_format("self_instruct")
    records = [adapter.to_record(row, PROV) for row in rows]
    first = records[1]
    assert first.provenance.original_id == rows[1]["id"]
    instance = rows[1]["instances"][0]
    assert turns(first) == [
        ("user", rows[1]["instruction"] + "\n\n" + instance["input"]),
        ("assistant", instance["output"]),
    ]
    assert {"name", "motivation_app"} & first.meta.keys()
    assert all(adapter.from_record(r) == row for r, row in zip(records, rows, strict=True))


def test_belle_needs_a_mapping_and_works_with_the_suggested_one() -> None:
    rows = jsonl("belle_eval_zh.jsonl")
    with pytest.raises(FormatError) as info:
        detect_format(rows)
    message = str(info.value)
    assert "no known format has fields ['class', 'question', 'std_answer']" in message
    assert "columns: {question: instruction, std_answer: output}" in message
    mapped = [rename_columns(row, {"question": "instruction", "std_answer": "output"}) for row in rows[:50]]
    assert detect_format(mapped) == "alpaca"
    record = read("alpaca", mapped[0])
    assert turns(record) == [("user", rows[0]["question"]), ("assistant", rows[0]["std_answer"])]
    assert record.meta == {"class": rows[0]["class"]}


def test_prompt_only_rows_are_not_a_format() -> None:
    rows = jsonl("hplt_prompts/test_en.jsonl")
    with pytest.raises(FormatError, match=r"no known format has fields \['id', 'prompt'\]"):
        detect_format(rows)


# ---------------------------------------------------------------- each adapter on inline rows


def test_alpaca_system_history_and_input_split() -> None:
    row = {
        "instruction": "Fix this\n\ncarefully",
        "input": "teh cat\n\nsat",
        "output": "the cat sat",
        "system": "Be terse.",
        "history": [["hi", "hello"]],
        "id": 17,
        "source_tag": "x",
    }
    record = read("alpaca", row)
    assert turns(record) == [
        ("system", "Be terse."),
        ("user", "hi"),
        ("assistant", "hello"),
        ("user", "Fix this\n\ncarefully\n\nteh cat\n\nsat"),
        ("assistant", "the cat sat"),
    ]
    assert record.provenance.original_id == "17"
    assert get_format("alpaca").from_record(record) == row


def test_alpaca_empty_optionals_come_back_as_they_were() -> None:
    row = {"instruction": "a", "input": None, "output": "b", "system": "", "history": []}
    record = read("alpaca", row)
    assert turns(record) == [("user", "a"), ("assistant", "b")]
    assert get_format("alpaca").from_record(record) == row


def test_multi_turn_to_alpaca_uses_history_losslessly() -> None:
    record = make(("system", "S"), ("user", "u1"), ("assistant", "a1"), ("user", "u2"), ("assistant", "a2"))
    row = get_format("alpaca").from_record(record)
    assert row == {"instruction": "u2", "input": "", "output": "a2", "system": "S", "history": [["u1", "a1"]]}
    assert turns(read("alpaca", row)) == turns(record)


def test_sharegpt_aliases_labels_and_extra_fields_round_trip() -> None:
    row = {
        "id": "c1",
        "system": "You are helpful.",
        "conversations": [
            {"from": "user", "value": "weather?"},
            {"from": "function_call", "value": '{"name": "weather"}'},
            {"from": "observation", "value": "sunny"},
            {"from": "chatgpt", "value": "It is sunny.", "weight": 1},
        ],
    }
    record = read("sharegpt", row)
    assert turns(record) == [
        ("system", "You are helpful."),
        ("user", "weather?"),
        ("assistant", '{"name": "weather"}'),
        ("tool", "sunny"),
        ("assistant", "It is sunny."),
    ]
    assert get_format("sharegpt").from_record(record) == row


def test_sharegpt_standard_rows_need_no_meta() -> None:
    row = {
        "conversations": [
            {"from": "system", "value": "S"},
            {"from": "human", "value": "q"},
            {"from": "gpt", "value": "a"},
        ]
    }
    record = read("sharegpt", row)
    assert record.meta == {}
    assert get_format("sharegpt").from_record(record) == row


def test_messages_content_parts_are_joined() -> None:
    row = {
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "Look:"}, {"type": "text", "text": "two parts"}],
            },
            {"role": "assistant", "content": "ok"},
        ]
    }
    assert turns(read("messages", row)) == [("user", "Look:\n\ntwo parts"), ("assistant", "ok")]


def test_messages_image_part_is_rejected() -> None:
    row = {
        "messages": [
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/cat.png"}}]},
            {"role": "assistant", "content": "a cat"},
        ]
    }
    with pytest.raises(
        FormatError, match=r"messages\[0\]\.content\[0\] is a part of type 'image_url'.*images"
    ):
        read("messages", row)


def test_messages_tool_calls_and_role_aliases_round_trip() -> None:
    row = {
        "messages": [
            {"role": "developer", "content": "Use tools."},
            {"role": "user", "content": "2+2?", "name": "ann"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "function": {"name": "add"}}]},
            {"role": "tool", "content": "4", "tool_call_id": "c1"},
            {"role": "assistant", "content": "4"},
        ],
        "tools": [{"name": "add"}],
    }
    record = read("messages", row)
    assert turns(record) == [
        ("system", "Use tools."),
        ("user", "2+2?"),
        ("assistant", ""),
        ("tool", "4"),
        ("assistant", "4"),
    ]
    assert record.messages[1].name == "ann"
    assert record.meta["tools"] == [{"name": "add"}]
    assert get_format("messages").from_record(record) == row
    with pytest.raises(ConversionError, match="tool_calls"):
        get_format("alpaca").from_record(record)


def test_dolly_category_to_meta_and_context_split() -> None:
    row = {
        "instruction": "Who?",
        "context": "Ann met Bob.\n\nBob left.",
        "response": "Ann",
        "category": "closed_qa",
    }
    record = read("dolly", row)
    assert turns(record) == [("user", "Who?\n\nAnn met Bob.\n\nBob left."), ("assistant", "Ann")]
    assert record.meta["category"] == "closed_qa"
    assert get_format("dolly").from_record(record) == row
    assert convert_row(row, "dolly", "alpaca") == {
        "instruction": "Who?",
        "input": "Ann met Bob.\n\nBob left.",
        "output": "Ann",
        "category": "closed_qa",
    }


def test_prompt_completion_keeps_separators_exactly() -> None:
    row = {"prompt": "Tweet: great day\nSentiment:\n\n###\n\n", "completion": " positive END"}
    record = read("prompt_completion", row)
    assert turns(record) == [("user", row["prompt"]), ("assistant", row["completion"])]
    assert get_format("prompt_completion").from_record(record) == row


def test_prompt_completion_conversational() -> None:
    row = {
        "prompt": [{"role": "system", "content": "S"}, {"role": "user", "content": "q"}],
        "completion": [{"role": "assistant", "content": "a"}],
    }
    assert turns(read("prompt_completion", row)) == [("system", "S"), ("user", "q"), ("assistant", "a")]


def test_self_instruct_several_instances_is_an_error() -> None:
    row = {"instruction": "x", "instances": [{"input": "", "output": "a"}, {"input": "", "output": "b"}]}
    with pytest.raises(FormatError, match=r"self_instruct row has 2 instances; .* split instances first"):
        read("self_instruct", row)


# ---------------------------------------------------------------- text marker styles


@pytest.mark.parametrize(
    ("text", "expected", "style"),
    [
        ("### Human: Hi there ### Assistant: Hello!", [("user", "Hi there"), ("assistant", "Hello!")], None),
        (
            "### Human: a ### Assistant: b ### Human: c ### Assistant: d",
            [("user", "a"), ("assistant", "b"), ("user", "c"), ("assistant", "d")],
            None,
        ),
        (
            "Below is an instruction.\n\n### Instruction:\nTranslate\n\n"
            "### Input:\nHallo\n\n### Response:\nHello",
            [("system", "Below is an instruction."), ("user", "Translate\n\nHallo"), ("assistant", "Hello")],
            "instruction",
        ),
        (
            "### Instruction:\nSay hi\n\n### Response:\nhi",
            [("user", "Say hi"), ("assistant", "hi")],
            "instruction",
        ),
        (
            "\n\nHuman: Is it safe?\n\nAssistant: Yes.\n\nHuman: Sure?\n\nAssistant: Quite.",
            [("user", "Is it safe?"), ("assistant", "Yes."), ("user", "Sure?"), ("assistant", "Quite.")],
            "hh",
        ),
        ("Human: one line Assistant: fine", [("user", "one line"), ("assistant", "fine")], "hh"),
        (
            "A chat between a user and an assistant. "
            "USER: Hi ASSISTANT: Hello</s>USER: Bye ASSISTANT: Bye!</s>",
            [
                ("system", "A chat between a user and an assistant."),
                ("user", "Hi"),
                ("assistant", "Hello"),
                ("user", "Bye"),
                ("assistant", "Bye!"),
            ],
            "vicuna",
        ),
        (
            "<|system|>\nBe kind.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello</s>\n",
            [("system", "Be kind."), ("user", "Hi"), ("assistant", "Hello")],
            "zephyr",
        ),
        (
            "<|user|>\nHi\n<|assistant|>\nHello",
            [("user", "Hi"), ("assistant", "Hello")],
            "zephyr",
        ),
        (
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\nA.<|im_end|>\n",
            [("system", "S"), ("user", "Q?"), ("assistant", "A.")],
            "chatml",
        ),
        (
            "### Human: q ### Assistant: a ### Human: more? ### Assistant:",
            [("user", "q"), ("assistant", "a"), ("user", "more?")],
            None,
        ),
    ],
)
def test_text_styles(text: str, expected: list[tuple[str, str]], style: str | None) -> None:
    record = read("text", {"text": text})
    assert turns(record) == expected
    assert record.meta.get("text_style") == style
    # Written back in the row's own style, and read back to the same turns.
    written = get_format("text").from_record(record)
    assert turns(read("text", written)) == expected


def test_text_without_markers() -> None:
    with pytest.raises(FormatError, match=r"no turn markers; expected one of .*### Human:"):
        read("text", {"text": "Just a paragraph of prose."})
    with pytest.raises(FormatError, match="'### Human:' marker but no '### Assistant:'"):
        read("text", {"text": "### Human: where is the reply?"})


@pytest.mark.parametrize("style", list(TEXT_STYLES))
def test_text_write_styles(style: str) -> None:
    record = make(("system", "S"), ("user", "u1"), ("assistant", "a1"), ("user", "u2"), ("assistant", "a2"))
    written = Text(style).from_record(record)
    assert turns(read("text", written)) == turns(record)


def test_text_refuses_content_with_its_own_markers() -> None:
    record = make(("user", "Write a script:\n### Assistant: hi"), ("assistant", "ok"))
    with pytest.raises(ConversionError, match="turn marker"):
        get_format("text").from_record(record)
    assert Text("chatml").from_record(record)["text"].startswith("<|im_start|>user\n")


# ---------------------------------------------------------------- round trips


SINGLE = get_format("alpaca").to_record(
    {"instruction": "Summarise:", "input": "Long text\n\nwith a blank line.", "output": "Short."}, PROV
)
RECORDS = {
    "single": SINGLE,
    "system": make(("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello")),
    "multi": make(("system", "S"), ("user", "u1"), ("assistant", "a1"), ("user", "u2"), ("assistant", "a2")),
    "tool": make(("user", "2+2?"), ("assistant", "add(2, 2)"), ("tool", "4"), ("assistant", "4")),
}
HOLDS = {
    "alpaca": {"single", "system", "multi"},
    "sharegpt": set(RECORDS),
    "messages": set(RECORDS),
    "dolly": {"single"},
    "text": {"single", "system", "multi"},
    "prompt_completion": {"single"},
    "self_instruct": {"single"},
}


# Conversation formats; ``document`` holds plain text and has its own tests (test_documents.py).
CHAT_FORMATS = [name for name in FORMAT_NAMES if name != "document"]


@pytest.mark.parametrize(("fmt", "kind"), list(itertools.product(CHAT_FORMATS, RECORDS)))
def test_record_round_trip_or_conversion_error(fmt: str, kind: str) -> None:
    adapter, record = get_format(fmt), RECORDS[kind]
    if kind in HOLDS[fmt]:
        assert turns(adapter.to_record(adapter.from_record(record), PROV)) == turns(record)
    else:
        with pytest.raises(ConversionError, match=r"flatten='concat'.*flatten='last_turn'"):
            adapter.from_record(record)


@pytest.mark.parametrize(("source", "target"), list(itertools.product(CHAT_FORMATS, repeat=2)))
def test_single_turn_converts_between_every_pair(source: str, target: str) -> None:
    row = get_format(source).from_record(SINGLE)
    converted = convert_row(row, source, target)
    assert turns(read(target, converted)) == turns(SINGLE)


@pytest.mark.parametrize(
    ("source", "target"), list(itertools.product(["alpaca", "sharegpt", "messages", "text"], repeat=2))
)
def test_multi_turn_converts_between_chat_capable_formats(source: str, target: str) -> None:
    row = get_format(source).from_record(RECORDS["multi"])
    assert turns(read(target, convert_row(row, source, target))) == turns(RECORDS["multi"])


def test_input_split_survives_alpaca_dolly_self_instruct_and_instruction_text() -> None:
    row = {"instruction": "Summarise:", "input": "Long text\n\nwith a blank line.", "output": "Short."}
    dolly = convert_row(row, "alpaca", "dolly")
    assert dolly["context"] == row["input"]
    task = convert_row(dolly, "dolly", "self_instruct")
    assert task["instances"] == [{"input": row["input"], "output": "Short."}]
    text = Text("instruction").from_record(read("self_instruct", task))
    assert "### Input:\nLong text\n\nwith a blank line." in text["text"]
    assert convert_row(text, "text", "alpaca") == row


def test_flatten_concat_and_last_turn() -> None:
    record = RECORDS["tool"]
    with pytest.raises(ConversionError) as info:
        get_format("alpaca").from_record(record)
    assert "messages[2] is a tool message" in str(info.value) and "flatten" in str(info.value)
    assert get_format("alpaca").from_record(record, flatten="concat") == {
        "instruction": "User: 2+2?\n\nAssistant: add(2, 2)\n\nTool: 4",
        "input": "",
        "output": "4",
    }
    assert get_format("alpaca").from_record(record, flatten="last_turn") == {
        "instruction": "2+2?",
        "input": "",
        "output": "4",
    }
    multi = RECORDS["multi"]
    assert get_format("prompt_completion").from_record(multi, flatten="last_turn") == {
        "prompt": "S\n\nu2",
        "completion": "a2",
    }
    assert get_format("dolly").from_record(multi, flatten="concat")["instruction"] == (
        "System: S\n\nUser: u1\n\nAssistant: a1\n\nUser: u2"
    )
    with pytest.raises(ValueError, match="flatten must be one of"):
        get_format("alpaca").from_record(multi, flatten="squash")


def test_two_user_turns_in_a_row_need_flatten() -> None:
    record = make(("user", "a"), ("user", "b"), ("assistant", "c"))
    with pytest.raises(ConversionError, match=r"messages\[1\] is a user turn where alpaca needs a assistant"):
        get_format("alpaca").from_record(record)
    assert get_format("alpaca").from_record(record, flatten="concat")["instruction"] == "User: a\n\nUser: b"


def test_original_id_is_written_back() -> None:
    record = read(
        "sharegpt",
        {"id": "abc", "conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]},
    )
    assert record.provenance.original_id == "abc"
    assert convert_row({"id": 5, "instruction": "q", "output": "a"}, "alpaca", "messages")["id"] == 5
    assert get_format("dolly").from_record(record)["id"] == "abc"


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"instruction": "q", "input": "", "output": "a"}, "alpaca"),
        ({"instruction": "q", "output": "a"}, "alpaca"),
        ({"conversations": [{"from": "human", "value": "q"}]}, "sharegpt"),
        ({"messages": [{"role": "user", "content": "q"}]}, "messages"),
        ({"instruction": "q", "context": "", "response": "a", "category": "open_qa"}, "dolly"),
        ({"text": "### Human: q ### Assistant: a"}, "text"),
        ({"prompt": "q", "completion": "a"}, "prompt_completion"),
        ({"id": "t", "instruction": "q", "instances": [{"input": "", "output": "a"}]}, "self_instruct"),
    ],
)
def test_detect_each_format(row: dict[str, Any], expected: str) -> None:
    assert detect_format([row, row]) == expected


def test_detect_ambiguous() -> None:
    row = {"messages": [{"role": "user", "content": "q"}], "instruction": "q", "output": "a"}
    with pytest.raises(FormatError) as info:
        detect_format([row])
    assert "alpaca" in str(info.value) and "messages" in str(info.value)
    assert "set `format:` on the source to one of alpaca, messages" in str(info.value)


def test_detect_suggests_mappings() -> None:
    with pytest.raises(
        FormatError, match=r"columns: \{en_instruction: instruction, en_input: input, en_output: output\}"
    ):
        detect_format([{"en_instruction": "q", "en_input": "", "en_output": "a"}])
    with pytest.raises(FormatError, match=r"columns: \{dialog: conversations\}"):
        detect_format([{"dialog": [{"from": "human", "value": "q"}]}])
    with pytest.raises(FormatError, match=r"no known format has fields \['foo'\].*known formats need"):
        detect_format([{"foo": 1}])
    with pytest.raises(FormatError, match="no turn markers"):
        detect_format([{"text": "### Human: a conversation cut off before the reply"}])
    # Plain prose is a document (issue 19), never a conversation.
    assert detect_format([{"text": "plain prose"}]) == "document"


def test_detect_tolerates_a_minority_of_odd_rows() -> None:
    rows = [{"instruction": "q", "output": "a"}] * 9 + [{"instruction": "q", "answer": "a"}]
    assert detect_format(rows) == "alpaca"


# ---------------------------------------------------------------- errors, names, columns


@pytest.mark.parametrize(
    ("fmt", "row", "message"),
    [
        ("alpaca", {"instruction": "q", "input": "", "output": 42}, "field 'output' is int, expected text"),
        ("alpaca", {"instruction": "q", "output": None}, "field 'output' is null, expected text"),
        (
            "alpaca",
            {"instruction": "q", "input": ""},
            "missing field 'output' (the row has: instruction, input)",
        ),
        ("alpaca", {"instruction": 3.5, "output": "a"}, "field 'instruction' is float, expected text"),
        ("alpaca", {"instruction": "q", "output": "a", "history": [["only one"]]}, "'history[0]' is not a"),
        (
            "dolly",
            {"instruction": "q", "context": 1, "response": "a"},
            "field 'context' is int, expected text",
        ),
        (
            "sharegpt",
            {"conversations": [{"from": "human", "value": "q"}, {"from": "bot", "value": "a"}]},
            "conversations[1].from is 'bot'; expected one of human, user, gpt",
        ),
        (
            "sharegpt",
            {"conversations": [{"role": "user", "content": "q"}]},
            "that is the messages format",
        ),
        (
            "messages",
            {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": 7}]},
            "messages[1].content is int, expected text",
        ),
        ("messages", {"messages": [{"role": "user", "content": "q"}]}, "no assistant turn"),
        ("prompt_completion", {"prompt": "q", "chosen": "a", "rejected": "b"}, "preference data"),
        ("self_instruct", {"instruction": "q", "instances": []}, "no instances"),
        ("alpaca", {"instruction": "q", "output": "a", "message_fields": {}}, "rename it with `columns:`"),
    ],
)
def test_error_messages(fmt: str, row: dict[str, Any], message: str) -> None:
    with pytest.raises(FormatError) as info:
        read(fmt, row)
    assert message in str(info.value)


def test_describe_validation_error() -> None:
    with pytest.raises(ValidationError) as info:
        InstructionRecord.model_validate(
            {
                "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": 1}],
                "provenance": PROV,
            }
        )
    assert describe_validation_error(info.value) == "messages[1].content: Input should be a valid string"
    with pytest.raises(FormatError, match=r"provenance\.source: Field required"):
        get_format("alpaca").to_record({"instruction": "q", "output": "a"}, {})


def test_get_format() -> None:
    assert FORMAT_NAMES == (
        "alpaca",
        "sharegpt",
        "messages",
        "dolly",
        "text",
        "prompt_completion",
        "self_instruct",
        "document",
    )
    for name in FORMAT_NAMES:
        assert isinstance(get_format(name), Format) and get_format(name).name == name
    with pytest.raises(FormatError, match="unknown format 'jsonl'; expected one of alpaca, sharegpt"):
        get_format("jsonl")


def test_rename_columns() -> None:
    mapping = {"en_instruction": "instruction", "question": "instruction", "std_answer": "output"}
    assert rename_columns({"question": "q", "std_answer": "a", "class": "c"}, mapping) == {
        "instruction": "q",
        "output": "a",
        "class": "c",
    }
    assert rename_columns({"question": "q"}, mapping) == {"instruction": "q"}
    swap = {"instruction": "zh_instruction", "en_instruction": "instruction"}
    assert rename_columns({"instruction": "zh", "en_instruction": "en"}, swap) == {
        "zh_instruction": "zh",
        "instruction": "en",
    }
    with pytest.raises(FormatError, match="would both become 'instruction'"):
        rename_columns({"instruction": "zh", "en_instruction": "en"}, {"en_instruction": "instruction"})
