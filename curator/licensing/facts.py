"""What each licence allows: the facts a data policy needs, per SPDX key.

Creative Commons ids are read from their name (BY, SA, NC, ND and the version); a table covers
the other licences datasets commonly use; any other SPDX key falls back on ScanCode's licence
category (shipped with ``license-expression``), and is marked ``reviewed=False``.

These are facts for a data engineer's checklist, not legal advice: the card and the report say so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files

Category = str  # public-domain | permissive | weak-copyleft | copyleft | restricted | unknown

_CC = re.compile(
    r"^CC-BY(?P<nc>-NC)?(?P<nd>-ND)?(?P<sa>-SA)?-(?P<version>\d\.\d)(?P<port>-[A-Za-z][A-Za-z-]*)?$"
)


@dataclass(frozen=True, slots=True)
class LicenceFacts:
    """One licence's permissions and duties, as far as training data is concerned."""

    key: str
    category: Category
    attribution: bool = False
    share_alike: str | None = None  # copyleft family: adaptations must carry a licence of this family
    share_alike_version: str | None = None
    non_commercial: bool = False
    no_derivatives: bool = False
    use_restrictions: bool = False  # behavioural-use clauses (RAIL, model licences) or unknown terms
    reviewed: bool = True  # False: only ScanCode's category is known, or nothing at all
    notice: str | None = None  # extra duty (e.g. Apache-2.0: keep the licence and NOTICE)

    @property
    def url(self) -> str | None:
        if self.key.startswith(("LicenseRef-", "DocumentRef-")):
            return None
        return f"https://spdx.org/licenses/{self.key}.html"


_PD = {"category": "public-domain"}
_PERMISSIVE = {"category": "permissive", "attribution": True}
_TABLE: dict[str, dict] = {
    "CC0-1.0": _PD,
    "CC-PDDC": _PD,
    "PDDL-1.0": _PD,
    "Unlicense": _PD,
    "0BSD": _PD,
    "WTFPL": _PD,
    "MIT": _PERMISSIVE,
    "MIT-0": _PD,
    "ISC": _PERMISSIVE,
    "Zlib": _PERMISSIVE,
    "BSL-1.0": _PERMISSIVE,
    "BSD-2-Clause": _PERMISSIVE,
    "BSD-3-Clause": _PERMISSIVE,
    "BSD-3-Clause-Clear": _PERMISSIVE,
    "PostgreSQL": _PERMISSIVE,
    "NCSA": _PERMISSIVE,
    "AFL-3.0": _PERMISSIVE,
    "ECL-2.0": _PERMISSIVE,
    "Artistic-2.0": _PERMISSIVE,
    "Python-2.0": _PERMISSIVE,
    "Unicode-DFS-2016": _PERMISSIVE,
    "etalab-2.0": _PERMISSIVE,
    "ODC-By-1.0": _PERMISSIVE,
    "CDLA-Permissive-1.0": _PERMISSIVE,
    "CDLA-Permissive-2.0": _PERMISSIVE,
    "Apache-2.0": {**_PERMISSIVE, "notice": "keep the Apache-2.0 licence text and any NOTICE file"},
    "MS-PL": {"category": "weak-copyleft", "attribution": True, "share_alike": "MS-PL"},
    "MPL-2.0": {"category": "weak-copyleft", "attribution": True, "share_alike": "MPL"},
    "EPL-1.0": {"category": "weak-copyleft", "attribution": True, "share_alike": "EPL"},
    "EPL-2.0": {"category": "weak-copyleft", "attribution": True, "share_alike": "EPL"},
    "OFL-1.1": {"category": "weak-copyleft", "attribution": True, "share_alike": "OFL"},
    "ODbL-1.0": {
        "category": "copyleft",
        "attribution": True,
        "share_alike": "ODbL",
        "share_alike_version": "1.0",
    },
    "CDLA-Sharing-1.0": {"category": "copyleft", "attribution": True, "share_alike": "CDLA-Sharing"},
    "OSL-3.0": {"category": "copyleft", "attribution": True, "share_alike": "OSL"},
    "EUPL-1.1": {"category": "copyleft", "attribution": True, "share_alike": "EUPL"},
    "EUPL-1.2": {"category": "copyleft", "attribution": True, "share_alike": "EUPL"},
    "LPPL-1.3c": {"category": "weak-copyleft", "attribution": True},
    # Hub ids that are not SPDX licences (see spdx.HUB_TO_SPDX: written as LicenseRef-hf-<id>).
    "LicenseRef-hf-bsd": _PERMISSIVE,
    "LicenseRef-hf-openmdw-1.0": _PERMISSIVE,
}
_RESTRICTED_HUB = (
    "openrail", "openrail++", "bigscience-openrail-m", "creativeml-openrail-m", "bigscience-bloom-rail-1.0",
    "bigcode-openrail-m", "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4", "gemma",
    "apple-ascl", "apple-amlr", "lgpl-lr",
)  # fmt: skip
_NC_HUB = ("h-research", "intel-research", "fair-noncommercial-research-license", "deepfloyd-if-license")
for _id in _RESTRICTED_HUB:
    _TABLE[f"LicenseRef-hf-{_id}"] = {"category": "restricted", "attribution": True, "use_restrictions": True}
for _id in _NC_HUB:
    _TABLE[f"LicenseRef-hf-{_id}"] = {"category": "restricted", "attribution": True, "non_commercial": True}

_GNU = re.compile(r"^(?P<family>A?GPL|LGPL|GFDL)-(?P<version>\d\.\d)")


@lru_cache(maxsize=1)
def _scancode_categories() -> dict[str, str]:
    categories: dict[str, str] = {}
    try:
        index = files("license_expression").joinpath("data/scancode-licensedb-index.json")
        entries = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # an install without the index: every unlisted key is unknown
        return categories
    for entry in entries:
        key = entry.get("spdx_license_key")
        if key and not entry.get("is_exception"):
            categories[key] = entry.get("category") or ""
            for other in entry.get("other_spdx_license_keys") or ():
                categories.setdefault(other, entry.get("category") or "")
    return categories


@lru_cache(maxsize=4096)
def licence_facts(key: str) -> LicenceFacts:
    """The facts for one SPDX licence key (not an expression)."""
    match = _CC.match(key)
    if match:
        nc, nd, sa = bool(match["nc"]), bool(match["nd"]), bool(match["sa"])
        family = ("CC-BY-NC-SA" if nc else "CC-BY-SA") if sa else None
        category = "copyleft" if sa and not nc else ("restricted" if nc or nd else "permissive")
        return LicenceFacts(
            key,
            category,
            attribution=True,
            share_alike=family,
            share_alike_version=match["version"] if sa else None,
            non_commercial=nc,
            no_derivatives=nd,
        )
    if key in _TABLE:
        return LicenceFacts(key, **_TABLE[key])
    gnu = _GNU.match(key)
    if gnu:
        family = gnu["family"]
        weak = family == "LGPL"
        return LicenceFacts(
            key,
            "weak-copyleft" if weak else "copyleft",
            attribution=True,
            share_alike=family,
            share_alike_version=gnu["version"],
        )
    category = _scancode_categories().get(key)
    # ScanCode's permissive and public-domain categories are curated: no review flag for those.
    if category == "Public Domain":
        return LicenceFacts(key, "public-domain")
    if category == "Permissive":
        return LicenceFacts(key, "permissive", attribution=True)
    if category == "Copyleft":
        return LicenceFacts(key, "copyleft", attribution=True, share_alike=key, reviewed=False)
    if category == "Copyleft Limited":
        return LicenceFacts(key, "weak-copyleft", attribution=True, share_alike=key, reviewed=False)
    if category:
        # Proprietary Free, Source-available, Free Restricted, Commercial, ...: read the terms.
        return LicenceFacts(key, "restricted", attribution=True, use_restrictions=True, reviewed=False)
    return LicenceFacts(key, "unknown", use_restrictions=True, reviewed=False)


@dataclass(slots=True)
class CombinedFacts:
    """The duties of records under several licences at once (a conjunction of keys)."""

    keys: list[str] = field(default_factory=list)
    attribution: bool = False
    share_alike: dict[str, list[str]] = field(default_factory=dict)  # family → keys
    non_commercial: list[str] = field(default_factory=list)
    no_derivatives: list[str] = field(default_factory=list)
    use_restrictions: list[str] = field(default_factory=list)
    unreviewed: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def combine_facts(keys: list[str] | frozenset[str]) -> CombinedFacts:
    combined = CombinedFacts(keys=sorted(keys))
    for key in combined.keys:
        facts = licence_facts(key)
        combined.attribution |= facts.attribution
        if facts.share_alike:
            combined.share_alike.setdefault(facts.share_alike, []).append(key)
        if facts.non_commercial:
            combined.non_commercial.append(key)
        if facts.no_derivatives:
            combined.no_derivatives.append(key)
        if facts.use_restrictions:
            combined.use_restrictions.append(key)
        if not facts.reviewed:
            combined.unreviewed.append(key)
        if facts.notice:
            combined.notices.append(facts.notice)
    return combined


def restriction_cost(keys: frozenset[str], commercial: bool) -> tuple[int, ...]:
    """Order the choices of an ``OR``: the least restrictive choice for the intended use first."""
    facts = [licence_facts(k) for k in keys]
    return (
        sum(f.category == "unknown" for f in facts),
        sum(f.non_commercial for f in facts) if commercial else 0,
        sum(f.no_derivatives for f in facts),
        sum(f.use_restrictions for f in facts),
        sum(f.share_alike is not None for f in facts),
        sum(f.non_commercial for f in facts),
        sum(f.attribution for f in facts),
        len(facts),
    )
