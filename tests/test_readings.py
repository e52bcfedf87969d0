"""Reading numbers and times right, column by column (issue 12, part A): decimal
commas decided per column, durations beside the number, summary rows left out of
the rows programs start from, and the notes a user is shown."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from npqa.cli import app
from npqa.errors import TableError
from npqa.grammars.ops import LANGUAGE
from npqa.lang.executor import execute
from npqa.lang.oracle import consistent
from npqa.lang.sql import Schema, render, write_sqlite
from npqa.lang.textform import parse
from npqa.question.link import read_question
from npqa.table.column import Table
from npqa.table.read import load_table, make_column

runner = CliRunner()

# ----------------------------------------------------------------- decimal commas, per column and per file


@pytest.mark.parametrize(
    ("cells", "numbers"),
    [
        (["3,75", "12,5", "4"], [3.75, 12.5, 4.0]),
        (["1,234", "12,345,678", "5"], [1234.0, 12345678.0, 5.0]),
        (["1,234", "22,395"], [1234.0, 22395.0]),
        (["3,75", "1,250"], [3.75, 1.25]),
        (["1.234,5", "7,25 €"], [1234.5, 7.25]),
        (["4,02", "3,92", "+0,8%"], [4.02, 3.92, 0.8]),
        (["1,1024", "10,000"], [1.0, 10000.0]),  # 1,1024 is a slip: no vote, read as before
    ],
)
def test_a_column_reads_its_decimal_mark_from_its_cells(cells: list[str], numbers: list[float]) -> None:
    assert make_column("X", cells).numbers.tolist() == numbers


def test_an_uncertain_guess_leaves_a_note() -> None:
    assert make_column("Price", ["3,75", "1,250"]).notes
    assert not make_column("Price", ["3,75", "12,5"]).notes
    assert not make_column("Population", ["1,234", "12,345"]).notes


def test_a_semicolon_file_s_ambiguous_column_follows_its_decimal_comma(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("Item;Price;Weight\nTea;3,75;1,250\nCake;12,5;0,5\nBread;2;1\n", encoding="utf-8")
    table = load_table(path)
    assert table["Price"].numbers.tolist() == [3.75, 12.5, 2.0]
    assert table["Weight"].numbers.tolist() == [1.25, 0.5, 1.0]
    assert any('"Weight"' in note for note in table.notices)


def test_a_comma_file_mixing_conventions_keeps_thousands(tmp_path: Path) -> None:
    path = tmp_path / "tourism.csv"
    path.write_text('Country,Arrivals,Share\nMexico,"22,395","7,4"\nPanama,"1,317","3,2"\n', encoding="utf-8")
    table = load_table(path)
    assert table["Arrivals"].numbers.tolist() == [22395.0, 1317.0]
    assert table["Share"].numbers.tolist() == [7.4, 3.2]


@pytest.mark.parametrize(("decimal", "weight"), [(",", [1.25, 2.0]), (".", [1250.0, 2.0])])
def test_the_decimal_option_overrides_the_guess(tmp_path: Path, decimal: str, weight: list[float]) -> None:
    path = tmp_path / "w.csv"
    path.write_text("Item;Weight\nTea;1,250\nCake;2\n", encoding="utf-8")
    assert load_table(path, decimal=decimal)["Weight"].numbers.tolist() == weight


def test_a_decimal_mark_other_than_comma_or_point_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(TableError, match="decimal mark"):
        load_table(path, decimal=";")


def test_day_first_column_reads_every_date_day_first() -> None:
    column = make_column("Date", ["29/10/2004", "06/04/2006", "08/11/2000"])
    assert [d.iso() for d in column.dates] == ["2004-10-29", "2006-04-06", "2000-11-08"]


# ----------------------------------------------------------------- durations


def test_heights_in_feet_and_inches_read_as_inches() -> None:
    column = make_column("Height", ["6–8", "5–10", "7–0", "6'2\"", "6 ft 2 in", "6'"])
    assert column.numbers.tolist() == [80.0, 70.0, 84.0, 74.0, 74.0, 72.0]
    assert np.isnan(column.numbers2).all()  # no second number: 6–8 is one height, not a score


def test_feet_and_inches_only_in_a_column_named_for_heights() -> None:
    assert make_column("Score", ["6–8", "7–0"]).numbers.tolist() == [6.0, 7.0]
    assert make_column("Ht.", ["6–8", "7–0"]).numbers.tolist() == [80.0, 84.0]
    assert make_column("Height", ["68", "6–12", "1.85"]).numbers.tolist() == [68.0, 6.0, 1.85]  # no feet and inches


def test_the_tallest_player_does_not_tie_with_every_six_footer() -> None:
    table = Table([make_column("Name", ["Ann", "Bea", "Cy"]), make_column("Height", ["6–8", "6–10", "6–4"])], "<t>")
    assert execute(parse('print(argmax(reset, "Height"), "Name")', LANGUAGE), table, LANGUAGE).items == ("Bea",)


def test_race_times_do_not_tie() -> None:
    column = make_column("Time", ["1:48.64", "1:49.52", "1:47.67", "DNF"])
    assert column.duration_numbers
    assert column.numbers[:3].tolist() == pytest.approx([108.64, 109.52, 107.67])
    assert np.isnan(column.numbers[3])
    assert column.kind == "number"


def test_durations_sit_beside_the_number_in_any_column() -> None:
    column = make_column("Notes", ["2:08:24 PB", "lap 3", "fastest"])
    assert not column.duration_numbers  # mostly not durations: numbers stay the first numbers
    assert column.numbers[0] == 2.0
    assert column.durations[0] == 7704.0
    assert np.isnan(column.durations[1])


def test_argmin_over_race_times_picks_the_fastest() -> None:
    table = Table([make_column("Name", ["Ann", "Bea", "Cy"]), make_column("Time", ["2:05.19", "2:01.84", "2:10.50"])], "<t>")
    answer = execute(parse('print(argmin(reset, "Time"), "Name")', LANGUAGE), table, LANGUAGE)
    assert answer.items == ("Bea",)
    answer = execute(parse('difference(reset, "Time")', LANGUAGE), table, LANGUAGE)
    assert float(answer.items[0]) == pytest.approx(8.66)


def test_minutes_in_a_question_compare_with_a_column_of_durations() -> None:
    table = Table([make_column("Song", ["A", "B", "C"]), make_column("Length", ["3:45", "4:10", "4:47"])], "<t>")
    linked = read_question("how many songs are longer than 4 minutes?", table)
    assert 240.0 in [c.value for c in linked.constants]
    linked = read_question("which song is longer than 4:20?", table)
    assert 260.0 in [c.value for c in linked.constants]


def test_minutes_stay_minutes_without_a_column_of_durations() -> None:
    table = Table([make_column("Film", ["A", "B"]), make_column("Length", ["90 min", "105 min"])], "<t>")
    linked = read_question("which film is longer than 100 minutes?", table)
    assert 100.0 in [c.value for c in linked.constants]


def players() -> Table:
    return Table([make_column("Name", ["Ann", "Bea", "Cy"]), make_column("Height", ["6–8", "6–10", "6'4\""])], "<t>")


@pytest.mark.parametrize(("question", "inches"), [
    ("who is taller than 6' 5\"?", 77.0),
    ("how many players are taller than 6-8?", 80.0),
    ("who is shorter than 6 ft 9 in?", 81.0),
])  # fmt: skip
def test_a_height_in_a_question_reads_as_inches_against_a_column_of_heights(question: str, inches: float) -> None:
    numbers = [c.value for c in read_question(question, players()).constants if c.kind == "number"]
    assert numbers == [inches]


def test_an_inch_mark_opens_no_quoted_string() -> None:
    strings = [c.value for c in read_question('is ann shorter than 6\' 9" or 6\' 10"?', players()).constants if c.kind == "string"]
    assert all('"' not in s and "or" not in s.split() for s in strings)


def test_feet_and_inches_in_a_question_stay_two_numbers_without_heights() -> None:
    table = Table([make_column("Game", ["A", "B"]), make_column("Score", ["6–3", "2–1"])], "<t>")
    numbers = [c.value for c in read_question("which game ended 6-3?", table).constants if c.kind == "number"]
    assert numbers == [6.0, 3.0]


# ----------------------------------------------------------------- summary rows


def medals() -> Table:
    """| Nation | Gold |  with a trailing Total row."""
    return Table(
        [make_column("Nation", ["Norway", "Italy", "Chile", "Total"]), make_column("Gold", ["3", "5", "1", "9"])],
        "<medals>",
    )


@pytest.mark.parametrize(
    ("columns", "summary"),
    [
        ({"Nation": ["Norway", "Italy", "Total"], "Gold": ["3", "5", "8"]}, [False, False, True]),
        ({"Nation": ["Norway", "Italy", "Chile", "Totals:"], "Gold": ["3", "5", "1", "9"]}, [False, False, False, True]),
        ({"Nation": ["Norway", "Italy", "Grand Total (2)"], "Gold": ["3", "5", "8"]}, [False, False, True]),
        ({"Nation": ["Norway", "Italy", "Average"], "Gold": ["3", "5", "4"]}, [False, False, True]),
        ({"Nation": ["Norway", "Italy", "Total", "Source: IOC"], "Gold": ["3", "5", "8", ""]}, [False, False, True, False]),
        ({"Type": ["Total", "Partial", "Total"], "Year": ["2001", "2002", "2003"]}, [False, False, False]),  # eclipses
        ({"Nation": ["Norway", "Total"], "Gold": ["3", "3"]}, [False, False]),  # two rows: nothing to sum
        ({"Nation": ["Norway", "Nation", "Italy"], "Gold": ["3", "Gold", "5"]}, [False, True, False]),  # header again
        ({"Nation": ["Norway", "nation", "Italy"], "Gold": ["3", "", "5"]}, [False, False, False]),  # one cell only
    ],
)
def test_summary_rows_are_found(columns: dict[str, list[str]], summary: list[bool]) -> None:
    table = Table([make_column(name, cells) for name, cells in columns.items()], "<t>")
    assert table.summary_rows.tolist() == summary


@pytest.mark.parametrize(
    ("program", "answer"),
    [
        ("count(reset)", ("3",)),
        ('sum(reset, "Gold")', ("9",)),
        ('average(reset, "Gold")', ("3",)),
        ('print(argmax(reset, "Gold"), "Nation")', ("Italy",)),
        ('print(last(reset), "Nation")', ("Chile",)),
        ('count(greater(reset, "Gold", 2))', ("2",)),
        ('print(word_match(reset, "Nation", "total"), "Gold")', ("9",)),  # naming the Total row reads it
        ('print(word_match(greater(reset, "Gold", 4), "Nation", "total"), "Gold")', ("9",)),
        ('count(also_match(word_match(reset, "Nation", "italy"), "Nation", "total"))', ("2",)),
    ],
)
def test_summary_rows_are_left_out_unless_named(program: str, answer: tuple[str, ...]) -> None:
    """The executor and SQLite agree on every case; the SQL shows the condition."""
    table = medals()
    prog = parse(program, LANGUAGE)
    assert execute(prog, table, LANGUAGE).items == answer
    conn = sqlite3.connect(":memory:")
    sql = render(prog, write_sqlite(table, conn), LANGUAGE)
    got = [row[0] for row in conn.execute(sql).fetchall()]
    assert [str(x) if isinstance(x, str) else f"{x:g}" for x in got] == list(answer), sql
    if "word_match(reset" not in program and "also_match" not in program:
        assert '"summary#" = 0' in sql


def test_a_table_without_summary_rows_keeps_its_sql() -> None:
    schema = Schema.of_table(Table([make_column("Nation", ["Norway", "Italy"]), make_column("Gold", ["3", "5"])], "<t>"))
    assert schema.summary is None
    assert render(parse("count(reset)", LANGUAGE), schema, LANGUAGE) == 'SELECT COUNT(*) FROM "t"'


def test_the_oracle_starts_from_the_start_rows() -> None:
    table = medals()
    found = consistent(table, [], lambda items: items == ("3",), LANGUAGE)
    assert any(str(p.steps[-1].op) == "count" and len(p.steps) == 1 for p in found.programs)


def test_summary_rows_are_said(tmp_path: Path) -> None:
    path = tmp_path / "medals.csv"
    path.write_text("Nation,Gold\nNorway,3\nItaly,5\nChile,1\nTotal,9\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "count(reset)"])
    assert result.exit_code == 0, result.stderr
    assert "answer: 3" in result.stdout
    assert 'note: summary row left out of counts, sums and superlatives: row 4 ("Total")' in result.stderr
    assert '"summary#" = 0' in result.stdout


def test_decimal_option_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("Item;Weight\nTea;1,250\nCake;0,5\nPie;2\n", encoding="utf-8")
    guessed = runner.invoke(app, ["run", str(path), 'sum(reset, "Weight")'])
    assert "answer: 3.75" in guessed.stdout
    assert 'note: column "Weight"' in guessed.stderr
    given = runner.invoke(app, ["run", str(path), 'sum(reset, "Weight")', "--decimal", "."])
    assert "answer: 1252" in given.stdout  # 0,5 read as 0 when commas are not decimal
    assert "note:" not in given.stderr
    refused = runner.invoke(app, ["run", str(path), "count(reset)", "--decimal", "x"])
    assert refused.exit_code == 2
    assert "decimal mark must be ',' or '.'" in refused.stderr
