"""Language identification: text preparation, language codes, script rules and detector backends.

The ``language`` stage (:mod:`curator.stages.language`) is the user-facing part; this package
holds what it is made of, usable on its own::

    from curator.langid import make_backend, prepare
    backend = make_backend("cascade")
    backend.detect([prepare("Bonjour tout le monde, comment allez-vous ?").text])
"""

from __future__ import annotations

from curator.langid.backends import BACKENDS, Backend, Detection, ModelUnavailable, make_backend
from curator.langid.codes import expand_codes, normalize_code, same_group
from curator.langid.prepare import Prepared, prepare

__all__ = [
    "BACKENDS",
    "Backend",
    "Detection",
    "ModelUnavailable",
    "Prepared",
    "expand_codes",
    "make_backend",
    "normalize_code",
    "prepare",
    "same_group",
]
