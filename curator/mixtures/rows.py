"""Mixture rows: a kept record written in a training format, with a fixed schema per format.

Training formats (messages, prompt_completion, sharegpt, alpaca) go through the format adapters'
``from_record`` and carry three more columns — ``id`` (the curator record id, for ``curator
trace``), ``source`` and ``license`` — so every row can be traced and attributed. The original
row's extra fields stay in the run's data/ (or use ``format: record``, which writes the whole
InstructionRecord). Every row of a format has the same keys and types, so `datasets` loads any
number of files.
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from curator.errors import ConversionError, CuratorError
from curator.formats import get_format
from curator.output import PARQUET_SCHEMA
from curator.records import InstructionRecord

# record.meta keys a writer needs to rebuild a row's layout (see curator.formats.base).
_LAYOUT_META = frozenset({"input_chars"})
_STR = pa.string()
_TRACE_COLUMNS = [("id", _STR), ("source", _STR), ("license", _STR)]
_MESSAGES = pa.list_(pa.struct([("role", _STR), ("content", _STR), ("name", _STR)]))
SCHEMAS: dict[str, pa.Schema] = {
    "messages": pa.schema([("messages", _MESSAGES), *_TRACE_COLUMNS]),
    # TRL's conversational prompt-completion: the conversation up to the last assistant turn, and that
    # turn; TRL trains on the completion only.
    "prompt_completion": pa.schema([("prompt", _MESSAGES), ("completion", _MESSAGES), *_TRACE_COLUMNS]),
    "sharegpt": pa.schema(
        [
            ("conversations", pa.list_(pa.struct([("from", _STR), ("value", _STR), ("name", _STR)]))),
            *_TRACE_COLUMNS,
        ]
    ),
    "alpaca": pa.schema(
        [
            ("instruction", _STR),
            ("input", _STR),
            ("output", _STR),
            ("system", _STR),
            ("history", pa.list_(pa.list_(_STR))),
            *_TRACE_COLUMNS,
        ]
    ),
    "record": PARQUET_SCHEMA,
}


def to_row(record_data: dict[str, Any], fmt: str, flatten: str, mixture: str) -> dict[str, Any]:
    """One mixture row from a kept record (as read from data/)."""
    if fmt == "record":
        row = dict(record_data)
        row["annotations"] = orjson.dumps(row.get("annotations") or {}).decode()
        row["meta"] = orjson.dumps(row.get("meta") or {}).decode()
        return row
    # Validate once, with only the layout meta and no original id: the row gets curator's own columns.
    meta = record_data.get("meta") or {}
    bare = InstructionRecord.model_validate(
        {
            **record_data,
            "meta": {k: v for k, v in meta.items() if k in _LAYOUT_META},
            "provenance": {**record_data["provenance"], "original_id": None},
        }
    )
    record, provenance = bare, bare.provenance
    adapter = "messages" if fmt == "prompt_completion" else fmt
    try:
        written = get_format(adapter).from_record(bare, flatten=flatten)
    except ConversionError as exc:
        raise CuratorError(
            f"mixture {mixture!r}: record {record.id} (source {provenance.source}) cannot be written as "
            f"{fmt}: {exc}; set `flatten: concat` or `flatten: last_turn` on the mixture, or another format"
        ) from None
    if fmt in ("messages", "prompt_completion"):
        turns = [
            {"role": t["role"], "content": t["content"], "name": t.get("name")} for t in written["messages"]
        ]
        row: dict[str, Any] = {"messages": turns}
        if fmt == "prompt_completion":
            if turns[-1]["role"] != "assistant":
                raise CuratorError(
                    f"mixture {mixture!r}: record {record.id} (source {provenance.source}) ends with a "
                    f"{turns[-1]['role']} turn, so it has no completion; use format: messages"
                )
            row = {"prompt": turns[:-1], "completion": turns[-1:]}
    elif fmt == "sharegpt":
        turns = [
            {"from": t["from"], "value": t["value"], "name": t.get("name")} for t in written["conversations"]
        ]
        if "system" in written:  # only with sharegpt_system_field, which is not kept; belt and braces
            turns.insert(0, {"from": "system", "value": written["system"], "name": None})
        row = {"conversations": turns}
    else:
        row = {
            "instruction": written["instruction"],
            "input": written.get("input") or "",
            "output": written["output"],
            "system": written.get("system"),
            "history": written.get("history"),
        }
    row["id"] = record.id
    row["source"] = provenance.source
    row["license"] = provenance.license
    return row


def features_yaml(schema: pa.Schema) -> list[dict[str, Any]]:
    """The schema as a dataset card's ``dataset_info.features`` (the YAML `datasets` writes)."""
    return [{"name": f.name, **_feature(f.type)} for f in schema]


def _feature(kind: pa.DataType) -> dict[str, Any]:
    if pa.types.is_struct(kind):
        return {
            "struct": [
                {"name": kind.field(i).name, **_feature(kind.field(i).type)} for i in range(kind.num_fields)
            ]
        }
    if pa.types.is_list(kind):
        inner = kind.value_type
        if pa.types.is_struct(inner):
            return {
                "list": [
                    {"name": inner.field(i).name, **_feature(inner.field(i).type)}
                    for i in range(inner.num_fields)
                ]
            }
        value = _feature(inner)
        return {"list": value["dtype"] if set(value) == {"dtype"} else value}
    return {"dtype": {"string": "string", "int64": "int64", "double": "float64", "bool": "bool"}[str(kind)]}
