"""The program language's machinery: types, op declarations, programs.

The ops themselves are declared once each in ``grammars/ops.py`` (installed as
``npqa.grammars.ops``). Everything else — which ops a table offers (the
model's masks), type checking, the reference executor, the text form and the
SQL renderer — reads those declarations through a :class:`Language`.

Semantics of a program (what the model relies on)
-------------------------------------------------
A program is a chain: it starts from ``reset`` (every row selected), applies
zero or more *row ops* one after the other, each taking the rows the step
before left, and ends in exactly one *terminal op* whose output is the answer.
A model run of ``T`` steps emits ``T - 1`` row steps and one terminal step:

* a filter (``greater``, ``word_match``, …) keeps the carried rows that pass
  its condition — filters intersect with the rows from the step before; the
  one union filter, ``also_match``, adds the rows that pass to the carried ones;
* ``keep`` is the no-op step: the rows pass unchanged;
* ``reset`` selects the table's start rows again (every row but its summary
  rows, :attr:`npqa.table.column.Table.start_rows`), so the steps before it are
  dropped from the canonical program; a program also starts from the start rows;
* a filter declared with ``reads_summary`` (``word_match``) also keeps the
  summary rows that pass it, carried or not: a question naming the Total row
  reads it, while counts, sums and superlatives leave it out;
* the canonical program (text form, SQL) leaves out ``keep`` steps and every
  step before the last ``reset``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Iterator, Union

from npqa.errors import ProgramError
from npqa.table.values import Date

ConstValue = Union[float, Date, str]


class ColumnType(str, Enum):
    """What kind of column an op's column argument accepts."""

    ANY = "column"
    NUMBER = "number column"
    DATE = "date column"
    ORDERED = "number or date column"


class ConstantType(str, Enum):
    """What kind of question constant an op's constant argument accepts."""

    STRING = "string"
    NUMBER = "number"
    #: a number against a number column, a date (with a known year) against a date column
    ORDERED = "number or date"
    #: the name of another column of the table, not a question constant
    #: (``exceeds(rows, "Won", "Lost")``): ops over two columns of one row
    COLUMN = "column name"


class Role(str, Enum):
    ROWS = "rows"  # rows -> rows
    TERMINAL = "terminal"  # rows -> answer


class Result(str, Enum):
    ROWS = "rows"
    NUMBER = "number"
    CELLS = "cells"
    YES_NO = "yes_no"  # the word yes or no (``exists``); no soft form: it adds nothing to the soft outputs
    PARTS = "parts"  # a part of each carried cell's text, distinct, in row order (``first_part``)
    NUMBERS = "numbers"  # a number read from each carried cell, distinct, in row order (``second_number``…)

    @property
    def is_text(self) -> bool:
        """Whether the answer is text items (cells, parts of cells, or the word yes or no), not numbers."""
        return self in (Result.CELLS, Result.PARTS, Result.YES_NO)


@dataclass(frozen=True)
class OpSpec:
    """One op, declared once.

    ``hard`` is the reference semantics (numpy), ``soft`` the differentiable
    one (torch, batched) and ``sql`` the op's part of the SQL (sqlglot, given a
    :class:`npqa.lang.sql.SqlContext`). For a *filter* (``condition=True``)
    ``hard`` is a row-independent condition ``(column, constant) -> bool[R]``:
    the executor intersects it with the carried rows, the soft executor
    precomputes it for every column and constant, and ``sql`` returns a WHERE
    condition. Otherwise ``hard`` is ``(rows, column) -> rows | Answer`` and
    ``sql`` returns the new carried rows (a row op) or the whole SELECT (a
    terminal op).
    """

    name: str
    role: Role
    result: Result
    doc: str
    hard: Callable[..., Any]
    sql: Callable[..., Any]
    soft: Callable[..., Any] | None = None
    column: ColumnType | None = None
    constant: ConstantType | None = None
    condition: bool = False
    union: bool = False  # a filter that adds the rows passing it to the carried rows (OR, not AND)
    reads_summary: bool = False  # a filter that keeps passing summary rows even when they are not carried
    #: a row op whose rows come from the table's start rows, not from the carried ones
    #: (``reset``, ``same_as``, ``more_than``…): the executors intersect its ``hard``
    #: result with the start rows; its ``soft`` form multiplies by them itself
    from_start: bool = False
    #: the model learns this op unless told otherwise (``npqa train`` trains on the
    #: ops that have it, ``--with-op NAME`` adds one that has not): False for an op
    #: declared for the programs people write (``npqa run``) that has not earned
    #: its place in training by the rule of issue 12 (two seeds, neither dev
    #: accuracy nor test-suite accuracy falls)
    learned: bool = True
    #: the oracle offers this op, when it looks for the programs to train on, only
    #: to questions whose words trigger it (``npqa.train.triggers``): for an op
    #: whose answers are common by chance (``longest_run`` gives a small whole
    #: number on most row sets, so most ``how many`` questions would gain
    #: spurious programs). People and the model may use it anywhere.
    cued: bool = False
    #: for an op answering with a value read from each carried cell
    #: (:attr:`Result.PARTS`, :attr:`Result.NUMBERS`): ``column -> (keys, item)``,
    #: a float64 key per row (NaN where the cell has no such value) and the answer
    #: item of a key. ``hard`` stays the meaning; the oracle uses this to judge at
    #: once the row sets holding a single key (``tests/test_parts.py`` holds them equal)
    reads: Callable[..., Any] | None = None
    #: a terminal op reading every column of the table (``header_argmax``): its
    #: ``hard`` takes ``(rows, table)`` and its ``sql`` reads ``ctx.schema``; it takes
    #: no column and no model learns it
    whole_table: bool = False

    @property
    def trainable(self) -> bool:
        """Whether a model can learn this op: the controller picks, per step, one
        column and one *question* constant, and the soft executor and the oracle
        give a terminal op no constant; an op taking a second column or a
        terminal op taking a constant is for the programs people write, as is an op
        reading the whole table."""
        if self.whole_table:
            return False
        return self.constant is not ConstantType.COLUMN and not (self.role is Role.TERMINAL and self.constant is not None)

    def combine(self, rows: Any, passing: Any, summary: Any = None) -> Any:
        """A filter's result: carried rows AND (or, for a union, OR) the passing rows;
        with ``reads_summary``, the ``summary`` rows count as carried."""
        if self.union:
            return rows | passing
        if self.reads_summary and summary is not None:
            rows = rows | summary
        return rows & passing

    @property
    def arity(self) -> int:
        """Arguments in the text form, the incoming rows included."""
        return 1 + (self.column is not None) + (self.constant is not None)

    def signature(self) -> str:
        parts = ["rows"]
        if self.column is not None:
            parts.append(self.column.value)
        if self.constant is not None:
            parts.append(self.constant.value)
        return f"{self.name}({', '.join(parts)}) -> {self.result.value}"


def column_accepts(wanted: ColumnType, kind: str) -> bool:
    """Whether a column of ``kind`` ("number", "date", "text") fits ``wanted``."""
    if wanted is ColumnType.ANY:
        return True
    if wanted is ColumnType.NUMBER:
        return kind == "number"
    if wanted is ColumnType.DATE:
        return kind == "date"
    return kind in ("number", "date")


def constant_kind(value: ConstValue) -> str:
    if isinstance(value, Date):
        return "date"
    if isinstance(value, str):
        return "string"
    return "number"


def constant_accepts(wanted: ConstantType, value: ConstValue, column_kind: str | None) -> bool:
    """Whether constant ``value`` fits ``wanted`` against a column of ``column_kind``."""
    kind = constant_kind(value)
    if wanted is ConstantType.STRING:
        return kind == "string" and bool(value.strip())  # type: ignore[union-attr]
    if wanted is ConstantType.NUMBER:
        return kind == "number" and math.isfinite(value)  # type: ignore[arg-type]
    if kind == "number":
        return column_kind == "number" and math.isfinite(value)  # type: ignore[arg-type]
    if kind == "date":
        return column_kind == "date" and value.year is not None  # type: ignore[union-attr]
    return False


@dataclass(frozen=True)
class Step:
    """One op applied to the rows of the step before."""

    op: str
    column: str | None = None
    constant: ConstValue | None = None


@dataclass(frozen=True)
class Program:
    """A canonical program: row steps in order, then one terminal step."""

    steps: tuple[Step, ...]

    @property
    def terminal(self) -> Step:
        return self.steps[-1]

    @property
    def row_steps(self) -> tuple[Step, ...]:
        return self.steps[:-1]


@dataclass
class Language:
    """A registry of op declarations; ``npqa.grammars.ops.LANGUAGE`` is ours.

    Tests build their own (``Language()`` plus a toy op) to check that one
    declaration is all an op needs.
    """

    ops: dict[str, OpSpec] = field(default_factory=dict)

    def declare(self, spec: OpSpec) -> OpSpec:
        if spec.name in self.ops:
            raise ValueError(f"op {spec.name!r} declared twice")
        self.ops[spec.name] = spec
        return spec

    def extended(self, *specs: OpSpec) -> "Language":
        """A copy of this language with more ops."""
        lang = Language(dict(self.ops))
        for spec in specs:
            lang.declare(spec)
        return lang

    def only(self, names: Iterable[str]) -> "Language":
        """The sub-language of these ops, in this order: what a model trained on
        an older op set answers with (its ops are a part of ours). Raises
        ``KeyError`` naming an op this language does not have."""
        return Language({name: self.ops[name] for name in names})

    def for_training(self, extra: Iterable[str] = ()) -> "Language":
        """The ops a model learns: those declared ``learned``, plus ``extra`` ones
        (in declaration order). Raises ``KeyError`` naming an op it does not have,
        ``ValueError`` naming one no model can learn (:attr:`OpSpec.trainable`)."""
        wanted = set(extra)
        missing = wanted - set(self.ops)
        if missing:
            raise KeyError(sorted(missing)[0])
        untrainable = sorted(n for n in wanted if not self.ops[n].trainable)
        if untrainable:
            raise ValueError(untrainable[0])
        return self.only(n for n, op in self.ops.items() if op.learned or n in wanted)

    def cued(self, triggered: Callable[[str], bool]) -> "Language":
        """The ops the oracle offers for one question: every op but the ``cued``
        ones its words do not trigger (``triggered(name)`` is False)."""
        return self.only(n for n, op in self.ops.items() if not op.cued or triggered(n))

    def __getitem__(self, name: str) -> OpSpec:
        return self.ops[name]

    def __iter__(self) -> Iterator[OpSpec]:
        return iter(self.ops.values())

    @property
    def row_ops(self) -> list[OpSpec]:
        return [op for op in self if op.role is Role.ROWS]

    @property
    def terminal_ops(self) -> list[OpSpec]:
        return [op for op in self if op.role is Role.TERMINAL]

    # -- what a table offers ---------------------------------------------------
    def arguments(
        self, op: OpSpec, column_kinds: dict[str, str], constants: Iterable[ConstValue]
    ) -> list[tuple[str | None, ConstValue | None]]:
        """Every (column, constant) pair ``op`` type-checks with on this table."""
        consts = list(constants)
        cols: list[str | None] = (
            [None] if op.column is None else [c for c, k in column_kinds.items() if column_accepts(op.column, k)]
        )
        out: list[tuple[str | None, ConstValue | None]] = []
        for col in cols:
            if op.constant is None:
                out.append((col, None))
                continue
            if op.constant is ConstantType.COLUMN:  # the table's other columns
                out.extend((col, other) for other in column_kinds if other != col)
                continue
            kind = None if col is None else column_kinds[col]
            out.extend((col, v) for v in consts if constant_accepts(op.constant, v, kind))
        return out

    def offered(self, column_kinds: dict[str, str], constants: Iterable[ConstValue]) -> list[str]:
        """Names of the ops this table and question can support (the op mask)."""
        consts = list(constants)
        return [op.name for op in self if self.arguments(op, column_kinds, consts)]

    # -- programs --------------------------------------------------------------
    def canonical(self, steps: Iterable[Step]) -> Program:
        """The canonical program of a raw step sequence (as a model emits it).

        Drops ``keep`` steps and everything before the last ``reset``; the last
        step must be a terminal op and no other step may be one.
        """
        steps = list(steps)
        if not steps:
            raise ProgramError("program", "no steps")
        body: list[Step] = []
        for i, step in enumerate(steps):
            spec = self._spec(step.op)
            last = i == len(steps) - 1
            if spec.role is Role.TERMINAL and not last:
                raise ProgramError("program", f"step {i + 1}: {step.op} ends a program, it cannot be followed")
            if last and spec.role is not Role.TERMINAL:
                raise ProgramError("program", f"last step {step.op} gives rows; a program ends in a terminal op")
            if step.op == "keep":
                continue
            if step.op == "reset":
                body = []
                continue
            body.append(step)
        return Program(tuple(body))

    def check(self, program: Program, column_kinds: dict[str, str]) -> None:
        """Raise :class:`ProgramError` unless every step type-checks on the table."""
        for i, step in enumerate(program.steps):
            spec = self._spec(step.op)
            where = f"step {i + 1} ({step.op})"
            if spec.column is None and step.column is not None:
                raise ProgramError("program", f"{where}: takes no column")
            if spec.column is not None:
                if step.column is None:
                    raise ProgramError("program", f"{where}: expects a {spec.column.value}")
                if step.column not in column_kinds:
                    raise ProgramError("program", f"{where}: no column named {step.column!r}")
                kind = column_kinds[step.column]
                if not column_accepts(spec.column, kind):
                    raise ProgramError(
                        "program", f"{where}: expects a {spec.column.value}, {step.column!r} is a {kind} column"
                    )
            if spec.constant is None and step.constant is not None:
                raise ProgramError("program", f"{where}: takes no constant")
            if spec.constant is ConstantType.COLUMN:
                other = step.constant
                if not isinstance(other, str) or other not in column_kinds or other == step.column:
                    raise ProgramError("program", f"{where}: expects the name of another column of the table, not {other!r}")
            elif spec.constant is not None:
                kind = column_kinds.get(step.column) if step.column is not None else None
                if step.constant is None or not constant_accepts(spec.constant, step.constant, kind):
                    raise ProgramError(
                        "program", f"{where}: expects a {spec.constant.value} constant fitting a {kind} column"
                    )
            if (spec.role is Role.TERMINAL) != (i == len(program.steps) - 1):
                raise ProgramError("program", f"{where}: a program is row ops ending in one terminal op")

    def _spec(self, name: str) -> OpSpec:
        try:
            return self.ops[name]
        except KeyError:
            raise ProgramError("program", f"unknown op {name!r}") from None
