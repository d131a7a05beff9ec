"""One-off filters and mappers written as a Python function: ``type: python``.

``function: package.module:callable`` names an importable function (on ``sys.path``: an installed
package, or a module next to where curator runs). It is imported when the run starts — never
when a run folder or manifest is read — and called once per record with the record (an
InstructionRecord) and the stage's ``options`` as keyword arguments.

``mode: filter``: the function returns None or True (keep), False (the stage's ``reason``), a
reason code (str), or a :class:`curator.stages.base.Reason` (code, detail, action).
``mode: map``: it returns a changed record (a new InstructionRecord; the input is a copy, so it
may also change that and return it) or None (unchanged); a changed record is counted as tagged.

The function must be deterministic for runs to be reproducible; curator cannot check that.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, ClassVar, Literal

from pydantic import Field

from curator.errors import CuratorError
from curator.records import InstructionRecord
from curator.stages.base import Judgement, Reason, RecordStage, SetupContext, StageConfig, Verdict

_FUNCTION = r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$"


class PythonStageConfig(StageConfig):
    """A filter or mapper given as an importable Python function."""

    type: Literal["python"] = "python"
    function: str = Field(
        pattern=_FUNCTION,
        description="The function, as package.module:callable (imported when the run starts).",
    )
    mode: Literal["filter", "map"] = Field(
        default="filter",
        description="filter: the function returns None/True (keep), False, a reason code or a Reason; "
        "map: it returns a changed InstructionRecord or None (unchanged).",
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments passed to the function with each record."
    )
    reason: str = Field(
        default="python_filter",
        pattern=r"^[a-z0-9_]+$",
        description="Reason code when a filter returns False.",
    )

    def resolve_paths(self, base_dir: Any) -> PythonStageConfig:
        load_function(self.function)  # fail before the run, with one line, if it does not import
        return self


def load_function(spec: str) -> Callable[..., Any]:
    module_name, _, attribute = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise CuratorError(f"python stage: cannot import {module_name!r} ({exc})") from None
    for part in attribute.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise CuratorError(f"python stage: {module_name!r} has no {attribute!r}")
    if not callable(target):
        raise CuratorError(f"python stage: {spec} is not callable")
    return target


class PythonStage(RecordStage[PythonStageConfig]):
    config_model = PythonStageConfig
    audit: ClassVar[bool] = False
    audit_reason: ClassVar[str] = "needs a function (--set python.function=package.module:callable)"

    function: Callable[..., Any] | None = None

    def setup(self, context: SetupContext | None = None) -> None:
        if self.function is None:
            self.function = load_function(self.config.function)

    def check(self, record: InstructionRecord) -> Judgement:
        self.setup()
        assert self.function is not None
        c = self.config
        if c.mode == "map":
            changed = self.function(record.model_copy(deep=True), **c.options)
            if changed is None:
                return None
            if not isinstance(changed, InstructionRecord):
                got = type(changed).__name__
                raise CuratorError(
                    f"python stage {self.name!r}: {c.function} returned {got}, expected an InstructionRecord "
                    "or None"
                )
            changed = InstructionRecord.model_validate(changed.model_dump())  # re-checked like any record
            return Verdict(record=changed, modified=changed != record)
        found = self.function(record, **c.options)
        if found is None or found is True:
            return None
        if found is False:
            return c.reason
        if isinstance(found, (str, Reason)):
            return found
        raise CuratorError(
            f"python stage {self.name!r}: {c.function} returned {type(found).__name__}, expected None, a "
            "bool, a reason code or a Reason"
        )
