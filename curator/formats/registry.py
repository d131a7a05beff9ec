"""The format names and one shared adapter instance per format."""

from __future__ import annotations

from curator.errors import FormatError
from curator.formats.alpaca import Alpaca
from curator.formats.base import Format
from curator.formats.document import Document
from curator.formats.dolly import Dolly
from curator.formats.messages import Messages
from curator.formats.prompt_completion import PromptCompletion
from curator.formats.self_instruct import SelfInstruct
from curator.formats.sharegpt import ShareGPT
from curator.formats.text import Text

FORMAT_NAMES: tuple[str, ...] = (
    "alpaca",
    "sharegpt",
    "messages",
    "dolly",
    "text",
    "prompt_completion",
    "self_instruct",
    "document",
)
# Adapters hold no per-row state, so one instance each is shared by all callers.
FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        Alpaca(), ShareGPT(), Messages(), Dolly(), Text(), PromptCompletion(), SelfInstruct(), Document()
    )
}
assert tuple(FORMATS) == FORMAT_NAMES


def get_format(name: str) -> Format:
    """The adapter for ``name``; FormatError listing the valid names for an unknown one."""
    try:
        return FORMATS[name]
    except (KeyError, TypeError):
        raise FormatError(f"unknown format {name!r}; expected one of {', '.join(FORMAT_NAMES)}") from None
