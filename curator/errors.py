"""Errors a user can act on. The CLI prints them as one line, never a traceback."""

from __future__ import annotations


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
