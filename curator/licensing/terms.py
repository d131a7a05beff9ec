"""Terms of the models that generated data: some forbid using their output to build competing models.

A source says which model generated it (``generated_by``) and, optionally, under which terms
(``model_terms``: a key of :data:`KNOWN_TERMS` or an object). Without ``model_terms`` the model
name is matched against the patterns below. The summaries quote or closely paraphrase the terms
as published; they are a checklist for a data engineer, not legal advice.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field


class ModelTerms(BaseModel):
    """The terms a model's output comes under."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Name of the terms, e.g. 'OpenAI Terms of Use'.")
    url: str | None = None
    restricts_competing: bool = Field(
        default=False,
        description="The terms forbid using the output to develop models that compete with the provider.",
    )
    summary: str | None = Field(default=None, description="The clause that matters for training data.")
    key: str | None = Field(default=None, description="Key in curator's table of known terms, if any.")


KNOWN_TERMS: dict[str, ModelTerms] = {
    "openai": ModelTerms(
        key="openai",
        name="OpenAI Terms of Use",
        url="https://openai.com/policies/terms-of-use",
        restricts_competing=True,
        summary="You may not use Output to develop models that compete with OpenAI.",
    ),
    "anthropic": ModelTerms(
        key="anthropic",
        name="Anthropic Commercial Terms of Service",
        url="https://www.anthropic.com/legal/commercial-terms",
        restricts_competing=True,
        summary="Customer may not use the Services to build a competing product or service, "
        "including to train competing AI models.",
    ),
    "google": ModelTerms(
        key="google",
        name="Gemini API Additional Terms of Service",
        url="https://ai.google.dev/gemini-api/terms",
        restricts_competing=True,
        summary="You may not use the Services to develop models that compete with the Services.",
    ),
    "llama2": ModelTerms(
        key="llama2",
        name="Llama 2 Community License Agreement",
        url="https://ai.meta.com/llama/license/",
        restricts_competing=True,
        summary="You will not use the Llama Materials or any output or results of the Llama Materials "
        "to improve any other large language model (excluding Llama 2 or derivative works thereof).",
    ),
    "llama3": ModelTerms(
        key="llama3",
        name="Meta Llama 3 Community License Agreement",
        url="https://llama.meta.com/llama3/license/",
        restricts_competing=True,
        summary="You will not use the Llama Materials or any output or results of the Llama Materials "
        "to improve any other large language model (excluding Meta Llama 3 or derivative works thereof).",
    ),
    "llama3.1": ModelTerms(
        key="llama3.1",
        name="Llama 3.1+ Community License Agreement",
        url="https://www.llama.com/llama3_1/license/",
        restricts_competing=False,
        summary="Output may be used to improve other models, but a model so trained that is "
        "distributed must have a name beginning with 'Llama' and display 'Built with Llama'.",
    ),
    "open": ModelTerms(
        key="open",
        name="Open-weights model under a permissive licence",
        restricts_competing=False,
        summary="No restriction on using the output to train other models.",
    ),
}

# (pattern on the lower-cased model name without its org prefix, terms key); first match wins.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(text-davinci|davinci|text-curie|curie|babbage|ada-|gpt-|chatgpt|o[134](-|$))"), "openai"),
    (re.compile(r"^claude"), "anthropic"),
    (re.compile(r"^(gemini|palm|bard|text-bison|chat-bison)"), "google"),
    (re.compile(r"llama-?2"), "llama2"),
    (re.compile(r"llama-?3\.[1-9]|llama-?4"), "llama3.1"),
    (re.compile(r"llama-?3"), "llama3"),
]


def terms_for_model(model: str | None) -> ModelTerms | None:
    """The known terms of a model name (``text-davinci-003``, ``meta-llama/Llama-2-70b-chat-hf``)."""
    if not model:
        return None
    name = model.strip().lower().rsplit("/", 1)[-1]
    for pattern, key in _PATTERNS:
        if pattern.search(name):
            return KNOWN_TERMS[key]
    return None


def resolve_terms(generated_by: str | None, declared: str | ModelTerms | None) -> ModelTerms | None:
    """Declared terms (a key of KNOWN_TERMS or an object) win; otherwise look the model up."""
    if isinstance(declared, ModelTerms):
        return declared
    if isinstance(declared, str):
        return KNOWN_TERMS[declared]
    return terms_for_model(generated_by)
