"""Presidio's NLP-engine interface over spaCy pipelines we load ourselves (never downloaded)."""

from __future__ import annotations

from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine


class CuratorSpacyEngine(SpacyNlpEngine):
    """A SpacyNlpEngine over already-loaded, NER-only pipelines.

    Presidio's own ``load`` would call ``spacy.cli.download`` for a missing model; this one is
    handed its pipelines and never loads anything. Lemmas are not computed (the lemmatizer is
    not loaded); our context enhancer reads words from the text instead.
    """

    def __init__(self, pipelines: dict, model_names: dict[str, str]) -> None:
        super().__init__(
            models=[{"lang_code": lang, "model_name": name} for lang, name in model_names.items()]
        )
        self.nlp = dict(pipelines)

    def load(self) -> None:
        pass

    def is_loaded(self) -> bool:
        return True

    def _doc_to_nlp_artifact(self, doc, language):
        return artifacts(doc, language)


def artifacts(doc, language: str) -> NlpArtifacts:
    """Light NLP artifacts: the doc and its entities; no lemmas or keywords (nothing here needs them)."""
    if doc is None:
        return NlpArtifacts(
            entities=[], tokens=None, tokens_indices=[], lemmas=[], nlp_engine=None, language=language
        )
    return NlpArtifacts(
        entities=list(doc.ents),
        tokens=doc,
        tokens_indices=[],  # only Presidio's lemma enhancer reads these (~0.4 ms a text to build)
        lemmas=[],
        nlp_engine=None,
        language=language,
    )
