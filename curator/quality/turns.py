"""Which texts of a conversation the quality checks look at, for every format.

* **outputs**: every assistant turn.
* **instructions**: every user turn, without its input.
* **input**: the part of the last user turn that follows the instruction. Adapters that know
  the split (alpaca ``input``, dolly ``context``, self-instruct instances, ``### Input:``) keep
  its length in ``meta["input_chars"]`` (see :mod:`curator.formats.base`), so it is exact for
  them. For other formats a user turn of several paragraphs may still end in a stray input
  ("…\\n\\nN/A", "…\\n\\nhttps://…"): its last paragraph is offered to the checks that only ask
  whether an input is a placeholder, a bare URL or a missing attachment, as ``tail``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from curator.records import InstructionRecord


@dataclass(slots=True)
class Turns:
    instructions: list[tuple[int, str]] = field(default_factory=list)  # (message index, text)
    outputs: list[tuple[int, str]] = field(default_factory=list)
    input: tuple[int, str] | None = None  # exact input of the last user turn (input_chars known)
    tail: tuple[int, str] | None = None  # last paragraph of the last user turn, when no exact input
    _lowered: list[str] | None = None

    @property
    def lowered_outputs(self) -> list[str]:
        """The outputs lower-cased, computed once for the checks that all need them."""
        if self._lowered is None:
            self._lowered = [text.lower() for _, text in self.outputs]
        return self._lowered

    @property
    def candidate_input(self) -> tuple[int, str] | None:
        return self.input or self.tail

    def instruction_text(self) -> str:
        """The user turns without the input (nor, when there is no exact input, the tail paragraph)."""
        parts = []
        for index, text in self.instructions:
            if self.tail is not None and self.tail[0] == index:
                text = text.rstrip().rpartition("\n\n")[0]
            parts.append(text)
        return "\n".join(parts)

    def prompt_text(self) -> str:
        """Every user turn, input included."""
        parts = [text for _, text in self.instructions]
        if self.input is not None:
            parts.append(self.input[1])
        return "\n".join(parts)


def split_turns(record: InstructionRecord) -> Turns:
    turns = Turns()
    last_user = -1
    for index, message in enumerate(record.messages):
        if message.role == "assistant":
            turns.outputs.append((index, message.content))
        elif message.role == "user":
            turns.instructions.append((index, message.content))
            last_user = len(turns.instructions) - 1
    if last_user < 0:
        return turns
    index, content = turns.instructions[last_user]
    input_chars = record.meta.get("input_chars")
    if isinstance(input_chars, int) and 0 < input_chars <= len(content) - 2:
        cut = len(content) - input_chars
        if content[cut - 2 : cut] == "\n\n":
            turns.instructions[last_user] = (index, content[: cut - 2])
            turns.input = (index, content[cut:])
            return turns
    head, sep, tail = content.rstrip().rpartition("\n\n")
    if sep and head.strip() and tail.strip():
        turns.tail = (index, tail)
    return turns
