"""How often: a filter on how often a cell's text occurs, and a yes/no on how many
rows are carried (issue 12, group comparisons): declared here, registered by ``ops.py``.

``occurs_at_least(rows, column, n)`` keeps the carried rows whose (non-empty)
display text occurs in at least ``n`` rows of the column, counted over the whole
table: "how many areas have at least 5 stations" is
``count_distinct(occurs_at_least(reset, "Area", 5), "Area")``, "which year had
at least three movies" ``print(occurs_at_least(reset, "Year", 3), "Year")``.

It is a row-independent condition like ``greater``: counted over the whole
column, not over the carried rows, so the soft executor precomputes it for each
column and constant as it does every filter. Not learned by default (the rule
of issue 12; ``npqa train --with-op occurs_at_least`` adds it). Its SQL is one
``IN`` over a grouped subquery of ``t``.

``count_exceeds(rows, n)`` answers yes when more than ``n`` rows are carried
("do Chipper Adams and Justin Beyendeza have more than 3 wins?" is
``count_exceeds(word_match(word_match(reset, "Driver", "chipper adams"),
"Co-driver", "justin beyendeza"), 3)``). A terminal op taking a constant, so no
model learns it (:attr:`OpSpec.trainable`).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from sqlglot import exp

from npqa.lang.language import ColumnType, ConstantType, OpSpec, Result, Role
from npqa.lang.sqldb import TABLE, ident


def occurs_at_least_hard(column: Any, value: float) -> np.ndarray:
    """bool (R,): the non-empty cells whose text occurs in at least ``value`` rows of the column."""
    live = column.nonempty  # (R,)
    codes = column.text_codes  # (R,)
    per_text = np.bincount(codes[live], minlength=int(codes.max(initial=-1)) + 1)  # (U,)
    return live & (per_text[codes] >= float(value))


def _occurs_at_least_sql(ctx: Any, value: float) -> Any:
    """``"X" IN (SELECT "X" FROM "t" WHERE "X" <> '' GROUP BY "X" HAVING COUNT(*) >= n)``."""
    text = ctx.col.text
    often = (
        exp.select(text.copy())
        .from_(exp.Table(this=ident(TABLE)))
        .where(ctx.nonempty())
        .group_by(text.copy())
        .having(exp.GTE(this=exp.Count(this=exp.Star()), expression=ctx.literal(float(value))))
    )
    return exp.In(this=text.copy(), query=often.subquery())


def _count_exceeds_sql(ctx: Any, value: float) -> Any:
    """``CASE WHEN COUNT(*) > n THEN 'yes' ELSE 'no' END`` over the carried rows."""
    more = exp.GT(this=exp.Count(this=exp.Star()), expression=ctx.literal(float(value)))
    return ctx.select(exp.Case(ifs=[exp.If(this=more, true=exp.Literal.string("yes"))], default=exp.Literal.string("no")))


def declare_groups(declare: Callable[..., OpSpec]) -> None:
    """Declare ``occurs_at_least`` and ``count_exceeds`` with ``declare`` (``ops.py``'s)."""
    declare(
        name="occurs_at_least",
        role=Role.ROWS,
        result=Result.ROWS,
        doc="the carried rows whose cell's text occurs in at least N rows of the column (areas with at least 5 stations)",
        column=ColumnType.ANY,
        constant=ConstantType.NUMBER,
        condition=True,
        learned=False,
        hard=occurs_at_least_hard,
        sql=_occurs_at_least_sql,
    )
    declare(
        name="count_exceeds",
        role=Role.TERMINAL,
        result=Result.YES_NO,
        doc="yes if more than N rows are carried, else no (did they win more than 3 times)",
        constant=ConstantType.NUMBER,
        learned=False,
        hard=lambda rows, column, value: (rows.sum(axis=-1) > float(value)).astype(np.float64),
        sql=_count_exceeds_sql,
    )
