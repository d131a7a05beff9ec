"""Leak-freedom: run a real pipeline on planted PII and grep every file of the run for the values."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from curator.pipeline import run_recipe
from curator.recipe import load_recipe
from curator.stages.pii import KeepRawRemovedWarning
from tests.conftest import write_recipe

PLANTED = {
    "name": "Kamila Červinková",
    "email": "kamila.cervinkova@corp-mail.cz",
    "phone": "+41 (0)69 979 80 58",
    "card": "4266 4009 7490 3943",
    "ssn": "550-53-3582",
    "iban": "GB10LORI20288482594042",
    "ip": "41.176.181.243",
    "address": "5100 Quadra 104",
    "secret": "hunter2secret",
    "dropped_email": "ada.okafor@bank-example.org",
    "rejected_email": "rejected.person@corp-mail.cz",
    "broken_json_phone": "+44 7700 900 461",
}


def _rows() -> list[str]:
    p = PLANTED
    kept = {
        "messages": [
            {
                "role": "user",
                "content": f"I'm {p['name']}, mail {p['email']} or call {p['phone']}. "
                f"Card {p['card']}, SSN {p['ssn']}, IBAN {p['iban']}.",
            },
            {"role": "assistant", "content": "Noted, thank you."},
        ]
    }
    duplicate = dict(kept)  # exact_dedup removes this one before the pii stage sees it
    empty = {  # the length stage removes this one (empty answer), also before the pii stage
        "messages": [
            {"role": "user", "content": f"Server {p['ip']}, https://admin:{p['secret']}@db.example.com"},
            {"role": "assistant", "content": " "},
        ]
    }
    dropped = {  # PII in the assistant's answer: the pii stage drops it
        "messages": [
            {"role": "user", "content": "Who handles refunds?"},
            {"role": "assistant", "content": f"Write to {p['dropped_email']}, at {p['address']}, Suite 845."},
        ]
    }
    no_answer = {"messages": [{"role": "user", "content": f"I am {p['name']}, {p['rejected_email']}"}]}
    lines = [json.dumps(r, ensure_ascii=False) for r in (kept, duplicate, empty, dropped, no_answer)]
    lines.append('{"messages": [{"role": "user", "content": "call ' + p["broken_json_phone"] + ' now"')
    return lines


def _run(tmp_path: Path, extra: str = ""):
    (tmp_path / "data.jsonl").write_text("\n".join(_rows()) + "\n", encoding="utf-8")
    recipe = write_recipe(
        tmp_path,
        f"""
sources:
  - name: planted
    path: data.jsonl
    format: messages
stages:
  - type: length
  - type: exact_dedup
  - type: pii
    roles: {{assistant: drop, user: redact}}
{extra}
""",
    )
    return run_recipe(load_recipe(recipe), tmp_path / "run")


def _leaks(root: Path) -> dict[str, list[str]]:
    leaks: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for key, value in PLANTED.items():
            forms = {value, json.dumps(value)[1:-1], value.replace(" ", "")}
            if any(form.encode() in data for form in forms):
                leaks.setdefault(str(path.relative_to(root)), []).append(key)
    return leaks


def test_no_planted_value_in_any_output_file_or_log(tmp_path, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    result = _run(tmp_path)
    run = tmp_path / "run"
    manifest = result.manifest
    assert manifest["conservation"]["holds"]
    files = {str(p.relative_to(run)) for p in run.rglob("*") if p.is_file()}
    assert {"manifest.json", "rejected.jsonl", "removed/length.jsonl", "removed/exact_dedup.jsonl"} <= files
    assert "removed/pii.jsonl" in files and "report.html" in files and "report.json" in files
    assert _leaks(run) == {}
    captured = capsys.readouterr()
    output = captured.out + captured.err + caplog.text
    assert not [key for key, value in PLANTED.items() if value in output]
    # and the redacted outputs still say what was there
    removed = [json.loads(line) for line in (run / "removed" / "pii.jsonl").read_text().splitlines()]
    assert [entry["reason"] for entry in removed] == ["contains_pii"]
    assert "Write to <EMAIL>, at <ADDRESS>" in removed[0]["record"]["messages"][1]["content"]
    rejected = [json.loads(line) for line in (run / "rejected.jsonl").read_text().splitlines()]
    assert any("<EMAIL>" in json.dumps(entry["raw"]) for entry in rejected)
    kept = "".join(p.read_text() for p in (run / "data").glob("*.jsonl"))
    assert "<PERSON>" in kept and "<PHONE>" in kept and "<EMAIL>" in kept
    report = json.loads((run / "report.json").read_text())
    section = next(s for s in report["sections"] if s["key"] == "pii")
    assert section["summary"]["removed by the pii stage"] == 1


def test_keep_raw_removed_keeps_raw_text_and_warns(tmp_path):
    with pytest.warns(KeepRawRemovedWarning):
        _run(tmp_path, extra="    keep_raw_removed: true")
    leaks = _leaks(tmp_path / "run")
    assert "email" in leaks.get("removed/exact_dedup.jsonl", [])  # the grep above would have caught this
    assert "secret" in leaks.get("removed/length.jsonl", [])
    assert "rejected_email" in leaks.get("rejected.jsonl", [])
    assert not any(path.startswith("data/") for path in leaks)  # kept records are still redacted
