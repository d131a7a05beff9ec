"""Errors a user can act on, and the exit codes of the `curator` command.

The CLI prints every failure as one ``error:`` line, never a traceback (``--debug`` shows it).
"""

from __future__ import annotations

# Exit codes of the `curator` command (documented in the README).
EXIT_OK = 0
EXIT_BAD_ROWS = 1  # `curator validate` found rows that are not records
EXIT_USER = 2  # a CuratorError: recipe, input, arguments, run folder
EXIT_IO = 3  # the system refused: disk full, permission denied, read-only, out of memory (Ray)
EXIT_INTERNAL = 4  # a bug: please report it (with the --debug traceback)
EXIT_INTERRUPTED = 130  # Ctrl-C / SIGINT


class CuratorError(Exception):
    """Base for every error caused by input, recipe or environment rather than by a bug."""


class RecipeError(CuratorError):
    """The recipe is invalid: an unknown key, a bad value, a missing source."""


class InputError(CuratorError):
    """An input file is missing, unreadable or not in a format we can read."""


class FormatError(CuratorError):
    """A row cannot be adapted to an InstructionRecord, or the format is ambiguous."""


class ConversionError(CuratorError):
    """A record cannot be written in the target format without losing information."""
