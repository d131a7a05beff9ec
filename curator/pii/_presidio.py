"""Import Presidio without its optional Hugging Face back end (and, for patterns only, without torch).

``presidio_analyzer`` imports ``transformers`` at import time when it is installed (for its
transformers NLP engine, which this package never uses); with the ``[train]`` extra present that
adds seconds to every process that loads the PII stage, pool workers included. While Presidio is
first imported, ``transformers`` is hidden (Presidio guards that import and falls back); the block
is lifted right after, so anything else that imports ``transformers`` later gets it as usual.

Presidio also imports spaCy, whose ``thinc`` imports ``torch`` when it is installed (1.2–2 CPU-s).
An engine that loads no spaCy model (pattern recognizers only: ``structured_only``, the audit's
default) or only spaCy's CNN pipelines (``*_core_*_sm/md/lg``, which run on thinc's own ops) asks
for ``without_torch``: torch is hidden the same way (thinc guards that import too), so such a run
never pays for it. thinc then runs without its torch shims for the rest of the process; an engine
naming any other model (``*_trf``, a path) imports Presidio with torch visible, so it still gets it.
"""

from __future__ import annotations

import sys


def import_presidio(without_torch: bool = False) -> None:
    if "presidio_analyzer" in sys.modules:
        return
    hidden = [name for name in ("transformers", "torch") if name not in sys.modules]
    if not without_torch:
        hidden = [name for name in hidden if name != "torch"]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import presidio_analyzer
        import presidio_analyzer.predefined_recognizers  # noqa: F401
        import presidio_anonymizer  # noqa: F401
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
