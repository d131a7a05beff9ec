"""Charts as inline SVG, written directly: bar (vertical or horizontal), histogram, waterfall, stacked.

No plotting library: an SVG of a few dozen rectangles is a few kilobytes, renders in
milliseconds, stays sharp at any zoom, takes its colours from the page's CSS (light and dark),
and its text stays selectable and searchable. Every bar has a <title> tooltip with its exact
value. Charts are drawn at the pixel width they are shown at, so text is always 12 px.
"""

from __future__ import annotations

from html import escape

from curator.report.base import Chart

_FONT = 12
_CHAR = _FONT * 0.6  # average glyph width of the UI font, for layout


def number(value: float) -> str:
    """Exact, with thousands separators: 52002 → '52,002', 12.5 → '12.5'."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def short(value: float) -> str:
    """Compact for labels on bars: 52002 → '52k', 1234 → '1.2k', 999 → '999'."""
    magnitude = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            scaled = value / limit
            text = f"{scaled:.1f}" if abs(scaled) < 10 else f"{scaled:.0f}"
            return (text[:-2] if text.endswith(".0") else text) + suffix
    return number(round(value, 2))


def _ticks(top: float) -> list[float]:
    """Round tick values from 0 to at least ``top`` (about four steps)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / 4
    power = 1.0
    while power * 10 <= raw:
        power *= 10
    while power > raw:
        power /= 10
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks, value = [0.0], 0.0
    while value < top - 1e-9:
        value += step
        ticks.append(value)
    return ticks


def _fit(text: str, width: float) -> str:
    chars = max(3, int(width / _CHAR))
    return text if len(text) <= chars else text[: chars - 1] + "…"


def render_chart(chart: Chart, width: int = 460) -> str:
    if chart.kind == "waterfall":
        return _waterfall(chart, width)
    if chart.kind == "stacked":
        return _stacked(chart, width)
    if not chart.values:
        return _svg(width, 40, ['<text x="8" y="24" class="muted">no data</text>'], chart.title)
    longest = max(len(label) for label in chart.labels)
    if chart.kind == "bar" and (longest * _CHAR > width / len(chart.labels) * 0.9 or len(chart.labels) > 12):
        return _horizontal(chart, width)
    return _vertical(chart, width)


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    return (
        f'<svg class="chart" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" font-size="{_FONT}">'
        + "".join(body)
        + "</svg>"
    )


def _grid(body: list[str], ticks: list[float], left: float, right: float, top: float, plot_h: float) -> float:
    scale = plot_h / ticks[-1]
    for tick in ticks:
        y = top + plot_h - tick * scale
        body.append(f'<line class="grid" x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{short(tick)}</text>'
        )
    return scale


def _vertical(chart: Chart, width: int) -> str:
    n = len(chart.values)
    left, right, top, bottom = 48, 10, 22, 40
    height = 230
    plot_w, plot_h = width - left - right, height - top - bottom
    body: list[str] = []
    scale = _grid(body, _ticks(max(chart.values)), left, width - right, top, plot_h)
    slot = plot_w / n
    bar_w = min(max(2.0, slot * 0.9), 90.0) if chart.kind == "histogram" else min(max(2.0, slot * 0.66), 56.0)
    widest = max(len(label) for label in chart.labels) * _CHAR + 6
    every = max(1, -(-int(widest) // max(1, int(slot))))  # label every k-th bar so labels never overlap
    for i, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        x = left + i * slot + (slot - bar_w) / 2
        h = max(value, 0.0) * scale
        y = top + plot_h - h
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="2">'
            f"<title>{escape(label)}: {number(value)}</title></rect>"
        )
        if value and len(short(value)) * _CHAR * 0.9 <= slot + 2:
            body.append(
                f'<text class="value" x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
                f"{short(value)}</text>"
            )
        if i % every == 0:
            body.append(
                f'<text class="tick" x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 15}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    body.append(
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}"/>'
    )
    for marker in chart.markers:  # thresholds: a dashed line with its label at the top
        x = left + min(max(marker.at, 0.0), n) * slot
        body.append(
            f'<line class="axis" stroke-dasharray="4 3" x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" '
            f'y2="{top + plot_h}"><title>{escape(marker.label)}</title></line>'
        )
        body.append(f'<text class="muted" x="{x + 3:.1f}" y="{top + 6}">{escape(marker.label)}</text>')
    if chart.x_label:
        body.append(
            f'<text class="muted" x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
            f"{escape(chart.x_label)}</text>"
        )
    if chart.y_label:
        body.append(f'<text class="muted" x="{left - 40}" y="{top - 9}">{escape(chart.y_label)}</text>')
    return _svg(width, height, body, chart.title)


def _horizontal(chart: Chart, width: int) -> str:
    n = len(chart.values)
    label_w = min(width * 0.42, max(len(label) for label in chart.labels) * _CHAR + 14)
    value_w = max(len(number(v)) for v in chart.values) * _CHAR + 12
    left, top, row = label_w, 6, 24
    height = top + n * row + 6
    plot_w = width - left - value_w
    peak = max(chart.values) or 1.0
    body = []
    for i, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        y = top + i * row
        w = max(plot_w * max(value, 0.0) / peak, 1.0)
        body.append(
            f'<text class="label" x="{left - 8:.1f}" y="{y + row / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(_fit(label, label_w - 12))}<title>{escape(label)}</title></text>"
        )
        body.append(
            f'<rect class="bar" x="{left:.1f}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" rx="2">'
            f"<title>{escape(label)}: {number(value)}</title></rect>"
        )
        body.append(
            f'<text class="value" x="{left + w + 6:.1f}" y="{y + row / 2 + 4:.1f}">{number(value)}</text>'
        )
    return _svg(width, height, body, chart.title)


def _stacked(chart: Chart, width: int) -> str:
    """One horizontal 100% bar per label, split by ``series``; a legend on top."""
    n = len(chart.labels)
    names = [s.name for s in chart.series]
    label_w = min(width * 0.35, max((len(label) for label in chart.labels), default=4) * _CHAR + 14)
    total_w = max((len(number(v)) for v in chart.values), default=1) * _CHAR + 14
    left, top, row = label_w, 30, 26
    height = top + n * row + 6
    plot_w = width - left - total_w
    body = []
    x = left
    for k, name in enumerate(names):  # legend
        body.append(f'<rect class="s{k}" x="{x:.1f}" y="6" width="10" height="10" rx="2"/>')
        body.append(f'<text class="tick" x="{x + 14:.1f}" y="15">{escape(name)}</text>')
        x += 14 + len(name) * _CHAR + 16
    for i, label in enumerate(chart.labels):
        y = top + i * row
        total = sum(s.values[i] for s in chart.series) or 1.0
        body.append(
            f'<text class="label" x="{left - 8:.1f}" y="{y + row / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(_fit(label, label_w - 12))}<title>{escape(label)}</title></text>"
        )
        x = left
        for k, series in enumerate(chart.series):
            value = series.values[i]
            if value <= 0:
                continue
            w = plot_w * value / total
            pct = 100.0 * value / total
            body.append(
                f'<rect class="s{k}" x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row - 8}">'
                f"<title>{escape(label)}, {escape(series.name)}: {number(value)} ({pct:.1f}%)</title></rect>"
            )
            if w > 34:
                body.append(
                    f'<text class="inbar" x="{x + w / 2:.1f}" y="{y + row / 2 + 4:.1f}" text-anchor="middle">'
                    f"{pct:.0f}%</text>"
                )
            x += w
        body.append(
            f'<text class="value" x="{left + plot_w + 6:.1f}" y="{y + row / 2 + 4:.1f}">'
            f"{number(chart.values[i])}</text>"
        )
    return _svg(width, height, body, chart.title)


def _waterfall(chart: Chart, width: int) -> str:
    """values[0] = start total, then one (negative) change per step; a final 'kept' bar is added."""
    if not chart.values:
        return _svg(width, 40, ['<text x="8" y="24" class="muted">no data</text>'], chart.title)
    steps = list(zip(chart.labels, chart.values, strict=True))
    total = chart.values[0]
    bars: list[tuple[str, float, float, str, float]] = [(steps[0][0], 0.0, total, "total", total)]
    level = total
    for label, change in steps[1:]:
        new = level + change
        bars.append((label, min(level, new), max(level, new), "loss" if change < 0 else "gain", change))
        level = new
    bars.append(("kept", 0.0, level, "kept", level))
    n = len(bars)
    left, right, top, bottom = 52, 10, 26, 34
    height = 270
    plot_w, plot_h = width - left - right, height - top - bottom
    body: list[str] = []
    scale = _grid(body, _ticks(max(total, level, 1.0)), left, width - right, top, plot_h)
    slot = plot_w / n
    bar_w = min(slot * 0.62, 90.0)
    for i, (label, low, high, kind, amount) in enumerate(bars):
        x = left + i * slot + (slot - bar_w) / 2
        y_high = top + plot_h - high * scale
        h = (high - low) * scale
        if kind in ("total", "kept"):
            shown = number(amount)
        elif amount == 0:
            shown = "0"
        else:
            shown = ("−" if amount < 0 else "+") + number(abs(amount))
        body.append(
            f'<rect class="wf-{kind}" x="{x:.1f}" y="{y_high:.1f}" width="{bar_w:.1f}" '
            f'height="{max(h, 1.5):.1f}" '
            f'rx="2"><title>{escape(label)}: {shown}</title></rect>'
        )
        if i + 1 < n:  # a dashed connector at the level after this step
            level_y = top + plot_h - (low if kind == "loss" else high) * scale
            body.append(
                f'<line class="connector" x1="{x + bar_w:.1f}" x2="{x + slot:.1f}" '
                f'y1="{level_y:.1f}" y2="{level_y:.1f}"/>'
            )
        body.append(
            f'<text class="value wf-value-{kind}" x="{x + bar_w / 2:.1f}" y="{y_high - 6:.1f}" '
            f'text-anchor="middle">{shown}</text>'
        )
        body.append(
            f'<text class="tick" x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{escape(_fit(label, slot - 4))}<title>{escape(label)}</title></text>"
        )
    body.append(
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}"/>'
    )
    if chart.y_label:
        body.append(f'<text class="muted" x="{left - 44}" y="{top - 12}">{escape(chart.y_label)}</text>')
    return _svg(width, height, body, chart.title)
