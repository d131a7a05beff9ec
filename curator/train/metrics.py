"""Task metrics for generated answers: ROUGE-L (F1 of the longest common subsequence) and exact match.

Tokens for ROUGE-L are lower-cased runs of letters and digits, as rouge-score's default tokenizer
makes them for English, except that CJK characters count one token each (rouge-score would drop
them), so Chinese or Japanese references score too. No stemming.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_SPACE = re.compile(r"\s+")
_EDGE = string.punctuation + "“”‘’«»。，！？ \t\n"


def rouge_tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (dynamic programming, one row at a time)."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1 in [0, 1]; 0 when either text has no tokens (1 when both are empty)."""
    pred, ref = rouge_tokens(prediction), rouge_tokens(reference)
    if not pred or not ref:
        return float(not pred and not ref)
    common = lcs_length(pred, ref)
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def normalize_answer(text: str) -> str:
    """NFKC, lower case, whitespace collapsed, punctuation and quotes trimmed from both ends."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip(_EDGE)


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(reference))
