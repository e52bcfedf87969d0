"""Programs as SQL: built with sqlglot's expression builder, never by pasting.

The table lives in SQLite as table ``t`` (see :func:`write_sqlite`): one TEXT
column per table column holding the display text, named by its header, and
derived columns for what the program needs — the parsed number (``"<name>.num"``),
date parts (``.year``, ``.month``, ``.day``), the padded match text
(``.words``), the row position (``"row#"``) and, for a table with summary
rows, whether the row is one (``"summary#"``: a program starts from the rows
where it is 0, :attr:`npqa.table.column.Table.start_rows`). Derived names that
clash with a header get a ``#2``, ``#3``, … suffix, so they never collide.

Each row step becomes one CTE ``stepN`` holding the selected row positions;
the terminal op SELECTs from ``t`` restricted to the last CTE.
"""
from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlglot import exp

from npqa.lang.language import Language, Program
from npqa.table.text import padded

if TYPE_CHECKING:
    from npqa.table.column import Table

TABLE = "t"
DERIVED = ("num", "year", "month", "day", "words")


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str) -> exp.Column:
    return exp.Column(this=_ident(name))


@dataclass(frozen=True)
class SqlColumn:
    """The SQL names of one table column and of its derived columns."""

    kind: str
    names: dict[str, str]  # "text", "num", "year", "month", "day", "words" -> SQL column name

    def __getattr__(self, which: str) -> exp.Column:
        try:
            return _col(self.names[which])
        except KeyError:
            raise AttributeError(which) from None


@dataclass(frozen=True)
class Schema:
    """How a table's columns are named in SQL."""

    row: str
    columns: dict[str, SqlColumn]
    summary: str | None = None  # the summary-row flag's column, when the table has summary rows

    @classmethod
    def of(cls, names: list[str], kinds: list[str], summary: bool = False) -> "Schema":
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
        for name, kind in zip(names, kinds):
            derived = {d: fresh(f"{name}.{d}") for d in DERIVED}
            cols[name] = SqlColumn(kind, {"text": name, **derived})
        return cls(row, cols, flag)

    @classmethod
    def of_table(cls, table: "Table") -> "Schema":
        """The schema of ``table`` (its column names and kinds, whether it has summary rows)."""
        return cls.of(table.names, [c.kind for c in table.columns], bool(table.summary_rows.any()))


@dataclass
class SqlContext:
    """What one op's ``sql`` function sees: the carried rows and its column."""

    schema: Schema
    prev: str | None  # CTE holding the carried rows; None = every row
    col: SqlColumn | None = None

    # -- small pieces --------------------------------------------------------
    @property
    def row(self) -> exp.Column:
        return _col(self.schema.row)

    def literal(self, value: float | str) -> exp.Expression:
        if isinstance(value, str):
            return exp.Literal.string(value)
        if float(value).is_integer() and abs(value) < 1e15:
            return exp.Literal.number(int(value))
        return exp.Literal.number(repr(float(value)))

    def binary(self, op: str, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        cls = {">": exp.GT, "<": exp.LT, ">=": exp.GTE, "<=": exp.LTE, "=": exp.EQ}[op]
        return cls(this=left, expression=right)

    def date_key(self, parts: int) -> exp.Expression:
        """``year``, ``year*100+month``, ``year*10000+month*100+day`` (NULL if a part is)."""
        key: exp.Expression = self.col.year  # type: ignore[union-attr]
        for part in ("month", "day")[: parts - 1]:
            key = exp.Add(
                this=exp.Mul(this=exp.Paren(this=key), expression=exp.Literal.number(100)),
                expression=getattr(self.col, part),
            )
        return key

    def order_key(self) -> exp.Expression:
        """What argmax/argmin compare: the number, or the date with unknown month/day as 0."""
        col = self.col
        assert col is not None
        if col.kind != "date":
            return col.num
        zero = exp.Literal.number(0)
        return exp.Add(
            this=exp.Add(
                this=exp.Mul(this=col.year, expression=exp.Literal.number(10000)),
                expression=exp.Mul(
                    this=exp.Coalesce(this=col.month, expressions=[zero]), expression=exp.Literal.number(100)
                ),
            ),
            expression=exp.Coalesce(this=col.day, expressions=[zero]),
        )

    def contains_words(self, value: str) -> exp.Expression:
        return exp.GT(
            this=exp.StrPosition(this=self.col.words, substr=exp.Literal.string(padded(value))),  # type: ignore[union-attr]
            expression=exp.Literal.number(0),
        )

    def start(self) -> exp.Expression | None:
        """``"summary#" = 0`` (the start rows), or None when the table has no summary rows."""
        if self.schema.summary is None:
            return None
        return exp.EQ(this=_col(self.schema.summary), expression=exp.Literal.number(0))

    def in_carried(self) -> exp.Expression | None:
        """``row# IN (SELECT row# FROM prev)``, the start rows when nothing was selected
        before, or None when those are every row."""
        if self.prev is None:
            return self.start()
        return exp.In(this=self.row, query=exp.select(self.row).from_(_ident(self.prev)).subquery())

    def _carried_from(self) -> exp.Expression:
        """What to select the carried rows' ``row#`` from: the CTE ``prev``, ``t``, or
        ``t``'s start rows when it has summary rows."""
        if self.prev is not None:
            return _ident(self.prev)
        if self.schema.summary is None:
            return _ident(TABLE)
        return self._rows_from_t(self.start()).subquery()

    def _where(self, *conds: exp.Expression | None) -> exp.Expression | None:
        live = [c for c in conds if c is not None]
        return exp.and_(*live) if live else None

    def _rows_from_t(self, *conds: exp.Expression | None) -> exp.Select:
        query = exp.select(self.row).from_(_ident(TABLE))
        where = self._where(*conds)
        return query.where(where) if where is not None else query

    # -- whole SELECTs for the ops --------------------------------------------
    def select_rows(
        self, cond: exp.Expression | None, carried: bool = True, reads_summary: bool = False
    ) -> exp.Select:
        """The carried rows (``carried=False``: the start rows) meeting ``cond``; with
        ``reads_summary``, summary rows meeting it too."""
        if not carried:
            return self._rows_from_t(self.start(), cond)
        if reads_summary and self.schema.summary is not None:
            if self.prev is None:  # the start rows and the summary rows are every row
                return self._rows_from_t(cond)
            summary = exp.EQ(this=_col(self.schema.summary), expression=exp.Literal.number(1))
            return self._rows_from_t(exp.Paren(this=exp.or_(self.in_carried(), summary)), cond)
        return self._rows_from_t(self.in_carried(), cond)

    def select_rows_or(self, cond: exp.Expression) -> exp.Select:
        """The carried rows plus the rows meeting ``cond``."""
        carried = self.in_carried()
        return self._rows_from_t(None if carried is None else exp.or_(carried, cond))

    def select_extreme_row(self, fn: str) -> exp.Select:
        agg = exp.Min if fn == "min" else exp.Max
        pick = exp.select(agg(this=self.row)).from_(self._carried_from())
        return self._rows_from_t(exp.EQ(this=self.row, expression=pick.subquery()))

    def select_shifted(self, by: int) -> exp.Select:
        step = exp.Literal.number(abs(by))
        shifted = exp.Add(this=self.row, expression=step) if by > 0 else exp.Sub(this=self.row, expression=step)
        source = exp.select(self.row).from_(self._carried_from()).subquery()
        return self._rows_from_t(exp.In(this=shifted, query=source))

    def select_extreme_value(self, fn: str) -> exp.Select:
        agg = exp.Max if fn == "max" else exp.Min
        best = exp.select(agg(this=self.order_key())).from_(_ident(TABLE))
        carried = self.in_carried()
        if carried is not None:
            best = best.where(carried)
        return self._rows_from_t(carried, exp.EQ(this=self.order_key(), expression=best.subquery()))

    def select_mode(self) -> exp.Select:
        text = self.col.text  # type: ignore[union-attr]
        nonempty = exp.NEQ(this=text, expression=exp.Literal.string(""))
        where = self._where(self.in_carried(), nonempty)
        counts = exp.select(exp.alias_(exp.Count(this=exp.Star()), "n")).from_(_ident(TABLE)).where(where).group_by(text)
        top = exp.select(exp.Max(this=_col("n"))).from_(counts.subquery("counts"))
        winners = (
            exp.select(text)
            .from_(_ident(TABLE))
            .where(where)
            .group_by(text)
            .having(exp.EQ(this=exp.Count(this=exp.Star()), expression=top.subquery()))
        )
        return self._rows_from_t(self.in_carried(), nonempty, exp.In(this=text, query=winners.subquery()))

    def aggregate(self, fn: str) -> exp.Select:
        if fn == "count":
            value: exp.Expression = exp.Count(this=exp.Star())
        elif fn == "sum":
            value = exp.Coalesce(this=exp.Sum(this=self.col.num), expressions=[exp.Literal.number(0)])  # type: ignore[union-attr]
        elif fn == "avg":
            value = exp.Avg(this=self.col.num)  # type: ignore[union-attr]
        else:  # difference
            value = exp.Sub(this=exp.Max(this=self.col.num), expression=exp.Min(this=self.col.num))  # type: ignore[union-attr]
        query = exp.select(value).from_(_ident(TABLE))
        carried = self.in_carried()
        return query.where(carried) if carried is not None else query

    def select_cells(self) -> exp.Select:
        text = self.col.text  # type: ignore[union-attr]
        nonempty = exp.NEQ(this=text, expression=exp.Literal.string(""))
        query = exp.select(text).from_(_ident(TABLE)).where(self._where(self.in_carried(), nonempty))
        return query.group_by(text).order_by(exp.Min(this=self.row))


def program_sql(program: Program, schema: Schema, language: Language) -> exp.Expression:
    """One SQL query computing ``program`` over table ``t`` written by :func:`write_sqlite`.

    >>> from npqa.grammars.ops import LANGUAGE
    >>> from npqa.lang.language import Step
    >>> schema = Schema.of(["Year", "Team"], ["number", "text"])
    >>> prog = Program((Step("greater", "Year", 2004.0), Step("count")))
    >>> program_sql(prog, schema, LANGUAGE).sql("sqlite")
    'WITH "step1" AS (SELECT "row#" FROM "t" WHERE "Year.num" > 2004) SELECT COUNT(*) FROM "t" WHERE "row#" IN (SELECT "row#" FROM "step1")'
    """
    ctes: list[tuple[str, exp.Select]] = []
    prev: str | None = None
    for i, step in enumerate(program.row_steps, start=1):
        spec = language[step.op]
        ctx = SqlContext(schema, prev, schema.columns[step.column] if step.column is not None else None)
        if spec.condition and spec.union:
            query = ctx.select_rows_or(spec.sql(ctx, step.constant))
        elif spec.condition:
            query = ctx.select_rows(spec.sql(ctx, step.constant), reads_summary=spec.reads_summary)
        else:
            query = spec.sql(ctx)
        name = f"step{i}"
        ctes.append((name, query))
        prev = name
    term = program.terminal
    ctx = SqlContext(schema, prev, schema.columns[term.column] if term.column is not None else None)
    final: exp.Select = language[term.op].sql(ctx)
    for name, query in ctes:
        final = final.with_(_ident(name), as_=query)
    return final


def render(program: Program, schema: Schema, language: Language, dialect: str = "sqlite") -> str:
    """The program's SQL text in ``dialect`` (any dialect sqlglot knows)."""
    return program_sql(program, schema, language).sql(dialect=dialect)


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
        coldefs = [exp.ColumnDef(this=_ident(schema.row), kind=exp.DataType.build("INTEGER"))]
        if schema.summary is not None:
            coldefs.append(exp.ColumnDef(this=_ident(schema.summary), kind=exp.DataType.build("INTEGER")))
        summary = data.summary_rows.astype(int).tolist() if schema.summary is not None else None
        types = {"text": "TEXT", "num": "REAL", "year": "INTEGER", "month": "INTEGER", "day": "INTEGER", "words": "TEXT"}
        for col in data.columns:
            for which, sql_name in schema.columns[col.name].names.items():  # text, num, year, month, day, words
                coldefs.append(exp.ColumnDef(this=_ident(sql_name), kind=exp.DataType.build(types[which])))
        create = exp.Create(this=exp.Schema(this=exp.Table(this=_ident(TABLE)), expressions=coldefs), kind="TABLE")
        drop = exp.Drop(tables=[exp.Table(this=_ident(TABLE))], kind="TABLE", exists=True)
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
