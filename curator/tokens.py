"""Token counts as the trainer sees them: the model's tokenizer, its chat template applied.

``tokenizer:`` in a recipe names a local Hugging Face tokenizer folder, a ``tokenizer.json`` file,
a remote copy of either (s3://, gs://, hf://, https://: fetched once into curator's cache), or a
model id already in the local Hugging Face cache (a model id is never downloaded). Each record is
encoded exactly as ``curator train`` encodes it (``curator.train.chat.HFChatEncoder``: the
tokenizer's chat template, or the default template when it has none), giving two counts:
``total`` (every token of the rendered conversation) and ``assistant`` (the tokens a trainer
learns from). A tokenizer with neither a chat template nor an EOS token (a bare tokenizer.json)
counts the turns' own tokens, and says so in its label. Without a tokenizer, whitespace words
are the fallback, labelled as such wherever a count is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curator.errors import CuratorError
from curator.records import Message

WHITESPACE = "whitespace"
_NO_LIMIT = 1 << 40


@dataclass(frozen=True, slots=True)
class TokenCounts:
    total: int
    assistant: int


def _turns(record: Any) -> list[tuple[str, str]]:
    """(role, content) of a record given as an InstructionRecord, a dict or a list of messages."""
    messages = record.messages if hasattr(record, "messages") else (
        record["messages"] if isinstance(record, dict) else record
    )
    return [(m.role, m.content) if isinstance(m, Message) else (m["role"], m["content"]) for m in messages]


class TokenCounter:
    """Whitespace words: the fallback when no tokenizer is named."""

    name: str = WHITESPACE
    label: str = "whitespace words (no tokenizer named)"

    def counts(self, records: Sequence[Any]) -> list[TokenCounts]:
        out = []
        for record in records:
            turns = _turns(record)
            out.append(
                TokenCounts(
                    total=sum(len(content.split()) for _, content in turns),
                    assistant=sum(len(content.split()) for role, content in turns if role == "assistant"),
                )
            )
        return out

    def count(self, records: Sequence[Any]) -> list[int]:
        """Total tokens per record (mixture budgets)."""
        return [c.total for c in self.counts(records)]


class ChatTokenCounter(TokenCounter):
    """A Hugging Face tokenizer, through the SFT runner's own chat encoding."""

    def __init__(self, tokenizer: Any, name: str) -> None:
        from curator.train.chat import HFChatEncoder

        self.name = name
        self.tokenizer = tokenizer
        has_template = bool(getattr(tokenizer, "chat_template", None))
        usable = has_template or tokenizer.eos_token_id is not None  # what HFChatEncoder needs
        self.encoder = HFChatEncoder(tokenizer) if usable else None
        how = self.encoder.description if self.encoder else f"{name} tokenizer, turns only (no chat template)"
        self.label = f"tokens ({how})"

    def counts(self, records: Sequence[Any]) -> list[TokenCounts]:
        from curator.train.chat import IGNORE

        out = []
        for record in records:
            turns = _turns(record)
            if self.encoder is None:
                lengths = [len(self.tokenizer.encode(c, add_special_tokens=False)) for _, c in turns]
                assistant = sum(n for n, (role, _) in zip(lengths, turns, strict=True) if role == "assistant")
                out.append(TokenCounts(sum(lengths), assistant))
                continue
            messages = [Message.model_construct(role=role, content=content) for role, content in turns]
            encoded = self.encoder.encode(messages, _NO_LIMIT)
            if encoded is None:  # nothing to learn (no assistant text): the prompt still costs tokens
                ids = self.encoder.prompt_ids(messages)
                out.append(TokenCounts(len(ids), 0))
                continue
            out.append(TokenCounts(len(encoded.input_ids), int((encoded.targets != IGNORE).sum())))
        return out


def _local_path(spec: str, base_dir: Path) -> Path:
    path = Path(spec).expanduser()
    return path if path.is_absolute() else base_dir / path


def load_tokenizer(spec: str, base_dir: Path) -> Any:
    """A fast Hugging Face tokenizer from a folder, a tokenizer.json file or a cached id; never downloads."""
    try:
        import transformers
    except ImportError:
        raise CuratorError(
            f"tokenizer {spec!r} needs transformers: pip install 'instruct-curator[train]' "
            f"(or leave tokenizer out to count whitespace words)"
        ) from None
    from curator.io.remote import fetch, is_url

    path = fetch(spec)[0] if is_url(spec) else _local_path(spec, base_dir)  # s3://, hf://, https://: cached
    try:
        bare = (path / "tokenizer.json").is_file() and not (path / "tokenizer_config.json").is_file()
        if path.is_dir() and bare:
            path = path / "tokenizer.json"  # a folder holding only the `tokenizers` file
        if path.is_file():
            return transformers.PreTrainedTokenizerFast(tokenizer_file=str(path))
        if path.is_dir():
            return transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        if "/" in spec and not spec.startswith((".", "/", "~")):  # a Hub id: only from the local cache
            return transformers.AutoTokenizer.from_pretrained(spec, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise CuratorError(
            f"tokenizer {spec!r}: cannot load it ({exc}); curator never downloads one"
        ) from None
    raise CuratorError(
        f"tokenizer {spec!r}: no such file or folder ({path}) and not a model id; name a local tokenizer "
        f"folder, a tokenizer.json file, or a model id already in the Hugging Face cache; curator never "
        f"downloads one"
    )


def make_counter(spec: str | None, base_dir: Path) -> TokenCounter:
    if spec in (None, WHITESPACE):
        return TokenCounter()
    return ChatTokenCounter(load_tokenizer(spec, base_dir), spec)
