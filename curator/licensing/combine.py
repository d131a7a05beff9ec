"""The licence of a set of records from several sources: what it is, what it obliges, what conflicts.

Used for a run's kept records and for each mixture. Rules (a data engineer's reading of the
licences, stated in the card; not legal advice):

* The exact terms are the conjunction of every record's licence (``Apache-2.0 AND CC-BY-SA-3.0``);
  each record keeps its own licence in ``provenance.license``.
* One ShareAlike licence absorbs permissive and attribution licences: the whole can be shared under
  it (for Creative Commons, under the highest version present, since BY-SA allows later versions).
  That licence is the set's ``license``, and its obligations propagate to the mixture.
* ShareAlike cannot absorb NonCommercial or NoDerivatives material, nor another ShareAlike family:
  the set can then only be shared as a collection in which each record keeps its licence
  (a ``warning`` naming the sources), and there is no single ``license``.
* Without ShareAlike, a single NonCommercial licence governs the set; otherwise a single licence
  (all records alike) does, and several different licences have none.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from curator.licensing.facts import licence_facts, restriction_cost
from curator.licensing.spdx import LicenseError, alternatives, combine_and, hub_license_id, normalize_license
from curator.licensing.terms import ModelTerms


@dataclass(slots=True)
class Component:
    """Records that share one licence expression."""

    license: str | None
    records: dict[str, int] = field(default_factory=dict)  # source → records


def conflict(level: str, code: str, message: str, sources: list[str], **extra: Any) -> dict[str, Any]:
    return {"level": level, "code": code, "message": message, "sources": sorted(set(sources)), **extra}


def _names(sources: list[str]) -> str:
    return ", ".join(sorted(set(sources)))


def resulting_licence(
    components: list[Component],
    *,
    intended_use: str | None = None,
    terms: dict[str, ModelTerms | None] | None = None,
    modified: dict[str, int] | None = None,
    modifying_stages: list[str] | None = None,
) -> dict[str, Any]:
    """The licence summary of a set of records (JSON-ready; see the module docstring)."""
    terms = terms or {}
    modified = modified or {}
    commercial = intended_use == "commercial"
    conflicts: list[dict[str, Any]] = []
    obligations: list[str] = []
    restrictions: list[str] = []
    by_key: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    unknown: dict[str, int] = defaultdict(int)
    chosen_expressions: list[str] = []
    table = []
    for component in sorted(components, key=lambda c: (c.license is None, c.license or "")):
        try:
            expression = normalize_license(component.license)
        except LicenseError:
            expression = None
        total = sum(component.records.values())
        table.append(
            {
                "license": component.license,
                "records": total,
                "sources": dict(sorted(component.records.items())),
            }
        )
        if expression is None:
            for source, n in component.records.items():
                unknown[source] += n
            continue
        choice = min(alternatives(expression), key=lambda c: (restriction_cost(c, commercial), sorted(c)))
        chosen_expressions.extend(choice)
        for key in choice:
            for source, n in component.records.items():
                by_key[key][source] += n

    facts = {key: licence_facts(key) for key in by_key}
    sources_of = {key: sorted(records) for key, records in by_key.items()}
    expression = combine_and(chosen_expressions)

    sa = {k: f for k, f in facts.items() if f.share_alike}
    nc = {k: f for k, f in facts.items() if f.non_commercial}
    nd = {k: f for k, f in facts.items() if f.no_derivatives}
    families = sorted({f.share_alike for f in sa.values() if f.share_alike})
    governing: str | None = None
    if len(families) > 1:
        conflicts.append(
            conflict(
                "warning",
                "incompatible_share_alike",
                f"ShareAlike licences of different families ({', '.join(sorted(sa))}) cannot be combined "
                f"into one licence; share the records as a collection that keeps each record's licence",
                [s for k in sa for s in sources_of[k]],
            )
        )
    elif families:
        family_keys = sorted(sa, key=lambda k: (sa[k].share_alike_version or "", k))
        candidate = family_keys[-1]
        if not family_keys[-1].startswith("CC-") and len(family_keys) > 1:
            candidate = None  # GPL-2.0-only and GPL-3.0-only, say: no later-version clause to rely on
        blockers = {
            k: f for k, f in facts.items() if k not in sa and (f.no_derivatives or f.use_restrictions)
        }
        if sa[family_keys[-1]].non_commercial is False:
            blockers.update({k: f for k, f in nc.items() if k not in sa})
        if blockers:
            sa_sources = [s for k in sa for s in sources_of[k]]
            blocker_sources = [s for k in blockers for s in sources_of[k]]
            what = "NonCommercial" if any(f.non_commercial for f in blockers.values()) else "other"
            conflicts.append(
                conflict(
                    "warning",
                    "share_alike_incompatible",
                    f"{', '.join(sorted(sa))} (ShareAlike, from {_names(sa_sources)}) requires adaptations "
                    f"under the same licence, which cannot carry the {what} conditions of "
                    f"{', '.join(sorted(blockers))} (from {_names(blocker_sources)}); the set can only be "
                    f"shared as a collection in which each record keeps its own licence",
                    [s for k in (*sa, *blockers) for s in sources_of[k]],
                )
            )
        elif candidate is not None and not unknown:
            governing = candidate
    elif len(nc) == 1 and not unknown and not nd:
        governing = next(iter(nc))
    elif len(by_key) == 1 and not unknown:
        governing = next(iter(by_key))

    if any(f.attribution for f in facts.values()):
        obligations.append(
            "Attribution: credit every source as listed in the ATTRIBUTION file "
            "(name, licence, link, citation)."
        )
    for key in sorted(sa):
        obligations.append(
            f"ShareAlike ({key}, from {_names(sources_of[key])}): share adapted versions of these records "
            f"under {governing or key} or a licence it names as compatible."
        )
    for notice in sorted({f.notice for f in facts.values() if f.notice}):
        obligations.append(notice[0].upper() + notice[1:] + ".")
    for key in sorted(nc):
        restrictions.append(
            f"NonCommercial ({key}, from {_names(sources_of[key])}, {sum(by_key[key].values())} records): "
            f"no commercial use of these records."
        )
        if commercial:
            conflicts.append(
                conflict(
                    "error",
                    "non_commercial_in_commercial_use",
                    f"{key} forbids commercial use but the intended use is commercial "
                    f"({sum(by_key[key].values())} records from {_names(sources_of[key])})",
                    sources_of[key],
                )
            )
    for key in sorted(nd):
        restrictions.append(
            f"NoDerivatives ({key}, from {_names(sources_of[key])}): share these records only verbatim."
        )
        touched = {s: modified[s] for s in sources_of[key] if modified.get(s)}
        if touched or modifying_stages:
            details = []
            if modifying_stages:
                details.append(f"stage(s) {', '.join(modifying_stages)} modify text")
            if touched:
                details.append(
                    "modified records: " + ", ".join(f"{s} {n}" for s, n in sorted(touched.items()))
                )
            conflicts.append(
                conflict(
                    "error",
                    "no_derivatives_modified",
                    f"{key} forbids sharing modified copies, but {'; '.join(details)}",
                    sources_of[key],
                )
            )
    for key in sorted(k for k, f in facts.items() if f.use_restrictions or not f.reviewed):
        restrictions.append(
            f"{key} (from {_names(sources_of[key])}): use restrictions or terms curator has not reviewed; "
            f"read the licence."
        )
        conflicts.append(
            conflict(
                "warning",
                "unreviewed_license",
                f"{key} has use restrictions or terms curator has not reviewed",
                sources_of[key],
            )
        )
    restricted_terms: dict[str, list[str]] = defaultdict(list)
    for source in sorted({s for records in by_key.values() for s in records} | set(unknown)):
        model_terms = terms.get(source)
        if model_terms is not None and model_terms.restricts_competing:
            restricted_terms[model_terms.name].append(source)
    for name, sources in sorted(restricted_terms.items()):
        model_terms = terms[sources[0]]
        assert model_terms is not None
        restrictions.append(
            f"Model terms ({name}, from {_names(sources)}): {model_terms.summary or 'read the terms'}"
        )
        conflicts.append(
            conflict(
                "warning",
                "model_terms_restrict_competing",
                f"{_names(sources)} were generated by a model under {name}, which forbid using the output "
                f"to develop competing models",
                sources,
            )
        )
    if unknown:
        conflicts.append(
            conflict(
                "error" if commercial else "warning",
                "unknown_license",
                f"{sum(unknown.values())} records have no known licence (from {_names(list(unknown))})",
                list(unknown),
            )
        )
    hub: str | list[str]
    if governing is not None:
        hub = hub_license_id(governing)
    else:
        ordered = sorted(by_key, key=lambda k: (-sum(by_key[k].values()), k))
        hub_ids = list(dict.fromkeys(hub_license_id(k) for k in ordered)) or ["unknown"]
        if unknown:
            hub_ids.append("unknown")
        hub = hub_ids[0] if len(hub_ids) == 1 else hub_ids
    return {
        "expression": expression,
        "license": governing,
        "hub_license": hub,
        "components": table,
        "obligations": obligations,
        "restrictions": restrictions,
        "conflicts": sorted(conflicts, key=lambda c: (c["level"] != "error", c["code"], c["sources"])),
    }
