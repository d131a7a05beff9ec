"""Run-folder promises: one run per folder, sound resume, no code from a run folder, a finished run
stays finished, accounting proven from files, and no raw PII in anything a pii run writes."""

from __future__ import annotations

import json
import os
import pickle
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from curator.cli import cli
from curator.errors import CuratorError
from curator.pipeline import run_recipe
from curator.recipe import load_recipe
from curator.run import RunFolder
from curator.run.lock import FolderLock

ROOT = Path(__file__).resolve().parents[1]


def _rows(n: int, start: int = 0) -> str:
    return "".join(
        json.dumps(
            {"instruction": f"Explain topic number {i} in a sentence.", "output": f"Topic {i} is fine."}
        )
        + "\n"
        for i in range(start, start + n)
    )


def _workspace(tmp_path: Path, stages: str = "  - {type: length}\n  - {type: exact_dedup}\n") -> Path:
    (tmp_path / "in.jsonl").write_text(_rows(300))
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        f"sources:\n  - {{name: a, path: in.jsonl, license: MIT}}\nstages:\n{stages}run: {{batch_size: 50}}\n"
    )
    return recipe


def _interrupt(recipe: Path, out: Path) -> None:
    """Leave ``out`` as a killed run leaves it: some shard-passes done, no manifest."""
    script = (
        "import os, signal\n"
        "from curator.run import work\n"
        "mark = work.WorkDir.mark_done\n"
        "count = [0]\n"
        "def marked(self, *a, **k):\n"
        "    mark(self, *a, **k)\n"
        "    count[0] += 1\n"
        "    if count[0] == 3:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "work.WorkDir.mark_done = marked\n"
        "from curator.cli import main\n"
        f"import sys; sys.argv = ['curator', 'run', {str(recipe)!r}, '--out', {str(out)!r}, '-q']\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    assert not RunFolder(out).is_finished() and (out / "_work").is_dir()


# -- one run per folder ---------------------------------------------------------------------------


def test_a_second_run_into_a_locked_folder_is_refused_naming_the_holder(tmp_path: Path) -> None:
    recipe = load_recipe(_workspace(tmp_path))
    with (
        FolderLock(tmp_path / "run"),
        pytest.raises(CuratorError, match=rf"in use by another run \(pid {os.getpid()}"),
    ):
        run_recipe(recipe, tmp_path / "run")
    assert run_recipe(recipe, tmp_path / "run").run.counts.kept == 300  # released: it runs


def test_the_lock_of_a_killed_process_is_stale(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from curator.run.lock import FolderLock; import time\n"
            f"FolderLock({str(tmp_path / 'run')!r}).acquire(); print('held', flush=True); time.sleep(60)",
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(CuratorError, match="in use by another run"):
        FolderLock(tmp_path / "run").acquire()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert run_recipe(load_recipe(_workspace(tmp_path)), tmp_path / "run").run.counts.kept == 300


def test_concurrent_runs_one_wins_the_other_is_refused(tmp_path: Path) -> None:
    recipe = _workspace(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "curator.cli", "run", str(recipe), "--out", str(tmp_path / "run"), "-q"]
    first = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    time.sleep(0.05)
    second = subprocess.run(command, env=env, capture_output=True, text=True)
    first_err = first.communicate()[1]
    codes = sorted([first.returncode, second.returncode])
    # Either the second found the first running (refused, exit 2), or the first had finished and
    # the second saw a finished run of the same work (success): never a traceback, never a mix.
    assert codes in ([0, 0], [0, 2]), (first_err, second.stderr)
    for err in (first_err, second.stderr):
        assert "Traceback" not in err
    manifest = RunFolder(tmp_path / "run").read_manifest()
    assert manifest.conservation.holds and manifest.counts.kept == 300


# -- sound resume ---------------------------------------------------------------------------------


def test_resume_is_refused_naming_a_changed_eval_set(tmp_path: Path) -> None:
    (tmp_path / "eval.jsonl").write_text(_rows(5, start=1000))
    stages = "  - {type: length}\n  - {type: decontaminate, evals: [{name: ev, path: eval.jsonl}]}\n"
    recipe = _workspace(tmp_path, stages)
    _interrupt(recipe, tmp_path / "run")
    assert stat.S_IMODE((tmp_path / "run" / "_work").stat().st_mode) == 0o700
    (tmp_path / "eval.jsonl").write_text(_rows(5, start=2000))
    with pytest.raises(CuratorError, match=r"file eval\.jsonl changed"):
        run_recipe(load_recipe(recipe), tmp_path / "run")


def test_resume_is_refused_when_a_dataset_card_licence_changed(tmp_path: Path) -> None:
    recipe = _workspace(tmp_path)
    recipe.write_text(recipe.read_text().replace(", license: MIT", ""))
    card = tmp_path / "README.md"
    card.write_text("---\nlicense: mit\n---\n# data\n")
    _interrupt(recipe, tmp_path / "run")
    card.write_text("---\nlicense: cc-by-nc-4.0\n---\n# data\n")
    with pytest.raises(CuratorError, match="dataset cards changed"):
        run_recipe(load_recipe(recipe), tmp_path / "run")
    card.write_text("---\nlicense: mit\n---\n# data\n")
    result = run_recipe(load_recipe(recipe), tmp_path / "run")  # back as it was: it resumes
    assert result.run.run.resumed_shard_passes >= 3


def test_a_planted_pickle_in_work_is_never_executed(tmp_path: Path) -> None:
    recipe = _workspace(tmp_path)
    _interrupt(recipe, tmp_path / "run")
    marker = sorted((tmp_path / "run" / "_work" / "done").rglob("*.npz"))[0]
    canary = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {canary}",))

    marker.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CuratorError, match="not a work file this program wrote"):
        run_recipe(load_recipe(recipe), tmp_path / "run")
    assert not canary.exists()
    result = CliRunner().invoke(cli, ["clean", str(tmp_path / "run")])
    assert result.exit_code == 0 and not (tmp_path / "run" / "_work").exists()


# -- a finished run stays finished ------------------------------------------------------------------


def test_kill_after_the_manifest_is_completed_by_the_same_command(tmp_path: Path) -> None:
    recipe = load_recipe(_workspace(tmp_path))
    first = run_recipe(recipe, tmp_path / "run")
    folder = RunFolder(tmp_path / "run")
    report = folder.report_json.read_bytes()
    folder.report_json.unlink()
    folder.report_html.unlink()
    (folder.work_dir / "pass0").mkdir(parents=True)  # what a kill right after the manifest leaves
    again = run_recipe(recipe, tmp_path / "run")
    assert again.already_finished and again.manifest == first.manifest
    assert folder.report_json.read_bytes() == report and not folder.work_dir.exists()


def test_conservation_is_recounted_from_files(tmp_path: Path) -> None:
    from curator.output import _describe

    path = tmp_path / "part.jsonl"
    path.write_bytes(b"{}\n{}\n{}\n")
    assert _describe(RunFolder(tmp_path), path, 3).records == 3
    with pytest.raises(AssertionError, match="holds 3 records, 2 were written"):
        _describe(RunFolder(tmp_path), path, 2)


# -- leaks and odd rows ----------------------------------------------------------------------------


def test_pii_in_meta_original_ids_and_removed_records_is_redacted(tmp_path: Path) -> None:
    rows = [
        {
            "instruction": "Greet the team kindly today.",
            "output": "Hello team, have a good day!",
            "contact": {"email": "jane.roe@corp-mail.com", "phones": ["+1 415 555 0132"]},
            "id": "ssn 536-90-4399",
        },
        {"instruction": "", "output": "Mail jane.roe@corp-mail.com now.", "id": "x"},
    ]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "recipe.yaml").write_text(
        "sources:\n  - {name: a, path: in.jsonl, license: MIT}\n"
        "stages:\n  - {type: pii, structured_only: true}\n  - {type: length}\n"
    )
    run_recipe(load_recipe(tmp_path / "recipe.yaml"), tmp_path / "run")
    written = b"".join(p.read_bytes() for p in (tmp_path / "run").rglob("*") if p.is_file())
    for value in (b"jane.roe@corp-mail.com", b"536-90-4399", b"415 555 0132"):
        assert value not in written


def test_trace_shows_the_source_row_redacted_unless_raw(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text(
        json.dumps({"instruction": "Write to bob.stone@corp-mail.com today.", "output": "Sure, writing now."})
        + "\n"
    )
    (tmp_path / "recipe.yaml").write_text(
        "sources:\n  - {name: a, path: in.jsonl, license: MIT}\n"
        "stages:\n  - {type: pii, structured_only: true}\n"
    )
    result = run_recipe(load_recipe(tmp_path / "recipe.yaml"), tmp_path / "run")
    record_id = json.loads(next((tmp_path / "run" / "data").glob("*.jsonl")).read_text())["id"]
    runner = CliRunner()
    shown = runner.invoke(cli, ["trace", record_id, str(result.out_dir)])
    assert shown.exit_code == 0 and "bob.stone" not in shown.output and "<EMAIL>" in shown.output
    raw = runner.invoke(cli, ["trace", record_id, str(result.out_dir), "--raw"])
    assert "bob.stone@corp-mail.com" in raw.output


def test_audit_report_examples_hide_names(tmp_path: Path) -> None:
    rows = [
        {
            "instruction": "Write to my neighbour Margaret Okonkwo about the fence.",
            "output": "Dear Margaret Okonkwo, the fence needs fixing. Regards, Tom Baxter",
        }
    ] * 3
    rows.append({"instruction": "Say hi", "output": ""})
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = CliRunner().invoke(
        cli, ["audit", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "a"), "-q"]
    )
    assert result.exit_code == 0, result.output
    for report in ("report.html", "report.json"):
        text = (tmp_path / "a" / report).read_text()
        assert "Okonkwo" not in text and "Baxter" not in text


def test_big_integers_and_deep_extras_survive_a_whole_run(tmp_path: Path) -> None:
    rows = [
        '{"instruction": "Say hello to all.", "output": "Hello!", "n": 123456789012345678901234567890}',
        '{"instruction": "a b", "output": "c d", "x": ' + "[" * 300 + "]" * 300 + "}",
        '{"instruction": "", "output": "gone", "n": 98765432109876543210987}',
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(rows) + "\n")
    (tmp_path / "recipe.yaml").write_text(
        "sources:\n  - {name: a, path: in.jsonl}\nstages:\n  - {type: length}\n"
    )
    manifest = run_recipe(load_recipe(tmp_path / "recipe.yaml"), tmp_path / "run").run
    assert (manifest.counts.kept, manifest.counts.removed, manifest.counts.rejected) == (1, 1, 1)
    kept = json.loads(next((tmp_path / "run" / "data").glob("*.jsonl")).read_text())
    assert kept["meta"]["n"] == 123456789012345678901234567890
    assert b"98765432109876543210987" in (tmp_path / "run" / "removed" / "length.jsonl").read_bytes()
