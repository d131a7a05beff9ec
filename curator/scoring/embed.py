"""Sentence embeddings from a local model folder (sentence-transformers layout or any encoder).

Pooling follows the folder's ``1_Pooling/config.json`` when it has one (mean or CLS), else mean
pooling; vectors are L2-normalised, so a dot product is the cosine similarity. Output is a
float32 ``(n, dim)`` array; callers that keep many store it as float16 (half the memory).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from curator.scoring.batching import length_batches
from curator.scoring.models import autocast, pick_device, require_torch, resolve_model, torch_threads
from curator.train.models import quiet_progress


class SentenceEmbedder:
    def __init__(
        self,
        model: str,
        *,
        base_dir: Path | None = None,
        max_tokens: int = 128,
        batch_size: int = 64,
        device: str = "auto",
        precision: str = "auto",
        threads: int | None = None,
    ) -> None:
        _, transformers = require_torch()
        self.threads = threads
        source = resolve_model(model, base_dir)
        self.name = model
        with quiet_progress():  # no "Loading weights" bar inside the run's log
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=True)
            self.model = transformers.AutoModel.from_pretrained(source, local_files_only=True)
        self.device = pick_device(device)
        self.precision = precision
        self.model.to(self.device).eval()
        self.pooling = _pooling_mode(Path(source))
        limit = getattr(self.tokenizer, "model_max_length", max_tokens) or max_tokens
        self.max_tokens = min(max_tokens, limit, self.model.config.max_position_embeddings)
        self.batch_size = batch_size
        self.dim = int(self.model.config.hidden_size)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        torch, _ = require_torch()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encoded = self.tokenizer(list(texts), truncation=True, max_length=self.max_tokens)["input_ids"]
        lengths = [len(ids) for ids in encoded]
        pad = self.tokenizer.pad_token_id or 0
        budget = self.batch_size * self.max_tokens // 2
        with torch.inference_mode(), autocast(self.device, self.precision), torch_threads(self.threads):
            for index in length_batches(lengths, self.batch_size, max(budget, self.max_tokens)):
                width = max(lengths[i] for i in index)
                ids = np.full((len(index), width), pad, dtype=np.int64)
                mask = np.zeros((len(index), width), dtype=np.int64)
                for row, i in enumerate(index):
                    ids[row, : lengths[i]] = encoded[i]
                    mask[row, : lengths[i]] = 1
                ids_t = torch.from_numpy(ids).to(self.device)
                mask_t = torch.from_numpy(mask).to(self.device)
                hidden = self.model(input_ids=ids_t, attention_mask=mask_t).last_hidden_state.float()
                if self.pooling == "cls":
                    pooled = hidden[:, 0]
                else:
                    weights = mask_t.unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[index] = pooled.cpu().numpy()
        return out


def _pooling_mode(folder: Path) -> str:
    config = folder / "1_Pooling" / "config.json"
    if config.is_file():
        data = json.loads(config.read_text())
        if data.get("pooling_mode_cls_token"):
            return "cls"
    return "mean"
