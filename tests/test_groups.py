"""``occurs_at_least``: the rows whose text occurs in at least N rows of the column."""
from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from npqa.grammars.groups import occurs_at_least_hard
from npqa.grammars.ops import LANGUAGE
from npqa.lang.executor import execute
from npqa.lang.sql import render, write_sqlite
from npqa.lang.textform import parse
from npqa.table.column import Table
from npqa.table.read import make_column


def stations() -> Table:
    """
    | Area     | Station |
    |----------|---------|
    | Paducah  | WPSD    |
    | Paducah  | WKYT    |
    | Cape     | WSIL    |
    | Paducah  | KBSI    |
    |          | WDKA    |
    |          | WQWQ    |
    | Cape     | KFVS    |
    """
    return Table(
        [
            make_column("Area", ["Paducah", "Paducah", "Cape", "Paducah", "", "", "Cape"]),
            make_column("Station", ["WPSD", "WKYT", "WSIL", "KBSI", "WDKA", "WQWQ", "KFVS"]),
        ],
        "<test>",
    )


def answer(program: str, data: Table | None = None) -> tuple[str, ...]:
    return execute(parse(program, LANGUAGE), data or stations(), LANGUAGE).items


def test_it_keeps_the_rows_whose_text_occurs_often_enough() -> None:
    assert answer('print(occurs_at_least(reset, "Area", 3), "Station")') == ("WPSD", "WKYT", "KBSI")


def test_counting_the_areas_with_at_least_two_stations() -> None:
    assert answer('count_distinct(occurs_at_least(reset, "Area", 2), "Area")') == ("2",)


def test_empty_cells_never_pass_however_many_there_are() -> None:
    assert answer('count(occurs_at_least(reset, "Area", 1))') == ("5",)


def test_it_counts_over_the_whole_column_not_the_carried_rows() -> None:
    # only one Paducah row is carried, but Paducah occurs three times in the table
    assert answer('print(occurs_at_least(word_match(reset, "Station", "wpsd"), "Area", 3), "Station")') == ("WPSD",)


def test_its_sql_counts_in_a_grouped_subquery_and_agrees() -> None:
    data = stations()
    conn = sqlite3.connect(":memory:")
    program = parse('print(occurs_at_least(reset, "Area", 3), "Station")', LANGUAGE)
    sql = render(program, write_sqlite(data, conn), LANGUAGE)
    assert 'HAVING COUNT(*) >= 3' in sql
    assert [r[0] for r in conn.execute(sql).fetchall()] == list(answer('print(occurs_at_least(reset, "Area", 3), "Station")'))


def test_it_is_not_learned_by_default() -> None:
    assert not LANGUAGE["occurs_at_least"].learned


@given(st.lists(st.sampled_from(["a", "b", "c", ""]), min_size=1, max_size=12), st.integers(1, 5))
def test_raising_n_never_adds_rows(cells: list[str], n: int) -> None:
    column = make_column("A", cells)
    assert not (occurs_at_least_hard(column, n + 1) & ~occurs_at_least_hard(column, n)).any()
