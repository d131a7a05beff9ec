"""Evaluation on held-out sets: loss, bits per byte and token accuracy on assistant tokens; greedy
generation scored by ROUGE-L and exact match against the reference answers.

Bits per byte = (sum of the NLL, in nats, of every learned token: answer text plus its end-of-turn
marker) / (ln 2 · UTF-8 bytes of the answer text). The denominator does not depend on the
tokenizer, so models with different tokenizers compare on it. An example longer than ``seq_len``
is cut, and only the bytes its remaining tokens carry are counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from curator.train.chat import IGNORE, ChatEncoder, Encoded, split_for_generation
from curator.train.data import RecordSet
from curator.train.loop import Runtime, loss_sum
from curator.train.metrics import exact_match, rouge_l
from curator.train.models import require_torch
from curator.train.packing import Rows, pack


@dataclass(slots=True)
class EvalData:
    name: str
    rows: Rows
    examples: int
    truncated: int
    unscored: int  # examples with no assistant token left after cutting (nothing to score)
    ids: list[str]
    prompts: list[list[int]]
    references: list[str]


def prepare_eval(
    records: RecordSet, encoder: ChatEncoder, seq_len: int, max_examples: int | None, max_generate: int
) -> EvalData:
    chosen = records.records[:max_examples] if max_examples else records.records
    encoded: list[Encoded] = []
    unscored = 0
    for record in chosen:
        example = encoder.encode(record.messages, seq_len)
        if example is None:
            unscored += 1
        else:
            encoded.append(example)
    rows = pack(encoded, seq_len, encoder.pad_id, True)
    ids, prompts, references = [], [], []
    for record in chosen[:max_generate]:
        context, reference = split_for_generation(record.messages)
        ids.append(record.id)
        prompts.append(encoder.prompt_ids(context))
        references.append(reference)
    return EvalData(
        records.name,
        rows,
        len(encoded),
        sum(e.truncated for e in encoded),
        unscored,
        ids,
        prompts,
        references,
    )


def eval_loss(runtime: Runtime, data: EvalData, batch_size: int) -> dict[str, Any]:
    """Held-out loss (nats per assistant token), bits per byte and next-token accuracy."""
    torch, _ = require_torch()
    model = runtime.model
    was_training = model.training
    model.eval()
    nll_total, tokens, correct, nbytes = 0.0, 0, 0, 0
    try:
        with torch.no_grad():
            for start in range(0, len(data.rows), batch_size):
                batch = Rows(
                    *(
                        getattr(data.rows, f)[start : start + batch_size]
                        for f in ("input_ids", "targets", "target_bytes", "position_ids", "real")
                    )
                )
                nll, targets, logits = loss_sum(runtime, batch, training=False)
                learned = targets != IGNORE
                nll_total += float(nll)
                tokens += int(learned.sum())
                correct += int(((logits.argmax(-1) == targets) & learned).sum())
                nbytes += int(batch.target_bytes[batch.targets != IGNORE].sum())
    finally:
        model.train(was_training)
    return {
        "examples": data.examples,
        "tokens": tokens,
        "bytes": nbytes,
        "loss": nll_total / tokens if tokens else None,
        "bits_per_byte": nll_total / (math.log(2) * nbytes) if nbytes else None,
        "token_accuracy": correct / tokens if tokens else None,
        "truncated_examples": data.truncated,
        "unscored_examples": data.unscored,
    }


def generate(
    runtime: Runtime,
    encoder: ChatEncoder,
    prompts: Sequence[list[int]],
    *,
    max_new_tokens: int,
    batch_size: int,
    max_prompt_tokens: int,
) -> list[str]:
    """Greedy answers to ``prompts`` (token ids), batched with left padding, cut at the first stop token."""
    torch, transformers = require_torch()
    model = runtime.model
    was_training = model.training
    model.eval()
    settings = transformers.GenerationConfig(
        do_sample=False,
        max_new_tokens=max_new_tokens,
        pad_token_id=encoder.pad_id,
        eos_token_id=list(encoder.stop_ids),
    )
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))  # similar lengths share a batch
    answers = [""] * len(prompts)
    stops = set(encoder.stop_ids)
    try:
        with torch.no_grad():
            for start in range(0, len(order), batch_size):
                chosen = order[start : start + batch_size]
                cut = [list(prompts[i][-max_prompt_tokens:]) for i in chosen]
                width = max(len(p) for p in cut)
                input_ids = np.full((len(cut), width), encoder.pad_id, dtype=np.int64)
                attention = np.zeros((len(cut), width), dtype=np.int64)
                for row, prompt in enumerate(cut):
                    input_ids[row, width - len(prompt) :] = prompt
                    attention[row, width - len(prompt) :] = 1
                with runtime.autocast():
                    output = model.generate(
                        input_ids=runtime.tensor(input_ids),
                        attention_mask=runtime.tensor(attention),
                        generation_config=settings,
                    )
                for row, index in enumerate(chosen):
                    new = output[row, width:].tolist()
                    end = next((k for k, token in enumerate(new) if token in stops), len(new))
                    answers[index] = encoder.decode(new[:end])
    finally:
        model.train(was_training)
    return answers


def eval_generation(
    runtime: Runtime,
    encoder: ChatEncoder,
    data: EvalData,
    *,
    max_new_tokens: int,
    batch_size: int,
    seq_len: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """ROUGE-L and exact match of greedy answers; and one row per example for generations/<set>.jsonl."""
    if not data.prompts:
        return {}, []
    answers = generate(
        runtime,
        encoder,
        data.prompts,
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
        max_prompt_tokens=max(16, seq_len - max_new_tokens),
    )
    rows, rouge, exact = [], [], []
    for record_id, reference, answer in zip(data.ids, data.references, answers, strict=True):
        r, e = rouge_l(answer, reference), exact_match(answer, reference)
        rouge.append(r)
        exact.append(e)
        rows.append(
            {"id": record_id, "reference": reference, "generated": answer, "rouge_l": r, "exact_match": e}
        )
    metrics = {
        "generated": len(answers),
        "rouge_l": sum(rouge) / len(rouge),
        "exact_match": sum(exact) / len(exact),
        "max_new_tokens": max_new_tokens,
    }
    return metrics, rows
