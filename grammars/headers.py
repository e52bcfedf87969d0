"""Answers that are a column's name (issue 12, column headers): declared here,
registered by ``ops.py``.

Some tables are written across: the years, months or regions are the columns
and one row holds the measure ("what year saw the greatest value for
manufacturing and metal?" over a table whose columns are ``2007/08`` …
``2011/12``). The answer is then a column's name:

* ``header_argmax(rows)``: the name of the number column whose numbers, summed
  over the carried rows, are largest (for one carried row: the column holding
  the row's largest number);
* ``header_argmin(rows)``: the same, smallest.

The columns compared are the table's number columns (:attr:`Table.column_kinds`)
except those whose name labels a summary (``Total``, ``Average``: the labels of
:mod:`npqa.table.summary`), so "which region had the least" is never answered
``Total``. A column whose carried cells hold no number is left out; ties go to
the column further left; no column left gives no answer.

Neither op takes a column or a constant, and they read the whole table, so no
model learns them (:attr:`OpSpec.trainable`); they serve the programs people
write (``npqa run``) and the hand-written dev programs. Their SQL unpivots the
sums, one ``UNION ALL`` branch per column, and keeps the first by value.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from sqlglot import exp

from npqa.lang.language import OpSpec, Result, Role
from npqa.table.summary import LABEL


def compared_columns(kinds: dict[str, str]) -> list[str]:
    """The names the header ops compare, in table order: the number columns not
    named as a summary.

    >>> compared_columns({"Region": "text", "Total": "number", "Poland": "number", "Baltic": "number"})
    ['Poland', 'Baltic']
    """
    return [name for name, kind in kinds.items() if kind == "number" and not LABEL(name.strip())]


def _header_hard(largest: bool) -> Callable[[np.ndarray, Any], list[Any]]:
    def hard(rows: np.ndarray, table: Any) -> list[Any]:
        """The winning column's name as a one-item list (``[]`` when no column has a
        carried number); a list of those when ``rows`` is batched (..., R)."""
        if rows.ndim > 1:
            return [hard(r, table) for r in rows]
        names = compared_columns(table.column_kinds)
        if not names:
            return []
        nums = np.stack([table.column(name).num for name in names])  # (C, R)
        held = rows & ~np.isnan(nums)  # (C, R)
        sums = np.where(held, np.nan_to_num(nums), 0.0).sum(axis=1)  # (C,)
        sums[~held.any(axis=1)] = np.nan  # a column with no carried number is left out
        if np.isnan(sums).all():
            return []
        best = np.nanargmax(sums) if largest else np.nanargmin(sums)  # the first of ties: further left
        return [names[int(best)]]

    return hard


def _header_sql(largest: bool) -> Callable[[Any], exp.Select]:
    def sql(ctx: Any) -> exp.Select:
        """``SELECT "name" FROM (SELECT 'A' AS "name", 1 AS "pos", SUM("A.num") AS
        "total" FROM <rows> UNION ALL …) WHERE NOT "total" IS NULL ORDER BY "total"
        DESC, "pos" LIMIT 1`` (ASC for the smallest)."""
        alias = lambda text: exp.to_identifier(text, quoted=True)  # noqa: E731
        names = compared_columns({name: col.kind for name, col in ctx.schema.columns.items()})
        if not names:  # no number column: a query with no row
            return exp.select(exp.Literal.string("")).where(exp.false())
        ctx.name_rows()
        union: exp.Expression | None = None
        for pos, name in enumerate(names, start=1):
            branch = ctx.carried(exp.alias_(exp.Literal.string(name), alias("name"))).select(
                exp.alias_(exp.Literal.number(pos), alias("pos")),
                exp.alias_(exp.Sum(this=ctx.column(name).num), alias("total")),
                append=True,
            )
            union = branch if union is None else exp.union(union, branch, distinct=False)
        total = exp.column(alias("total"))
        return (
            exp.select(exp.column(alias("name")))
            .limit(1)  # set before FROM, as sqlglot's parser does, so that the tree equals its own parse
            .from_(union.subquery(alias("sums")))  # type: ignore[union-attr]
            .where(exp.Not(this=exp.Is(this=total.copy(), expression=exp.Null())))
            .order_by(exp.Ordered(this=total, desc=largest, nulls_first=not largest), exp.column(alias("pos")))
        )

    return sql


def declare_headers(declare: Callable[..., OpSpec]) -> None:
    """Declare ``header_argmax`` and ``header_argmin`` with ``declare`` (``ops.py``'s)."""
    for name, largest, doc in [
        ("header_argmax", True, "the name of the number column with the largest sum over the carried rows (the year with the greatest value, in a table whose columns are years)"),
        ("header_argmin", False, "the name of the number column with the smallest sum over the carried rows (the region with the fewest cases)"),
    ]:  # fmt: skip
        declare(
            name=name,
            role=Role.TERMINAL,
            result=Result.CELLS,
            doc=doc,
            whole_table=True,
            learned=False,
            hard=_header_hard(largest),
            sql=_header_sql(largest),
        )
