"""The run report: its numbers equal the manifest's, the HTML is self-contained and shows them,
sections plug in and fail alone, charts and statistics are right, and a headless browser renders it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_DATA, write_recipe

from curator.cli import cli
from curator.pipeline import run_recipe
from curator.recipe import load_recipe
from curator.records import InstructionRecord
from curator.report.base import Chart, Outcome, ReportSection, SectionResult, Series
from curator.report.builder import build_report
from curator.report.charts import render_chart
from curator.report.html import render_html
from curator.report.stats import Distribution, Sample

# Stages that load NLP models (seconds each); their own tests cover their report sections.
SLOW_STAGES = ("language", "pii")


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample recipe over the sample data (minus model-loading stages), with its report."""
    import yaml

    folder = tmp_path_factory.mktemp("report")
    data = shutil.copytree(SAMPLE_DATA, folder / "sample_data")
    recipe = yaml.safe_load((SAMPLE_DATA / "recipe.yaml").read_text(encoding="utf-8"))
    recipe["stages"] = [s for s in recipe["stages"] if s["type"] not in SLOW_STAGES]
    (data / "recipe.yaml").write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    out = folder / "run"
    run_recipe(load_recipe(data / "recipe.yaml"), out)
    return out


def section(report: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in report["sections"] if s["key"] == key)


def table(sec: dict[str, Any], prefix: str) -> list[list[Any]]:
    return next(t["rows"] for t in sec["tables"] if t["title"].startswith(prefix))


def test_sample_report_numbers_equal_the_manifest(sample_run: Path) -> None:
    manifest = json.loads((sample_run / "manifest.json").read_text())
    report = json.loads((sample_run / "report.json").read_text())
    assert report["errors"] == []
    counts = manifest["counts"]

    overview = section(report, "overview")["summary"]
    for key in ("input_rows", "kept", "removed", "rejected"):
        assert overview[key] == counts[key], key
    assert overview["matches_manifest"] == "yes" and overview["conservation"] == "holds"

    waterfall = section(report, "waterfall")
    removed: dict[str, dict[str, int]] = {}
    for stage, reason, n, _ in table(waterfall, "Removed"):
        removed.setdefault(stage, {})[reason] = n
    assert removed == {
        s["name"]: s["removed_by_reason"] for s in manifest["stages"] if s["removed_by_reason"]
    }
    chart = next(c for c in waterfall["charts"] if c["kind"] == "waterfall")
    assert chart["values"][0] == counts["input_rows"]
    assert chart["values"][0] + sum(chart["values"][1:]) == counts["kept"]
    flagged_by_stage: dict[str, int] = {}
    for stage, _, n, _ in table(waterfall, "Flagged"):
        flagged_by_stage[stage] = flagged_by_stage.get(stage, 0) + n
    tagged = {stage["name"]: stage["tagged"] for stage in manifest["stages"]}
    for stage, flags in flagged_by_stage.items():  # not every stage tags through quality_flags (PII)
        assert 0 < tagged[stage] <= flags

    rejects = section(report, "rejects")
    assert {reason: n for reason, n, _ in table(rejects, "Rejected rows by reason")} == counts[
        "rejected_by_reason"
    ]

    quality = section(report, "quality")
    stage = next(s for s in manifest["stages"] if s["type"] == "quality")
    assert {r[0]: r[3] for r in table(quality, "Quality findings") if r[3]} == stage["removed_by_reason"]
    assert quality["summary"]["records_removed"] == stage["removed"]
    assert all(
        e["title"] in stage["removed_by_reason"] or e["note"].startswith("tagged")
        for e in quality["examples"]
    )

    sources = table(section(report, "sources"), "Sources")
    assert sum(row[1] for row in sources) == counts["input_rows"]
    assert sum(row[4] for row in sources) == counts["kept"]
    per_input: dict[str, int] = {}
    for item in manifest["inputs"]:
        per_input[item["source"]] = per_input.get(item["source"], 0) + item["rows"]
    assert {row[0]: row[1] for row in sources} == per_input

    lengths = table(section(report, "lengths"), "Length statistics")
    assert lengths[0][0] == "Output words"


def test_html_is_self_contained_and_shows_the_numbers(sample_run: Path) -> None:
    html = (sample_run / "report.html").read_text(encoding="utf-8")
    manifest = json.loads((sample_run / "manifest.json").read_text())
    counts = manifest["counts"]
    for key in ("input_rows", "kept", "removed", "rejected"):
        assert f">{counts[key]:,}<" in html, key
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html), "no network references"
    assert html.count("<svg") >= 5 and "every input row is accounted for" in html.lower()
    for s in json.loads((sample_run / "report.json").read_text())["sections"]:
        assert f'id="{s["key"]}"' in html


def test_examples_go_through_example_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import curator.report.quality as quality_section

    monkeypatch.setattr(
        quality_section, "example_text", lambda record, max_chars=400: f"REDACTED {record.id}"
    )
    recipe = write_recipe(
        tmp_path,
        "sources:\n  - {name: a, path: a.json, format: alpaca}\nstages:\n  - type: quality\n",
    )
    rows = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text())
    (tmp_path / "a.json").write_text(json.dumps([r for r in rows if "https://" in r["input"]][:3]))
    run_recipe(load_recipe(recipe), tmp_path / "run")
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    examples = section(report, "quality")["examples"]
    assert examples and all(e["text"] == f"REDACTED {e['record_id']}" for e in examples)


class Broken(ReportSection):
    key = "broken"
    title = "Broken"

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        raise RuntimeError("boom")

    def result(self) -> SectionResult:  # pragma: no cover - never reached
        raise AssertionError


class Counting(ReportSection):
    key = "counting"
    title = "Counting"

    def __init__(self, manifest: dict[str, Any]) -> None:
        super().__init__(manifest)
        self.n = 0
        self.rejected = 0

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        self.n += 1

    def add_rejected(self, entry: dict[str, Any]) -> None:
        assert "raw" not in entry  # rejected rows reach sections without their content
        self.rejected += 1

    def result(self) -> SectionResult:
        return SectionResult(
            key=self.key, title=self.title, summary={"records": self.n, "rejected": self.rejected}
        )


def test_a_failing_section_is_reported_and_the_others_still_run(sample_run: Path) -> None:
    report = build_report(sample_run, sections=[Broken, Counting])
    assert [s.key for s in report.sections] == ["counting"]
    assert report.errors[0]["section"] == "broken" and "boom" in report.errors[0]["error"]
    counts = json.loads((sample_run / "manifest.json").read_text())["counts"]
    assert report.sections[0].summary == {
        "records": counts["kept"] + counts["removed"],
        "rejected": counts["rejected"],
    }
    html = render_html(report.to_json())
    assert "Report errors" in html and "boom" in html


def test_report_command_rebuilds_the_same_numbers(sample_run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(sample_run, copy)
    before = json.loads((copy / "report.json").read_text())
    (copy / "report.json").unlink()
    (copy / "report.html").unlink()
    result = CliRunner().invoke(cli, ["report", str(copy)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    after = json.loads((copy / "report.json").read_text())
    assert after == before
    assert (copy / "report.html").exists()
    missing = CliRunner().invoke(cli, ["report", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "not a finished curator run" in missing.output


def test_parquet_runs_report_the_same_way(tmp_path: Path) -> None:
    shutil.copy(SAMPLE_DATA / "alpaca_52k_slice.json", tmp_path / "a.json")
    recipe = write_recipe(
        tmp_path,
        "sources:\n  - {name: a, path: a.json}\nstages:\n  - type: quality\n"
        "output: {format: parquet, max_records_per_file: 100}\n",
    )
    manifest = run_recipe(load_recipe(recipe), tmp_path / "run").manifest
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    overview = section(report, "overview")["summary"]
    assert (overview["kept"], overview["removed"]) == (
        manifest["counts"]["kept"],
        manifest["counts"]["removed"],
    )
    assert report["errors"] == []


def test_charts_escape_labels_and_draw_every_kind() -> None:
    bar = render_chart(Chart(title="t", labels=["<script>alert(1)</script>", "b"], values=[3, 1]))
    assert "<script>" not in bar and "&lt;script&gt;" in bar
    hist = render_chart(
        Chart(title="h", kind="histogram", labels=[str(i) for i in range(14)], values=[1.0] * 14)
    )
    assert hist.count("<rect") == 14
    waterfall = render_chart(
        Chart(title="w", kind="waterfall", labels=["in", "a", "b"], values=[100, -30, -20])
    )
    assert waterfall.count("<rect") == 4 and ">50<" in waterfall and "−30" in waterfall
    stacked = render_chart(
        Chart(
            title="s",
            kind="stacked",
            labels=["x", "y"],
            values=[10, 4],
            series=[Series(name="kept", values=[5, 4]), Series(name="removed", values=[5, 0])],
        )
    )
    assert "50%" in stacked and "100%" in stacked


def test_distribution_and_sample_are_exact_and_order_independent() -> None:
    d = Distribution()
    for value in [0, 1, 1, 2, 3, 5, 8, 13, 21, 1000]:
        d.add(value)
    assert (d.quantile(0.5), d.quantile(0.9), d.max, d.mean) == (3, 21, 1000, 105.4)
    labels, counts = d.binned()
    assert labels[:4] == ["0", "1", "2–4", "5–9"] and sum(counts) == 10 and labels[-1] == "1k–2k"
    keys = [f"id{i}" for i in range(100)]
    first, second = Sample(5), Sample(5)
    for key in keys:
        first.offer(key, key)
    for key in reversed(keys):
        second.offer(key, key)
    assert first.items() == second.items() and len(first.items()) == 5


def test_headless_browser_screenshot(sample_run: Path, tmp_path: Path) -> None:
    """Render report.html in Debian's chromium, as a user would see it (skips when chromium is absent)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    shot = tmp_path / "report.png"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--hide-scrollbars",
        "--window-size=1400,2400",
        f"--screenshot={shot}",
        (sample_run / "report.html").as_uri(),
    ]
    subprocess.run(command, check=False, capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 50_000, "chromium produced no real screenshot"
    try:
        from PIL import Image
    except ImportError:
        return
    image = Image.open(shot).convert("RGB").resize((140, 240))
    colours = image.getcolors(maxcolors=1 << 16) or []
    assert len(colours) > 50, "the page rendered (almost) blank"
