"""The tokenizers of the proxy presets.

* **byte** (the default of ``curator train``): 256 byte ids plus a few special tokens. No
  vocabulary file and no download: every UTF-8 text encodes, and one token is one byte, so a proxy
  model's loss per token is directly its loss per byte. Saved next to a trained proxy model as
  ``curator_tokenizer.json`` so the folder can be loaded again with ``--model FOLDER``.
* **bpe** (:func:`train_bpe`): a byte-level BPE learnt by the ``tokenizers`` library from the
  training texts themselves, with the same special tokens — about 4 bytes of English per token
  at 2,048 tokens, so a model reads 4× fewer positions for the same text (what makes a proxy
  cheap to score with). Byte-level, so every text still encodes; deterministic for the same texts
  in the same order; saved as a Hugging Face ``tokenizer.json`` and loaded like any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

TOKENIZER_FILE = "curator_tokenizer.json"

SPECIALS: tuple[str, ...] = (
    "<|bos|>",
    "<|end|>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|tool|>",
    "<|pad|>",
)


class ByteTokenizer:
    """UTF-8 bytes are ids 0-255; special tokens follow. ``vocab_size`` is rounded up to a multiple of 8."""

    name = "curator-byte"

    def __init__(self) -> None:
        self.special_ids = {token: 256 + index for index, token in enumerate(SPECIALS)}
        self.bos_id = self.special_ids["<|bos|>"]
        self.end_id = self.special_ids["<|end|>"]
        self.pad_id = self.special_ids["<|pad|>"]
        self.role_ids = {
            role: self.special_ids[f"<|{role}|>"] for role in ("system", "user", "assistant", "tool")
        }
        self.vocab_size = (256 + len(SPECIALS) + 7) // 8 * 8

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: list[int]) -> str:
        """Text of the byte ids (special tokens are skipped; a cut multi-byte character becomes U+FFFD)."""
        return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")

    def save(self, folder: Path) -> None:
        data = {"type": self.name, "version": 1, "specials": list(SPECIALS), "vocab_size": self.vocab_size}
        (Path(folder) / TOKENIZER_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def is_saved_in(cls, folder: Path) -> bool:
        return (Path(folder) / TOKENIZER_FILE).is_file()


def train_bpe(texts: Iterable[str], vocab_size: int) -> Any:
    """A byte-level BPE ``PreTrainedTokenizerFast`` with ``vocab_size`` tokens (the specials included),
    learnt from ``texts``. The role markers are special tokens, so the default chat template puts
    one token per marker, as with the byte tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    # No prefix space and no offset trimming: a token's offsets cover exactly the text it carries,
    # which is what bits per byte counts.
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIALS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<|bos|>",
        eos_token="<|end|>",
        pad_token="<|pad|>",
        additional_special_tokens=[t for t in SPECIALS if t not in ("<|bos|>", "<|end|>", "<|pad|>")],
    )
