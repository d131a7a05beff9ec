"""Decontamination: training records that share a word n-gram with an eval set are dropped or tagged.

Both sides are selected and normalised the same way (:mod:`curator.stages.text`; default: the
whole conversation, NFKC, lower-case, punctuation removed), then cut into word n-grams (default
13, the GPT-3 paper's choice) hashed to 64 bits (:mod:`curator.dedup.shingles`). A training
record is contaminated when one of its n-grams is an n-gram of an eval item. An eval item with
fewer than ``ngram`` words is matched on its whole word sequence if it has at least
``min_words`` words; shorter ones cannot be checked and are counted as such.

Each contaminated record is annotated (``annotations.extra[<stage name>]``) with the eval items
it overlaps and how many n-grams it shares, and removed as ``eval_overlap`` (or kept and flagged
with ``action: tag``); the removal's detail names the eval items and the first shared n-gram.

Eval sets are files in any supported format (read and adapted like sources; ``format: auto``
detects it). The recipe's relative paths resolve against its folder (``resolve_paths``, called
by the pipeline before the run). The stage never opens them: it declares them (``input_files``),
the pipeline checks and reads them and hands their records to ``setup``.
:func:`find_contamination` is the same check as a library call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, PrivateAttr

from curator.dedup.shingles import MAX_N, shingle_hashes
from curator.formats.spec import DataFiles
from curator.records import InstructionRecord
from curator.stages.base import Reason, RecordStage, SetupContext, StageConfig, StageInput
from curator.stages.text import Normalization, TextField, normalize, select_text

REASON = "eval_overlap"
_MAX_LISTED = 10  # eval items named per training record


class EvalSet(DataFiles):
    """An evaluation set to keep out of the training data (files read like a source's)."""

    @property
    def label(self) -> str:
        return self.name or Path(self.paths[0]).name


class DecontaminateConfig(StageConfig):
    """Remove training records that share a word n-gram with any item of the named eval sets."""

    type: Literal["decontaminate"] = "decontaminate"
    evals: list[EvalSet] = Field(min_length=1, description="Eval sets to protect.")
    ngram: int = Field(default=13, ge=1, le=MAX_N, description="Words per n-gram.")
    min_words: int = Field(
        default=8,
        ge=1,
        description="An eval item shorter than ngram words is matched whole if it has at least this many.",
    )
    text: TextField = Field(default="conversation", description="Which turns of a training record to check.")
    eval_text: TextField = Field(default="conversation", description="Which turns of an eval item to index.")
    normalization: Normalization = Field(
        default_factory=lambda: Normalization(strip_punctuation=True),
        description="Applied to both sides (default: NFKC, lower-case, no punctuation, one space).",
    )
    _base_dir: Path | None = PrivateAttr(default=None)

    def resolve_paths(self, base_dir: Path) -> DecontaminateConfig:
        """A copy whose eval paths resolve against ``base_dir`` (the pipeline checks they exist)."""
        resolved = self.model_copy(deep=True)
        resolved._base_dir = Path(base_dir)
        return resolved

    def input_files(self) -> list[StageInput]:
        """The eval sets, for the pipeline to check and read (handed back at ``setup``)."""
        return [
            StageInput(e.label, e, self.base_dir, what="eval set")
            for e in self.evals
        ]

    @property
    def base_dir(self) -> Path:
        return self._base_dir or Path.cwd()


@dataclass(slots=True)
class EvalItem:
    set: str
    id: str  # the eval record's id (stable hash of its content and origin)
    original_id: str | None
    row: int | None


@dataclass(slots=True)
class Match:
    """What one training text shares with the eval items."""

    items: list[int]  # eval item indexes, ascending
    shared_ngrams: int
    first: str  # the first shared n-gram, as normalised words
    # Eval item index → the first n-gram the text shares with it (what an audit's table shows).
    item_ngrams: dict[int, str] = field(default_factory=dict)


def _words_only(options: Normalization) -> Normalization:
    """The normalisation minus whitespace collapsing: n-grams of words ignore whitespace anyway."""
    if options.collapse_whitespace:
        return options.model_copy(update={"collapse_whitespace": False})
    return options


class ContaminationIndex:
    """The n-grams of a set of eval texts, as sorted 64-bit hashes per n-gram length."""

    def __init__(self, texts: Sequence[str], ngram: int = 13, min_words: int = 8) -> None:
        self.ngram = ngram
        words = np.fromiter((len(t.split()) for t in texts), dtype=np.int64, count=len(texts))
        self.items = len(texts)
        self.unchecked = np.flatnonzero((words < min(min_words, ngram)) | (words == 0)).tolist()
        # Length → (sorted hashes, eval item of each hash).
        self.tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        lengths = {ngram} | {int(w) for w in words if min_words <= w < ngram}
        for length in sorted(lengths):
            grams, owners = shingle_hashes(texts, "word", length)
            # The n-gram table holds the n-grams of texts of n words or more; a shorter length's
            # table holds the whole texts of exactly that many words.
            keep = words[owners] >= length if length == ngram else words[owners] == length
            grams, owners = grams[keep], owners[keep]
            order = np.lexsort((owners, grams))
            self.tables[length] = (grams[order], owners[order])

    def match(self, texts: Sequence[str]) -> dict[int, Match]:
        """{index of a text that shares an n-gram with an eval item: what it shares}."""
        found: dict[int, tuple[set[int], int, tuple[int, int, int]]] = {}
        per_item: dict[int, dict[int, tuple[int, int]]] = {}  # text → item → (position, length)
        for length, (table, table_owners) in self.tables.items():
            if not len(table):
                continue
            grams, owners = shingle_hashes(texts, "word", length)
            if not len(grams):
                continue
            left = np.searchsorted(table, grams, side="left")
            hits = np.flatnonzero(table[np.minimum(left, len(table) - 1)] == grams)
            if not len(hits):
                continue
            left = left[hits]
            right = np.searchsorted(table, grams[hits], side="right")
            # Position of each gram inside its text, to show the first shared n-gram.
            first_of_text = np.searchsorted(owners, owners[hits], side="left")
            for number, (hit, start) in enumerate(zip(hits.tolist(), first_of_text.tolist(), strict=True)):
                text = int(owners[hit])
                items, count, first = found.setdefault(text, (set(), 0, (hit - start, length, hit)))
                hit_items = table_owners[left[number] : right[number]].tolist()
                items.update(hit_items)
                seen = per_item.setdefault(text, {})
                for item in hit_items:
                    seen[item] = min(seen.get(item, (hit - start, length)), (hit - start, length))
                found[text] = (items, count + 1, min(first, (hit - start, length, hit)))
        result = {}
        for text, (items, count, (position, length, _)) in sorted(found.items()):
            words = texts[text].split()
            item_ngrams = {
                item: " ".join(words[p : p + n]) for item, (p, n) in sorted(per_item[text].items())
            }
            result[text] = Match(
                sorted(items), count, " ".join(words[position : position + length]), item_ngrams
            )
        return result


class Decontaminate(RecordStage[DecontaminateConfig]):
    config_model = DecontaminateConfig

    def __init__(self, config: DecontaminateConfig) -> None:
        super().__init__(config)
        self._index: ContaminationIndex | None = None

    def setup(self, context: SetupContext | None = None) -> None:
        """Index the eval sets the pipeline read (``context.inputs``, in ``input_files`` order)."""
        if self._index is not None:
            return
        if context is None:
            raise RuntimeError(
                f"stage {self.name!r} needs its eval sets: call setup(context) with the records the "
                "pipeline read for config.input_files() (curator.stage_inputs.setup_context)"
            )
        options = _words_only(self.config.normalization)
        self._items: list[EvalItem] = []
        self._skipped: dict[str, int] = {}
        texts: list[str] = []
        for spec, read in zip(self.config.input_files(), context.inputs, strict=True):
            self._skipped[spec.name] = read.skipped
            for record in read.records:
                provenance = record.provenance
                self._items.append(EvalItem(spec.name, record.id, provenance.original_id, provenance.row))
                texts.append(normalize(select_text(record, self.config.eval_text), options))
        self._index = ContaminationIndex(texts, self.config.ngram, self.config.min_words)

    def judge(self, batch: list[InstructionRecord]) -> list[Reason | None]:
        if self._index is None:
            self.setup()
        assert self._index is not None
        c = self.config
        options = _words_only(c.normalization)
        matches = self._index.match([normalize(select_text(record, c.text), options) for record in batch])
        judgements: list[Reason | None] = []
        for position, record in enumerate(batch):
            match = matches.get(position)
            if match is None:
                judgements.append(None)
                continue
            hits = [self._describe(self._items[i]) for i in match.items]
            # The first n-gram shared with each listed item, in eval_hits order (audit tables).
            ngrams = [match.item_ngrams[i] for i in match.items[:_MAX_LISTED]]
            record.annotations.extra[self.name] = {
                "eval_hits": hits[:_MAX_LISTED],
                "eval_hits_total": len(hits),
                "shared_ngrams": match.shared_ngrams,
                "hit_ngrams": ngrams,
            }
            detail = {
                "eval_hits": hits[:_MAX_LISTED],
                "eval_hits_total": len(hits),
                "shared_ngrams": match.shared_ngrams,
                "first_match": match.first,
                "hit_ngrams": ngrams,
            }
            judgements.append(Reason(REASON, detail))
        return judgements

    @staticmethod
    def _describe(item: EvalItem) -> dict[str, Any]:
        return {"eval_set": item.set, "id": item.original_id or item.id, "row": item.row}

    def summary(self) -> dict[str, Any]:
        """The eval side: items per set, items too short to check, rows that were not records."""
        self.setup()
        assert self._index is not None
        per_set: dict[str, int] = {}
        for item in self._items:
            per_set[item.set] = per_set.get(item.set, 0) + 1
        return {"eval_items": per_set, "unchecked": len(self._index.unchecked), "skipped_rows": self._skipped}


@dataclass(slots=True)
class ContaminationResult:
    """Which training records overlap the eval items, and which eval items they hit."""

    contaminated_train_ids: list[str] = field(default_factory=list)  # in training order
    hit_eval_ids: list[str] = field(default_factory=list)  # eval record ids, in eval order
    matches: dict[str, list[str]] = field(default_factory=dict)  # train id -> eval ids it overlaps
    ngram: int = 13
    train_checked: int = 0
    eval_items: int = 0
    eval_unchecked_ids: list[str] = field(default_factory=list)  # eval items too short to check

    @property
    def train_ids(self) -> list[str]:
        return self.contaminated_train_ids

    @property
    def eval_ids(self) -> list[str]:
        return self.hit_eval_ids


def find_contamination(
    train: Iterable[InstructionRecord],
    evals: Iterable[InstructionRecord],
    ngram: int = 13,
    *,
    min_words: int = 8,
    text: TextField = "conversation",
    eval_text: TextField = "conversation",
    normalization: Normalization | None = None,
    batch_size: int = 10_000,
) -> ContaminationResult:
    """The decontamination stage's check as a function: training records sharing a word n-gram
    with an eval record (same text selection, normalisation and short-item rule as the stage)."""
    options = _words_only(normalization or Normalization(strip_punctuation=True))
    eval_records = list(evals)
    index = ContaminationIndex(
        [normalize(select_text(r, eval_text), options) for r in eval_records], ngram, min_words
    )
    result = ContaminationResult(
        ngram=ngram,
        eval_items=len(eval_records),
        eval_unchecked_ids=[eval_records[i].id for i in index.unchecked],
    )
    hit: set[int] = set()
    batch: list[InstructionRecord] = []

    def check(records: list[InstructionRecord]) -> None:
        texts = [normalize(select_text(r, text), options) for r in records]
        for position, match in index.match(texts).items():
            train_id = records[position].id
            result.contaminated_train_ids.append(train_id)
            result.matches[train_id] = [eval_records[i].id for i in match.items]
            hit.update(match.items)
        result.train_checked += len(records)

    for record in train:
        batch.append(record)
        if len(batch) >= batch_size:
            check(batch)
            batch = []
    if batch:
        check(batch)
    result.hit_eval_ids = [eval_records[i].id for i in sorted(hit)]
    return result
