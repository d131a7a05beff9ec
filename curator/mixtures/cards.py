"""Dataset cards and attribution for mixtures: README.md (Hub YAML front matter + prose) and ATTRIBUTION.

Everything on a card is measured by the run or declared in the recipe; nothing depends on the
clock or the machine (paths are shown relative, the recipe by name and sha256), so the same run
gives byte-identical cards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from curator.licensing.facts import licence_facts
from curator.licensing.terms import ModelTerms
from curator.mixtures.config import MixtureConfig
from curator.mixtures.rows import SCHEMAS, features_yaml
from curator.run.manifest import InputEntry, SourceFate, StageEntry

DISCLAIMER = (
    "Licence facts and conflicts are curator's reading of the licences and terms named by the "
    "sources; they are a checklist, not legal advice."
)
_HUB_DATASET = re.compile(r"huggingface\.co/datasets/([^/?#\s]+/[^/?#\s]+|[^/?#\s]+)")
_SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
]
_FORMAT_COLUMNS = {
    "messages": "`messages` (list of {role, content, name}) — the OpenAI / TRL chat format",
    "prompt_completion": "`prompt` (the turns before the last assistant turn) and `completion` (that turn), "
    "each a list of {role, content, name} — TRL's conversational prompt-completion format (loss on the "
    "completion only)",
    "sharegpt": "`conversations` (list of {from, value, name}) — the ShareGPT format (LLaMA-Factory, "
    "Axolotl; TRL does not read it as conversational: use messages or prompt_completion for TRL)",
    "alpaca": "`instruction`, `input`, `output`, `system`, `history` — the Alpaca / LLaMA-Factory format",
    "record": "`messages`, `provenance`, `annotations` (JSON text), `meta` (JSON text): curator's record",
}


@dataclass(slots=True)
class SourceInfo:
    name: str
    license: str | None
    license_origin: str
    url: str | None = None
    citation: str | None = None
    version: str | None = None
    collection_date: str | None = None
    generated_by: str | None = None
    terms: ModelTerms | None = None
    language: list[str] = field(default_factory=list)
    input_format: str | None = None


@dataclass(slots=True)
class RunContext:
    recipe_name: str
    recipe_file: str
    recipe_sha256: str
    curator_version: str
    seed: int
    intended_use: str | None
    inputs: list[InputEntry]
    sources: dict[str, SourceInfo]
    fates: dict[str, SourceFate]
    stages: list[StageEntry]


def size_category(records: int) -> str:
    for limit, name in _SIZE_CATEGORIES:
        if records < limit:
            return name
    return "n>1B"


def source_dataset_id(info: SourceInfo) -> str | None:
    """The Hub id of a source (from a huggingface.co/datasets URL), or None: the Hub's
    ``source_datasets`` holds dataset ids only; other sources are named in the card's prose."""
    match = _HUB_DATASET.search(info.url or "")
    return match.group(1) if match else None


def card_languages(config: MixtureConfig, summary: dict[str, Any], ctx: RunContext) -> list[str]:
    if config.card.language is not None:
        return config.card.language
    measured = summary.get("languages") or {}
    total = sum(measured.values())
    if total:
        return [
            lang
            for lang, n in sorted(measured.items(), key=lambda item: (-item[1], item[0]))
            if n / total >= 0.01
        ]
    weight: dict[str, int] = {}
    for name, stats in summary["sources"].items():
        for lang in ctx.sources[name].language:
            weight[lang] = weight.get(lang, 0) + stats["records"]
    return sorted(weight, key=lambda lang: (-weight[lang], lang))


def front_matter(config: MixtureConfig, summary: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    licence = summary["licence"]
    data: dict[str, Any] = {
        "pretty_name": config.card.pretty_name or config.name,
        "license": licence["hub_license"],
    }
    if "other" in (
        licence["hub_license"] if isinstance(licence["hub_license"], list) else [licence["hub_license"]]
    ):
        data["license_name"] = licence["license"] or licence["expression"] or "see README"
        data["license_link"] = "ATTRIBUTION"  # lists every source with its licence
    languages = card_languages(config, summary, ctx)
    if languages:
        data["language"] = languages
    data["size_categories"] = [size_category(summary["records"])]
    data["task_categories"] = list(config.card.task_categories)
    hub_ids = {source_dataset_id(ctx.sources[name]) for name in summary["sources"]}
    if hub_ids - {None}:
        data["source_datasets"] = sorted(hub_ids - {None})  # type: ignore[type-var]
    data["tags"] = sorted({"curator", "instruction-tuning", *config.card.tags})
    data["configs"] = [{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}]
    data_bytes = sum(int(f.get("bytes", 0)) for f in summary.get("files", []))
    data["dataset_info"] = {
        "features": features_yaml(SCHEMAS[config.format]),
        # as `datasets` reads them; the size is that of the data files (deterministic, unlike Arrow's)
        "splits": [{"name": "train", "num_bytes": data_bytes, "num_examples": summary["records"]}],
        "download_size": data_bytes,
        "dataset_size": data_bytes,
    }
    return data


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return "\n".join(lines)


def _removed_text(fate: SourceFate) -> str:
    parts = [
        f"{stage}: "
        + ", ".join(f"{reason} {n:,}" for reason, n in sorted(reasons.items(), key=lambda i: (-i[1], i[0])))
        for stage, reasons in fate.removed.items()
    ]
    return "; ".join(parts) or "—"


def _not_in_mixture(fate: SourceFate) -> str:
    if fate.kept:
        return f"{fate.kept:,} records kept by the run, none selected by this mixture"
    return "no records kept by the run: " + _removed_text(fate)


def render_readme(config: MixtureConfig, summary: dict[str, Any], ctx: RunContext) -> str:
    meta = front_matter(config, summary, ctx)
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    title = meta["pretty_name"]
    licence = summary["licence"]
    out: list[str] = [f"---\n{head}---\n", f"# {title}\n"]
    if config.card.description:
        out.append(config.card.description.strip() + "\n")
    unit_note = (
        f" ({summary['tokenizer']} tokens)" if summary["tokenizer"] != "whitespace" else " (whitespace words)"
    )
    out.append(
        f"{summary['records']:,} conversations ({summary['unique_records']:,} unique) and "
        f"{summary['tokens']:,} tokens{unit_note} in the **{config.format}** format, drawn from "
        f"{len(summary['sources'])} source(s) by curator {ctx.curator_version} "
        f"(run `{ctx.recipe_name}`, seed {summary['seed']}). Load it with "
        f'`datasets.load_dataset("<this folder>")`.\n'
    )

    out.append("## Sources\n")
    rows = []
    for name, stats in summary["sources"].items():
        info = ctx.sources[name]
        rows.append(
            [
                name,
                info.license or "unknown",
                f"{stats['records']:,}",
                f"{stats['unique_records']:,}",
                f"{stats['tokens']:,}",
                info.generated_by or "human",
                info.url or "",
            ]
        )
    out.append(
        _table(["source", "licence", "records", "unique", "tokens", "written by", "link"], rows) + "\n"
    )

    out.append("## Licence\n")
    if licence["license"]:
        out.append(
            f"**{licence['license']}** applies to the mixture as a whole. "
            f"Exact terms: `{licence['expression']}`.\n"
        )
        if licence["license"] != licence["expression"]:
            out.append(
                f"The records under other licences are permissive or attribution-only, so they can be shared "
                f"under {licence['license']}; each record keeps its own licence in the `license` column.\n"
            )
    else:
        components = ", ".join(
            f"{c['license'] or 'unknown'} ({c['records']:,} records)" for c in licence["components"]
        )
        out.append(
            f"**No single licence.** The mixture is a collection of records under {components}; each "
            f"record keeps its own licence in the `license` column. "
            f"Exact terms: `{licence['expression'] or 'unknown'}`.\n"
        )
    for key in sorted(
        {
            k
            for c in licence["components"]
            if c["license"]
            for k in re.split(r"\s+(?:AND|OR|WITH)\s+|[()]", c["license"])
            if k
        }
    ):
        facts = licence_facts(key)
        if facts.url:
            out.append(f"- {key}: {facts.url}")
    out.append("")
    if licence["obligations"]:
        out.append("### Obligations\n")
        out.extend(f"- {item}" for item in licence["obligations"])
        out.append("")
    if licence["restrictions"]:
        out.append("### Restrictions\n")
        out.extend(
            f"- **{item}**" if item.startswith("NonCommercial") else f"- {item}"
            for item in licence["restrictions"]
        )
        out.append("")
    if licence["conflicts"]:
        out.append("### Licence conflicts\n")
        out.extend(
            f"- **{c['level']}** `{c['code']}`: {c['message']} (sources: {', '.join(c['sources'])})"
            for c in licence["conflicts"]
        )
        out.append("")
    if ctx.intended_use:
        out.append(f"The run's licence policy was `intended_use: {ctx.intended_use}`.\n")
    out.append(f"_{DISCLAIMER}_\n")

    out.append("## What was removed and why\n")
    out.append(
        "Every input row of these sources ends in exactly one place: kept, removed by a stage (with its "
        "reason), or rejected as unreadable. Counts from this run:\n"
    )
    rows = []
    for name in summary["sources"]:
        fate = ctx.fates.get(name) or SourceFate()
        rows.append(
            [
                name,
                f"{fate.rows:,}",
                f"{fate.rejected:,}",
                _removed_text(fate),
                f"{fate.kept:,}",
                f"{summary['sources'][name]['unique_records']:,}",
            ]
        )
    out.append(
        _table(
            [
                "source",
                "rows read",
                "rejected",
                "removed (stage: reason count)",
                "kept",
                "in mixture (unique)",
            ],
            rows,
        )
        + "\n"
    )
    left_out = sorted(n for n, f in ctx.fates.items() if n not in summary["sources"])
    if left_out:
        out.append("Sources of the run with no records in this mixture:\n")
        for name in left_out:
            fate = ctx.fates[name]
            out.append(
                f"- {name} ({ctx.sources[name].license or 'unknown licence'}): {_not_in_mixture(fate)}"
            )
        out.append("")
    stage_rows = [
        [
            s.name,
            s.type,
            s.action,
            f"{s.records_in:,}",
            f"{s.removed:,}",
            f"{s.tagged:,}",
            ", ".join(
                f"{r} {n:,}" for r, n in sorted(s.removed_by_reason.items(), key=lambda i: (-i[1], i[0]))
            ),
        ]
        for s in ctx.stages
    ]
    if stage_rows:
        out.append("Stages of the run, in order (all sources):\n")
        out.append(
            _table(["stage", "type", "action", "in", "removed", "tagged", "reasons"], stage_rows) + "\n"
        )

    out.append("## How the mixture was drawn\n")
    weights_note = (
        f"temperature {config.temperature:g} over group sizes"
        if config.temperature
        else ("the weights below" if config.weights else "natural proportions")
    )
    size = summary["size"]
    out.append(
        f"Grouped by `{config.by}`, shares from {weights_note}; target {size['target']:,.0f} {config.unit}, "
        f"achieved {size['achieved']:,}. Each group is filled without replacement up to what it has, "
        f"then repeated in whole epochs (at most {config.max_epochs:g}); sampling is seeded "
        f"(seed {summary['seed']}) and stratified, so effective shares match requested ones up to rounding "
        f"unless a group hits the cap (largest difference {summary['max_weight_error']:.4f}).\n"
    )
    if "selection" in summary:
        out.append(selection_text(summary["selection"]))
    rows = [
        [
            g,
            f"{v['requested_weight']:.3f}",
            f"{v['effective_weight']:.3f}",
            f"{v['available_units']:,}",
            f"{v['selected_units']:,}",
            f"{v['epochs']:.2f}",
        ]
        for g, v in summary["groups"].items()
    ]
    out.append(
        _table(
            [
                "group",
                "requested share",
                "effective share",
                f"available {config.unit}",
                f"selected {config.unit}",
                "epochs",
            ],
            rows,
        )
        + "\n"
    )
    if summary["notes"]:
        out.extend(f"- {note}" for note in summary["notes"])
        out.append("")

    out.append("## Format\n")
    out.append(
        f"Columns: {_FORMAT_COLUMNS[config.format]}; plus `id` (curator record id), `source` and `license` "
        f"(the record's SPDX licence). `curator trace <id> <run folder>` shows a row's source file and row "
        f"and every stage that touched it.\n"
        if config.format != "record"
        else f"Columns: {_FORMAT_COLUMNS['record']}.\n"
    )

    out.append("## How to reproduce\n")
    out.append(
        f"```bash\ncurator run {ctx.recipe_file} --out <run folder>\n```\n\n"
        f"Recipe `{ctx.recipe_file}` (sha256 `{ctx.recipe_sha256}`), curator {ctx.curator_version}, seed "
        f"{ctx.seed}. The same inputs, recipe and seed give byte-identical files. Inputs:\n"
    )
    rows = [
        [i.source, i.file, i.rows, f"`{i.sha256}`"]
        for i in ctx.inputs
        if i.source in summary["sources"]
    ]
    out.append(_table(["source", "file", "rows", "sha256"], rows) + "\n")

    citations = [(n, ctx.sources[n].citation) for n in summary["sources"] if ctx.sources[n].citation]
    if citations:
        out.append("## Citation\n")
        for name, citation in citations:
            out.append(f"{name}:\n\n```\n{citation.strip()}\n```\n")
    return "\n".join(out).rstrip() + "\n"


def render_attribution(config: MixtureConfig, summary: dict[str, Any], ctx: RunContext) -> str:
    title = config.card.pretty_name or config.name
    lines = [
        f"ATTRIBUTION — {title}",
        "",
        "This mixture holds records from the sources below, each under its own licence (the `license`",
        "column of every row). Changes made by curator are listed per source.",
        "",
    ]
    for name, stats in summary["sources"].items():
        info = ctx.sources[name]
        lines.append(name)
        lines.append(f"  Records in this mixture: {stats['records']:,} ({stats['unique_records']:,} unique)")
        url = licence_facts(info.license).url if info.license and " " not in info.license else None
        lines.append(f"  Licence: {info.license or 'unknown'}" + (f" ({url})" if url else ""))
        if info.license_origin != "recipe":
            lines.append(f"  Licence stated by: {info.license_origin}")
        for label, value in (
            ("URL", info.url),
            ("Version", info.version),
            ("Collected", info.collection_date),
        ):
            if value:
                lines.append(f"  {label}: {value}")
        if info.generated_by:
            terms = info.terms
            text = f"  Generated by: {info.generated_by}"
            if terms is not None:
                text += f", under {terms.name}" + (f" ({terms.url})" if terms.url else "")
                if terms.summary:
                    text += f": {terms.summary}"
            lines.append(text)
        else:
            lines.append("  Written by: people (no generating model declared)")
        changes = [
            f"kept in the {config.format} format"
            if info.input_format == config.format
            else f"converted from the {info.input_format or 'source'} format to {config.format}"
        ]
        if stats.get("modified_records"):
            changes.append(
                f"{stats['modified_records']:,} of its {stats['unique_records']:,} records here had text "
                f"changed (repaired on read or PII replaced; see annotations.repairs and annotations.pii)"
            )
        else:
            changes.append("text not modified")
        lines.append("  Changes: " + "; ".join(changes))
        if info.citation:
            lines.append("  Citation:")
            lines.extend("    " + line for line in info.citation.strip().splitlines())
        lines.append("")
    left_out = sorted(n for n in ctx.fates if n not in summary["sources"])
    if left_out:
        lines.append("Sources of the run not in this mixture:")
        for name in left_out:
            licence = ctx.sources[name].license or "unknown licence"
            lines.append(f"  {name} ({licence}): {_not_in_mixture(ctx.fates[name])}")
        lines.append("")
    lines.append(DISCLAIMER)
    return "\n".join(lines) + "\n"


def selection_text(selection: dict[str, Any]) -> str:
    """The card's sentence on how `select:` chose the records the mixture was drawn from."""
    best = "highest" if selection["order"] == "highest" else "lowest"
    rule = []
    if "top_count" in selection:
        rule.append(f"the {selection['top_count']:,} {best}-scoring")
    elif "top_fraction" in selection:
        rule.append(f"the {best}-scoring {selection['top_fraction'] * 100:g} %")
    else:
        rule.append("all")
    per = {"all": "", "source": " per source", "group": " per group"}[selection["per"]]
    bounds = [f"{key} {selection[key]:g}" for key in ("min", "max") if key in selection]
    text = (
        f"Records were first selected by the score `{selection['score']}` (`annotations.scores`): "
        f"{rule[0]} records{per}"
        + (f" within {' and '.join(bounds)}" if bounds else "")
        + f", {selection['selected']:,} of {selection['candidates']:,} candidates "
        f"({selection['with_score']:,} had the score; ties go to the earlier record)"
    )
    diversity = selection.get("diversity")
    if diversity:
        text += (
            f"; best first, skipping any record whose `{diversity['text']}` text has cosine similarity above "
            f"{diversity['max_similarity']:g} to one already chosen ({diversity['model']} embeddings; "
            f"{selection.get('skipped_as_too_similar', 0):,} skipped)"
        )
    score_range = selection.get("selected_score_range")
    if score_range:
        text += f". Selected scores range from {score_range[0]:g} to {score_range[1]:g}"
    return text + ".\n"
