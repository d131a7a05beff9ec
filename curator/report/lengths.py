"""Length distributions of the kept records: words and characters of prompts and outputs, turns."""

from __future__ import annotations

from curator.records import InstructionRecord
from curator.report.base import Chart, ManifestLike, Outcome, ReportSection, SectionResult, Table
from curator.report.stats import Distribution

_TURN_EDGES = (1, 2, 3, 4, 5, 7, 9, 13, 17, 33, 65)


class LengthsSection(ReportSection):
    """Prompt = the user turns of a record (input included), output = its assistant turns.

    Words are whitespace-separated, which undercounts Chinese, Japanese and Thai; the character
    distributions are the ones to read for those.
    """

    key = "lengths"
    title = "Lengths"

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        self.metrics = {
            name: Distribution()
            for name in ("prompt_words", "output_words", "prompt_chars", "output_chars", "turns")
        }
        # Tokens as the trainer sees them, when a length stage counted them (curator.tokens).
        self.tokens = {"total": Distribution(), "assistant": Distribution()}
        self.token_units: set[str] = set()

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        if outcome.fate != "kept":
            return
        prompt_words = output_words = prompt_chars = output_chars = turns = 0
        for message in record.messages:
            role = message.role
            if role == "system":
                continue
            turns += 1
            text = message.content
            if role == "user":
                prompt_words += len(text.split())
                prompt_chars += len(text)
            elif role == "assistant":
                output_words += len(text.split())
                output_chars += len(text)
        m = self.metrics
        m["prompt_words"].add(prompt_words)
        m["output_words"].add(output_words)
        m["prompt_chars"].add(prompt_chars)
        m["output_chars"].add(output_chars)
        m["turns"].add(turns)
        counted = record.annotations.extra.get("tokens")
        if isinstance(counted, dict) and "total" in counted:
            self.tokens["total"].add(int(counted["total"]))
            self.tokens["assistant"].add(int(counted.get("assistant", 0)))
            self.token_units.add(str(counted.get("unit", "?")))

    def result(self) -> SectionResult:
        m = self.metrics
        section = SectionResult(key=self.key, title=self.title)
        if not m["turns"].n:
            section.notes.append("No kept records.")
            return section
        section.summary = {
            "output_words_median": m["output_words"].quantile(0.5),
            "output_words_p99": m["output_words"].quantile(0.99),
            "prompt_words_median": m["prompt_words"].quantile(0.5),
            "prompt_words_p99": m["prompt_words"].quantile(0.99),
            "multi_turn_records": sum(n for turns, n in m["turns"].counts.items() if turns > 2),
        }
        labels = {
            "output_words": "Output words (assistant turns)",
            "prompt_words": "Prompt words (user turns, input included)",
            "output_chars": "Output characters",
            "prompt_chars": "Prompt characters",
            "turns": "Turns per conversation (user + assistant)",
        }
        for name, title in labels.items():
            edges = _TURN_EDGES if name == "turns" else None
            bins, counts = m[name].binned(edges) if edges else m[name].binned()
            section.charts.append(
                Chart(
                    title=title,
                    kind="histogram",
                    labels=bins,
                    values=counts,
                    x_label="turns" if name == "turns" else name.split("_")[1],
                )
            )
        if self.tokens["total"].n:
            unit = ", ".join(sorted(self.token_units))
            unit = "whitespace words" if unit == "whitespace" else f"{unit} tokens, chat template applied"
            section.summary["tokens_unit"] = unit
            section.summary["tokens_total_median"] = self.tokens["total"].quantile(0.5)
            for kind, title in (("total", "Tokens per conversation"), ("assistant", "Assistant tokens")):
                bins, counts = self.tokens[kind].binned()
                section.charts.append(
                    Chart(title=f"{title} ({unit})", kind="histogram", labels=bins, values=counts,
                          x_label="tokens")
                )
        section.tables.append(
            Table(
                title="Length statistics of the kept records",
                columns=["measure", "median", "p90", "p99", "max", "mean"],
                rows=[
                    [
                        labels[name].split(" (")[0],
                        m[name].quantile(0.5),
                        m[name].quantile(0.9),
                        m[name].quantile(0.99),
                        m[name].max,
                        round(m[name].mean or 0.0, 1),
                    ]
                    for name in labels
                ],
            )
        )
        section.notes.append(
            "Words are whitespace-separated: they undercount Chinese, Japanese and Thai; "
            "read the characters there."
        )
        return section
