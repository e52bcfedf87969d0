"""Ops that read a part of a cell: first_part, number_in, second_number, margin.

Each answers with one value per carried cell (distinct, in row order, as
``print`` does), and its SQL, run by SQLite, returns the same values.
"""
from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from npqa.grammars.ops import LANGUAGE
from npqa.grammars.parts import first_part_text
from npqa.lang.executor import execute
from npqa.lang.oracle import consistent
from npqa.lang.sql import render, write_sqlite
from npqa.lang.textform import parse
from npqa.table.column import Table
from npqa.table.read import make_column


def games() -> Table:
    """
    | Date        | Location             | Score   | Episode |
    |-------------|----------------------|---------|---------|
    | December 19 | Swan Street, Ancoats | 5–2     | Ep. 1   |
    | December 26 | Booth Street         | W 37–24 | Ep. 11  |
    | January 2   | Aspen, USA           | 1997-2006 | Ep. 12 |
    | January 9   |                      | 4       | Ep. 11  |
    """
    return Table(
        [
            make_column("Date", ["December 19", "December 26", "January 2", "January 9"]),
            make_column("Location", ["Swan Street, Ancoats", "Booth Street", "Aspen, USA", ""]),
            make_column("Score", ["5–2", "W 37–24", "1997-2006", "4"]),
            make_column("Episode", ["Ep. 1", "Ep. 11", "Ep. 12", "Ep. 11"]),
        ],
        "<test>",
    )


def answer(program: str, data: Table | None = None) -> tuple[str, ...]:
    return execute(parse(program, LANGUAGE), data or games(), LANGUAGE).items


def sql_rows(program: str, data: Table | None = None) -> list[object]:
    conn = sqlite3.connect(":memory:")
    schema = write_sqlite(data or games(), conn)
    return [row[0] for row in conn.execute(render(parse(program, LANGUAGE), schema, LANGUAGE)).fetchall()]


def test_first_part_is_the_text_before_the_first_comma() -> None:
    assert answer('first_part(word_match(reset, "Location", "usa"), "Location")') == ("Aspen",)


def test_first_part_of_a_cell_without_a_comma_is_the_whole_cell() -> None:
    assert answer('first_part(word_match(reset, "Date", "december 26"), "Location")') == ("Booth Street",)


def test_first_part_lists_the_carried_cells_in_row_order_and_skips_empty_cells() -> None:
    assert answer('first_part(reset, "Location")') == ("Swan Street", "Booth Street", "Aspen")


def test_number_in_reads_the_number_of_a_text_cell() -> None:
    assert answer('number_in(greater(reset, "Score", 30), "Episode")') == ("11", "12")


def test_number_in_lists_each_number_once() -> None:
    assert answer('number_in(reset, "Episode")') == ("1", "11", "12")


def test_second_number_is_the_other_side_of_a_score() -> None:
    assert answer('second_number(word_match(reset, "Date", "december 19"), "Score")') == ("2",)


def test_margin_is_a_winning_margin_and_the_length_of_a_span() -> None:
    assert answer('margin(word_match(reset, "Date", "december 26"), "Score")') == ("13",)
    assert answer('margin(word_match(reset, "Date", "january 2"), "Score")') == ("9",)


def test_a_cell_with_one_number_has_no_second_number_and_no_margin() -> None:
    one = 'word_match(reset, "Date", "january 9")'
    assert answer(f'second_number({one}, "Score")') == ()
    assert answer(f'margin({one}, "Score")') == ()


def test_the_sql_of_each_part_returns_the_same_values() -> None:
    for program in ('first_part(reset, "Location")', 'number_in(reset, "Episode")',
                    'second_number(reset, "Score")', 'margin(reset, "Score")'):  # fmt: skip
        want = answer(program)
        got = sql_rows(program)
        if program.startswith("first_part"):
            assert got == list(want), program
        else:
            assert [float(g) for g in got] == [float(w) for w in want], program


def test_they_are_learned_without_a_soft_form() -> None:
    for name in ("first_part", "number_in", "second_number", "margin"):
        assert LANGUAGE[name].learned and LANGUAGE[name].soft is None
        assert name in LANGUAGE.for_training().ops


def test_the_oracle_finds_a_margin_program() -> None:
    found = consistent(games(), ["december 26"], lambda items: items == ("13",), LANGUAGE, steps=2)
    texts = {p.steps[-1].op for p in found.programs}
    assert "margin" in texts


@given(st.lists(st.text(alphabet="ab, ", max_size=8), min_size=1, max_size=5))
def test_first_part_agrees_with_sqlite_on_any_commas_and_spaces(cells: list[str]) -> None:
    data = Table([make_column("A", cells)], "<test>")
    program = 'first_part(reset, "A")'
    assert sql_rows(program, data) == list(answer(program, data))
    assert all("," not in part for part in answer(program, data))


def test_a_cell_starting_with_a_comma_has_an_empty_first_part() -> None:
    data = Table([make_column("A", [", x", "b, c"])], "<test>")
    assert answer('first_part(reset, "A")', data) == ("", "b")


def test_first_part_text_trims_spaces_only() -> None:
    assert first_part_text("  Aspen , USA") == "Aspen"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(["5–2", "W 37–24", "1997-2006", "4", "", "Ep. 11", "a, b", "A", ", c"]), min_size=1, max_size=6),
       st.sampled_from(["2", "3", "9", "11", "13", "a", "4", "x"]))  # fmt: skip
def test_the_oracles_one_value_shortcut_finds_what_building_every_answer_finds(cells: list[str], value: str) -> None:
    """The oracle judges part ops by ``reads`` when one value is wanted; the plain
    way builds each row set's answer with ``hard``. Both keep the same programs."""
    from npqa.train.targets import gold as gold_of

    data = Table([make_column("A", cells), make_column("B", [str(i) for i in range(len(cells))])], "<test>")
    fast = consistent(data, [], gold_of([value]), LANGUAGE, steps=3).programs  # "a, b" and "A" read one value, a
    plain = consistent(data, [], gold_of([value]).matches, LANGUAGE, steps=3).programs
    part_ops = {"first_part", "number_in", "second_number", "margin"}
    pick = lambda programs: sorted(str(p) for p in programs if p.steps[-1].op in part_ops)  # noqa: E731
    assert pick(fast) == pick(plain)
