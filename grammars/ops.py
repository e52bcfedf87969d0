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
* ``not_match`` is ``word_match`` negated; ``nonempty`` keeps rows with a cell.
* ``same_as``/``more_than``/``less_than`` (declared ``from_start``) read the
  carried rows as "the row named" and pick among the start rows: the *other*
  rows with the same text, the rows beyond every carried value.
* ``count_distinct`` counts the different non-empty texts of the carried rows.
* ``longest_run`` is the length of the longest run of carried rows next to each
  other in table order (0 for none; a row left out of the start rows breaks a
  run). It has no soft form, and it is ``cued``: the oracle offers it only to
  questions whose words trigger it ("consecutive", "streak", "in a row"…). It
  is not ``learned`` by default: ``npqa train --with-op longest_run`` adds it.
* ``exists`` answers the word ``yes`` when any row is carried, else ``no``; it
  has no soft form (no soft target is a word), and the oracle does not offer it
  on the start rows themselves (``exists(reset)`` says yes whatever was asked).
  It is not ``learned`` by default: ``npqa train --with-op exists`` adds it.
* ``first_part``, ``number_in``, ``second_number`` and ``margin`` answer with a
  part of each carried cell (``parts.py``; learned, with no soft form);
  ``occurs_at_least`` keeps the rows whose text occurs in at least N rows and
  ``count_exceeds`` says whether more than N rows are carried (``groups.py``);
  ``margin_over`` keeps the rows whose cell's two numbers are more than N apart
  (``parts.py``); none of the three is learned by default.
* ``exceeds``, ``sum_two`` and ``span`` read the numbers of two columns of the same rows,
  the second named by their constant (``pairs.py``; no model learns them).
* ``header_argmax``/``header_argmin`` answer with a column's name: the number
  column with the largest (smallest) sum over the carried rows, for tables
  written across (``headers.py``; no model learns them).

The soft forms live in ``soft.py`` (torch, imported only when training).

Every ``hard`` function takes rows of shape ``(..., R)``: the executor passes
one row set, the oracle a whole batch of them.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from sqlglot import exp

from npqa.grammars.soft import (
    beyond_soft, count_distinct_soft, extreme_soft, first_soft, mode_soft, print_soft, same_as_soft,
    shifted_soft, soft_average, soft_difference, soft_sum,
)  # fmt: skip
from npqa.grammars.groups import declare_groups
from npqa.grammars.headers import declare_headers
from npqa.grammars.pairs import declare_pairs
from npqa.grammars.parts import declare_parts, distinct_in_order
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
_declare(
    name="reset",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the table's start rows, every row but its summary rows (the start of every program)",
    from_start=True,
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
    soft=first_soft,
    sql=lambda ctx: ctx.pick(ctx.compare("=", ctx.row, ctx.carried(exp.Min(this=ctx.row)).subquery()), single=True),
)
_declare(
    name="last",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the last carried row",
    hard=lambda rows, column: rows & (np.cumsum(rows[..., ::-1], axis=-1)[..., ::-1] == 1),
    soft=lambda rows, cols, alpha: first_soft(rows.flip(1), cols, alpha).flip(1),
    sql=lambda ctx: ctx.pick(ctx.compare("=", ctx.row, ctx.carried(exp.Max(this=ctx.row)).subquery()), single=True),
)
_declare(
    name="previous",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the rows just above the carried rows",
    hard=lambda rows, column: _shift_hard(rows, -1),
    soft=lambda rows, cols, alpha: shifted_soft(rows, cols, -1),
    sql=lambda ctx: ctx.pick(_shifted_sql(ctx, -1), single=ctx.rows.single),
)
_declare(
    name="next",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the rows just below the carried rows",
    hard=lambda rows, column: _shift_hard(rows, +1),
    soft=lambda rows, cols, alpha: shifted_soft(rows, cols, +1),
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


def _extreme_hard(rows: np.ndarray, column: Any, largest: bool) -> np.ndarray:
    """bool (..., R): the carried rows whose order key equals the carried extreme."""
    key = np.where(rows, column.order, np.nan)  # (..., R)
    fill = -np.inf if largest else np.inf
    filled = np.where(np.isnan(key), fill, key)
    best = filled.max(axis=-1, keepdims=True) if largest else filled.min(axis=-1, keepdims=True)  # (..., 1)
    return rows & (key == best)


def _per_text(live: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """int (..., U): how many ``live`` rows (..., R) hold each text code (``codes`` (R,))."""
    if live.ndim == 1:
        return np.bincount(codes[live], minlength=int(codes.max(initial=-1)) + 1)
    onehot = np.zeros((len(codes), int(codes.max(initial=-1)) + 1), dtype=np.float32)  # (R, U)
    onehot[np.arange(len(codes)), codes] = 1
    return (live.astype(np.float32) @ onehot).astype(np.int64)  # (..., U): float32 counts are exact below 2**24 rows


def _mode_hard(rows: np.ndarray, column: Any) -> np.ndarray:
    """bool (..., R): the carried non-empty rows whose text is among the most frequent."""
    live = rows & column.nonempty  # (..., R)
    codes = column.text_codes  # (R,)
    per_text = _per_text(live, codes)  # (..., U)
    count = np.where(live, per_text[..., codes], 0)  # (..., R): carried rows sharing row i's text
    top = count.max(axis=-1, keepdims=True)  # (..., 1)
    return live & (count == top) & (top > 0)


_declare(
    name="argmax",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the carried rows holding the column's largest value",
    column=ColumnType.ORDERED,
    hard=lambda rows, column: _extreme_hard(rows, column, True),
    soft=lambda rows, cols, alpha: extreme_soft(rows, cols, alpha, True),
    sql=lambda ctx: ctx.narrow(ctx.compare("=", ctx.order_key(), ctx.carried(exp.Max(this=ctx.order_key()), reused=True).subquery())),
)
_declare(
    name="argmin",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the carried rows holding the column's smallest value",
    column=ColumnType.ORDERED,
    hard=lambda rows, column: _extreme_hard(rows, column, False),
    soft=lambda rows, cols, alpha: extreme_soft(rows, cols, alpha, False),
    sql=lambda ctx: ctx.narrow(ctx.compare("=", ctx.order_key(), ctx.carried(exp.Min(this=ctx.order_key()), reused=True).subquery())),
)
_declare(
    name="mode",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the carried rows holding the column's most frequent text",
    column=ColumnType.ANY,
    hard=_mode_hard,
    soft=mode_soft,
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
    return distinct_in_order(rows, column.texts, column.nonempty)


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
    soft=soft_sum,
    sql=lambda ctx: ctx.select(exp.Coalesce(this=exp.Sum(this=ctx.col.num), expressions=[exp.Literal.number(0)])),
)
_declare(
    name="average",
    role=Role.TERMINAL,
    result=Result.NUMBER,
    doc="the mean of the column's numbers over the carried rows",
    column=ColumnType.NUMBER,
    hard=_average_hard,
    soft=soft_average,
    sql=lambda ctx: ctx.select(exp.Avg(this=ctx.col.num)),
)
_declare(
    name="difference",
    role=Role.TERMINAL,
    result=Result.NUMBER,
    doc="the largest minus the smallest of the column's numbers over the carried rows",
    column=ColumnType.NUMBER,
    hard=_difference_hard,
    soft=soft_difference,
    sql=lambda ctx: ctx.select(exp.Sub(this=exp.Max(this=ctx.col.num), expression=exp.Min(this=ctx.col.num))),
)
_declare(
    name="print",
    role=Role.TERMINAL,
    result=Result.CELLS,
    doc="the column's distinct non-empty cells in the carried rows",
    column=ColumnType.ANY,
    hard=_print_hard,
    soft=print_soft,
    sql=lambda ctx: ctx.select_cells(),
)


# ---------------------------------------------------------------------------
# ops the questions need (issue 12, part C): negation, distinct counts,
# comparing with another row's value
# ---------------------------------------------------------------------------
_declare(
    name="not_match",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the carried rows whose cell does not contain the constant's words (besides X, other than X)",
    column=ColumnType.ANY,
    constant=ConstantType.STRING,
    condition=True,
    hard=lambda column, value: ~_word_match(column, value),
    sql=lambda ctx, value: exp.Not(this=ctx.contains_words(value)),
)
_declare(
    name="nonempty",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the carried rows whose cell is not empty",
    column=ColumnType.ANY,
    hard=lambda rows, column: rows & column.nonempty,
    soft=lambda rows, cols, alpha: rows * (cols.nonempty * alpha[:, None, :]).sum(-1),  # (B, R)
    sql=lambda ctx: ctx.narrow(ctx.nonempty()),
)


def _same_as_hard(rows: np.ndarray, column: Any) -> np.ndarray:
    """bool (..., R): the rows not carried whose non-empty text a carried row holds."""
    codes = column.text_codes
    per_text = _per_text(rows & column.nonempty, codes)  # (..., U)
    return ~rows & column.nonempty & (per_text[..., codes] > 0)


def _same_as_sql(ctx: Any) -> Any:
    """``"X" IN (SELECT "X" FROM <carried> …) AND "row#" NOT IN (SELECT "row#" FROM <carried>)``."""
    texts = ctx.carried(ctx.col.text, ctx.nonempty(), reused=True).subquery()
    carried = ctx.carried(ctx.row, reused=True).subquery()
    return ctx.pick(ctx.all_of(ctx.start(), exp.In(this=ctx.col.text, query=texts), exp.Not(this=exp.In(this=ctx.row, query=carried))))


_declare(
    name="same_as",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="the other rows whose cell holds the same text as a carried row's (the same X as Y)",
    column=ColumnType.ANY,
    from_start=True,
    hard=_same_as_hard,
    soft=same_as_soft,
    sql=_same_as_sql,
)


def _beyond_hard(rows: np.ndarray, column: Any, largest: bool) -> np.ndarray:
    """bool (..., R): the rows whose order key is beyond every carried row's
    (greater than their largest, or less than their smallest); none when no
    carried row has a key."""
    key = column.order  # (R,)
    has = ~np.isnan(key)
    live = rows & has  # (..., R)
    if largest:
        edge = np.where(live, key, -np.inf).max(axis=-1, keepdims=True)  # (..., 1)
        with np.errstate(invalid="ignore"):
            beyond = key > edge
    else:
        edge = np.where(live, key, np.inf).min(axis=-1, keepdims=True)  # (..., 1)
        with np.errstate(invalid="ignore"):
            beyond = key < edge
    return beyond & has & live.any(axis=-1, keepdims=True)


def _beyond_sql(ctx: Any, largest: bool) -> Any:
    """``"X.num" > (SELECT MAX("X.num") FROM <carried>)`` (``<`` and MIN for less_than)."""
    edge = ctx.carried(exp.Max(this=ctx.order_key()) if largest else exp.Min(this=ctx.order_key())).subquery()
    return ctx.pick(ctx.all_of(ctx.start(), ctx.compare(">" if largest else "<", ctx.order_key(), edge)))


for _name, _doc, _largest in [
    ("more_than", "the rows whose value is greater than every carried row's (more than X)", True),
    ("less_than", "the rows whose value is less than every carried row's (less than X)", False),
]:
    _declare(
        name=_name,
        role=Role.ROWS,
        result=Result.ROWS,
        doc=_doc,
        column=ColumnType.ORDERED,
        from_start=True,
        hard=lambda rows, column, _l=_largest: _beyond_hard(rows, column, _l),
        soft=lambda rows, cols, alpha, _l=_largest: beyond_soft(rows, cols, alpha, _l),
        sql=lambda ctx, _l=_largest: _beyond_sql(ctx, _l),
    )


def _count_distinct_hard(rows: np.ndarray, column: Any) -> np.ndarray:
    """float (...): how many distinct non-empty texts the carried rows hold."""
    per_text = _per_text(rows & column.nonempty, column.text_codes)  # (..., U)
    return (per_text > 0).sum(axis=-1).astype(np.float64)


_declare(
    name="count_distinct",
    role=Role.TERMINAL,
    result=Result.NUMBER,
    doc="how many different non-empty cells the column holds over the carried rows",
    column=ColumnType.ANY,
    hard=_count_distinct_hard,
    soft=count_distinct_soft,
    sql=lambda ctx: ctx.select(exp.Count(this=exp.Distinct(expressions=[ctx.col.text])), ctx.nonempty()),
)


def _longest_run_hard(rows: np.ndarray, column: Any) -> np.ndarray:
    """float (...): the most carried rows standing next to each other in table order."""
    position = np.arange(1, rows.shape[-1] + 1)  # (R,) 1-based
    gap = np.maximum.accumulate(np.where(rows, 0, position), axis=-1)  # (..., R): the last row not carried, up to here
    run = position - gap  # (..., R): carried rows ending here
    return run.max(axis=-1, initial=0).astype(np.float64)


def _longest_run_sql(ctx: Any) -> Any:
    """Gaps and islands: consecutive carried rows share ``"row#" - ROW_NUMBER()``;
    the answer is the largest group (0 when no row is carried)::

        SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM (
          SELECT "row#" - ROW_NUMBER() OVER (ORDER BY "row#") AS run FROM t WHERE …) GROUP BY run)
    """
    name = lambda text: exp.to_identifier(text, quoted=True)  # noqa: E731
    numbered = exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[exp.Ordered(this=ctx.row, nulls_first=True)]))
    runs = ctx.select(exp.alias_(exp.Sub(this=ctx.row, expression=numbered), name("run")))
    count = exp.alias_(exp.Count(this=exp.Star()), name("n"))
    lengths = exp.select(count).from_(runs.subquery(name("runs"))).group_by(exp.column(name("run")))
    longest = exp.Coalesce(this=exp.Max(this=exp.column(name("n"))), expressions=[exp.Literal.number(0)])
    return exp.select(longest).from_(lengths.subquery(name("lengths")))


_declare(
    name="longest_run",
    role=Role.TERMINAL,
    result=Result.NUMBER,
    doc="the most carried rows in a row (how many consecutive wins, the longest streak)",
    cued=True,  # on most row sets it gives a small count by chance: offered to "consecutive", "streak"… only
    learned=False,  # two seeds on split 1: dev +0.35 points, test-suite accuracy -2.0 (BENCHMARKS.md)
    hard=_longest_run_hard,
    sql=_longest_run_sql,
)


# ---------------------------------------------------------------------------
# yes/no questions (issue 12): "is there …", "did … win more than …"
# ---------------------------------------------------------------------------
_declare(
    name="exists",
    role=Role.TERMINAL,
    result=Result.YES_NO,
    doc="yes if any row is carried, else no (is there …, did X score more than Y)",
    learned=False,  # two seeds on split 1: dev +0.05 points but test-suite accuracy -2.8 (BENCHMARKS.md)
    hard=lambda rows, column: rows.any(axis=-1).astype(np.float64),
    sql=lambda ctx: ctx.select(
        exp.Case(
            ifs=[exp.If(this=exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)), true=exp.Literal.string("yes"))],
            default=exp.Literal.string("no"),
        )
    ),
)


# ---------------------------------------------------------------------------
# parts of a cell (issue 12): first_part, number_in, second_number, margin,
# margin_over; how often: occurs_at_least, count_exceeds; two columns of one
# row: exceeds, sum_two, span
# ---------------------------------------------------------------------------
declare_parts(_declare)
declare_groups(_declare)
declare_pairs(_declare)
declare_headers(_declare)
