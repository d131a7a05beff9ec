"""Batches by length: inputs sorted by token count, cut by a token budget, so padding is small
and a batch's cost is bounded whatever the lengths. Results come back in input order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


def length_batches(lengths: Sequence[int], max_batch: int, max_tokens: int) -> Iterator[np.ndarray]:
    """Index arrays, longest first, each with ≤ max_batch items and ≤ max_tokens padded tokens.

    The order is a stable sort on length (ties: input order), so batches — and therefore the
    floating-point results — depend only on the inputs, never on the worker count.
    """
    if not len(lengths):
        return
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    start = 0
    while start < len(order):
        longest = max(1, int(lengths[order[start]]))
        size = max(1, min(max_batch, max_tokens // longest))
        yield order[start : start + size]
        start += size
