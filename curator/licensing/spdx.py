"""SPDX licence expressions: validate, normalise, map to and from Hugging Face card ids.

Offline: the ``license-expression`` package carries the SPDX licence list (and ScanCode's
licence categories, which :mod:`curator.licensing.facts` uses as a fallback).

* :func:`normalize_license` turns what a user or a dataset card wrote (``cc-by-nc-4.0``,
  ``apache-2.0 and cc-by-sa-3.0``, ``odc-by``, ``GPL-2.0+``) into one canonical SPDX expression,
  or raises :class:`LicenseError` with a suggestion. ``LicenseRef-<name>`` is accepted for a
  licence that is not on the SPDX list. ``unknown``, ``other`` and ``NOASSERTION`` mean "no
  licence known" and normalise to ``None``.
* :func:`alternatives` expands an expression into the choices it offers (``A OR (B AND C)`` →
  ``[{A}, {B, C}]``): the policy picks the choice that fits the intended use.
* :func:`hub_license_id` gives the id a Hugging Face dataset card's ``license:`` field expects.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Any

from curator.errors import CuratorError

UNKNOWN_MARKERS = frozenset({"unknown", "other", "noassertion", "none", "n/a", "unspecified"})
_LICENSE_REF = re.compile(r"^(LicenseRef|DocumentRef)-[A-Za-z0-9.\-]+$")
_TOKEN = re.compile(r"[^\s()]+")

# Hugging Face card ids that the SPDX parser does not read as the intended licence.
HUB_TO_SPDX: dict[str, str] = {
    "odc-by": "ODC-By-1.0",
    "odbl": "ODbL-1.0",
    "pddl": "PDDL-1.0",
    "c-uda": "C-UDA-1.0",
    "gfdl": "GFDL-1.3-or-later",
    "lgpl": "LGPL-2.0-or-later",
    "gpl": "GPL-1.0-or-later",
    "bsd": "LicenseRef-hf-bsd",
}
# Every id the Hub's licence list offers (https://huggingface.co/docs/hub/repositories-licenses).
HUB_LICENSE_IDS = frozenset(
    """apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0
    bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear
    c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0
    cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0
    cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl
    ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl
    lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl apple-amlr mpl-2.0
    odc-by odbl openmdw-1.0 openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr
    deepfloyd-if-license fair-noncommercial-research-license llama2 llama3 llama3.1 llama3.2 llama3.3
    llama4 gemma unknown other""".split()  # noqa: SIM905
)
_SPDX_TO_HUB_SPECIAL = {
    "ODC-By-1.0": "odc-by",
    "ODbL-1.0": "odbl",
    "PDDL-1.0": "pddl",
    "C-UDA-1.0": "c-uda",
    "GPL-2.0-only": "gpl-2.0",
    "GPL-2.0-or-later": "gpl-2.0",
    "GPL-3.0-only": "gpl-3.0",
    "GPL-3.0-or-later": "gpl-3.0",
    "LGPL-2.1-only": "lgpl-2.1",
    "LGPL-2.1-or-later": "lgpl-2.1",
    "LGPL-3.0-only": "lgpl-3.0",
    "LGPL-3.0-or-later": "lgpl-3.0",
    "AGPL-3.0-only": "agpl-3.0",
    "AGPL-3.0-or-later": "agpl-3.0",
    "GPL-1.0-or-later": "gpl",
    "LGPL-2.0-or-later": "lgpl",
}


class LicenseError(CuratorError):
    """A licence expression that is not valid SPDX."""


@lru_cache(maxsize=1)
def licensing() -> Any:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@lru_cache(maxsize=1)
def _known_keys() -> dict[str, str]:
    """lower-case key → canonical SPDX key, for suggestions."""
    keys: dict[str, str] = {}
    for symbol in licensing().known_symbols.values():
        keys[symbol.key.lower()] = symbol.key
        for alias in getattr(symbol, "aliases", ()) or ():
            keys.setdefault(alias.lower(), symbol.key)
    return keys


def is_unknown(text: str | None) -> bool:
    return text is None or not str(text).strip() or str(text).strip().lower() in UNKNOWN_MARKERS


def _replace_hub_ids(text: str) -> str:
    """Map Hub-only ids (``odc-by``) and bare non-SPDX Hub ids (``llama2``) inside an expression."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        lower = token.lower()
        if lower in HUB_TO_SPDX:
            return HUB_TO_SPDX[lower]
        if lower in HUB_LICENSE_IDS and lower not in _known_keys() and lower not in UNKNOWN_MARKERS:
            return f"LicenseRef-hf-{lower}"
        return token

    return _TOKEN.sub(swap, text)


@lru_cache(maxsize=4096)
def normalize_license(text: str | None) -> str | None:
    """The canonical SPDX expression for ``text``; None for an unknown licence; LicenseError if invalid."""
    if is_unknown(text):
        return None
    assert text is not None
    source = _replace_hub_ids(" ".join(str(text).split()))
    parser = licensing()
    try:
        expression = parser.parse(source, validate=False, strict=True)
    except Exception as exc:  # license_expression raises several ExpressionError subclasses
        raise LicenseError(f"invalid licence expression {text!r}: {exc}") from None
    if expression is None:
        return None
    unknown = [
        key for key in parser.unknown_license_keys(expression, unique=True) if not _LICENSE_REF.match(key)
    ]
    if unknown:
        raise LicenseError(_unknown_message(text, unknown))
    return expression.render("{symbol.key}")


def _unknown_message(text: str, unknown: list[str]) -> str:
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key.lower(), list(_known_keys()), n=1, cutoff=0.75)
        if close:
            hints.append(f"did you mean {_known_keys()[close[0]]!r} for {key!r}?")
    hint = " " + " ".join(hints) if hints else ""
    return (
        f"unknown licence {', '.join(repr(k) for k in unknown)} in {text!r}: expected an SPDX id such as "
        f"CC-BY-4.0 or an expression such as 'Apache-2.0 AND CC-BY-SA-3.0' (https://spdx.org/licenses/); "
        f"write LicenseRef-<name> for a licence that is not on the SPDX list.{hint}"
    )


def check_license(text: str | None) -> str | None:
    """Like :func:`normalize_license` but raises ValueError (for pydantic validators)."""
    try:
        return normalize_license(text)
    except LicenseError as exc:
        raise ValueError(str(exc)) from None


@lru_cache(maxsize=4096)
def alternatives(expression: str) -> tuple[frozenset[str], ...]:
    """The choices an expression offers, as sets of licence keys (disjunctive normal form).

    ``WITH`` exceptions only widen a licence, so a key with an exception counts as its base key.
    """
    parsed = licensing().parse(expression, validate=False)
    return tuple(frozenset(choice) for choice in _dnf(parsed))


def _dnf(node: Any) -> list[set[str]]:
    from license_expression import LicenseWithExceptionSymbol

    if isinstance(node, LicenseWithExceptionSymbol):
        return [{node.license_symbol.key}]
    if not getattr(node, "args", None):  # a licence symbol
        return [{node.key}]
    operator = getattr(node, "operator", "").strip().upper()
    parts = [_dnf(arg) for arg in node.args]
    if operator == "OR":
        return [choice for part in parts for choice in part]
    combined: list[set[str]] = [set()]
    for part in parts:
        combined = [left | right for left in combined for right in part]
    return combined


def keys_of(expression: str | None) -> list[str]:
    """Every licence key an expression names, sorted."""
    if expression is None:
        return []
    return sorted({key for choice in alternatives(expression) for key in choice})


def combine_and(expressions: list[str]) -> str | None:
    """One expression that requires all of ``expressions`` (deduplicated, sorted, simplified)."""
    unique = sorted(set(expressions))
    if not unique:
        return None
    if len(unique) == 1:
        return unique[0]
    joined = " AND ".join(f"({e})" if " OR " in e else e for e in unique)
    return normalize_license(joined)


def hub_license_id(key: str) -> str:
    """The Hugging Face card id for one SPDX key (``other`` when the Hub has none)."""
    if key in _SPDX_TO_HUB_SPECIAL:
        return _SPDX_TO_HUB_SPECIAL[key]
    if key.startswith("LicenseRef-hf-") and key[len("LicenseRef-hf-") :] in HUB_LICENSE_IDS:
        return key[len("LicenseRef-hf-") :]
    lower = key.lower()
    return lower if lower in HUB_LICENSE_IDS else "other"


def with_row_license(base: dict[str, Any], row: Any, column: str) -> dict[str, Any]:
    """Provenance with the licence a row's own ``column`` names (a source's ``license_column``).

    An empty or missing value keeps the source's licence; ``unknown`` makes it unknown; a value
    that is not valid SPDX is kept as written, and the licence stage reports it as invalid.
    """
    value = row.get(column) if isinstance(row, dict) else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return base
    try:
        license_ = normalize_license(str(value))
    except LicenseError:
        license_ = str(value)
    return {**base, "license": license_}
