"""What question linking reads of a table, built lazily and kept with the table.

:class:`TableIndex` holds, per column, the distinct texts as match words
(:class:`ColumnWords`: one byte string in which a question's words and n-grams
are found by substring search), and answers "which columns hold this run of
words / this number / this date" without reading every cell. Columns are asked
through the :class:`npqa.table.column.Column` members alone, so every reader's
columns are indexed the same way.
"""
from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Sequence

import numpy as np

from npqa.table.column import Table
from npqa.table.text import (
    STOP_WORDS, counted_words, match_lines, name_words, one_edit_deletes, within_one_edit, word_keys,
)  # fmt: skip

def _stop_key(word: bytes) -> int:
    return int.from_bytes(word.ljust(8, b"\0"), "little")


_MAX_STOP_LEN = max(len(w) for w in STOP_WORDS)
assert _MAX_STOP_LEN <= 7  # stop words are recognised by their bytes packed into a uint64
_STOP_KEYS = np.array(sorted(_stop_key(w.encode()) for w in STOP_WORDS), dtype=np.uint64)
_LOW_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(8)], dtype=np.uint64)  # (8,) masks of n low bytes


class ColumnWords:
    """One column's distinct texts as match words (one *line* per distinct text).

    ``blob`` is :func:`match_lines` of the distinct texts and ``codes`` (R,)
    gives each row's line. The column's texts are never read word by word up
    front: a question's words and n-grams are found by substring search, and
    only the lines they hit are split in Python.
    """

    def __init__(
        self, distinct: Sequence[str], codes: np.ndarray, blob: bytes | None = None, letters: bool | None = None
    ) -> None:
        self.distinct = distinct  # (U,) display text of each line (repeats possible)
        self._codes = codes  # (R,) int line of each row, or a function giving it (made on first use)
        self.blob = match_lines(list(distinct)) if blob is None else blob  # given: match_lines(distinct)
        if letters is not None:  # given: whether some line has a letter
            self.__dict__["_letters"] = letters
        self.newlines = np.flatnonzero(np.frombuffer(self.blob, dtype=np.uint8) == 10)  # (U+1,)
        self._lines_of: dict[bytes, np.ndarray] = {}
        self._all_stop: np.ndarray | None = None
        self._stop_lines: np.ndarray | None = None
        self._counted: dict[int, tuple[str, ...]] = {}

    @property
    def codes(self) -> np.ndarray:
        """(R,) int line of each row."""
        if callable(self._codes):
            self._codes = self._codes()
        return self._codes

    @codes.setter
    def codes(self, codes: np.ndarray) -> None:
        self._codes = codes

    @property
    def n_lines(self) -> int:
        return len(self.newlines) - 1

    @functools.cached_property
    def _letters(self) -> bool:
        """Some line has a word with a letter (a column of numbers has none)."""
        return bool(self.blob.translate(None, b"0123456789 \n"))

    def has(self, words: tuple[str, ...]) -> bool:
        """``words`` is a run of some line's words."""
        if not self._letters and not all(w.isdigit() for w in words):
            return False
        return f" {' '.join(words)} ".encode() in self.blob

    def has_exact(self, words: tuple[str, ...]) -> bool:
        """Some line's words are exactly ``words``."""
        return f"\n {' '.join(words)} \n".encode() in self.blob

    def lines_with(self, words: tuple[str, ...], exact: bool = False) -> np.ndarray:
        """(H,) int64 sorted lines holding ``words`` as a run (``exact``: as all their words)."""
        key = (b"\n " if exact else b" ") + " ".join(words).encode()
        hit = self._lines_of.get(key)
        if hit is None:
            if key + (b" \n" if exact else b" ") not in self.blob:
                hit = np.zeros(0, dtype=np.int64)
            else:
                ahead = rb"(?= \n)" if exact else rb"(?= )"
                pattern = re.compile(re.escape(key) + ahead)
                starts = np.fromiter((m.start() for m in pattern.finditer(self.blob)), dtype=np.int64)
                hit = np.searchsorted(self.newlines, starts, side="right") - 1  # (H,) sorted
                hit = hit[np.r_[True, hit[1:] != hit[:-1]]] if len(hit) else hit
            self._lines_of[key] = hit
        return hit

    def line_words(self, line: int) -> list[str]:
        return self.blob[self.newlines[line] + 1 : self.newlines[line + 1]].decode("ascii").split()

    def counted(self, line: int) -> tuple[str, ...]:
        """The line's counted words (:func:`_counted`)."""
        words = self._counted.get(line)
        if words is None:
            words = self._counted[line] = counted_words(tuple(self.line_words(line)))
        return words

    @functools.cached_property
    def vocabulary(self) -> frozenset[str]:
        """The distinct words of the column's lines (empty for a column whose lines pass
        :data:`VOCABULARY_MAX_BYTES`: linking forgives only on columns of that size)."""
        if len(self.blob) > VOCABULARY_MAX_BYTES:
            return frozenset()
        return frozenset(w.decode("ascii") for w in set(self.blob.split()))

    @functools.cached_property
    def by_key(self) -> dict[str, list[str]]:
        """Each :func:`word_keys` key of the vocabulary's words (with a letter), and the words having it."""
        out: dict[str, list[str]] = {}
        if not self._letters:  # words of digits alone have no keys: the vocabulary is never built
            return out
        for word in sorted(self.vocabulary):
            if not word.isdigit():
                for key in word_keys(word):
                    out.setdefault(key, []).append(word)
        return out

    @functools.cached_property
    def by_delete(self) -> dict[str, list[str]]:
        """Words of at least :data:`TYPO_MIN_LEN` letters, by every string one deletion away."""
        out: dict[str, list[str]] = {}
        if not self._letters:
            return out
        for word in sorted(self.vocabulary):
            if len(word) >= TYPO_MIN_LEN and word.isalpha():
                for d in one_edit_deletes(word):
                    out.setdefault(d, []).append(word)
        return out

    def stop_lines_with(self, word: str) -> np.ndarray:
        """(H,) int64 sorted lines made of stop words alone that hold the stop word ``word``."""
        if self._stop_lines is None:
            self._stop_lines = np.flatnonzero(self.all_stop)
        if len(self._stop_lines) > 4096:
            lines = self.lines_with((word,))
            return lines[self.all_stop[lines]]
        return np.array([t for t in self._stop_lines if word in self.counted(int(t))], dtype=np.int64)

    @property
    def all_stop(self) -> np.ndarray:
        """bool (U,): the line has words, all of them stop words (numpy over every word).

        A line of more than :data:`STOP_LINE_MAX_BYTES` is never counted as stop
        words alone (no WTQ cell is; long free text would otherwise cost a pass
        over every word of a big column). Mostly-long columns are read only in
        their short lines.
        """
        if self._all_stop is None:
            length = np.diff(self.newlines) - 1  # (U,) bytes of each line's " w1 w2 "
            short = length <= STOP_LINE_MAX_BYTES  # (U,)
            if short.all():
                self._all_stop = _all_stop_lines(self.blob, self.newlines)
            elif short.sum() * 2 < len(short):
                keep = np.flatnonzero(short)
                starts, ends = self.newlines[keep] + 1, self.newlines[keep + 1]
                blob = b"\n" + b"\n".join(self.blob[a:b] for a, b in zip(starts.tolist(), ends.tolist())) + b"\n"
                out = np.zeros(len(short), dtype=bool)
                if len(keep):
                    newlines = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == 10)
                    out[keep] = _all_stop_lines(blob, newlines)
                self._all_stop = out
            else:
                self._all_stop = _all_stop_lines(self.blob, self.newlines) & short
        return self._all_stop


VOCABULARY_MAX_BYTES = 4 << 20
"""Columns whose match lines are longer than this (long free text on big tables) are
not searched for inflected, abbreviated or mistyped words."""

TYPO_MIN_LEN = 5
"""Words shorter than this never link through a typo (question word or cell word)."""

STOP_LINE_MAX_BYTES = 64
"""Longest line (match words with their spaces) that can count as stop words alone."""


def _all_stop_lines(blob: bytes, newlines: np.ndarray) -> np.ndarray:
    """bool (U,): which lines of ``blob`` (:func:`match_lines`) have words, all of them stop words."""
    data = np.frombuffer(blob, dtype=np.uint8)  # (N,)
    gap = (data == 32) | (data == 10)  # (N,)
    starts = np.flatnonzero(gap[:-1] & ~gap[1:]) + 1  # (W,)
    ends = np.flatnonzero(~gap[:-1] & gap[1:]) + 1  # (W,)
    del gap
    length = ends - starts  # (W,)
    del ends
    short = np.flatnonzero(length <= _MAX_STOP_LEN)  # (W',)
    padded = np.frombuffer(blob + bytes(8), dtype=np.uint8)
    windows = np.ndarray((len(data),), dtype="<u8", buffer=padded, strides=(1,))  # (N,) 8 bytes from each offset
    keys = windows[starts[short]] & _LOW_BYTES[length[short]]  # (W',)
    at = np.minimum(np.searchsorted(_STOP_KEYS, keys), len(_STOP_KEYS) - 1)  # (W',)
    is_stop = np.zeros(len(starts), dtype=bool)  # (W,)
    is_stop[short] = _STOP_KEYS[at] == keys
    bounds = np.searchsorted(starts, newlines)  # (U+1,) first word at or after each newline
    content = np.concatenate([[0], np.cumsum(~is_stop)])[bounds]  # (U+1,) content words before each newline
    return (np.diff(bounds) > 0) & (np.diff(content) == 0)  # (U,)


class TableIndex:
    """What linking needs from a table, built lazily and kept with the table.

    Work is per *distinct text* of a column, never per cell, and per question
    word rather than per cell word: each column's distinct texts become one
    byte string of match words (:class:`ColumnWords`) in which a question's
    words and n-grams are searched. A text's *counted* words are its distinct
    content words (all its words if it has only stop words); cell_match is the
    share of them found in the question.
    """

    def __init__(self, table: Table) -> None:
        self.n_rows = table.n_rows
        self.n_cols = len(table.columns)
        self.name_keys = [tuple(word_keys(w) for w in name_words(c.name)) for c in table.columns]  # (C,) per name word
        self._columns = list(table.columns)  # not the Table: the cache must not keep it alive
        self._words: list[ColumnWords | None] = [None] * self.n_cols
        self._date_keys: list[dict] = [{} for _ in range(self.n_cols)]
        self._word_masks: dict[tuple[str, ...], int] = {}

    def words(self, j: int) -> ColumnWords:
        cw = self._words[j]
        if cw is None:
            col = self._columns[j]
            cw = col.words()  # a reader that searches its texts itself
            if cw is None:
                distinct, codes, blob = col.lines()
                cw = ColumnWords(distinct, codes, blob, col.has_letters)
            self._words[j] = cw
        return cw

    def run_columns(self, words: tuple[str, ...]) -> int:
        """Bitmask of the columns where ``words`` is a contiguous run of some cell's words
        (the word-match op's test)."""
        mask = self._word_masks.get(words)
        if mask is None:
            if len(words) == 1:
                mask = sum(1 << j for j in range(self.n_cols) if self.words(j).has(words))
            else:
                mask = -1
                for w in words:
                    mask &= self.run_columns((w,))
                mask = sum(1 << j for j in range(self.n_cols) if mask >> j & 1 and self.words(j).has(words))
            self._word_masks[words] = mask
        return mask

    def has_exact(self, words: tuple[str, ...]) -> bool:
        """Some cell's words are exactly ``words``."""
        return any(self.words(j).has_exact(words) for j in range(self.n_cols))

    def forgiven(self, word: str) -> tuple[str, str] | None:
        """A cell word that a question word found in no cell may stand for, and how:
        ``(cell word, "key")`` when their :func:`word_keys` meet (``singles`` →
        ``single``, ``won`` → ``win``, ``saint`` → ``st``), else ``(cell word, "typo")``
        when both have at least :data:`TYPO_MIN_LEN` letters and one edit apart
        (``lodon`` → ``london``); ``None`` when there is none. Among several, the one
        found in the most columns, then the first in column order."""
        found: dict[str, list[int]] = {}
        keys = word_keys(word)
        for j in range(self.n_cols):
            by_key = self.words(j).by_key
            for key in keys:
                for cell_word in by_key.get(key, ()):
                    if cell_word != word:
                        found.setdefault(cell_word, []).append(j)
        if found:
            return _most_columns(found), "key"
        if len(word) < TYPO_MIN_LEN or not word.isalpha():
            return None
        deletes = one_edit_deletes(word)
        for j in range(self.n_cols):
            by_delete = self.words(j).by_delete
            for d in deletes:
                for cell_word in by_delete.get(d, ()):
                    if cell_word != word and within_one_edit(word, cell_word):
                        found.setdefault(cell_word, []).append(j)
        return (_most_columns(found), "typo") if found else None

    def has_number(self, j: int, value: float) -> bool:
        """Some cell of column j holds ``value`` (within 1e-6) as its number."""
        return self._columns[j].has_number(value)

    def date_keys(self, j: int, mask: tuple[bool, bool, bool]) -> set[tuple[int, ...]]:
        """The known parts (``mask``: year, month, day) of column j's dates that have them."""
        keys = self._date_keys[j].get(mask)
        if keys is None:
            keys = self._date_keys[j][mask] = self._columns[j].date_keys(mask)
        return keys


def index_table(table: Table) -> TableIndex:
    """The :class:`TableIndex` of ``table`` (each column is read on first use)."""
    return TableIndex(table)


def _most_columns(found: dict[str, list[int]]) -> str:
    """The word found in the most distinct columns, then the one found first."""
    return min(found, key=lambda w: (-len(set(found[w])), min(found[w]), w))


_INDEX_CACHE: dict[int, tuple[weakref.ref[Table], TableIndex]] = {}


def cached_index(table: Table) -> TableIndex:
    """The index of ``table``, built on first use and kept while the table lives.

    Keyed by object identity (a weak reference, so the cache never keeps a
    table alive); a table changed after linking needs :func:`index_table`.
    """
    key = id(table)
    hit = _INDEX_CACHE.get(key)
    if hit is not None and hit[0]() is table:
        return hit[1]
    index = index_table(table)
    _INDEX_CACHE[key] = (weakref.ref(table, lambda _ref, key=key: _forget(key, _ref)), index)
    return index


def clear_index_cache() -> None:
    """Forget every cached table index."""
    _INDEX_CACHE.clear()


def _forget(key: int, ref: weakref.ref[Table]) -> None:
    hit = _INDEX_CACHE.get(key)
    if hit is not None and hit[0] is ref:
        del _INDEX_CACHE[key]
