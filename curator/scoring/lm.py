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
autocast on a GPU that supports it; fp32 on CPU, or bf16 weights with ``precision: bf16``. Only the
answer positions go through the output layer.

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
        if self.device.type == "cpu" and precision == "bf16":
            # Scoring only, so no fp32 master weights are needed: bf16 weights spare autocast's cast of
            # every weight and activation at every call (the model keeps fp32 where it upcasts itself).
            self.model.to(require_torch()[0].bfloat16)
            self.precision = "fp32"  # no autocast on top
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        # Only answer positions are scored: the output layer (and the softmax over the vocabulary)
        # runs on those rows alone. A pre-hook selects them from the hidden states, so whatever the
        # model does after its output layer (logit scaling, soft-capping) still applies.
        self._answers = None
        head = self.model.get_output_embeddings()
        if head is not None:
            head.register_forward_pre_hook(self._keep_answers)

    def _keep_answers(self, _module, args):
        if self._answers is None:
            return None
        return (args[0][self._answers], *args[1:])

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
                targets_t = torch.from_numpy(targets).to(self.device)
                scored = targets_t != -100
                # Right padding under a causal mask: real tokens never attend to the pads after them,
                # so no attention mask is needed and SDPA takes its fast causal path; pads are not scored.
                self._answers = scored
                try:
                    logits = self.model(input_ids=torch.from_numpy(ids).to(self.device)).logits
                finally:
                    self._answers = None
                if logits.dim() == 3:  # a model without a separate output layer: select afterwards
                    logits = logits[scored]
                # NLL = logsumexp − the target's logit: the same number as cross-entropy without
                # writing out a log-probability for every vocabulary entry.
                logits = logits.float()
                nll = torch.logsumexp(logits, 1) - logits.gather(1, targets_t[scored][:, None])[:, 0]
                rows = scored.nonzero()[:, 0]
                sums = torch.zeros(len(batch), dtype=torch.float64, device=self.device)
                sums.index_add_(0, rows, nll.double())
                means[batch] = (sums / scored.sum(1).clamp(min=1)).cpu().numpy()
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
    tokenizer: str = "byte",
    vocab_size: int = 2048,
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
    settings = f"{preset}|{steps}|{seed}|{seq_len}|{batch_size}|{curator.__version__}"
    if tokenizer != "byte":  # byte proxies keep the keys they had before tokenizers were a setting
        settings += f"|{tokenizer}|{vocab_size}"
    digest = hashlib.sha256(settings.encode())
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
            tokenizer=tokenizer,
            vocab_size=vocab_size,
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
