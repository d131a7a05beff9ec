"""Token counts for mixture budgets: whitespace words by default, or a local tokenizer.

A named tokenizer is a local folder: its ``tokenizer.json`` is read with `tokenizers` (no
transformers import needed); a folder without one goes through transformers' AutoTokenizer with
``local_files_only=True``. Nothing is ever downloaded, and a missing folder is an error before the
run starts (:func:`check_tokenizer`). Counts are the turns' tokens without special tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from curator.errors import CuratorError

WHITESPACE = "whitespace"


def tokenizer_path(spec: str, base_dir: Path) -> Path:
    path = Path(spec).expanduser()
    return path if path.is_absolute() else base_dir / path


def check_tokenizer(spec: str, base_dir: Path) -> None:
    """Raise CuratorError unless ``spec`` is 'whitespace' or a local tokenizer folder."""
    if spec == WHITESPACE:
        return
    path = tokenizer_path(spec, base_dir)
    if not path.is_dir():
        raise CuratorError(
            f"tokenizer {spec!r}: no such folder ({path}); name a local tokenizer folder (with "
            f"tokenizer.json or tokenizer_config.json) or use 'whitespace'; curator never downloads one"
        )
    if not any((path / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json", "vocab.json")):
        raise CuratorError(f"tokenizer {spec!r}: {path} holds no tokenizer.json or tokenizer_config.json")
    module = "tokenizers" if (path / "tokenizer.json").is_file() else "transformers"
    try:
        __import__(module)
    except ImportError:
        raise CuratorError(
            f"tokenizer {spec!r} needs the {module} package: pip install 'instruct-curator[train]' "
            f"(or use tokenizer: whitespace)"
        ) from None


class TokenCounter:
    """Counts the tokens of records' turns (all roles), in batches."""

    name: str = WHITESPACE

    def count(self, records: Sequence[dict[str, Any]]) -> list[int]:
        return [sum(len(m["content"].split()) for m in r["messages"]) for r in records]


class LocalTokenizerCounter(TokenCounter):
    """A local tokenizer: its tokenizer.json through `tokenizers` (light, fast), else transformers."""

    def __init__(self, spec: str, base_dir: Path) -> None:
        check_tokenizer(spec, base_dir)
        self.name = spec
        path = tokenizer_path(spec, base_dir)
        try:
            if (path / "tokenizer.json").is_file():
                from tokenizers import Tokenizer

                fast = Tokenizer.from_file(str(path / "tokenizer.json"))
                self._lengths = lambda texts: [
                    len(e.ids) for e in fast.encode_batch(texts, add_special_tokens=False)
                ]
            else:
                from transformers import AutoTokenizer

                slow = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
                self._lengths = lambda texts: [
                    len(ids) for ids in slow(texts, add_special_tokens=False)["input_ids"]
                ]
        except Exception as exc:  # tokenizers/transformers raise several kinds for a bad folder
            raise CuratorError(f"tokenizer {spec!r}: cannot load {path}: {exc}") from None

    def count(self, records: Sequence[dict[str, Any]]) -> list[int]:
        texts = [m["content"] for r in records for m in r["messages"]]
        if not texts:
            return [0] * len(records)
        lengths = self._lengths(texts)
        counts, position = [], 0
        for record in records:
            turns = len(record["messages"])
            counts.append(sum(lengths[position : position + turns]))
            position += turns
        return counts


def make_counter(spec: str, base_dir: Path) -> TokenCounter:
    return TokenCounter() if spec == WHITESPACE else LocalTokenizerCounter(spec, base_dir)
