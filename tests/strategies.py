"""Hypothesis strategies shared by the property tests."""
from __future__ import annotations

from hypothesis import strategies as st

from npqa.grammars.ops import LANGUAGE
from npqa.lang.language import OpSpec, Program, Step


def programs(kinds: dict[str, str], consts: list[object], max_row_steps: int) -> st.SearchStrategy[Program]:
    """Random well-typed canonical programs (see :func:`raw_steps`)."""
    return raw_steps(kinds, consts, max_row_steps).map(LANGUAGE.canonical)


@st.composite
def raw_steps(draw: st.DrawFn, kinds: dict[str, str], consts: list[object], max_row_steps: int) -> list[Step]:
    """Up to ``max_row_steps`` row ops (``keep`` and ``reset`` included), then a
    terminal op, each with arguments the table (``kinds``) and ``consts`` offer."""

    def step(ops: list[OpSpec]) -> Step:
        op = draw(st.sampled_from([o for o in ops if LANGUAGE.arguments(o, kinds, consts)]))
        column, constant = draw(st.sampled_from(LANGUAGE.arguments(op, kinds, consts)))
        return Step(op.name, column, constant)

    steps = [step(LANGUAGE.row_ops) for _ in range(draw(st.integers(0, max_row_steps)))]
    steps.append(step(LANGUAGE.terminal_ops))
    return steps
