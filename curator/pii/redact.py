"""Apply an action to a text's PII spans.

Disjoint spans (what the engine returns) are replaced in one pass; overlapping ones go through
Presidio's AnonymizerEngine and its conflict rules (its per-call setup cost more than the engine's
rules on short texts).

``redact`` replaces each span with a typed placeholder (``<EMAIL>``, ``<PERSON>``…);
``pseudonymise`` with a consistent fake from the record's ``Pseudonymiser``. The returned spans
point into the *new* text, so annotations always describe the text as written.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

from curator.pii.engine import Span
from curator.pii.entities import placeholder


@functools.lru_cache(maxsize=1)
def _anonymizer():
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()


def apply(
    text: str, spans: list[Span], fake: Callable[[str, str], str] | None = None
) -> tuple[str, list[Span]]:
    """(new text, spans in the new text); ``fake=None`` redacts with placeholders."""
    if not spans:
        return text, []
    spans = merge_adjacent(text, spans)
    if any(a.end > b.start for a, b in itertools.pairwise(spans)):
        return _apply_presidio(text, spans, fake)  # overlaps: Presidio's conflict rules decide
    # disjoint spans (what the engine gives): replace them in one pass, as the anonymizer would
    pieces, new_spans, position, length = [], [], 0, 0
    for span in spans:
        pieces.append(text[position : span.start])
        length += span.start - position
        value = placeholder(span.type) if fake is None else fake(span.type, text[span.start : span.end])
        pieces.append(value)
        new_spans.append(Span(span.type, length, length + len(value), span.score))
        length += len(value)
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces), new_spans


def _apply_presidio(text: str, spans: list[Span], fake) -> tuple[str, list[Span]]:
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    results = [RecognizerResult(s.type, s.start, s.end, s.score) for s in spans]
    operators = {}
    for entity in {s.type for s in spans}:
        if fake is None:
            operators[entity] = OperatorConfig("replace", {"new_value": placeholder(entity)})
        else:
            operators[entity] = OperatorConfig("custom", {"lambda": functools.partial(fake, entity)})
    out = _anonymizer().anonymize(text=text, analyzer_results=results, operators=operators)
    items = sorted(out.items, key=lambda item: item.start)
    ordered = sorted(spans, key=lambda s: s.start)
    new_spans = [Span(s.type, item.start, item.end, s.score) for s, item in zip(ordered, items, strict=True)]
    return out.text, new_spans


def merge_adjacent(text: str, spans: list[Span]) -> list[Span]:
    """Join same-type spans with only whitespace between them ("John" + "Smith"), as the anonymizer does."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        last = merged[-1] if merged else None
        if (
            last
            and last.type == span.type
            and last.end <= span.start
            and not text[last.end : span.start].strip()
        ):
            merged[-1] = Span(last.type, last.start, span.end, max(last.score, span.score))
        else:
            merged.append(span)
    return merged
