"""The oracle's shortcut (answers of the wrong size are never built) finds
exactly what the plain enumeration finds."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npqa.grammars.ops import LANGUAGE
from npqa.lang.executor import execute
from npqa.lang.oracle import consistent
from npqa.train.metric import pred_value
from npqa.train.targets import answer_matcher, answer_size
from strategies import programs as random_programs
from test_sql_agreement import constants_of, tables


@settings(max_examples=80, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(st.data())
def test_the_shortcut_finds_the_same_programs(draw: st.DataObject) -> None:
    data = draw.draw(tables())
    consts = constants_of(data)[:6]
    gold = execute(draw.draw(random_programs(data.column_kinds, consts, max_row_steps=2)), data, LANGUAGE).items
    plain = consistent(data, consts, answer_matcher(gold), LANGUAGE, 3)
    fast = consistent(data, consts, answer_matcher(gold), LANGUAGE, 3, answer_size(gold), pred_value)
    assert (fast.covered, fast.n_programs, fast.programs) == (plain.covered, plain.n_programs, plain.programs)
    assert plain.covered == bool(gold)  # the program that gave the gold answer is one of them
