"""Which member of a duplicate cluster is kept.

- ``first``: the earliest record in input order;
- ``longest_response``: the most characters in assistant turns;
- ``{source_priority: [a, b, ...]}``: the record of the earliest listed source (unlisted sources
  rank after all listed ones);
- ``{highest: <path>}``: the largest number at a dotted path into the record's ``annotations``
  or ``meta`` (``annotations.extra.quality.score``, ``annotations.language_score``,
  ``meta.rating``); a record without a number there ranks last.

Ties go to the earliest record in input order, so the choice never depends on shard boundaries
or worker count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from curator.records import InstructionRecord

_STRICT = ConfigDict(extra="forbid")


class SourcePriority(BaseModel):
    """Keep the record whose source comes first in this list."""

    model_config = _STRICT

    source_priority: list[str] = Field(min_length=1, description="Source names, most preferred first.")


class HighestAnnotation(BaseModel):
    """Keep the record with the highest number at this path (e.g. a quality score)."""

    model_config = _STRICT

    highest: str = Field(
        description="Dotted path into the record: annotations.<field>[.<key>...] or meta.<key>[...]."
    )

    @field_validator("highest")
    @classmethod
    def _path(cls, value: str) -> str:
        parts = value.split(".")
        if len(parts) < 2 or parts[0] not in ("annotations", "meta") or not all(parts):
            raise ValueError(
                f"{value!r}: expected a dotted path starting with annotations. or meta., "
                "e.g. annotations.extra.quality.score"
            )
        return value


def _keep_kind(value: Any) -> str | None:
    """Which form of keep policy ``value`` is, so an error names only that form's problem."""
    if isinstance(value, str):
        return "name"
    if isinstance(value, SourcePriority) or (isinstance(value, dict) and "source_priority" in value):
        return "source_priority"
    if isinstance(value, HighestAnnotation) or (isinstance(value, dict) and "highest" in value):
        return "highest"
    return None


KeepPolicy = Annotated[
    Annotated[Literal["first", "longest_response"], Tag("name")]
    | Annotated[SourcePriority, Tag("source_priority")]
    | Annotated[HighestAnnotation, Tag("highest")],
    Discriminator(
        _keep_kind,
        custom_error_type="keep_policy",
        custom_error_message="expected first, longest_response, {source_priority: [...]} "
        "or {highest: <path>}",
    ),
]


def keep_values(batch: Sequence[InstructionRecord], policy: KeepPolicy) -> np.ndarray | None:
    """Per record, a number where higher is preferred; None for ``first`` (input order alone)."""
    if policy == "first":
        return None
    if policy == "longest_response":
        values = [sum(len(m.content) for m in r.messages if m.role == "assistant") for r in batch]
    elif isinstance(policy, SourcePriority):
        rank = {name: index for index, name in enumerate(policy.source_priority)}
        unlisted = len(rank)
        values = [-rank.get(r.provenance.source, unlisted) for r in batch]
    elif isinstance(policy, HighestAnnotation):
        path = policy.highest.split(".")
        values = [_number_at(r, path) for r in batch]
    else:  # pragma: no cover - the config model admits nothing else
        raise ValueError(f"unknown keep policy {policy!r}")
    return np.array(values, dtype=np.float64)


def _number_at(record: InstructionRecord, path: list[str]) -> float:
    node: Any = record.annotations if path[0] == "annotations" else record.meta
    for key in path[1:]:
        if isinstance(node, BaseModel):
            node = getattr(node, key, None)
        elif isinstance(node, dict):
            node = node.get(key)
        else:
            return -math.inf
    if isinstance(node, bool) or not isinstance(node, int | float) or math.isnan(node):
        return -math.inf
    return float(node)


def choose_kept(members: np.ndarray, labels: np.ndarray, values: np.ndarray | None) -> np.ndarray:
    """For each member (global index, ascending) of a cluster (``labels``), the member kept.

    Returns an array aligned with ``members``: the global index of the kept record of its cluster.
    """
    if not len(members):
        return members.copy()
    keys = (members, labels) if values is None else (members, -values, labels)
    order = np.lexsort(keys)
    sorted_labels = labels[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_labels[1:] != sorted_labels[:-1]
    group = np.cumsum(first) - 1
    kept_sorted = members[order][first][group]
    kept = np.empty_like(members)
    kept[order] = kept_sorted
    return kept
