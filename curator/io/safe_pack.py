"""Python values to bytes and back without pickle: nothing read back can run code.

What a shard-pass leaves in ``_work/`` (its report, with a global stage's signatures) is read
back when an interrupted run resumes, possibly from shared storage another machine can write, so
it must not be pickle. This format is an ``.npz`` archive read with ``allow_pickle=False``: numpy
arrays as themselves, everything else as one JSON document. Dataclasses are rebuilt only when they
are defined in the ``curator`` package; Counters, tuples, paths and dicts with any keys survive.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
from collections import Counter
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import orjson

_HEADER = "__header__"


class UnsafePackError(ValueError):
    """The bytes are not a pack this module wrote, or name a type it will not build."""


def pack(value: Any) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(value, arrays)
    arrays[_HEADER] = np.frombuffer(orjson.dumps(tree), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def unpack(data: bytes) -> Any:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        tree = orjson.loads(arrays.pop(_HEADER).tobytes())
    except (ValueError, KeyError, OSError, orjson.JSONDecodeError) as exc:
        raise UnsafePackError(f"not a curator work file: {exc}") from None
    return _decode(tree, arrays)


def _encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else {"__bigint__": str(value)}
    if isinstance(value, PurePath):
        return {"__path__": str(value)}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("object arrays cannot be packed safely")
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"__array__": name}
    if isinstance(value, np.generic):
        return _encode(value.item(), arrays)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        fields = {f.name: _encode(getattr(value, f.name), arrays) for f in dataclasses.fields(value)}
        return {"__dataclass__": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    if isinstance(value, Counter):
        return {"__counter__": [[_encode(k, arrays), n] for k, n in value.items()]}
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    raise TypeError(f"cannot pack a {type(value).__name__} safely")


def _decode(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(tree, list):
        return [_decode(v, arrays) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if "__array__" in tree:
        return arrays[tree["__array__"]]
    if "__path__" in tree:
        return Path(tree["__path__"])
    if "__bigint__" in tree:
        return int(tree["__bigint__"])
    if "__tuple__" in tree:
        return tuple(_decode(v, arrays) for v in tree["__tuple__"])
    if "__counter__" in tree:
        return Counter({_decode(k, arrays): n for k, n in tree["__counter__"]})
    if "__dict__" in tree:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in tree["__dict__"]}
    if "__dataclass__" in tree:
        cls = _dataclass(tree["__dataclass__"])
        return cls(**{k: _decode(v, arrays) for k, v in tree["fields"].items()})
    raise UnsafePackError("unknown entry in a work file")


def _dataclass(name: str) -> type:
    module, _, qualname = str(name).partition(":")
    if not (module == "curator" or module.startswith("curator.")) or not qualname.isidentifier():
        raise UnsafePackError(f"refusing to build {name!r}: only curator's own dataclasses")
    cls = getattr(importlib.import_module(module), qualname, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise UnsafePackError(f"refusing to build {name!r}: not a dataclass")
    return cls
