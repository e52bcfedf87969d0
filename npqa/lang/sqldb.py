"""The SQLite copy of a table that printed SQL runs on (``--db``), and how its columns are named.

The table is SQLite table ``t`` (:func:`write_sqlite`): one TEXT column per
table column holding the display text, named by its header, and helper columns
for what programs need — the parsed number (``"<name>.num"``) and the one after
it (``.num2``), date parts
(``.year``, ``.month``, ``.day``), the padded match text (``.words``) and the
row position (``"row#"``). Helper names that clash with a header get a ``#2``,
``#3``, … suffix, so they never collide (:class:`Schema`).
"""
from __future__ import annotations

import functools
import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlglot import exp

if TYPE_CHECKING:
    from npqa.table.column import Table

TABLE = "t"
DERIVED = ("num", "num2", "year", "month", "day", "words")


def ident(name: str) -> exp.Identifier:
    """A quoted SQL identifier."""
    return exp.to_identifier(name, quoted=True)


def col_ref(name: str) -> exp.Column:
    """A reference to column ``name`` (quoted)."""
    return exp.Column(this=ident(name))


@dataclass(frozen=True)
class SqlColumn:
    """The SQL names of one table column and of its derived columns."""

    kind: str
    names: dict[str, str]  # "text", "num", "num2", "year", "month", "day", "words" -> SQL column name
    typed: bool = False  # the text column holds typed values (a database's numbers, dates), NULL when empty

    def __getattr__(self, which: str) -> exp.Column:
        try:
            return col_ref(self.names[which])
        except KeyError:
            raise AttributeError(which) from None


@dataclass(frozen=True)
class Schema:
    """How a table's columns are named in SQL."""

    row: str
    columns: dict[str, SqlColumn]
    summary: str | None = None  # the summary-row flag's column, when the table has summary rows

    @classmethod
    def of(cls, names: list[str], kinds: list[str], summary: bool = False, typed: list[bool] | None = None) -> "Schema":
        """Names for ``names``' columns and helpers; ``typed`` marks columns whose
        values are typed (empty is NULL, not ``''``)."""
        taken = set(names)

        def fresh(base: str) -> str:
            name, k = base, 1
            while name in taken:
                k += 1
                name = f"{base}#{k}"
            taken.add(name)
            return name

        row = fresh("row#")
        flag = fresh("summary#") if summary else None
        cols = {}
        for j, (name, kind) in enumerate(zip(names, kinds)):
            derived = {d: fresh(f"{name}.{d}") for d in DERIVED}
            cols[name] = SqlColumn(kind, {"text": name, **derived}, bool(typed[j]) if typed is not None else False)
        return cls(row, cols, flag)

    @classmethod
    def of_table(cls, table: "Table") -> "Schema":
        """The schema of ``table`` (its column names and kinds, whether it has summary rows)."""
        return cls.of(table.names, [c.kind for c in table.columns], bool(table.summary_rows.any()))

    @functools.cached_property
    def helpers(self) -> dict[str, tuple[str, str | None]]:
        """Each helper column's SQL name -> (which helper, the column it is read from;
        ``("row", None)`` for the row position)."""
        out: dict[str, tuple[str, str | None]] = {self.row: ("row", None)}
        if self.summary is not None:
            out[self.summary] = ("summary", None)
        for name, col in self.columns.items():
            out.update({sql_name: (which, name) for which, sql_name in col.names.items() if which != "text"})
        return out



# ---------------------------------------------------------------------------
# the database
# ---------------------------------------------------------------------------
def _sql_value(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _sql_int(x: float) -> int | None:
    return None if math.isnan(x) else int(x)


INSERT_CHUNK = 65_536
"""Rows converted and inserted at a time by :func:`write_sqlite`."""


def _sql_values(x: np.ndarray) -> list[float | None]:
    """:func:`_sql_value` of every element (float64 (N,)), vectorised."""
    out = x.astype(object)
    out[np.isnan(x)] = None
    return out.tolist()


def _sql_ints(x: np.ndarray) -> list[int | None]:
    """:func:`_sql_int` of every element (float64 (N,)), vectorised."""
    out = np.full(len(x), None, dtype=object)
    ok = ~np.isnan(x)
    out[ok] = x[ok].astype(np.int64).tolist()
    return out.tolist()


def write_sqlite(data: "Table", target: str | Path | sqlite3.Connection) -> Schema:
    """Write the table as SQLite table ``t`` (replacing any old one); return its schema."""
    schema = Schema.of_table(data)
    conn = target if isinstance(target, sqlite3.Connection) else sqlite3.connect(str(target))
    try:
        coldefs = [exp.ColumnDef(this=ident(schema.row), kind=exp.DataType.build("INTEGER"))]
        if schema.summary is not None:
            coldefs.append(exp.ColumnDef(this=ident(schema.summary), kind=exp.DataType.build("INTEGER")))
        summary = data.summary_rows.astype(int).tolist() if schema.summary is not None else None
        types = {"text": "TEXT", "num": "REAL", "num2": "REAL", "year": "INTEGER", "month": "INTEGER", "day": "INTEGER", "words": "TEXT"}
        for col in data.columns:
            for which, sql_name in schema.columns[col.name].names.items():  # text, num, num2, year, month, day, words
                coldefs.append(exp.ColumnDef(this=ident(sql_name), kind=exp.DataType.build(types[which])))
        create = exp.Create(this=exp.Schema(this=exp.Table(this=ident(TABLE)), expressions=coldefs), kind="TABLE")
        drop = exp.Drop(tables=[exp.Table(this=ident(TABLE))], kind="TABLE", exists=True)
        conn.execute(drop.sql("sqlite"))
        conn.execute(create.sql("sqlite"))
        marks = ", ".join("?" * len(coldefs))
        insert = f'INSERT INTO "{TABLE}" VALUES ({marks})'  # only placeholders are formatted in
        for start in range(0, data.n_rows, INSERT_CHUNK):  # a chunk of rows at a time: memory stays flat
            stop = min(start + INSERT_CHUNK, data.n_rows)
            parts: list[Any] = [range(start, stop)]
            if summary is not None:
                parts.append(summary[start:stop])
            for col in data.columns:
                parts += [
                    col.texts[start:stop],
                    _sql_values(col.num[start:stop]),
                    _sql_values(col.num2[start:stop]),
                    _sql_ints(col.year[start:stop]),
                    _sql_ints(col.month[start:stop]),
                    _sql_ints(col.day[start:stop]),
                    col.norm[start:stop],
                ]
            conn.executemany(insert, zip(*parts))
        conn.commit()
    finally:
        if not isinstance(target, sqlite3.Connection):
            conn.close()
    return schema
