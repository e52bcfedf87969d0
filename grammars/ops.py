"""The op table of npqa's program language: each op declared exactly once.

A declaration gives the op's name, argument and result types, its reference
semantics (numpy, ``hard``), its differentiable semantics (torch, ``soft``,
batched) and its part of the SQL (sqlglot, ``sql``, over a
:class:`npqa.lang.sql.SqlContext`: a filter's condition, a row op's new carried
rows, a terminal op's SELECT). Masks, type checks, the executor, the text form
and the SQL renderer are all derived from this table; ``docs/LANGUAGE.md`` is
the prose version.

Semantics worth knowing
-----------------------
* Programs start from the table's *start rows*: every row but its summary rows
  (a trailing ``Total``/``Average`` row, a repeated header row:
  ``npqa.table.summary``), so counts, sums and superlatives leave those out;
  ``reset`` returns to the start rows.
* Filters keep the carried rows passing a condition; NaN / unknown never passes.
  ``word_match`` also keeps the summary rows it matches (``reads_summary``), so
  ``print(word_match(reset, "Nation", "total"), "Gold")`` reads the Total row.
* ``word_match``: the cell's words (``npqa.table.text.match_text``) contain the
  constant's words as a contiguous run. ``also_match`` is its union form: the
  carried rows *plus* the matching rows, so ``difference(also_match(word_match(
  reset, "City", "los angeles"), "City", "saskatoon"), "Passengers")`` compares
  two rows.
* Date comparisons use the constant's precision: ``greater(reset, "Date",
  2004-05-xx)`` compares year and month only, so a cell in May 2004 is neither
  greater nor less; a cell whose date lacks the month cannot be compared.
* ``argmax``/``argmin`` keep *every* carried row holding the extreme (ties);
  a date's missing month/day count as 0 for ordering.
* ``mode`` keeps every carried row whose (non-empty) display text is among
  the most frequent texts of the carried rows.
* ``difference`` is the largest minus the smallest number of the carried rows
  (so ``how many more … than …`` over two selected rows is never negative).
* ``sum`` of no numbers is 0; ``average``/``difference`` of no numbers give no answer.
* ``print`` gives the distinct non-empty display texts of the carried rows,
  in order of first appearance.

Every ``hard`` function takes rows of shape ``(..., R)``: the executor passes
one row set, the oracle a whole batch of them.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from sqlglot import exp

from npqa.lang.language import ColumnType, ConstantType, Language, OpSpec, Result, Role
from npqa.table.values import Date

LANGUAGE = Language()


def _declare(**kwargs: Any) -> OpSpec:
    return LANGUAGE.declare(OpSpec(**kwargs))


# ---------------------------------------------------------------------------
# filters: a row-independent condition on one column against one constant
# ---------------------------------------------------------------------------
def _compare(column: Any, value: Any, cmp: Callable[[np.ndarray, float], np.ndarray]) -> np.ndarray:
    """bool (R,): ``cmp(cell, constant)`` at the constant's precision."""
    if isinstance(value, Date):
        parts = 1 + (value.month is not None) + (value.month is not None and value.day is not None)
        key = column.date_key(parts)
        target = _date_target(value, parts)
    else:
        key, target = column.num, float(value)
    with np.errstate(invalid="ignore"):
        return cmp(key, target) & ~np.isnan(key)


def _date_target(value: Date, parts: int) -> float:
    target = float(value.year)  # type: ignore[arg-type]
    if parts >= 2:
        target = target * 100 + value.month  # type: ignore[operator]
    if parts >= 3:
        target = target * 100 + value.day  # type: ignore[operator]
    return target


def _compare_sql(ctx: Any, value: Any, sql_op: str) -> Any:
    """SQL condition mirroring :func:`_compare`: ``"Year.num" > 2004``,
    ``"Date.year" * 100 + "Date.month" >= 200405``, and for equality the parts
    one by one, ``"Date.year" = 2004 AND "Date.month" = 5`` (the same, as parts are
    whole numbers with month 1-12 and day 1-31)."""
    if isinstance(value, Date):
        parts = 1 + (value.month is not None) + (value.month is not None and value.day is not None)
        if sql_op == "=":
            names = ("year", "month", "day")[:parts]
            return exp.and_(*(ctx.compare("=", getattr(ctx.col, n), ctx.literal(getattr(value, n))) for n in names))
        return ctx.compare(sql_op, ctx.date_key(parts), ctx.literal(_date_target(value, parts)))
    return ctx.compare(sql_op, ctx.col.num, ctx.literal(float(value)))


for _name, _doc, _cmp, _sql_op in [
    ("greater", "rows whose value is greater than the constant", np.greater, ">"),
    ("less", "rows whose value is less than the constant", np.less, "<"),
    ("geq", "rows whose value is greater than or equal to the constant", np.greater_equal, ">="),
    ("leq", "rows whose value is less than or equal to the constant", np.less_equal, "<="),
    ("equal", "rows whose value equals the constant", np.equal, "="),
]:
    _declare(
        name=_name,
        role=Role.ROWS,
        result=Result.ROWS,
        doc=_doc,
        column=ColumnType.ORDERED,
        constant=ConstantType.ORDERED,
        condition=True,
        hard=lambda column, value, _cmp=_cmp: _compare(column, value, _cmp),
        sql=lambda ctx, value, _op=_sql_op: _compare_sql(ctx, value, _op),
    )


def _word_match(column: Any, value: str) -> np.ndarray:
    from npqa.table.text import padded

    needle = padded(value)
    return np.array([needle in cell for cell in column.norm], dtype=bool)


for _name, _doc, _union in [
    ("word_match", "rows whose cell contains the constant's words (summary rows included)", False),
    ("also_match", "the carried rows plus the rows whose cell contains the constant's words", True),
]:
    _declare(
        name=_name,
        role=Role.ROWS,
        result=Result.ROWS,
        doc=_doc,
        column=ColumnType.ANY,
        constant=ConstantType.STRING,
        condition=True,
        union=_union,
        reads_summary=not _union,
        hard=_word_match,
        sql=lambda ctx, value: ctx.contains_words(value),
    )


# ---------------------------------------------------------------------------
# row ops that depend on the carried rows
# ---------------------------------------------------------------------------
def _first_soft(rows: Any, cols: Any, alpha: Any) -> Any:
    before = (1 - rows).cumprod(dim=1)  # (B, R): no row selected up to and including i
    before = before.roll(1, dims=1)
    before[:, 0] = 1.0
    return rows * before  # (B, R)


_declare(
    name="reset",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the table's start rows, every row but its summary rows (the start of every program)",
    hard=lambda rows, column: np.ones_like(rows),  # the executors intersect it with the start rows
    soft=lambda rows, cols, alpha: cols.start.clone(),
    sql=lambda ctx: ctx.pick(ctx.start()),
)
_declare(
    name="keep",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the carried rows unchanged (the no-op step)",
    hard=lambda rows, column: rows.copy(),
    soft=lambda rows, cols, alpha: rows,
    sql=lambda ctx: ctx.rows,
)
_declare(
    name="first",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the first carried row",
    hard=lambda rows, column: rows & (np.cumsum(rows, axis=-1) == 1),
    soft=_first_soft,
    sql=lambda ctx: ctx.pick(ctx.compare("=", ctx.row, ctx.carried(exp.Min(this=ctx.row)).subquery()), single=True),
)
_declare(
    name="last",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the last carried row",
    hard=lambda rows, column: rows & (np.cumsum(rows[..., ::-1], axis=-1)[..., ::-1] == 1),
    soft=lambda rows, cols, alpha: _first_soft(rows.flip(1), cols, alpha).flip(1),
    sql=lambda ctx: ctx.pick(ctx.compare("=", ctx.row, ctx.carried(exp.Max(this=ctx.row)).subquery()), single=True),
)
_declare(
    name="previous",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the rows just above the carried rows",
    hard=lambda rows, column: _shift_hard(rows, -1),
    soft=lambda rows, cols, alpha: _shift(rows, -1) * cols.valid,
    sql=lambda ctx: ctx.pick(_shifted_sql(ctx, -1), single=ctx.rows.single),
)
_declare(
    name="next",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the rows just below the carried rows",
    hard=lambda rows, column: _shift_hard(rows, +1),
    soft=lambda rows, cols, alpha: _shift(rows, +1) * cols.valid,
    sql=lambda ctx: ctx.pick(_shifted_sql(ctx, +1), single=ctx.rows.single),
)


def _shifted_sql(ctx: Any, by: int) -> Any:
    """``"row#" IN (SELECT "row#" - 1 FROM <carried>)`` for ``by=-1`` (the rows just above)."""
    step = exp.Literal.number(abs(by))
    shifted = exp.Add(this=ctx.row, expression=step) if by > 0 else exp.Sub(this=ctx.row, expression=step)
    return exp.In(this=ctx.row, query=ctx.carried(shifted).subquery())


def _shift_hard(rows: np.ndarray, by: int) -> np.ndarray:
    """bool (..., R): ``out[..., i] = rows[..., i - by]``, False-filled."""
    out = np.zeros_like(rows)
    if by > 0:
        out[..., by:] = rows[..., :-by]
    else:
        out[..., :by] = rows[..., -by:]
    return out


def _shift(rows: Any, by: int) -> Any:
    """(B, R) -> (B, R): ``out[:, i] = rows[:, i - by]``, zero-filled."""
    out = rows.roll(by, dims=1)
    if by > 0:
        out[:, :by] = 0.0
    else:
        out[:, by:] = 0.0
    return out


def _extreme_hard(rows: np.ndarray, column: Any, largest: bool) -> np.ndarray:
    """bool (..., R): the carried rows whose order key equals the carried extreme."""
    key = np.where(rows, column.order, np.nan)  # (..., R)
    fill = -np.inf if largest else np.inf
    filled = np.where(np.isnan(key), fill, key)
    best = filled.max(axis=-1, keepdims=True) if largest else filled.min(axis=-1, keepdims=True)  # (..., 1)
    return rows & (key == best)


def _extreme_soft(rows: Any, cols: Any, alpha: Any, largest: bool, key: str = "order") -> Any:
    """(B, R) probability that each row holds the carried rows' extreme,
    averaged over columns by ``alpha`` (B, C); exact for 0/1 rows."""
    return (_extreme_per_column(rows, cols, largest, key) * alpha[:, :, None]).sum(1)  # (B, R)


def _extreme_per_column(rows: Any, cols: Any, largest: bool, key: str) -> Any:
    """(B, C, R): row i holds the extreme of column c among the carried rows."""
    value = getattr(cols, key).transpose(1, 2)  # (B, C, R)
    has = getattr(cols, "has_" + key).transpose(1, 2)  # (B, C, R)
    live = rows[:, None, :] * has  # (B, C, R)
    return live * _unbeaten(value, live, largest)  # (B, C, R)


def _unbeaten(value: Any, live: Any, largest: bool) -> Any:
    """(B, C, R): the product over rows j strictly better than row i of (1 - live_j).

    Exact for 0/1 ``live``; O(R log R) by sorting instead of comparing all pairs:
    in best-first order the product is an exclusive cumulative product, taken at
    the first row of each group of equal values so that ties do not beat each other.
    """
    import torch

    order = torch.argsort(value, dim=-1, descending=largest)  # (B, C, R)
    v = value.gather(-1, order)  # (B, C, R) best first
    keep = (1 - live).gather(-1, order)  # (B, C, R)
    excl = torch.cumprod(torch.cat([torch.ones_like(keep[..., :1]), keep[..., :-1]], -1), -1)  # (B, C, R)
    pos = torch.arange(v.shape[-1]).expand_as(v)
    new_group = torch.ones_like(v, dtype=torch.bool)
    new_group[..., 1:] = v[..., 1:] != v[..., :-1]
    start = torch.cummax(torch.where(new_group, pos, torch.zeros_like(pos)), -1).values  # (B, C, R)
    sorted_unbeaten = excl.gather(-1, start)  # (B, C, R)
    return torch.empty_like(sorted_unbeaten).scatter_(-1, order, sorted_unbeaten)


def _mode_hard(rows: np.ndarray, column: Any) -> np.ndarray:
    """bool (..., R): the carried non-empty rows whose text is among the most frequent."""
    live = rows & column.nonempty  # (..., R)
    codes = column.text_codes  # (R,)
    if live.ndim == 1:
        per_text = np.bincount(codes[live], minlength=int(codes.max(initial=-1)) + 1)  # (U,)
    else:
        onehot = np.zeros((len(codes), int(codes.max(initial=-1)) + 1), dtype=np.int64)  # (R, U)
        onehot[np.arange(len(codes)), codes] = 1
        per_text = live.astype(np.int64) @ onehot  # (..., U)
    count = np.where(live, per_text[..., codes], 0)  # (..., R): carried rows sharing row i's text
    top = count.max(axis=-1, keepdims=True)  # (..., 1)
    return live & (count == top) & (top > 0)


def _mode_soft(rows: Any, cols: Any, alpha: Any) -> Any:
    live = rows[:, None, :] * cols.nonempty.transpose(1, 2)  # (B, C, R)
    ids = cols.text_id.transpose(1, 2).clamp_min(0)  # (B, C, R) padding rows have live = 0
    per_text = live.new_zeros(live.shape).scatter_add_(-1, ids, live)  # (B, C, R): carried rows per text id
    count = per_text.gather(-1, ids)  # (B, C, R): carried rows sharing row i's text
    unbeaten = _unbeaten(count.detach(), live, largest=True)  # (B, C, R)
    return (live * unbeaten * alpha[:, :, None]).sum(1)  # (B, R)


_declare(
    name="argmax",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the carried rows holding the column's largest value",
    column=ColumnType.ORDERED,
    hard=lambda rows, column: _extreme_hard(rows, column, True),
    soft=lambda rows, cols, alpha: _extreme_soft(rows, cols, alpha, True),
    sql=lambda ctx: ctx.narrow(ctx.compare("=", ctx.order_key(), ctx.carried(exp.Max(this=ctx.order_key()), reused=True).subquery())),
)
_declare(
    name="argmin",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the carried rows holding the column's smallest value",
    column=ColumnType.ORDERED,
    hard=lambda rows, column: _extreme_hard(rows, column, False),
    soft=lambda rows, cols, alpha: _extreme_soft(rows, cols, alpha, False),
    sql=lambda ctx: ctx.narrow(ctx.compare("=", ctx.order_key(), ctx.carried(exp.Min(this=ctx.order_key()), reused=True).subquery())),
)
_declare(
    name="mode",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the carried rows holding the column's most frequent text",
    column=ColumnType.ANY,
    hard=_mode_hard,
    soft=_mode_soft,
    sql=lambda ctx: ctx.narrow(exp.In(this=ctx.col.text, query=ctx.most_frequent())),
)


# ---------------------------------------------------------------------------
# terminal ops: rows -> answer
# ---------------------------------------------------------------------------
def _live_numbers(rows: np.ndarray, column: Any) -> tuple[np.ndarray, np.ndarray]:
    """(values with 0 where not counted, counted mask), both (..., R)."""
    live = rows & ~np.isnan(column.num)
    return np.where(live, column.num, 0.0), live


def _sum_hard(rows: np.ndarray, column: Any) -> np.ndarray:
    """float (...): added in table order (cumsum), as SQLite adds."""
    vals, _ = _live_numbers(rows, column)
    return np.cumsum(vals, axis=-1)[..., -1] if vals.shape[-1] else np.zeros(vals.shape[:-1])


def _average_hard(rows: np.ndarray, column: Any) -> np.ndarray:
    """float (...): NaN (no answer) where no carried row holds a number."""
    _, live = _live_numbers(rows, column)
    n = live.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, _sum_hard(rows, column) / np.maximum(n, 1), np.nan)


def _difference_hard(rows: np.ndarray, column: Any) -> np.ndarray:
    """float (...): largest minus smallest carried number; NaN where there is none."""
    _, live = _live_numbers(rows, column)
    hi = np.where(live, column.num, -np.inf).max(axis=-1)
    lo = np.where(live, column.num, np.inf).min(axis=-1)
    return np.where(live.any(axis=-1), hi - lo, np.nan)


def _print_hard(rows: np.ndarray, column: Any) -> list[Any]:
    """The distinct non-empty texts of the carried rows, in order of first
    appearance (a list per row set when batched)."""
    if rows.ndim > 1:
        return [_print_hard(r, column) for r in rows]
    return list(dict.fromkeys(column.texts[i] for i in np.flatnonzero(rows & column.nonempty)))


def _soft_sum(rows: Any, cols: Any, alpha: Any) -> Any:
    per_col = (rows[:, :, None] * cols.num * cols.has_num).sum(1)  # (B, C)
    return (per_col * alpha).sum(1)  # (B,)


def _soft_average(rows: Any, cols: Any, alpha: Any) -> Any:
    total = (rows[:, :, None] * cols.num * cols.has_num).sum(1)  # (B, C)
    n = (rows[:, :, None] * cols.has_num).sum(1)  # (B, C)
    return (total / n.clamp_min(1e-6) * alpha).sum(1)  # (B,)


def _soft_extreme_value(rows: Any, cols: Any, largest: bool) -> Any:
    """(B, C): the carried rows' largest (smallest) number in each column."""
    p = _extreme_per_column(rows, cols, largest, "num")  # (B, C, R)
    return (p * cols.num.transpose(1, 2)).sum(-1) / p.sum(-1).clamp_min(1e-6)  # (B, C)


def _soft_difference(rows: Any, cols: Any, alpha: Any) -> Any:
    spread = _soft_extreme_value(rows, cols, True) - _soft_extreme_value(rows, cols, False)  # (B, C)
    return (spread * alpha).sum(1)  # (B,)


def _print_soft(rows: Any, cols: Any, alpha: Any) -> Any:
    return rows[:, :, None] * alpha[:, None, :] * cols.nonempty  # (B, R, C)


_declare(
    name="count",
    role=Role.TERMINAL,
    result=Result.NUMBER,
    doc="how many rows are carried",
    hard=lambda rows, column: rows.sum(axis=-1).astype(np.float64),
    soft=lambda rows, cols, alpha: rows.sum(1),
    sql=lambda ctx: ctx.select(exp.Count(this=exp.Star())),
)
_declare(
    name="sum",
    role=Role.TERMINAL,
    result=Result.NUMBER,
    doc="the sum of the column's numbers over the carried rows (0 if none)",
    column=ColumnType.NUMBER,
    hard=_sum_hard,
    soft=_soft_sum,
    sql=lambda ctx: ctx.select(exp.Coalesce(this=exp.Sum(this=ctx.col.num), expressions=[exp.Literal.number(0)])),
)
_declare(
    name="average",
    role=Role.TERMINAL,
    result=Result.NUMBER,
    doc="the mean of the column's numbers over the carried rows",
    column=ColumnType.NUMBER,
    hard=_average_hard,
    soft=_soft_average,
    sql=lambda ctx: ctx.select(exp.Avg(this=ctx.col.num)),
)
_declare(
    name="difference",
    role=Role.TERMINAL,
    result=Result.NUMBER,
    doc="the largest minus the smallest of the column's numbers over the carried rows",
    column=ColumnType.NUMBER,
    hard=_difference_hard,
    soft=_soft_difference,
    sql=lambda ctx: ctx.select(exp.Sub(this=exp.Max(this=ctx.col.num), expression=exp.Min(this=ctx.col.num))),
)
_declare(
    name="print",
    role=Role.TERMINAL,
    result=Result.CELLS,
    doc="the column's distinct non-empty cells in the carried rows",
    column=ColumnType.ANY,
    hard=_print_hard,
    soft=_print_soft,
    sql=lambda ctx: ctx.select_cells(),
)
