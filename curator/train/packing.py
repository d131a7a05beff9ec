"""Whole examples packed into fixed-length rows, with position ids that restart at each example.

A row never splits an example. Positions restart at 0 for every example (and for the padding at
the end of a row), which is how the attention code keeps examples apart: transformers turns reset
position ids into per-example (block-diagonal causal) attention for SDPA/eager, and into
variable-length sequences for flash-attention. ``block_diagonal_mask`` builds the same mask
explicitly for models that do not read packing from position ids; ``curator.train.loop`` checks
once per model which of the two keeps packed examples independent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from curator.train.chat import IGNORE, Encoded

MAX_OPEN_ROWS = 64  # first-fit looks at this many unfinished rows: dense rows, near the data order


@dataclass(slots=True)
class Rows:
    input_ids: np.ndarray  # [rows, seq_len] int64
    targets: np.ndarray  # [rows, seq_len] int64, IGNORE where nothing is learned
    target_bytes: np.ndarray  # [rows, seq_len] int32
    position_ids: np.ndarray  # [rows, seq_len] int64
    real: np.ndarray  # [rows, seq_len] bool: a token of an example, not padding

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def real_tokens(self) -> int:
        return int(self.real.sum())


def assign_rows(lengths: Sequence[int], seq_len: int, pack: bool = True) -> list[list[int]]:
    """Example indices per row: first fit over the open rows, in the given order; one per row unpacked."""
    if not pack:
        return [[i] for i in range(len(lengths))]
    rows: list[list[int]] = []
    space: list[int] = []  # free positions of each open row, aligned with open_rows
    open_rows: list[int] = []
    for index, length in enumerate(lengths):
        for slot, free in enumerate(space):
            if length <= free:
                rows[open_rows[slot]].append(index)
                space[slot] -= length
                if space[slot] < 8:  # too small for any real example: close it
                    del space[slot], open_rows[slot]
                break
        else:
            rows.append([index])
            if len(open_rows) == MAX_OPEN_ROWS:
                del space[0], open_rows[0]
            open_rows.append(len(rows) - 1)
            space.append(seq_len - length)
    return rows


def pack(examples: Sequence[Encoded], seq_len: int, pad_id: int, pack: bool = True) -> Rows:
    """Pack examples (each at most ``seq_len`` long) into rows of exactly ``seq_len`` positions."""
    return pack_layout(examples, assign_rows([len(e) for e in examples], seq_len, pack), seq_len, pad_id)


def pack_layout(
    examples: Sequence[Encoded], layout: Sequence[Sequence[int]], seq_len: int, pad_id: int
) -> Rows:
    """The rows ``layout`` describes (indices into ``examples``, in row order), built from the examples.

    Only the examples of these rows are read: training packs one batch at a time from a
    memory-mapped store (:mod:`curator.train.store`) instead of materialising an epoch.
    """
    n = len(layout)
    input_ids = np.full((n, seq_len), pad_id, dtype=np.int64)
    targets = np.full((n, seq_len), IGNORE, dtype=np.int64)
    target_bytes = np.zeros((n, seq_len), dtype=np.int32)
    position_ids = np.zeros((n, seq_len), dtype=np.int64)
    real = np.zeros((n, seq_len), dtype=bool)
    for row, members in enumerate(layout):
        at = 0
        for index in members:
            example = examples[index]
            end = at + len(example)
            input_ids[row, at:end] = example.input_ids
            targets[row, at:end] = example.targets
            target_bytes[row, at:end] = example.target_bytes
            position_ids[row, at:end] = np.arange(len(example))
            real[row, at:end] = True
            at = end
        position_ids[row, at:] = np.arange(seq_len - at)  # padding is a segment of its own
    return Rows(input_ids, targets, target_bytes, position_ids, real)


def segment_ids(position_ids: Any) -> Any:
    """Per-position segment number (torch): a new segment wherever the position does not go up by one."""
    import torch

    starts = torch.ones_like(position_ids, dtype=torch.bool)
    starts[:, 1:] = position_ids[:, 1:] != position_ids[:, :-1] + 1
    return starts.long().cumsum(-1)


def block_diagonal_mask(position_ids: Any, dtype: Any) -> Any:
    """4-D mask [batch, 1, L, L], causal within each segment: boolean (True = attend) for
    ``dtype=torch.bool``, else additive (0 or the dtype's minimum) for eager attention."""
    import torch

    segments = segment_ids(position_ids)
    length = position_ids.shape[-1]
    causal = torch.ones(length, length, dtype=torch.bool, device=position_ids.device).tril()
    allowed = (segments[:, :, None] == segments[:, None, :]) & causal
    if dtype == torch.bool:  # SDPA: True where attention is allowed
        return allowed[:, None]
    mask = torch.zeros(allowed.shape, dtype=dtype, device=position_ids.device)
    mask.masked_fill_(~allowed, torch.finfo(dtype).min)
    return mask[:, None]
