"""Answers that are a column's name: ``header_argmax`` and ``header_argmin``, for
tables written across (the years are the columns, one row holds the measure)."""
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


def exchange() -> Table:
    """
    | Market       | 2019  | 2020 | 2021  | Total | Note |
    |--------------|-------|------|-------|-------|------|
    | Metal volume | 6,443 | 7,438| 8,694 | 22575 | Q3   |
    | Metal value  | 580   | 620  | 538   | 1738  | A    |
    | Farm value   | 77    | 372  |       | 449   | Q1   |
    """
    return Table(
        [
            make_column("Market", ["Metal volume", "Metal value", "Farm value"]),
            make_column("2019", ["6,443", "580", "77"]),
            make_column("2020", ["7,438", "620", "372"]),
            make_column("2021", ["8,694", "538", ""]),
            make_column("Total", ["22575", "1738", "449"]),
            make_column("Note", ["Q3", "A", "Q1"]),
        ],
        "<test>",
    )


def answer(program: str, data: Table | None = None) -> tuple[str, ...]:
    return execute(parse(program, LANGUAGE), data or exchange(), LANGUAGE).items


def sqlite_answer(program: str, data: Table | None = None) -> tuple[str, ...]:
    conn = sqlite3.connect(":memory:")
    sql = render(parse(program, LANGUAGE), write_sqlite(data or exchange(), conn), LANGUAGE)
    return tuple(r[0] for r in conn.execute(sql).fetchall())


def test_header_argmax_names_the_column_holding_the_rows_largest_number() -> None:
    assert answer('header_argmax(word_match(reset, "Market", "metal value"))') == ("2020",)


def test_header_argmin_names_the_column_holding_the_smallest() -> None:
    assert answer('header_argmin(word_match(reset, "Market", "metal value"))') == ("2021",)


def test_a_column_named_as_a_summary_is_never_the_answer() -> None:
    assert answer('header_argmax(word_match(reset, "Market", "metal volume"))') == ("2021",)  # not Total


def test_a_text_column_is_not_compared_even_when_its_cells_hold_numbers() -> None:
    assert exchange().column_kinds["Note"] == "text"
    assert answer('header_argmin(word_match(reset, "Market", "farm value"))') == ("2019",)  # not Note's 1


def test_over_several_rows_the_columns_sums_are_compared() -> None:
    # 2019: 657, 2020: 992, 2021: 538 (Farm value has no 2021 number)
    assert answer('header_argmax(word_match(reset, "Market", "value"))') == ("2020",)
    assert answer('header_argmin(word_match(reset, "Market", "value"))') == ("2021",)


def test_a_column_without_a_carried_number_is_left_out() -> None:
    assert answer('header_argmin(word_match(reset, "Market", "farm value"))') == ("2019",)
    assert answer('header_argmax(word_match(reset, "Market", "farm value"))') == ("2020",)


def test_ties_go_to_the_column_further_left() -> None:
    data = Table([make_column("Row", ["a"]), make_column("X", ["5"]), make_column("Y", ["5"])], "<test>")
    assert answer("header_argmax(reset)", data) == ("X",)
    assert answer("header_argmin(reset)", data) == ("X",)


def test_no_carried_row_gives_no_answer() -> None:
    assert answer('header_argmax(word_match(reset, "Market", "gold"))') == ()


@pytest.mark.parametrize(
    "program",
    [
        'header_argmax(word_match(reset, "Market", "metal value"))',
        'header_argmin(word_match(reset, "Market", "value"))',
        'header_argmax(argmax(reset, "2019"))',
        'header_argmin(word_match(reset, "Market", "gold"))',
        "header_argmax(reset)",
    ],
)
def test_sqlite_agrees_with_the_executor(program: str) -> None:
    assert sqlite_answer(program) == answer(program)


def test_the_sql_names_the_carried_rows_once() -> None:
    conn = sqlite3.connect(":memory:")
    sql = render(parse('header_argmax(word_match(reset, "Market", "metal value"))', LANGUAGE), write_sqlite(exchange(), conn), LANGUAGE)
    assert sql.count("LIKE") == 1 and sql.count("UNION ALL") == 2  # three year columns, one condition


def test_the_ops_take_no_column_and_no_model_learns_them() -> None:
    assert to_text(parse("header_argmax(reset)", LANGUAGE), LANGUAGE) == "header_argmax(reset)"
    with pytest.raises(ProgramError, match="takes 1 argument"):
        parse('header_argmax(reset, "2019")', LANGUAGE)
    assert not LANGUAGE["header_argmax"].trainable
    with pytest.raises(ValueError):
        LANGUAGE.for_training(["header_argmin"])


@given(st.lists(st.integers(-50, 50), min_size=1, max_size=6))
def test_for_one_row_header_argmax_is_the_first_column_holding_its_largest_number(numbers: list[int]) -> None:
    names = [f"C{i}" for i in range(len(numbers))]
    data = Table([make_column("Row", ["r"])] + [make_column(n, [str(x)]) for n, x in zip(names, numbers)], "<test>")
    assert answer("header_argmax(reset)", data) == (names[numbers.index(max(numbers))],)
    assert answer("header_argmin(reset)", data) == (names[numbers.index(min(numbers))],)
