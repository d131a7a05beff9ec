"""Short-text language-ID sets built from public data, split dev / held-out deterministically.

* ``clauses(part)``: the lingua test sentences (``../shared/data/langid/lingua_sentences_75lang.jsonl``,
  Leipzig corpora, 75 languages) cut into clauses under 40 characters: split at sentence and
  clause punctuation, numbers dropped, a clause longer than 39 characters cut into runs of whole
  words (CJK and Thai, written without spaces, into runs of characters); clauses of at least 12
  characters and two words (CJK/Thai: 6 characters) are kept, at most ``PER_LANGUAGE`` per language.
  Median length ~26 characters, like everyday short sentences. Two mechanical rules drop clauses
  that carry no language of their own (the Leipzig sentences come from the web): every word
  capitalised ("Toyota Asset Management", "Quentin Tarantino": names and titles), and, for a
  language not written in Latin script, a clause in Latin letters ("Posted by … at AM comments"
  in a Hindi sentence). Both rules look only at the text, never at a detector's answer.
* ``prompts(part)``: the HPLT prompts (``../shared/data/instructions/hplt_prompts``; the same
  Open-Assistant prompts translated by people into 11 languages; ``no`` means nb or nn).
* ``mixed_pairs(part)``: records whose instruction is English and whose answer is a clause in
  another language (the instruction from ``INSTRUCTIONS``), and same-language controls.

The split is by source sentence (sha256 of language + sentence): every clause of one sentence lies
on the same side, so nothing tuned on ``dev`` has seen a ``heldout`` sentence. Thresholds are tuned on
``dev`` only; figures are reported on ``heldout``.

``WIDELY_USED`` (curator.langid.codes) is this project's definition of "the 46 widely used
languages": the 51 languages that langdetect, fastText, lingua and the lingua test set all cover,
minus the five with the smallest written web presence among them (af, cy, so, sw, tl).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path

from curator.langid.codes import WIDELY_USED

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SENTENCES = SHARED / "langid" / "lingua_sentences_75lang.jsonl"
HPLT = SHARED / "instructions" / "hplt_prompts"

# The 51 languages every detector and the test set cover; the 46 widely used ones are those minus
# five that the detectors' training data covers thinly (curator.langid.codes.WIDELY_USED).
COMMON_51 = WIDELY_USED | {"af", "cy", "so", "sw", "tl"}
assert len(WIDELY_USED) == 46 and len(COMMON_51) == 51

# Languages a detector cannot be asked to tell apart in one short clause; they are reported but
# a confusion inside a pair is still counted wrong.
VARIANTS = (frozenset({"hr", "bs", "sr"}), frozenset({"id", "ms"}), frozenset({"nb", "nn", "da"}))

PER_LANGUAGE = 200
# False: the set as first cut (before the two cleaning rules), for comparing with older figures.
CLEAN = True
MAX_CHARS = 40
_SPLIT = re.compile(r"[.!?;:,()\[\]\"“”«»„…|/·。！？；：，、（）]+|\s[-–—]+\s")
_NUMBER = re.compile(r"\d+(?:[.,:/'-]\d+)*")
_NO_SPACES = re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")

INSTRUCTIONS = (
    "Repeat the following sentence.",
    "Translate this into the target language.",
    "Write the phrase again, exactly as given.",
    "Say the same thing in other words.",
)


def side(key: str) -> str:
    """``dev`` or ``heldout``, from a stable hash of ``key``."""
    return "dev" if hashlib.sha256(key.encode("utf-8")).digest()[0] % 2 == 0 else "heldout"


def _pieces(text: str) -> list[str]:
    out: list[str] = []
    for clause in _SPLIT.split(_NUMBER.sub(" ", text)):
        clause = " ".join(clause.split()).strip(" -–—'’")
        if not clause:
            continue
        if len(clause) < MAX_CHARS:
            out.append(clause)
        elif " " in clause and not _NO_SPACES.search(clause):
            # Runs of whole words up to a length that varies with the clause (27-39 characters),
            # so that cut clauses are as short as natural ones.
            limit = 27 + hashlib.sha256(clause.encode("utf-8")).digest()[0] % (MAX_CHARS - 27)
            run = ""
            for word in clause.split():
                if len(run) + 1 + len(word) >= limit:
                    if run:
                        out.append(run)
                    run = word if len(word) < MAX_CHARS else ""
                else:
                    run = f"{run} {word}" if run else word
            if run:
                out.append(run)
        else:
            step = 12 if _NO_SPACES.search(clause) else MAX_CHARS - 1
            out.extend(clause[i : i + step] for i in range(0, len(clause), step))
    return out


def _keep(clause: str) -> bool:
    if _NO_SPACES.search(clause):
        return len(clause.replace(" ", "")) >= 6
    if len(clause) < 12 or len(clause.split()) < 2:
        return False
    if not CLEAN:
        return True
    words = [word for word in clause.split() if any(ch.isalpha() for ch in word)]
    return not all(word[0].isupper() for word in words)  # names and titles carry no language


def _latin(clause: str) -> bool:
    letters = [ch for ch in clause if ch.isalpha()]
    return bool(letters) and sum(ch < "\u0250" for ch in letters) >= 0.8 * len(letters)


@cache
def _all_clauses() -> tuple[dict, ...]:
    rows = [json.loads(line) for line in SENTENCES.open(encoding="utf-8")]
    per_lang: dict[str, list[dict]] = {}
    for row in rows:
        part = side(row["lang"] + "\t" + row["text"])
        for clause in _pieces(row["text"]):
            if _keep(clause):
                per_lang.setdefault(row["lang"], []).append(
                    {"text": clause, "lang": row["lang"], "part": part}
                )
    out: list[dict] = []
    for lang in sorted(per_lang):
        found = per_lang[lang]
        if CLEAN and 2 * sum(_latin(r["text"]) for r in found) < len(found):  # not in Latin script
            found = [r for r in found if not _latin(r["text"])]
        # A deterministic, spread-out choice: order by hash, keep PER_LANGUAGE per side.
        ranked = sorted(found, key=lambda r: hashlib.sha256(r["text"].encode()).hexdigest())
        for part in ("dev", "heldout"):
            out += [r for r in ranked if r["part"] == part][: PER_LANGUAGE // 2]
    return tuple(out)


def clauses(part: str) -> list[dict]:
    """``[{"text", "lang"}]`` on one side of the split (``dev``, ``heldout`` or ``all``)."""
    return [dict(r) for r in _all_clauses() if part in ("all", r["part"])]


def prompts(part: str) -> list[dict]:
    rows = []
    for path in sorted(HPLT.glob("test_*.jsonl")):
        lang = path.stem.split("_", 1)[1]
        for line in path.open(encoding="utf-8"):
            try:
                row = json.loads(line)
            except ValueError:  # test_hi.jsonl's last line is broken JSON in the source data
                continue
            if part in ("all", side(row["id"])):
                rows.append({"text": row["prompt"], "lang": lang})
    return rows


def mixed_pairs(part: str) -> list[dict]:
    """``{"user", "assistant", "lang", "mixed"}``: an English instruction, an answer in ``lang``."""
    out = []
    for index, row in enumerate(clauses(part)):
        if len(row["text"]) < 20:
            continue
        out.append(
            {
                "user": INSTRUCTIONS[index % len(INSTRUCTIONS)],
                "assistant": row["text"],
                "lang": row["lang"],
                "mixed": row["lang"] != "en",
            }
        )
    return out


def available() -> bool:
    return SENTENCES.exists() and HPLT.exists()
