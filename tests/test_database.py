"""Tables in database files: ``npqa ask FILE --table NAME`` on SQLite and DuckDB files.

The reader keeps typed columns typed and rows in storage order; the printed SQL
runs on the file as it is; bad input (not a database, an empty one, a missing
table, several tables and no --table) is one error line and exit status 2.
"""
from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from npqa.cli import app
from npqa.errors import TableError
from npqa.table.read import load_table

runner = CliRunner()

SINGLES = [
    (2008, '"Fall"', None, 2, "Natalia Lesz"),
    (2008, '"Power of Attraction"', 24, 5, "Natalia Lesz"),
    (2009, '"Coś za coś"', None, 1, "That Girl"),
    (2010, '"Arabesque"', 53, None, "Natalia Lesz"),
    (2010, '"RadioACTIVE"', None, 107, None),
    (2010, '"That Girl"', None, 7, "That Girl"),
    (2012, '"Beat of My Heart"', None, 98, "That Girl"),
]
CREATE = 'CREATE TABLE {} ("Year" INTEGER, "Single" TEXT, "Billboard" INTEGER, "Polish Charts" INTEGER, "Album" TEXT)'
QUESTION = "how many singles were released in 2010?"


def sqlite_file(path: Path, tables: dict[str, list[tuple[Any, ...]]] | None = None, create: str = CREATE) -> Path:
    with sqlite3.connect(path) as conn:
        for name, rows in (tables if tables is not None else {"singles": SINGLES}).items():
            conn.execute(create.format(f'"{name}"'))
            conn.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(rows[0] if rows else SINGLES[0]))})', rows)
    conn.close()
    return path


def duckdb_file(path: Path, tables: dict[str, list[tuple[Any, ...]]] | None = None, create: str = CREATE) -> Path:
    duckdb = pytest.importorskip("duckdb")
    conn = duckdb.connect(str(path))
    for name, rows in (tables if tables is not None else {"singles": SINGLES}).items():
        conn.execute(create.format(f'"{name}"'))
        if rows:
            conn.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(rows[0]))})', [list(r) for r in rows])
    conn.close()
    return path


def on_file(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows ``sql`` gives on the file, read by the file's own engine."""
    if path.suffix == ".duckdb":
        import duckdb

        conn: Any = duckdb.connect(str(path), read_only=True)
    else:
        conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def make(kind: str, tmp_path: Path, **kwargs: Any) -> Path:
    return (sqlite_file if kind == "sqlite" else duckdb_file)(tmp_path / f"music.{kind}", **kwargs)


def error_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


KINDS = ["sqlite", "duckdb"]


# -- asking -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_ask_with_table_answers_and_its_sql_runs_on_the_file(tmp_path: Path, kind: str) -> None:
    path = make(kind, tmp_path, tables={"albums": [(1, "x", 1, 1, "y")], "singles": SINGLES})
    result = runner.invoke(app, ["ask", str(path), QUESTION, "--table", "singles", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["answer"] == ["3"]
    assert 'FROM "singles"' in out["sql"] and out["sql_caveat"] == ""
    assert on_file(path, out["sql"]) == [(3,)]


@pytest.mark.parametrize("kind", KINDS)
def test_ask_answers_as_the_same_table_in_a_csv_does(tmp_path: Path, kind: str) -> None:
    csv = runner.invoke(app, ["ask", "data/tiny/csv/204-csv/365.csv", QUESTION, "--json"])
    db = runner.invoke(app, ["ask", str(make(kind, tmp_path)), QUESTION, "--json"])
    assert db.exit_code == 0, db.output
    assert json.loads(db.stdout)["program"] == json.loads(csv.stdout)["program"]


@pytest.mark.parametrize("kind", KINDS)
def test_ask_prints_the_sql_over_the_users_table(tmp_path: Path, kind: str) -> None:
    result = runner.invoke(app, ["ask", str(make(kind, tmp_path)), QUESTION])
    assert result.exit_code == 0, result.output
    assert 'WITH "t" AS (' in result.stdout and 'FROM "singles"' in result.stdout


@pytest.mark.parametrize("kind", KINDS)
def test_run_prints_cells_as_the_file_holds_them(tmp_path: Path, kind: str) -> None:
    path = make(kind, tmp_path)
    program = 'print(argmax(word_match(reset, "Album", "that girl"), "Polish Charts"), "Single")'
    result = runner.invoke(app, ["run", str(path), program, "--table", "singles", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["answer"] == ['"Beat of My Heart"']
    assert on_file(path, out["sql"]) == [('"Beat of My Heart"',)]


@pytest.mark.parametrize("kind", KINDS)
def test_typed_values_come_back_typed(tmp_path: Path, kind: str) -> None:
    path = make(kind, tmp_path)
    out = json.loads(runner.invoke(app, ["run", str(path), 'print(word_match(reset, "Single", "arabesque"), "Billboard")', "--json"]).stdout)
    assert out["answer"] == ["53"]
    assert on_file(path, out["sql"]) == [(53,)]


def test_a_table_named_t_is_read_through_its_schema(tmp_path: Path) -> None:
    path = sqlite_file(tmp_path / "t.sqlite", {"t": SINGLES})
    out = json.loads(runner.invoke(app, ["run", str(path), 'count(equal(reset, "Year", 2010))', "--json"]).stdout)
    assert 'FROM "main"."t"' in out["sql"]
    assert on_file(path, out["sql"]) == [(3,)]


def test_sql_prints_only_runnable_sql_on_stdout_and_the_caveat_on_stderr(tmp_path: Path) -> None:
    rows = [("Oslo", "700,000"), ("Lima", "9.7 million"), ("Rome", "2,800,000")]
    path = sqlite_file(tmp_path / "c.sqlite", {"cities": rows}, create='CREATE TABLE {} ("City" TEXT, "Population" TEXT)')
    result = runner.invoke(app, ["sql", str(path), 'print(argmax(reset, "Population"), "City")'])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith('-- note: SQLite cannot compute exactly what npqa reads for "Population.num" (1 of 3 rows')
    assert on_file(path, result.stdout) == [("Rome",)]  # SQL reads 9.7 where npqa reads 9,700,000 (Lima): the note warns


def test_run_json_carries_the_caveat(tmp_path: Path) -> None:
    path = sqlite_file(tmp_path / "c.sqlite", {"cities": [("Zürich", "1"), ("Zurich", "2")]},
                       create='CREATE TABLE {} ("City" TEXT, "N" TEXT)')  # fmt: skip
    out = json.loads(runner.invoke(app, ["run", str(path), 'count(word_match(reset, "City", "zurich"))', "--json"]).stdout)
    assert out["answer"] == ["2"] and out["sql_caveat"] == ""  # the SQL folds the ü it holds
    assert on_file(path, out["sql"]) == [(2,)]


# -- reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_typed_columns_keep_their_types(tmp_path: Path, kind: str) -> None:
    table = load_table(make(kind, tmp_path))
    assert table.column_kinds == {"Year": "number", "Single": "text", "Billboard": "number", "Polish Charts": "number", "Album": "text"}
    assert list(table["Billboard"].texts[:2]) == ["", "24"]
    assert table["Year"].year[0] == 2008  # an integer year is a year, as in a CSV


def test_a_duckdb_date_column_is_a_date_column(tmp_path: Path) -> None:
    import datetime as dt

    path = duckdb_file(tmp_path / "d.duckdb", {"games": [(dt.date(2004, 5, 3), 2.5), (None, 10.0)]},
                       create='CREATE TABLE {} ("Day" DATE, "Score" DECIMAL(5,2))')  # fmt: skip
    table = load_table(path)
    assert table.column_kinds == {"Day": "date", "Score": "number"}
    assert list(table["Day"].texts) == ["2004-05-03", ""] and list(table["Score"].texts) == ["2.50", "10.00"]
    assert (table["Day"].year[0], table["Day"].month[0], table["Day"].day[0]) == (2004, 5, 3)


def test_rows_come_in_rowid_order(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE x ("Name" TEXT)')
        conn.executemany("INSERT INTO x (rowid, Name) VALUES (?, ?)", [(30, "c"), (10, "a"), (20, "b")])
        conn.execute('CREATE INDEX by_name ON x ("Name" DESC)')
    conn.close()
    assert list(load_table(path)["Name"].texts) == ["a", "b", "c"]


def test_a_without_rowid_table_is_read_in_primary_key_order(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE x ("Id" INTEGER PRIMARY KEY, "Name" TEXT) WITHOUT ROWID')
        conn.executemany("INSERT INTO x VALUES (?, ?)", [(3, "c"), (1, "a"), (2, "b")])
    conn.close()
    table = load_table(path)
    assert list(table["Name"].texts) == ["a", "b", "c"]
    out = json.loads(runner.invoke(app, ["run", str(path), 'print(next(word_match(reset, "Name", "a")), "Name")', "--json"]).stdout)
    assert out["answer"] == ["b"] and on_file(path, out["sql"]) == [("b",)]


def test_a_database_table_has_no_summary_rows(tmp_path: Path) -> None:
    path = sqlite_file(tmp_path / "s.sqlite", {"x": [("a", 1), ("b", 2), ("Total", 3)]}, create='CREATE TABLE {} ("Name" TEXT, "N" INTEGER)')
    assert not load_table(path).summary_rows.any()


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_several_tables_without_table_list_them(tmp_path: Path, kind: str) -> None:
    path = make(kind, tmp_path, tables={"albums": SINGLES, "singles": SINGLES})
    line = error_line(runner.invoke(app, ["ask", str(path), QUESTION]))
    assert line == f"error: {path}: the database holds 2 tables (albums, singles); choose one with --table NAME"


@pytest.mark.parametrize("kind", KINDS)
def test_a_missing_table_is_named_with_the_tables_there_are(tmp_path: Path, kind: str) -> None:
    line = error_line(runner.invoke(app, ["ask", str(make(kind, tmp_path)), QUESTION, "--table", "songs"]))
    assert line == f"error: {tmp_path / f'music.{kind}'}: no table named 'songs'; its tables: singles"


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_database_is_refused(tmp_path: Path, kind: str) -> None:
    path = make(kind, tmp_path, tables={})
    if kind == "sqlite":  # SQLite writes no header until something is stored
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA user_version = 1")
        conn.close()
    label = "SQLite" if kind == "sqlite" else "DuckDB"
    assert error_line(runner.invoke(app, ["ask", str(path), QUESTION])) == f"error: {path}: an empty {label} database: it holds no table"


@pytest.mark.parametrize("kind", KINDS)
def test_a_table_with_no_rows_is_refused(tmp_path: Path, kind: str) -> None:
    path = make(kind, tmp_path, tables={"singles": []})
    assert error_line(runner.invoke(app, ["ask", str(path), QUESTION])).endswith("table 'singles' has no rows")


@pytest.mark.parametrize("name", ["notes.sqlite", "notes.duckdb", "notes.db"])
def test_a_file_named_as_a_database_that_is_not_one_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("Year,Single\n2010,Arabesque\n")
    line = error_line(runner.invoke(app, ["ask", str(path), QUESTION]))
    assert "not a SQLite or DuckDB database" in line


def test_a_broken_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.dat"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    assert "not a readable SQLite database" in error_line(runner.invoke(app, ["ask", str(path), QUESTION]))


def test_table_on_a_csv_is_refused(tmp_path: Path) -> None:
    line = error_line(runner.invoke(app, ["ask", "data/tiny/csv/204-csv/365.csv", QUESTION, "--table", "x"]))
    assert line.endswith("--table applies to SQLite and DuckDB database files, and this is not one")


def test_a_database_on_stdin_is_refused(tmp_path: Path) -> None:
    data = sqlite_file(tmp_path / "m.sqlite").read_bytes()
    result = runner.invoke(app, ["run", "-", "count(reset)"], input=data)
    assert "a SQLite database, which npqa reads from its path" in error_line(result)


def test_db_copy_of_a_database_table_is_refused_and_nothing_written(tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite"
    line = error_line(runner.invoke(app, ["ask", str(make("sqlite", tmp_path)), QUESTION, "--db", str(copy)]))
    assert line.startswith("error: --db: the table already lives in")
    assert not copy.exists()


def test_another_dialect_for_a_database_table_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sql", str(make("sqlite", tmp_path)), "count(reset)", "--dialect", "postgres"])
    assert error_line(result).startswith("error: --dialect: the SQL runs on")


def test_a_view_is_named_as_a_view(tmp_path: Path) -> None:
    path = make("sqlite", tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE VIEW recent AS SELECT * FROM singles WHERE "Year" > 2009')
    conn.close()
    assert "'recent' is a view" in error_line(runner.invoke(app, ["ask", str(path), QUESTION, "--table", "recent"]))


def test_a_duckdb_file_without_duckdb_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make("duckdb", tmp_path)
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb now fails
    line = error_line(runner.invoke(app, ["ask", str(path), QUESTION]))
    assert line == "error: duckdb: reading a DuckDB file needs the duckdb package: pip install 'npqa[duckdb]'"


def test_reading_never_writes_to_the_file(tmp_path: Path) -> None:
    path = make("sqlite", tmp_path)
    before = path.read_bytes()
    runner.invoke(app, ["run", str(path), 'count(word_match(reset, "Album", "that girl"))'])
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["music.sqlite"]


def test_load_table_names_the_table_option() -> None:
    with pytest.raises(TableError, match="--table applies"):
        load_table("data/tiny/csv/204-csv/365.csv", db_table="x")


def test_a_duckdb_table_in_another_schema_is_named_with_its_schema(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "s.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE SCHEMA charts")
    conn.execute('CREATE TABLE charts.singles ("Year" INTEGER, "Single" VARCHAR)')
    conn.execute("INSERT INTO charts.singles VALUES (2010, 'Arabesque'), (2012, 'Beat')")
    conn.close()
    out = json.loads(runner.invoke(app, ["run", str(path), 'count(greater(reset, "Year", 2009))', "--table", "charts.singles", "--json"]).stdout)
    assert out["answer"] == ["2"] and 'FROM "charts"."singles"' in out["sql"]
    assert on_file(path, out["sql"]) == [(2,)]


def test_an_uploaded_database_gets_sql_over_table_t(tmp_path: Path) -> None:
    """npqa serve deletes an upload once read, so its SQL cannot read the file."""
    pytest.importorskip("starlette")
    from npqa.grammars.ops import LANGUAGE
    from npqa.lang.textform import parse
    from npqa.serve.app import read_upload

    session = read_upload(tmp_path, "music.sqlite", make("sqlite", tmp_path).read_bytes())
    sql = session.sql(parse('count(equal(reset, "Year", 2010))', LANGUAGE), LANGUAGE)
    assert sql == 'SELECT COUNT(*) FROM "t" WHERE "Year.num" = 2010'


def test_text_that_is_not_utf8_is_read_with_replacement_characters(tmp_path: Path) -> None:
    path = tmp_path / "latin.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE x ("City" TEXT)')
        conn.execute("INSERT INTO x VALUES (CAST(X'5AFC72696368' AS TEXT)), ('Oslo')")  # Zürich in Latin-1
    conn.close()
    assert list(load_table(path)["City"].texts) == ["Z\ufffdrich", "Oslo"]
    out = json.loads(runner.invoke(app, ["run", str(path), 'count(word_match(reset, "City", "oslo"))', "--json"]).stdout)
    assert out["answer"] == ["1"] and on_file(path, out["sql"]) == [(1,)]


@pytest.mark.parametrize("module", ["npqa.lang.sqlsource", "npqa.table.formats"])
def test_the_docstring_examples_hold(module: str) -> None:
    import doctest
    import importlib

    failed, tried = doctest.testmod(importlib.import_module(module))
    assert tried > 0 and failed == 0


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.text())
def test_words_by_character_are_the_match_words(text: str) -> None:
    """The SQL folds words one character at a time (a REPLACE each); that gives
    match_text's words (the check on the file still catches what a database's
    LOWER does differently)."""
    from npqa.lang.sqlsource import char_words
    from npqa.table.text import match_text

    assert " ".join("".join(char_words(ch) for ch in text).split()) == match_text(text)
