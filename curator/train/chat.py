"""Conversations to token ids, with assistant-only targets and the bytes each target carries.

Two templates:

* **The default template** (proxy presets, and Hugging Face tokenizers without a chat template)::

      <|bos|><|system|>\\n{system}<|end|>\\n<|user|>\\n{user}<|end|>\\n<|assistant|>\\n{answer}<|end|>\\n

  With the byte tokenizer each ``<|…|>`` marker is one special token. With a Hugging Face tokenizer the
  role headers are plain text and ``<|end|>`` is the tokenizer's EOS token, so generation stops there.
  The model learns ``{answer}<|end|>`` of every assistant turn; everything else is context.

* **The tokenizer's own chat template** (``tokenizer.chat_template``). Each assistant turn's span is
  found by rendering the conversation up to that turn with and without the generation prompt; tokens
  that start inside a span are learned (the answer and the template's end-of-turn markup). A
  template whose renderings are not prefixes of each other falls back to learning the answer text
  where it appears in the rendering.

``Encoded.targets[t]`` is the token to predict at position ``t`` (the next token), or -100 where
the next token is not an assistant token, so packed examples never predict across a boundary.
``Encoded.target_bytes[t]`` is how many UTF-8 bytes of assistant text that target token carries
(markup carries 0): its sum is the denominator of bits per byte, whatever the tokenizer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from curator.errors import CuratorError
from curator.records import Message
from curator.train.tokenizer import ByteTokenizer

IGNORE = -100


@dataclass(slots=True)
class Encoded:
    input_ids: np.ndarray  # int64 [n]
    targets: np.ndarray  # int64 [n]: next token where it is an assistant token, else IGNORE
    target_bytes: np.ndarray  # int32 [n]: UTF-8 bytes of assistant text carried by targets[t]
    truncated: bool

    def __len__(self) -> int:
        return len(self.input_ids)


def finish(ids: list[int], learn: list[bool], nbytes: list[int], max_len: int) -> Encoded | None:
    """Shift labels onto the previous position, cut to ``max_len``; None when nothing is left to learn."""
    n = len(ids)
    input_ids = np.asarray(ids, dtype=np.int64)
    learn_next = np.zeros(n, dtype=bool)
    learn_next[:-1] = np.asarray(learn[1:], dtype=bool)
    targets = np.full(n, IGNORE, dtype=np.int64)
    targets[learn_next] = input_ids[1:][learn_next[:-1]]
    target_bytes = np.zeros(n, dtype=np.int32)
    target_bytes[:-1] = np.asarray(nbytes[1:], dtype=np.int32)
    target_bytes[~learn_next] = 0
    truncated = n > max_len
    if truncated:
        input_ids, targets, target_bytes = input_ids[:max_len], targets[:max_len], target_bytes[:max_len]
    if not (targets != IGNORE).any():
        return None
    return Encoded(input_ids, targets, target_bytes, truncated)


def split_for_generation(messages: Sequence[Message]) -> tuple[list[Message], str]:
    """The turns before the last assistant turn, and that turn's text (the reference answer)."""
    last = max(i for i, m in enumerate(messages) if m.role == "assistant")
    return list(messages[:last]), messages[last].content


class ChatEncoder(ABC):
    """Turns conversations into training examples and generation prompts for one tokenizer."""

    vocab_size: int
    pad_id: int
    bos_id: int | None
    stop_ids: list[int]
    description: str

    @abstractmethod
    def encode(self, messages: Sequence[Message], max_len: int) -> Encoded | None: ...

    @abstractmethod
    def prompt_ids(self, messages: Sequence[Message]) -> list[int]:
        """Ids of ``messages`` followed by the assistant header: what greedy generation continues."""

    @abstractmethod
    def decode(self, ids: Sequence[int]) -> str: ...


class ByteChatEncoder(ChatEncoder):
    """The default template on the byte tokenizer: exact, one token per byte of text."""

    def __init__(self, tokenizer: ByteTokenizer | None = None) -> None:
        self.tokenizer = tokenizer or ByteTokenizer()
        self.vocab_size = self.tokenizer.vocab_size
        self.pad_id = self.tokenizer.pad_id
        self.bos_id = self.tokenizer.bos_id
        self.stop_ids = [self.tokenizer.end_id]
        self.description = "curator byte-level tokenizer, default chat template"

    def _turns(self, messages: Sequence[Message]) -> tuple[list[int], list[bool]]:
        tok = self.tokenizer
        ids, learn = [tok.bos_id], [False]
        for message in messages:
            content = tok.encode(message.content)
            trained = message.role == "assistant"
            ids += [tok.role_ids[message.role], 10, *content, tok.end_id, 10]
            learn += [False, False, *([trained] * len(content)), trained, False]
        return ids, learn

    def encode(self, messages: Sequence[Message], max_len: int) -> Encoded | None:
        ids, learn = self._turns(messages)
        nbytes = [1 if i < 256 else 0 for i in ids]
        return finish(ids, learn, nbytes, max_len)

    def prompt_ids(self, messages: Sequence[Message]) -> list[int]:
        ids, _ = self._turns(messages)
        return [*ids, self.tokenizer.role_ids["assistant"], 10]

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids))


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _bytes_per_token(
    text: str, offsets: Sequence[tuple[int, int]], ranges: Sequence[tuple[int, int]]
) -> list[int]:
    """Bytes of ``text`` inside ``ranges`` that each token covers; overlapping offsets count once."""
    out, seen = [], 0
    for start, end in offsets:
        start = max(start, seen)
        count = 0
        if end > start:
            for low, high in ranges:
                a, b = max(start, low), min(end, high)
                if b > a:
                    count += _utf8_len(text[a:b])
            seen = end
        out.append(count)
    return out


class HFChatEncoder(ChatEncoder):
    """A Hugging Face (fast) tokenizer, with its chat template or the default one."""

    def __init__(self, tokenizer: Any, extra_stop_ids: Sequence[int] = ()) -> None:
        if not getattr(tokenizer, "is_fast", True):
            raise CuratorError(
                f"tokenizer {type(tokenizer).__name__} is a slow (Python) tokenizer; curator train needs a "
                f"fast one (a tokenizer.json in the model folder) to map tokens to characters"
            )
        self.tokenizer = tokenizer
        self._markup: dict[str, list[int]] = {}
        self.vocab_size = len(tokenizer)
        self.template = bool(getattr(tokenizer, "chat_template", None))
        eos = tokenizer.eos_token_id
        if not self.template and eos is None:
            raise CuratorError(
                "the tokenizer has neither a chat template nor an EOS token; curator cannot mark where an "
                "answer ends"
            )
        pad = tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else (eos if eos is not None else 0)
        self.bos_id = tokenizer.bos_token_id
        stops = {eos} if eos is not None else set()
        vocab = tokenizer.get_vocab()
        for marker in ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "</s>"):
            if marker in vocab and self.template:
                stops.add(vocab[marker])
        stops.update(i for i in extra_stop_ids if i is not None)
        self.stop_ids = sorted(stops)
        name = getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__
        self.description = f"{name} tokenizer, " + (
            "its own chat template" if self.template else "default chat template"
        )

    # -- the tokenizer's chat template -------------------------------------------------------------
    def _render(self, messages: Sequence[Message], generation_prompt: bool) -> str:
        conversation = [{"role": m.role, "content": m.content} for m in messages]
        try:
            text = self.tokenizer.apply_chat_template(
                conversation, tokenize=False, add_generation_prompt=generation_prompt
            )
        except Exception as exc:  # jinja2 TemplateError, or the template's raise_exception()
            roles = "/".join(m.role for m in messages)
            raise CuratorError(
                f"the tokenizer's chat template cannot render a {roles} conversation: {exc}"
            ) from None
        return text if isinstance(text, str) else str(text)

    def _template_spans(
        self, messages: Sequence[Message]
    ) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
        full = self._render(messages, False)
        spans: list[tuple[int, int]] = []  # learned characters (answer + end-of-turn markup)
        content: list[tuple[int, int]] = []  # the answers' own characters (for bytes)
        cursor = 0
        for index, message in enumerate(messages):
            if message.role != "assistant":
                continue
            before = self._render(messages[:index], True) if index else ""
            through = self._render(messages[: index + 1], False)
            if full.startswith(through) and through.startswith(before) and len(through) > len(before):
                spans.append((len(before), len(through)))
                found = through.find(message.content, len(before))
                if message.content and found != -1:
                    content.append((found, found + len(message.content)))
                cursor = len(through)
                continue
            found = full.find(message.content, cursor)
            if message.content and found != -1:  # not prefix-consistent: learn the answer where it appears
                spans.append((found, found + len(message.content)))
                content.append(spans[-1])
                cursor = found + len(message.content)
        return full, spans, content

    def _tokens(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        encoding = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return list(encoding["input_ids"]), [tuple(o) for o in encoding["offset_mapping"]]

    # -- the default template on a Hugging Face tokenizer --------------------------------------------
    def _fixed(self, text: str) -> list[int]:
        """Ids of a fixed piece of markup, tokenised once (role headers and newlines recur per turn)."""
        if text not in self._markup:
            self._markup[text] = self._tokens(text)[0]
        return self._markup[text]

    def _default_parts(self, messages: Sequence[Message]) -> tuple[list[int], list[bool], list[int]]:
        tok = self.tokenizer
        ids: list[int] = [tok.bos_token_id] if tok.bos_token_id is not None else []
        learn = [False] * len(ids)
        nbytes = [0] * len(ids)
        newline = self._fixed("\n")
        for message in messages:
            header = self._fixed(f"<|{message.role}|>\n")
            trained = message.role == "assistant"
            body, offsets = self._tokens(message.content)
            body_bytes = _bytes_per_token(message.content, offsets, [(0, len(message.content))])
            ids += [*header, *body, tok.eos_token_id, *newline]
            learn += [False] * len(header) + [trained] * (len(body) + 1) + [False] * len(newline)
            nbytes += [0] * len(header) + body_bytes + [0] * (1 + len(newline))
        return ids, learn, nbytes

    def encode(self, messages: Sequence[Message], max_len: int) -> Encoded | None:
        if not self.template:
            return finish(*self._default_parts(messages), max_len)
        text, spans, content = self._template_spans(messages)
        ids, offsets = self._tokens(text)
        learn = [any(low <= start < high for low, high in spans) for start, _ in offsets]
        nbytes = _bytes_per_token(text, offsets, content)
        return finish(ids, learn, nbytes, max_len)

    def prompt_ids(self, messages: Sequence[Message]) -> list[int]:
        if self.template:
            return self._tokens(self._render(messages, True))[0]
        ids, _, _ = self._default_parts(messages)
        return ids + self._tokens("<|assistant|>\n")[0]

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)
