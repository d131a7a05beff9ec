"""The typed run folder and manifest: the schema holds for a real run, reading is typed and exact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from curator.errors import CuratorError
from curator.run import Manifest, RunFolder

ROOT = Path(__file__).resolve().parents[1]


def test_sample_run_manifest_validates_against_the_generated_schema(sample_run) -> None:
    run, process = sample_run
    assert process.returncode == 0, process.stderr
    schema = json.loads((ROOT / "schemas" / "manifest.schema.json").read_text())
    manifest = json.loads(RunFolder(run).manifest_path.read_text())
    jsonschema.Draft202012Validator(schema).validate(manifest)
    # The schema is strict: a manifest that lost a section, or grew an unknown one, fails.
    validator = jsonschema.Draft202012Validator(schema)
    assert not validator.is_valid({k: v for k, v in manifest.items() if k != "counts"})
    assert not validator.is_valid({**manifest, "surprise": 1})
    assert not validator.is_valid({**manifest, "counts": {**manifest["counts"], "kept": "many"}})


def test_manifest_reads_back_to_the_same_bytes(sample_run) -> None:
    run, _ = sample_run
    folder = RunFolder(run)
    manifest = folder.read_manifest()
    assert manifest.to_json_bytes() == folder.manifest_path.read_bytes()
    # Typed access to what the readers use.
    assert manifest.conservation.holds
    assert manifest.counts.input_rows == sum(item.rows for item in manifest.inputs)
    assert set(manifest.mixtures) == {"research_mix", "commercial_safe", "balanced_t2"}
    assert manifest.stage_types()["pii"] == "pii"


def test_run_folder_iterates_what_the_manifest_lists(sample_run) -> None:
    run, _ = sample_run
    folder = RunFolder(run)
    manifest = folder.read_manifest()
    kept = list(folder.iter_kept(manifest))
    removed = list(folder.iter_removed(manifest))
    rejected = list(folder.iter_rejected(manifest, raw=False))
    assert len(kept) == manifest.counts.kept == sum(f.records for f in manifest.outputs.data)
    assert len(removed) == manifest.counts.removed
    assert len(rejected) == manifest.counts.rejected > 0
    assert all("raw" not in entry for entry in rejected)
    assert all("raw" in entry for entry in folder.iter_rejected(manifest))
    by_stage = {s.name: s.removed for s in manifest.stages}
    for stage in {entry["stage"] for entry in removed}:
        assert sum(e["stage"] == stage for e in removed) == by_stage[stage]


def test_a_folder_without_a_manifest_is_not_a_finished_run(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    assert not folder.is_finished()
    with pytest.raises(CuratorError, match="not a finished curator run"):
        folder.read_manifest()
    folder.manifest_path.write_text("[1, 2]")
    with pytest.raises(CuratorError, match="not a curator run manifest"):
        folder.read_manifest()
    folder.manifest_path.write_text('{"recipe": {}, "inputs": [], "counts": {"kept": "x"}}')
    with pytest.raises(CuratorError, match="not a curator run manifest"):
        folder.read_manifest()


def test_partial_manifests_load_with_defaults() -> None:
    """Report sections are built from partial manifests in tests and from older runs."""
    manifest = Manifest.coerce({"recipe": {"resolved": {"stages": [{"type": "pii", "name": "p"}]}}})
    assert manifest.recipe.stage_configs("pii") == [{"type": "pii", "name": "p"}]
    assert manifest.mixtures == {} and manifest.licences.policy is None


def test_no_module_outside_the_run_package_spells_the_manifest_file() -> None:
    pattern = re.compile(r"""["']manifest\.json["']""")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "curator").rglob("*.py")
        if "run" not in path.relative_to(ROOT / "curator").parts[:1] and pattern.search(path.read_text())
    ]
    assert offenders == []
