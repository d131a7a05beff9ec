"""Language identification (``type: language``): which language each record and each turn is in.

Every record is annotated, whatever the policy:

* ``annotations.language`` / ``language_score``: the record's language (ISO 639-1; ISO 639-3
  where no two-letter code exists; ``zh``, never ``zh-cn``): the language of its training target,
  the assistant turns, each weighted by its letters; the score is the weighted share of the
  winner (1.0: every answer confidently in it). An answer too short to carry a language ("Yes.",
  "42") lets the user turns decide; an answer long enough whose language is unknown (the
  detector was unsure) makes the record's language unknown too.
* ``annotations.extra["language"]``: ``messages`` and ``scores`` (one per turn, system and tool
  turns included; None for a turn without letters), ``user`` and ``assistant`` (each role's
  language), ``mixed``, ``code`` and ``code_share`` (the larger of the assistant turns' and the whole
  conversation's share of code characters), and the ``backend``.

Then the policy, in this order:

1. ``code``: a record whose assistant turns, or whose user + assistant turns together, are at
   least ``code_threshold`` code (fenced blocks, code lines, inline code) is ``code``. It is
   never removed as "unknown language": ``code: tag`` (default) keeps it with the flag
   ``<stage>:code``, ``keep`` keeps it silently, ``drop`` removes it. Its prose, if any, still
   gets a language, and ``allowed`` still applies to that language; the unknown-language and
   confidence checks do not.
2. ``allowed`` / ``min_score`` with the stage's ``action``: reasons ``unknown_language`` (no
   letters left to detect, or a detector too unsure to name one; only when ``allowed`` or
   ``min_score`` is set), ``not_allowed``, ``low_confidence``. ``allowed`` applies to the record's
   language, the answers' (an English instruction answered in German is ``de``, so
   ``allowed: [en]`` removes it); a mixed record is not held to ``min_score``.
3. ``mixed``: the user turns and the assistant turns are confidently in different languages
   (not counting variants a detector cannot tell apart: hr/bs/sr, id/ms, nb/nn/da, …). Translation
   data is legitimately mixed, so the default is ``tag`` (flag ``<stage>:mixed``); ``drop``
   removes, ``keep`` only annotates.

Text goes through :mod:`curator.langid.prepare` first (code, URLs, e-mails, numbers and markup
removed; long turns sampled). A turn that mixes CJK with other scripts ("翻译以下句子：This
book is very interesting.") is detected as two pieces that vote with their letters (a CJK
character counts 3). The whole batch is detected at once, and identical pieces (a repeated
system prompt) are detected once, in two passes: the backend's cheap pass first (for the cascade:
scripts and fastText), then what it left, each piece with its record's context: the detection of
the record's heaviest settled conversation piece, or, when none settled, what the backend makes
of the conversation's pieces joined (``Backend.contexts``). A short answer fastText already leans
to the prompt's language for ("Sleep like a log." after an English instruction) then needs no
lingua, and with the fastText backend takes the prompt's score instead of failing ``min_score``.
The context is a function of the record alone, so results never depend on batching.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from curator.config_types import Seed
from curator.langid.backends import BACKENDS, Backend, Detection, ModelUnavailable, Undecided, make_backend
from curator.langid.codes import expand_codes, same_group
from curator.langid.prepare import MAX_DETECT_CHARS, Prepared, prepare, script_pieces
from curator.records import InstructionRecord
from curator.stages.base import Judgement, Reason, RecordStage, Resources, SetupContext, StageConfig, Verdict

BackendName = Literal["cascade", "fasttext", "langdetect", "lingua"]
Policy = Literal["keep", "tag", "drop"]
_CODE_SYNTAX = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
# The turns that decide a record's language; a document's one text decides it alone.
_CONVERSATION_ROLES = ("user", "assistant", "document")
_NO_PIECES: list[tuple[str, int]] = []  # a turn too short to detect (shared, never modified)


class CascadeOptions(BaseModel):
    """When the cascade trusts fastText, and when it asks lingua."""

    model_config = ConfigDict(extra="forbid")

    confident: float = Field(
        default=0.6, ge=0, le=1, description="fastText's answer stands at this probability or more."
    )
    confident_group: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="…or this, when its answer is one of a confusable group (hr/bs/sr, id/ms, nb/nn/da, …).",
    )
    min_chars: int = Field(
        default=30, ge=0, description="Shorter text needs short_confident for fastText's answer to stand."
    )
    short_confident: float = Field(
        default=0.95,
        ge=0,
        le=1,
        description="fastText's answer on text shorter than min_chars stands at this probability or more "
        "(never for a confusable group's language).",
    )
    context_min: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="An unsure text whose fastText answer is the language another turn of the record was "
        "confidently detected in keeps it at this probability or more (no lingua).",
    )
    unknown_below: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description="A text whose best language scores under this gets none (unknown), not a neighbour's.",
    )


class LanguageConfig(StageConfig):
    """Detect each record's and each turn's language; keep the allowed ones; tag mixed and code records."""

    type: Literal["language"] = "language"
    backend: BackendName = Field(
        default="cascade",
        description="cascade (default: script rules, fastText, lingua for the unsure rest), "
        "fasttext (lid.176 compressed), langdetect (seeded), lingua.",
    )
    allowed: list[str] | None = Field(
        default=None,
        description="Keep only records in these languages (ISO 639-1: en, zh, …; 'no' means nb and nn). "
        "None: keep every language.",
    )
    min_score: float = Field(
        default=0.0, ge=0, le=1, description="Records scoring below this fail (low_confidence)."
    )
    mixed: Policy = Field(
        default="tag", description="User and assistant turns in different languages: keep, tag or drop."
    )
    code: Policy = Field(default="tag", description="Records that are mostly code: keep, tag or drop.")
    code_threshold: float = Field(
        default=0.5, gt=0, le=1, description="Share of a record's characters that are code for it to be code."
    )
    min_letters: int = Field(
        default=3, ge=1, description="A turn with fewer letters (after preparation) gets no language."
    )
    mixed_min_letters: int = Field(
        default=10, ge=1, description="Roles with fewer letters than this never make a record mixed."
    )
    mixed_min_score: float = Field(
        default=0.4, ge=0, le=1, description="Both roles' languages need this score for a record to be mixed."
    )
    max_chars: int = Field(
        default=MAX_DETECT_CHARS // 2,
        ge=50,
        description="Longer prepared text is sampled (start, middle, end): three windows of 100 characters "
        "name a language as well as more, and the detectors' cost grows with the text.",
    )
    seed: Seed = Field(default=0, description="Seed of langdetect's sampling (the other backends need none).")
    cascade: CascadeOptions = Field(default_factory=CascadeOptions)

    @field_validator("allowed")
    @classmethod
    def _codes(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        bad = [code for code in value if not isinstance(code, str) or not _CODE_SYNTAX.match(code)]
        if bad:
            raise ValueError(f"not language codes (ISO 639-1, e.g. en, zh, pt-BR): {bad}")
        return value

    @model_validator(mode="after")
    def _installed(self) -> LanguageConfig:
        try:
            BACKENDS[self.backend].check_installed()
        except ModelUnavailable as error:
            raise ValueError(str(error)) from None
        return self


class LanguageStage(RecordStage[LanguageConfig]):
    config_model = LanguageConfig
    warm_before_fork = True  # lingua's models load on first use: ~7 CPU-s and ~1 GiB, once per process

    def __init__(self, config: LanguageConfig) -> None:
        super().__init__(config)
        self.allowed = expand_codes(config.allowed) if config.allowed is not None else None
        self.backend: Backend | None = None

    def resources(self) -> Resources:
        # Measured: the cascade grew a process by ~460 MiB over the sample's Alpaca + BELLE rows
        # (lingua loads a language's models when it first needs them).
        return Resources(loads_model=True, memory_mb=460)

    def setup(self, context: SetupContext | None = None) -> None:
        if self.backend is None:
            c = self.config
            options: dict = {}
            if c.backend == "langdetect":
                options["seed"] = c.seed
            elif c.backend == "cascade":
                options = c.cascade.model_dump()
            backend = make_backend(c.backend, **options)
            backend.load()
            self.backend = backend

    # -- detection --------------------------------------------------------------------------
    def annotate(self, batch: list[InstructionRecord]) -> list[dict]:
        """Detect every turn of the batch at once and annotate each record; returns the annotations."""
        self.setup()
        backend = self.backend
        assert backend is not None
        c = self.config
        max_chars, min_letters = c.max_chars, c.min_letters
        # Each turn as one piece of text, or two when it mixes CJK with other scripts; one
        # detection per distinct piece in the whole batch. (One loop: this runs on every message,
        # and each pass over the batch costs more than the work it does.)
        prepared: list[list[Prepared]] = []
        pieces: list[list[list[tuple[str, int]]]] = []
        unique: dict[str, int] = {}
        for record in batch:
            turns = [prepare(m.content, max_chars=max_chars) for m in record.messages]
            turn_pieces = []
            for turn in turns:
                if turn.letters < min_letters:
                    turn_pieces.append(_NO_PIECES)
                    continue
                found = script_pieces(turn.text, weight=turn.letters)
                turn_pieces.append(found)
                for text, _ in found:
                    if text not in unique:
                        unique[text] = len(unique)
            prepared.append(turns)
            pieces.append(turn_pieces)
        first = backend.detect_fast(list(unique))
        # What the cheap pass left is decided with its record's context: the detection of the
        # record's heaviest settled conversation piece. The same text in another record may have
        # another context, so pending work is keyed by (text, context): a pure function of the
        # record, whatever the batching.
        # A record none of whose pieces the cheap pass settled ("What does DNA stand for?" /
        # "DNA stands for deoxyribonucleic acid.") takes its conversation as a whole as the
        # context, when the cheap pass settles that: each piece alone is short, together they
        # are long enough to name a language.
        contexts: list[Detection | None] = []
        unsettled_of: list[list[str]] = []
        wholes: dict[str, list[int]] = {}
        for index, (record, turn_pieces) in enumerate(zip(batch, pieces, strict=True)):
            unsettled = [
                text for turn in turn_pieces for text, _ in turn if isinstance(first[unique[text]], Undecided)
            ]
            context = _context(record, turn_pieces, first, unique) if unsettled else None
            if unsettled and context is None and (whole := _whole(record, turn_pieces)):
                wholes.setdefault(whole, []).append(index)
            contexts.append(context)
            unsettled_of.append(unsettled)
        if wholes:
            for detection, indices in zip(backend.contexts(list(wholes)), wholes.values(), strict=True):
                for index in indices:
                    contexts[index] = detection
        pending: dict[tuple[str, Detection | None], int] = {}
        for unsettled, context in zip(unsettled_of, contexts, strict=True):
            for text in unsettled:
                pending.setdefault((text, context), len(pending))
        rest = backend.detect_rest([(first[unique[text]], ctx) for text, ctx in pending]) if pending else []
        annotations = []
        for record, turns, turn_pieces, context in zip(batch, prepared, pieces, contexts, strict=True):
            votes: list[dict[str, float]] = []
            for turn in turn_pieces:
                turn_votes: dict[str, float] = {}
                for text, weight in turn:
                    detection = first[unique[text]]
                    if isinstance(detection, Undecided):
                        detection = rest[pending[text, context]]
                    code = detection.language
                    if code is not None:
                        turn_votes[code] = turn_votes.get(code, 0.0) + weight * detection.score
                votes.append(turn_votes)
            annotations.append(self._annotate(record, turns, votes))
        return annotations

    def _annotate(
        self, record: InstructionRecord, turns: list[Prepared], votes: list[dict[str, float]]
    ) -> dict:
        c = self.config
        # One pass over the turns: each turn's winner, and each role's votes (weight × score) and
        # letters; a turn without a language (no votes) weighs nothing.
        messages: list[str | None] = []
        scores: list[float | None] = []
        user_votes: dict[str, float] = {}
        answer_votes: dict[str, float] = {}
        user_letters = assistant_letters = answer_letters = 0
        has_answer = False
        chars = code_chars = answer_chars = answer_code = 0
        for message, turn, turn_votes in zip(record.messages, turns, votes, strict=True):
            role = message.role
            letters = turn.letters if turn_votes else 0
            code, score = _winner(turn_votes, letters)
            messages.append(code)
            scores.append(round(score, 4) if code else None)
            if role == "assistant":
                has_answer = True
                answer_letters += turn.letters
                answer_chars += turn.chars
                answer_code += turn.code_chars
                if letters:
                    assistant_letters += letters
                    _add(answer_votes, turn_votes)
            elif role == "user" and letters:
                user_letters += letters
                _add(user_votes, turn_votes)
            if role in _CONVERSATION_ROLES:
                chars += turn.chars
                code_chars += turn.code_chars
        user, user_score = _winner(user_votes, user_letters)
        assistant, assistant_score = _winner(answer_votes, assistant_letters)
        # The record's language is its training target's: the answers', unless they are too short
        # to carry one (then the prompt decides). An answer long enough but unknown stays unknown.
        if assistant is not None:
            language, score = assistant, assistant_score
        elif answer_letters >= c.mixed_min_letters:
            language, score = None, 0.0
        elif has_answer:
            language, score = user, user_score
        else:  # no answer at all (prompt-only data): the conversation decides
            roles = [m.role for m in record.messages]
            letters_of = [t.letters if v else 0 for t, v in zip(turns, votes, strict=True)]
            language, score = _vote(votes, letters_of, roles, _CONVERSATION_ROLES)
        mixed = bool(
            user
            and assistant
            and not same_group(user, assistant)
            and min(user_letters, assistant_letters) >= c.mixed_min_letters
            and min(user_score, assistant_score) >= c.mixed_min_score
        )
        # The larger of the whole conversation's and the answers' code share.
        code_share = max(
            code_chars / chars if chars else 0.0, answer_code / answer_chars if answer_chars else 0.0
        )
        annotation = {
            "messages": messages,
            "scores": scores,
            "user": user,
            "assistant": assistant,
            "mixed": mixed,
            "code": code_share >= c.code_threshold,
            "code_share": round(code_share, 4),
            "backend": c.backend,
        }
        record.annotations.language = language
        record.annotations.language_score = round(score, 4) if language else None
        record.annotations.extra["language"] = annotation
        return annotation

    # -- policy ------------------------------------------------------------------------------
    def judge(self, batch: list[InstructionRecord]) -> list[Judgement]:
        return [
            self._judgement(record, annotation)
            for record, annotation in zip(batch, self.annotate(batch), strict=True)
        ]

    def _judgement(self, record: InstructionRecord, annotation: dict) -> Judgement:
        """A rule whose policy is drop removes the record (and it gets no flags); otherwise each
        rule met tags (or, with policy keep, only annotates)."""
        reasons = self.reasons(record, annotation)
        drop = next((reason for reason, policy in reasons if policy == "drop"), None)
        if drop is not None:
            detail = {
                "language": record.annotations.language,
                "score": record.annotations.language_score,
                "user": annotation["user"],
                "assistant": annotation["assistant"],
            }
            return Reason(drop, detail, "drop")
        return Verdict([Reason(reason, action=policy) for reason, policy in reasons])

    def reasons(self, record: InstructionRecord, annotation: dict) -> list[tuple[str, Policy]]:
        """(reason, policy) for every rule the record meets, in the module's order."""
        c = self.config
        out: list[tuple[str, Policy]] = []
        language = record.annotations.language
        score = record.annotations.language_score or 0.0
        if annotation["code"]:
            out.append(("code", c.code))
            if language is not None and not self._allowed(language, annotation):
                out.append(("not_allowed", c.action))
        else:
            if language is None:
                if self.allowed is not None or c.min_score > 0:
                    out.append(("unknown_language", c.action))
            elif not self._allowed(language, annotation):
                out.append(("not_allowed", c.action))
            elif score < c.min_score and not annotation["mixed"]:
                out.append(("low_confidence", c.action))
        if annotation["mixed"]:
            out.append(("mixed", c.mixed))
        return out

    def _allowed(self, language: str, annotation: dict) -> bool:
        """The record's language (its answers') decides; a mixed record's prompt does not."""
        return self.allowed is None or language in self.allowed


def _add(total: dict[str, float], votes: dict[str, float]) -> None:
    for code, value in votes.items():
        total[code] = total.get(code, 0.0) + value


def _context(
    record: InstructionRecord,
    turn_pieces: list[list[tuple[str, int]]],
    first: list[Detection | Undecided],
    index: dict[str, int],
) -> Detection | None:
    """The detection of the record's heaviest piece that the cheap pass settled with a language,
    among its conversation turns (first such piece on ties), or None."""
    best: Detection | None = None
    heaviest = 0
    for message, turn in zip(record.messages, turn_pieces, strict=True):
        if message.role not in _CONVERSATION_ROLES:
            continue
        for text, weight in turn:
            detection = first[index[text]]
            if isinstance(detection, Detection) and detection.language is not None and weight > heaviest:
                best, heaviest = detection, weight
    return best


def _whole(record: InstructionRecord, turn_pieces: list[list[tuple[str, int]]]) -> str | None:
    """The record's conversation pieces joined, when there are at least two (else None)."""
    texts = [
        text
        for message, turn in zip(record.messages, turn_pieces, strict=True)
        if message.role in _CONVERSATION_ROLES
        for text, _ in turn
    ]
    return " ".join(texts) if len(texts) > 1 else None


def _winner(votes: dict[str, float], letters: int) -> tuple[str | None, float]:
    if not votes or not letters:
        return None, 0.0
    if len(votes) == 1:
        ((best, value),) = votes.items()
    else:
        best = max(sorted(votes), key=votes.__getitem__)  # ties: alphabetical, so deterministic
        value = votes[best]
    return best, min(1.0, value / letters)


def _vote(
    votes: list[dict[str, float]], letters: list[int], roles: list[str], wanted: tuple[str, ...]
) -> tuple[str | None, float]:
    """The language of the turns with ``wanted`` roles: weight × score votes; score = share of the winner."""
    total: dict[str, float] = {}
    weight = 0
    for turn_votes, n, role in zip(votes, letters, roles, strict=True):
        if role not in wanted or not n:
            continue
        weight += n
        for code, value in turn_votes.items():
            total[code] = total.get(code, 0.0) + value
    return _winner(total, weight)
