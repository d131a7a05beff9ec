"""Train one model on one set of records (``train_records``), or every mixture of a run plus the
uncurated baseline with the same budget, seed and eval sets (``validate_run``).

Output of one training (``curator train --out DIR``)::

    DIR/metrics.json              model, device, budget, decontamination, loss curve, eval metrics
    DIR/loss_curve.png            training loss (and held-out loss when measured during training)
    DIR/generations/<set>.jsonl   greedy answers with their reference, ROUGE-L and exact match
    DIR/model/                    save_pretrained model + tokenizer (with --save-model)

``validate_run`` writes one such folder per mixture and ``baseline/`` under ``RUN/validation/``,
then ``scorecard.json``, ``scorecard.md`` and ``scorecard.png`` there.
"""

from __future__ import annotations

import platform
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

import curator
from curator.errors import CuratorError
from curator.io import JsonlWriter, write_json_atomic
from curator.records import InstructionRecord
from curator.run import RunFolder
from curator.train.data import (
    RecordSet,
    load_baseline,
    load_eval_sets,
    load_mixtures,
)
from curator.train.decontam import find_overlap
from curator.train.store import TokenStore
from curator.validation import TrainConfig, ValidationConfig

Log = Callable[[str], None]
MARKERS = ("metrics.json", "scorecard.json")


def prepare_output(out_dir: Path, overwrite: bool) -> None:
    """An empty output folder; a non-empty one is replaced only with ``overwrite`` and if curator wrote it."""
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise CuratorError(
                f"output folder {out_dir} is not empty; choose another --out or pass --overwrite"
            )
        ours = any((out_dir / m).exists() for m in MARKERS) or any(
            (child / "metrics.json").exists() for child in out_dir.iterdir() if child.is_dir()
        )
        if not ours:
            raise CuratorError(
                f"refusing to overwrite {out_dir}: it does not look like a curator train folder"
            )
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)


DECONTAMINATION_CHUNK = 5_000  # training records read, checked against the eval sets and encoded at a time


def encode_training_set(
    train: RecordSet, eval_sets: list[RecordSet], config: TrainConfig, encoder: Any, store: TokenStore
) -> tuple[int, dict[str, Any], int]:
    """Stream ``train`` once: drop records that overlap an eval set (``config.decontaminate``), encode
    the rest into ``store``; return the records read, the decontamination report and the records
    with nothing to learn within ``seq_len``.

    Records are read, checked and encoded a chunk at a time, so memory holds one chunk of records,
    whatever the size of the set. The overlap check is per training record, so checking chunk by
    chunk finds exactly what one call over the whole set finds.
    """
    evals = [record for s in eval_sets for record in s.records] if config.decontaminate else []
    removed: list[str] = []
    eval_hits: set[str] = set()
    method, unchecked, before, unlearnable = "off", 0, 0, 0

    def encode(chunk: list[InstructionRecord]) -> None:
        nonlocal method, unchecked, unlearnable
        overlapping: set[str] = set()
        if config.decontaminate:
            overlap = find_overlap(chunk, evals, config.ngram)
            method, unchecked = overlap.method, overlap.eval_unchecked
            overlapping = overlap.train_ids
            removed.extend(r.id for r in chunk if r.id in overlapping)
            eval_hits.update(overlap.eval_ids)
        for record in chunk:
            if record.id in overlapping:
                continue
            example = encoder.encode(record.messages, config.seq_len)
            if example is None:
                unlearnable += 1
            else:
                store.add(example)

    chunk: list[InstructionRecord] = []
    for record in train.iter_records():
        before += 1
        chunk.append(record)
        if len(chunk) == DECONTAMINATION_CHUNK:
            encode(chunk)
            chunk = []
    if chunk or not before:
        encode(chunk)
    store.close()
    if not config.decontaminate:
        return before, {"method": "off", "train_records_removed": 0}, unlearnable
    report = {
        "method": method,
        "ngram": config.ngram,
        "train_records_before": before,
        "train_records_removed": len(removed),
        "removed_ids": sorted(removed)[:1000],
        "eval_records_hit": len(eval_hits),
        "eval_records": len(evals),
        "eval_records_too_short_to_check": unchecked,
    }
    return before, report, unlearnable


def train_records(
    train: RecordSet,
    eval_sets: list[RecordSet],
    config: TrainConfig,
    out_dir: Path,
    *,
    on_log: Log | None = None,
) -> dict[str, Any]:
    """Train one model on ``train``, evaluate it on every eval set, write ``out_dir``; return the metrics.

    ``train`` is read as a stream and its encoded examples go to a memory-mapped scratch store
    (:mod:`curator.train.store`), deleted at the end: memory does not grow with the training set.
    """
    with TokenStore() as store:
        return _train_records(train, eval_sets, config, out_dir, store, on_log)


def _train_records(
    train: RecordSet,
    eval_sets: list[RecordSet],
    config: TrainConfig,
    out_dir: Path,
    store: TokenStore,
    on_log: Log | None,
) -> dict[str, Any]:
    from curator.train.evaluate import eval_generation, eval_loss, prepare_eval
    from curator.train.loop import Runtime, choose_isolation
    from curator.train.loop import train as run_training
    from curator.train.models import (
        load_model,
        proxy_encoder,
        require_torch,
        resolve_attention,
        resolve_device,
        resolve_precision,
        save_model,
    )

    torch, transformers = require_torch()
    log = on_log or (lambda _message: None)
    started = time.perf_counter()
    empty = f"{train.name!r} ({train.origin}) is empty: no records to train on"
    if not train.streamed and not train.records:
        raise CuratorError(empty)
    device = resolve_device(config.device)
    precision = resolve_precision(config.precision, device)
    attention = resolve_attention(config.attn_implementation, device, precision)
    if config.threads:
        torch.set_num_threads(config.threads)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    random.seed(config.seed)
    texts = (m.content for record in train.iter_records() for m in record.messages)
    loaded = load_model(config, attention, proxy_encoder(config, texts))
    loaded.model.to(device)
    encoder = loaded.encoder

    read, decontamination, unlearnable = encode_training_set(train, eval_sets, config, encoder, store)
    if not read:
        raise CuratorError(empty)
    if decontamination["train_records_removed"]:
        log(
            f"{train.name}: removed {decontamination['train_records_removed']} training records that "
            f"overlap the eval sets ({decontamination['method']})"
        )
    if decontamination["train_records_removed"] == read:
        raise CuratorError(f"{train.name!r}: every record overlaps an eval set; nothing is left to train on")
    if not len(store):
        raise CuratorError(
            f"{train.name!r}: no record has an assistant token within seq_len={config.seq_len}"
        )
    examples = store
    evals = [
        prepare_eval(s, encoder, config.seq_len, config.max_eval_examples, config.max_generate)
        for s in eval_sets
    ]

    runtime = Runtime(loaded, device, precision, attention)
    runtime.isolation = choose_isolation(runtime) if config.pack else "unpacked"
    if config.pack and runtime.isolation == "unpacked":
        log(
            "warning: packed examples leak into each other with this model under both isolation methods; "
            "training one example per row"
        )
    if config.compile:
        runtime.compiled = torch.compile(loaded.model)
    tokens_per_step = config.batch_size * config.grad_accum * config.seq_len
    log(
        f"{train.name}: {loaded.name} ({loaded.parameters:,} parameters) on {device} "
        f"({precision}, {attention}, packing: {runtime.isolation}); {len(examples):,} examples, "
        f"{config.steps} steps × {tokens_per_step:,} "
        f"token positions"
    )

    def held_out(_step: int) -> dict[str, Any]:
        return {data.name: eval_loss(runtime, data, config.eval_batch_size) for data in evals}

    initial = held_out(0) if config.eval_at_start else None
    torch.manual_seed(config.seed)  # dropout, if the model has any, draws from here
    outcome = run_training(runtime, examples, config, on_log=log, evaluate=held_out)

    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for data in evals:
        metrics = eval_loss(runtime, data, config.eval_batch_size)
        if config.max_generate:
            generation, rows = eval_generation(
                runtime,
                encoder,
                data,
                max_new_tokens=config.max_new_tokens,
                batch_size=config.eval_batch_size,
                seq_len=config.seq_len,
            )
            metrics.update(generation)
            if rows:
                (out_dir / "generations").mkdir(exist_ok=True)
                with JsonlWriter(out_dir / "generations" / f"{data.name}.jsonl") as writer:
                    for row in rows:
                        writer.write_line(orjson.dumps(row))
        results[data.name] = metrics
        log(_describe_eval(data.name, metrics, initial.get(data.name) if initial else None))

    model_dir = None
    if config.save_model:
        model_dir = out_dir / "model"
        save_model(loaded, model_dir)
    metrics = {
        "curator_version": curator.__version__,
        "name": train.name,
        "data": {
            **train.summary(),
            "records": read - decontamination["train_records_removed"],  # the records trained on
            "examples": len(examples),
            "examples_answer_past_seq_len": unlearnable,
            "truncated_examples": store.truncated,
        },
        "decontamination": decontamination,
        "model": {**loaded.describe(), "saved_to": model_dir.as_posix() if model_dir else None},
        "config": config.model_dump(mode="json"),
        "runtime": {
            "device": str(device),
            "device_name": torch.cuda.get_device_name(device)
            if device.type == "cuda"
            else platform.processor() or platform.machine(),
            "precision": precision,
            "attention": attention,
            "packing": runtime.isolation,
            "compile": config.compile,
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "threads": torch.get_num_threads(),
        },
        "budget": {
            "steps": config.steps,
            "tokens_per_step": tokens_per_step,
            "train_positions": outcome.positions,
            "lr": config.effective_lr(loaded.is_preset),
            "warmup_steps": config.effective_warmup(),
        },
        "train": {
            **outcome.summary(),
            "loss_curve": outcome.curve,
            "held_out_during_training": outcome.evals,
        },
        "eval_initial": initial,
        "eval": results,
        "seconds": round(time.perf_counter() - started, 3),
    }
    write_json_atomic(out_dir / "metrics.json", metrics)
    from curator.train.scorecard import plot_loss_curve

    plot_loss_curve(metrics, out_dir / "loss_curve.png")
    return metrics


def _describe_eval(name: str, metrics: dict[str, Any], initial: dict[str, Any] | None) -> str:
    parts = [f"eval {name}: loss {metrics['loss']:.4f}"]
    if initial and initial.get("loss") is not None:
        parts[0] += f" (untrained {initial['loss']:.4f})"
    if metrics.get("bits_per_byte") is not None:
        parts.append(f"bits/byte {metrics['bits_per_byte']:.4f}")
    parts.append(f"token acc {metrics['token_accuracy']:.3f}")
    if "rouge_l" in metrics:
        parts.append(f"ROUGE-L {metrics['rouge_l']:.3f}  exact {metrics['exact_match']:.3f}")
    return "  ".join(parts)


def validate_run(
    run_dir: Path,
    validation: ValidationConfig,
    *,
    base_dir: Path | None = None,
    out_dir: Path | None = None,
    overwrite: bool = False,
    on_log: Log | None = None,
) -> dict[str, Any]:
    """Train one model per mixture of ``run_dir`` (and the baseline); write and return the scorecard."""
    from curator.train.models import check_model
    from curator.train.scorecard import build_scorecard, write_scorecard

    log = on_log or (lambda _message: None)
    check_model(validation.model)
    manifest = RunFolder(run_dir).read_manifest()
    base_dir = base_dir or manifest.recipe.base_dir
    out_dir = out_dir or run_dir / validation.out
    eval_sets = load_eval_sets(validation.eval, base_dir)
    mixtures = load_mixtures(run_dir, validation.mixtures, stream=True)
    if any(m.name == "baseline" for m in mixtures) and validation.baseline:
        raise CuratorError(
            "a mixture is named 'baseline', the name of the uncurated baseline; rename the mixture"
        )
    sets = ([load_baseline(run_dir)] if validation.baseline else []) + mixtures
    prepare_output(out_dir, overwrite)
    config = validation.train_config()
    results = []
    for index, record_set in enumerate(sets, 1):
        # A streamed mixture holds no records until it is read: its size is known after the first pass.
        size = "streamed" if record_set.streamed else f"{len(record_set.records):,} records"
        log(f"[{index}/{len(sets)}] training on {record_set.name} ({size})")
        metrics = train_records(record_set, eval_sets, config, out_dir / record_set.name, on_log=log)
        results.append(metrics)
    scorecard = build_scorecard(
        results, baseline="baseline" if validation.baseline else None, run_dir=run_dir
    )
    write_scorecard(scorecard, results, out_dir)
    return scorecard
