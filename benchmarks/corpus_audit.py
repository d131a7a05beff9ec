"""Corpus audit of pre-training documents: full-pass throughput, sampled NER throughput, memory.

Input: a synthetic-from-real corpus built from the 697 Common Crawl documents of
``shared/data/pretraining/cc_main_2019_sample.jsonl.gz`` (dolma format). The default builder
(``mixed``, :func:`build_mixed_corpus`) makes every document new: sentences and paragraphs of the
real pages recombined within one language, so two documents rarely share more than boilerplate
lines and titles (as on a crawl), with planted exact copies (3 %), near copies (2 %), e-mail
addresses (1 %) and eval items (0.05 %); the truth goes to ``CORPUS.truth.json``. The first
builder (``--builder pages``: each real page repeated with edits) is kept for comparison: past
~100k documents each page has ~1,500 near copies, which no crawl has. Ids and URLs are unique
per document, the domain is the real page's.

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
[--sample 1000 --seed 0] (the corpus files are written under --tmp, default the system temp
folder, and removed after). With ``--sample`` the audit runs PII on the sample only, and the
table adds the full-pass figure without the sampled detectors' CPU (from the NER rate).

A corpus built once: ``--build 1000000 --corpus c1m.jsonl``, then ``--corpus c1m.jsonl --out
DIR --log LOG [--evals FILE] --skip-preliminaries``; LOG gets the audit's progress lines and,
every ``--status-every`` seconds, CPU and RSS of each live process.

Other modes: ``--stage-memory DOCS`` (CPU and RSS per stage in one process) and
``--language-agreement CHARS…`` (the language stage reading a bounded part of each document
against the whole document).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
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


def build_pages_corpus(path: Path, size: int, seed: int = 0) -> None:
    """The first builder (``--builder pages``): each real page ~size/697 times, 20 % of its
    paragraphs dropped, 3 from another page spliced in. Beyond ~100k documents its LSH buckets
    are pathological (every page has ~1,500 near copies), not what a crawl looks like."""
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


# -- the mixed builder (default): every document new, planted duplicates at known rates ----------
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")
# Planted rates (of all documents): see ``build_mixed_corpus``.
RATES = {"exact_copy": 0.03, "near_copy": 0.02, "email": 0.01, "eval_item": 0.0005}
EVALS = ROOT / "sample_data" / "user_oriented_instructions.jsonl"


def _language_groups(rows: list[dict]) -> list[str]:
    """Each real page's language (the cascade detector on the prepared page, as the audit's
    language stage reads it), so a document mixes sentences of one language only."""
    from curator.langid.backends import make_backend
    from curator.langid.prepare import prepare

    detections = make_backend("cascade").detect([prepare(row["text"]).text for row in rows])
    return [d.language or "unknown" for d in detections]


def build_mixed_corpus(path: Path, size: int, seed: int = 0, evals: Path = EVALS) -> dict:
    """``size`` documents recombined from the real CC pages at paragraph and sentence level.

    A document has a *base* page (uniform over the pages, so languages come at the sample's page
    shares): it keeps the base page's title line half of the time, then 3-40 paragraphs (the base
    page's paragraph count ± half) of 1-4 sentences each, a third of them from the base page and
    the rest drawn from every page of the base page's language (its sentence pool); where a pool is
    small a document draws at most a fifth of it, so two documents rarely share more than a few
    sentences (real boilerplate lines and titles recur, as on a crawl). Planted, at ``RATES``:
    exact copies of an earlier document (of the last 20,000), near copies (an earlier document
    with one paragraph dropped and one word changed), an e-mail
    address, and an eval item's instruction as its own paragraph (from ``evals``). Returns the
    truth (planted counts, base-page languages), also written to ``path`` + ``.truth.json``.
    """
    rows = real_documents()
    languages = _language_groups(rows)
    split = [[_SENTENCE_END.split(p.strip()) for p in row["text"].split("\n") if p.strip()] for row in rows]
    pools: dict[str, list[str]] = {}
    for language, paragraphs in zip(languages, split, strict=True):
        pools.setdefault(language, []).extend(s for p in paragraphs[1:] for s in p if s)
    items = [json.loads(line)["instruction"] for line in evals.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(seed)
    truth: dict = {"documents": size, "seed": seed, "rates": RATES, "planted": dict.fromkeys(RATES, 0)}
    truth["base_languages"] = {}
    truth["eval_items_planted"] = {}
    recent: list[str] = []
    with path.open("w", encoding="utf-8") as out:
        for index in range(size):
            page = rng.randrange(len(rows))
            base, language = rows[page], languages[page]
            roll = rng.random()
            if recent and roll < RATES["exact_copy"]:
                text = recent[rng.randrange(len(recent))]
                truth["planted"]["exact_copy"] += 1
            elif recent and roll < RATES["exact_copy"] + RATES["near_copy"]:
                text = _near_copy(recent[rng.randrange(len(recent))], rng)
                truth["planted"]["near_copy"] += 1
            else:
                text = _new_document(split[page], pools[language], rng)
                truth["base_languages"][language] = truth["base_languages"].get(language, 0) + 1
                if rng.random() < RATES["email"]:
                    text += f"\nContact: editor{index}@example.org"
                    truth["planted"]["email"] += 1
                if rng.random() < RATES["eval_item"]:
                    item = rng.randrange(len(items))
                    text += "\n" + items[item]
                    truth["planted"]["eval_item"] += 1
                    truth["eval_items_planted"][str(item)] = truth["eval_items_planted"].get(str(item), 0) + 1
            if len(recent) < 20000:
                recent.append(text)
            else:
                recent[index % 20000] = text
            url = (base.get("metadata") or {}).get("url") or "example.org/"
            meta = {"url": f"{url}?doc={index}"}
            row = {"id": f"mixed-{index}", "text": text, "source": "cc_synthetic", "metadata": meta}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    Path(f"{path}.truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


def _new_document(paragraphs: list[list[str]], pool: list[str], rng: random.Random) -> str:
    own = [s for p in paragraphs[1:] for s in p if s]
    low = min(40, max(3, len(paragraphs) // 2))
    wanted = rng.randint(low, max(low, min(40, len(paragraphs) * 3 // 2)))
    budget = max(3, len(pool) // 5)  # at most a fifth of a small pool
    lines = [" ".join(paragraphs[0])] if paragraphs and rng.random() < 0.5 else []
    used = 0
    for _ in range(wanted):
        count = rng.randint(1, 4)
        sentences = [
            (rng.choice(own) if own and rng.random() < 1 / 3 else rng.choice(pool)) for _ in range(count)
        ]
        lines.append(" ".join(sentences))
        used += count
        if used >= budget:
            break
    return "\n".join(lines)


def _near_copy(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    if len(lines) > 3:
        del lines[rng.randrange(len(lines))]
    line = rng.randrange(len(lines))
    words = lines[line].split(" ")
    words[rng.randrange(len(words))] = rng.choice(["really", "quite", "the", "very"])
    lines[line] = " ".join(words)
    return "\n".join(lines)


def build_corpus(path: Path, size: int, seed: int = 0, builder: str = "mixed") -> None:
    if builder == "pages":
        build_pages_corpus(path, size, seed)
    else:
        build_mixed_corpus(path, size, seed)


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


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a live process, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0.0


def run_full(
    corpus: Path,
    out: Path,
    workers: int,
    *,
    sample: str | None = None,
    seed: int = 0,
    extra: tuple[str, ...] = ("--skip", "decontaminate"),
    log: Path | None = None,
    status_every: float = 0.0,
) -> dict:
    """``curator audit`` in a child process: wall, CPU of the tree (``os.wait4``), peak RSS of
    the tree and of each process (sampled from /proc every 50 ms). ``log``: the audit's output
    (with progress lines) and, every ``status_every`` seconds, a status line (wall, CPU and RSS
    of the live processes), so a run stopped early still says how far it got."""
    command = [sys.executable, "-m", "curator.cli", "audit", str(corpus), "--out", str(out)]
    command += ["--workers", str(workers), "--overwrite", *extra]
    if sample:
        command += ["--sample", sample, "--seed", str(seed)]
    command += ["--progress", "log", "--progress-every", "60"] if log else ["-q"]
    started = time.perf_counter()
    handle = log.open("a", encoding="utf-8") if log else None
    if handle:
        handle.write(f"command: {' '.join(command)}\n")
        handle.flush()
    process = subprocess.Popen(
        command, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=handle, stderr=subprocess.STDOUT
    )
    peak = 0
    peaks: dict[int, int] = {}  # per process
    done = threading.Event()

    def sample_rss() -> None:
        nonlocal peak
        last = 0.0
        while not done.is_set():
            found = tree_rss(process.pid)
            peak = max(peak, sum(found.values()))
            for pid, rss in found.items():
                peaks[pid] = max(peaks.get(pid, 0), rss)
            now = time.perf_counter() - started
            if handle and status_every and now - last >= status_every:
                last = now
                cpu = sum(_proc_cpu(pid) for pid in found)
                rss = ", ".join(f"{pid}:{v / 2**30:.2f}" for pid, v in sorted(found.items()))
                highs = ", ".join(f"{pid}:{v / 2**30:.2f}" for pid, v in sorted(peaks.items()))
                handle.write(
                    f"status: wall {now:.0f} s, CPU of live processes {cpu:.0f} s, RSS GiB {rss}; "
                    f"peaks so far GiB {highs}\n"
                )
                handle.flush()
            time.sleep(0.05)

    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if handle:
        handle.close()
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
        "worker_rss": sorted((v for k, v in peaks.items() if k != process.pid), reverse=True),
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


LINGUA_SENTENCES = ROOT.parent / "shared" / "data" / "langid" / "lingua_sentences_75lang.jsonl"


def held_out_documents(seed: int = 1) -> list[tuple[str, str]]:
    """(text, language) documents not built from the CC sample: real sentences of lingua's
    test data (75 languages), 10 documents per language of 8-60 sentences each; a third of
    them open with two English sentences (a header or cookie notice in another language)."""
    rng = random.Random(seed)
    by_language: dict[str, list[str]] = {}
    with LINGUA_SENTENCES.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            by_language.setdefault(row["lang"], []).append(row["text"])
    english = by_language["en"]
    documents = []
    for language, sentences in sorted(by_language.items()):
        for _ in range(10):
            body = rng.sample(sentences, min(len(sentences), rng.randint(8, 60)))
            if rng.random() < 1 / 3:
                body = rng.sample(english, 2) + body
            documents.append((" ".join(body), language))
    return documents


def language_agreement(max_chars: list[int]) -> list[dict]:
    """How often the language stage, reading a bounded part of a long document (``max_chars``
    of prepared text in three windows, from at most 12,000 raw characters; 300 is the default),
    names the language it names reading the whole document, and its CPU per document. On the
    697 CC documents and on :func:`held_out_documents`."""
    import functools
    import importlib

    from curator.formats import get_format
    from curator.stages import STAGES, build_stage
    from curator.stages import language as language_module

    prepare_module = importlib.import_module("curator.langid.prepare")  # the package shadows it
    fmt = get_format("document")
    with gzip.open(CC, "rt", encoding="utf-8") as handle:
        cc = [json.loads(line)["text"] for line in handle]
    sets = {"cc": [(t, None) for t in cc], "held-out": held_out_documents()}

    def labels(texts: list[str], chars: int, whole: bool = False) -> tuple[list, float]:
        config = STAGES["language"].config_model.model_validate({"type": "language", "max_chars": chars})
        stage = build_stage(config)
        stage.setup()
        records = [
            fmt.to_record({"text": t}, {"source": "b", "file": "x", "row": i}) for i, t in enumerate(texts)
        ]
        original = language_module.prepare
        if whole:  # no raw cut either: every character of the document is read
            language_module.prepare = functools.partial(prepare_module.prepare, max_raw_chars=10**9)
        try:
            # Warm-up on every document: lingua loads a language's models on first use (a
            # one-off ~1 GiB in all), which would otherwise count against whichever runs first.
            stage.annotate([record.model_copy(deep=True) for record in records])
            started = time.process_time()
            stage.annotate(records)
            cpu = time.process_time() - started
        finally:
            language_module.prepare = original
        return [r.annotations.language for r in records], cpu

    rows = []
    for name, documents in sets.items():
        texts = [t for t, _ in documents]
        truth = [lang for _, lang in documents]
        whole, whole_cpu = labels(texts, 10**9, whole=True)
        for chars in max_chars:
            found, cpu = labels(texts, chars)
            row = {
                "set": name,
                "documents": len(texts),
                "max_chars": chars,
                "agree_whole": sum(a == b for a, b in zip(found, whole, strict=True)) / len(texts),
                "ms_per_doc": 1000 * cpu / len(texts),
                "whole_ms_per_doc": 1000 * whole_cpu / len(texts),
            }
            if truth[0] is not None:
                row["correct"] = sum(a == b for a, b in zip(found, truth, strict=True)) / len(texts)
                row["whole_correct"] = sum(a == b for a, b in zip(whole, truth, strict=True)) / len(texts)
            rows.append(row)
    return rows


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
        "--sample", help="Pass --sample N|FRACTION to the audit: PII (patterns and NER) on the sample only."
    )
    parser.add_argument("--seed", type=int, default=0, help="The audit's --seed.")
    parser.add_argument(
        "--build",
        type=int,
        metavar="DOCS",
        help="Only write a corpus of DOCS documents to --corpus, then stop.",
    )
    parser.add_argument(
        "--builder",
        choices=["mixed", "pages"],
        default="mixed",
        help="mixed: every document recombined from the real pages, planted copies at known rates "
        "(truth in CORPUS.truth.json); pages: each real page repeated with edits (the first builder).",
    )
    parser.add_argument(
        "--corpus", type=Path, help="Audit this corpus (built by --build) instead of building --sizes."
    )
    parser.add_argument("--out", type=Path, help="With --corpus: the audit folder (kept).")
    parser.add_argument("--log", type=Path, help="With --corpus: the audit's progress and status lines.")
    parser.add_argument("--status-every", type=float, default=60.0, help="Seconds between status lines.")
    parser.add_argument(
        "--evals",
        type=Path,
        help="Run decontaminate against this eval set (any supported format) instead of skipping it.",
    )
    parser.add_argument(
        "--skip-preliminaries", action="store_true", help="No reduce-state and NER measurements first."
    )
    parser.add_argument(
        "--stage-memory",
        type=int,
        default=0,
        metavar="DOCS",
        help="Only run the audit's stages in this process over DOCS documents, shard by shard "
        "(--batch each): CPU and RSS added per stage.",
    )
    parser.add_argument("--batch", type=int, default=5000, help="Documents per shard (the engine's default).")
    parser.add_argument(
        "--language-agreement",
        type=int,
        nargs="+",
        metavar="CHARS",
        help="Only measure the language stage reading CHARS prepared characters of each document "
        "against reading the whole document: agreement and CPU (CC sample and held-out documents).",
    )
    args = parser.parse_args()
    if not CC.exists():
        raise SystemExit(f"{CC} not present (../shared/data is only in the project's workspace)")
    print(f"load: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.language_agreement:
        print(
            "| documents | n | prepared chars read | same label as whole document | correct | "
            "whole document correct | CPU ms / doc | whole document CPU ms / doc |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for row in language_agreement(args.language_agreement):
            correct = f"{100 * row['correct']:.1f} %" if "correct" in row else "-"
            whole = f"{100 * row['whole_correct']:.1f} %" if "whole_correct" in row else "-"
            print(
                f"| {row['set']} | {row['documents']} | {row['max_chars']:,} "
                f"| {100 * row['agree_whole']:.1f} % "
                f"| {correct} | {whole} | {row['ms_per_doc']:.2f} | {row['whole_ms_per_doc']:.2f} |",
                flush=True,
            )
        return
    if args.build:
        if not args.corpus:
            raise SystemExit("--build needs --corpus FILE")
        started = time.process_time()
        build_corpus(args.corpus, args.build, builder=args.builder)
        print(
            f"wrote {args.build:,} documents, {args.corpus.stat().st_size / 1e9:.2f} GB, to {args.corpus} "
            f"in {time.process_time() - started:.0f} CPU-s"
        )
        return
    work = Path(tempfile.mkdtemp(prefix="corpus_audit_", dir=args.tmp))
    if args.stage_memory:
        try:
            corpus = work / "corpus.jsonl"
            build_corpus(corpus, args.stage_memory, builder=args.builder)
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
        ner_rate = None
        if not args.skip_preliminaries:
            first = work / "corpus_first.jsonl"
            build_corpus(first, 2000, builder=args.builder)
            state = state_bytes(first)
            ner_cpu = run_ner(first, args.ner_docs)
            ner_rate = args.ner_docs / ner_cpu
            print("| global stage | reduce state, bytes per document |")
            print("|---|---:|")
            for name, value in state.items():
                print(f"| {name} | {value:.1f} |")
            print()
            print(
                f"sampled NER (Presidio + en_core_web_sm, as --sample runs pii): {args.ner_docs} documents, "
                f"{ner_cpu:.1f} CPU s, {ner_rate:.1f} docs / CPU-s"
            )
            print()
        print(
            f"audit: --workers {args.workers}"
            + (f" --sample {args.sample} --seed {args.seed}" if args.sample else "")
            + (f"; decontaminate against {args.evals}" if args.evals else "; --skip decontaminate")
        )
        print(
            "| documents | MB in | audit wall s | audit CPU s | docs / CPU-s | baseline docs / CPU-s "
            "| ratio | peak RSS GiB | bytes written / doc |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        runs = [(args.corpus, args.out or work / "audit")] if args.corpus else []
        for size in [] if args.corpus else args.sizes:
            runs.append((work / f"corpus_{size}.jsonl", work / f"audit_{size}"))
            build_corpus(runs[-1][0], size, builder=args.builder)
        for corpus, out in runs:
            with corpus.open("rb") as handle:
                size = sum(1 for _ in handle)
            evals = (
                f"decontaminate.evals=[{{name: evals, path: {args.evals.resolve()}}}]" if args.evals else None
            )
            full = run_full(
                corpus,
                out,
                args.workers,
                sample=args.sample,
                seed=args.seed,
                extra=("--set", evals) if evals else ("--skip", "decontaminate"),
                log=args.log,
                status_every=args.status_every,
            )
            base = run_baseline(corpus)
            print(
                f"| {size:,} | {corpus.stat().st_size / 1e6:,.0f} | {full['wall']:.1f} | {full['cpu']:.1f} "
                f"| {size / full['cpu']:,.0f} | {size / base:,.0f} | {base / full['cpu']:.3f} "
                f"| {full['peak_rss'] / 2**30:.2f} | {full['written'] / size:,.0f} |",
                flush=True,
            )
            workers = ", ".join(f"{v / 2**30:.2f}" for v in full["worker_rss"])
            print(f"  peak RSS GiB: driver {full['driver_rss'] / 2**30:.2f}; other processes {workers}")
            print(f"  stage seconds (wall, summed over workers): {full['stage_seconds']}")
            corpus_json = (
                json.loads((out / "corpus.json").read_text()) if (out / "corpus.json").exists() else {}
            )
            n = (corpus_json.get("sample") or {}).get("n")
            if n and ner_rate:
                rest = full["cpu"] - n / ner_rate
                print(
                    f"  without the {n:,} sampled documents' detectors (at {ner_rate:.1f} docs / CPU-s): "
                    f"{rest:.1f} CPU s, {size / rest:,.0f} docs / CPU-s (full pass, corpus pass and report)"
                )
            if not args.keep and not args.corpus:
                corpus.unlink()
                shutil.rmtree(out, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
