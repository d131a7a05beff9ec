"""Every command line the README documents runs as written, and every option it names exists."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import ROOT

from curator.audit import parse_settings, plan_audit
from curator.cli import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def fenced_commands() -> list[str]:
    """`curator …` lines of the README's ```bash blocks (comments stripped)."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        block = re.sub(r"\\\n\s*", " ", block)  # join continued lines
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("curator "):
                commands.append(line)
    return commands


def inline_commands() -> list[str]:
    """`curator …` in inline code: synopses with placeholders (RECIPE, INPUT…, [--opt X])."""
    found = re.findall(r"`(curator [^`]+)`", README)
    return [m for m in found if not m.startswith("curator run sample_data")]


SAMPLE_COMMAND = "curator run sample_data/recipe.yaml --out runs/sample"


def test_the_readme_sample_command_is_the_one_the_suite_runs(sample_run) -> None:
    assert SAMPLE_COMMAND in fenced_commands()
    _, process = sample_run  # conftest runs exactly this command (absolute paths), offline
    assert process.returncode == 0, process.stderr


@pytest.mark.parametrize("command", [c for c in fenced_commands() if c != SAMPLE_COMMAND])
def test_every_fenced_readme_command_runs(command: str, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "sample_data", tmp_path / "sample_data")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    (tmp_path / "curator").symlink_to(ROOT / "curator")  # `schema --check` compares with the models
    shared = ROOT.parent / "shared"
    if "../shared/" in command:  # the README's paths are relative to a checkout next to ../shared
        if not shared.is_dir():
            pytest.skip(f"{shared} is absent")
        command = command.replace("../shared/", f"{shared}/")
    argv = shlex.split(command)
    exe = [sys.executable, "-m", "curator.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([*exe, *argv[1:]], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert "Traceback" not in done.stderr and "error:" not in done.stderr, done.stderr
    expected = 1 if argv[1] == "validate" else 0  # validate exits 1 when it finds bad rows (documented)
    assert done.returncode == expected, done.stderr


def options_of(command: click.Command) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


@pytest.mark.parametrize("synopsis", inline_commands())
def test_every_inline_synopsis_names_real_commands_and_options(synopsis: str) -> None:
    words = synopsis.replace("\\|", "|").split()
    group_options = options_of(cli)
    name = next(w for i, w in enumerate(words[1:], 1) if w not in group_options and words[i - 1]
                not in group_options)  # skip `--log-format json` before the command
    assert name in cli.commands, f"{synopsis}: no command {name!r}"
    known = options_of(cli.commands[name]) | group_options
    for word in re.findall(r"--[a-z][a-z-]*", synopsis):
        assert word in known, f"{synopsis}: {name} has no option {word}"


def test_every_set_example_in_help_and_readme_is_accepted() -> None:
    texts = [README, *(p.help or "" for p in cli.commands["audit"].params if isinstance(p, click.Option))]
    examples = {m for text in texts for m in re.findall(r"\b([a-z_]+(?:\.[a-z_]+)+=[\w.-]+)", text)}
    examples = {e for e in examples if e.split(".")[0] in {"pii", "length", "quality", "language"}}
    assert examples
    for example in sorted(examples):
        plan_audit((), parse_settings([example]))  # raises CuratorError for an unknown key
