"""Tests of npqa.table.read: every table is drawn in its test and written to tmp_path."""
from __future__ import annotations

import csv
import io
import math
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npqa.errors import TableError
from npqa.table.values import parse_date, parse_number, parse_number2
from npqa.table.read import (
    Table,
    load_table,
    make_column,
    sniff_delimiter,
    table_to_dataframe,
    unique_names,
    uses_backslash_escapes,
)


def write(tmp_path: Path, text: str, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def cells(table: Table) -> list[list[str]]:
    return [c.texts for c in table.columns]


# ----------------------------------------------------------------- WTQ dialect


def test_wtq_backslash_escaped_quote_and_backslash_are_unescaped(tmp_path: Path) -> None:
    path = write(tmp_path, '"Title","Code"\n"\\"Fall\\"","\\\\0"\n')
    table = load_table(path)
    assert table.column("Title").texts == ['"Fall"']
    assert table.column("Code").texts == ["\\0"]


def test_wtq_header_spanning_two_lines_becomes_one_name(tmp_path: Path) -> None:
    path = write(tmp_path, '"Year","Chart positions\nPolish Charts"\n"2008","2"\n')
    assert load_table(path).names == ["Year", "Chart positions Polish Charts"]


def test_wtq_escaped_quote_before_delimiter_keeps_cells_apart(tmp_path: Path) -> None:
    path = write(tmp_path, '"A","B","C"\n"x \\"y\\"","2","3"\n')
    assert cells(load_table(path)) == [['x "y"'], ["2"], ["3"]]


# ----------------------------------------------------------------- user dialect


def test_rfc_doubled_quotes_are_unescaped(tmp_path: Path) -> None:
    path = write(tmp_path, 'name,quote\nAnn,"say ""hi"" now"\n')
    assert load_table(path).column("quote").texts == ['say "hi" now']


def test_backslash_in_unquoted_user_csv_stays_literal(tmp_path: Path) -> None:
    path = write(tmp_path, "path,n\nC:\\temp\\x,1\n")
    assert load_table(path).column("path").texts == ["C:\\temp\\x"]


def test_lone_backslash_in_fully_quoted_user_csv_stays_literal(tmp_path: Path) -> None:
    path = write(tmp_path, '"path","note"\n"C:\\temp","a \\"b"\n')
    assert load_table(path).column("path").texts == ["C:\\temp"]


def test_backslash_escape_detection_rejects_rfc_doubled_quotes() -> None:
    assert uses_backslash_escapes('"a","b"\n"\\\\x","say ""hi"""\n') is False
    assert uses_backslash_escapes('"a","b"\n"\\\\x","say \\"hi\\""\n') is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\tb\tc\n1\t2\t3\n4\t5\t6\n", "\t"),
        ("a;b;c\n1,5;2;3\n4;5,5;6\n", ";"),
        ("a|b\n1|2\n3|4\n", "|"),
        ('a,b\n"x;y|z",2\n3,4\n', ","),
    ],
)
def test_delimiter_is_sniffed_among_comma_tab_semicolon_pipe(text: str, expected: str) -> None:
    assert sniff_delimiter(text) == expected


def test_tsv_file_is_split_on_tabs(tmp_path: Path) -> None:
    path = write(tmp_path, "City\tPopulation\nOslo\t709,037\nBergen\t291,940\n", name="t.tsv")
    assert load_table(path).names == ["City", "Population"]


def test_single_column_file_loads_as_one_column(tmp_path: Path) -> None:
    path = write(tmp_path, "Name\nAnn\nBob\n")
    assert cells(load_table(path)) == [["Ann", "Bob"]]


def test_explicit_sep_overrides_sniffing(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\tc\n1,2\t3\n")
    assert load_table(path, sep="\\t").names == ["a,b", "c"]


def test_separator_of_two_characters_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(TableError, match="separator"):
        load_table(path, sep=",,")


def test_crlf_line_endings_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\r\n1,2\r\n3,4\r\n")
    assert cells(load_table(path)) == [["1", "3"], ["2", "4"]]


# ----------------------------------------------------------------- encodings


def test_utf8_bom_is_not_part_of_the_first_name(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffCity,Country\nOslo,Norway\n")
    assert load_table(path).names == ["City", "Country"]


def test_cp1252_file_falls_back_from_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Price\nCafé,5 €\n", encoding="cp1252")
    assert cells(load_table(path)) == [["Café"], ["5 €"]]


def test_latin1_bytes_undefined_in_cp1252_still_load(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"Name,Code\nx\xe9,A\x81B\nCaf\xe9,C\n")
    assert load_table(path).column("Name").texts == ["x\u00e9", "Caf\u00e9"]


def test_utf16_file_with_bom_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffA,B\n1,2\n", encoding="utf-16-le")
    assert cells(load_table(path)) == [["1"], ["2"]]


def test_explicit_encoding_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, "Name\nЖуков\n", encoding="koi8-r")
    assert load_table(path, encoding="koi8-r").column("Name").texts == ["Жуков"]


def test_bytes_undecodable_in_the_given_encoding_raise_table_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"Name\n\xff\xfe\xfa\n")
    with pytest.raises(TableError, match="cannot be decoded as utf-8"):
        load_table(path, encoding="utf-8")


def test_unknown_encoding_raises_table_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a\n1\n")
    with pytest.raises(TableError, match="unknown encoding"):
        load_table(path, encoding="no-such-codec")


# ----------------------------------------------------------------- shape repairs


def test_short_rows_are_padded_with_empty_cells(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c\n1,2\n3,4,5\n")
    assert load_table(path).column("c").texts == ["", "5"]


def test_long_rows_keep_extra_cells_as_extra_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n3,4,5,6\n")
    table = load_table(path)
    assert table.names == ["a", "b", "column_3", "column_4"]
    assert table.column("column_4").texts == ["", "6"]


def test_quote_left_open_at_the_end_keeps_the_rest_in_one_cell(tmp_path: Path) -> None:
    path = write(tmp_path, 'a,b\n1,"x\n2,3\n')
    assert load_table(path).column("b").texts == ["x 2,3"]


def test_empty_header_is_named_by_position(tmp_path: Path) -> None:
    path = write(tmp_path, "a,,c\n1,2,3\n")
    assert load_table(path).names == ["a", "column_2", "c"]


def test_duplicate_headers_are_made_unique(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Name,Name\n1,2,3\n")
    assert load_table(path).names == ["Name", "Name_2", "Name_3"]


def test_unique_names_skip_a_suffix_already_used_by_another_header() -> None:
    assert unique_names(["Name", "Name", "Name_2"]) == ["Name", "Name_3", "Name_2"]


def test_whitespace_and_newlines_inside_cells_are_collapsed(tmp_path: Path) -> None:
    path = write(tmp_path, 'a,b\n"  two\n lines ","x\u00a0\u00a0y"\n')
    assert cells(load_table(path)) == [["two lines"], ["x y"]]


def test_na_and_null_stay_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c\nNA,null,\n")
    assert cells(load_table(path)) == [["NA"], ["null"], [""]]


def test_no_header_names_columns_by_position_and_keeps_first_line(tmp_path: Path) -> None:
    path = write(tmp_path, "Oslo,709037\nBergen,291940\n")
    table = load_table(path, header=False)
    assert table.names == ["column_1", "column_2"]
    assert table.column("column_1").texts == ["Oslo", "Bergen"]


# ----------------------------------------------------------------- values and kinds


def test_number_column_holds_numbers_and_kind_number(tmp_path: Path) -> None:
    path = write(tmp_path, 'Team,Points\nA,"1,200"\nB,35\nC,7\n')
    column = load_table(path).column("Points")
    assert column.kind == "number"
    assert column.numbers.tolist() == [1200.0, 35.0, 7.0]


def test_mostly_numeric_column_with_dashes_is_number(tmp_path: Path) -> None:
    rows = "\n".join(["1", "2", "3", "4", "5", "6", "7", "—"])
    column = load_table(write(tmp_path, f"Rank\n{rows}\n")).column("Rank")
    assert column.kind == "number"
    assert math.isnan(column.numbers[-1])


def test_empty_cells_do_not_count_against_the_kind(tmp_path: Path) -> None:
    path = write(tmp_path, "a,n\nx,1\ny,\nz,\nw,2\n")
    assert load_table(path).column("n").kind == "number"


def test_date_column_holds_dates_and_kind_date(tmp_path: Path) -> None:
    path = write(tmp_path, 'Event,When\nA,"January 26, 1995"\nB,"March 3, 2001"\nC,"May 9, 2010"\n')
    column = load_table(path).column("When")
    assert column.kind == "date"
    assert [d.iso() for d in column.dates] == ["1995-01-26", "2001-03-03", "2010-05-09"]


def test_year_column_is_number(tmp_path: Path) -> None:
    path = write(tmp_path, "Year,Album\n1969,Gimme Shelter\n1971,Celebration\n")
    assert load_table(path).column("Year").kind == "number"


def test_text_column_is_text_but_keeps_numbers_per_cell(tmp_path: Path) -> None:
    path = write(tmp_path, "Name\nAnn\nBob\nCarl\nRoom 12\n")
    column = load_table(path).column("Name")
    assert column.kind == "text"
    assert column.numbers[3] == 12.0 and math.isnan(column.numbers[0])


def test_score_cell_keeps_its_second_number(tmp_path: Path) -> None:
    column = load_table(write(tmp_path, "Score\n3–1\n2–2\n")).column("Score")
    assert column.numbers.tolist() == [3.0, 2.0] and column.numbers2.tolist() == [1.0, 2.0]


def test_empty_cell_has_no_number_and_no_date(tmp_path: Path) -> None:
    column = load_table(write(tmp_path, "a,b\n1,\n2,3\n")).column("b")
    assert math.isnan(column.numbers[0]) and column.dates[0] is None


def test_all_empty_column_is_text() -> None:
    assert make_column("x", ["", "", ""]).kind == "text"


def test_numbers_are_float64_of_the_table_length(tmp_path: Path) -> None:
    column = load_table(write(tmp_path, "n\n1\n2\n3\n")).column("n")
    assert column.numbers.dtype == np.float64 and column.numbers.shape == (3,)


@pytest.mark.parametrize("text", ["0", "-12", "3.5", "0012", "7,753,175", "-1,000.25", "1999"])
def test_plain_decimal_fast_path_agrees_with_parse_number(text: str) -> None:
    column = make_column("n", [text])
    assert parse_number(text) == float(text.replace(",", "")) == column.numbers[0]
    assert parse_number2(text) is None and math.isnan(column.numbers2[0])


@pytest.mark.parametrize("text", ["7", "42", "123", "12345", "20100512", "57.31", "-3", "1,999"])
def test_plain_decimals_other_than_four_digit_integers_hold_no_date(text: str) -> None:
    assert parse_date(text) is None
    assert make_column("n", [text]).dates[0] is None


def test_four_digit_integer_gets_the_date_parse_date_gives() -> None:
    assert make_column("n", ["1999"]).dates[0] == parse_date("1999")


# ----------------------------------------------------------------- sources


def test_stdin_source_reads_bytes_and_is_named_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.SimpleNamespace(buffer=io.BytesIO("a;b\n1;2\n".encode()))
    monkeypatch.setattr("sys.stdin", fake)
    table = load_table("-")
    assert table.source == "<stdin>" and table.names == ["a", "b"]


def test_dataframe_source_uses_labels_and_blanks_missing_values() -> None:
    frame = pd.DataFrame({"City": ["Oslo", None], "Pop": [709037.0, float("nan")]})
    table = load_table(frame)
    assert table.source == "<dataframe>"
    assert cells(table) == [["Oslo", ""], ["709037.0", ""]]


def test_dataframe_without_rows_raises_no_rows() -> None:
    with pytest.raises(TableError, match="no rows"):
        load_table(pd.DataFrame({"a": []}))


def test_dataframe_without_columns_raises_no_columns() -> None:
    with pytest.raises(TableError, match="no columns"):
        load_table(pd.DataFrame(index=[0, 1]))


def test_table_to_dataframe_gives_the_display_texts(tmp_path: Path) -> None:
    table = load_table(write(tmp_path, "a,a\n x ,1\n"))
    frame = table_to_dataframe(table)
    assert list(frame.columns) == ["a", "a_2"] and frame.iloc[0].tolist() == ["x", "1"]


def test_table_reports_rows_names_and_source(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n3,4\n5,6\n")
    table = load_table(path)
    assert (table.n_rows, table.n_columns, table.names, table.source) == (3, 2, ["a", "b"], str(path))


# ----------------------------------------------------------------- errors


def test_missing_file_raises_table_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(TableError) as info:
        load_table(path)
    assert info.value.what == str(path) and info.value.problem == "no such file"


def test_directory_raises_table_error(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="directory"):
        load_table(tmp_path)


@pytest.mark.parametrize("text", ["", "  \n\n \t\n"])
def test_empty_or_blank_file_raises_empty_file(tmp_path: Path, text: str) -> None:
    with pytest.raises(TableError, match="empty file"):
        load_table(write(tmp_path, text))


def test_nul_bytes_raise_binary_content(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,\x00\x002\n")
    with pytest.raises(TableError, match="binary"):
        load_table(path)


def test_mostly_control_characters_raise_binary_content(tmp_path: Path) -> None:
    path = tmp_path / "t.bin"
    path.write_bytes(bytes(range(1, 32)) * 20)
    with pytest.raises(TableError, match="binary"):
        load_table(path)


def test_header_only_raises_no_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c\n")
    with pytest.raises(TableError) as info:
        load_table(path)
    assert info.value.what == str(path) and info.value.problem == "no rows"


# ----------------------------------------------------------------- round trip

_cell = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\\", include_characters="\n\t "),
    max_size=8,
)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(rows=st.integers(1, 4).flatmap(lambda w: st.lists(st.lists(_cell, min_size=w, max_size=w), min_size=1, max_size=5)))
def test_rfc_csv_written_by_csv_module_reads_back_collapsed(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    width = len(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([f"h{j}" for j in range(width)])
    writer.writerows(rows)
    path = write(tmp_path_factory.mktemp("roundtrip"), buffer.getvalue())
    expected = [[" ".join(r[j].split()) for r in rows] for j in range(width)]
    assert cells(load_table(path, sep=",")) == expected
