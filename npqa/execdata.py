"""Per-table arrays the executors work on, computed once per table.

``TableData`` turns a :class:`npqa.table.Table` into numpy arrays: numbers,
date parts, the order key used by max/min, and the padded match text of
word-match. The reference executor, the oracle and the model's precomputed
features all read these, so every consumer sees the same values.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from npqa.question import first_rows, match_lines
from npqa.text import padded

if TYPE_CHECKING:
    from npqa.table import Column, Table


@dataclass
class ColumnData:
    """One column as arrays; every array has shape ``(R,)``.

    ``codes``/``first`` tie rows to the column's distinct texts when every
    value is a function of the text (columns read by
    :func:`npqa.table.make_column`): row ``r`` holds text ``codes[r]``, first
    seen at row ``first[codes[r]]``. Then :meth:`distinct_view` gives the same
    column over its distinct texts, so that a per-cell condition is computed
    once per distinct text and spread back with ``codes``.
    """

    name: str
    kind: str  # "number" | "date" | "text"
    texts: list[str]  # display text, "" for an empty cell
    nonempty: np.ndarray  # bool (R,)
    num: np.ndarray  # float64 (R,), NaN where the cell holds no number
    year: np.ndarray  # float64 (R,), NaN where unknown
    month: np.ndarray  # float64 (R,)
    day: np.ndarray  # float64 (R,)
    order: np.ndarray  # float64 (R,): what max/min compare; NaN never wins
    codes: np.ndarray | None = field(default=None, repr=False)  # intp (R,) distinct text of each row
    first: np.ndarray | None = field(default=None, repr=False)  # intp (U,) first row of each distinct text
    distinct: list[str] | None = field(default=None, repr=False)  # (U,) the distinct texts (repeats allowed)

    @functools.cached_property
    def norm(self) -> list[str]:
        """(R,) padded match text (:func:`npqa.text.padded`) of each cell, built on first use."""
        if self.distinct is None or self.codes is None:
            return [padded(t) for t in self.texts]
        lines = match_lines(self.distinct).decode("ascii").split("\n")[1:-1]  # (U,) " w1 w2 " or " "
        norm_u = np.array([line if line != " " else "  " for line in lines], dtype=object)  # (U,)
        return norm_u[self.codes].tolist()

    @functools.cached_property
    def text_codes(self) -> np.ndarray:
        """intp (R,): equal codes for equal display texts, numbered by first appearance."""
        import pandas as pd

        if self.distinct is None or self.codes is None:
            return pd.factorize(np.asarray(self.texts, dtype=object))[0]
        return pd.factorize(np.asarray(self.distinct, dtype=object))[0][self.codes]

    def distinct_view(self) -> "ColumnData | None":
        """The column over its distinct texts (U rows), or None when rows are not
        tied to texts (``codes``); spread a result back with ``result[..., codes]``."""
        if self.codes is None or self.first is None or self.distinct is None:
            return None
        f = self.first
        return ColumnData(
            name=self.name,
            kind=self.kind,
            texts=self.distinct,
            nonempty=self.nonempty[f],
            num=self.num[f],
            year=self.year[f],
            month=self.month[f],
            day=self.day[f],
            order=self.order[f],
            codes=np.arange(len(f)),
            distinct=self.distinct,
        )

    def date_key(self, parts: int) -> np.ndarray:
        """float64 (R,): ``year``, ``year*100+month`` or ``year*10000+month*100+day``
        for ``parts`` = 1, 2, 3; NaN where the cell lacks one of those parts."""
        key = self.year.copy()
        if parts >= 2:
            key = key * 100 + self.month
        if parts >= 3:
            key = key * 100 + self.day
        return key


def date_order_key(year: float, month: float, day: float) -> float:
    """Sort key of a (possibly partial) date: unknown month/day count as 0,
    an unknown year makes the date unordered (NaN)."""
    if math.isnan(year):
        return math.nan
    m = 0.0 if math.isnan(month) else month
    d = 0.0 if math.isnan(day) else day
    return year * 10000 + m * 100 + d


@dataclass
class TableData:
    """A table as arrays, with its columns by name."""

    columns: list[ColumnData]
    n_rows: int

    def __post_init__(self) -> None:
        self.by_name = {c.name: c for c in self.columns}

    @property
    def column_kinds(self) -> dict[str, str]:
        return {c.name: c.kind for c in self.columns}

    def __getitem__(self, name: str) -> ColumnData:
        return self.by_name[name]

    @classmethod
    def from_table(cls, table: "Table") -> "TableData":
        """Arrays of every column; a lazily read column (``Column.lazy``) gets them on first use."""
        columns = [LazyColumnData(col) if getattr(col, "lazy", False) else column_data(col) for col in table.columns]
        return cls(columns, table.n_rows)


class LazyColumnData(ColumnData):
    """:class:`ColumnData` of a lazily read column (:class:`npqa.arrowtable.ArrowColumn`).

    ``name``, ``kind`` and ``nonempty`` (what the model's inputs read of every
    column) are there at once; the other arrays are :func:`column_data`'s, built
    when first read (the executor reads them for the columns a program uses).
    """

    def __init__(self, col: "Column") -> None:  # noqa: D107 - no dataclass __init__
        self.name = col.name
        self.kind = col.kind
        self._col = col

    @functools.cached_property
    def _full(self) -> ColumnData:
        return column_data(self._col)

    @property
    def nonempty(self) -> np.ndarray:  # type: ignore[override]
        return self._col.nonempty  # type: ignore[attr-defined]

    texts = property(lambda self: self._full.texts)  # type: ignore[assignment]
    num = property(lambda self: self._full.num)  # type: ignore[assignment]
    year = property(lambda self: self._full.year)  # type: ignore[assignment]
    month = property(lambda self: self._full.month)  # type: ignore[assignment]
    day = property(lambda self: self._full.day)  # type: ignore[assignment]
    order = property(lambda self: self._full.order)  # type: ignore[assignment]
    codes = property(lambda self: self._full.codes)  # type: ignore[assignment]
    first = property(lambda self: self._full.first)  # type: ignore[assignment]
    distinct = property(lambda self: self._full.distinct)  # type: ignore[assignment]


def _date_parts(dates: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def column_data(col: "Column") -> ColumnData:
    """A column's arrays. A column read by :func:`npqa.table.make_column` (with
    ``distinct``/``codes``) is worked per distinct text and spread with ``codes``."""
    num = np.asarray(col.numbers, dtype=np.float64)
    n = len(col.texts)
    if col.distinct is None or col.codes is None or len(col.codes) != n:
        year, month, day = _date_parts(col.dates)
        return ColumnData(
            name=col.name,
            kind=col.kind,
            texts=list(col.texts),
            nonempty=np.array([t != "" for t in col.texts], dtype=bool),
            num=num,
            year=year,
            month=month,
            day=day,
            order=_order(col.kind, num, year, month, day),
        )
    codes = np.asarray(col.codes)
    distinct = list(col.distinct)
    first = first_rows(codes, len(distinct))  # (U,) first row of each text
    year_u, month_u, day_u = _date_parts([col.dates[i] for i in first.tolist()])  # (U,) ×3
    order_u = _order(col.kind, num[first], year_u, month_u, day_u)  # (U,)
    nonempty_u = np.array([t != "" for t in distinct], dtype=bool)  # (U,)
    return ColumnData(
        name=col.name,
        kind=col.kind,
        texts=list(col.texts),
        nonempty=nonempty_u[codes],
        num=num,
        year=year_u[codes],
        month=month_u[codes],
        day=day_u[codes],
        order=order_u[codes],
        codes=codes,
        first=first,
        distinct=distinct,
    )
