"""Plug-in stages: an installed package's `curator.stages` entry point joins the recipe schema,
`curator schema`, runs, audits and reports; the built-in `python` stage runs one-off functions.

The example package in examples/plugin is installed with pip (offline: --no-deps,
--no-build-isolation) into a temporary folder that only the subprocesses below put on their path,
so the rest of the suite (and the shared environment) never sees it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_DATA

import curator
from curator.errors import CuratorError

PLUGIN = ROOT / "examples" / "plugin"


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(PLUGIN)],
        capture_output=True, text=True, timeout=300, cwd=build,
        env={**os.environ, "PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert list(target.glob("curator_example_plugin-*.dist-info/entry_points.txt"))
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(target)])}


def curator_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "curator.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)


RECIPE = """\
sources:
  - {name: links, path: links.jsonl, format: messages, license: CC0-1.0}
stages:
  - {type: max_urls, max_urls: 2}
  - {type: python, function: "curator_example_plugin.filters:no_placeholder_text"}
  - {type: python, name: signatures, mode: map, function: "curator_example_plugin.filters:strip_signature"}
"""


def links_file(folder: Path) -> None:
    def chat(answer: str) -> str:
        return json.dumps({"messages": [{"role": "user", "content": "Sources?"},
                                        {"role": "assistant", "content": answer}]}) + "\n"

    urls = " ".join(f"https://example.org/{i}" for i in range(4))
    (folder / "links.jsonl").write_text(
        chat("See https://example.org/a.") + chat(urls) + chat("Lorem ipsum dolor sit amet.")
        + chat("Thanks!\n--\nSent from my phone"),
        encoding="utf-8",
    )


def test_a_plugin_stage_runs_and_appears_in_schema_audit_and_report(plugin_env, tmp_path: Path) -> None:
    schema = curator_cli("schema", "--out-dir", str(tmp_path / "schemas"), env=plugin_env, cwd=tmp_path)
    assert schema.returncode == 0, schema.stderr
    text = (tmp_path / "schemas" / "recipe.schema.json").read_text(encoding="utf-8")
    assert '"max_urls"' in text and "Most URLs the assistant turns may hold." in text

    links_file(tmp_path)
    (tmp_path / "recipe.yaml").write_text(RECIPE, encoding="utf-8")
    done = curator_cli("run", "recipe.yaml", "--out", "run", "-q", env=plugin_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    stages = {s["name"]: s for s in manifest["stages"]}
    assert stages["max_urls"]["removed_by_reason"] == {"too_many_urls": 1}
    assert stages["python"]["removed_by_reason"] == {"placeholder_text": 1}
    assert stages["signatures"]["tagged"] == 1  # the mapper changed one record
    kept = [json.loads(line) for line in (tmp_path / "run" / "data" / "part-00000.jsonl").open()]
    assert [r["messages"][1]["content"] for r in kept] == ["See https://example.org/a.", "Thanks!"]
    removed = json.loads((tmp_path / "run" / "removed" / "max_urls.jsonl").read_text().splitlines()[0])
    assert json.loads(removed["detail"]) == {"urls": 4}
    report = json.loads((tmp_path / "run" / "report.json").read_text(encoding="utf-8"))
    assert "max_urls" in json.dumps(report["sections"])

    audit = curator_cli("audit", "links.jsonl", "--license", "CC0-1.0", "--out", "audit", "-q",
                        env=plugin_env, cwd=tmp_path)
    assert audit.returncode == 0, audit.stderr
    audited = json.loads((tmp_path / "audit" / "manifest.json").read_text(encoding="utf-8"))
    plugin_stage = next(s for s in audited["stages"] if s["name"] == "max_urls")
    assert plugin_stage["tagged"] == 1 and plugin_stage["removed"] == 0  # audits only tag


def test_without_the_plugin_the_stage_type_is_unknown(tmp_path: Path) -> None:
    links_file(tmp_path)
    (tmp_path / "recipe.yaml").write_text(RECIPE, encoding="utf-8")
    done = curator_cli("run", "recipe.yaml", "--out", "run", env={**os.environ, "PYTHONPATH": str(ROOT)},
                       cwd=tmp_path)
    assert done.returncode == 2 and "unknown stage type 'max_urls'" in done.stderr


def test_python_stage_in_process_filters_and_maps(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(PLUGIN))  # the functions import like any module on sys.path
    records = curator.read_records(SAMPLE_DATA / "dolly_open_qa_text.jsonl", format="text")
    function = "curator_example_plugin.filters:no_placeholder_text"
    out = curator.apply(records, {"type": "python", "function": function, "options": {"words": ["the"]}})
    assert out.removed and {r.reason for r in out.removed} == {"placeholder_text"}
    assert all("the" not in r.messages[-1].content.lower() for r in out.kept)
    with pytest.raises(CuratorError, match="cannot import 'no_such_module'"):
        curator.apply(records, {"type": "python", "function": "no_such_module:f"})
    with pytest.raises(Exception, match="function"):
        curator.apply(records, {"type": "python", "function": "not a function name"})
