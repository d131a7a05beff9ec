"""curator against datatrove 0.10 on a matching pipeline over the Alpaca 52k release: CPU, wall, outputs.

Pipeline on both sides: fastText language ID (lid.176, keep English), exact dedup, MinHash
near-dedup (word 5-grams), pattern PII (e-mail and IP addresses replaced), JSONL out; 2 tasks /
2 workers. Each side runs in a fresh process; its CPU time is that process's and its workers'
(``wait4`` rusage), so both are charged the same way, start-up and imports included.

* curator: ``curator run`` of a recipe with ``language`` (backend fasttext, allowed [en]),
  ``exact_dedup``, ``minhash_dedup`` (threshold 0.8, 128 permutations, verified), ``pii``
  (structured_only, EMAIL_ADDRESS and IP_ADDRESS, redact), reading the Alpaca file as it is.
* datatrove: ``LocalPipelineExecutor`` pipelines (tasks=2, workers=2): JsonlReader →
  LanguageFilter(en, ft176 with the same lid.176 model file, no download) → JsonlWriter; exact dedup
  (ExactDedupSignature → ExactFindDedups → ExactDedupFilter); MinHash (its defaults: 14 buckets × 8
  hashes, 5-grams, its WhitespaceTokenizer) signature → buckets → cluster → filter → PIIFormatter
  (e-mails, public IPs) → JsonlWriter. Its input is the same rows as JSONL documents whose text is
  instruction, input and output joined by newlines, split into 2 files (one per task).

datatrove runs in its own virtualenv, never a dependency of this project. Set it up once:

    python -m venv --system-site-packages .bench/datatrove
    .bench/datatrove/bin/pip install "datatrove==0.10.*" fasteners "xxhash<4" fasttext-numpy2-wheel

Without it (``--datatrove-python``, default ``.bench/datatrove/bin/python``) the datatrove side is
skipped with a message and only curator's figures print.

Usage: python benchmarks/vs_datatrove.py [--rows N] [--datatrove-python PATH] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALPACA_52K = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_52k_en.json.gz"
DEFAULT_DATATROVE = ROOT / ".bench" / "datatrove" / "bin" / "python"
TASKS = 2


# -- shared ------------------------------------------------------------------------------------------
def timed(command: list[str], environment: dict[str, str] | None = None) -> dict:
    """Run ``command`` under a fresh measuring process: wall and CPU seconds of the whole process tree.

    The measuring process (``measure`` below) makes itself a child subreaper, so every descendant
    (pool workers, fork servers, their children) is reaped by it and its CPU time counted, however
    the side starts its workers. Peak RSS is the largest single process's.
    """
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        wrapper = [sys.executable, __file__, "measure", "--json", report.name, "--", *command]
        started = time.perf_counter()
        done = subprocess.run(wrapper, env=environment, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            output = done.stdout + done.stderr
            raise SystemExit(f"{' '.join(command[:4])} … failed ({done.returncode}):\n{output[-4000:]}")
        measured = json.loads(Path(report.name).read_text(encoding="utf-8"))
    return {**measured, "wall_s": wall, "output": done.stdout}


def measure_main(args: argparse.Namespace) -> None:
    """(Measuring process) run the command, reap every descendant, write CPU seconds and peak RSS."""
    import ctypes
    import resource

    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    process = subprocess.Popen(args.rest)
    code = process.wait()
    while True:  # orphaned descendants are ours now: wait for them so their CPU time is counted
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}
    Path(args.json).write_text(json.dumps(result), encoding="utf-8")
    sys.exit(code)


def text_of(row: dict) -> str:
    return "\n".join(part for part in (row["instruction"], row["input"], row["output"]) if part)


# -- curator side ------------------------------------------------------------------------------------
def run_curator(source: Path, work: Path) -> dict:
    import yaml

    recipe = {
        "name": "vs_datatrove",
        "sources": [{"name": "alpaca", "path": str(source), "format": "alpaca"}],
        "stages": [
            {"type": "language", "backend": "fasttext", "allowed": ["en"], "min_score": 0.65},
            {"type": "exact_dedup"},
            {"type": "minhash_dedup", "threshold": 0.8},
            {
                "type": "pii",
                "structured_only": True,
                "entities": ["EMAIL_ADDRESS", "IP_ADDRESS"],
                "action": "redact",
            },
        ],
        "output": {"format": "jsonl"},
        "run": {"workers": TASKS},
    }
    path = work / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    out = work / "curator_run"
    command = [sys.executable, "-m", "curator.cli", "run", str(path), "--out", str(out)]
    command += ["--overwrite", "--quiet"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = timed(command, environment)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    result["kept"] = manifest["counts"]["kept"]
    result["removed_by_stage"] = {
        stage["name"]: stage.get("removed", 0) for stage in manifest.get("stages", [])
    }
    result["kept_rows"] = {int(record["provenance"]["row"]) for record in _read_jsonl_tree(out / "data")}
    return result


def _read_jsonl_tree(folder: Path):
    for path in sorted(folder.rglob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


# -- datatrove side (runs in datatrove's virtualenv: standard library and datatrove only) ---------------
def datatrove_main(args: argparse.Namespace) -> None:
    work = Path(args.work)
    os.environ["HF_ASSETS_CACHE"] = str(work / "assets")  # the lid.176 model placed there: no download
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.io import strip_protocol
    from datatrove.pipeline.dedup import MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
    from datatrove.pipeline.dedup.exact_dedup import (
        ExactDedupConfig,
        ExactDedupFilter,
        ExactDedupSignature,
        ExactFindDedups,
    )
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets
    from datatrove.pipeline.filters import LanguageFilter
    from datatrove.pipeline.formatters import PIIFormatter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.lid import FT176LID
    from datatrove.utils.word_tokenizers import WhitespaceTokenizer
    from huggingface_hub import cached_assets_path

    folder = cached_assets_path(library_name="datatrove", namespace="lid", subfolder=FT176LID.MODEL_SUBFOLDER)
    target = Path(folder) / strip_protocol(FT176LID.MODEL_URL).replace("/", "_")  # as datatrove names it
    shutil.copyfile(args.model, target)
    Path(f"{target}.completed").touch()

    def run(pipeline: list, tasks: int = TASKS, name: str = "") -> None:
        LocalPipelineExecutor(
            pipeline=pipeline, tasks=tasks, workers=min(tasks, TASKS), logging_dir=str(work / "logs" / name)
        ).run()

    language = work / "1_language"
    run(
        [
            JsonlReader(str(work / "input"), glob_pattern="*.jsonl"),
            LanguageFilter(languages=["en"], backend="ft176"),
            JsonlWriter(str(language), output_filename="${rank}.jsonl", compression=None),
        ],
        name="language",
    )
    exact = ExactDedupConfig(content_getter=lambda doc: doc.text.encode("utf-8"))
    run([JsonlReader(str(language)), ExactDedupSignature(str(work / "exact_sigs"), config=exact)], name="es")
    run([ExactFindDedups(str(work / "exact_sigs"), str(work / "exact_dups"), config=exact)], 1, "ef")
    unique = work / "2_exact"
    run(
        [
            JsonlReader(str(language)),
            ExactDedupFilter(str(work / "exact_dups"), config=exact),
            JsonlWriter(str(unique), output_filename="${rank}.jsonl", compression=None),
        ],
        name="exact",
    )
    minhash = MinhashConfig()  # 14 buckets × 8 hashes, 5-grams
    sigs, buckets, clusters = (str(work / name) for name in ("mh_sigs", "mh_buckets", "mh_clusters"))
    run(
        [
            JsonlReader(str(unique)),
            MinhashDedupSignature(sigs, config=minhash, language=WhitespaceTokenizer()),
        ],
        name="ms",
    )
    run([MinhashDedupBuckets(sigs, buckets, config=minhash)], minhash.num_buckets, "mb")
    run([MinhashDedupCluster(buckets, clusters, config=minhash)], 1, "mc")
    run(
        [
            JsonlReader(str(unique)),
            MinhashDedupFilter(clusters),
            PIIFormatter(),
            JsonlWriter(str(work / "3_out"), output_filename="${rank}.jsonl", compression=None),
        ],
        name="final",
    )


def run_datatrove(python: Path, rows: list[dict], work: Path) -> dict:
    from curator.langid.backends import fasttext_model_path

    (work / "assets").mkdir(parents=True)
    (work / "input").mkdir()
    handles = [(work / "input" / f"part{i}.jsonl").open("w", encoding="utf-8") for i in range(TASKS)]
    share = -(-len(rows) // TASKS)
    for index, row in enumerate(rows):
        document = {"id": str(index), "text": text_of(row)}
        handles[index // share].write(json.dumps(document, ensure_ascii=False) + "\n")
    for handle in handles:
        handle.close()
    command = [str(python), __file__, "datatrove-side", "--work", str(work)]
    command += ["--model", str(fasttext_model_path())]
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = timed(command, environment)

    def ids(folder: Path) -> set[int]:
        return {int(document["id"]) for document in _read_jsonl_tree(folder)}

    result["after_language"] = ids(work / "1_language")
    result["after_exact"] = ids(work / "2_exact")
    result["kept_rows"] = ids(work / "3_out")
    result["kept"] = len(result["kept_rows"])
    return result


# -- report ------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    side = commands.add_parser("datatrove-side")
    side.add_argument("--work", required=True)
    side.add_argument("--model", required=True)
    measuring = commands.add_parser("measure")
    measuring.add_argument("--json", required=True)
    measuring.add_argument("rest", nargs=argparse.REMAINDER)
    parser.add_argument("--rows", type=int, default=0, help="only the first N rows (default: all)")
    parser.add_argument("--datatrove-python", type=Path, default=DEFAULT_DATATROVE)
    parser.add_argument("--keep", type=Path, help="keep both sides' work folders here")
    args = parser.parse_args()
    if args.command == "datatrove-side":
        datatrove_main(args)
        return
    if args.command == "measure":
        args.rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
        measure_main(args)
        return
    if not ALPACA_52K.exists():
        sys.exit(f"skip: {ALPACA_52K} not found (the benchmark reads ../shared/data)")
    with gzip.open(ALPACA_52K, "rb") as handle:
        rows = json.loads(handle.read())
    rows = rows[: args.rows] if args.rows else rows
    load = os.getloadavg()
    print(f"{len(rows):,} Alpaca rows; load average {load[0]:.1f} / {load[1]:.1f} on {os.cpu_count()} CPUs")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="vs-datatrove-"))
    try:
        (work / "curator").mkdir(parents=True, exist_ok=True)
        source = work / "curator" / "alpaca.json"
        source.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        ours = run_curator(source, work / "curator")
        theirs = None
        if args.datatrove_python.exists():
            if (work / "datatrove").exists():
                shutil.rmtree(work / "datatrove")
            theirs = run_datatrove(args.datatrove_python, rows, work / "datatrove")
        else:
            print(
                f"skip datatrove: no interpreter at {args.datatrove_python} (set it up as the module "
                "docstring says, or pass --datatrove-python)"
            )
        report(len(rows), ours, theirs)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def report(rows: int, ours: dict, theirs: dict | None) -> None:
    print(f"\n{'side':<12} {'CPU s':>8} {'wall s':>8} {'peak RSS MiB':>13} {'kept':>8}")
    for name, side in (("curator", ours), ("datatrove", theirs)):
        if side is not None:
            print(
                f"{name:<12} {side['cpu_s']:>8.1f} {side['wall_s']:>8.1f} {side['peak_rss_mib']:>13,.0f} "
                f"{side['kept']:>8,}"
            )
    print(f"curator removed by stage: {ours['removed_by_stage']}")
    if theirs is None:
        return
    print(
        f"\ncurator ÷ datatrove: CPU {ours['cpu_s'] / theirs['cpu_s']:.2f}×, "
        f"wall {ours['wall_s'] / theirs['wall_s']:.2f}× (goal: CPU ≤ 0.70×)"
    )
    print(
        f"datatrove removed: language {rows - len(theirs['after_language']):,}, exact "
        f"{len(theirs['after_language']) - len(theirs['after_exact']):,}, near "
        f"{len(theirs['after_exact']) - theirs['kept']:,}"
    )
    both = ours["kept_rows"] & theirs["kept_rows"]
    only_ours = ours["kept_rows"] - theirs["kept_rows"]
    only_theirs = theirs["kept_rows"] - ours["kept_rows"]
    print(
        f"kept by both {len(both):,}; only by curator {len(only_ours):,}; "
        f"only by datatrove {len(only_theirs):,}"
    )
    dropped_language = only_ours & (set(range(rows)) - theirs["after_language"])
    print(
        f"of those only curator kept, datatrove's language filter dropped {len(dropped_language):,} "
        f"(score of 'en' ≤ 0.65 on the joined text), its dedups the rest"
    )


if __name__ == "__main__":
    main()
