"""Answer loss, perplexity and IFD of conversations under a causal LM.

* ``loss``: mean negative log-likelihood (nats) of the assistant tokens given everything before
  them, with the model's chat template (the bundled runner's encoders, so the tokens scored are
  exactly the tokens ``curator train`` learns);
* ``perplexity``: exp(loss);
* ``ifd`` (Cherry LLM's instruction-following difficulty): loss of the answers given the prompt
  ÷ loss of the same answers with every user and system turn emptied. Near or above 1: the prompt
  does not help predict the answer (hard, or unrelated); low: the answer follows from the prompt.

Inputs are sorted by length and cut into batches by a token budget; padding is masked out, so a
record's scores do not depend on which records share its batch (up to float rounding). bf16
autocast on a GPU that supports it; fp32 on CPU.

A *proxy* model (``proxy-tiny``…) is trained by the bundled runner on a reference set first
(:func:`proxy_folder`), once per (reference contents, settings), and cached on disk.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import curator
from curator.errors import CuratorError
from curator.records import InstructionRecord, Message
from curator.scoring.batching import length_batches
from curator.scoring.models import autocast, cache_root, pick_device, require_torch, torch_threads

if TYPE_CHECKING:
    from curator.train.chat import Encoded

METRICS = ("loss", "perplexity", "ifd", "unconditional_loss")


def answer_only(messages: Sequence[Message]) -> list[Message]:
    """The conversation with every system turn dropped and every user turn emptied (IFD's denominator)."""
    return [
        Message(role="user", content="") if m.role == "user" else m for m in messages if m.role != "system"
    ]


class LMScorer:
    def __init__(
        self,
        model: str,
        *,
        max_tokens: int = 1024,
        batch_size: int = 16,
        max_batch_tokens: int = 16384,
        device: str = "auto",
        precision: str = "auto",
        threads: int | None = None,
    ) -> None:
        require_torch()
        from curator.train.models import load_model
        from curator.validation import TrainConfig

        self.threads = threads
        loaded = load_model(TrainConfig(model=model, seq_len=max(16, max_tokens)))
        self.model = loaded.model
        self.encoder = loaded.encoder
        self.device = pick_device(device)
        self.precision = precision
        self.model.to(self.device).eval()
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens

    def score(self, conversations: Sequence[Sequence[Message]], ifd: bool = True) -> dict[str, np.ndarray]:
        """Per conversation: loss, perplexity, and (with ``ifd``) unconditional_loss and ifd; NaN when
        the conversation has no assistant token within ``max_tokens``."""
        # Both passes in one call: they share length batches, and a conversation that is already
        # its own answer-only form (no prompt text) is run once for both.
        inputs = [list(m) for m in conversations]
        if ifd:
            inputs += [answer_only(m) for m in conversations]
        nll = self._mean_nll(inputs)
        loss = nll[: len(conversations)]
        out = {"loss": loss, "perplexity": np.exp(np.minimum(loss, 700.0))}
        if ifd:
            alone = nll[len(conversations) :]
            out["unconditional_loss"] = alone
            with np.errstate(divide="ignore", invalid="ignore"):
                out["ifd"] = np.where(alone > 0, loss / alone, np.nan)
        return out

    def _mean_nll(self, conversations: list[list[Message]]) -> np.ndarray:
        """Mean answer NLL per conversation; identical token sequences are run once (a dirty set's
        exact duplicates, or IFD's answer-only passes of records with the same answer)."""
        torch, _ = require_torch()
        result = np.full(len(conversations), np.nan)
        first: dict[bytes, int] = {}  # token sequence -> index of its first occurrence
        unique: list[Encoded] = []
        where = np.full(len(conversations), -1, dtype=np.int64)  # conversation -> index in unique
        for i, messages in enumerate(conversations):
            encoded = self.encoder.encode(messages, self.max_tokens)
            if encoded is None:
                continue
            key = encoded.input_ids.tobytes() + b"|" + encoded.targets.tobytes()
            if key not in first:
                first[key] = len(unique)
                unique.append(encoded)
            where[i] = first[key]
        means = np.full(len(unique), np.nan)
        pad = self.encoder.pad_id
        lengths = [len(e) for e in unique]
        with torch.inference_mode(), autocast(self.device, self.precision), torch_threads(self.threads):
            for batch in length_batches(lengths, self.batch_size, self.max_batch_tokens):
                width = max(lengths[j] for j in batch)
                ids = np.full((len(batch), width), pad, dtype=np.int64)
                targets = np.full((len(batch), width), -100, dtype=np.int64)
                for row, j in enumerate(batch):
                    ids[row, : lengths[j]] = unique[j].input_ids
                    targets[row, : lengths[j]] = unique[j].targets
                # Right padding under a causal mask: real tokens never attend to the pads after them,
                # so no attention mask is needed and SDPA takes its fast causal path; pads are not scored.
                logits = self.model(input_ids=torch.from_numpy(ids).to(self.device)).logits
                targets_t = torch.from_numpy(targets).to(self.device)
                nll = torch.nn.functional.cross_entropy(
                    logits.float().transpose(1, 2), targets_t, ignore_index=-100, reduction="none"
                )
                counted = (targets_t != -100).sum(1).clamp(min=1)
                means[batch] = (nll.sum(1) / counted).double().cpu().numpy()
        scored = where >= 0
        result[scored] = means[where[scored]]
        return result


def proxy_folder(
    preset: str,
    reference: Sequence[InstructionRecord],
    *,
    steps: int,
    seed: int,
    seq_len: int,
    batch_size: int,
    threads: int | None,
    log=None,
) -> Path:
    """A proxy preset trained by the bundled runner on ``reference`` and saved, cached by content.

    The cache key covers the reference records (their JSON), the settings and curator's version,
    so a changed reference set trains a new proxy; a file lock makes parallel workers train it once.
    """
    from curator.train.data import RecordSet
    from curator.train.runner import train_records
    from curator.validation import TrainConfig

    if not reference:
        raise CuratorError(f"the reference set to train {preset} on has no records")
    digest = hashlib.sha256(f"{preset}|{steps}|{seed}|{seq_len}|{batch_size}|{curator.__version__}".encode())
    for record in reference:
        digest.update(record.to_json())
        digest.update(b"\n")
    root = cache_root() / "proxies"
    root.mkdir(parents=True, exist_ok=True)
    target = root / digest.hexdigest()[:24]
    with (root / f"{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "model" / "config.json").is_file():
            return target / "model"
        config = TrainConfig(
            model=preset,
            steps=steps,
            seed=seed,
            seq_len=seq_len,
            batch_size=batch_size,
            threads=threads,
            eval_at_start=False,
            max_generate=0,
            decontaminate=False,
            save_model=True,
            log_every=max(1, steps // 4),
        )
        partial = root / f"{target.name}.tmp{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        torch, _ = require_torch()
        with torch_threads(torch.get_num_threads()):  # train_records sets its own count: restore ours
            train_records(
                RecordSet("reference", list(reference), "reference set"), [], config, partial, on_log=log
            )
        partial.rename(target)
    return target / "model"


def finite(value: float) -> bool:
    return value is not None and math.isfinite(value)
