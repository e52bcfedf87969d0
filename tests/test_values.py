"""The cell value parser: numbers, second numbers and dates."""
from __future__ import annotations

import pytest

from npqa.table.conventions import COMMA, EITHER, NONE, POINT, decide, number_vote
from npqa.table.values import (
    CellValue, Conventions, Date, parse_cell, parse_date, parse_duration, parse_number, parse_number2, read_cell,
)  # fmt: skip

# ----------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1,234", 1234.0),
        ("1,234,567.5", 1234567.5),
        ("12.5%", 12.5),
        ("−3", -3.0),
        ("-12", -12.0),
        ("–17", -17.0),
        ("12 km", 12.0),
        ("$4.5 million", 4_500_000.0),
        ("$1.56 billion", 1_560_000_000.0),
        ("2 thousand", 2000.0),
        ("2004", 2004.0),
        ("1st", 1.0),
        ("23rd", 23.0),
        (".25", 0.25),
        ("0012", 12.0),
        ("9 000", 9000.0),
        ("16\u00a0501", 16501.0),
    ],
)
def test_number_of_a_cell(text: str, number: float) -> None:
    assert parse_number(text) == number


def test_score_reads_as_its_first_side() -> None:
    assert parse_number("3–1") == 3.0


def test_range_reads_as_its_first_year() -> None:
    assert parse_number("1990-1995") == 1990.0


def test_text_without_digits_has_no_number() -> None:
    assert parse_number("Won") is None
    assert parse_number("—") is None
    assert parse_number("") is None


def test_hyphen_glued_to_a_word_is_not_a_minus() -> None:
    assert parse_number("US-91") == 91.0


def test_minus_after_an_opening_parenthesis_is_a_sign() -> None:
    assert parse_number("(−4)") == -4.0


def test_number_inside_text_is_found() -> None:
    assert parse_number("Room 12") == 12.0


def test_comma_and_space_do_not_glue_a_day_to_a_year() -> None:
    assert parse_number("May 3, 2004") == 3.0


def test_space_between_short_groups_does_not_glue_numbers() -> None:
    assert parse_number("3 15") == 3.0


def test_comma_not_followed_by_three_digits_ends_the_number() -> None:
    assert parse_number("4,02") == 4.0


def test_abbreviation_dot_does_not_start_a_fraction() -> None:
    assert parse_number("c. 650") == 650.0
    assert parse_number("No.774") == 774.0


# ----------------------------------------------------------------- second numbers


@pytest.mark.parametrize(
    ("text", "number2"),
    [("3–1", 1.0), ("1990-1995", 1995.0), ("L 65–83", 83.0), ("2008–09", 9.0), ("6 April 2003", 2003.0)],
)
def test_second_number_of_a_score_or_range(text: str, number2: float) -> None:
    assert parse_number2(text) == number2


def test_single_number_has_no_second_number() -> None:
    assert parse_number2("12 km") is None
    assert parse_number2("Won") is None


def test_dash_before_the_second_number_is_not_a_sign() -> None:
    assert parse_number2("3 - 1") == 1.0


# ----------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2004", "2004-xx-xx"),
        ("May 3, 2004", "2004-05-03"),
        ("3 May 2004", "2004-05-03"),
        ("2004-05-03", "2004-05-03"),
        ("2004-05", "2004-05-xx"),
        ("May 2004", "2004-05-xx"),
        ("October 17", "xxxx-10-17"),
        ("17 Oct", "xxxx-10-17"),
        ("October", "xxxx-10-xx"),
        ("Sept. 3rd, 1999", "1999-09-03"),
        ("Wed., Jan. 29, 1941", "1941-01-29"),
        ("12/27/1965", "1965-12-27"),
        ("2-3-2000", "2000-02-03"),
        ("02.07.1943", "1943-07-02"),
        ("12/13/14", "xxxx-12-13"),
        ("1934 Mar 31", "1934-03-31"),
    ],
)
def test_date_of_a_cell(text: str, iso: str) -> None:
    date = parse_date(text)
    assert date is not None and date.iso() == iso


def test_year_is_both_a_number_and_a_date() -> None:
    assert parse_number("2004") == 2004.0
    assert parse_date("2004") == Date(2004, None, None)


def test_four_digit_number_out_of_the_year_range_is_no_date() -> None:
    assert parse_date("3661") is None
    assert parse_date("0011") is None


def test_impossible_dates_are_no_dates() -> None:
    assert parse_date("2004-13") is None
    assert parse_date("31 April 2004") is None
    assert parse_date("29/10/2004") is None  # month first: month 29


def test_text_around_a_date_makes_it_no_date() -> None:
    assert parse_date("May 9, 1993 (age 21)") is None
    assert parse_date("2007 Worlds") is None


def test_ranges_and_seasons_are_no_dates() -> None:
    assert parse_date("1990-1995") is None
    assert parse_date("1984-85") is None


def test_whitespace_inside_a_date_is_collapsed() -> None:
    assert parse_date("  May\n3,  2004 ") == Date(2004, 5, 3)


def test_iso_writes_unknown_parts_as_x() -> None:
    assert Date(None, 10, 17).iso() == "xxxx-10-17"
    assert Date(2004, None, None).iso() == "2004-xx-xx"
    assert Date(987, 1, 2).iso() == "0987-01-02"


def test_dates_are_hashable_and_equal_by_parts() -> None:
    assert {Date(2004, 5, 3), Date(2004, 5, 3)} == {Date(2004, 5, 3)}


# ----------------------------------------------------------------- cells


def test_parse_cell_gathers_all_readings() -> None:
    assert parse_cell("May 3, 2004") == CellValue(3.0, 2004.0, Date(2004, 5, 3))


def test_parsers_are_memoised() -> None:
    parse_number.cache_clear()
    parse_number("777 km")
    parse_number("777 km")
    assert parse_number.cache_info().hits >= 1


# ----------------------------------------------------------------- readings of issue 12 (one cell)


@pytest.mark.parametrize(
    ("text", "number", "number2", "iso"),
    [
        ("500 BC", -500.0, None, "-500-xx-xx"),
        ("c. 500 BCE", -500.0, None, "-500-xx-xx"),
        ("44 B.C.", -44.0, None, "-044-xx-xx"),
        ("200–150 B.C.", -200.0, -150.0, None),
        ("AD 79", 79.0, None, "0079-xx-xx"),
        ("79 CE", 79.0, None, "0079-xx-xx"),
        ("1094 AD", 1094.0, None, "1094-xx-xx"),
        ("2012/01/31", 2012.0, 1.0, "2012-01-31"),
        ("2012.01.31", 2012.01, 0.31, "2012-01-31"),
        ("31.01.2012", 31.01, 0.2012, "2012-01-31"),
        ("5/3/2004", 5.0, 3.0, "2004-05-03"),
        ("13/05/2004", 13.0, 5.0, None),  # a day first: only a day-first column reads it
    ],
)
def test_eras_and_numeric_dates_of_a_cell(text: str, number: float, number2: float | None, iso: str | None) -> None:
    assert parse_number(text) == number
    assert parse_number2(text) == number2
    date = parse_date(text)
    assert (None if date is None else date.iso()) == iso


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1:23.45", 83.45),
        ("2:08:24", 7704.0),
        ("1:02:53.2", 3773.2),
        ("0:33", 33.0),
        ("2h 15m", 8100.0),
        ("04h 12m 04.3s", 15124.3),
        ("3m 37s", 217.0),
        ("15 min 30 s", 930.0),
        ("+0:05.2", 5.2),
        ("9:03.16 (PB)", 543.16),
        ("21:24.33 CR", 1284.33),
        ("7:30 pm", 70200.0),
        ("12:30 am", 1800.0),
        ("1:23,45", 83.45),
        ("2:1", None),  # a score: seconds take two digits
        ("90 min", None),  # one unit: the number 90 says it
        ("12 m", None),  # metres
        ("3:75", None),  # no minute has 75 seconds
        ("1:23:45:67", None),
        ("Won 1:23", None),
        ("", None),
    ],
)
def test_duration_of_a_cell(text: str, seconds: float | None) -> None:
    got = parse_duration(text)
    assert got == pytest.approx(seconds) if seconds is not None else got is None


@pytest.mark.parametrize(
    ("text", "comma", "point"),
    [
        ("3,75", 3.75, 3.0),
        ("12,5 km", 12.5, 12.0),
        ("1.234,5", 1234.5, 1.234),
        ("1.234.567", 1234567.0, 1.234),
        ("1,234", 1.234, 1234.0),
        ("12,345,678", 12345678.0, 12345678.0),
        ("−3,5", -3.5, -3.0),
        ("31.01.2012", 31.01, 31.01),
        ("3,5 – 4,25", 3.5, 3.0),
    ],
)
def test_number_under_each_decimal_mark(text: str, comma: float, point: float) -> None:
    assert read_cell(text, Conventions(decimal=","))[0] == comma
    assert read_cell(text, Conventions(decimal="."))[0] == point


@pytest.mark.parametrize(
    ("text", "day_first", "iso"),
    [
        ("06/04/2006", True, "2006-04-06"),
        ("06/04/2006", False, "2006-06-04"),
        ("06/04/2006", None, "2006-06-04"),
        ("06.04.2006", None, "2006-04-06"),
        ("06.04.2006", False, "2006-06-04"),
        ("6-12-1946", True, "1946-12-06"),
        ("13/05/2004", True, "2004-05-13"),
        ("13/05/2004", False, None),
    ],
)
def test_numeric_date_under_each_day_order(text: str, day_first: bool | None, iso: str | None) -> None:
    date = read_cell(text, Conventions(day_first=day_first))[2]
    assert (None if date is None else date.iso()) == iso


@pytest.mark.parametrize(
    ("text", "vote"),
    [
        ("3,75", COMMA), ("12,5", COMMA), ("0,500", COMMA), ("3476,2 m", COMMA), ("1.234,5", COMMA),
        ("1.234.567", COMMA), ("12,345,678", POINT), ("1,234.5", POINT), ("4.20", POINT), ("12.5%", POINT),
        ("1,234", EITHER), ("22,395", EITHER), ("1,1024", NONE), ("1,2,3", NONE), ("31.01.2012", NONE),
        ("2004", NONE), ("May 3, 2004", NONE), ("261,123 (44,6%)", EITHER),
    ],
)  # fmt: skip
def test_what_a_cell_says_of_its_decimal_mark(text: str, vote: str) -> None:
    assert number_vote(text) == vote


@pytest.mark.parametrize(
    ("texts", "decimal", "day_first", "uncertain"),
    [
        (["3,75", "12,5", "4"], ",", None, False),
        (["1,234", "12,345,678"], ".", None, False),
        (["1,234", "22,395"], ".", None, False),  # either: the default, unless the file says otherwise
        (["3,75", "1,250"], ",", None, True),  # 1,250 read as 1.25: said so
        (["3,75", "12,5", "1,234.5"], ",", None, True),  # both kinds: the larger count wins, said so
        (["31/01/2012", "06/04/2006"], ".", True, False),
        (["01/31/2012", "06/04/2006"], ".", False, False),
        (["31/01/2012", "01/31/2012"], ".", None, True),
        (["06/04/2006"], ".", None, False),
    ],
)
def test_a_column_decides_its_conventions(texts: list[str], decimal: str, day_first: bool | None, uncertain: bool) -> None:
    decision = decide(texts, "X")
    assert decision.conventions == Conventions(decimal, day_first)
    assert bool(decision.notes) == uncertain


def test_the_user_s_decimal_mark_is_not_guessed() -> None:
    assert decide(["1,234"], "X", ",").conventions.decimal == ","
    assert decide(["3,75"], "X", ".").conventions.decimal == "."
