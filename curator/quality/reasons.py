"""The quality checks by name, in the order they run, and the reason codes each gives.

Plain data, so a report can group and explain reasons without building the stage; the stage's
config (:mod:`curator.stages.quality`) has one option block per name, and a test keeps the two
in step.
"""

from __future__ import annotations

CHECK_NAMES: tuple[str, ...] = (
    "control_chars",
    "mojibake",
    "empty",
    "placeholder_input",
    "placeholder_output",
    "url_only_input",
    "missing_attachment",
    "output_equals_instruction",
    "output_equals_input",
    "length",
    "refusal",
    "ai_identity",
    "merged_instructions",
    "truncated_output",
    "unbalanced_code_fence",
    "repetition",
)
CHARACTER_CHECKS = ("control_chars", "mojibake")  # over every message, before the turn checks

# Every reason code, by the check that gives it.
REASONS: dict[str, tuple[str, ...]] = {
    **{name: (name,) for name in CHECK_NAMES},
    "empty": ("empty_output", "empty_instruction"),
    "length": tuple(
        f"{kind}_too_{size}_{unit}"
        for kind in ("output", "instruction")
        for size in ("short", "long")
        for unit in ("words", "chars")
    ),
    "repetition": ("repeated_lines", "repeated_ngrams"),
}
CHECK_OF_REASON: dict[str, str] = {reason: check for check, reasons in REASONS.items() for reason in reasons}


def check_actions(config: dict) -> dict[str, str]:
    """reason → the action its check had (drop, tag, fix, or off), from a quality stage's config
    as the manifest records it (``recipe.resolved``)."""
    actions: dict[str, str] = {}
    for reason, check in CHECK_OF_REASON.items():
        options = config.get(check) or {}
        enabled = options.get("enabled", True)
        actions[reason] = (options.get("action") or config.get("action") or "drop") if enabled else "off"
    return actions
