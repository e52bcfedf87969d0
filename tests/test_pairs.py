"""Ops over two columns of one row (``exceeds``, ``sum_two``, ``span``), a yes/no
count (``count_exceeds``) and a gap filter (``margin_over``)."""
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from npqa.errors import ProgramError
from npqa.grammars.ops import LANGUAGE
from npqa.lang.executor import execute
from npqa.lang.sql import render, write_sqlite
from npqa.lang.textform import parse, to_text
from npqa.table.column import Table
from npqa.table.read import make_column


def league() -> Table:
    """
    | Team   | Won | Lost | From | Until   | Span      |
    |--------|-----|------|------|---------|-----------|
    | Auto   | 7   | 2    | 2007 | 2011    | 1997-2006 |
    | Silex  | 3   | 4    | 2011 | Present | 1994-1997 |
    | Santos | 5   | 3    | 2009 | 2010    | 2009-     |
    | Sirio  |     | 5    | 2001 | 2001    | 1948-1952 |
    """
    return Table(
        [
            make_column("Team", ["Auto", "Silex", "Santos", "Sirio"]),
            make_column("Won", ["7", "3", "5", ""]),
            make_column("Lost", ["2", "4", "3", "5"]),
            make_column("From", ["2007", "2011", "2009", "2001"]),
            make_column("Until", ["2011", "Present", "2010", "2001"]),
            make_column("Span", ["1997-2006", "1994-1997", "2009-", "1948-1952"]),
        ],
        "<test>",
    )


def answer(program: str, data: Table | None = None) -> tuple[str, ...]:
    return execute(parse(program, LANGUAGE), data or league(), LANGUAGE).items


def sqlite_answer(program: str, data: Table | None = None) -> list[object]:
    conn = sqlite3.connect(":memory:")
    sql = render(parse(program, LANGUAGE), write_sqlite(data or league(), conn), LANGUAGE)
    return [r[0] for r in conn.execute(sql).fetchall()]


def test_exceeds_keeps_the_rows_whose_first_number_is_larger() -> None:
    assert answer('print(exceeds(reset, "Won", "Lost"), "Team")') == ("Auto", "Santos")


def test_exceeds_never_passes_a_row_missing_a_number() -> None:
    assert answer('count(exceeds(reset, "Lost", "Won"))') == ("1",)  # Silex; Sirio has no Won


def test_sum_two_adds_both_columns_over_the_carried_rows() -> None:
    assert answer('sum_two(word_match(reset, "Team", "auto"), "Won", "Lost")') == ("9",)
    assert answer('sum_two(reset, "Won", "Lost")') == ("29",)  # an empty cell adds nothing


def test_span_is_the_gap_between_the_two_numbers() -> None:
    assert answer('span(word_match(reset, "Team", "auto"), "From", "Until")') == ("4",)


def test_span_leaves_out_rows_without_both_numbers_and_has_no_answer_when_none_has() -> None:
    assert answer('span(reset, "From", "Until")') == ("5",)  # 4 + 1 + 0; Silex's Until is Present
    assert answer('span(word_match(reset, "Team", "silex"), "From", "Until")') == ()


def test_count_exceeds_answers_yes_only_above_n() -> None:
    assert answer('count_exceeds(reset, 3)') == ("yes",)
    assert answer('count_exceeds(reset, 4)') == ("no",)


def test_margin_over_keeps_cells_whose_two_numbers_are_far_apart() -> None:
    assert answer('print(margin_over(reset, "Span", 3), "Team")') == ("Auto", "Sirio")  # 9 and 4; 3 is not over 3


@pytest.mark.parametrize(
    "program",
    [
        'print(exceeds(reset, "Won", "Lost"), "Team")',
        'sum_two(greater(reset, "Won", 3), "Won", "Lost")',
        'span(reset, "From", "Until")',
        'span(word_match(reset, "Team", "silex"), "From", "Until")',
        'count_exceeds(exceeds(reset, "Won", "Lost"), 1)',
        'count(margin_over(reset, "Span", 3))',
    ],
)
def test_sqlite_agrees_with_the_executor(program: str) -> None:
    got = sqlite_answer(program)
    want = answer(program)
    assert [str(int(x)) if isinstance(x, float) and x.is_integer() else str(x) for x in got if x is not None] == list(want)


def test_the_second_column_is_written_as_a_quoted_name() -> None:
    text = 'span(word_match(reset, "Team", "auto"), "From", "Until")'
    assert to_text(parse(text, LANGUAGE), LANGUAGE) == text


def test_the_second_column_must_be_another_column_of_the_table() -> None:
    for bad in ['exceeds(reset, "Won", "Points")', 'exceeds(reset, "Won", "Won")']:
        with pytest.raises(ProgramError, match="another column"):
            execute(parse(f"count({bad})", LANGUAGE), league(), LANGUAGE)


@pytest.mark.parametrize("name", ["exceeds", "sum_two", "span", "count_exceeds"])
def test_no_model_learns_an_op_with_a_second_column_or_a_terminal_constant(name: str) -> None:
    assert not LANGUAGE[name].trainable
    with pytest.raises(ValueError):
        LANGUAGE.for_training([name])


def test_margin_over_can_be_learned_on_request() -> None:
    assert not LANGUAGE["margin_over"].learned
    assert "margin_over" in LANGUAGE.for_training(["margin_over"]).ops


@given(st.lists(st.tuples(st.integers(-5, 5), st.integers(-5, 5)), min_size=1, max_size=8))
def test_a_row_exceeds_in_one_order_or_the_other_or_ties(pairs: list[tuple[int, int]]) -> None:
    data = Table([make_column("A", [str(a) for a, _ in pairs]), make_column("B", [str(b) for _, b in pairs])], "<test>")
    one, other = answer('count(exceeds(reset, "A", "B"))', data), answer('count(exceeds(reset, "B", "A"))', data)
    ties = sum(a == b for a, b in pairs)
    assert int(one[0]) + int(other[0]) + ties == len(pairs)


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=8))
def test_span_is_symmetric_and_sum_two_is_the_two_sums(pairs: list[tuple[int, int]]) -> None:
    data = Table([make_column("A", [str(a) for a, _ in pairs]), make_column("B", [str(b) for _, b in pairs])], "<test>")
    assert answer('span(reset, "A", "B")', data) == answer('span(reset, "B", "A")', data)
    total = int(answer('sum(reset, "A")', data)[0]) + int(answer('sum(reset, "B")', data)[0])
    assert answer('sum_two(reset, "A", "B")', data) == (str(total),)
