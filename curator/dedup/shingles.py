"""Shingles of a batch of texts as 64-bit hashes, computed with numpy (no per-shingle Python).

Word shingles: the text's words are its whitespace-separated tokens (``str.split()``); a shingle
is ``n`` consecutive words. Character shingles: ``n`` consecutive Unicode code points of the text
(spaces included). A text with fewer than ``n`` words (characters) but at least one has one
shingle, the whole text; an empty text has none.

Hashes are deterministic across processes and platforms (no ``hash()``, no seeds): a word is
hashed from its UTF-8 bytes, an n-gram from its words' (or code points') hashes and positions,
each finished with the 64-bit MurmurHash3 finaliser. Two different shingles share a 64-bit hash
with probability about 2^-64.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

ShingleKind = Literal["word", "char"]

U64 = np.uint64
MAX_N = 64  # longest n-gram
_GOLDEN = U64(0x9E3779B97F4A7C15)


def splitmix(count: int, seed: int) -> np.ndarray:
    """``count`` odd 64-bit constants from splitmix64 (a fixed, documented sequence)."""
    out = np.empty(count, dtype=U64)
    state = seed
    for index in range(count):
        state = (state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        out[index] = (z ^ (z >> 31)) | 1
    return out


_GRAM_MULTIPLIERS = splitmix(MAX_N, 2)


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: an avalanching bijection on uint64 (returns a new array)."""
    h = h ^ (h >> U64(33))
    h *= U64(0xFF51AFD7ED558CCD)
    h ^= h >> U64(33)
    h *= U64(0xC4CEB9FE1A85EC53)
    h ^= h >> U64(33)
    return h


@dataclass(slots=True)
class Shingles:
    """The distinct 32-bit shingle hashes of each text of a batch, sorted within each text.

    ``hashes[offsets[i]:offsets[i + 1]]`` are text ``i``'s shingles; ``counts[i]`` how many. The
    32-bit hash is the top half of the 64-bit one; two shingles of one text that share it (about
    1 in 2^32 pairs) count once.
    """

    hashes: np.ndarray  # (total,) uint32
    counts: np.ndarray  # (n,) int64

    @property
    def offsets(self) -> np.ndarray:
        offsets = np.zeros(len(self.counts) + 1, dtype=np.int64)
        np.cumsum(self.counts, out=offsets[1:])
        return offsets

    def of(self, index: int) -> np.ndarray:
        offsets = self.offsets
        return self.hashes[offsets[index] : offsets[index + 1]]


def shingle_hashes(
    texts: Sequence[str], kind: ShingleKind = "word", n: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Every shingle of every text as a 64-bit hash (repeats included), and the text it is in.

    Shingles come text by text, in order of their position in the text.
    """
    if not 1 <= n <= MAX_N:
        raise ValueError(f"n must be between 1 and {MAX_N}, got {n}")
    units, owners = _word_hashes(texts) if kind == "word" else _char_codes(texts)
    return _ngrams(units, owners, n)


def shingle(texts: Sequence[str], kind: ShingleKind = "word", n: int = 5) -> Shingles:
    """The distinct 32-bit shingle hashes of every text, sorted within each text."""
    grams, owners = shingle_hashes(texts, kind, n)
    keys = np.sort((owners.astype(U64) << U64(32)) | (grams >> U64(32)))
    if len(keys):
        new = np.empty(len(keys), dtype=bool)
        new[0] = True
        np.not_equal(keys[1:], keys[:-1], out=new[1:])
        keys = keys[new]
    counts = np.bincount((keys >> U64(32)).astype(np.int64), minlength=len(texts)).astype(np.int64)
    return Shingles(keys.astype(np.uint32), counts)


# Bytes that str.split() treats as whitespace in ASCII text.
_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = True
# Low-byte masks for a word's last 8-byte chunk, by its length in bytes (8 and more: all bytes).
_CHUNK_MASKS = np.array([0] + [(1 << (8 * k)) - 1 for k in range(1, 8)] + [(1 << 64) - 1], dtype=U64)


def _word_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """One 64-bit hash per word of every text, and the index of the text each word is in.

    Words are what ``str.split()`` returns. ASCII texts are split on bytes with numpy; other
    texts (Unicode whitespace) go through ``str.split`` first.
    """
    parts = [text if text.isascii() else " ".join(text.split()) for text in texts]
    lengths = np.fromiter(
        (len(t) if t.isascii() else len(t.encode("utf-8", "surrogatepass")) for t in parts),
        dtype=np.int64,
        count=len(parts),
    )
    # One space between texts, so no word spans two; 8 zero bytes of padding for the chunk loads.
    raw = " ".join(parts).encode("utf-8", "surrogatepass") + bytes(8)
    size = len(raw) - 8
    data = np.frombuffer(raw, dtype=np.uint8)[:size]
    is_space = _ASCII_SPACE[data]
    begins = ~is_space
    begins[1:] &= is_space[:-1]
    starts = np.flatnonzero(begins)
    if not len(starts):
        return np.zeros(0, dtype=U64), np.zeros(0, dtype=np.int64)
    ends = np.flatnonzero(~is_space[:-1] & is_space[1:]) + 1
    if len(ends) < len(starts):
        ends = np.append(ends, size)
    sizes = ends - starts
    # Every 8-byte window of the text as a little-endian uint64 (an unaligned strided view).
    windows = np.ndarray(shape=(size,), dtype="<u8", buffer=raw, offset=0, strides=(1,))
    words = windows[starts] & _CHUNK_MASKS[np.minimum(sizes, 8)]
    # Words longer than 8 bytes: fold in the following chunks, 8 bytes at a time.
    chunk = 1
    longer = np.flatnonzero(sizes > 8)
    while len(longer):
        left = sizes[longer] - 8 * chunk
        piece = windows[starts[longer] + 8 * chunk] & _CHUNK_MASKS[np.minimum(left, 8)]
        words[longer] = fmix64(words[longer] ^ _GOLDEN) + piece
        longer = longer[left > 8]
        chunk += 1
    words = fmix64(words ^ (sizes.astype(U64) * _GOLDEN))
    text_starts = np.zeros(len(parts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=text_starts[1:])
    owners = np.searchsorted(text_starts, starts, side="right") - 1
    return words, owners


def _char_codes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every code point of every text, and the index of the text it is in."""
    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    owners = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    return fmix64(codes.astype(U64) + U64(1)), owners


def _ngrams(units: np.ndarray, owners: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every run of ``n`` consecutive units of one text (or of the whole text if shorter)."""
    total = len(units)
    if total == 0:
        return np.zeros(0, dtype=U64), np.zeros(0, dtype=np.int64)
    # Units a text has, and where each text's units start.
    per_text = np.bincount(owners, minlength=int(owners[-1]) + 1)
    first = np.zeros(len(per_text), dtype=np.int64)
    np.cumsum(per_text[:-1], out=first[1:])
    position = np.arange(total, dtype=np.int64) - first[owners]
    remaining = per_text[owners] - position  # units from here to the end of the text, this one included
    # A gram starts at every unit with n units left; a shorter text has one gram, at its start.
    starts = np.flatnonzero((remaining >= n) | ((position == 0) & (remaining < n)))
    width = np.minimum(remaining[starts], n)
    grams = np.zeros(len(starts), dtype=U64)
    for offset in range(n):
        take = width > offset
        index = starts[take] + offset
        grams[take] += units[index] * _GRAM_MULTIPLIERS[offset]
    grams = fmix64(grams ^ (width.astype(U64) * _GOLDEN))
    return grams, owners[starts]
