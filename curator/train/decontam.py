"""Keep eval answers out of training: drop training records that overlap an eval set.

``find_overlap`` is the one switch: it uses the decontamination stage's check
(``curator.stages.decontaminate.find_contamination``: word n-grams of the normalised
conversation; eval items shorter than ``ngram`` words matched whole from 8 words) when that module
is there, and a built-in check otherwise. The built-in check flags a training record when it shares a word
13-gram (``ngram``) with an eval record (prompt and reference answer, NFKC lower-cased words), or
when its prompt equals an eval prompt of at least four words. Texts shorter than ``ngram`` words
are only caught by the prompt check.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from curator.records import InstructionRecord

_WORD = re.compile(r"\w+")
MIN_PROMPT_WORDS = 4


@dataclass(slots=True)
class Overlap:
    method: str
    ngram: int
    train_ids: set[str]
    eval_ids: set[str]
    eval_unchecked: int = 0  # eval items too short for the check


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def _grams(words: Sequence[str], n: int) -> Iterable[int]:
    return (hash(tuple(words[i : i + n])) for i in range(len(words) - n + 1))


def _prompt(record: InstructionRecord) -> tuple[str, ...]:
    return tuple(_words("\n".join(m.content for m in record.messages if m.role == "user")))


def builtin_overlap(
    train: Iterable[InstructionRecord], evals: Iterable[InstructionRecord], ngram: int = 13
) -> Overlap:
    eval_grams: dict[int, str] = {}
    eval_prompts: dict[tuple[str, ...], str] = {}
    for record in evals:
        words = _words("\n".join(m.content for m in record.messages))
        for gram in _grams(words, ngram):
            eval_grams.setdefault(gram, record.id)
        prompt = _prompt(record)
        if len(prompt) >= MIN_PROMPT_WORDS:
            eval_prompts.setdefault(prompt, record.id)
    train_ids: set[str] = set()
    eval_ids: set[str] = set()
    for record in train:
        hit = eval_prompts.get(_prompt(record))
        if hit is None:
            words = _words("\n".join(m.content for m in record.messages))
            hit = next((eval_grams[g] for g in _grams(words, ngram) if g in eval_grams), None)
        if hit is not None:
            train_ids.add(record.id)
            eval_ids.add(hit)
    return Overlap(f"built-in word {ngram}-gram + prompt match", ngram, train_ids, eval_ids)


def _ids(result: Any, names: tuple[str, ...]) -> set[str] | None:
    for name in names:
        value = getattr(result, name, None)
        if value is None and isinstance(result, dict):
            value = result.get(name)
        if value is not None:
            return {str(v) for v in value}
    return None


def find_overlap(
    train: Sequence[InstructionRecord], evals: Sequence[InstructionRecord], ngram: int = 13
) -> Overlap:
    """Training ids that overlap the eval records, and the eval ids they hit."""
    try:
        from curator.stages.decontaminate import find_contamination  # type: ignore[import-not-found]
    except ImportError:
        return builtin_overlap(train, evals, ngram)
    result = find_contamination(train, evals, ngram=ngram)
    train_ids = _ids(result, ("contaminated_train_ids", "train_ids", "contaminated_ids", "contaminated"))
    eval_ids = _ids(result, ("hit_eval_ids", "eval_ids", "eval_hits", "matched_eval_ids"))
    if train_ids is None:  # an interface this module does not know yet: stay correct with the built-in check
        return builtin_overlap(train, evals, ngram)
    unchecked = len(getattr(result, "eval_unchecked_ids", []) or [])
    return Overlap(f"decontaminate stage, word {ngram}-gram", ngram, train_ids, eval_ids or set(), unchecked)
