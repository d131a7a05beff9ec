"""A finished run's licence picture: each source's fate, and the licence of what the run kept.

* :func:`source_fates` — per source: rows read → rejected / removed by stage and reason / kept
  (flagged, modified), read from the run folder and the scan of the kept records;
* :func:`run_licences` — the manifest's ``licences``: the policy, each source's licence and
  verdict (included / flagged / partly excluded / excluded), the kept set's licence and conflicts.

Which mixtures took each source's records is added by the pipeline from the mixtures built.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from curator.licensing.combine import Component, resulting_licence
from curator.licensing.terms import ModelTerms
from curator.run.manifest import Licences, SourceFate

if TYPE_CHECKING:
    from curator.ingest.cards import CardInfo
    from curator.mixtures.pool import PoolScan
    from curator.recipe import Recipe, SourceConfig
    from curator.run import Manifest, RunFolder

def source_fates(
    recipe: Recipe, manifest: Manifest, folder: RunFolder, scan: PoolScan
) -> dict[str, SourceFate]:
    """Per source: rows read, rejected, removed by stage and reason, kept, flagged, modified."""
    fates: dict[str, dict[str, Any]] = {
        s.name: {"rows": 0, "rejected": 0, "removed": {}, "kept": 0, "flagged": {}, "modified": 0}
        for s in recipe.sources
    }
    for item in manifest.inputs:
        fates[item.source]["rows"] += item.rows
    for entry in folder.iter_rejected(manifest):
        fates[entry["source"]]["rejected"] += 1
    removed: dict[str, Counter] = defaultdict(Counter)
    for entry in folder.iter_removed(manifest):
        removed[entry["record"]["provenance"]["source"]][entry["stage"], entry["reason"]] += 1
    order = {s.stage_name: i for i, s in enumerate(recipe.stages)}
    for name, counts in removed.items():
        by_stage: dict[str, dict[str, int]] = {}
        for (stage, reason), n in sorted(counts.items(), key=lambda i: (order.get(i[0][0], 99), i[0][1])):
            by_stage.setdefault(stage, {})[reason] = n
        fates[name]["removed"] = by_stage
    kept = np.bincount(scan.source_code, minlength=len(scan.sources.values))
    modified = np.bincount(scan.source_code[scan.modified], minlength=len(scan.sources.values))
    for code, name in enumerate(scan.sources.values):
        fates[name]["kept"] = int(kept[code])
        fates[name]["modified"] = int(modified[code])
    for (name, flag), n in sorted(scan.flags.items()):
        fates[name]["flagged"][flag] = n
    for fate in fates.values():
        removed_total = sum(n for reasons in fate["removed"].values() for n in reasons.values())
        fate["removed_total"] = removed_total
        fate["accounted"] = fate["rows"] == fate["rejected"] + removed_total + fate["kept"]
    return {name: SourceFate.model_validate(fate) for name, fate in fates.items()}


def licence_policy(recipe: Recipe) -> dict[str, Any] | None:
    """The licence policy of the first stage that enforces one ({stage, intended_use, rules, …})."""
    for stage in recipe.stages:
        policy = stage.licence_policy()
        if policy is not None:
            return {"stage": stage.stage_name, **policy}
    return None


def run_licences(
    recipe: Recipe,
    scan: PoolScan,
    fates: dict[str, SourceFate],
    terms: dict[str, ModelTerms | None],
    cards: dict[str, CardInfo | None],
    modifying: list[str],
) -> Licences:
    """The manifest's ``licences``: policy, per-source licence and verdict, and the kept set's licence."""
    policy = licence_policy(recipe)
    components: dict[Any, Component] = {}
    sources = scan.sources.values
    for (license_code, source_code), n in Counter(
        zip(scan.license_code.tolist(), scan.source_code.tolist(), strict=True)
    ).items():
        license_ = scan.licenses.values[license_code]
        components.setdefault(license_, Component(license_)).records[sources[source_code]] = n
    kept = resulting_licence(
        list(components.values()),
        intended_use=policy["intended_use"] if policy else None,
        terms=terms,
        modified={name: fate.modified for name, fate in fates.items() if fate.modified},
        modifying_stages=modifying,
    )
    per_source: dict[str, Any] = {}
    extra_conflicts = []
    for source in recipe.sources:
        fate = fates[source.name]
        card = cards.get(source.name)
        info: dict[str, Any] = {
            "license": source.license,
            "license_column": source.license_column,
            "generated_by": source.generated_by,
            "model_terms": terms[source.name].model_dump(exclude_none=True) if terms[source.name] else None,
        }
        if card is not None:
            info["card"] = card.as_dict()
            if card.license is not None and source.license is not None and card.license != source.license:
                extra_conflicts.append(
                    {
                        "level": "warning",
                        "code": "license_differs_from_card",
                        "message": f"the recipe says {source.license} but {card.path} says {card.license}",
                        "sources": [source.name],
                    }
                )
        if policy is not None:
            info["removed_by_policy"] = fate.removed.get(policy["stage"], {})
            info["flagged_by_policy"] = {
                flag.split(":", 1)[1]: n
                for flag, n in fate.flagged.items()
                if flag.startswith(f"{policy['stage']}:")
            }
            if fate.rows and fate.kept == 0 and info["removed_by_policy"]:
                info["verdict"] = "excluded"
            elif info["flagged_by_policy"]:
                info["verdict"] = "flagged"
            elif info["removed_by_policy"]:
                info["verdict"] = "partly excluded"
            else:
                info["verdict"] = "included"
        if source.generated_by and terms[source.name] is None:
            extra_conflicts.append(
                {
                    "level": "warning",
                    "code": "unknown_model_terms",
                    "message": f"generated by {source.generated_by}, whose terms curator does not know; "
                    f"declare model_terms on the source",
                    "sources": [source.name],
                }
            )
        per_source[source.name] = info
    conflicts = kept.pop("conflicts") + extra_conflicts
    return Licences.model_validate(
        {
            "policy": policy,
            "sources": per_source,
            "kept": kept,
            "modifying_stages": modifying,
            "conflicts": sorted(conflicts, key=lambda c: (c["level"] != "error", c["code"], c["sources"])),
        }
    )


def license_origin(source: SourceConfig, card: CardInfo | None) -> str:
    """Where a source's licence came from, for its mixture cards."""
    if card is not None and card.license is not None and card.license == source.license:
        return f"dataset card {Path(card.path).name}"
    return "recipe" if source.license else "none"
