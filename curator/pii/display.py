"""Names out of text shown to people, when the run's pii stage did not look for them.

A pii stage in pattern mode (``structured_only``, as ``curator audit`` runs it) finds e-mails,
phones and cards but not names, so report examples of such a run would show names. Before an
example is shown, this runs the NER model once more over it, for PERSON only. The model is loaded
once per process, and only when such an example is shown; without the model installed, names
stay (and the report's PII section says that names need the NLP model).
"""

from __future__ import annotations

import functools
import logging

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def _engine():
    from curator.pii.engine import EngineSettings, PIIEngine

    try:
        return PIIEngine(EngineSettings(entities=("PERSON",))).load()
    except Exception as exc:  # the model is not installed: report examples keep names
        logger.warning("report examples cannot hide names: %s", str(exc).splitlines()[0])
        return None


def redact_names(text: str) -> str:
    """``text`` with the names the NER model finds replaced by ``<PERSON>``."""
    engine = _engine()
    if engine is None or not text.strip():
        return text
    from curator.pii import redact

    (found,) = engine.analyze([text])
    return redact.apply(text, found.spans)[0] if found.spans else text
