"""The scorecard: every mixture ranked against the uncurated baseline on held-out bits per byte.

``scorecard.json`` holds everything (per eval set: loss, bits per byte, token accuracy, ROUGE-L,
exact match); ``scorecard.md`` is the table for a README or a pull request; ``scorecard.png``
plots bits per byte per mixture and the training loss curves. Lower bits per byte is better; the
rank is by its mean over the eval sets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from curator.io import write_bytes_atomic, write_json_atomic

RANK_METRIC = "bits_per_byte"


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if len(present) == len(values) and present else None


def build_scorecard(
    results: list[dict[str, Any]], baseline: str | None, run_dir: Path | None = None
) -> dict[str, Any]:
    eval_sets = list(results[0]["eval"]) if results else []
    entries = []
    for metrics in results:
        per_set = {
            name: {
                key: metrics["eval"][name].get(key)
                for key in (
                    "loss",
                    "bits_per_byte",
                    "token_accuracy",
                    "rouge_l",
                    "exact_match",
                    "examples",
                    "generated",
                )
            }
            for name in eval_sets
        }
        initial = metrics.get("eval_initial") or {}
        entries.append(
            {
                "name": metrics["name"],
                "kind": "baseline" if metrics["name"] == baseline else "mixture",
                "records": metrics["data"]["records"],
                "rows_not_records": metrics["data"]["rows_not_records"],
                "examples": metrics["data"]["examples"],
                "decontaminated_removed": metrics["decontamination"].get("train_records_removed", 0),
                "decontamination_method": metrics["decontamination"].get("method"),
                "epochs": metrics["train"]["epochs"],
                "supervised_tokens": metrics["train"]["supervised_tokens"],
                "final_train_loss": metrics["train"]["final_loss"],
                "tokens_per_second": metrics["train"]["tokens_per_second"],
                "eval": per_set,
                "untrained_bits_per_byte": _mean([initial.get(n, {}).get(RANK_METRIC) for n in eval_sets])
                if initial
                else None,
                "mean_bits_per_byte": _mean([per_set[n][RANK_METRIC] for n in eval_sets]),
                "notes": metrics["data"].get("notes", []),
            }
        )
    ranked = sorted(entries, key=lambda e: (e["mean_bits_per_byte"] is None, e["mean_bits_per_byte"] or 0.0))
    for rank, entry in enumerate(ranked, 1):
        entry["rank"] = rank
    base = next((e for e in entries if e["kind"] == "baseline"), None)
    for entry in entries:
        if (
            base is None
            or entry is base
            or base["mean_bits_per_byte"] is None
            or entry["mean_bits_per_byte"] is None
        ):
            entry["delta_bits_per_byte"] = entry["delta_percent"] = entry["beats_baseline"] = None
            continue
        delta = entry["mean_bits_per_byte"] - base["mean_bits_per_byte"]
        entry["delta_bits_per_byte"] = delta
        entry["delta_percent"] = 100 * delta / base["mean_bits_per_byte"]
        entry["beats_baseline"] = delta < 0
    first = results[0] if results else {}
    budget = first.get("budget", {})
    notes = []
    if base is not None and base["rows_not_records"]:
        notes.append(
            f"The baseline is the run's input rows adapted to records with no stage applied; "
            f"{base['rows_not_records']} input rows are not records (rejected) and cannot be trained on."
        )
    removed = {e["name"]: e["decontaminated_removed"] for e in entries if e["decontaminated_removed"]}
    if removed:
        notes.append(
            "Decontamination removed training records that overlap the eval sets: "
            + ", ".join(f"{name} {count}" for name, count in removed.items())
            + f" ({first.get('decontamination', {}).get('method')})."
        )
    elif first.get("decontamination", {}).get("method") not in (None, "off"):
        notes.append(
            f"Decontamination ({first['decontamination']['method']}) found no overlap with the eval sets."
        )
    return {
        "rank_metric": f"mean held-out {RANK_METRIC} over the eval sets (lower is better)",
        "baseline": baseline,
        "run": run_dir.as_posix() if run_dir else None,
        "model": first.get("model", {}),
        "budget": {
            "steps": budget.get("steps"),
            "tokens_per_step": budget.get("tokens_per_step"),
            "train_positions": budget.get("train_positions"),
            "seed": first.get("config", {}).get("seed"),
            "seq_len": first.get("config", {}).get("seq_len"),
        },
        "eval_sets": eval_sets,
        "entries": ranked,
        "notes": notes,
    }


def _f(value: Any, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def render_markdown(scorecard: dict[str, Any]) -> str:
    model, budget = scorecard["model"], scorecard["budget"]
    lines = [
        "# Mixture scorecard",
        "",
        f"Every model: {model.get('name')} ({_f(model.get('parameters'))} parameters), "
        f"{_f(budget['steps'])} steps × "
        f"{_f(budget['tokens_per_step'])} token positions, seed {budget['seed']}, the same eval sets "
        f"({', '.join(scorecard['eval_sets'])}). Ranked by {scorecard['rank_metric']}.",
        "",
        "| rank | mixture | records | removed by decontamination | epochs | bits/byte | Δ vs baseline |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for e in scorecard["entries"]:
        name = f"{e['name']} (uncurated)" if e["kind"] == "baseline" else e["name"]
        delta = (
            ""
            if e["delta_percent"] is None
            else f"{e['delta_bits_per_byte']:+.4f} ({e['delta_percent']:+.1f} %)"
        )
        lines.append(
            f"| {e['rank']} | {name} | {_f(e['records'])} | {_f(e['decontaminated_removed'])} | "
            f"{_f(e['epochs'], 2)} | {_f(e['mean_bits_per_byte'])} | {delta} |"
        )
    lines += [
        "",
        "Per eval set (loss in nats per assistant token; ROUGE-L and exact match on greedy answers):",
        "",
    ]
    lines += [
        "| mixture | eval set | loss | bits/byte | token acc | ROUGE-L | exact match |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for e in scorecard["entries"]:
        for set_name, m in e["eval"].items():
            lines.append(
                f"| {e['name']} | {set_name} | {_f(m['loss'])} | {_f(m['bits_per_byte'])} | "
                f"{_f(m['token_accuracy'], 3)} | {_f(m['rouge_l'], 3)} | {_f(m['exact_match'], 3)} |"
            )
    if scorecard["notes"]:
        lines += ["", *[f"- {note}" for note in scorecard["notes"]]]
    return "\n".join(lines) + "\n"


def write_scorecard(scorecard: dict[str, Any], results: list[dict[str, Any]], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out_dir / "scorecard.json", scorecard)
    write_bytes_atomic(out_dir / "scorecard.md", render_markdown(scorecard).encode("utf-8"))
    plot_scorecard(scorecard, results, out_dir / "scorecard.png")


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def plot_scorecard(scorecard: dict[str, Any], results: list[dict[str, Any]], path: Path) -> bool:
    """Bits per byte per mixture and eval set, and the training loss curves. False without matplotlib."""
    plt = _pyplot()
    if plt is None:
        return False
    entries = scorecard["entries"]
    sets = scorecard["eval_sets"]
    figure, (bars, curves) = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / max(1, len(sets))
    for k, set_name in enumerate(sets):
        values = [e["eval"][set_name]["bits_per_byte"] or 0.0 for e in entries]
        positions = [i + (k - (len(sets) - 1) / 2) * width for i in range(len(entries))]
        bars.bar(positions, values, width, label=set_name)
    bars.set_xticks(range(len(entries)), [e["name"] for e in entries], rotation=20, ha="right")
    bars.set_ylabel("held-out bits per byte (lower is better)")
    bars.set_title("Held-out bits per byte, ranked")
    bars.legend(fontsize="small")
    for metrics in results:
        curve = metrics["train"]["loss_curve"]
        curves.plot(
            [p["step"] for p in curve], [p["loss"] for p in curve], label=metrics["name"], linewidth=1
        )
    curves.set_xlabel("step")
    curves.set_ylabel("training loss (nats per assistant token)")
    curves.set_title("Training loss, same budget and seed")
    curves.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def plot_loss_curve(metrics: dict[str, Any], path: Path) -> bool:
    plt = _pyplot()
    if plt is None:
        return False
    figure, axis = plt.subplots(figsize=(6, 4))
    curve = metrics["train"]["loss_curve"]
    axis.plot([p["step"] for p in curve], [p["loss"] for p in curve], label="train", linewidth=1)
    held: dict[str, list[tuple[int, float]]] = {}
    for name, m in (metrics.get("eval_initial") or {}).items():
        held.setdefault(name, []).append((0, m["loss"]))
    for point in metrics["train"].get("held_out_during_training", []):
        for name, m in point.items():
            if name != "step":
                held.setdefault(name, []).append((point["step"], m["loss"]))
    for name, m in metrics["eval"].items():
        held.setdefault(name, []).append((metrics["budget"]["steps"], m["loss"]))
    for name, points in held.items():
        axis.plot(*zip(*points, strict=True), marker="o", label=f"held-out: {name}")
    axis.set_xlabel("step")
    axis.set_ylabel("loss (nats per assistant token)")
    axis.set_title(f"{metrics['name']}: {metrics['model']['name']}")
    axis.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
