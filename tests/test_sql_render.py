"""How programs read as SQL: one table of (program, SQL) cases, each also run by
SQLite to the executor's answer; the renderer's doctests; the one-line note on
helper columns in ``run``, ``sql`` and ``--json``. (The agreement law over random
tables and programs is ``test_sql_agreement.py``.)"""
from __future__ import annotations

import doctest
import json
import sqlite3

import pytest
from npqa.grammars.ops import LANGUAGE
from typer.testing import CliRunner

import npqa.lang.sql as sql_module
from npqa.cli import app
from npqa.lang.executor import execute
from npqa.lang.sql import helper_columns, helper_note, program_sql, render, write_sqlite
from npqa.lang.textform import parse
from npqa.table.column import Table
from npqa.table.read import make_column


def table() -> Table:
    """
    | Year | Team               | Date        |
    |------|--------------------|-------------|
    | 2004 | Los Angeles Lakers | May 3, 2004 |
    | 2006 | Saskatoon          | 2006        |
    | 2004 | Calgary            | June 2005   |
    |      | Lakers             | May 2004    |
    """
    return Table(
        [
            make_column("Year", ["2004", "2006", "2004", ""]),
            make_column("Team", ["Los Angeles Lakers", "Saskatoon", "Calgary", "Lakers"]),
            make_column("Date", ["May 3, 2004", "2006", "June 2005", "May 2004"]),
        ],
        "<test>",
    )


CASES = [
    ('count(reset)',
     'SELECT COUNT(*) FROM "t"'),
    ('count(greater(reset, "Year", 2004))',
     'SELECT COUNT(*) FROM "t" WHERE "Year.num" > 2004'),
    ('count(less(reset, "Date", 2005-06-xx))',
     'SELECT COUNT(*) FROM "t" WHERE "Date.year" * 100 + "Date.month" < 200506'),
    ('count(geq(reset, "Date", 2005-xx-xx))',
     'SELECT COUNT(*) FROM "t" WHERE "Date.year" >= 2005'),
    ('count(leq(reset, "Year", 2004))',
     'SELECT COUNT(*) FROM "t" WHERE "Year.num" <= 2004'),
    ('count(equal(reset, "Date", 2004-05-03))',
     'SELECT COUNT(*) FROM "t" WHERE "Date.year" = 2004 AND "Date.month" = 5 AND "Date.day" = 3'),
    ('print(word_match(reset, "Team", "lakers"), "Year")',
     'SELECT "Year" FROM "t" WHERE "Team.words" LIKE \'% lakers %\' AND "Year" <> \'\' GROUP BY "Year" ORDER BY MIN("row#")'),
    ('count(also_match(word_match(reset, "Team", "lakers"), "Team", "calgary"))',
     'SELECT COUNT(*) FROM "t" WHERE "Team.words" LIKE \'% lakers %\' OR "Team.words" LIKE \'% calgary %\''),
    ('print(first(reset), "Team")',
     'SELECT "Team" FROM "t" WHERE "row#" = (SELECT MIN("row#") FROM "t") AND "Team" <> \'\''),
    ('print(last(word_match(reset, "Team", "lakers")), "Team")',
     'SELECT "Team" FROM "t" WHERE "row#" = (SELECT MAX("row#") FROM "t" WHERE "Team.words" LIKE \'% lakers %\') AND "Team" <> \'\''),
    ('print(previous(word_match(reset, "Team", "calgary")), "Team")',
     'SELECT "Team" FROM "t" WHERE "row#" IN (SELECT "row#" - 1 FROM "t" WHERE "Team.words" LIKE \'% calgary %\') AND "Team" <> \'\' GROUP BY "Team" ORDER BY MIN("row#")'),
    ('print(next(equal(reset, "Year", 2004)), "Team")',
     'SELECT "Team" FROM "t" WHERE "row#" IN (SELECT "row#" + 1 FROM "t" WHERE "Year.num" = 2004) AND "Team" <> \'\' GROUP BY "Team" ORDER BY MIN("row#")'),
    ('print(argmax(reset, "Year"), "Team")',
     'SELECT "Team" FROM "t" WHERE "Year.num" = (SELECT MAX("Year.num") FROM "t") AND "Team" <> \'\' GROUP BY "Team" ORDER BY MIN("row#")'),
    ('print(argmin(reset, "Date"), "Team")',
     'SELECT "Team" FROM "t" WHERE "Date.year" * 10000 + COALESCE("Date.month", 0) * 100 + COALESCE("Date.day", 0) = (SELECT MIN("Date.year" * 10000 + COALESCE("Date.month", 0) * 100 + COALESCE("Date.day", 0)) FROM "t") AND "Team" <> \'\' GROUP BY "Team" ORDER BY MIN("row#")'),
    ('print(mode(reset, "Year"), "Year")',
     'SELECT "Year" FROM "t" WHERE "Year" IN (SELECT "Year" FROM "t" WHERE "Year" <> \'\' GROUP BY "Year" HAVING COUNT(*) = (SELECT COUNT(*) FROM "t" WHERE "Year" <> \'\' GROUP BY "Year" ORDER BY COUNT(*) DESC LIMIT 1)) AND "Year" <> \'\' GROUP BY "Year" ORDER BY MIN("row#")'),
    ('sum(word_match(reset, "Team", "lakers"), "Year")',
     'SELECT COALESCE(SUM("Year.num"), 0) FROM "t" WHERE "Team.words" LIKE \'% lakers %\''),
    ('average(reset, "Year")',
     'SELECT AVG("Year.num") FROM "t"'),
    ('difference(also_match(word_match(reset, "Team", "saskatoon"), "Team", "calgary"), "Year")',
     'SELECT MAX("Year.num") - MIN("Year.num") FROM "t" WHERE "Team.words" LIKE \'% saskatoon %\' OR "Team.words" LIKE \'% calgary %\''),
    ('count(greater(also_match(word_match(reset, "Team", "lakers"), "Team", "calgary"), "Year", 2000))',
     'SELECT COUNT(*) FROM "t" WHERE ("Team.words" LIKE \'% lakers %\' OR "Team.words" LIKE \'% calgary %\') AND "Year.num" > 2000'),
    ('count(argmax(argmin(reset, "Date"), "Year"))',
     'WITH "step1" AS (SELECT * FROM "t" WHERE "Date.year" * 10000 + COALESCE("Date.month", 0) * 100 + COALESCE("Date.day", 0) = (SELECT MIN("Date.year" * 10000 + COALESCE("Date.month", 0) * 100 + COALESCE("Date.day", 0)) FROM "t")) SELECT COUNT(*) FROM "step1" WHERE "Year.num" = (SELECT MAX("Year.num") FROM "step1")'),
    ('count(keep(reset))',
     'SELECT COUNT(*) FROM "t"'),
    ('count(not_match(reset, "Team", "lakers"))',
     'SELECT COUNT(*) FROM "t" WHERE NOT "Team.words" LIKE \'% lakers %\''),
    ('count(nonempty(reset, "Year"))',
     'SELECT COUNT(*) FROM "t" WHERE "Year" <> \'\''),
    ('print(same_as(word_match(reset, "Team", "calgary"), "Year"), "Team")',
     'SELECT "Team" FROM "t" WHERE "Year" IN (SELECT "Year" FROM "t" WHERE "Team.words" LIKE \'% calgary %\' AND "Year" <> \'\') AND NOT "row#" IN (SELECT "row#" FROM "t" WHERE "Team.words" LIKE \'% calgary %\') AND "Team" <> \'\' GROUP BY "Team" ORDER BY MIN("row#")'),
    ('count(more_than(word_match(reset, "Team", "calgary"), "Year"))',
     'SELECT COUNT(*) FROM "t" WHERE "Year.num" > (SELECT MAX("Year.num") FROM "t" WHERE "Team.words" LIKE \'% calgary %\')'),
    ('print(less_than(word_match(reset, "Team", "saskatoon"), "Date"), "Team")',
     'SELECT "Team" FROM "t" WHERE "Date.year" * 10000 + COALESCE("Date.month", 0) * 100 + COALESCE("Date.day", 0) < (SELECT MIN("Date.year" * 10000 + COALESCE("Date.month", 0) * 100 + COALESCE("Date.day", 0)) FROM "t" WHERE "Team.words" LIKE \'% saskatoon %\') AND "Team" <> \'\' GROUP BY "Team" ORDER BY MIN("row#")'),
    ('count_distinct(reset, "Year")',
     'SELECT COUNT(DISTINCT "Year") FROM "t" WHERE "Year" <> \'\''),
    ('exists(more_than(word_match(reset, "Team", "saskatoon"), "Year"))',
     'SELECT CASE WHEN COUNT(*) > 0 THEN \'yes\' ELSE \'no\' END FROM "t" WHERE "Year.num" > (SELECT MAX("Year.num") FROM "t" WHERE "Team.words" LIKE \'% saskatoon %\')'),
    ('longest_run(word_match(reset, "Team", "lakers"))',
     'SELECT COALESCE(MAX("n"), 0) FROM (SELECT COUNT(*) AS "n" FROM (SELECT "row#" - ROW_NUMBER() OVER (ORDER BY "row#") AS "run" FROM "t" WHERE "Team.words" LIKE \'% lakers %\') AS "runs" GROUP BY "run") AS "lengths"'),
    ('exists(greater(reset, "Year", 2005))',
     'SELECT CASE WHEN COUNT(*) > 0 THEN \'yes\' ELSE \'no\' END FROM "t" WHERE "Year.num" > 2005'),
    ('count_distinct(occurs_at_least(reset, "Year", 2), "Year")',
     'SELECT COUNT(DISTINCT "Year") FROM "t" WHERE "Year" IN (SELECT "Year" FROM "t" WHERE "Year" <> \'\' GROUP BY "Year" HAVING COUNT(*) >= 2) AND "Year" <> \'\''),
    ('first_part(reset, "Date")',
     'SELECT TRIM(CASE WHEN INSTR("Date", \',\') > 0 THEN SUBSTRING("Date", 1, INSTR("Date", \',\') - 1) ELSE "Date" END) FROM "t" WHERE "Date" <> \'\' GROUP BY TRIM(CASE WHEN INSTR("Date", \',\') > 0 THEN SUBSTRING("Date", 1, INSTR("Date", \',\') - 1) ELSE "Date" END) ORDER BY MIN("row#")'),
    ('number_in(word_match(reset, "Team", "lakers"), "Date")',
     'SELECT "Date.num" FROM "t" WHERE "Team.words" LIKE \'% lakers %\' AND NOT "Date.num" IS NULL GROUP BY "Date.num" ORDER BY MIN("row#")'),
    ('second_number(first(reset), "Date")',
     'SELECT "Date.num2" FROM "t" WHERE "row#" = (SELECT MIN("row#") FROM "t") AND NOT "Date.num2" IS NULL'),
    ('margin(word_match(reset, "Team", "los angeles"), "Date")',
     'SELECT ABS("Date.num" - "Date.num2") FROM "t" WHERE "Team.words" LIKE \'% los angeles %\' AND NOT ABS("Date.num" - "Date.num2") IS NULL GROUP BY ABS("Date.num" - "Date.num2") ORDER BY MIN("row#")'),
    ('count(margin_over(reset, "Date", 1))',
     'SELECT COUNT(*) FROM "t" WHERE ABS("Date.num" - "Date.num2") > 1'),
    ('count_exceeds(greater(reset, "Year", 2004), 0)',
     'SELECT CASE WHEN COUNT(*) > 0 THEN \'yes\' ELSE \'no\' END FROM "t" WHERE "Year.num" > 2004'),
    ('print(exceeds(reset, "Year", "Date"), "Team")',
     'SELECT "Team" FROM "t" WHERE "Year.num" > "Date.num" AND "Team" <> \'\' GROUP BY "Team" ORDER BY MIN("row#")'),
    ('sum_two(word_match(reset, "Team", "calgary"), "Year", "Date")',
     'SELECT COALESCE(SUM("Year.num"), 0) + COALESCE(SUM("Date.num"), 0) FROM "t" WHERE "Team.words" LIKE \'% calgary %\''),
    ('span(word_match(reset, "Team", "los angeles"), "Year", "Date")',
     'SELECT SUM(ABS("Date.num" - "Year.num")) FROM "t" WHERE "Team.words" LIKE \'% los angeles %\''),
    ('header_argmax(word_match(reset, "Team", "lakers"))',
     'WITH "step1" AS (SELECT * FROM "t" WHERE "Team.words" LIKE \'% lakers %\') SELECT "name" FROM (SELECT \'Year\' AS "name", 1 AS "pos", SUM("Year.num") AS "total" FROM "step1") AS "sums" WHERE NOT "total" IS NULL ORDER BY "total" DESC, "pos" LIMIT 1'),
    ('header_argmin(reset)',
     'SELECT "name" FROM (SELECT \'Year\' AS "name", 1 AS "pos", SUM("Year.num") AS "total" FROM "t") AS "sums" WHERE NOT "total" IS NULL ORDER BY "total" ASC, "pos" LIMIT 1'),
]


@pytest.mark.parametrize(("program", "expected"), CASES)
def test_program_renders_to_this_sql_and_sqlite_agrees(program: str, expected: str) -> None:
    data = table()
    conn = sqlite3.connect(":memory:")
    schema = write_sqlite(data, conn)
    prog = parse(program, LANGUAGE)
    sql = render(prog, schema, LANGUAGE)
    assert sql == expected
    answer = execute(prog, data, LANGUAGE)
    got = [row[0] for row in conn.execute(sql).fetchall()]
    if answer.is_text:
        assert got == list(answer.items)
    else:
        assert [float(g) for g in got] == [float(a) for a in answer.items]


def test_every_op_has_a_case() -> None:
    ops = {step.op for program, _ in CASES for step in parse(program, LANGUAGE).steps}
    assert ops | {"reset", "keep"} == {op.name for op in LANGUAGE}


def test_the_renderer_doctests_pass() -> None:
    result = doctest.testmod(sql_module)
    assert result.failed == 0
    assert result.attempted >= 10


def test_helper_columns_say_what_each_holds() -> None:
    schema = write_sqlite(table(), sqlite3.connect(":memory:"))
    query = program_sql(parse('print(first(word_match(reset, "Team", "lakers")), "Year")', LANGUAGE), schema, LANGUAGE)
    assert helper_columns(query, schema) == {
        "row#": "the row's position, 0 for the first row",
        "Team.words": 'the lower-case words of "Team" between spaces',
    }


def test_a_query_without_helper_columns_has_no_note() -> None:
    schema = write_sqlite(table(), sqlite3.connect(":memory:"))
    query = program_sql(parse("count(reset)", LANGUAGE), schema, LANGUAGE)
    assert helper_note(query, schema) == ""
    assert helper_columns(query, schema) == {}


def test_the_note_quotes_names_as_the_dialect_does() -> None:
    schema = write_sqlite(table(), sqlite3.connect(":memory:"))
    query = program_sql(parse('count(greater(reset, "Year", 2004))', LANGUAGE), schema, LANGUAGE)
    assert helper_note(query, schema, "tsql") == "-- [Year.num] is the number read from [Year]"


def test_a_helper_name_clashing_with_a_header_is_explained_by_its_own_name() -> None:
    data = Table([make_column("Year", ["2004", "2006"]), make_column("Year.num", ["x", "y"])], "<test>")
    schema = write_sqlite(data, sqlite3.connect(":memory:"))
    query = program_sql(parse('print(greater(reset, "Year", 2004), "Year.num")', LANGUAGE), schema, LANGUAGE)
    assert helper_columns(query, schema)["Year.num#2"] == 'the number read from "Year"'
    assert "Year.num" not in helper_columns(query, schema)  # the user's own column is no helper


# ---------------------------------------------------------------------------- the note in the CLI
runner = CliRunner()
TABLE_CSV = "Year,Team\n2004,Los Angeles Lakers\n2006,Saskatoon\n"
PROGRAM = 'count(greater(reset, "Year", 2004))'
NOTE = '-- "Year.num" is the number read from "Year"'


@pytest.fixture()
def csv_path(tmp_path):
    path = tmp_path / "teams.csv"
    path.write_text(TABLE_CSV, encoding="utf-8")
    return str(path)


def test_run_prints_the_note_under_the_sql(csv_path: str) -> None:
    lines = runner.invoke(app, ["run", csv_path, PROGRAM]).stdout.splitlines()
    assert lines[2] == 'sql: SELECT COUNT(*) FROM "t" WHERE "Year.num" > 2004'
    assert lines[3] == NOTE


def test_run_json_has_the_helpers(csv_path: str) -> None:
    data = json.loads(runner.invoke(app, ["run", csv_path, PROGRAM, "--json"]).stdout)
    assert data["sql_helpers"] == {"Year.num": 'the number read from "Year"'}


def test_sql_prints_the_note_on_stderr_and_only_sql_on_stdout(csv_path: str, tmp_path) -> None:
    db = tmp_path / "t.sqlite"
    result = runner.invoke(app, ["sql", csv_path, PROGRAM, "--db", str(db)])
    assert result.exit_code == 0
    assert result.stderr.strip() == NOTE
    assert sqlite3.connect(db).execute(result.stdout).fetchall() == [(1,)]


def test_ask_shows_the_note_under_the_sql() -> None:
    from rich.console import Console

    from npqa.api import AskResult
    from npqa.cli.ask import _show_answer

    sql = 'SELECT COUNT(*) FROM "t" WHERE "Year.num" > 2004'
    result = AskResult(answer=["1"], sql=sql, program=PROGRAM, confidence=0.9, steps=[], sql_note=NOTE)
    console = Console(record=True, width=200)
    _show_answer(console, result, False, None, 1, None, None)
    lines = console.export_text().splitlines()
    assert lines[lines.index(sql) + 1] == NOTE
