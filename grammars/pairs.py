"""Ops over the numbers of two columns of the same rows (issue 12, part C): declared
here, registered by ``ops.py``.

Their constant is the name of a second column (:attr:`ConstantType.COLUMN`),
written in the text form like a string: ``exceeds(rows, "Won", "Lost")``. Each
reads the number of each cell (:attr:`npqa.table.column.Column.num`, as
``number_in`` does), so a column of years with the odd ``Present`` serves.

* ``exceeds``: the carried rows whose number in the first column is greater
  than their number in the second ("teams with winning records": Won > Lost);
  a row lacking either number never passes;
* ``sum_two``: the sum of both columns' numbers over the carried rows ("total
  assists and turnovers combined"; 0 if none, as ``sum``);
* ``span``: the sum over the carried rows of the gap between the two numbers,
  ``|second - first|``, counting only rows holding both ("how long did he
  coach": From 2007, Until 2011 gives 4); no answer when no row holds both.

None is learned, nor can be as the model stands (:attr:`OpSpec.trainable`: the
controller points at one column per step); they serve the programs people write
(``npqa run``) and the hand-written dev programs.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from sqlglot import exp

from npqa.lang.language import ColumnType, ConstantType, OpSpec, Result, Role

_ZERO = exp.Literal.number(0)


def _exceeds_hard(column: Any, other: Any) -> np.ndarray:
    """bool (R,): the first column's number is greater than the second's."""
    with np.errstate(invalid="ignore"):
        return column.num > other.num  # NaN compares False


def _sum_two_hard(rows: np.ndarray, column: Any, other: Any) -> np.ndarray:
    """float64 (...,): the sum of both columns' numbers over the carried rows (rows (..., R))."""
    both = np.nan_to_num(column.num) + np.nan_to_num(other.num)  # (R,)
    return np.where(rows, both, 0.0).sum(axis=-1)


def _span_hard(rows: np.ndarray, column: Any, other: Any) -> np.ndarray:
    """float64 (...,): the sum of |second - first| over the carried rows holding both numbers; NaN if none."""
    gap = np.abs(other.num - column.num)  # (R,) NaN unless both
    live = rows & ~np.isnan(gap)  # (..., R)
    total = np.where(live, np.nan_to_num(gap), 0.0).sum(axis=-1)
    return np.where(live.any(axis=-1), total, np.nan)


def _sum_two_sql(ctx: Any, other: str) -> Any:
    """``COALESCE(SUM(a), 0) + COALESCE(SUM(b), 0)`` over the carried rows."""
    summed = [exp.Coalesce(this=exp.Sum(this=num), expressions=[_ZERO.copy()]) for num in (ctx.col.num, ctx.column(other).num)]
    return ctx.select(exp.Add(this=summed[0], expression=summed[1]))


def _span_sql(ctx: Any, other: str) -> Any:
    """``SUM(ABS(b - a))`` over the carried rows (NULL gaps left out; NULL when none)."""
    return ctx.select(exp.Sum(this=exp.Abs(this=exp.Sub(this=ctx.column(other).num, expression=ctx.col.num))))


def declare_pairs(declare: Callable[..., OpSpec]) -> None:
    """Declare the three ops with ``declare`` (``ops.py``'s)."""
    declare(
        name="exceeds",
        role=Role.ROWS,
        result=Result.ROWS,
        doc="the carried rows whose number is greater than their number in a second column (Won > Lost: winning records)",
        column=ColumnType.ANY,
        constant=ConstantType.COLUMN,
        condition=True,
        learned=False,
        hard=_exceeds_hard,
        sql=lambda ctx, other: exp.GT(this=ctx.col.num, expression=ctx.column(other).num),
    )
    for name, doc, hard, sql in [
        ("sum_two", "the sum of two columns' numbers over the carried rows (assists and turnovers combined; 0 if none)",
         _sum_two_hard, _sum_two_sql),
        ("span", "the gap between two columns' numbers, summed over the carried rows holding both (From 2007, Until 2011: 4)",
         _span_hard, _span_sql),
    ]:  # fmt: skip
        declare(
            name=name,
            role=Role.TERMINAL,
            result=Result.NUMBER,
            doc=doc,
            column=ColumnType.ANY,
            constant=ConstantType.COLUMN,
            learned=False,
            hard=hard,
            sql=sql,
        )
