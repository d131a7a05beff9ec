"""Regex filter (``type: regex``): drop or tag records whose text matches any of a list of named
patterns; the reason is the pattern's name (datatrove's RegexFilter).

```yaml
- type: regex
  action: drop                  # or tag: keep the record, flag it <stage>:<pattern name>
  roles: [assistant]            # which turns are searched (default: every turn)
  patterns:                     # name → Python regular expression, tried in this order
    ai_disclaimer: "\\bas an AI language model\\b"
    todo_left_in: "\\bTODO\\b"
  ignore_case: true
```

Every pattern is tried on every chosen turn; a record that matches gets
``annotations.extra[<stage>] = {"patterns": [names that matched]}``. It is removed for the first
of them in the recipe's order (detail: the turn's index and the match's offsets, never the
matched text, which could be personal data), or in tag mode flagged once per matching pattern.
Patterns are compiled when the recipe is validated: a bad one is a recipe error naming its key.
Python's ``re`` has no time limit, so avoid nested quantifiers such as ``(a+)+`` on untrusted data.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from curator.records import InstructionRecord
from curator.stages.base import Judgement, Reason, RecordStage, StageConfig, Verdict

Role = Literal["system", "user", "assistant", "tool"]


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return pattern


# A pattern's name becomes a reason code and a flag (<stage>:<name>): no spaces or colons.
PatternName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$")]


class RegexConfig(StageConfig):
    """Drop or tag records whose chosen turns match any of the named regular expressions."""

    type: Literal["regex"] = "regex"
    patterns: dict[PatternName, Annotated[str, AfterValidator(_compiles)]] = Field(
        min_length=1,
        description="Name → Python regular expression (re.search), tried in this order; the first "
        "name that matches is the removal reason. Names: letters, digits, _ . -",
    )
    roles: list[Role] = Field(
        default_factory=lambda: ["system", "user", "assistant", "tool"],
        min_length=1,
        description="Which turns are searched.",
    )
    ignore_case: bool = Field(default=False, description="Match regardless of case (re.IGNORECASE).")


class RegexFilter(RecordStage[RegexConfig]):
    config_model = RegexConfig

    @cached_property
    def _compiled(self) -> list[tuple[str, re.Pattern[str]]]:
        flags = re.IGNORECASE if self.config.ignore_case else 0
        return [(name, re.compile(pattern, flags)) for name, pattern in self.config.patterns.items()]

    def check(self, record: InstructionRecord) -> Judgement:
        roles = self.config.roles
        turns = [(i, m.content) for i, m in enumerate(record.messages) if m.role in roles]
        reasons: list[Reason] = []
        for name, pattern in self._compiled:
            for index, text in turns:
                match = pattern.search(text)
                if match is not None:
                    detail: dict[str, Any] = {"message": index, "start": match.start(), "end": match.end()}
                    reasons.append(Reason(name, detail))
                    break
        if not reasons:
            return None
        record.annotations.extra[self.name] = {"patterns": [r.code for r in reasons]}
        return Verdict(reasons)
