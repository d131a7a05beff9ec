"""The line format of ``removed/<stage>.jsonl``: ``{stage, reason, detail, record}``.

``detail`` differs per stage (``duplicate_of`` and ``similarity`` for dedup, ``license`` for the
licence stage, …), so it is stored as JSON text: every removed file then has the same four
columns and ``datasets.load_dataset("json", data_files="removed/*.jsonl")`` loads them together.
Read it back with ``removed_detail``, which also accepts runs written before (a JSON object).
"""

from __future__ import annotations

from typing import Any

import orjson


def removed_entry(stage: str, reason: str, detail: Any, record: dict[str, Any]) -> dict[str, Any]:
    """One removed/ line (as a dict) with ``detail`` as JSON text, or None when there is none."""
    text = None if detail is None else orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode()
    return {"stage": stage, "reason": reason, "detail": text, "record": record}


def removed_detail(entry: dict[str, Any]) -> Any:
    """The stage's detail of a removed/ line, decoded."""
    detail = entry.get("detail")
    return orjson.loads(detail) if isinstance(detail, str) else detail
