"""Corpus audit of pre-training documents: full-pass throughput, sampled NER throughput, memory.

Input: a synthetic-from-real corpus built from the 697 Common Crawl documents of
``shared/data/pretraining/cc_main_2019_sample.jsonl.gz`` (dolma format). Each generated document
is a real page with some of its paragraphs dropped and paragraphs of a second real page spliced
in (so near- and line-level duplicates are real web boilerplate); 3 % are exact copies of earlier
documents, 1 % get a planted e-mail address. Ids and URLs are unique per document, the domain is
the real page's.

Measured, in one run on this machine:

* ``full``: ``curator audit --workers W`` as a child process (every cheap annotator, structured
  PII, exact + MinHash + line dedup, doc_quality, language, licence, report): wall, CPU seconds of
  the whole process tree (``os.wait4``), documents per CPU-second, peak RSS of the tree (sampled
  from /proc every 50 ms), and bytes written per document;
* ``baseline``: reading the same file with ``json.loads`` and counting words, in this process:
  documents per CPU-second, so the ratio says how much the audit costs over a bare read;
* ``ner``: the sampled detector (Presidio + spaCy NER, as ``--sample`` runs it) on the first
  ``--ner-docs`` documents: documents per CPU-second;
* ``state``: bytes per document that each global stage keeps for its reduce (the numpy arrays of
  its signatures, on 2,000 documents); record stages keep none.

Usage: python benchmarks/corpus_audit.py [--sizes 100000] [--workers 2] [--ner-docs 300]
(the corpus files are written under --tmp, default the system temp folder, and removed after).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CC = ROOT.parent / "shared" / "data" / "pretraining" / "cc_main_2019_sample.jsonl.gz"


def real_documents() -> list[dict]:
    with gzip.open(CC, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return [row for row in rows if len(row["text"].split()) >= 20]


def build_corpus(path: Path, size: int, seed: int = 0) -> None:
    rows = real_documents()
    rng = random.Random(seed)
    written: list[str] = []
    with path.open("w", encoding="utf-8") as out:
        for index in range(size):
            if written and rng.random() < 0.03:
                text = written[rng.randrange(len(written))]
                base = rows[index % len(rows)]
            else:
                base, other = rows[index % len(rows)], rows[rng.randrange(len(rows))]
                paragraphs = [p for p in base["text"].split("\n") if rng.random() > 0.2]
                spliced = other["text"].split("\n")
                start = rng.randrange(max(1, len(spliced)))
                at = rng.randrange(len(paragraphs) + 1)
                paragraphs[at:at] = spliced[start : start + 3]
                text = "\n".join(paragraphs)
                if rng.random() < 0.01:
                    text += f"\nContact: editor{index}@example.org"
            if len(written) < 20000:
                written.append(text)
            url = (base.get("metadata") or {}).get("url") or "example.org/"
            row = {
                "id": f"synthetic-{index}",
                "text": text,
                "source": "cc_synthetic",
                "metadata": {"url": f"{url}?copy={index}"},
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def tree_rss(pid: int) -> dict[int, int]:
    """RSS of each process in the tree of ``pid``."""
    found, stack = {}, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        found[current] = int(line.split()[1]) * 1024
                        break
            with open(f"/proc/{current}/task/{current}/children") as children:
                stack.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def run_full(corpus: Path, out: Path, workers: int) -> dict:
    """``curator audit`` in a child process: wall, CPU of the tree, peak tree RSS."""
    command = [sys.executable, "-m", "curator.cli", "audit", str(corpus), "--out", str(out), "-q"]
    command += ["--workers", str(workers), "--overwrite", "--skip", "decontaminate"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(ROOT)})
    peak = 0
    peaks: dict[int, int] = {}  # per process
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            found = tree_rss(process.pid)
            peak = max(peak, sum(found.values()))
            for pid, rss in found.items():
                peaks[pid] = max(peaks.get(pid, 0), rss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"audit failed with status {status}")
    written = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    manifest = json.loads((out / "manifest.json").read_text())
    stages = (manifest.get("timings") or {}).get("stage_seconds", {})
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_rss": peak,
        "driver_rss": peaks.get(process.pid, 0),
        "worker_rss": sorted((v for k, v in peaks.items() if k != process.pid), reverse=True)[:4],
        "written": written,
        "stage_seconds": stages,
    }


def run_baseline(corpus: Path) -> float:
    started = time.process_time()
    words = 0
    with corpus.open("rb") as handle:
        for line in handle:
            words += len(json.loads(line)["text"].split())
    return time.process_time() - started


def run_ner(corpus: Path, docs: int) -> float:
    from curator.audit_corpus import _Detectors, sampled_configs
    from curator.formats import get_format

    fmt = get_format("document")
    with corpus.open(encoding="utf-8") as handle:
        records = [
            fmt.to_record(json.loads(line), {"source": "bench", "file": "x", "row": i})
            for i, line in zip(range(docs), handle, strict=False)
        ]
    detectors = _Detectors(sampled_configs(), ROOT)
    detectors.run(records[:8])  # warm-up: the model's first call
    started = time.process_time()
    detectors.run(records)
    return time.process_time() - started


def state_bytes(corpus: Path, docs: int = 2000) -> dict[str, float]:
    import numpy as np

    from curator.formats import get_format
    from curator.stages import STAGES, GlobalStage, build_stage

    fmt = get_format("document")
    with corpus.open(encoding="utf-8") as handle:
        records = [
            fmt.to_record(json.loads(line), {"source": "bench", "file": "x", "row": i})
            for i, line in zip(range(docs), handle, strict=False)
        ]

    def nbytes(value: object) -> int:
        if isinstance(value, np.ndarray):
            return value.nbytes
        if isinstance(value, dict):
            return sum(nbytes(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return sum(nbytes(v) for v in value)
        if hasattr(value, "__dataclass_fields__"):
            return sum(nbytes(getattr(value, f)) for f in value.__dataclass_fields__)
        return 0

    found = {}
    for stage_type, cls in STAGES.items():
        if not issubclass(cls, GlobalStage):
            continue
        stage = build_stage(cls.config_model.model_validate({"type": stage_type}))
        stage.setup()
        found[stage_type] = nbytes(stage.signatures(records)) / len(records)
    return found


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def stage_memory(corpus: Path, batch: int) -> list[dict]:
    """The audit's stages in one process, shard by shard as a worker runs them: per stage, CPU
    ms per document and the RSS it added on the first shard and over all later shards.

    Growth on later shards is what grows with the corpus in a worker; the first shard's is what
    a stage loads (models) plus the shard's working set. Global stages: their ``signatures``
    (the map side; the reduce runs in the driver, see ``state``)."""
    import gc

    from curator.audit import plan_audit
    from curator.formats import get_format
    from curator.stage_inputs import setup_context
    from curator.stages import STAGES, GlobalStage, RecordStage, build_stage

    fmt = get_format("document")
    stages = []
    for data in plan_audit(skip=["decontaminate"]).stages:
        config = STAGES[data["type"]].config_model.model_validate(data)
        stage = build_stage(config)
        stage.setup(setup_context(config))
        stages.append(stage)
    rows: dict[str, dict] = {s.name: {"stage": s.name, "cpu": 0.0, "first": 0, "later": 0} for s in stages}
    docs = 0
    with corpus.open(encoding="utf-8") as handle:
        for shard in range(10**9):
            lines = [line for _, line in zip(range(batch), handle, strict=False)]
            if not lines:
                break
            records = [
                fmt.to_record(json.loads(line), {"source": "bench", "file": "x", "row": docs + i})
                for i, line in enumerate(lines)
            ]
            docs += len(records)
            for stage in stages:
                before, started = rss_bytes(), time.process_time()
                if isinstance(stage, RecordStage):
                    records = stage.process(records).kept
                elif isinstance(stage, GlobalStage):
                    stage.signatures(records)
                rows[stage.name]["cpu"] += time.process_time() - started
                rows[stage.name]["first" if shard == 0 else "later"] += rss_bytes() - before
            del records
            gc.collect()
    for row in rows.values():
        row["cpu_ms_per_doc"] = 1000 * row.pop("cpu") / docs
    return list(rows.values())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ner-docs", type=int, default=300)
    parser.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--keep", action="store_true", help="Keep the corpus and audit folders.")
    parser.add_argument(
        "--stage-memory",
        type=int,
        default=0,
        metavar="DOCS",
        help="Only run the audit's stages in this process over DOCS documents, shard by shard "
        "(--batch each): CPU and RSS added per stage.",
    )
    parser.add_argument("--batch", type=int, default=5000, help="Documents per shard (the engine's default).")
    args = parser.parse_args()
    if not CC.exists():
        raise SystemExit(f"{CC} not present (../shared/data is only in the project's workspace)")
    print(f"load: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    work = Path(tempfile.mkdtemp(prefix="corpus_audit_", dir=args.tmp))
    if args.stage_memory:
        try:
            corpus = work / "corpus.jsonl"
            build_corpus(corpus, args.stage_memory)
            start = rss_bytes()
            rows = stage_memory(corpus, args.batch)
            shards = -(-args.stage_memory // args.batch)
            print(
                f"{args.stage_memory:,} documents in {shards} shards of {args.batch:,}; RSS before setup "
                f"{start / 2**20:.0f} MiB, after {rss_bytes() / 2**20:.0f} MiB"
            )
            print("| stage | CPU ms / doc | RSS added, first shard MiB | RSS added, later shards MiB |")
            print("|---|---:|---:|---:|")
            for row in rows:
                print(
                    f"| {row['stage']} | {row['cpu_ms_per_doc']:.2f} | {row['first'] / 2**20:.0f} "
                    f"| {row['later'] / 2**20:.0f} |"
                )
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    try:
        first = work / "corpus_first.jsonl"
        build_corpus(first, 2000)
        state = state_bytes(first)
        ner_cpu = run_ner(first, args.ner_docs)
        print("| global stage | reduce state, bytes per document |")
        print("|---|---:|")
        for name, value in state.items():
            print(f"| {name} | {value:.1f} |")
        print()
        print(
            "| documents | MB in | audit wall s | audit CPU s | docs / CPU-s | baseline docs / CPU-s "
            "| ratio | peak RSS GiB | bytes written / doc |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for size in args.sizes:
            corpus = work / f"corpus_{size}.jsonl"
            build_corpus(corpus, size)
            full = run_full(corpus, work / f"audit_{size}", args.workers)
            base = run_baseline(corpus)
            print(
                f"| {size:,} | {corpus.stat().st_size / 1e6:,.0f} | {full['wall']:.1f} | {full['cpu']:.1f} "
                f"| {size / full['cpu']:,.0f} | {size / base:,.0f} | {base / full['cpu']:.3f} "
                f"| {full['peak_rss'] / 2**30:.2f} | {full['written'] / size:,.0f} |",
                flush=True,
            )
            workers = ", ".join(f"{v / 2**30:.2f}" for v in full["worker_rss"])
            print(f"  peak RSS GiB: driver {full['driver_rss'] / 2**30:.2f}; largest children {workers}")
            print(f"  stage seconds (wall, summed over workers): {full['stage_seconds']}")
            if not args.keep:
                corpus.unlink()
                shutil.rmtree(work / f"audit_{size}", ignore_errors=True)
        print()
        print(
            f"sampled NER (Presidio + en_core_web_sm): {args.ner_docs} documents, {ner_cpu:.1f} CPU s, "
            f"{args.ner_docs / ner_cpu:.1f} docs / CPU-s"
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
