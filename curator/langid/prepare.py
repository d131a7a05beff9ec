"""Text preparation before language detection.

Detectors read letters. Code, URLs, e-mail addresses, numbers and markup are not evidence of a
natural language (a Python snippet reads as English to every detector), so they are removed
first, and how much of a message was code is measured on the way: a message that is mostly
code is tagged ``code`` by the stage instead of being called "unknown language".

Order of removal: fenced code blocks (```` ``` ```` and ``~~~``, an unclosed fence runs to the
end), ``<pre>``/``<code>`` elements, code-looking lines (statements ending in ``;``/``{``/``}``,
``def``/``import``/``#include``… openers, operator-dense lines), inline code in backticks, URLs,
e-mail addresses, HTML tags and entities, numbers, markup symbols; then whitespace collapses.

Very long text is never read whole: the raw text is cut to three windows (start, middle, end)
before the regular expressions run, and the prepared text to ``max_chars`` the same way, at
whitespace. Both cuts are pure functions of the text, so they are deterministic.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Raw text longer than this is sampled before preparation (three windows of a third each).
MAX_RAW_CHARS = 12_000
# Prepared text longer than this is sampled before detection.
MAX_DETECT_CHARS = 600

_FENCE = re.compile(r"(?:```|~~~)[^\n]*\n?.*?(?:```|~~~|\Z)", re.DOTALL)
_HTML_CODE = re.compile(r"<(pre|code)\b[^>]*>.*?(?:</\1>|\Z)", re.DOTALL | re.IGNORECASE)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]{1,15}://|\bwww\.)[^\s<>()\[\]{}\"'`]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>\n]{0,300}>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")
_NUMBER = re.compile(r"\d+(?:[.,:/'-]\d+)*")
_DIGIT = re.compile(r"\d")
# Markup and code symbols; ordinary sentence punctuation (.,;:!?'"()-) stays for the detectors.
# They are ASCII, so bytes.translate blanks them in UTF-8 text at C speed (a regex or
# str.translate costs 4-6× more, and this runs on every message); runs of dashes need a regex.
_SYMBOL_BYTES = b"#*_~|<>=+^\\{}[]`@$%&/"
_BLANK_SYMBOLS = bytes.maketrans(_SYMBOL_BYTES, b" " * len(_SYMBOL_BYTES))
_DASHES = re.compile(r"-{2,}")
_NON_DIGIT_BYTES = bytes(b for b in range(256) if not 48 <= b <= 57)
_SPACE = re.compile(r"\s+")
_NON_LETTER = re.compile(r"[\W\d_]+")
_CJK = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)

# A line that is code rather than prose, outside any fence. A line ending in ";" is code only
# when it holds a code symbol or is one bare word (``break;``): ";" is also the Greek question
# mark (U+037E folds to it) and ends clauses in prose.
_CODE_LINE = re.compile(
    r"""^[ \t]*(?:
        (?:def|class)\s+\w+[^\n]*:
      | (?:if|elif|else|for|while|with|try|except|finally)\b[^\n]*:
      | (?:import\s+[\w.]+|from\s+[\w.]+\s+import\b)[^\n]*
      | (?:return|raise|yield|print)\b[^\n]*
      | (?:public|private|protected|static|void|func|fn|package|using|namespace
          |function|const|let|var|struct|impl|enum|interface|typedef)\b[^\n]*[;{(=]
      | [\w.\[\]'"]+[ \t]*[-+*/%|&]?=[ \t]*[^=\s][^\n]*
      | \#(?:include|define|ifn?def|endif|pragma)\b[^\n]*
      | (?:SELECT|FROM|WHERE|GROUP\s+BY|ORDER\s+BY|HAVING|LIMIT|(?:LEFT\s+|RIGHT\s+|INNER\s+)?JOIN
          |UNION|VALUES|INSERT\s+INTO|UPDATE|SET|DELETE\s+FROM|CREATE\s+TABLE|ALTER\s+TABLE)\b[^\n]*
      | [^\n]*(?:\{|\}|\)\s*:|=>|->|==|!=|&&|\|\||\+=|::)
      | [^\n]*[()\[\]=<>+*/-][^\n]*;|[A-Za-z_]\w*;
      | [}\])][;,)]*
      | (?://|/\*|\*/)[^\n]*
      | <\?php\b[^\n]*
      | \$\s[\w./-]+(?:\s[^\n]*)?
    )[ \t]*$""",
    re.VERBOSE | re.MULTILINE,
)
# Lines dense in code symbols: `x = foo(bar[i]) * 2`, `a[i] = b[j]`, …
_CODE_SYMBOLS = re.compile(r"[{}()\[\];=<>_*/\\&$#+]")


class Prepared(NamedTuple):
    """Text ready for a detector, and how much of the original was code."""

    text: str
    letters: int  # letters left after preparation (a CJK character counts 3: it carries a word)
    code_chars: int  # non-space characters removed as code
    chars: int  # non-space characters of the (sampled) original


_CJK_RUN = re.compile(
    "[\u3000-\u303f\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+"
)


# Every ASCII byte that is not a letter: bytes.translate deletes them at C speed (the regex
# below costs ~4× more on the ASCII text that most instruction data is).
_ASCII_NON_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())


def letter_weight(text: str) -> int:
    """Letters of ``text``, a Han, kana or Hangul character counting 3 (it carries about a word)."""
    if text.isascii():
        return len(text.encode("ascii").translate(None, _ASCII_NON_LETTERS))
    letters = _NON_LETTER.sub("", text)
    if letters.isascii():
        return len(letters)
    return len(letters) + 2 * len(_CJK.findall(letters))


def script_pieces(text: str, min_weight: int = 10, weight: int | None = None) -> list[tuple[str, int]]:
    """``[(text, weight)]``, or two pieces — the CJK part and the rest — when a prepared text
    holds enough of both ("翻译以下句子：This book is very interesting."): each is detected on its
    own and votes with its weight, so a Chinese instruction quoting English counts as both.
    ``weight``: the text's letter weight when the caller has it already."""
    if weight is None:
        weight = letter_weight(text)
    if text.isascii() or not _CJK.search(text):
        return [(text, weight)]
    cjk = " ".join(_CJK_RUN.findall(text))
    rest = _SPACE.sub(" ", _CJK_RUN.sub(" ", text)).strip()
    pieces = [(cjk, letter_weight(cjk)), (rest, letter_weight(rest))]
    if min(w for _, w in pieces) < min_weight:
        return [(text, weight)]
    return pieces


def sample_windows(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit``, else three windows (start, middle, end) cut at whitespace."""
    if len(text) <= limit:
        return text
    part = limit // 3
    middle = (len(text) - part) // 2
    pieces = []
    for start in (0, middle, len(text) - part):
        piece = text[start : start + part]
        if start:  # drop the partial first word
            cut = piece.find(" ")
            piece = piece[cut + 1 :] if 0 <= cut < 40 else piece
        if start + part < len(text):  # and the partial last word
            cut = piece.rfind(" ")
            piece = piece[:cut] if cut > len(piece) - 40 else piece
        pieces.append(piece)
    return " ".join(pieces)


def _nonspace(text: str) -> int:
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t")


def _is_code_line(line: str) -> bool:
    stripped = line.strip()
    if len(stripped) < 2:
        return False
    if _CODE_LINE.match(line):
        return True
    symbols = len(_CODE_SYMBOLS.findall(stripped))
    return symbols >= 3 and symbols >= 0.2 * _nonspace(stripped)


def _strip_noise(text: str) -> str:
    """Numbers and markup symbols out, whitespace collapsed."""
    # surrogatepass: a lone surrogate (from JSON "\\ud800") survives the round trip unchanged.
    data = text.encode("utf-8", "surrogatepass")
    # Digits: an ASCII one shows in the bytes (C speed); other scripts' digits need the regex.
    if data.translate(None, _NON_DIGIT_BYTES) if text.isascii() else _DIGIT.search(text):
        data = _NUMBER.sub(" ", text).encode("utf-8", "surrogatepass")
    text = data.translate(_BLANK_SYMBOLS).decode("utf-8", "surrogatepass")
    if "--" in text:
        text = _DASHES.sub(" ", text)
    return " ".join(text.split())


def prepare(text: str, max_chars: int = MAX_DETECT_CHARS, max_raw_chars: int = MAX_RAW_CHARS) -> Prepared:
    """Strip code, URLs, e-mails, numbers and markup; sample long text; measure the code share."""
    text = sample_windows(text, max_raw_chars)
    chars = _nonspace(text)
    code_chars = 0
    if "```" in text or "~~~" in text:
        kept: list[str] = []
        last = 0
        for match in _FENCE.finditer(text):
            kept.append(text[last : match.start()])
            code_chars += _nonspace(match.group())
            last = match.end()
        kept.append(text[last:])
        text = "\n".join(kept)
    if "<" in text:
        blocks = [m.group() for m in _HTML_CODE.finditer(text)]
        if blocks:
            code_chars += sum(map(_nonspace, blocks))
            text = _HTML_CODE.sub("\n", text)
    # Code-looking lines: only worth checking where code symbols appear at all.
    if _CODE_SYMBOLS.search(text):
        lines = text.split("\n")
        prose = []
        for line in lines:
            if _is_code_line(line):
                code_chars += _nonspace(line)
            else:
                prose.append(line)
        if len(prose) != len(lines):
            text = "\n".join(prose)
    if "`" in text:
        code_chars += sum(_nonspace(m.group()) for m in _INLINE_CODE.finditer(text))
        text = _INLINE_CODE.sub(" ", text)
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    if "<" in text or "&" in text:
        text = _HTML_TAG.sub(" ", text)
    text = _strip_noise(text)
    text = sample_windows(text, max_chars)
    return Prepared(text, letter_weight(text), min(code_chars, chars), chars)
