"""The training loop: packed rows, loss on assistant tokens only, AdamW with warmup and cosine decay.

* Loss: summed cross-entropy over the targets of all micro-batches of a step, divided by their
  count, so gradient accumulation gives the same gradient as one big batch.
* Packing: positions restart per example; ``choose_isolation`` checks once per model that a
  packed example gives the same logits as the example alone (reset position ids, else an explicit
  block-diagonal mask, else one example per row), so examples never attend to each other.
* GPU: bf16 autocast, TF32 matmuls, fused AdamW, SDPA or flash-attention, optional torch.compile.
  Logs tokens/s and model FLOPs utilisation (6 · N · tokens/s over the device's peak bf16 FLOP/s).
* CPU: seeded and deterministic (same seed and data ⇒ the same losses). A micro-batch is run
  ``forward_rows`` rows at a time (default 2 on CPU): the activations of a backward pass, not the
  data, are what bound memory there; the gradient is the same sum, up to float rounding.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from curator.train.chat import IGNORE, Encoded
from curator.train.models import LoadedModel, peak_flops, require_torch
from curator.train.packing import Rows, assign_rows, block_diagonal_mask, pack_layout
from curator.train.store import TokenStore
from curator.validation import TrainConfig


@dataclass
class Runtime:
    """A model on its device, with how it is run (precision, attention, packing isolation)."""

    loaded: LoadedModel
    device: Any
    precision: str  # bf16 | fp32
    attention: str
    isolation: str = "position_ids"  # position_ids | block_mask | unpacked
    compiled: Any = None

    @property
    def model(self) -> Any:
        return self.loaded.model

    def autocast(self) -> Any:
        torch, _ = require_torch()
        if self.precision == "bf16":
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def logits(self, input_ids: Any, position_ids: Any, training: bool = False) -> Any:
        """Logits of packed rows, each example attending only to itself."""
        torch, _ = require_torch()
        model = self.compiled if (training and self.compiled is not None) else self.model
        kwargs: dict[str, Any] = {"input_ids": input_ids, "position_ids": position_ids, "use_cache": False}
        if self.isolation == "block_mask":
            eager = self.model.config._attn_implementation == "eager"
            dtype = torch.float32 if eager else torch.bool
            kwargs["attention_mask"] = block_diagonal_mask(position_ids, dtype)
        with self.autocast():
            return model(**kwargs).logits

    def tensor(self, array: np.ndarray) -> Any:
        torch, _ = require_torch()
        tensor = torch.from_numpy(array)
        if self.device.type == "cuda":
            return tensor.pin_memory().to(self.device, non_blocking=True)
        return tensor.to(self.device)


def choose_isolation(runtime: Runtime) -> str:
    """How packed examples are kept apart for this model: checked on two short random sequences."""
    torch, _ = require_torch()
    generator = torch.Generator().manual_seed(1234)
    high = min(runtime.loaded.encoder.vocab_size, 256)
    a = torch.randint(0, high, (1, 12), generator=generator)
    b = torch.randint(0, high, (1, 9), generator=generator)
    packed = torch.cat([a, b], dim=1).to(runtime.device)
    reset = torch.cat([torch.arange(12), torch.arange(9)]).unsqueeze(0).to(runtime.device)
    running = torch.arange(21).unsqueeze(0).to(runtime.device)
    was_training = runtime.model.training
    runtime.model.eval()
    try:
        with torch.no_grad():
            alone = runtime.logits(b.to(runtime.device), torch.arange(9).unsqueeze(0).to(runtime.device))
            leaked = runtime.logits(packed, running)[:, 12:]
            leak = (leaked.float() - alone.float()).abs().max().item()
            for isolation in ("position_ids", "block_mask"):
                runtime.isolation = isolation
                try:
                    got = runtime.logits(packed, reset)[:, 12:]
                except Exception:  # an attention implementation that takes no 4-D mask
                    continue
                if (got.float() - alone.float()).abs().max().item() <= 0.05 * leak:
                    return isolation
    finally:
        runtime.model.train(was_training)
    return "unpacked"


@dataclass
class TrainOutcome:
    curve: list[dict[str, float]] = field(default_factory=list)
    evals: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    positions: int = 0
    tokens: int = 0
    supervised_tokens: int = 0
    rows_per_epoch: int = 0
    epochs: float = 0.0
    tokens_per_second: float = 0.0
    positions_per_second: float = 0.0
    mfu: float | None = None
    peak_flops: float | None = None
    peak_source: str = ""
    padding_fraction: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "positions": self.positions,
            "tokens": self.tokens,
            "supervised_tokens": self.supervised_tokens,
            "epochs": round(self.epochs, 4),
            "rows_per_epoch": self.rows_per_epoch,
            "padding_fraction": round(self.padding_fraction, 4),
            "tokens_per_second": round(self.tokens_per_second, 1),
            "positions_per_second": round(self.positions_per_second, 1),
            "mfu": None if self.mfu is None else round(self.mfu, 4),
            "peak_flops": self.peak_flops,
            "peak_flops_source": self.peak_source,
            "final_loss": self.curve[-1]["loss"] if self.curve else None,
        }


# Examples laid out (first fit) at a time. First fit only ever looks at the last MAX_OPEN_ROWS
# rows, so cutting the epoch into windows changes nothing but the rows open at a window's end, and
# the layout's Python lists stay bounded whatever the size of the training set.
LAYOUT_WINDOW = 65_536


class RowStream:
    """Endless batches of packed rows; every epoch reshuffles the examples (seed + epoch) and repacks.

    An epoch is laid out (example indices per row) one window of the shuffled examples at a time,
    and rows are built one batch at a time from the examples (a memory-mapped store in training):
    memory holds a window's layout and a batch of rows, not an epoch of them.
    """

    def __init__(
        self, examples: Sequence[Encoded] | TokenStore, config: TrainConfig, pad_id: int, pack_rows: bool
    ) -> None:
        self.examples = examples
        self.lengths = (
            examples.lengths
            if isinstance(examples, TokenStore)
            else np.array([len(e) for e in examples], dtype=np.int64)
        )
        self.config = config
        self.pad_id = pad_id
        self.pack_rows = pack_rows
        self.epoch = 0
        # Later epochs pack to about as many rows; counted without keeping the layout.
        self.rows_per_epoch = sum(1 for _ in self._epoch_rows(0))
        self.rows_served = 0

    def _epoch_rows(self, epoch: int) -> Iterator[list[int]]:
        order = np.random.default_rng([self.config.seed, epoch]).permutation(len(self.lengths))
        for start in range(0, len(order), LAYOUT_WINDOW):
            window = order[start : start + LAYOUT_WINDOW]
            rows = assign_rows(self.lengths[window].tolist(), self.config.seq_len, self.pack_rows)
            members = window.tolist()
            for row in rows:
                yield [members[i] for i in row]

    def __iter__(self) -> Iterator[Rows]:
        size, seq_len = self.config.batch_size, self.config.seq_len
        pending: list[list[int]] = []
        while True:
            for row in self._epoch_rows(self.epoch):
                pending.append(row)
                if len(pending) == size:
                    self.rows_served += size
                    yield pack_layout(self.examples, pending, seq_len, self.pad_id)
                    pending = []
            self.epoch += 1


def lr_factor(step: int, steps: int, warmup: int, min_ratio: float) -> float:
    """Multiplier of the peak learning rate at optimizer step ``step`` (0-based)."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def make_optimizer(model: Any, config: TrainConfig, lr: float, device: Any) -> Any:
    torch, _ = require_torch()
    decay, no_decay = [], []
    for parameter in model.parameters():
        if parameter.requires_grad:
            (decay if parameter.ndim >= 2 else no_decay).append(parameter)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    extra = {"fused": True} if device.type == "cuda" else {}
    return torch.optim.AdamW(groups, lr=lr, betas=(config.beta1, config.beta2), eps=1e-8, **extra)


def loss_sum(runtime: Runtime, batch: Rows, training: bool) -> tuple[Any, Any, Any]:
    """Summed NLL over the batch's targets (fp32), the targets tensor and the logits."""
    torch, _ = require_torch()
    input_ids = runtime.tensor(batch.input_ids)
    position_ids = runtime.tensor(batch.position_ids)
    targets = runtime.tensor(batch.targets)
    logits = runtime.logits(input_ids, position_ids, training=training)
    nll = torch.nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]),
        targets.reshape(-1),
        ignore_index=IGNORE,
        reduction="sum",
    )
    return nll, targets, logits


def split_rows(batch: Rows, size: int) -> Iterator[Rows]:
    """The batch's rows ``size`` at a time (views, no copies); the batch itself when it fits."""
    if len(batch) <= size:
        yield batch
        return
    for start in range(0, len(batch), size):
        part = slice(start, start + size)
        yield Rows(
            batch.input_ids[part], batch.targets[part], batch.target_bytes[part], batch.position_ids[part],
            batch.real[part],
        )  # fmt: skip


def train(
    runtime: Runtime,
    examples: Sequence[Encoded] | TokenStore,
    config: TrainConfig,
    *,
    on_log: Callable[[str], None] | None = None,
    evaluate: Callable[[int], dict[str, Any]] | None = None,
) -> TrainOutcome:
    """Train ``runtime.model`` for ``config.steps`` optimizer steps over ``examples``."""
    torch, _ = require_torch()
    log = on_log or (lambda _message: None)
    model = runtime.model
    device = runtime.device
    lr = config.effective_lr(runtime.loaded.is_preset)
    warmup = config.effective_warmup()
    optimizer = make_optimizer(model, config, lr, device)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, config.steps, warmup, config.min_lr_ratio)
    )
    stream = RowStream(examples, config, runtime.loaded.encoder.pad_id, runtime.isolation != "unpacked")
    batches = iter(stream)
    outcome = TrainOutcome(rows_per_epoch=stream.rows_per_epoch)
    outcome.peak_flops, outcome.peak_source = peak_flops(device)
    flop_parameters = runtime.loaded.flop_parameters
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    forward_rows = config.effective_forward_rows(device.type)

    pending: list[tuple[int, Any, int, float]] = []  # (step, loss tensor, targets, lr) until the next log
    timed_tokens = timed_seconds = 0.0
    window_tokens, window_start = 0, time.perf_counter()
    started = time.perf_counter()
    model.train()
    for step in range(1, config.steps + 1):
        micro = [next(batches) for _ in range(config.grad_accum)]
        n_targets = sum(int((m.targets != IGNORE).sum()) for m in micro)
        step_tokens = sum(int(m.real.sum()) for m in micro)
        step_loss = torch.zeros((), device=device)
        for batch in micro:
            for part in split_rows(batch, forward_rows):  # memory only: the gradient is the same sum
                nll, _, _ = loss_sum(runtime, part, training=True)
                (nll / max(1, n_targets)).backward()
                step_loss += nll.detach()
                del nll
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        current_lr = optimizer.param_groups[0]["lr"]
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        outcome.positions += sum(m.input_ids.size for m in micro)
        outcome.tokens += step_tokens
        outcome.supervised_tokens += n_targets
        window_tokens += step_tokens
        pending.append((step, step_loss / max(1, n_targets), n_targets, current_lr))
        if step == 1:
            synchronize()  # the first step pays for allocation (and compilation): keep it out of tokens/s
            window_tokens, window_start = 0, time.perf_counter()
            timed_seconds, timed_tokens = 0.0, 0.0
        if step % config.log_every == 0 or step == config.steps:
            synchronize()
            now = time.perf_counter()
            losses = torch.stack([p[1] for p in pending]).tolist()
            for (s, _, _, rate), value in zip(pending, losses, strict=True):
                outcome.curve.append({"step": s, "loss": value, "lr": rate})
            pending = []
            seconds = now - window_start
            if window_tokens:
                timed_tokens += window_tokens
                timed_seconds += seconds
            speed = window_tokens / seconds if window_tokens and seconds > 0 else 0.0
            rate_text = f"  {speed:,.0f} tokens/s" if speed else ""
            if outcome.peak_flops and speed:
                rate_text += f"  MFU {6 * flop_parameters * speed / outcome.peak_flops:.1%}"
            log(f"step {step}/{config.steps}  loss {losses[-1]:.4f}  lr {current_lr:.2e}{rate_text}")
            window_tokens, window_start = 0, time.perf_counter()
        if (
            evaluate is not None
            and config.eval_every
            and step % config.eval_every == 0
            and step < config.steps
        ):
            synchronize()
            paused = time.perf_counter()
            outcome.evals.append({"step": step, **evaluate(step)})
            model.train()
            window_start += time.perf_counter() - paused
    synchronize()
    outcome.seconds = time.perf_counter() - started
    if timed_seconds <= 0:  # one step only
        timed_tokens, timed_seconds = outcome.tokens, outcome.seconds
    outcome.tokens_per_second = timed_tokens / timed_seconds if timed_seconds > 0 else 0.0
    outcome.positions_per_second = outcome.tokens_per_second * outcome.positions / max(1, outcome.tokens)
    if outcome.peak_flops:
        outcome.mfu = 6 * flop_parameters * outcome.tokens_per_second / outcome.peak_flops
    outcome.padding_fraction = 1 - outcome.tokens / max(1, outcome.positions)
    outcome.epochs = stream.rows_served / max(1, stream.rows_per_epoch)
    return outcome
