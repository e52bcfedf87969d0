"""Hypothesis strategies shared by the property tests."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from npqa.grammars.ops import LANGUAGE
from npqa.lang.language import OpSpec, Program, Step
from npqa.table.column import Table
from npqa.table.values import Date


def programs(
    kinds: dict[str, str], consts: list[object], max_row_steps: int, trainable: bool = False
) -> st.SearchStrategy[Program]:
    """Random well-typed canonical programs (see :func:`raw_steps`)."""
    return raw_steps(kinds, consts, max_row_steps, trainable).map(LANGUAGE.canonical)


@st.composite
def raw_steps(
    draw: st.DrawFn, kinds: dict[str, str], consts: list[object], max_row_steps: int, trainable: bool = False
) -> list[Step]:
    """Up to ``max_row_steps`` row ops (``keep`` and ``reset`` included), then a
    terminal op, each with arguments the table (``kinds``) and ``consts`` offer;
    with ``trainable``, only ops a model can emit (:attr:`OpSpec.trainable`)."""

    def step(ops: list[OpSpec]) -> Step:
        op = draw(st.sampled_from([o for o in ops if LANGUAGE.arguments(o, kinds, consts) and (o.trainable or not trainable)]))
        column, constant = draw(st.sampled_from(LANGUAGE.arguments(op, kinds, consts)))
        return Step(op.name, column, constant)

    steps = [step(LANGUAGE.row_ops) for _ in range(draw(st.integers(0, max_row_steps)))]
    steps.append(step(LANGUAGE.terminal_ops))
    return steps


def constants_of(data: Table) -> list[object]:
    """Question-like constants drawn from the table: its numbers (and neighbours),
    its dates at every precision, and words from its cells."""
    out: list[object] = []
    for col in data.columns:
        for x in col.num[~np.isnan(col.num)]:
            out += [float(x), float(x) + 0.5]
        for y, m, d in zip(col.year, col.month, col.day):
            if not math.isnan(y):
                out.append(Date(int(y), None, None))
                if not math.isnan(m):
                    out.append(Date(int(y), int(m), None))
                    if not math.isnan(d):
                        out.append(Date(int(y), int(m), int(d)))
        for text in col.texts:
            words = text.split()
            if words:
                out.append(words[0])
                out.append(text)
    return out
