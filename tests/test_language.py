"""The op registry: one declaration gives an op its mask, execution, text form
and SQL. Small tables drawn in the tests."""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from sqlglot import exp

from npqa.errors import ProgramError
from npqa.lang.executor import execute
from npqa.grammars.ops import LANGUAGE
from npqa.lang.language import ColumnType, OpSpec, Program, Result, Role, Step
from npqa.lang.sql import render, write_sqlite
from npqa.table.column import Table
from npqa.table.read import make_column
from npqa.lang.textform import parse, to_text


def table() -> Table:
    """
    | City        | Pop   | Year |
    |-------------|-------|------|
    | Los Angeles | 3,901 | 2004 |
    | Saskatoon   | 270   | 2006 |
    | Calgary     | 1,300 | 2004 |
    """
    return Table(
        [
            make_column("City", ["Los Angeles", "Saskatoon", "Calgary"]),
            make_column("Pop", ["3,901", "270", "1,300"]),
            make_column("Year", ["2004", "2006", "2004"]),
        ],
        "<test>",
    )


# A toy op, declared once: "the carried rows whose number is even".
EVEN = OpSpec(
    name="even",
    role=Role.ROWS,
    result=Result.ROWS,
    doc="rows whose value is an even number",
    column=ColumnType.NUMBER,
    condition=False,
    hard=lambda rows, column: rows & (np.nan_to_num(column.num, nan=1.0) % 2 == 0),
    sql=lambda ctx: ctx.narrow(
        exp.EQ(this=exp.Mod(this=ctx.col.num, expression=exp.Literal.number(2)), expression=exp.Literal.number(0))
    ),
)
TOY = LANGUAGE.extended(EVEN)


def test_a_toy_op_is_offered_only_where_its_column_type_exists() -> None:
    data = table()
    assert "even" in TOY.offered(data.column_kinds, [])
    assert "even" not in TOY.offered({"City": "text"}, [])
    assert [col for col, _ in TOY.arguments(EVEN, data.column_kinds, [])] == ["Pop", "Year"]


def test_a_toy_op_executes_from_its_declaration() -> None:
    program = Program((Step("even", "Pop"), Step("print", "City")))
    assert execute(program, table(), TOY).items == ("Saskatoon", "Calgary")


def test_a_toy_op_prints_and_parses_back() -> None:
    program = Program((Step("even", "Pop"), Step("count")))
    text = to_text(program, TOY)
    assert text == 'count(even(reset, "Pop"))'
    assert parse(text, TOY) == program


def test_a_toy_op_renders_sql_that_sqlite_agrees_with() -> None:
    data = table()
    program = Program((Step("even", "Pop"), Step("print", "City")))
    conn = sqlite3.connect(":memory:")
    schema = write_sqlite(data, conn)
    rows = [r[0] for r in conn.execute(render(program, schema, TOY)).fetchall()]
    assert rows == list(execute(program, data, TOY).items)


def test_the_shipped_language_does_not_know_the_toy_op() -> None:
    with pytest.raises(ProgramError, match="unknown op 'even'"):
        parse('count(even(reset, "Pop"))', LANGUAGE)


def test_an_op_cannot_be_declared_twice() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        TOY.extended(EVEN)


def test_a_comparison_wants_a_constant_of_the_column_kind() -> None:
    program = Program((Step("greater", "Pop", "many"), Step("count")))
    with pytest.raises(ProgramError, match="expects a number or date constant"):
        execute(program, table(), LANGUAGE)


def test_a_terminal_op_must_end_the_program() -> None:
    with pytest.raises(ProgramError, match="ends a program"):
        LANGUAGE.canonical([Step("count"), Step("print", "City")])


def test_keep_steps_and_steps_before_reset_leave_the_canonical_program() -> None:
    raw = [Step("first"), Step("reset"), Step("keep"), Step("count")]
    assert LANGUAGE.canonical(raw) == Program((Step("count"),))


def test_a_syntax_error_names_the_column_and_what_was_expected() -> None:
    with pytest.raises(ProgramError, match=r"column 13: unexpected 'print', expected"):
        parse("count(reset print", LANGUAGE)


def test_an_unfinished_program_says_where_it_ends() -> None:
    with pytest.raises(ProgramError, match=r"unexpected end at column 12"):
        parse("count(reset", LANGUAGE)


def test_a_column_where_rows_belong_is_a_named_error() -> None:
    with pytest.raises(ProgramError, match="expects rows as its first argument"):
        parse('count("City")', LANGUAGE)


def test_a_missing_column_is_a_named_error() -> None:
    with pytest.raises(ProgramError, match="no column named 'Nope'"):
        execute(Program((Step("print", "Nope"),)), table(), LANGUAGE)
