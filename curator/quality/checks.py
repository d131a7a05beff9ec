"""The quality checks: one function per check, over plain strings, so each is easy to test.

Every pattern here was tuned on the 52,002 rows of Stanford Alpaca for precision first: a
check whose action is ``drop`` must not remove good rows. Patterns are matched case-insensitively.
Details never copy more than a short matched phrase of the text (reports show examples through
``curator.report.example_text``, which redacts PII).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    reason: str
    detail: dict[str, Any] | None = None


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE | re.MULTILINE)


# -- placeholders --------------------------------------------------------------------------------
# Whole-input placeholders (after stripping and lower-casing). Not "." alone with a symbol task:
# a lone ">" is a real input ("Tell me what this symbol means"), so punctuation other than these
# is never a placeholder.
PLACEHOLDER_INPUTS: tuple[str, ...] = (
    "<noinput>", "<no input>", "no input", "noinput", "<none>", "none", "none.", "<n/a>", "n/a", "n/a.",
    "na", "<na>", "null", "<null>", "nil", "nan", "<empty>", "empty", "nothing", "not applicable",
    "-", "--", ".", "\\", "/", '""', "''", "``", "<input>", "[input]", "<blank>", "blank",
)  # fmt: skip
# Outputs that are a placeholder for a missing answer. "None." is a real answer ("Is there a
# correlation…? None."), so plain "none" is not here; "<none>" is.
PLACEHOLDER_OUTPUTS: tuple[str, ...] = (
    "<nooutput>", "<no output>", "no output", "nooutput", "<no output.>", "n/a", "<n/a>", "n/a.", "<none>",
    "<noinput>", "<empty>", "null", "<null>", "nan", "[no output]", "(no output)",
)  # fmt: skip


def placeholder(text: str, placeholders: frozenset[str]) -> str | None:
    """The placeholder ``text`` is (normalised), or None. Long texts are never placeholders."""
    if len(text) > 24:
        return None
    value = " ".join(text.split()).lower()
    return value if value in placeholders else None


# -- URLs and attachments --------------------------------------------------------------------------
_URL = re.compile(
    r"\s*<?(?:(?:https?|ftp)://\S+|www\.\S+"
    r"|[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|edu|gov|uk|de|fr|ly|co|ai|info)(?:/\S*)?)>?\s*",
    re.IGNORECASE,
)
_MARKDOWN_LINK = re.compile(r"\s*!?\[[^\]\n]{0,80}\]\((?:https?://)?\S+\)\s*", re.IGNORECASE)


def url_only(text: str) -> bool:
    """The text is one URL or one markdown link and nothing else (an input that invites hallucination)."""
    return len(text) < 2048 and (
        _URL.fullmatch(text) is not None or _MARKDOWN_LINK.fullmatch(text) is not None
    )


_URL_TASK = re.compile(
    r"\b(?:domains?|subdomains?|normali[sz]e|pars(?:e|ing)|hyperlinks?|html|bookmark|article id|shorten|"
    r"encode|decode|regex|regular expression|valid url|protocol|web address)\b",
    re.IGNORECASE,
)


def is_url_task(prompt: str) -> bool:
    """The instruction works on the text of a URL (so a bare URL is a complete input)."""
    return _URL_TASK.search(prompt) is not None


_MEDIA = (
    r"(?:images?|pictures?|photos?|photographs?|paintings?|drawings?|illustrations?|graphs?|charts?|diagrams?"
    r"|screenshots?|videos?|audio|recordings?|figures?|sketch(?:es)?|attachments?|scans?|infographics?"
    r"|artworks?|x-rays?|pdfs?|spreadsheets?|slides?)"
)
# "this painting", "the attached file", "the image below", "the following chart": the instruction
# points at something that is not text. Only checked when the record has no input text at all.
_DEICTIC_MEDIA = re.compile(
    r"(?<![\w-])(?:this|these"
    r"|the\s+(?:given|following|provided|attached|above|below|enclosed|uploaded|accompanying|shown)"
    r"|attached|enclosed|uploaded|accompanying)\s+(?:[\w-]+\s+)?" + _MEDIA + r"\b"
    r"|\b(?:the|an?)\s+(?:[\w-]+\s+)?" + _MEDIA + r"\s+(?:below|above|attached|provided|shown)\b"
    r"|\battached\s+(?:file|document)\b",
    re.IGNORECASE,
)
# An input that stands in for media: "<Photo Attached>", "[photo]", "Attached Painting",
# "<image included in email>", "<Audio of two people speaking>", "[Legal document]".
_BRACKETED = re.compile(r"\s*[<\[{(](?P<body>[^<>\[\]{}()\n]{1,80})[>\]})]\.?\s*")
_BRACKETED_MEDIA = re.compile(
    _MEDIA + r"|\b(?:documents?|files?|attached|link|upload(?:ed)?|insert)\b", re.IGNORECASE
)
_ATTACHED_INPUT = re.compile(
    r"\s*(?:see\s+)?(?:attached|enclosed|uploaded|included)\s+(?:[\w-]+\s+)?" + _MEDIA + r"\.?\s*"
    r"|\s*(?:[\w-]+\s+)?" + _MEDIA + r"\s+(?:attached|enclosed|included|below|above)\.?\s*",
    re.IGNORECASE,
)


_MEDIA_TRIGGERS = ("image", "picture", "photo", "painting", "drawing", "illustration", "graph", "chart",
                   "diagram", "screenshot", "video", "audio", "recording", "figure", "sketch", "attach",
                   "scan", "artwork", "x-ray", "pdf", "spreadsheet", "slide", "document", "file", "link",
                   "upload", "insert")  # fmt: skip


def _mentions_media(text: str) -> bool:
    lower = text.lower()
    return any(trigger in lower for trigger in _MEDIA_TRIGGERS)


def missing_attachment(instruction: str, candidate_input: str | None, has_input: bool) -> str | None:
    """Why the record refers to media that is not there: 'placeholder_input' or 'no_input', else None."""
    if candidate_input is not None and _mentions_media(candidate_input):
        text = candidate_input
        if len(text) <= 100:
            bracketed = _BRACKETED.fullmatch(text)
            if (
                bracketed
                and len(bracketed["body"].split()) <= 8
                and _BRACKETED_MEDIA.search(bracketed["body"])
            ):
                return "placeholder_input"
            if _ATTACHED_INPUT.fullmatch(text):
                return "placeholder_input"
    if not has_input and _mentions_media(instruction):
        match = _DEICTIC_MEDIA.search(instruction)
        # "Categorize the following artwork: Abstraction of Reality, by Mark Rothko." names it inline.
        if match and not _INLINE_CONTENT.match(instruction, match.end()):
            return "no_input"
    return None


_INLINE_CONTENT = re.compile(r"[^\S\n]*:[^\S\n]*\S")


# -- refusals and model identity -------------------------------------------------------------------
_CANT = r"(?:cannot|can't|can\s?not|am unable to|am not able to|'m unable to|'m not able to|won't be able to)"
_CANT_SHORT = (
    r"(?:cannot|can't|can\s?not|am unable|am not able|'m unable|'m not able|are unable|are not able)"
)
# Each pattern comes with the lower-case substrings it cannot match without: it only runs on text
# that has one. Python's re tries a pattern at every position (~20 µs on an output); `in` costs
# well under one, and most outputs have none of the triggers.
_CANT_WORDS = ("cannot", "can't", "can not", "unable", "not able")
REFUSAL_PATTERNS: list[tuple[str, tuple[str, ...]]] = [
    (r"\b(?:i'?m|i am) sorry,? (?:but )?(?:i|we) (?:cannot|can't|can\s?not|am unable|am not able|'m unable"
     r"|'m not able|won't be able|do not have the ability|don't have the ability)", ("sorry",)),
    (r"^\W*(?:sorry|i apologi[sz]e)\b[^.\n]{0,60}\b(?:cannot|can't|can\s?not|unable to|not able to"
     r"|not possible|not capable)", ("sorry", "apologi")),
    (r"^\W*unfortunately,? (?:i|we|the model|this model|gpt|a gpt model|an ai) " + _CANT_SHORT,
     ("unfortunately",)),
    (r"\b(?:this|the|that|your) (?:task|instruction|request|question) (?:cannot|can\s?not|can't) be "
     r"(?:completed|performed|done|fulfilled|answered|accomplished|carried out|generated)(?! to\b)",
     ("cannot be", "can not be", "can't be")),
    (r"\b(?:requires|involves|needs|requiring|involving) (?:a |an |the )?"
     r"(?:creating |generating |producing )?(?:a |an )?(?:visual|graphical|non-text(?:ual)?|audio|physical) "
     r"(?:output|element|component|response)",
     ("visual", "graphical", "non-text", "audio", "physical")),
    (r"\A\W*I " + _CANT + r" (?:create|generate|draw|design|produce|play|perform|complete|access|browse"
     r"|open|upload|send|compose|record|display|show)\b", _CANT_WORDS),
    (r"\b(?:is|are) (?:beyond|outside) (?:the scope of )?(?:my|the model's|this model's) "
     r"(?:capabilities|abilities)", ("beyond", "outside")),
    (r"^\W*no output\b.{3,}", ("no output",)),
]  # fmt: skip
AI_IDENTITY_PATTERNS: list[tuple[str, tuple[str, ...]]] = [
    (r"\bas an? (?:ai|a\.i\.|artificial intelligence)"
     r"(?: (?:language )?model| assistant| system| chatbot)?\b(?!-)",
     ("as an ai", "as an a.i", "as an artificial", "as a ai", "as a a.i")),
    (r"\bas a (?:large )?language model\b", ("language model",)),
    (r"\b(?:i'?m|i am) (?:just |only |merely )?(?:an ai\b|an artificial intelligence"
     r"|a (?:large )?language model|a (?:computer|ai) program|an ai (?:assistant|model|chatbot))",
     ("an ai", "an artificial", "language model", "computer program", "ai program")),
    (r"\bknowledge cut-?off\b", ("cutoff", "cut-off")),
    (r"\bas of my (?:last |latest )?(?:training|knowledge|update)\b", ("as of my",)),
    (r"\bmy training data\b", ("my training data",)),
    (r"\b(?:i was|i've been|i have been) (?:trained|created|developed|built|made) by "
     r"(?:openai|google|anthropic|meta|microsoft)\b", ("openai", "google", "anthropic", "meta", "microsoft")),
    (r"\b(?:a|the|this) (?:gpt(?:-?\d)?|language) model "
     r"(?:cannot|can't|can\s?not|is (?:not able|unable|not capable)|does not have|is not designed)",
     ("gpt", "language model")),
    (r"\bby (?:a|the) (?:gpt(?:-?\d)?|language) (?:language )?model\b", ("gpt", "language model")),
    (r"\bthe model (?:cannot|can't|can\s?not|is unable|is not able)\b", ("the model",)),
    (r"\bGPT (?:language )?models? (?:cannot|can't|can\s?not|are not designed|is not designed)", ("gpt",)),
]  # fmt: skip
# A prompt about AI, language models or assistants makes identity phrases the topic, not a leak;
# a prompt that asks for an apology or a refusal makes a refusal the answer.
_AI_TOPIC = re.compile(
    r"\b(?:ai|a\.i\.|gpt(?:-?\d)?|chatgpt|language models?|chatbots?|bots?|assistants?"
    r"|artificial intelligence|machine learning|virtual agent)\b",
    re.IGNORECASE,
)
_REFUSAL_TOPIC = re.compile(r"\b(?:refus\w*|declin\w*|apolog\w*|sorry|reject\w*|say no)\b", re.IGNORECASE)


class PatternGroup:
    """Default patterns, each run only on text holding one of its triggers, then a recipe's extra
    patterns (always run)."""

    def __init__(self, defaults: list[tuple[str, tuple[str, ...]]], extra: list[str]) -> None:
        flags = re.IGNORECASE | re.MULTILINE
        self.defaults = [(re.compile(pattern, flags), triggers) for pattern, triggers in defaults]
        self.extra = _any(list(extra)) if extra else None

    def search(self, text: str, lower: str | None = None) -> str | None:
        """The first matched phrase (at most 80 characters), or None. ``lower``: ``text.lower()``."""
        if lower is None:
            lower = text.lower()
        for pattern, triggers in self.defaults:
            for trigger in triggers:
                if trigger in lower:
                    match = pattern.search(text)
                    if match:
                        return match.group(0)[:80]
                    break
        if self.extra is not None:
            match = self.extra.search(text)
            if match:
                return match.group(0)[:80]
        return None


def is_ai_topic(prompt: str) -> bool:
    return _AI_TOPIC.search(prompt) is not None


def is_refusal_topic(prompt: str) -> bool:
    return _REFUSAL_TOPIC.search(prompt) is not None


# -- repetition ----------------------------------------------------------------------------------
_WORD2 = re.compile(r"[^\W\d_]{2}")
_MARKUP_LINE = ("<", "|", "{", "}", "[", "]")


def repeated_lines(text: str, min_lines: int) -> tuple[float, int, str] | None:
    """(share of the characters of lines that repeat an earlier line, most repeats of one line, that line).

    Only lines with two letters in a row count, and not markup (HTML, table rows, JSON braces):
    tables and code repeat their scaffolding by design.
    """
    if text.count("\n") + 1 < min_lines:
        return None
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if _WORD2.search(line) and not line.startswith(_MARKUP_LINE)]
    if len(lines) < min_lines:
        return None
    counts = Counter(lines)
    line, top = counts.most_common(1)[0]
    if top < 2:
        return 0.0, top, line
    total = sum(len(line) for line in lines) or 1
    repeated = sum(len(line) * (n - 1) for line, n in counts.items() if n > 1)
    return repeated / total, top, line


def top_ngram(text: str, n: int, min_words: int, min_repeats: int = 2) -> tuple[float, int, str] | None:
    """(share of the words in occurrences of the most frequent n-gram of words, its count, the n-gram),
    or None when no n-gram occurs ``min_repeats`` times.

    Only n-grams whose every word starts with two letters count, so number rows, table rules and
    note sequences ("a a g g") do not. Only n-grams whose first word occurs ``min_repeats`` times
    can, so those are the only ones counted (most outputs have none: this costs one Counter).
    """
    words = text.lower().split()
    if len(words) < max(min_words, n + min_repeats - 1):
        return None
    frequent = {w for w, c in Counter(words).items() if c >= min_repeats and _WORD2.match(w)}
    if not frequent:
        return None
    grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1) if words[i] in frequent)
    for gram, count in grams.most_common():
        if count < min_repeats:
            return None
        if all(_WORD2.match(word) for word in gram):
            return min(1.0, count * n / len(words)), count, " ".join(gram)
    return None


_REPEAT_TOPIC = re.compile(r"\brepeat", re.IGNORECASE)


def is_repeat_topic(prompt: str) -> bool:
    return _REPEAT_TOPIC.search(prompt) is not None


# -- characters ----------------------------------------------------------------------------------
# C0/C1 controls other than tab, newline and carriage return; zero-width space, word joiner and a
# byte-order mark inside text; and runs of three or more stacked combining marks ("Zalgo" junk,
# e.g. Alpaca rows 3558-3560). Zero-width (non-)joiners are real text in Persian, Indic scripts
# and emoji, so they are not here.
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff]"
    "|[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]{3,}"
)
_ASCII_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_chars(text: str) -> list[str]:
    """The control or invisible characters in ``text`` as U+XXXX codes (first few, distinct)."""
    pattern = _ASCII_CONTROL if text.isascii() else _CONTROL
    found: list[str] = []
    for match in pattern.finditer(text):
        code = f"U+{ord(match.group(0)[0]):04X}"
        if code not in found:
            found.append(code)
            if len(found) == 5:
                break
    return found


def strip_control_chars(text: str) -> str:
    """Vertical tab and form feed become newlines; the other matches are removed."""
    text = text.replace("\x0b", "\n").replace("\x0c", "\n")
    pattern = _ASCII_CONTROL if text.isascii() else _CONTROL
    return pattern.sub("", text)


@cache
def _ftfy() -> tuple[Callable[[str], bool], Callable[[str], str]]:
    """ftfy's detector and fixer, imported on first non-ASCII text (the import takes ~50 ms)."""
    from ftfy import fix_encoding
    from ftfy.badness import is_bad

    return is_bad, fix_encoding


def mojibake(text: str) -> tuple[str, str | None] | None:
    """('fixable', fixed text) when ftfy can undo a wrong decoding; ('replacement_char', None) when
    U+FFFD shows text already lost in a bad decode; None when the text looks fine.

    ftfy's badness heuristic alone also fires on correct text (an accented French word inside
    Chinese text), so a finding needs ftfy to be able to fix it, or a U+FFFD.
    """
    if text.isascii():
        return None
    is_bad, fix_encoding = _ftfy()
    if is_bad(text):
        fixed = fix_encoding(text)
        if fixed != text:
            return "fixable", fixed
    if "\ufffd" in text:
        return "replacement_char", None
    return None


# -- truncation --------------------------------------------------------------------------------
# Words an English sentence does not end on: an output whose last line is prose and ends on one
# was cut off ("The sum of 14 and 6 is equal to"). Prepositions are not here: English strands
# them ("someone to connect with").
DANGLING_WORDS = frozenset(
    ("a", "an", "the", "and", "or", "but", "nor", "because", "than", "that", "is", "are", "was", "were", "of",
     "to", "my", "your", "their", "its", "our", "his", "her")
)  # fmt: skip
_CODE_CHARS = re.compile(r"[;{}=<>\[\]|`$\\]")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•+]|\d+[.)]|[a-z][.)])\s")
_FENCE = re.compile(r"^[ \t]*```", re.MULTILINE)


def length_limit(
    text: str,
    chars: int,
    kind: str,
    min_words: int,
    max_words: int | None,
    min_chars: int,
    max_chars: int | None,
) -> tuple[str, dict[str, int]] | None:
    """The first length limit ``text`` breaks, as (``{kind}_too_{short,long}_{chars,words}``, detail);
    None when it keeps them all. ``chars`` is counted by the caller (a stage may strip first).

    The one length check: the quality stage applies it per turn, the length stage to the joined
    output and prompt turns. Words are whitespace-separated tokens.
    """
    if chars < min_chars:
        return f"{kind}_too_short_chars", {"chars": chars, "limit": min_chars}
    if max_chars is not None and chars > max_chars:
        return f"{kind}_too_long_chars", {"chars": chars, "limit": max_chars}
    if min_words or max_words is not None:
        # maxsplit: counting stops past the limit, so a 2 MB output costs no more than that (exact
        # counting when the limits contradict, so the shorter-than reason stays the right one).
        cap = max_words if max_words is not None and max_words >= min_words else None
        words = len(text.split(None, cap)) if cap is not None else len(text.split())
        if words < min_words:
            return f"{kind}_too_short_words", {"words": words, "limit": min_words}
        if max_words is not None and words > max_words:
            return f"{kind}_too_long_words", {"limit": max_words}
    return None


def truncated(text: str, min_words: int) -> str | None:
    """The dangling last word of a prose output that stops mid-sentence, or None."""
    stripped = text.rstrip()
    if not stripped or not stripped[-1].isalpha():
        return None
    last_line = stripped.rsplit("\n", 1)[-1]
    if _CODE_CHARS.search(last_line) or _LIST_ITEM.match(last_line):
        return None
    words = last_line.split()
    if len(words) < min_words:
        return None
    last = words[-1]
    return last if last in DANGLING_WORDS else None  # lower-case only: "Let It Be" is a title


def unbalanced_fences(text: str) -> int | None:
    """The number of ``` fence lines when it is odd (a code block never closed), else None."""
    if "```" not in text:
        return None
    count = len(_FENCE.findall(text))
    return count if count % 2 else None


# -- merged instructions ----------------------------------------------------------------------------
# Self-Instruct-style generation that ran on into the next task: "6. Instruction: …\n6. Input: …"
# inside an output, or the generation prompt itself (Alpaca rows 15102 and 16947).
MERGED_PATTERNS: list[tuple[str, tuple[str, ...]]] = [
    (
        r"^[ \t]*(?:#+[ \t]*)?\d+[ \t]*\.[ \t]*(?:instruction|input|output)[ \t]*:",
        ("instruction", "input", "output"),
    ),
    (r"\byou are asked to come up with a set of \d+ diverse task instructions\b", ("you are asked",)),
    (r"\bmake the list of tasks diverse\b", ("tasks diverse",)),
    (r"§§ --- README", ("§§",)),
]
