"""Instruction-specific quality checks: pure functions over a record's turns.

``turns.py`` splits a record into the texts the checks look at (instructions, the input, the
outputs) for every format; ``checks.py`` holds one function per check, each returning a
:class:`~curator.quality.checks.Finding` (a reason code plus a small detail) or ``None``. The
``quality`` stage (:mod:`curator.stages.quality`) wires them to thresholds and actions.
"""

from curator.quality.checks import Finding
from curator.quality.turns import Turns, split_turns

__all__ = ["Finding", "Turns", "split_turns"]
