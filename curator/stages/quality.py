"""Instruction-specific quality checks (``type: quality``).

Every check has a reason code, thresholds in the recipe, and an action. A check's ``action``
overrides the stage's: ``drop`` removes the record (reason in ``removed/<stage>.jsonl``), ``tag``
keeps it and appends ``"<stage>:<reason>"`` to ``annotations.quality_flags``, and ``fix`` (only
where a check can repair what it finds) repairs the text and records it in
``annotations.repairs``; a fix that cannot be made (text lost to U+FFFD, a user turn that is
nothing but a placeholder) is tagged instead. Checks run in the order below; a record is
removed by the first check whose action is ``drop``, after every earlier check has tagged or
fixed it.

==========================  ====================================================  ==============
check (recipe key)          reason codes                                          default action
==========================  ====================================================  ==============
control_chars               control_chars                                         fix
mojibake                    mojibake                                              fix
empty                       empty_output, empty_instruction                       the stage's
placeholder_input           placeholder_input                                     fix
placeholder_output          placeholder_output                                    the stage's
url_only_input              url_only_input                                        the stage's
missing_attachment          missing_attachment                                    the stage's
output_equals_instruction   output_equals_instruction                             the stage's
output_equals_input         output_equals_input                                   tag
length                      {output,instruction}_too_{short,long}_{words,chars}   the stage's
refusal                     refusal                                               the stage's
ai_identity                 ai_identity                                           the stage's
merged_instructions         merged_instructions                                   the stage's
truncated_output            truncated_output                                      the stage's
unbalanced_code_fence       unbalanced_code_fence                                 the stage's
repetition                  repeated_lines, repeated_ngrams                       tag
==========================  ====================================================  ==============

The ``length`` stage (``type: length``) still exists for a run that wants only the cheap empty
and length limits over whole roles; this stage covers the same ground per turn and knows the
instruction from the input, so ``curator audit`` runs this one and not that one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from curator.quality import checks
from curator.quality.checks import Finding
from curator.quality.reasons import CHARACTER_CHECKS, CHECK_NAMES, CHECK_OF_REASON, REASONS  # noqa: F401 (re-exported)
from curator.quality.turns import Turns, split_turns
from curator.records import InstructionRecord
from curator.stages.base import Judgement, Reason, RecordStage, StageConfig, Verdict

CheckAction = Literal["drop", "tag"]
FixAction = Literal["drop", "tag", "fix"]


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    action: CheckAction | None = Field(
        default=None,
        description="drop or tag; overrides the stage's action for this check (null: the stage's).",
    )


class FixableCheck(Check):
    action: FixAction | None = Field(
        default="fix",
        description="fix: repair the text and record it in annotations.repairs; or drop / tag.",
    )


class ControlCharsCheck(FixableCheck):
    """C0/C1 control characters (not tab/newline/CR), zero-width spaces, stray byte-order marks,
    and runs of 3+ stacked combining marks. fix: vertical tab and form feed become newlines,
    the rest is removed."""


class MojibakeCheck(FixableCheck):
    """Text decoded with the wrong encoding ("Ã©" for "é"), found and fixed by ftfy, or already
    damaged beyond repair (U+FFFD replacement characters: those are tagged, never "fixed")."""


class EmptyCheck(Check):
    """An assistant or user turn that is empty or only whitespace."""


class PlaceholderInputCheck(FixableCheck):
    """An input such as "<noinput>", "N/A", "No input", "none", '""' that stands for no input.

    fix (the default) removes the placeholder: the answers are usually fine (Alpaca's 70 such
    rows all have real outputs), only the prompt is wrong.
    """

    extra: list[str] = Field(default_factory=list, description="More placeholder inputs (any case).")


class PlaceholderOutputCheck(Check):
    """An output that is a placeholder for a missing answer: "<nooutput>", "N/A", "No Output"."""

    extra: list[str] = Field(default_factory=list, description="More placeholder outputs (any case).")


class UrlOnlyInputCheck(Check):
    """An input that is only a URL or a markdown link: the model cannot open it, so the answer is invented."""

    unless_task_is_about_urls: bool = Field(
        default=True,
        description="Skip prompts that work on the URL text itself (domain, normalise, parse, HTML link).",
    )


class MissingAttachmentCheck(Check):
    """An instruction about an image, chart, recording or file that is not there: "Describe this
    painting" with no input, or an input such as "<image>", "[Attached photo]", "[Insert article]"."""


class OutputEqualsInstructionCheck(Check):
    """An output identical to an instruction (after stripping outer whitespace)."""


class OutputEqualsInputCheck(Check):
    """An output identical to the input. Tags by default: about half are right answers to sorting
    or editing tasks whose input needed no change."""

    action: CheckAction | None = Field(default="tag", description="drop or tag (null: the stage's).")


class LengthCheck(Check):
    """Words (whitespace-separated) and characters of each turn; the instruction excludes the input.

    Words undercount scripts written without spaces (Chinese, Japanese, Thai): use characters there.
    """

    min_output_words: int = Field(default=1, ge=0)
    max_output_words: int | None = Field(default=8000, ge=1)
    min_output_chars: int = Field(default=1, ge=0)
    max_output_chars: int | None = Field(default=50000, ge=1)
    min_instruction_words: int = Field(default=1, ge=0)
    max_instruction_words: int | None = Field(default=8000, ge=1)
    min_instruction_chars: int = Field(default=2, ge=0)
    max_instruction_chars: int | None = Field(default=50000, ge=1)


class RefusalCheck(Check):
    """An output that declines the task ("I'm sorry, but I cannot…", "This task cannot be completed…")."""

    extra_patterns: list[str] = Field(default_factory=list, description="More regexes (case-insensitive).")
    unless_prompt_asks: bool = Field(
        default=True, description="Skip records whose prompt asks for an apology or a refusal."
    )


class AiIdentityCheck(Check):
    """An output that speaks as a model ("As an AI language model", "as of my knowledge cutoff",
    "cannot be done by a GPT model")."""

    extra_patterns: list[str] = Field(default_factory=list, description="More regexes (case-insensitive).")
    unless_prompt_about_ai: bool = Field(
        default=True, description="Skip records whose prompt is about AI, language models or assistants."
    )


class MergedInstructionsCheck(Check):
    """An output that runs on into further generated tasks ("6. Instruction: … 6. Input: …") or
    leaks the generation prompt."""

    extra_patterns: list[str] = Field(default_factory=list, description="More regexes (case-insensitive).")


class TruncatedOutputCheck(Check):
    """A prose output whose last line stops on a word no sentence ends on ("…is equal to")."""

    min_words: int = Field(default=6, ge=1, description="Shorter last lines are not judged.")


class UnbalancedCodeFenceCheck(Check):
    """An output with an odd number of ``` fence lines: a code block that never closes."""


class RepetitionCheck(Check):
    """Degenerate repetition: one line, or one n-gram of words, repeated until it fills the output.

    Tags by default: songs, schedules and tables repeat on purpose.
    """

    action: CheckAction | None = Field(default="tag", description="drop or tag (null: the stage's).")
    min_lines: int = Field(default=4, ge=2, description="Outputs with fewer lines are not judged for lines.")
    min_line_repeats: int = Field(default=4, ge=2, description="One line must occur at least this often...")
    max_repeated_line_fraction: float = Field(
        default=0.5, gt=0, le=1, description="...and repeats must hold this share of the lines' characters."
    )
    ngram_size: int = Field(default=4, ge=2)
    min_ngram_repeats: int = Field(
        default=8, ge=2, description="One n-gram must occur at least this often..."
    )
    max_top_ngram_fraction: float = Field(
        default=0.25, gt=0, le=1, description="...and its occurrences must hold this share of the words."
    )
    min_words: int = Field(default=30, ge=1, description="Shorter outputs are not judged for n-grams.")
    unless_prompt_asks: bool = Field(default=True, description="Skip prompts that ask to repeat something.")


class QualityConfig(StageConfig):
    """Instruction-specific quality checks; each has thresholds and its own optional action."""

    type: Literal["quality"] = "quality"
    control_chars: ControlCharsCheck = Field(default_factory=ControlCharsCheck)
    mojibake: MojibakeCheck = Field(default_factory=MojibakeCheck)
    empty: EmptyCheck = Field(default_factory=EmptyCheck)
    placeholder_input: PlaceholderInputCheck = Field(default_factory=PlaceholderInputCheck)
    placeholder_output: PlaceholderOutputCheck = Field(default_factory=PlaceholderOutputCheck)
    url_only_input: UrlOnlyInputCheck = Field(default_factory=UrlOnlyInputCheck)
    missing_attachment: MissingAttachmentCheck = Field(default_factory=MissingAttachmentCheck)
    output_equals_instruction: OutputEqualsInstructionCheck = Field(
        default_factory=OutputEqualsInstructionCheck
    )
    output_equals_input: OutputEqualsInputCheck = Field(default_factory=OutputEqualsInputCheck)
    length: LengthCheck = Field(default_factory=LengthCheck)
    refusal: RefusalCheck = Field(default_factory=RefusalCheck)
    ai_identity: AiIdentityCheck = Field(default_factory=AiIdentityCheck)
    merged_instructions: MergedInstructionsCheck = Field(default_factory=MergedInstructionsCheck)
    truncated_output: TruncatedOutputCheck = Field(default_factory=TruncatedOutputCheck)
    unbalanced_code_fence: UnbalancedCodeFenceCheck = Field(default_factory=UnbalancedCodeFenceCheck)
    repetition: RepetitionCheck = Field(default_factory=RepetitionCheck)

    @model_validator(mode="after")
    def _check_lengths(self) -> QualityConfig:
        c = self.length
        for kind in ("output", "instruction"):
            for unit in ("words", "chars"):
                low, high = getattr(c, f"min_{kind}_{unit}"), getattr(c, f"max_{kind}_{unit}")
                if high is not None and high < low:
                    raise ValueError(
                        f"length.max_{kind}_{unit} ({high}) is below length.min_{kind}_{unit} ({low})"
                    )
        return self


# The checks' names and reason codes live with the checks (plain data that reports read).
assert tuple(n for n in QualityConfig.model_fields if n not in StageConfig.model_fields) == CHECK_NAMES, (
    "curator.quality.reasons.CHECK_NAMES must list QualityConfig's checks in order"
)
_CHARACTER_CHECKS = CHARACTER_CHECKS


def _normalised(values: list[str]) -> list[str]:
    return [" ".join(value.split()).lower() for value in values]


class QualityFilter(RecordStage[QualityConfig]):
    config_model = QualityConfig
    reasons: ClassVar[dict[str, tuple[str, ...]]] = REASONS

    def __init__(self, config: QualityConfig) -> None:
        super().__init__(config)
        c = config
        self._placeholder_inputs = frozenset(
            [*checks.PLACEHOLDER_INPUTS, *_normalised(c.placeholder_input.extra)]
        )
        self._placeholder_outputs = frozenset(
            [*checks.PLACEHOLDER_OUTPUTS, *_normalised(c.placeholder_output.extra)]
        )
        self._refusal = checks.PatternGroup(checks.REFUSAL_PATTERNS, c.refusal.extra_patterns)
        self._identity = checks.PatternGroup(checks.AI_IDENTITY_PATTERNS, c.ai_identity.extra_patterns)
        self._merged = checks.PatternGroup(checks.MERGED_PATTERNS, c.merged_instructions.extra_patterns)
        # (check name, its function over turns, its action), in order, enabled turn checks only.
        self._plan: list[tuple[str, Callable[[Turns], Finding | None], str]] = [
            (name, getattr(self, f"_check_{name}"), self.action_of(name))
            for name in CHECK_NAMES
            if name not in _CHARACTER_CHECKS and getattr(c, name).enabled
        ]

    def action_of(self, check: str) -> str:
        """drop, tag or fix: the check's own action, else the stage's."""
        return getattr(self.config, check).action or self.config.action

    # -- judging ---------------------------------------------------------------------------------
    def check(self, record: InstructionRecord) -> Judgement:
        """Checks in order: fixes are made in place, tags collect, the first drop ends the list."""
        reasons: list[Reason] = []
        removal = self._character_checks(record, reasons)
        if removal is None:
            turns = split_turns(record)
            for name, run_check, action in self._plan:
                finding = run_check(turns)
                if finding is None:
                    continue
                if action == "drop":
                    removal = (name, finding)
                    break
                if action == "fix" and self._fix(name, record, turns, finding):
                    continue
                reasons.append(Reason(finding.reason, action="tag"))
        if removal is not None:
            name, finding = removal
            reasons.append(Reason(finding.reason, {"check": name, **(finding.detail or {})}, "drop"))
        return Verdict(reasons) if reasons else None

    def findings(self, record: InstructionRecord) -> list[Finding]:
        """What every enabled check finds in ``record``, whatever the actions; changes nothing."""
        found: list[Finding] = []
        for name in _CHARACTER_CHECKS:
            if getattr(self.config, name).enabled:
                for index, message in enumerate(record.messages):
                    finding = self._character_finding(name, index, message.content)[0]
                    if finding is not None:
                        found.append(finding)
                        break
        turns = split_turns(record)
        for _, check, _ in self._plan:
            finding = check(turns)
            if finding is not None:
                found.append(finding)
        return found

    def _character_checks(self, record: InstructionRecord, flags: list[Reason]) -> tuple[str, Finding] | None:
        """control_chars and mojibake, over every message; fixes are made in place."""
        for name in _CHARACTER_CHECKS:
            if not getattr(self.config, name).enabled:
                continue
            action = self.action_of(name)
            flagged = False
            for index, message in enumerate(record.messages):
                finding, fixed = self._character_finding(name, index, message.content)
                if finding is None:
                    continue
                if action == "drop":
                    return name, finding
                if action == "fix" and fixed is not None:
                    message.content = fixed
                    repair = "removed_control_chars" if name == "control_chars" else "fixed_mojibake"
                    record.annotations.repairs.append(f"{repair}:messages[{index}]")
                elif not flagged:  # tag, or a fix that cannot be made
                    flags.append(Reason(finding.reason, action="tag"))
                    flagged = True
        return None

    def _character_finding(self, name: str, index: int, text: str) -> tuple[Finding | None, str | None]:
        """(finding, repaired text or None when it cannot be repaired) for one message."""
        if name == "control_chars":
            found = checks.control_chars(text)
            if not found:
                return None, None
            return Finding("control_chars", {"message": index, "chars": found}), checks.strip_control_chars(
                text
            )
        damage = checks.mojibake(text)
        if damage is None:
            return None, None
        kind, fixed = damage
        return Finding("mojibake", {"message": index, "kind": kind}), fixed

    def _fix(self, name: str, record: InstructionRecord, turns: Turns, finding: Finding) -> bool:
        """Repair what a turn check found, in place; False when it cannot be repaired."""
        detail = finding.detail or {}
        if name != "placeholder_input" or detail.get("whole_turn"):
            return False
        index = detail["message"]
        message = record.messages[index]
        if turns.input is not None:  # the turn's instruction is already split off
            kept = next(text for turn_index, text in turns.instructions if turn_index == index)
            record.meta.pop("input_chars", None)
        else:
            kept = message.content.rstrip().rpartition("\n\n")[0]
        message.content = kept
        record.annotations.repairs.append(f"removed_placeholder_input:messages[{index}]")
        turns.instructions = [(i, kept if i == index else text) for i, text in turns.instructions]
        turns.input = turns.tail = None
        return True

    # -- checks on turns ----------------------------------------------------------------------------
    def _check_empty(self, turns: Turns) -> Finding | None:
        for index, text in turns.outputs:
            if not text.strip():
                return Finding("empty_output", {"message": index})
        for index, text in turns.instructions:
            if not text.strip() and not (turns.input and turns.input[0] == index and turns.input[1].strip()):
                return Finding("empty_instruction", {"message": index})
        return None

    def _check_placeholder_input(self, turns: Turns) -> Finding | None:
        candidate = turns.candidate_input
        if candidate is not None:
            value = checks.placeholder(candidate[1], self._placeholder_inputs)
            if value is not None:
                return Finding("placeholder_input", {"message": candidate[0], "value": value})
        for index, text in turns.instructions:
            value = checks.placeholder(text, self._placeholder_inputs)
            if value is not None:
                return Finding("placeholder_input", {"message": index, "value": value, "whole_turn": True})
        return None

    def _check_placeholder_output(self, turns: Turns) -> Finding | None:
        for index, text in turns.outputs:
            value = checks.placeholder(text, self._placeholder_outputs)
            if value is not None:
                return Finding("placeholder_output", {"message": index, "value": value})
        return None

    def _check_url_only_input(self, turns: Turns) -> Finding | None:
        found = None
        candidate = turns.candidate_input
        if candidate is not None and checks.url_only(candidate[1]):
            found = Finding("url_only_input", {"message": candidate[0]})
        else:
            for index, text in turns.instructions:
                if checks.url_only(text):
                    found = Finding("url_only_input", {"message": index})
                    break
        if (
            found
            and self.config.url_only_input.unless_task_is_about_urls
            and checks.is_url_task(turns.instruction_text())
        ):
            return None
        return found

    def _check_missing_attachment(self, turns: Turns) -> Finding | None:
        if not turns.instructions:
            return None
        index, instruction = turns.instructions[-1]
        candidate = turns.candidate_input
        why = checks.missing_attachment(
            instruction, candidate[1] if candidate else None, candidate is not None
        )
        return Finding("missing_attachment", {"message": index, "why": why}) if why else None

    def _check_output_equals_instruction(self, turns: Turns) -> Finding | None:
        instructions = {text.strip() for _, text in turns.instructions}
        for index, text in turns.outputs:
            stripped = text.strip()
            if stripped and stripped in instructions:
                return Finding("output_equals_instruction", {"message": index})
        return None

    def _check_output_equals_input(self, turns: Turns) -> Finding | None:
        if turns.input is None or not turns.input[1].strip():
            return None
        given = turns.input[1].strip()
        for index, text in turns.outputs:
            if text.strip() == given:
                return Finding("output_equals_input", {"message": index})
        return None

    def _check_length(self, turns: Turns) -> Finding | None:
        c = self.config.length
        skip_empty = self.config.empty.enabled
        for kind, texts, limits in (
            (
                "output",
                turns.outputs,
                (c.min_output_words, c.max_output_words, c.min_output_chars, c.max_output_chars),
            ),
            (
                "instruction",
                turns.instructions,
                (
                    c.min_instruction_words,
                    c.max_instruction_words,
                    c.min_instruction_chars,
                    c.max_instruction_chars,
                ),
            ),
        ):
            min_words, max_words, min_chars, max_chars = limits
            for index, text in texts:
                chars = len(text.strip())
                if not chars and skip_empty:
                    continue  # the empty check's finding, not a length
                if kind == "instruction" and not chars and turns.input and turns.input[0] == index:
                    continue  # the whole prompt is in the input: judged as an input, not as an instruction
                broken = checks.length_limit(text, chars, kind, min_words, max_words, min_chars, max_chars)
                if broken is not None:
                    reason, detail = broken
                    return Finding(reason, {"message": index, **detail})
        return None

    def _check_refusal(self, turns: Turns) -> Finding | None:
        for (index, text), lower in zip(turns.outputs, turns.lowered_outputs, strict=True):
            phrase = self._refusal.search(text, lower)
            if phrase:
                if self.config.refusal.unless_prompt_asks and checks.is_refusal_topic(turns.prompt_text()):
                    return None
                return Finding("refusal", {"message": index, "match": phrase})
        return None

    def _check_ai_identity(self, turns: Turns) -> Finding | None:
        for (index, text), lower in zip(turns.outputs, turns.lowered_outputs, strict=True):
            phrase = self._identity.search(text, lower)
            if phrase:
                if self.config.ai_identity.unless_prompt_about_ai and checks.is_ai_topic(turns.prompt_text()):
                    return None
                return Finding("ai_identity", {"message": index, "match": phrase})
        return None

    def _check_merged_instructions(self, turns: Turns) -> Finding | None:
        for (index, text), lower in zip(turns.outputs, turns.lowered_outputs, strict=True):
            phrase = self._merged.search(text, lower)
            if phrase:
                return Finding("merged_instructions", {"message": index, "match": phrase.strip()})
        return None

    def _check_truncated_output(self, turns: Turns) -> Finding | None:
        if not turns.outputs:
            return None
        index, text = turns.outputs[-1]
        word = checks.truncated(text, self.config.truncated_output.min_words)
        return Finding("truncated_output", {"message": index, "last_word": word}) if word else None

    def _check_unbalanced_code_fence(self, turns: Turns) -> Finding | None:
        for index, text in turns.outputs:
            fences = checks.unbalanced_fences(text)
            if fences:
                return Finding("unbalanced_code_fence", {"message": index, "fences": fences})
        return None

    def _check_repetition(self, turns: Turns) -> Finding | None:
        c = self.config.repetition
        for index, text in turns.outputs:
            finding = None
            lines = checks.repeated_lines(text, c.min_lines)
            if (
                lines is not None
                and lines[1] >= c.min_line_repeats
                and lines[0] >= c.max_repeated_line_fraction
            ):
                finding = Finding(
                    "repeated_lines", {"message": index, "fraction": round(lines[0], 3), "repeats": lines[1]}
                )
            else:
                gram = checks.top_ngram(text, c.ngram_size, c.min_words, c.min_ngram_repeats)
                if (
                    gram is not None
                    and gram[1] >= c.min_ngram_repeats
                    and gram[0] >= c.max_top_ngram_fraction
                ):
                    finding = Finding(
                        "repeated_ngrams",
                        {
                            "message": index,
                            "fraction": round(gram[0], 3),
                            "repeats": gram[1],
                            "ngram": gram[2],
                        },
                    )
            if finding is not None:
                if c.unless_prompt_asks and checks.is_repeat_topic(turns.prompt_text()):
                    return None
                return finding
        return None
