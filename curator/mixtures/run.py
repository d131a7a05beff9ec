"""A run's mixtures: scan the kept records once, select each mixture, write its files and cards.

The pipeline calls :func:`check_tokenizers` before the run (a bad tokenizer stops it early),
:func:`scan_kept` after it (the scan also feeds the licence summary), then :func:`build_mixtures`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import curator
from curator.io import write_bytes_atomic
from curator.licensing.run import license_origin
from curator.licensing.terms import ModelTerms
from curator.mixtures.build import file_digest, select, write_mixtures, write_summary
from curator.mixtures.cards import RunContext, SourceInfo, render_attribution, render_readme
from curator.mixtures.pool import PoolScan, modified_roles, scan_pool
from curator.mixtures.selection import choose
from curator.mixtures.tokens import WHITESPACE, TokenCounter, check_tokenizer, make_counter
from curator.run.manifest import MixtureSummary, SourceFate

if TYPE_CHECKING:
    from curator.ingest.cards import CardInfo
    from curator.recipe import LoadedRecipe, Recipe
    from curator.run import Manifest, RunFolder


def check_tokenizers(recipe: Recipe, base_dir: Path) -> None:
    """Every mixture's tokenizer loads (offline); a CuratorError before anything is written if not."""
    for mixture in recipe.mixtures:
        check_tokenizer(mixture.tokenizer, base_dir)


def scan_kept(recipe: Recipe, base_dir: Path, data_paths: list[Path]) -> PoolScan:
    """One pass over the kept records: source, licence, language, flags, tokens, mixture groups."""
    # Token counts only matter to mixtures; a run without any reads each kept record once, cheaply.
    counters: dict[str, TokenCounter] = {WHITESPACE: TokenCounter()} if recipe.mixtures else {}
    for mixture in recipe.mixtures:
        if mixture.tokenizer not in counters:
            counters[mixture.tokenizer] = make_counter(mixture.tokenizer, base_dir)
    scan = scan_pool(data_paths, recipe.mixtures, counters)
    # Modified: repaired on read, or PII found in a message whose role a stage redacts/pseudonymises.
    scan.modified = scan.repaired | ((scan.pii & modified_roles(recipe)) != 0)
    return scan


def build_mixtures(
    loaded: LoadedRecipe,
    folder: RunFolder,
    manifest: Manifest,
    scan: PoolScan,
    *,
    fates: dict[str, SourceFate],
    terms: dict[str, ModelTerms | None],
    cards: dict[str, CardInfo | None],
    intended_use: str | None,
    modifying: list[str],
) -> dict[str, MixtureSummary]:
    """Select and write every mixture (data files, README.md card, ATTRIBUTION, mixture.json)."""
    recipe = loaded.recipe
    data_paths = folder.data_paths(manifest)
    for mixture in recipe.mixtures:  # select: by score first; weights and size then sample from it
        if mixture.select is not None:
            chosen, how = choose(mixture, scan, data_paths, loaded.base_dir)
            scan.selected[mixture.name], scan.selection[mixture.name] = chosen, how
    selections = [
        select(m, scan, recipe.seed, intended_use=intended_use, terms=terms, modifying_stages=modifying)
        for m in recipe.mixtures
    ]
    write_mixtures(selections, data_paths, folder.root, recipe, recipe.seed, file_digest)
    formats = {item.source: item.format for item in manifest.inputs}
    ctx = RunContext(
        recipe_name=recipe.name,
        recipe_file=loaded.path.name,
        recipe_sha256=loaded.sha256,
        curator_version=curator.__version__,
        seed=recipe.seed,
        intended_use=intended_use,
        inputs=manifest.inputs,
        sources={
            s.name: SourceInfo(
                name=s.name,
                license=s.license,
                license_origin=license_origin(s, cards.get(s.name)),
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
        stages=manifest.stages,
    )
    mixtures: dict[str, Any] = {}
    for selection in selections:
        summary, config = selection.summary, selection.config
        target = folder.path(summary["path"])
        write_bytes_atomic(target / "README.md", render_readme(config, summary, ctx).encode("utf-8"))
        write_bytes_atomic(target / "ATTRIBUTION", render_attribution(config, summary, ctx).encode("utf-8"))
        write_summary(folder.root, summary, {"recipe": {"name": recipe.name, "sha256": loaded.sha256}})
        mixtures[config.name] = MixtureSummary.model_validate(summary)
    return mixtures
