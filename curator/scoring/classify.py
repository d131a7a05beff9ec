"""Scores from a local sequence-classification model (reward model, quality or toxicity classifier).

The input is the instruction and the answer put together as the model expects:

* ``pair``: the tokenizer's text pair (``[CLS] instruction [SEP] answer [SEP]`` for BERT-like
  models) — how most quality classifiers are trained;
* ``chat``: the tokenizer's chat template over the whole conversation — how reward models are trained;
* ``template``: a format string with ``{instruction}`` and ``{answer}``;
* ``answer`` / ``instruction``: one side only (e.g. a toxicity classifier on the answer).

The score is one output of the model: a label (by name from ``config.id2label``, or index) as a
``logit``, a ``probability`` (softmax over labels; sigmoid when the model has one output or is
multi-label), or ``expected`` (Σ p(label) × label index, for ordinal labels such as 0–5 ratings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from curator.errors import CuratorError
from curator.scoring.batching import length_batches
from curator.scoring.models import autocast, pick_device, require_torch, resolve_model, torch_threads
from curator.train.models import quiet_progress


@dataclass(slots=True)
class Encoded:
    ids: list[list[int]]
    segments: list[list[int]] | None = None  # token_type_ids of a text pair (BERT-like models)


class ClassifierScorer:
    def __init__(
        self,
        model: str,
        *,
        label: str | int | None = None,
        output: str = "probability",
        base_dir: Path | None = None,
        max_tokens: int = 512,
        batch_size: int = 32,
        device: str = "auto",
        precision: str = "auto",
        threads: int | None = None,
    ) -> None:
        _, transformers = require_torch()
        self.threads = threads
        source = resolve_model(model, base_dir)
        with quiet_progress():  # no "Loading weights" bar inside the run's log
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=True)
            self.model = transformers.AutoModelForSequenceClassification.from_pretrained(
                source, local_files_only=True
            )
        self.device = pick_device(device)
        self.precision = precision
        self.model.to(self.device).eval()
        config = self.model.config
        self.labels = int(config.num_labels)
        self.label = label_index(label, config.id2label, self.labels)
        self.output = output
        self.multi_label = config.problem_type == "multi_label_classification" or self.labels == 1
        limit = getattr(self.tokenizer, "model_max_length", max_tokens) or max_tokens
        self.max_tokens = min(max_tokens, limit)
        self.batch_size = batch_size
        if self.tokenizer.pad_token_id is None:
            if self.tokenizer.eos_token_id is None:
                raise CuratorError(f"{model}: the tokenizer has no padding or EOS token to pad batches with")
            self.tokenizer.pad_token = self.tokenizer.eos_token
            self.model.config.pad_token_id = self.tokenizer.eos_token_id

    def encode(self, first: Sequence[str], second: Sequence[str] | None) -> Encoded:
        """Token ids (and segment ids for a text pair, where the model has them) per input."""
        pairs = (list(first),) if second is None else (list(first), list(second))
        encoding = self.tokenizer(*pairs, truncation=True, max_length=self.max_tokens)
        return Encoded(encoding["input_ids"], encoding.get("token_type_ids"))

    def chat_ids(self, conversations: Sequence[Sequence[dict]]) -> Encoded:
        if not getattr(self.tokenizer, "chat_template", None):
            raise CuratorError("join: chat needs a tokenizer with a chat template; use pair or template")
        ids = [self.tokenizer.apply_chat_template(list(c), tokenize=True) for c in conversations]
        return Encoded([list(i["input_ids"] if isinstance(i, dict) else i)[: self.max_tokens] for i in ids])

    def score(self, inputs: Encoded) -> np.ndarray:
        torch, _ = require_torch()
        encoded, segments = inputs.ids, inputs.segments
        out = np.full(len(encoded), np.nan)
        lengths = [len(ids) for ids in encoded]
        pad = self.tokenizer.pad_token_id
        with torch.inference_mode(), autocast(self.device, self.precision), torch_threads(self.threads):
            for index in length_batches(lengths, self.batch_size, self.batch_size * self.max_tokens // 2):
                width = max(lengths[i] for i in index)
                ids = np.full((len(index), width), pad, dtype=np.int64)
                mask = np.zeros((len(index), width), dtype=np.int64)
                types = np.zeros((len(index), width), dtype=np.int64)
                for row, i in enumerate(index):
                    ids[row, : lengths[i]] = encoded[i]
                    mask[row, : lengths[i]] = 1
                    if segments is not None:
                        types[row, : lengths[i]] = segments[i]
                extra = {"token_type_ids": torch.from_numpy(types).to(self.device)} if segments else {}
                logits = self.model(
                    input_ids=torch.from_numpy(ids).to(self.device),
                    attention_mask=torch.from_numpy(mask).to(self.device),
                    **extra,
                ).logits.float()
                out[index] = self._pick(torch, logits).double().cpu().numpy()
        return out

    def _pick(self, torch, logits):
        if self.output == "logit":
            return logits[:, self.label]
        if self.output == "expected":
            weights = torch.arange(self.labels, dtype=logits.dtype, device=logits.device)
            return (torch.softmax(logits, dim=-1) * weights).sum(-1)
        if self.multi_label:
            return torch.sigmoid(logits[:, self.label])
        return torch.softmax(logits, dim=-1)[:, self.label]


def label_index(label: str | int | None, id2label: dict, count: int) -> int:
    """The output index of ``label``: a name in the model's id2label, an index, or (None) the last one."""
    if label is None:
        return count - 1
    if isinstance(label, int):
        if not 0 <= label < count:
            raise CuratorError(f"label {label} is out of range: the model has {count} outputs")
        return label
    names = {str(v): int(k) for k, v in (id2label or {}).items()}
    if label not in names:
        raise CuratorError(f"label {label!r} is not one of the model's labels: {', '.join(sorted(names))}")
    return names[label]
