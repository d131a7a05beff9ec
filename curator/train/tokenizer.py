"""The byte-level tokenizer of the proxy presets: 256 byte ids plus a few special tokens.

No vocabulary file and no download: every UTF-8 text encodes, and one token is one byte, so a
proxy model's loss per token is directly its loss per byte. Saved next to a trained proxy model as
``curator_tokenizer.json`` so the folder can be loaded again with ``--model FOLDER``.
"""

from __future__ import annotations

import json
from pathlib import Path

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
