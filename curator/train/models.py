"""Models: the proxy presets, local and cached Hugging Face models, devices and peak FLOP/s.

Nothing here downloads. A model is one of:

* a **proxy preset**: a small Llama-style config trained from scratch with the byte-level tokenizer
  (or, with ``tokenizer: bpe``, a BPE learnt from its training set) and the default chat template
  (``proxy-tiny`` ≈0.9M parameters for CPU and CI, ``proxy-small`` ≈26M, ``proxy-125m`` ≈124M
  for a GPU);
* a **model folder** (``config.json`` + weights + tokenizer), e.g. one written by ``save_pretrained``
  or by ``curator train --save-model``;
* a **model id already in the local Hugging Face cache** (loaded with ``local_files_only=True``).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curator.errors import CuratorError
from curator.train.chat import ByteChatEncoder, ChatEncoder, HFChatEncoder
from curator.train.tokenizer import ByteTokenizer, train_bpe
from curator.validation import PRESET_NAMES, TrainConfig

# hidden, intermediate, layers, heads. Head size 32 (tiny) or 64; intermediate a multiple of 32.
PRESETS: dict[str, dict[str, int]] = {
    "proxy-tiny": {
        "hidden_size": 128,
        "intermediate_size": 352,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
    },
    "proxy-small": {
        "hidden_size": 512,
        "intermediate_size": 1408,
        "num_hidden_layers": 8,
        "num_attention_heads": 8,
    },
    "proxy-125m": {
        "hidden_size": 768,
        "intermediate_size": 3456,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
    },
}
assert tuple(PRESETS) == PRESET_NAMES

# Dense bf16 tensor-core peaks (FLOP/s) from the vendors' data sheets; matched in order on the device name.
PEAK_BF16_FLOPS: tuple[tuple[str, float], ...] = (
    ("GH200", 989e12),
    ("H200", 989e12),
    ("H100 PCIe", 756e12),
    ("H100 NVL", 835e12),
    ("H100", 989e12),
    ("H800", 989e12),
    ("B200", 2250e12),
    ("A100", 312e12),
    ("A800", 312e12),
    ("L40S", 362e12),
    ("L40", 181e12),
    ("L4", 121e12),
    ("RTX 4090", 165e12),
    ("MI300X", 1307e12),
    ("MI250X", 383e12),
)

INSTALL_HINT = "install the train extra: pip install 'instruct-curator[train]' (torch and transformers)"


def require_torch() -> tuple[Any, Any]:
    """torch and transformers, or a CuratorError saying how to install them."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise CuratorError(f"training needs {exc.name}: {INSTALL_HINT}") from None
    return torch, transformers


@dataclass(slots=True)
class LoadedModel:
    model: Any  # a transformers PreTrainedModel (causal LM)
    encoder: ChatEncoder
    name: str
    kind: str  # preset | folder | cache
    parameters: int
    flop_parameters: int  # parameters that take part in matmuls (the input embedding table does not)

    @property
    def is_preset(self) -> bool:
        return self.kind == "preset"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "architecture": type(self.model).__name__,
            "parameters": self.parameters,
            "flop_parameters": self.flop_parameters,
            "tokenizer": self.encoder.description,
            "vocab_size": self.encoder.vocab_size,
        }


def resolve_device(name: str) -> Any:
    torch, _ = require_torch()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise CuratorError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise CuratorError(f"device {name!r} asked for, but torch sees no CUDA GPU; use --device cpu or auto")
    if device.type == "mps" and not (
        getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        raise CuratorError(f"device {name!r} asked for, but MPS is not available; use --device cpu or auto")
    return device


def resolve_precision(precision: str, device: Any) -> str:
    torch, _ = require_torch()
    if precision == "auto":
        return "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    if precision == "bf16" and device.type == "cpu":
        return "bf16"  # allowed (CPU autocast), just slow on most CPUs
    return precision


def resolve_attention(name: str, device: Any, precision: str) -> str:
    if name != "auto":
        return name
    if device.type == "cuda" and precision == "bf16" and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


def peak_flops(device: Any) -> tuple[float | None, str]:
    """Peak dense bf16 FLOP/s of the device and where the figure came from (None off-GPU or unknown)."""
    override = os.environ.get("CURATOR_PEAK_FLOPS")
    if override:
        return float(override), "CURATOR_PEAK_FLOPS"
    if device.type != "cuda":
        return None, f"no peak figure for {device.type}"
    torch, _ = require_torch()
    name = torch.cuda.get_device_name(device)
    for key, flops in PEAK_BF16_FLOPS:
        if key.lower() in name.lower():
            return flops, f"{key} data sheet, dense bf16"
    return None, f"unknown peak for {name!r}; set CURATOR_PEAK_FLOPS to report MFU"


def count_parameters(model: Any) -> tuple[int, int]:
    total = sum(p.numel() for p in model.parameters())
    embedding = model.get_input_embeddings()
    output = model.get_output_embeddings()
    tied = output is not None and embedding is not None and output.weight is embedding.weight
    return total, total - (embedding.weight.numel() if embedding is not None and not tied else 0)


def _not_found(name: str) -> CuratorError:
    return CuratorError(
        f"model {name!r} is not a proxy preset ({', '.join(PRESET_NAMES)}), not a model folder, and not "
        f"in the local Hugging Face cache; curator never downloads: fetch it first "
        f"(`hf download {name}`, from huggingface_hub) or pass the path of a folder with config.json"
    )


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or name.endswith("/") or name.count("/") > 1 or "\\" in name


def check_model(name: str) -> None:
    """Fail fast, before any output is written, when ``name`` cannot be loaded without a download."""
    if name in PRESETS:
        return
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise CuratorError(f"{name} is not a model folder: it has no config.json")
        return
    if _looks_like_path(name):
        raise CuratorError(f"model folder not found: {name}")
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # transformers depends on it; without it, loading will say what is wrong
        return
    try:
        cached = try_to_load_from_cache(name, "config.json")
    except Exception:  # an id huggingface_hub refuses (bad characters): it cannot be in the cache
        cached = None
    if not isinstance(cached, str):
        raise _not_found(name)


def load_model(
    config: TrainConfig, attn_implementation: str = "sdpa", encoder: ChatEncoder | None = None
) -> LoadedModel:
    """Build a proxy preset (seeded) or load a local/cached Hugging Face model and its tokenizer, on CPU.

    A preset uses ``encoder`` when given (a BPE learnt from the training set: :func:`proxy_encoder`),
    else the byte tokenizer."""
    torch, transformers = require_torch()
    name = config.model
    if name in PRESETS:
        encoder = encoder or ByteChatEncoder()
        model_config = transformers.LlamaConfig(
            vocab_size=encoder.vocab_size,
            num_key_value_heads=PRESETS[name]["num_attention_heads"],
            max_position_embeddings=max(4096, config.seq_len),
            bos_token_id=encoder.bos_id,
            eos_token_id=encoder.stop_ids[0],
            pad_token_id=encoder.pad_id,
            tie_word_embeddings=False,
            attn_implementation=attn_implementation,
            **PRESETS[name],
        )
        torch.manual_seed(config.seed)
        model = transformers.LlamaForCausalLM(model_config)
        return LoadedModel(model, encoder, name, "preset", *count_parameters(model))
    check_model(name)
    path = Path(name).expanduser()
    kind, source = ("folder", str(path)) if path.exists() else ("cache", name)
    model = _from_pretrained(transformers.AutoModelForCausalLM, source, name, attn_implementation)
    if kind == "folder" and ByteTokenizer.is_saved_in(path):
        encoder: ChatEncoder = ByteChatEncoder()
    else:
        tokenizer = _from_pretrained(transformers.AutoTokenizer, source, name, None)
        stops = model.generation_config.eos_token_id if model.generation_config is not None else None
        encoder = HFChatEncoder(tokenizer, stops if isinstance(stops, list) else [stops])
    rows = model.get_input_embeddings().weight.shape[0]
    if encoder.vocab_size > rows:
        raise CuratorError(
            f"{name}: the tokenizer has {encoder.vocab_size} tokens but the model only {rows} embeddings"
        )
    return LoadedModel(model, encoder, name, kind, *count_parameters(model))


def proxy_encoder(config: TrainConfig, texts: Iterable[str]) -> ChatEncoder | None:
    """The encoder a proxy preset trains with: a BPE learnt from ``texts`` (the training set's
    message texts) with ``tokenizer: bpe``; None (the byte tokenizer) otherwise or for a non-preset."""
    if config.model not in PRESETS or config.tokenizer != "bpe":
        return None
    return HFChatEncoder(train_bpe(texts, config.vocab_size))


@contextmanager
def quiet_progress() -> Iterator[None]:
    """No transformers progress bars ("Loading weights", "Writing model shards") inside curator's log."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


def _from_pretrained(auto: Any, source: str, name: str, attn_implementation: str | None) -> Any:
    kwargs: dict[str, Any] = {"local_files_only": True}
    if attn_implementation is not None:
        kwargs["attn_implementation"] = attn_implementation
        kwargs["dtype"] = "float32"  # master weights in fp32; bf16 comes from autocast
    what = "tokenizer" if attn_implementation is None else "model"
    try:
        with quiet_progress():
            return auto.from_pretrained(source, **kwargs)
    except (OSError, ValueError, KeyError) as exc:
        if Path(source).exists():
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CuratorError(f"cannot load the {what} of {source}: {first}") from None
        raise _not_found(name) from None


def save_model(loaded: LoadedModel, folder: Path) -> None:
    """``save_pretrained`` the model and its tokenizer, so ``--model FOLDER`` loads it again."""
    folder.mkdir(parents=True, exist_ok=True)
    model = getattr(loaded.model, "_orig_mod", loaded.model)
    with quiet_progress():
        model.save_pretrained(folder)
    encoder = loaded.encoder
    if isinstance(encoder, ByteChatEncoder):
        encoder.tokenizer.save(folder)
    elif isinstance(encoder, HFChatEncoder):
        encoder.tokenizer.save_pretrained(folder)
