"""Licences of training data: SPDX validation, licence facts, model terms, policy and combination.

* :mod:`.spdx` — validate and normalise SPDX expressions (offline), map Hugging Face card ids.
* :mod:`.facts` — what each licence allows: attribution, ShareAlike, NonCommercial, NoDerivatives.
* :mod:`.terms` — terms of models that generated data (some forbid training competing models).
* :mod:`.policy` — a policy for an intended use (commercial or research) and its verdicts.
* :mod:`.combine` — the licence of a set of records, its obligations and its conflicts.
"""

from curator.licensing.combine import Component, resulting_licence
from curator.licensing.facts import LicenceFacts, combine_facts, licence_facts
from curator.licensing.policy import DEFAULT_RULES, Policy, Verdict, evaluate
from curator.licensing.spdx import (
    LicenseError,
    check_license,
    hub_license_id,
    is_unknown,
    normalize_license,
)
from curator.licensing.terms import KNOWN_TERMS, ModelTerms, resolve_terms, terms_for_model

__all__ = [
    "DEFAULT_RULES",
    "KNOWN_TERMS",
    "Component",
    "LicenceFacts",
    "LicenseError",
    "ModelTerms",
    "Policy",
    "Verdict",
    "check_license",
    "combine_facts",
    "evaluate",
    "hub_license_id",
    "is_unknown",
    "licence_facts",
    "normalize_license",
    "resolve_terms",
    "resulting_licence",
    "terms_for_model",
]
