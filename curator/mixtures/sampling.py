"""The maths of a mixture: group shares, per-group budgets, and which records fill them.

Sampling is *stratified*: each group gets a quota (size × share, rounded by largest remainder so
quotas add up to the size exactly), filled by a seeded permutation of the group's records:

* quota ≤ what exists: the first records of the permutation, without replacement;
* quota > what exists: every record ``floor(quota / available)`` times (whole epochs), then a
  partial epoch drawn without replacement; capped at ``max_epochs`` (the cap and the shortfall
  are reported);
* for a token budget, the partial epoch stops at the record that brings the count closest to
  the budget, so a group is off by at most half of one record's tokens.

So a records mixture meets its shares exactly up to rounding (|effective − requested| ≤ 1/size),
well inside multinomial sampling error (√(p(1−p)/n)). Each group has its own random stream,
derived from (seed, mixture, group): adding a group or changing another group's weight does not
change which records a group contributes.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np


def stable_int(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def rng_for(seed: int, *names: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFFFFFFFFFF, *map(stable_int, names)]))


def shares(
    available: dict[str, float],
    weights: dict[str, float] | None,
    temperature: float | None,
) -> tuple[dict[str, float], dict[str, float]]:
    """(requested shares as configured, shares used over groups that have records), each summing to 1.

    ``available`` maps each group present in the pool to its units. Without weights or a
    temperature the shares are the groups' natural proportions.
    """
    if weights is not None:
        default = weights.get("*", 0.0)
        raw = {g: w for g, w in weights.items() if g != "*"}
        for group in available:
            raw.setdefault(group, default)
    elif temperature is not None:
        raw = {g: units ** (1.0 / temperature) for g, units in available.items() if units > 0}
    else:
        raw = {g: units for g, units in available.items() if units > 0}
    raw = {g: w for g, w in raw.items() if w > 0}
    total = sum(raw.values())
    requested = {g: w / total for g, w in sorted(raw.items())} if total else {}
    usable = {g: w for g, w in raw.items() if available.get(g, 0) > 0}
    usable_total = sum(usable.values())
    used = {g: w / usable_total for g, w in sorted(usable.items())} if usable_total else {}
    return requested, used


def natural_size(available: dict[str, float], used: dict[str, float]) -> float:
    """The largest size at which no group needs more than it has (no upsampling)."""
    return min((available[g] / p for g, p in used.items() if p > 0), default=0.0)


def quotas(size: int, used: dict[str, float]) -> dict[str, int]:
    """Integer quotas that add up to ``size`` exactly (largest remainder; ties by group name)."""
    exact = {g: size * p for g, p in used.items()}
    floors = {g: math.floor(x) for g, x in exact.items()}
    short = size - sum(floors.values())
    for g in sorted(exact, key=lambda g: (-(exact[g] - floors[g]), g))[:short]:
        floors[g] += 1
    return floors


@dataclass(slots=True)
class GroupResult:
    available_records: int
    available_units: int
    target_units: float
    selected_units: int = 0
    selected_records: int = 0  # with repeats
    unique_records: int = 0
    capped: bool = False

    @property
    def epochs(self) -> float:
        return self.selected_units / self.available_units if self.available_units else 0.0


def fill_group(
    indices: np.ndarray,
    units: np.ndarray,
    target: float,
    max_epochs: float,
    rng: np.random.Generator,
    counts: np.ndarray,
    *,
    whole_units: bool,
) -> GroupResult:
    """Add the group's copies to ``counts`` (copies per pool record) to meet ``target`` units."""
    group_units = units[indices]
    total = int(group_units.sum())
    result = GroupResult(len(indices), total, float(target))
    if total == 0 or target <= 0:
        return result
    cap = max_epochs * total
    if target > cap:
        target, result.capped = (math.floor(cap) if whole_units else cap), True
    full = int(target // total)
    remainder = target - full * total
    if full:
        counts[indices] += full
    order = rng.permutation(len(indices))
    if remainder > 0:
        if whole_units and np.all(group_units == 1):
            take = round(remainder)
        else:
            cumulative = np.cumsum(group_units[order])
            take = int(np.searchsorted(cumulative, remainder, side="left"))
            # take records [0, take] if that lands closer to the budget than stopping before it
            if take < len(order):
                before = cumulative[take - 1] if take > 0 else 0
                if cumulative[take] - remainder <= remainder - before:
                    take += 1
        chosen = indices[order[:take]]
        counts[chosen] += 1
    picked = counts[indices]
    result.selected_records = int(picked.sum())
    result.unique_records = int(np.count_nonzero(picked))
    result.selected_units = int((picked * group_units).sum())
    return result
