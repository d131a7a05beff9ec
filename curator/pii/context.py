"""Context words from the raw text around a match, so context works with or without the NLP model.

Presidio's default enhancer reads lemmas from the spaCy parse, so it does nothing in pattern-only
mode and only looks *before* a match. Ours reads the words on both sides straight from the text
(a word matches a context word when it starts with it: ``phone`` matches ``phones``, ``tel``
matches ``telephone``, but ``cell`` does not match ``excellent``), which is cheaper, needs no
parse, and sees ``0490 75 40 81 (mobile)`` as well as ``mobile: 0490 75 40 81``.
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

from curator.pii.words import has_context, words_after, words_before


class WindowContextEnhancer(ContextAwareEnhancer):
    """Raise a result's score when a recognizer's context word is among the words around it."""

    def __init__(self, factor: float = 0.35, min_score: float = 0.4, before: int = 6, after: int = 3) -> None:
        super().__init__(
            context_similarity_factor=factor,
            min_score_with_context_similarity=min_score,
            context_prefix_count=before,
            context_suffix_count=after,
        )

    def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
        by_id = {recognizer.id: recognizer for recognizer in recognizers}
        extra = [word.lower() for word in context or []]
        for result in raw_results:
            metadata = result.recognition_metadata or {}
            if metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            recognizer = by_id.get(metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            if recognizer is None or not recognizer.context:
                continue
            words = words_before(text, result.start, self.context_prefix_count)
            words += words_after(text, result.end, self.context_suffix_count)
            words += extra
            cue = has_context(words, [c.strip().lower() for c in recognizer.context])
            if cue is None:
                continue
            score = max(result.score + self.context_similarity_factor, self.min_score_with_context_similarity)
            result.score = min(score, EntityRecognizer.MAX_SCORE)
            metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
            if result.analysis_explanation is not None:
                result.analysis_explanation.set_supportive_context_word(cue)
                result.analysis_explanation.set_improved_score(result.score)
        return raw_results
