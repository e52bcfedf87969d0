"""Linking's searches over a big engine column, answered in SQL.

A column of many distinct texts (long free text, identifiers) is linked one
*line* per row, as the pyarrow path links it; but its texts stay in the
engine: :class:`EngineWords` answers what linking asks of a
:class:`npqa.table.index.ColumnWords` (a run of match words in some line, a
line made of exactly these words, the lines holding a run, a line's words, the
lines made of stop words alone) by SQL searches over the raw texts, and reads
in Python only the lines a search hits. Match words are the runs of ASCII
letters and digits, lower-cased (:func:`npqa.table.text.match_words`), so on
ASCII text a run of words is a case-insensitive regular expression with
non-alphanumeric separators; texts with other characters (NFKD, diacritics)
are few and are searched in Python (:func:`npqa.table.text.match_lines`).

Used only when the column's match lines would pass
:data:`npqa.table.index.VOCABULARY_MAX_BYTES` (counted in SQL for plain
decimals, on a sample for the rest): linking then never forgives on the column
(:attr:`npqa.table.index.ColumnWords.vocabulary` is empty), as on the other paths.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from npqa.table import duckflags as sqlf
from npqa.table.index import STOP_LINE_MAX_BYTES, VOCABULARY_MAX_BYTES, ColumnWords
from npqa.table.text import STOP_WORDS, match_lines, match_words

SAMPLE_LINES = 60_000
"""Lines read in Python to show that a column's match lines pass the limit."""

MAX_OTHER = 100_000
"""Columns with more non-ASCII texts than this are linked in Python (slower, the same answers)."""

_SEP = "[^a-z0-9]"  # on lower-cased ASCII text
_ASCII = "strlen(x) = length(x)"


def words_of(col: Any) -> "EngineWords | None":
    """The engine search of a row-mode :class:`npqa.table.duck.DuckColumn` whose match
    lines pass :data:`VOCABULARY_MAX_BYTES`, else ``None`` (linking builds its lines in Python)."""
    if col.grouped:
        return None
    store, flags = col.store, col.flags
    fixed = store.one(
        f"SELECT coalesce(sum(length(x) - (x[1] = '-')::INTEGER + 3) FILTER (WHERE p), 0), "
        f"count(*) FILTER (WHERE e), count(*) FILTER (WHERE NOT e AND NOT p), "
        f"count(*) FILTER (WHERE NOT {_ASCII}) FROM {flags}"
    )
    plain_bytes, n_empty, n_other, n_non_ascii = (int(v or 0) for v in fixed)
    if n_non_ascii > MAX_OTHER:
        return None
    bound = 1 + plain_bytes + 2 * n_empty + 2 * n_other  # every line is at least " \n"
    if bound <= VOCABULARY_MAX_BYTES and n_other:
        sample = [r[0] for r in store.rows(f"SELECT x FROM {flags} WHERE NOT e AND NOT p LIMIT {SAMPLE_LINES}")]
        blob = match_lines(sample)
        bound += len(blob) - 1 - 2 * len(sample)
    if bound <= VOCABULARY_MAX_BYTES:
        return None
    return EngineWords(col)


def _run_pattern(words: tuple[str, ...], exact: bool) -> str:
    """RE2 pattern: ``words`` as a run of match words of a lower-cased ASCII text (all of them when ``exact``)."""
    body = f"{_SEP}+".join(re.escape(w) for w in words)
    if exact:
        return f"{_SEP}*{body}{_SEP}*"
    return f"(?:^|{_SEP}){body}(?:{_SEP}|$)"


_STOP_ONLY = "^" + _SEP + "*(?:(?:" + "|".join(sorted(STOP_WORDS, key=len, reverse=True)) + ")(?:" + _SEP + "+|$))+$"


class EngineWords(ColumnWords):
    """:class:`npqa.table.index.ColumnWords` over a row-mode engine column (one line per row)."""

    def __init__(self, col: Any) -> None:  # noqa: D107 - no blob is built
        self.col, self.store = col, col.store
        self.src = f"w{col.j}"  # the ASCII rows with their lower-cased text, searched by substring first
        plain = col.has_letters is False  # plain decimals alone: ASCII, nothing to lower-case, no copy
        if self.src not in self.store.sources:
            self.store.sources.add(self.src)
            if plain:
                self.store.run(f"CREATE TEMP VIEW {self.src} AS SELECT line, x, x AS lx FROM {col.src}")
            else:
                self.store.run(f"CREATE TEMP TABLE {self.src} AS SELECT line, x, lower(x) AS lx FROM {col.src} WHERE {_ASCII}")
        self.codes = np.arange(col.n_rows, dtype=np.intp)  # (R,) line = row
        self.newlines = np.zeros(col.n_rows + 1, dtype=np.int64)  # only its length is read (n_lines)
        self._texts: dict[int, str] = {}
        self._runs: dict[tuple[tuple[str, ...], bool], bool] = {}
        self._lines_of: dict = {}
        self._counted: dict[int, tuple[str, ...]] = {}
        self._stop: np.ndarray | None = None
        rows = [] if plain else self.store.rows(f"SELECT line, x FROM {col.src} WHERE NOT {_ASCII} ORDER BY line")
        self._other_lines = np.array([r[0] for r in rows], dtype=np.int64)  # (O,) lines searched in Python
        self._other = ColumnWords([r[1] for r in rows], np.arange(len(rows)))
        self._texts.update(rows)
        self.__dict__["vocabulary"] = frozenset()
        self.__dict__["_letters"] = col.has_letters is not False and (
            self._other._letters or bool(
                self.store.one(f"SELECT count(*) FROM (SELECT 1 FROM {self.src} WHERE regexp_matches(lx, '[a-z]') LIMIT 1)")[0]
            )
        )

    @property
    def distinct(self) -> "_Lines":  # type: ignore[override]
        return _Lines(self)

    def text(self, line: int) -> str:
        got = self._texts.get(line)
        if got is None:
            got = self._texts[line] = self.store.one(f"SELECT x FROM {self.src} WHERE line = {int(line)}")[0]
        return got

    def _search(self, words: tuple[str, ...], exact: bool) -> str:
        """SQL condition on the ASCII rows: a substring test on the lower-cased text first
        (most searched words are in no row), then the words' pattern."""
        longest = max(words, key=len)
        if exact:  # anchored: fails at the first character that is neither a separator nor the word's
            return f"contains(lx, {sqlf.lit(longest)}) AND regexp_full_match(lx, {sqlf.lit(_run_pattern(words, exact))})"
        return f"contains(lx, {sqlf.lit(longest)}) AND regexp_matches(lx, {sqlf.lit(_run_pattern(words, exact))})"

    def has(self, words: tuple[str, ...]) -> bool:
        if not self._letters and not all(w.isdigit() for w in words):
            return False
        return self._any(words, False)

    def has_exact(self, words: tuple[str, ...]) -> bool:
        return self._any(words, True)

    def _any(self, words: tuple[str, ...], exact: bool) -> bool:
        key = (words, exact)
        hit = self._runs.get(key)
        if hit is None:
            if (words, exact) in self._lines_of:
                hit = bool(len(self._lines_of[(words, exact)]))
            else:
                other = self._other.has_exact(words) if exact else self._other.has(words)
                hit = other or bool(self.store.one(f"SELECT count(*) FROM (SELECT 1 FROM {self.src} WHERE {self._search(words, exact)} LIMIT 1)")[0])
            self._runs[key] = hit
        return hit

    def lines_with(self, words: tuple[str, ...], exact: bool = False) -> np.ndarray:
        """(H,) int64 sorted lines holding ``words`` as a run (``exact``: as all their words)."""
        key = (words, exact)
        hit = self._lines_of.get(key)
        if hit is None:
            if self._runs.get(key) is False:
                hit = np.zeros(0, dtype=np.int64)
            else:
                rows = self.store.rows(f"SELECT line, x FROM {self.src} WHERE {self._search(words, exact)} ORDER BY line")
                self._texts.update(rows)
                ascii_lines = np.array([r[0] for r in rows], dtype=np.int64)
                other = self._other_lines[self._other.lines_with(words, exact)] if len(self._other_lines) else ascii_lines[:0]
                hit = np.union1d(ascii_lines, other).astype(np.int64)
            self._lines_of[key] = hit
        return hit

    def line_words(self, line: int) -> list[str]:
        return list(match_words(self.text(int(line)).replace("\n", " ")))

    @property
    def all_stop(self) -> np.ndarray:
        """bool (R,): lines of stop words alone (at most :data:`STOP_LINE_MAX_BYTES`)."""
        if self._stop is None and not self._letters:  # every stop word has a letter
            self._stop = np.zeros(self.n_lines, dtype=bool)
        if self._stop is None:
            rows = self.store.rows(f"SELECT line, x FROM {self.src} WHERE regexp_matches(lx, {sqlf.lit(_STOP_ONLY)})")
            self._texts.update(rows)
            out = np.zeros(self.n_lines, dtype=bool)
            for line, text in rows:
                words = match_words(text)
                out[line] = bool(words) and len(" ".join(words)) + 2 <= STOP_LINE_MAX_BYTES
            if len(self._other_lines):
                out[self._other_lines] = self._other.all_stop
            self._stop = out
        return self._stop

    def stop_lines_with(self, word: str) -> np.ndarray:
        stop = np.flatnonzero(self.all_stop)
        return np.array([t for t in stop.tolist() if word in self.counted(t)], dtype=np.int64)


class _Lines:
    """The display text of each line, read when asked for."""

    def __init__(self, words: EngineWords) -> None:
        self.words = words

    def __len__(self) -> int:
        return self.words.n_lines

    def __getitem__(self, line: int) -> str:
        return self.words.text(int(line))
