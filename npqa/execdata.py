"""Per-table arrays the executors work on, computed once per table.

``TableData`` turns a :class:`npqa.table.Table` into numpy arrays: numbers,
date parts, the order key used by max/min, and the padded match text of
word-match. The reference executor, the oracle and the model's precomputed
features all read these, so every consumer sees the same values.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from npqa.text import padded

if TYPE_CHECKING:
    from npqa.table import Table


@dataclass
class ColumnData:
    """One column as arrays; every array has shape ``(R,)``."""

    name: str
    kind: str  # "number" | "date" | "text"
    texts: list[str]  # display text, "" for an empty cell
    nonempty: np.ndarray  # bool (R,)
    num: np.ndarray  # float64 (R,), NaN where the cell holds no number
    year: np.ndarray  # float64 (R,), NaN where unknown
    month: np.ndarray  # float64 (R,)
    day: np.ndarray  # float64 (R,)
    order: np.ndarray  # float64 (R,): what max/min compare; NaN never wins
    norm: list[str]  # padded match text (npqa.text.padded)

    @functools.cached_property
    def same_text(self) -> np.ndarray:
        """int64 (R, R): 1 where rows i and j hold the same display text."""
        ids = pd.factorize(np.asarray(self.texts, dtype=object))[0]
        return (ids[:, None] == ids[None, :]).astype(np.int64)

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
        cols = []
        for col in table.columns:
            n = len(col.texts)
            year = np.full(n, np.nan)
            month = np.full(n, np.nan)
            day = np.full(n, np.nan)
            for i, d in enumerate(col.dates):
                if d is not None:
                    year[i] = np.nan if d.year is None else d.year
                    month[i] = np.nan if d.month is None else d.month
                    day[i] = np.nan if d.day is None else d.day
            num = np.asarray(col.numbers, dtype=np.float64)
            if col.kind == "date":
                order = np.array([date_order_key(y, m, d) for y, m, d in zip(year, month, day)], dtype=np.float64)
            elif col.kind == "number":
                order = num.copy()
            else:
                order = np.full(n, np.nan)
            cols.append(
                ColumnData(
                    name=col.name,
                    kind=col.kind,
                    texts=list(col.texts),
                    nonempty=np.array([t != "" for t in col.texts], dtype=bool),
                    num=num,
                    year=year,
                    month=month,
                    day=day,
                    order=order,
                    norm=[padded(t) for t in col.texts],
                )
            )
        return cls(cols, table.n_rows)
