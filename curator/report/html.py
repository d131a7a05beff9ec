"""Render report.json as one self-contained HTML page (inline CSS and SVG; no scripts, fonts or
requests to anywhere), from the jinja2 template in ``templates/report.html.j2``."""

from __future__ import annotations

from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Any

from curator.report.base import Chart
from curator.report.charts import number, render_chart

TEMPLATES = Path(__file__).parent / "templates"
WIDE, HALF = 920, 440  # chart widths in CSS pixels: a full-width figure, half of the two-column grid

# Numeric columns that are measurements, not counts: no inline bars behind them.
_NO_BARS = ("median", "p90", "p99", "max", "mean", "seconds", "line", "row", "words", "chars", "records in")


@cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = _format_value
    return env


def _format_value(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return number(value)
    return str(value)


def _label(key: str) -> str:
    text = key.replace("_pct", " %").replace("_", " ")
    return text[:1].upper() + text[1:]


def _tile(key: str, value: Any) -> dict[str, str]:
    shown = _format_value(value)
    if key.endswith("_pct") and isinstance(value, (int, float)):
        shown += "%"
    return {"label": _label(key), "value": shown, "key": key}


def _table(table: dict[str, Any]) -> dict[str, Any]:
    columns = table["columns"]
    rows = table["rows"]
    numeric = [
        bool(rows) and all(isinstance(r[i], (int, float)) or r[i] is None for r in rows)
        for i in range(len(columns))
    ]
    bars = [
        numeric[i] and len(rows) > 1 and not any(word in columns[i].lower() for word in _NO_BARS)
        for i in range(len(columns))
    ]
    peaks = [
        max((abs(r[i]) for r in rows if isinstance(r[i], (int, float))), default=0) if bars[i] else 0
        for i in range(len(columns))
    ]
    out_rows = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            text = _format_value(value)
            if columns[i].startswith("%") and isinstance(value, (int, float)):
                text += "%"
            width = 0.0
            if bars[i] and isinstance(value, (int, float)) and peaks[i]:
                width = round(100.0 * abs(value) / peaks[i], 1)
            cells.append({"text": text, "numeric": numeric[i], "bar": width})
        out_rows.append(cells)
    return {"title": table["title"], "columns": columns, "numeric": numeric, "rows": out_rows}


def _examples(examples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
    for example in examples:
        groups.setdefault(example["title"], []).append(example)
    return [{"title": title, "entries": entries} for title, entries in groups.items()]


def _hero(document: dict[str, Any]) -> dict[str, Any]:
    overview = next((s for s in document["sections"] if s["key"] == "overview"), None)
    counts = (document.get("run") or {}).get("counts") or {}
    summary = overview["summary"] if overview else {}
    rows = summary.get("input_rows", counts.get("input_rows", 0)) or 0

    def part(key: str) -> int:
        return summary.get(key, counts.get(key, 0)) or 0

    def pct(n: int) -> float:
        if not rows:
            return 0.0
        value = 100.0 * n / rows
        return round(value, 2) if value >= 0.1 else float(f"{value:.2g}")

    kept, removed, rejected, flagged = part("kept"), part("removed"), part("rejected"), part("flagged")
    kpis = [
        {"label": "input rows", "value": number(rows), "note": "", "cls": "total"},
        {"label": "kept", "value": number(kept), "note": f"{pct(kept):g}%", "cls": "kept"},
        {"label": "removed", "value": number(removed), "note": f"{pct(removed):g}%", "cls": "removed"},
        {"label": "rejected", "value": number(rejected), "note": f"{pct(rejected):g}%", "cls": "rejected"},
        {
            "label": "kept but flagged",
            "value": number(flagged),
            "note": f"{pct(flagged):g}%",
            "cls": "flagged",
        },
    ]
    segments = [
        {"cls": cls, "label": label, "share": pct(n), "n": number(n)}
        for cls, label, n in (
            ("kept", "kept, clean", kept - flagged),
            ("flagged", "kept, flagged", flagged),
            ("removed", "removed", removed),
            ("rejected", "rejected", rejected),
        )
        if n
    ]
    holds = summary.get(
        "conservation", "holds" if (document["run"].get("conservation") or {}).get("holds") else "fails"
    )
    agrees = summary.get("matches_manifest", "yes")
    # Audits remove nothing: what matters is what each stage found, one card per stage that flagged.
    by_stage = next(
        (
            t["rows"]
            for t in (overview or {}).get("tables", [])
            if t["title"].startswith("Kept records flagged")
        ),
        [],
    )
    stage_cards = [
        {"label": f"flagged by {stage}", "value": number(n), "note": f"{pct(n):g}%", "cls": "flagged"}
        for stage, n, _ in by_stage
    ]
    if document.get("kind") == "audit":
        kpis = [kpis[0], {**kpis[1], "label": "valid records"}, kpis[3], *stage_cards]
        segments = []
    return {
        "kpis": kpis,
        "segments": segments,
        "holds": holds == "holds",
        "agrees": agrees == "yes",
        "stage_cards": stage_cards,
    }


def view_model(document: dict[str, Any]) -> dict[str, Any]:
    sections = []
    for section in document["sections"]:
        charts = []
        models = [Chart.model_validate(chart) for chart in section.get("charts", [])]
        for model in models:
            wide = (
                len(models) == 1
                or model.kind in ("waterfall", "stacked")
                or (model.kind == "bar" and len(model.labels) > 10)
            )
            width = WIDE if wide else HALF
            charts.append({"title": model.title, "svg": render_chart(model, width), "wide": wide})
        summary = section.get("summary") or {}
        tiles = [] if section["key"] == "overview" else [_tile(k, v) for k, v in summary.items()]
        sections.append(
            {
                "key": section["key"],
                "title": section["title"],
                "tiles": tiles,
                "notes": section.get("notes", []),
                "charts": charts,
                "tables": [_table(t) for t in section.get("tables", [])],
                "examples": _examples(section.get("examples", [])),
            }
        )
    run = document.get("run") or {}
    return {
        "doc": document,
        "title": document["title"],
        "kind": document["kind"],
        "hero": _hero(document),
        "sections": sections,
        "errors": document.get("errors", []),
        "stages": run.get("stages", []),
    }


def render_html(document: dict[str, Any]) -> str:
    """The report.json document as a self-contained HTML page."""
    return _environment().get_template("report.html.j2").render(**view_model(document))
