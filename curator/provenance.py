"""Provenance around a run: dataset cards before it; source fates, licences and mixtures after it.

The pipeline calls two hooks:

* :func:`prepare_provenance` after the inputs are planned and before anything is written: fills
  each source's missing licence, url, citation, version and language from its dataset card
  (see :mod:`curator.hubcard`) and checks the mixtures' tokenizers, so a problem stops the run early;
* :func:`finish_provenance` after the run's outputs are assembled: adds to the manifest every
  source's fate (rows read → rejected / removed by stage and reason / kept → in which mixtures),
  the licence summary of the kept records with its conflicts, and builds each mixture.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

import curator
from curator.cards import RunContext, SourceInfo, render_attribution, render_readme
from curator.errors import CuratorError
from curator.hubcard import CardInfo, find_card, read_card
from curator.io import write_bytes_atomic
from curator.licensing.combine import Component, resulting_licence
from curator.licensing.terms import ModelTerms, resolve_terms
from curator.mixtures.build import file_digest, select, write_mixtures, write_summary
from curator.mixtures.pool import ROLE_BITS, PoolScan, scan_pool
from curator.mixtures.tokens import WHITESPACE, TokenCounter, check_tokenizer, make_counter
from curator.recipe import LoadedRecipe, Recipe, SourceConfig
from curator.run import Manifest, RunFolder
from curator.run.manifest import Licences, MixtureSummary, SourceFate

_CARD_FIELDS = ("license", "url", "citation", "version")


def source_card(source: SourceConfig, base_dir: Path, input_paths: list[Path]) -> CardInfo | None:
    """The dataset card of a source: the one it names, else the first found next to its inputs."""
    if source.card:
        path = Path(source.card).expanduser()
        return read_card(path if path.is_absolute() else base_dir / path)
    for path in input_paths:
        found = find_card(path)
        if found is not None:
            return found
    return None


def _inputs_of(inputs: list[Any], index: int) -> list[Path]:
    return [item.path for item in inputs if item.source_index == index]


def prepare_provenance(loaded: LoadedRecipe, inputs: list[Any]) -> LoadedRecipe:
    """The recipe with each source's missing provenance read from its dataset card; checks tokenizers."""
    recipe = loaded.recipe
    for mixture in recipe.mixtures:
        check_tokenizer(mixture.tokenizer, loaded.base_dir)
    sources, changed = [], False
    for index, source in enumerate(recipe.sources):
        card = source_card(source, loaded.base_dir, _inputs_of(inputs, index))
        updates: dict[str, Any] = {}
        if card is not None:
            for name in _CARD_FIELDS:
                if getattr(source, name) is None and getattr(card, name) is not None:
                    updates[name] = getattr(card, name)
            if source.language is None and card.language:
                updates["language"] = card.language
        if updates:
            changed = True
            source = source.model_copy(update=updates)
        sources.append(source)
    if not changed:
        return loaded
    filled = recipe.model_copy(update={"sources": sources})
    for stage in filled.stages:
        stage.bind_sources(filled.sources)
    return loaded.model_copy(update={"recipe": filled})


def source_fates(
    recipe: Recipe, manifest: Manifest, folder: RunFolder, scan: PoolScan
) -> dict[str, dict[str, Any]]:
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
    return fates


def _policy(recipe: Recipe) -> dict[str, Any] | None:
    """The licence policy of the first stage that enforces one ({stage, intended_use, rules, …})."""
    for stage in recipe.stages:
        policy = stage.licence_policy()
        if policy is not None:
            return {"stage": stage.stage_name, **policy}
    return None


def run_licences(
    recipe: Recipe,
    scan: PoolScan,
    fates: dict[str, dict[str, Any]],
    terms: dict[str, ModelTerms | None],
    cards: dict[str, CardInfo | None],
    modifying: list[str],
) -> dict[str, Any]:
    """The manifest's ``licences``: policy, per-source licence and verdict, and the kept set's licence."""
    policy = _policy(recipe)
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
        modified={name: fate["modified"] for name, fate in fates.items() if fate["modified"]},
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
            info["removed_by_policy"] = fate["removed"].get(policy["stage"], {})
            info["flagged_by_policy"] = {
                flag.split(":", 1)[1]: n
                for flag, n in fate["flagged"].items()
                if flag.startswith(f"{policy['stage']}:")
            }
            if fate["rows"] and fate["kept"] == 0 and info["removed_by_policy"]:
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
    return {
        "policy": policy,
        "sources": per_source,
        "kept": kept,
        "modifying_stages": modifying,
        "conflicts": sorted(conflicts, key=lambda c: (c["level"] != "error", c["code"], c["sources"])),
    }


def finish_provenance(loaded: LoadedRecipe, folder: RunFolder, manifest: Manifest) -> dict[str, Any]:
    """Source fates, licences and mixtures for a finished run: the manifest parts to add."""
    recipe = loaded.recipe
    out_dir = folder.root
    data_paths = folder.data_paths(manifest)
    # Token counts only matter to mixtures; a run without any reads each kept record once, cheaply.
    counters: dict[str, TokenCounter] = {WHITESPACE: TokenCounter()} if recipe.mixtures else {}
    for mixture in recipe.mixtures:
        if mixture.tokenizer not in counters:
            counters[mixture.tokenizer] = make_counter(mixture.tokenizer, loaded.base_dir)
    scan = scan_pool(data_paths, recipe.mixtures, counters)
    modifying = [s.stage_name for s in recipe.stages if s.modifies_text()]
    # Modified: repaired on read, or PII found in a message whose role a stage redacts/pseudonymises.
    scan.modified = scan.repaired | ((scan.pii & _modified_roles(recipe)) != 0)
    fates = source_fates(recipe, manifest, folder, scan)
    terms = {s.name: resolve_terms(s.generated_by, s.model_terms) for s in recipe.sources}
    inputs_by_source: dict[str, list[Path]] = defaultdict(list)
    for item in manifest.inputs:
        inputs_by_source[item.source].append(loaded.base_dir / item.file)
    cards: dict[str, CardInfo | None] = {}
    for source in recipe.sources:
        try:
            cards[source.name] = source_card(source, loaded.base_dir, inputs_by_source[source.name])
        except CuratorError:
            cards[source.name] = None
    licences = run_licences(recipe, scan, fates, terms, cards, modifying)
    policy = _policy(recipe)
    intended_use = policy["intended_use"] if policy else None

    selections = [
        select(m, scan, recipe.seed, intended_use=intended_use, terms=terms, modifying_stages=modifying)
        for m in recipe.mixtures
    ]
    write_mixtures(selections, data_paths, out_dir, recipe, recipe.seed, file_digest)
    formats = {item.source: item.format for item in manifest.inputs}
    ctx = RunContext(
        recipe_name=recipe.name,
        recipe_file=loaded.path.name,
        recipe_sha256=loaded.sha256,
        curator_version=curator.__version__,
        seed=recipe.seed,
        intended_use=intended_use,
        inputs=[item.model_dump() for item in manifest.inputs],
        sources={
            s.name: SourceInfo(
                name=s.name,
                license=s.license,
                license_origin=_license_origin(s, cards.get(s.name)),
                url=s.url,
                citation=s.citation,
                version=s.version,
                collection_date=s.collection_date,
                generated_by=s.generated_by,
                terms=terms[s.name],
                language=list(s.language or []),
                input_format=formats.get(s.name),
            )
            for s in recipe.sources
        },
        fates=fates,
        stages=[stage.model_dump() for stage in manifest.stages],
    )
    mixtures: dict[str, Any] = {}
    for selection in selections:
        summary, config = selection.summary, selection.config
        folder = out_dir / summary["path"]
        write_bytes_atomic(folder / "README.md", render_readme(config, summary, ctx).encode("utf-8"))
        write_bytes_atomic(folder / "ATTRIBUTION", render_attribution(config, summary, ctx).encode("utf-8"))
        write_summary(out_dir, summary, {"recipe": {"name": recipe.name, "sha256": loaded.sha256}})
        mixtures[config.name] = summary
        for name, stats in summary["sources"].items():
            fates[name].setdefault("mixtures", {})[config.name] = stats["records"]
    for fate in fates.values():
        fate.setdefault("mixtures", {})
    return {
        "sources": {name: SourceFate.model_validate(fate) for name, fate in fates.items()},
        "licences": Licences.model_validate(licences),
        "mixtures": {name: MixtureSummary.model_validate(summary) for name, summary in mixtures.items()},
    }


def _modified_roles(recipe: Recipe) -> int:
    """ROLE_BITS of the roles whose PII findings some stage replaces in the text."""
    mask = 0
    for stage in recipe.stages:
        for role, bit in ROLE_BITS.items():
            if stage.replaces_pii(role):
                mask |= bit
    return mask


def _license_origin(source: SourceConfig, card: CardInfo | None) -> str:
    if card is not None and card.license is not None and card.license == source.license:
        return f"dataset card {Path(card.path).name}"
    return "recipe" if source.license else "none"


def summary_lines(manifest: Manifest) -> list[str]:
    """Licence conflicts and mixtures of a finished run, for the end of `curator run`."""
    lines = []
    for c in manifest.licences.conflicts:
        lines.append(f"licence {c.level}: {c.code}: {c.message}")
    for name, mixture in manifest.mixtures.items():
        licence = mixture.licence
        terms = licence.license or f"no single licence ({licence.expression or 'unknown'})"
        errors = sum(c.level == "error" for c in licence.conflicts or [])
        lines.append(
            f"mixture {name}: {mixture.records:,} records, {mixture.tokens:,} tokens, {terms}"
            + (f", {errors} licence error(s)" if errors else "")
            + f" → {mixture.path}/"
        )
    return lines
