"""Self-Instruct tasks: ``instruction`` + ``instances: [{"input", "output"}]``.

As in yizhongw/self-instruct's seed_tasks.jsonl and human_eval/user_oriented_instructions.jsonl:
``id`` becomes ``provenance.original_id``; ``name``, ``is_classification``, ``motivation_app`` and
other fields go to meta. One record per row, built like alpaca (user = instruction, a blank line
and the instance's input when non-empty; assistant = its output), so a row must hold exactly one
instance (every row of the real files does); split multi-instance rows before ingesting them.
Extra fields of the instance are kept as ``meta["instance_fields"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from curator.errors import FormatError
from curator.formats.base import (
    MISSING,
    Format,
    build_record,
    extra_fields,
    finish_row,
    get_text,
    join_input,
    split_input,
    text_error,
    type_name,
    with_original_id,
)
from curator.formats.flatten import to_exchange
from curator.records import InstructionRecord

_KNOWN = frozenset({"id", "instruction", "instances"})


class SelfInstruct(Format):
    """Self-Instruct task rows with one instance."""

    name: ClassVar[str] = "self_instruct"
    required: ClassVar[frozenset[str]] = frozenset({"instruction", "instances"})

    def to_record(self, row: Mapping[str, Any], provenance: Mapping[str, Any]) -> InstructionRecord:
        instruction = get_text(row, "instruction")
        instances = row.get("instances", MISSING)
        if instances is MISSING:
            raise text_error("instances", MISSING, row)
        if not isinstance(instances, list):
            raise FormatError(
                f"field 'instances' is {type_name(instances)}, expected a list of {{input, output}}"
            )
        if len(instances) != 1:
            if not instances:
                raise FormatError("self_instruct row has no instances")
            raise FormatError(
                f"self_instruct row has {len(instances)} instances; this adapter makes one record per row, "
                f"so split instances first"
            )
        instance = instances[0]
        if not isinstance(instance, Mapping):
            raise FormatError(f"field 'instances[0]' is {type_name(instance)}, expected an object")
        output = instance.get("output", MISSING)
        if not isinstance(output, str):
            raise text_error("instances[0].output", output, instance)
        input_text = instance.get("input", "")
        if not isinstance(input_text, str):
            raise text_error("instances[0].input", input_text)
        meta = extra_fields(row, _KNOWN)
        if len(instance) > 2 or "input" not in instance:
            extra = {k: v for k, v in instance.items() if k not in ("input", "output")}
            if extra:
                meta["instance_fields"] = extra
        messages = [
            {"role": "user", "content": join_input(instruction, input_text, meta)},
            {"role": "assistant", "content": output},
        ]
        return build_record(messages, with_original_id(row, provenance, meta), meta)

    def from_record(self, record: InstructionRecord, *, flatten: str = "error") -> dict[str, Any]:
        """Write one task with one instance. ``flatten="last_turn"`` loses earlier turns."""
        exchange = to_exchange(record, self.name, flatten, system_slot=False)
        instruction, input_text = split_input(exchange.prompt, exchange.input_chars)
        instance: dict[str, Any] = {"input": input_text, "output": exchange.response}
        extra = record.meta.get("instance_fields")
        if isinstance(extra, dict):
            instance.update(extra)
        return finish_row(record, {"instruction": instruction, "instances": [instance]})
