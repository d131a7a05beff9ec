"""The audit's corpus pass: token counts over every record, and expensive detectors on a sample.

``curator audit`` runs every cheap annotator over every record (exact figures), then this pass
reads the annotated records once more and

* counts tokens of every record with a tokenizer file, when one is given (exact, full pass);
* draws a seeded uniform sample (:mod:`curator.estimates`) and runs the expensive detectors on it
  (:data:`SAMPLED_DETECTORS`: Presidio with the spaCy NER model; model-score stages join the
  same list), giving each rate with a 95 % interval and the sample size.

Its result is ``corpus.json`` in the run folder; the report's corpus sections read it, so
``curator report`` rebuilds the same report without running anything. It holds counts and type
names only, never text, so it leaks no PII.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from curator.errors import CuratorError
from curator.estimates import Estimate, Method, Sampler, SampleSpec, estimate
from curator.io import write_bytes_atomic
from curator.records import InstructionRecord

CORPUS_JSON = "corpus.json"
TOKEN_BATCH = 512
DETECT_BATCH = 256
# Stage type → the options that make it the expensive variant (the full pass runs the cheap one).
SAMPLED_DETECTORS: dict[str, dict[str, Any]] = {
    "pii": {"structured_only": False},
}


def load_tokenizer(path: Path) -> Any:
    """A ``tokenizers`` tokenizer from a tokenizer.json file (offline; never downloads)."""
    try:
        from tokenizers import Tokenizer
    except ImportError:  # pragma: no cover - tokenizers comes with transformers
        raise CuratorError("--tokenizer needs the `tokenizers` package: pip install tokenizers") from None
    if path.is_dir():
        path = path / "tokenizer.json"
    if not path.is_file():
        raise CuratorError(f"--tokenizer: {path} is not a tokenizer.json file or a folder holding one")
    try:
        return Tokenizer.from_file(str(path))
    except Exception as exc:  # the library raises a bare Exception for a malformed file
        raise CuratorError(f"--tokenizer: cannot load {path}: {exc}") from None


def sampled_configs(settings: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The expensive detectors' stage configs in tag mode (``--set`` options of the type apply)."""
    from curator.audit import _merge, tag_mode
    from curator.stages import STAGES

    configs = []
    for stage_type, options in SAMPLED_DETECTORS.items():
        merged = _merge(_merge({}, (settings or {}).get(stage_type, {})), options)
        config = STAGES[stage_type].config_model.model_validate(
            {**merged, "type": stage_type, "name": f"{stage_type}_sampled"}
        )
        configs.append(tag_mode(config).model_dump(mode="json"))
    return configs


class _Detectors:
    """The sampled detectors, set up once; counts per stage of flagged records, reasons, PII types."""

    def __init__(self, configs: list[dict[str, Any]], base_dir: Path) -> None:
        from curator.stages import STAGES, build_stage

        self.stages = []
        for data in configs:
            config = STAGES[data["type"]].config_model.model_validate(data).resolve_paths(base_dir)
            stage = build_stage(config)
            stage.setup()
            self.stages.append(stage)
        self.n = 0
        self.flagged: Counter[str] = Counter()
        self.reasons: dict[str, Counter[str]] = {s.name: Counter() for s in self.stages}
        self.types: dict[str, Counter[str]] = {s.name: Counter() for s in self.stages}

    def run(self, batch: list[InstructionRecord]) -> None:
        if not batch:
            return
        self.n += len(batch)
        for stage in self.stages:
            # A fresh copy per detector: the full pass's annotations must not count as its findings.
            copies = [r.model_copy(deep=True) for r in batch]
            for copy in copies:
                copy.annotations.pii = []
                copy.annotations.quality_flags = []
            result = stage.process(copies)
            prefix = f"{stage.name}:"
            for record in result.kept:
                reasons = {f[len(prefix) :] for f in record.annotations.quality_flags if f.startswith(prefix)}
                types = {finding.type for finding in record.annotations.pii}
                if reasons or types:
                    self.flagged[stage.name] += 1
                self.reasons[stage.name].update(reasons)
                self.types[stage.name].update(types)
            if result.removed:  # tag mode removes nothing; a bug would be hidden otherwise
                raise CuratorError(f"sampled detector {stage.name} removed records in tag mode")

    def result(self, population: int, method: Method) -> dict[str, Any]:
        def est(count: int) -> dict[str, Any]:
            return estimate(count, self.n, method=method, population=population).model_dump()

        return {
            stage.name: {
                "type": stage.config.type,
                "options": SAMPLED_DETECTORS.get(stage.config.type, {}),
                "records_flagged": est(self.flagged[stage.name]),
                "by_reason": {k: est(v) for k, v in sorted(self.reasons[stage.name].items())},
                "by_type": {k: est(v) for k, v in sorted(self.types[stage.name].items())},
            }
            for stage in self.stages
        }


def corpus_pass(
    run_dir: Path,
    *,
    spec: SampleSpec | None = None,
    tokenizer: Path | None = None,
    detectors: list[dict[str, Any]] | None = None,
    base_dir: Path | None = None,
    method: Method = "clopper-pearson",
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Read the run's kept records once; write and return ``corpus.json``."""
    from curator.report.builder import iter_run_records
    from curator.run import RunFolder

    manifest = RunFolder(run_dir).read_manifest()
    encoder = load_tokenizer(tokenizer) if tokenizer is not None else None
    running = _Detectors(detectors or [], base_dir or Path.cwd()) if spec is not None else None
    sampler = Sampler(spec) if spec is not None else None
    bernoulli: list[InstructionRecord] = []
    tokens: Counter[str] = Counter()
    texts: list[str] = []
    sources: list[str] = []
    records = 0

    def flush_tokens() -> None:
        if encoder is None or not texts:
            return
        for source, encoding in zip(
            sources, encoder.encode_batch(texts, add_special_tokens=False), strict=True
        ):
            tokens[source] += len(encoding.ids)
        texts.clear()
        sources.clear()

    for record, outcome in iter_run_records(run_dir, manifest):
        if outcome.fate != "kept":
            continue
        records += 1
        if encoder is not None:
            texts.append("\n\n".join(m.content for m in record.messages))
            sources.append(record.provenance.source)
            if len(texts) >= TOKEN_BATCH:
                flush_tokens()
        if sampler is not None and running is not None:
            if spec is not None and spec.fraction is not None:
                if sampler.take(record.id):  # Bernoulli: detect as we go, keep nothing
                    bernoulli.append(record)
                    if len(bernoulli) >= DETECT_BATCH:
                        running.run(bernoulli)
                        bernoulli.clear()
            else:
                sampler.offer(record.id, record)
        if on_progress is not None and records % 1000 == 0:
            on_progress(1000)
    flush_tokens()
    document: dict[str, Any] = {"records": records}
    if encoder is not None:
        document["tokens"] = {
            "tokenizer": tokenizer.name if tokenizer is not None else None,
            "total": sum(tokens.values()),
            "by_source": dict(sorted(tokens.items())),
        }
    if sampler is not None and running is not None and spec is not None:
        running.run(bernoulli)
        chosen = sampler.items() if spec.size is not None else []
        for start in range(0, len(chosen), DETECT_BATCH):
            running.run(chosen[start : start + DETECT_BATCH])  # type: ignore[arg-type]
        document["sample"] = {
            "spec": spec.model_dump(),
            "described": spec.describe(),
            "population": records,
            "n": running.n,
            "method": method,
            "confidence": 0.95,
            "detectors": running.result(records, method),
        }
    write_bytes_atomic(run_dir / CORPUS_JSON, orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    return document


def read_corpus(run_dir: Path | None) -> dict[str, Any] | None:
    """``corpus.json`` of a run folder, or None when the audit made none."""
    if run_dir is None:
        return None
    try:
        return orjson.loads((run_dir / CORPUS_JSON).read_bytes())
    except (OSError, ValueError):
        return None


__all__ = ["CORPUS_JSON", "Estimate", "corpus_pass", "read_corpus", "sampled_configs"]


def summary_lines(run_dir: Path) -> list[str]:
    """Lines for the terminal: the corpus figures and the sampled estimates, from report.json."""
    try:
        report = orjson.loads((run_dir / "report.json").read_bytes())
    except (OSError, ValueError):
        return []
    sections = {s.get("key"): s for s in report.get("sections", [])}
    lines: list[str] = []
    corpus = (sections.get("corpus") or {}).get("summary") or {}
    if corpus.get("documents"):
        tokens = f", {corpus['tokens']:,} tokens ({corpus['tokenizer']})" if corpus.get("tokens") else ""
        domains = f", {corpus['distinct_domains']:,} domains" if corpus.get("distinct_domains") else ""
        lines.append(
            f"corpus: {corpus['documents']:,} documents, {corpus['bytes']:,} bytes{tokens}{domains}; "
            f"exact duplicates {corpus['exact_duplicate_documents_percent']}%, "
            f"duplicate lines {corpus.get('duplicate_lines_percent', '-')}% (exact, full pass)"
        )
    estimates = sections.get("estimates") or {}
    for row in (estimates.get("tables") or [{}])[0].get("rows", []):
        if row[1] == "records with any finding":
            lines.append(
                f"estimate: {row[0]}: {row[4]:.1f}% of records (95% CI {row[5]:.1f}–{row[6]:.1f}%, "
                f"{row[2]} of a sample of {row[3]:,})"
            )
    return lines
