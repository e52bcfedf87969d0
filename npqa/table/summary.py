"""Summary rows: rows that summarise or repeat the others rather than add one.

A ``Total`` row at the bottom of a medal table is counted, summed and wins
every superlative if it is read as a row like the others. Two kinds are found:

* **trailing summary rows**: among the last :data:`TRAILING` rows of a table
  (leaving at least two rows above them), a row with a cell whose whole text is
  a summary label (``Total``, ``Totals:``, ``Grand total``, ``Career total``,
  ``Average``, ``Mean``, ``Total (75 NPCs)``: :data:`LABEL`) that appears in no
  other row of its column (a column of eclipse types holds ``Total`` in many
  rows: those are values, not summaries);
* **repeated header rows**: a row where at least two cells, and at least half
  of its non-empty cells, equal their column's name (ignoring ASCII case).

Programs start from the other rows (:attr:`npqa.table.column.Table.start_rows`):
``count``, ``sum``, ``argmax`` and the rest leave the summary rows out unless a
word match names them (``print(word_match(reset, "Nation", "total"), "Gold")``
still reads the Total row). Only the column members :meth:`~npqa.table.column.Column.rows_with`,
``text_at`` and ``nonempty`` are read, so a big table is never read row by row.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

TRAILING = 3
"""How many rows at the bottom of a table may be summary rows."""

LABEL = re.compile(
    r"(?:(?:grand|career|overall|team|league|club)\s+)?(?:totals?|averages?|avg\.?|mean)"
    r"(?:\s*\([^()]*\))?\s*[:.*]?",
    re.IGNORECASE,
).fullmatch
"""A cell text that labels its row as a summary."""


def find_summary_rows(columns: Sequence[Any], n_rows: int) -> np.ndarray:
    """bool (R,): the summary rows of a table with these columns (see the module docstring)."""
    out = np.zeros(n_rows, dtype=bool)
    if n_rows < 2 or not columns:
        return out
    out |= _repeated_headers(columns, n_rows)
    tail = list(range(n_rows - min(TRAILING, n_rows - 2), n_rows))  # at least two rows stay above
    for col in columns:
        for r, text in zip(tail, col.text_at(tail)):
            if not out[r] and LABEL(text) and int(col.rows_with(text).sum()) == 1:
                out[r] = True
    return out


def _repeated_headers(columns: Sequence[Any], n_rows: int) -> np.ndarray:
    """bool (R,): rows where >= 2 cells, and >= half the non-empty ones, are their column's name."""
    equal = np.zeros(n_rows, dtype=np.int64)  # (R,)
    for col in columns:
        equal += col.rows_with(col.name)
    out = np.zeros(n_rows, dtype=bool)
    for r in np.flatnonzero(equal >= 2).tolist():
        filled = sum(bool(col.nonempty[r]) for col in columns)
        out[r] = equal[r] * 2 >= filled
    return out


def summary_notice(columns: Sequence[Any], summary: np.ndarray) -> str:
    """One line saying which rows were left out and how to read them anyway."""
    rows = np.flatnonzero(summary).tolist()
    labels = []
    for r in rows[:4]:
        texts = [t for t in (col.text_at([r])[0] for col in columns) if t]
        labels.append(f'row {r + 1} ("{texts[0] if texts else ""}")')
    more = f" and {len(rows) - 4} more" if len(rows) > 4 else ""
    which = "row" if len(rows) == 1 else "rows"
    return (
        f"summary {which} left out of counts, sums and superlatives: {', '.join(labels)}{more} "
        f"of {len(summary)}; a question naming {'it' if len(rows) == 1 else 'them'} still reads {'it' if len(rows) == 1 else 'them'}"
    )
