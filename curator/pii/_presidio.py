"""Import Presidio without its optional Hugging Face back end.

``presidio_analyzer`` imports ``transformers`` at import time when it is installed (for its
transformers NLP engine, which this package never uses); with the ``[train]`` extra present that
adds seconds to every process that loads the PII stage, pool workers included. While Presidio is
first imported, ``transformers`` is hidden (Presidio guards that import and falls back); the block
is lifted right after, so anything else that imports ``transformers`` later gets it as usual.
"""

from __future__ import annotations

import sys


def import_presidio() -> None:
    if "presidio_analyzer" in sys.modules:
        return
    hidden = "transformers" not in sys.modules
    if hidden:
        sys.modules["transformers"] = None  # type: ignore[assignment]
    try:
        import presidio_analyzer
        import presidio_analyzer.predefined_recognizers  # noqa: F401
        import presidio_anonymizer  # noqa: F401
    finally:
        if hidden and sys.modules.get("transformers", 0) is None:
            del sys.modules["transformers"]
