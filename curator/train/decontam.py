"""Keep eval answers out of training: drop training records that overlap an eval set.

There is one decontamination check, the decontaminate stage's
(:func:`curator.stages.decontaminate.find_contamination`: word n-grams of the normalised text;
eval items shorter than ``ngram`` words matched whole from ``min_words``); training calls it and
reads its typed result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from curator.records import InstructionRecord
from curator.stages.decontaminate import find_contamination
from curator.stages.text import TextField


@dataclass(slots=True)
class Overlap:
    method: str
    ngram: int
    train_ids: set[str]
    eval_ids: set[str]
    eval_unchecked: int = 0  # eval items too short for the check


def find_overlap(
    train: Sequence[InstructionRecord],
    evals: Sequence[InstructionRecord],
    ngram: int = 13,
    *,
    text: TextField = "conversation",
    eval_text: TextField = "conversation",
    min_words: int = 8,
) -> Overlap:
    """Training ids that overlap the eval records, and the eval ids they hit."""
    result = find_contamination(
        train, evals, ngram=ngram, min_words=min_words, text=text, eval_text=eval_text
    )
    return Overlap(
        f"decontaminate stage, word {ngram}-gram",
        ngram,
        set(result.contaminated_train_ids),
        set(result.hit_eval_ids),
        len(result.eval_unchecked_ids),
    )
