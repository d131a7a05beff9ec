"""Token counts for mixture budgets: whitespace words by default, or the model's tokenizer.

The counting itself lives in ``curator.tokens`` (chat template applied, as the trainer sees it);
this module keeps the names the mixture code uses and checks a named tokenizer before the run.
"""

from __future__ import annotations

from pathlib import Path

from curator.tokens import WHITESPACE, ChatTokenCounter, TokenCounter, load_tokenizer, make_counter

__all__ = ["WHITESPACE", "ChatTokenCounter", "TokenCounter", "check_tokenizer", "make_counter"]


def check_tokenizer(spec: str, base_dir: Path) -> None:
    """Raise CuratorError unless ``spec`` is 'whitespace' or a tokenizer that loads offline."""
    if spec != WHITESPACE:
        load_tokenizer(spec, base_dir)
