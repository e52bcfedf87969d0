"""Hostile column names and cells never change what the generated SQL does.

Names and cells hold quotes, ``;``, ``--``, ``/*``, backslashes, NUL, SQL
keywords, whole ``DROP TABLE`` statements and 10 KB strings. For every
generated query: it parses back with sqlglot to the tree it was rendered from,
SQLite runs it reading nothing but table ``t`` (an authorizer denies every
other action), and it returns what the reference executor returns.
(``test_sql_agreement.py`` holds the general agreement law on ordinary tables.)
"""
from __future__ import annotations

import math
import sqlite3
from typing import Any

import numpy as np
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npqa.lang.executor import execute
from npqa.grammars.ops import LANGUAGE
from strategies import programs as random_programs
from npqa.lang.language import Program, Step
from npqa.lang.sql import TABLE, Schema, program_sql, render, write_sqlite
from npqa.table.column import Table
from npqa.table.read import make_column

HOSTILE = [
    '"',
    "'",
    '""',
    "''",
    ";",
    "--",
    "/*",
    "*/",
    "\\",
    "\\'",
    '\\"',
    "`",
    "[x]",
    "$1",
    "?",
    ":name",
    "@v",
    "x\x00y",
    "SELECT",
    "FROM",
    "WHERE",
    "t",
    "row#",
    "DROP TABLE t",
    "'; DROP TABLE t; --",
    '"; DROP TABLE t; --',
    '") ; DELETE FROM t; /*',
    "1; ATTACH DATABASE '/tmp/x.db' AS x; --",
    "*/ SELECT load_extension('x') /*",
    "Year.num",
    "Year.year#2",
    "step1",
    "NULL",
    "\u202e\u05e9\u05dc\u05d5\u05dd",  # RTL override + Hebrew
]
BIG = "x'\";--/*\\" * 1138  # a 10 KB name / cell
NUMBERS = ["1", "2", "10", "1,234", "-3", "12.5", "3–1", "$4 million"]
DATES = ["May 3, 2004", "2004", "2004-05-01", "October 17"]

_READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}


class Audit:
    """An SQLite authorizer that allows only reading table ``t`` (and the query's own
    CTEs, which SQLite reports as reads without a table name), and records the rest."""

    def __init__(self) -> None:
        self.denied: list[tuple[int, Any, Any]] = []
        self.tables_read: set[str] = set()

    def __call__(self, action: int, arg1: Any, arg2: Any, db: Any, trigger: Any) -> int:
        if action == sqlite3.SQLITE_READ:
            if arg1 == TABLE:
                self.tables_read.add(arg1)
                return sqlite3.SQLITE_OK
            if arg1 is None or arg1.startswith("step"):
                return sqlite3.SQLITE_OK
        elif action in _READ_ACTIONS:
            return sqlite3.SQLITE_OK
        self.denied.append((action, arg1, arg2))
        return sqlite3.SQLITE_DENY


def hostile_texts() -> st.SearchStrategy[str]:
    pieces = st.sampled_from(HOSTILE + ["a", " ", "b c", "1", "é"])
    return st.one_of(st.sampled_from(HOSTILE), st.lists(pieces, min_size=1, max_size=6).map("".join), st.just(BIG))


@st.composite
def hostile_tables(draw: st.DrawFn) -> Table:
    n_rows = draw(st.integers(1, 5))
    kinds = draw(st.lists(st.sampled_from(["number", "date", "text"]), min_size=1, max_size=4))
    names = draw(st.lists(hostile_texts(), min_size=len(kinds), max_size=len(kinds), unique=True))
    columns = []
    for name, kind in zip(names, kinds):
        pool = {"number": st.sampled_from(NUMBERS), "date": st.sampled_from(DATES), "text": hostile_texts()}[kind]
        cells = draw(st.lists(st.one_of(pool, st.just("")), min_size=n_rows, max_size=n_rows))
        columns.append(make_column(name, cells))
    # make_column keeps names apart only through Table's callers; collapse may merge two
    seen: set[str] = set()
    unique = [c for c in columns if not (c.name in seen or seen.add(c.name))]  # type: ignore[func-returns-value]
    return Table(unique, "<hostile>")


def constants(data: Table) -> list[object]:
    out: list[object] = []
    for col in data.columns:
        out += [float(x) for x in col.num[~np.isnan(col.num)]]
        out += [t for t in col.texts if t] + [t.split()[0] for t in col.texts if t.split()]
    return out


def programs(data: Table) -> st.SearchStrategy[Program]:
    return random_programs(data.column_kinds, constants(data), max_row_steps=2)


def same_tree(sql: str, tree: sqlglot.exp.Expression) -> bool:
    """``sql`` parses back (SQLite dialect) to ``tree``: the round trip is exact and
    every identifier and literal comes back whole and in the same order, so no name
    or cell was split, merged or turned into syntax."""
    parsed = sqlglot.parse_one(sql, read="sqlite")

    def atoms(node: sqlglot.exp.Expression) -> list[tuple[str, str]]:
        return [(type(n).__name__, n.name) for n in node.walk(bfs=False) if isinstance(n, (sqlglot.exp.Identifier, sqlglot.exp.Literal))]

    return parsed.sql("sqlite") == sql and atoms(parsed) == atoms(tree)


def run_audited(conn: sqlite3.Connection, sql: str) -> tuple[list[Any], Audit]:
    audit = Audit()
    conn.set_authorizer(audit)
    try:
        rows = conn.execute(sql).fetchall()
    finally:
        conn.set_authorizer(None)
    return [r[0] for r in rows], audit


def table_without_nul_names(table: Table) -> bool:
    return all("\x00" not in name for name in table.names)


@settings(max_examples=250, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(st.data())
def test_hostile_names_and_cells_only_read_t_and_agree(draw: st.DataObject) -> None:
    table = draw.draw(hostile_tables().filter(table_without_nul_names))  # NUL names: see the last test
    data = table
    program = draw.draw(programs(data))
    conn = sqlite3.connect(":memory:")
    schema = write_sqlite(data, conn)
    tree = program_sql(program, schema, LANGUAGE)
    sql = render(program, schema, LANGUAGE)
    assert same_tree(sql, tree), sql
    got, audit = run_audited(conn, sql)
    assert audit.denied == [], (audit.denied, sql)
    assert audit.tables_read <= {TABLE}
    answer = execute(program, data, LANGUAGE)
    if answer.is_text:
        assert got == list(answer.items), sql
    elif answer.kind == "none":
        assert [g for g in got if g is not None] == [], sql
    else:  # one number, or numbers read from cells (number_in…), in row order
        values = [g for g in got if g is not None]
        assert len(values) == len(answer.items), sql
        for value, item in zip(values, answer.items):
            assert math.isclose(float(value), float(item), rel_tol=1e-9, abs_tol=1e-9), sql
    assert conn.execute(f'SELECT COUNT(*) FROM "{TABLE}"').fetchone()[0] == data.n_rows  # t is still whole
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == [TABLE]  # nothing else was created


def test_authorizer_catches_a_write() -> None:
    """The audit is not vacuous: a statement that writes is denied and recorded."""
    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE TABLE "t" ("a" TEXT)')
    with pytest.raises(sqlite3.DatabaseError):
        run_audited(conn, 'DELETE FROM "t"')
    conn.execute('CREATE TABLE "u" ("a" TEXT)')
    with pytest.raises(sqlite3.DatabaseError):
        run_audited(conn, 'SELECT "a" FROM "u"')


def test_drop_table_name_is_just_a_name() -> None:
    """A column called ``"; DROP TABLE t; --`` is selected, not executed."""
    name = '"; DROP TABLE t; --'
    table = Table([make_column(name, ["a", "b"]), make_column("n", ["1", "2"])], "<hostile>")
    data = table
    conn = sqlite3.connect(":memory:")
    schema = write_sqlite(data, conn)
    program = LANGUAGE.canonical([Step("greater", "n", 1.0), Step("print", name, None)])
    sql = render(program, schema, LANGUAGE)
    got, audit = run_audited(conn, sql)
    assert got == ["b"] and audit.denied == []
    assert same_tree(sql, program_sql(program, schema, LANGUAGE))


def test_ten_kilobyte_name_round_trips() -> None:
    table = Table([make_column(BIG, ["x", "y"])], "<hostile>")
    schema = Schema.of(table.names, [c.kind for c in table.columns])
    program = LANGUAGE.canonical([Step("print", BIG, None)])
    sql = render(program, schema, LANGUAGE)
    assert same_tree(sql, program_sql(program, schema, LANGUAGE))
    conn = sqlite3.connect(":memory:")
    write_sqlite(table, conn)
    got, audit = run_audited(conn, sql)
    assert got == ["x", "y"] and audit.denied == []


def test_nul_in_a_column_name_is_a_named_error() -> None:
    """SQLite cannot hold a NUL in an identifier, so such a header (possible only from a
    DataFrame: files with NUL bytes are refused) is refused by name, not by a crash."""
    import pandas as pd

    from npqa.errors import TableError
    from npqa.table.read import load_table

    with pytest.raises(TableError, match="NUL"):
        load_table(pd.DataFrame({"a\x00b": ["1"]}))
    assert load_table(pd.DataFrame({"a": ["x\x00y"]})).column("a").texts == ["x\x00y"]  # a NUL cell is data
