"""The reference executor: a program, a table and nothing else give the answer.

Hard and exact, on numpy; every op's meaning comes from its declaration in
``grammars/ops.py``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from npqa.table.column import Table
from npqa.lang.language import ConstantType, ConstValue, Language, OpSpec, Program, Result, Step


YES, NO = "yes", "no"


def format_number(x: float) -> str:
    """A computed number as written in prediction files: ``3``, ``2.5``."""
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


@dataclass(frozen=True)
class Answer:
    """What a program returns: looked-up cells, one computed number, numbers read from
    cells (``second_number``) or the word yes or no.

    ``items`` is the answer as written in prediction files; empty when the
    program gives no answer (an average of no numbers)."""

    items: tuple[str, ...]
    kind: str  # "cells" | "number" | "numbers" | "word" (yes or no) | "none"

    @property
    def is_text(self) -> bool:
        """Whether the items are text (cells, or the word yes or no), not a number."""
        return self.kind in ("cells", "word")


@dataclass(frozen=True)
class Trace:
    """The rows after each row step (bool (R,) each) and the answer."""

    rows: tuple[np.ndarray, ...]
    answer: Answer


def constant_argument(spec: OpSpec, constant: ConstValue | None, data: Table) -> object:
    """The constant as the op's ``hard`` function takes it: the column itself for a
    column-name constant (:attr:`ConstantType.COLUMN`), else the constant."""
    if spec.constant is ConstantType.COLUMN:
        return data[constant]  # type: ignore[index]
    return constant


def apply_row_step(rows: np.ndarray, step: Step, data: Table, language: Language) -> np.ndarray:
    """bool (R,): the rows after one row step (a filter intersects with ``rows``;
    an op declared ``from_start``, such as ``reset``, picks among the table's start rows)."""
    spec = language[step.op]
    column = data[step.column] if step.column is not None else None
    if spec.condition:
        return spec.combine(rows, spec.hard(column, constant_argument(spec, step.constant, data)), data.summary_rows)
    if spec.from_start:
        return spec.hard(rows, column) & data.start_rows
    return spec.hard(rows, column)


def trace(program: Program, data: Table, language: Language) -> Trace:
    """Run ``program`` on ``data`` from its start rows; the caller has type-checked it."""
    rows = data.start_rows.copy()
    after: list[np.ndarray] = []
    for step in program.row_steps:
        rows = apply_row_step(rows, step, data, language)
        after.append(rows)
    term = program.terminal
    spec = language[term.op]
    column = data[term.column] if term.column is not None else None
    if spec.whole_table:  # reads every column (``header_argmax``)
        out = spec.hard(rows, data)
    elif spec.constant is None:
        out = spec.hard(rows, column)
    else:  # a terminal op with a constant (``count_exceeds``, ``span``)
        out = spec.hard(rows, column, constant_argument(spec, term.constant, data))
    if spec.result in (Result.CELLS, Result.PARTS):
        answer = Answer(tuple(out), "cells")
    elif spec.result is Result.YES_NO:
        answer = Answer((YES if out else NO,), "word")
    elif spec.result is Result.NUMBERS:
        answer = Answer(tuple(format_number(x) for x in out), "numbers" if len(out) else "none")
    elif np.isnan(out):
        answer = Answer((), "none")
    else:
        answer = Answer((format_number(float(out)),), "number")
    return Trace(tuple(after), answer)


def execute(program: Program, data: Table, language: Language, check: bool = True) -> Answer:
    """The answer of ``program`` on ``data``; type-checks first unless told not to."""
    if check:
        language.check(program, data.column_kinds)
    return trace(program, data, language).answer
