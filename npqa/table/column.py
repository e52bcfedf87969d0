"""One column type for every reader, and the table that holds the columns.

A :class:`Column` is what every part of npqa reads of a table column, whoever
read the file: the pandas path gives a :class:`MemoryColumn`, the big-file path
an :class:`npqa.table.arrow.ArrowColumn` whose values are computed on first use;
an engine-backed column implements the same members. There are three layers:

* **cells** (given by the reader): ``name``, ``kind``, ``n_rows`` and per row the
  display ``texts``, the first ``numbers`` (in a column of durations, the
  duration in seconds), the ``numbers2`` after it, the ``dates`` and the
  ``durations`` (seconds of ``1:23.45``, ``2:08:24``, ``2h 15m``);
  ``distinct``/``codes`` tie rows to distinct texts when every value is a
  function of the text (``texts[r] == distinct[codes[r]]``), else ``None``;
  ``notes`` say what the reader guessed without being sure;
* **arrays** (derived here, once, on first use): ``num``, ``year``, ``month``,
  ``day``, ``order`` (what max/min compare), ``nonempty``, ``first``, ``norm``
  (the padded match text of word-match), ``text_codes``, :meth:`Column.date_key`
  and :meth:`Column.distinct_view`. The executor, the oracle, the SQL writer and
  the model's features all read these, so every consumer sees the same values;
* **linking's questions** (cheap answers a reader may give faster):
  :meth:`Column.lines`, :meth:`Column.has_number`, :meth:`Column.date_values`,
  :attr:`Column.has_letters`; and what finding summary rows asks,
  :meth:`Column.rows_with` and :meth:`Column.text_at`.

A :class:`Table` also knows its *summary rows* (a trailing ``Total`` or
``Average`` row, header rows repeated inside the body: :mod:`npqa.table.summary`),
which programs leave out of the rows they start from.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from npqa.table.text import ascii_lower, match_lines, padded
from npqa.table.values import Date

KIND_THRESHOLD = 0.7
"""A column is "number"/"date" when at least this share of its non-empty cells parse.

Measured on WTQ's 2,108 tables, 13,445 columns (``bench/bench_load.py --once
--kinds``): at 0.7 there are 6,770 number, 565 date and 6,110 text columns;
0.6 would make 168 more columns (1.2%) non-text and 0.8 196 fewer (1.5%), so the
choice is not sensitive. 0.7 leaves room for a few "—" or "n/a" cells in a
numeric column while a column of names with the odd number stays text.
"""


def is_duration_column(n_durations: int, n_nonempty: int) -> bool:
    """A column whose non-empty cells are mostly durations (at least
    :data:`KIND_THRESHOLD`) reads its numbers as seconds: a column of
    race times then orders, sums and subtracts by time (its first numbers, the minutes
    of ``1:48.64``, would tie)."""
    return n_nonempty > 0 and n_durations / n_nonempty >= KIND_THRESHOLD


class Column:
    """A table column (see the module docstring for its three layers).

    Subclasses provide the cell members (as attributes or properties); this
    class derives everything else from them.
    """

    name: str  # unique header text (whitespace collapsed; empty/duplicate made unique)
    kind: str  # "number" | "date" | "text"
    texts: Sequence[str]  # (R,) display text (whitespace collapsed, "" for empty)
    numbers: np.ndarray  # float64 (R,): the cell's (first) number, NaN where none
    numbers2: np.ndarray | None  # float64 (R,): the number after the first (3–1 → 1), NaN where none
    dates: Sequence[Date | None]  # (R,) the cell's date, None where none
    durations: np.ndarray | None = None  # float64 (R,): seconds of the duration the cell starts with, NaN where none
    distinct: np.ndarray | Sequence[str] | None  # (U,) distinct texts (repeats allowed)
    codes: np.ndarray | None  # intp (R,): texts[r] == distinct[codes[r]]
    notes: Sequence[str] = ()  # what the reader guessed without being sure (decimal commas, date order)
    duration_numbers: bool = False  # the numbers are the durations in seconds (is_duration_column)

    @property
    def n_rows(self) -> int:
        return len(self.texts)

    # -- arrays ----------------------------------------------------------------------
    def _tied(self) -> bool:
        """Rows are tied to distinct texts (``codes``), so arrays are worked per text."""
        return self.distinct is not None and self.codes is not None and len(self.codes) == self.n_rows

    @functools.cached_property
    def num(self) -> np.ndarray:
        """float64 (R,): the cell's number, NaN where none."""
        return np.asarray(self.numbers, dtype=np.float64)

    @functools.cached_property
    def num2(self) -> np.ndarray:
        """float64 (R,): the number after the cell's first one (the 2 of ``5–2``), NaN where none."""
        if self.numbers2 is None:
            return np.full(self.n_rows, np.nan)
        return np.asarray(self.numbers2, dtype=np.float64)

    @functools.cached_property
    def dur(self) -> np.ndarray:
        """float64 (R,): the cell's duration in seconds, NaN where none."""
        if self.durations is None:
            return np.full(self.n_rows, np.nan)
        return np.asarray(self.durations, dtype=np.float64)

    @functools.cached_property
    def first(self) -> np.ndarray | None:
        """intp (U,): the first row holding each distinct text (None when rows are not tied)."""
        return first_rows(np.asarray(self.codes), len(self.distinct)) if self._tied() else None  # type: ignore[arg-type]

    @functools.cached_property
    def _date_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(year, month, day, order), each float64 (R,); worked per distinct text when tied."""
        if not self._tied():
            year, month, day = _date_parts(self.dates)
            return year, month, day, _order(self.kind, self.num, year, month, day)
        first, codes = self.first, np.asarray(self.codes)
        year_u, month_u, day_u = _date_parts([self.dates[i] for i in first.tolist()])  # type: ignore[union-attr]
        order_u = _order(self.kind, self.num[first], year_u, month_u, day_u)  # (U,)
        return year_u[codes], month_u[codes], day_u[codes], order_u[codes]

    @property
    def year(self) -> np.ndarray:
        """float64 (R,): the date's year, NaN where unknown."""
        return self._date_arrays[0]

    @property
    def month(self) -> np.ndarray:
        """float64 (R,)."""
        return self._date_arrays[1]

    @property
    def day(self) -> np.ndarray:
        """float64 (R,)."""
        return self._date_arrays[2]

    @property
    def order(self) -> np.ndarray:
        """float64 (R,): what max/min compare (:func:`date_order_key` for dates); NaN never wins."""
        return self._date_arrays[3]

    @functools.cached_property
    def nonempty(self) -> np.ndarray:
        """bool (R,): the cell has some text."""
        if not self._tied():
            return np.array([t != "" for t in self.texts], dtype=bool)
        nonempty_u = np.array([t != "" for t in self.distinct], dtype=bool)  # type: ignore[union-attr]
        return nonempty_u[np.asarray(self.codes)]

    @functools.cached_property
    def norm(self) -> list[str]:
        """(R,) padded match text (:func:`npqa.table.text.padded`) of each cell."""
        if not self._tied():
            return [padded(t) for t in self.texts]
        lines = match_lines(list(self.distinct)).decode("ascii").split("\n")[1:-1]  # type: ignore[arg-type]
        norm_u = np.array([line if line != " " else "  " for line in lines], dtype=object)  # (U,) " w1 w2 " or "  "
        return norm_u[np.asarray(self.codes)].tolist()

    @functools.cached_property
    def text_codes(self) -> np.ndarray:
        """intp (R,): equal codes for equal display texts, numbered by first appearance."""
        import pandas as pd

        if not self._tied():
            return pd.factorize(np.asarray(self.texts, dtype=object))[0]
        return pd.factorize(np.asarray(self.distinct, dtype=object))[0][np.asarray(self.codes)]

    def date_key(self, parts: int) -> np.ndarray:
        """float64 (R,): ``year``, ``year*100+month`` or ``year*10000+month*100+day``
        for ``parts`` = 1, 2, 3; NaN where the cell lacks one of those parts."""
        key = self.year.copy()
        if parts >= 2:
            key = key * 100 + self.month
        if parts >= 3:
            key = key * 100 + self.day
        return key

    def distinct_view(self) -> "MemoryColumn | None":
        """The column over its distinct texts (U rows), or None when rows are not
        tied to texts; spread a per-cell result back with ``result[..., codes]``."""
        if not self._tied():
            return None
        first = self.first.tolist()  # type: ignore[union-attr]
        distinct = list(self.distinct)  # type: ignore[arg-type]
        numbers2 = None if self.numbers2 is None else np.asarray(self.numbers2)[first]
        return MemoryColumn(
            self.name, distinct, self.num[first], [self.dates[i] for i in first], self.kind,
            numbers2, distinct, np.arange(len(distinct)), self.dur[first], self.notes, self.duration_numbers,
        )  # fmt: skip

    # -- what linking asks ---------------------------------------------------------------
    @property
    def has_letters(self) -> bool | None:
        """False when no cell's match words hold a letter; None when the reader cannot tell cheaply."""
        return None

    def lines(self) -> tuple[Sequence[str], np.ndarray, bytes]:
        """(texts (U,), codes (R,), their :func:`npqa.table.text.match_lines`) for question
        linking, ``texts[codes[r]]`` being row r's text (codes may be a function giving
        them, called when first needed)."""
        if self._tied():
            distinct = list(self.distinct)  # type: ignore[arg-type]
            codes = np.asarray(self.codes)
        else:
            import pandas as pd

            codes, uniques = pd.factorize(np.asarray(self.texts, dtype=object))  # (R,), (U,)
            distinct = list(uniques)
        return distinct, codes, match_lines(distinct)

    def words(self) -> object | None:
        """Linking's searches over this column, when the reader answers them itself (an
        :class:`npqa.table.index.ColumnWords`, as :mod:`npqa.table.duckwords` gives for
        big engine columns); ``None``: linking builds them from :meth:`lines`."""
        return None

    def has_number(self, value: float) -> bool:
        """Some cell's (first) number is within 1e-6 of ``value``."""
        return bool(np.any(np.abs(self.num - value) < 1e-6))

    def date_keys(self, mask: tuple[bool, bool, bool]) -> set[tuple[int, ...]]:
        """The ``mask``-ed parts (year, month, day) of every cell date that has all of them
        (what a date constant with those known parts is compared with)."""
        return date_keys_of(self.date_values(), mask)

    def date_values(self) -> set[Date]:
        """The distinct dates of the cells."""
        if not self._tied():
            return set(self.dates) - {None}  # type: ignore[arg-type]
        return {self.dates[i] for i in self.first.tolist()} - {None}  # type: ignore[union-attr, misc]

    # -- what finding summary rows asks -------------------------------------------------
    def rows_with(self, text: str) -> np.ndarray:
        """bool (R,): the rows whose display text equals ``text`` ignoring ASCII case."""
        want = ascii_lower(text)
        if not self._tied():
            return np.array([ascii_lower(t) == want for t in self.texts], dtype=bool).reshape(self.n_rows)
        hit_u = np.array([ascii_lower(t) == want for t in self.distinct], dtype=bool)  # type: ignore[union-attr]
        return hit_u[np.asarray(self.codes)]

    def text_at(self, rows: Sequence[int]) -> list[str]:
        """The display texts of ``rows``."""
        return [self.texts[int(r)] for r in rows]


@dataclass(eq=False)
class MemoryColumn(Column):
    """A column whose cell values are all in memory (the pandas path, tests, DataFrames)."""

    name: str
    texts: Sequence[str]
    numbers: np.ndarray
    dates: Sequence[Date | None]
    kind: str
    numbers2: np.ndarray | None = None
    distinct: np.ndarray | Sequence[str] | None = field(default=None, repr=False)
    codes: np.ndarray | None = field(default=None, repr=False)
    durations: np.ndarray | None = field(default=None, repr=False)
    notes: Sequence[str] = ()
    duration_numbers: bool = False


@dataclass
class Table:
    """A typed table: its columns (all of the same length) and where it came from."""

    columns: list[Column]
    source: str  # file path, "<stdin>" or "<dataframe>"
    by_name: dict[str, Column] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.by_name = {c.name: c for c in self.columns}

    @property
    def n_rows(self) -> int:
        return self.columns[0].n_rows if self.columns else 0

    @property
    def n_columns(self) -> int:
        return len(self.columns)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def column_kinds(self) -> dict[str, str]:
        return {c.name: c.kind for c in self.columns}

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError if there is none)."""
        return self.by_name[name]

    __getitem__ = column

    @functools.cached_property
    def summary_rows(self) -> np.ndarray:
        """bool (R,): rows that summarise or repeat the others (a trailing ``Total``
        row, a header row repeated in the body), found by :mod:`npqa.table.summary`.
        Programs start from the other rows (:attr:`start_rows`); a word match still
        reads them. Assign an array to override."""
        from npqa.table.summary import find_summary_rows

        return find_summary_rows(self.columns, self.n_rows)

    @property
    def start_rows(self) -> np.ndarray:
        """bool (R,): the rows a program starts from (every row but the summary rows)."""
        return ~self.summary_rows

    @property
    def notices(self) -> list[str]:
        """What the reader guessed without being sure, and the summary rows left out."""
        from npqa.table.summary import summary_notice

        out = [note for c in self.columns for note in c.notes]
        if self.summary_rows.any():
            out.append(summary_notice(self.columns, self.summary_rows))
        return out


def first_rows(codes: np.ndarray, n: int) -> np.ndarray:
    """intp (n,): the first row holding each code 0..n-1 (0 for a code no row holds).

    O(R) when codes are numbered by first appearance (as ``pandas.factorize``
    numbers them), else by sorting."""
    first = np.zeros(n, dtype=np.intp)
    if not len(codes):
        return first
    before = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))  # (R,) largest code in earlier rows
    new = np.flatnonzero(codes > before)  # (U',) rows where a new largest code appears
    if len(new) == n and np.array_equal(codes[new], np.arange(n)):
        return new.astype(np.intp)
    seen, where = np.unique(codes, return_index=True)
    first[seen] = where
    return first


def date_keys_of(dates: Iterable[Date], mask: tuple[bool, bool, bool]) -> set[tuple[int, ...]]:
    """:meth:`Column.date_keys` of ``dates``."""
    keys = set()
    for date in dates:
        parts = tuple(p for p, m in zip((date.year, date.month, date.day), mask) if m)
        if None not in parts:
            keys.add(parts)
    return keys  # type: ignore[return-value]


def date_order_key(year: float, month: float, day: float) -> float:
    """Sort key of a (possibly partial) date: unknown month/day count as 0,
    an unknown year makes the date unordered (NaN)."""
    if math.isnan(year):
        return math.nan
    m = 0.0 if math.isnan(month) else month
    d = 0.0 if math.isnan(day) else day
    return year * 10000 + m * 100 + d


def _date_parts(dates: Sequence[Date | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float64 (N,) ×3: year, month, day of each date, NaN where unknown or no date."""
    n = len(dates)
    year = np.full(n, np.nan)
    month = np.full(n, np.nan)
    day = np.full(n, np.nan)
    for i, d in enumerate(dates):
        if d is not None:
            year[i] = np.nan if d.year is None else d.year
            month[i] = np.nan if d.month is None else d.month
            day[i] = np.nan if d.day is None else d.day
    return year, month, day


def _order(kind: str, num: np.ndarray, year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """float64 (N,): the max/min key, :func:`date_order_key` for date columns."""
    if kind == "date":
        key = year * 10000 + np.nan_to_num(month, nan=0.0) * 100 + np.nan_to_num(day, nan=0.0)
        return np.where(np.isnan(year), np.nan, key)
    if kind == "number":
        return num.copy()
    return np.full(len(num), np.nan)
