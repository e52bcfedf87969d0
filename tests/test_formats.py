"""The file kinds people have: .xlsx, .parquet, .json, .csv.gz and .zip.

Every file is made inside the test (openpyxl, pyarrow, gzip, zipfile); each
kind is read by name and by content (stdin), typed cells come out as the text a
person saw, and each bad input (a broken workbook, an empty Parquet file, a zip
of two files, binary bytes, an option that does not apply) is a named error.
"""
from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from npqa.cli import app
from npqa.errors import TableError
from npqa.table.formats import KINDS, detect_kind, excel_text
from npqa.table.read import load_table

openpyxl = pytest.importorskip("openpyxl")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

runner = CliRunner()
CSV = b"City,Population\nOslo,\"700,000\"\nLima,\"9,700,000\"\nRome,\"2,800,000\"\n"


def texts(table) -> dict[str, list[str]]:  # noqa: ANN001 - a Table
    return {c.name: list(c.texts) for c in table.columns}


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], formats: dict[str, str] | None = None) -> Path:
    """A workbook with ``sheets`` (title → rows); ``formats`` maps a cell of the first sheet ("B2") to a number format."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    for cell, number_format in (formats or {}).items():
        book.worksheets[0][cell].number_format = number_format
    book.save(path)
    return path


def write_parquet(path: Path, columns: dict[str, object]) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


def xlsx_bytes(tmp_path: Path) -> bytes:
    return write_xlsx(tmp_path / "cities.xlsx", {"Cities": [["City", "Population"], ["Oslo", 700000], ["Lima", 9700000]]}).read_bytes()


# ---------------------------------------------------------------------------- Excel


def test_xlsx_reads_the_first_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", {"First": [["City", "Rank"], ["Oslo", 1]], "Second": [["a"], ["b"]]})
    assert texts(load_table(path)) == {"City": ["Oslo"], "Rank": ["1"]}


def test_xlsx_sheet_chooses_a_sheet_by_name(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", {"First": [["City"], ["Oslo"]], "Second": [["Team"], ["Ajax"]]})
    assert texts(load_table(path, sheet="Second")) == {"Team": ["Ajax"]}


def test_xlsx_unknown_sheet_names_the_sheets(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", {"First": [["City"], ["Oslo"]], "Second": [["Team"], ["Ajax"]]})
    with pytest.raises(TableError, match=r"no sheet named 'Third' \(sheets: First, Second\)"):
        load_table(path, sheet="Third")


def test_xlsx_typed_cells_read_as_a_person_saw_them(tmp_path: Path) -> None:
    rows = [
        ["Date", "Units", "Price", "Share", "Total", "At"],
        [dt.datetime(2012, 1, 31), 3, 2.5, 0.256, 1234567, dt.datetime(2012, 1, 31, 13, 5)],
        [dt.date(2013, 2, 1), 4, 3.75, 0.5, 89, dt.datetime(2012, 2, 1)],
    ]
    formats = {"D2": "0.0%", "D3": "0%", "E2": "#,##0", "E3": '"$"#,##0.00', "F2": "yyyy-mm-dd h:mm", "F3": "yyyy-mm-dd h:mm"}
    table = load_table(write_xlsx(tmp_path / "t.xlsx", {"Sales": rows}, formats))
    assert texts(table) == {
        "Date": ["2012-01-31", "2013-02-01"],
        "Units": ["3", "4"],
        "Price": ["2.5", "3.75"],
        "Share": ["25.6%", "50%"],
        "Total": ["1,234,567", "$89.00"],
        "At": ["2012-01-31 13:05", "2012-02-01"],
    }
    assert table.column_kinds["Date"] == "date" and table.column_kinds["Units"] == "number"


def test_xlsx_drops_blank_rows_and_blank_trailing_columns(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["B1"], sheet["A3"], sheet["B3"] = "City", "Rank", "Oslo", 1
    sheet["E7"].number_format = "0.00"  # formatted but empty: not a column
    book.save(tmp_path / "t.xlsx")
    assert texts(load_table(tmp_path / "t.xlsx")) == {"City": ["Oslo"], "Rank": ["1"]}


def test_xlsx_no_header_keeps_the_first_row_as_data(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", {"S": [["Oslo", 1], ["Lima", 2]]})
    assert texts(load_table(path, header=False)) == {"column_1": ["Oslo", "Lima"], "column_2": ["1", "2"]}


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (3, "General", "3"),
        (3.0, "General", "3"),
        (0.1 + 0.2, "General", "0.3"),
        (2.5, "0.00", "2.50"),
        (1234567, "#,##0", "1,234,567"),
        (1234.5, "#,##0.00", "1,234.50"),
        (0.256, "0.0%", "25.6%"),
        (0.5, "0%", "50%"),
        (89, '"$"#,##0.00', "$89.00"),
        (89, "[$€-407] #,##0", "€ 89"),
        (-1234, "#,##0;(#,##0)", "-1,234"),
        (1234, "_(* #,##0_);_(* (#,##0)", "1,234"),
        (12, '0 "kg"', "12 kg"),
        (1.5e20, "0.00E+00", "1.5e+20"),
        (True, "General", "TRUE"),
        (None, "General", ""),
        ("Oslo", "@", "Oslo"),
        (dt.datetime(2012, 1, 31), "mm-dd-yy", "2012-01-31"),
        (dt.datetime(2012, 1, 31, 13, 5), "mm-dd-yy", "2012-01-31"),
        (dt.datetime(2012, 1, 31, 13, 5, 7), "yyyy-mm-dd hh:mm:ss", "2012-01-31 13:05:07"),
        (dt.time(9, 30), "h:mm", "09:30"),
    ],
)
def test_excel_text_of_a_cell(value: object, number_format: str, shown: str) -> None:
    assert excel_text(value, number_format) == shown


def test_broken_xlsx_is_a_named_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(xlsx_bytes(tmp_path)[:400])  # cut short: the zip's directory is gone
    with pytest.raises(TableError, match="not a readable .xlsx workbook"):
        load_table(broken)


def test_xlsx_with_a_corrupt_sheet_is_a_named_error(tmp_path: Path) -> None:
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(tmp_path)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, b"<worksheet><sheetData><row" if info.filename.startswith("xl/worksheets/") else data)
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(TableError, match="not a readable .xlsx workbook"):
        load_table(path)


def test_text_named_xlsx_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(CSV)
    with pytest.raises(TableError, match=r"not a readable \.xlsx workbook \(not a zip file\)"):
        load_table(path)


def test_zip_without_a_workbook_named_xlsx_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("t.csv", CSV)
    with pytest.raises(TableError, match="holds no xl/workbook.xml"):
        load_table(path)


def test_empty_sheet_is_a_named_error(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", {"Empty": []})
    with pytest.raises(TableError, match="sheet 'Empty' is empty"):
        load_table(path)


@pytest.mark.parametrize("option", [{"sep": ";"}, {"encoding": "latin-1"}])
def test_text_options_on_a_workbook_are_named_errors(tmp_path: Path, option: dict[str, str]) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", {"S": [["City"], ["Oslo"]]})
    with pytest.raises(TableError, match=f"--{next(iter(option))} applies to .*this is an .xlsx workbook"):
        load_table(path, **option)


def test_sheet_on_a_csv_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(CSV)
    with pytest.raises(TableError, match="--sheet applies to .xlsx workbooks, and this is CSV/TSV text"):
        load_table(path, sheet="Cities")


# ---------------------------------------------------------------------------- Parquet


def test_parquet_typed_columns_read_as_display_text(tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path / "t.parquet",
        {
            "Rank": pa.array([1, None, 3]),  # an int column with a null stays "3", not "3.0"
            "Score": [1.5, 2.0, None],
            "Day": pa.array([dt.datetime(2012, 1, 31), dt.datetime(2012, 2, 1), None]),
            "At": pa.array([dt.datetime(2012, 1, 31, 13, 5), None, dt.datetime(2012, 1, 31)]),
            "Won": [True, False, None],
            "Team": pa.array(["Ajax", None, "Ajax"]).dictionary_encode(),
        },
    )
    assert texts(load_table(path)) == {
        "Rank": ["1", "", "3"],
        "Score": ["1.5", "2", ""],
        "Day": ["2012-01-31", "2012-02-01", ""],
        "At": ["2012-01-31 13:05", "", "2012-01-31 00:00"],
        "Won": ["true", "false", ""],
        "Team": ["Ajax", "", "Ajax"],
    }


def test_parquet_timestamps_with_a_time_zone_show_the_local_date(tmp_path: Path) -> None:
    stamps = pa.array([dt.datetime(2012, 1, 30, 23, 0)], type=pa.timestamp("s", tz="UTC"))
    path = write_parquet(tmp_path / "t.parquet", {"Day": stamps.cast(pa.timestamp("s", tz="Europe/Oslo"))})
    assert texts(load_table(path)) == {"Day": ["2012-01-31"]}


def test_empty_parquet_is_a_named_error(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "t.parquet", {"City": pa.array([], type=pa.string())})
    with pytest.raises(TableError, match="no rows"):
        load_table(path)


@pytest.mark.parametrize(
    "nested",
    [pa.array([[1, 2], [3]]), pa.array([{"x": 1}, {"x": 2}]), pa.array([[("k", 1)], []], type=pa.map_(pa.string(), pa.int64()))],
    ids=["list", "struct", "map"],
)
def test_nested_parquet_column_is_a_named_error(tmp_path: Path, nested: object) -> None:
    path = write_parquet(tmp_path / "t.parquet", {"City": ["Oslo", "Lima"], "Tags": nested})
    with pytest.raises(TableError, match="column 'Tags' is nested"):
        load_table(path)


def test_asking_about_a_nested_parquet_file_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "t.parquet", {"City": ["Oslo", "Lima"], "Tags": pa.array([[1, 2], [3]])})
    result = runner.invoke(app, ["ask", str(path), "how many cities?"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {path}: column 'Tags' is nested (list<element: int64>); npqa reads flat columns of numbers, text and dates"
    ]
    assert result.stdout == ""


def test_broken_parquet_is_a_named_error(tmp_path: Path) -> None:
    good = write_parquet(tmp_path / "good.parquet", {"City": ["Oslo", "Lima"]}).read_bytes()
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(good[: len(good) // 2])
    with pytest.raises(TableError, match="not a readable Parquet file"):
        load_table(broken)


def test_text_named_parquet_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    path.write_bytes(CSV)
    with pytest.raises(TableError, match="not a readable Parquet file"):
        load_table(path)


@pytest.mark.parametrize(("option", "message"), [({"sep": ";"}, "--sep"), ({"encoding": "utf-8"}, "--encoding"), ({"header": False}, "--no-header")])
def test_text_options_on_parquet_are_named_errors(tmp_path: Path, option: dict[str, object], message: str) -> None:
    path = write_parquet(tmp_path / "t.parquet", {"City": ["Oslo"]})
    with pytest.raises(TableError, match=f"{message} applies to .* a Parquet file"):
        load_table(path, **option)


# ---------------------------------------------------------------------------- JSON


def test_json_records_keep_numbers_as_written(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('[{"City": "Oslo", "Area": 454.0, "Rank": 3}, {"City": "Lima", "Area": 2672.3, "Capital": true}, {"City": null}]')
    assert texts(load_table(path)) == {
        "City": ["Oslo", "Lima", ""],
        "Area": ["454.0", "2672.3", ""],
        "Rank": ["3", "", ""],
        "Capital": ["", "true", ""],
    }


def test_json_lines_are_records(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"City": "Oslo"}\n\n{"City": "Lima"}\n')
    assert texts(load_table(path)) == {"City": ["Oslo", "Lima"]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"City": "Oslo", "Tags": ["a", "b"]}]', "record 1, key 'Tags' holds a nested list"),
        ('[["City"], ["Oslo"]]', "not a list of records"),
        ("[]", "no rows"),
        ('[{"City": "Oslo"', "not valid JSON"),
    ],
    ids=["nested", "lists", "empty", "broken"],
)
def test_bad_json_is_a_named_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(content)
    with pytest.raises(TableError, match=message):
        load_table(path)


@pytest.mark.parametrize(("option", "message"), [({"sep": ";"}, "--sep"), ({"header": False}, "--no-header")])
def test_text_options_on_json_are_named_errors(tmp_path: Path, option: dict[str, object], message: str) -> None:
    path = tmp_path / "t.json"
    path.write_text('[{"City": "Oslo"}]')
    with pytest.raises(TableError, match=f"{message} applies to .*JSON records"):
        load_table(path, **option)


def test_json_takes_an_encoding(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_bytes('[{"City": "Zürich"}]'.encode("latin-1"))
    assert texts(load_table(path, encoding="latin-1")) == {"City": ["Zürich"]}


def test_csv_that_opens_with_a_bracket_is_still_csv(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("[1],Name\n2,Oslo\n")
    assert texts(load_table(path)) == {"[1]": ["2"], "Name": ["Oslo"]}


# ---------------------------------------------------------------------------- gzip and zip


def test_csv_gz_reads_as_the_csv(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(CSV))
    assert texts(load_table(path)) == texts(load_table(_write(tmp_path / "t.csv", CSV)))


def test_sep_and_encoding_apply_to_the_csv_inside_a_gz(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress("City;Note\nZürich;a,b\n".encode("latin-1")))
    assert texts(load_table(path, sep=";", encoding="latin-1")) == {"City": ["Zürich"], "Note": ["a,b"]}


def test_broken_gz_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(CSV)[:20])
    with pytest.raises(TableError, match="not a readable gzip file"):
        load_table(path)


def test_zip_holding_one_table_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "t.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data/", b"")
        archive.writestr("__MACOSX/data/._cities.csv", b"\x00\x05")
        archive.writestr("data/cities.csv", CSV)
    table = load_table(path)
    assert texts(table)["City"] == ["Oslo", "Lima", "Rome"]
    assert table.source == f"{path}:data/cities.csv"


def test_zip_holding_a_parquet_file_reads_it(tmp_path: Path) -> None:
    inner = write_parquet(tmp_path / "t.parquet", {"City": ["Oslo"]}).read_bytes()
    path = tmp_path / "t.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("t.parquet", inner)
    assert texts(load_table(path)) == {"City": ["Oslo"]}


def test_zip_with_two_files_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "t.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", CSV)
        archive.writestr("b.csv", CSV)
    with pytest.raises(TableError, match=r"holds 2 files \(a.csv, b.csv\); npqa reads a zip holding one table"):
        load_table(path)


def test_empty_zip_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "t.zip"
    zipfile.ZipFile(path, "w").close()
    with pytest.raises(TableError, match="holds no file"):
        load_table(path)


def test_archives_nested_too_deep_are_a_named_error(tmp_path: Path) -> None:
    data = CSV
    for _ in range(3):
        data = gzip.compress(data)
    with pytest.raises(TableError, match="nested more than"):
        load_table(_write(tmp_path / "t.gz", data))


# ---------------------------------------------------------------------------- by content, and refusals


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: xlsx_bytes(p), "xlsx"),
        (lambda p: write_parquet(p / "t.parquet", {"City": ["Oslo"]}).read_bytes(), "parquet"),
        (lambda p: gzip.compress(CSV), "gzip"),
        (lambda p: b' \n[{"City": "Oslo"}]', "json"),
        (lambda p: CSV, "csv"),
    ],
    ids=["xlsx", "parquet", "gzip", "json", "csv"],
)
def test_kind_is_told_by_content_without_a_name(tmp_path: Path, make: object, kind: str) -> None:
    assert detect_kind(make(tmp_path), "", "<stdin>") == kind  # type: ignore[operator]


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls workbook"),
        (b"%PDF-1.7\n" + b"\x00" * 100, "a PDF document"),
    ],
    ids=["xls", "pdf"],
)
def test_kinds_npqa_cannot_read_name_the_kinds_it_can(tmp_path: Path, data: bytes, label: str) -> None:
    with pytest.raises(TableError, match=label) as err:
        load_table(_write(tmp_path / "t.dat", data))
    assert err.value.problem.endswith(f"it reads {KINDS}")


def test_a_database_in_an_archive_says_npqa_reads_it_from_its_path(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "m.sqlite") as conn:
        conn.execute("CREATE TABLE x (a)")
    conn.close()
    packed = _write(tmp_path / "m.sqlite.gz", gzip.compress((tmp_path / "m.sqlite").read_bytes()))
    with pytest.raises(TableError, match="a SQLite database, which npqa reads from its path: npqa ask FILE --table NAME"):
        load_table(packed)


def test_unknown_binary_names_the_kinds_npqa_reads(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="binary content") as err:
        load_table(_write(tmp_path / "t.bin", bytes(range(256)) * 4))
    assert err.value.problem.endswith(f"it reads {KINDS}")


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    magic=st.sampled_from([b"PK\x03\x04", b"PK\x05\x06", b"PAR1", b"\x1f\x8b", b"[", b"{", b""]),
    rest=st.binary(max_size=300),
    name=st.sampled_from(["", "t.xlsx", "t.parquet", "t.json", "t.csv.gz", "t.zip", "t.csv"]),
)
def test_any_bytes_give_a_table_or_a_named_error(tmp_path_factory: pytest.TempPathFactory, magic: bytes, rest: bytes, name: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / (name or "stdin")
    path.write_bytes(magic + rest)
    try:
        load_table(path)
    except TableError:
        pass


# ---------------------------------------------------------------------------- the command line


def test_cli_reads_a_workbook_from_stdin(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "-", "count(reset)"], input=xlsx_bytes(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("answer: 2\n")


def test_cli_reads_parquet_from_stdin(tmp_path: Path) -> None:
    data = write_parquet(tmp_path / "t.parquet", {"City": ["Oslo", "Lima", "Rome"]}).read_bytes()
    result = runner.invoke(app, ["run", "-", "count(reset)", "--json"], input=data)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answer"] == ["3"]


def test_cli_sheet_option_on_run_and_sql(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", {"A": [["x"], ["1"]], "B": [["Team"], ["Ajax"], ["PSV"]]})
    ran = runner.invoke(app, ["run", str(path), "count(reset)", "--sheet", "B"])
    assert ran.exit_code == 0 and ran.stdout.startswith("answer: 2\n")
    sql = runner.invoke(app, ["sql", str(path), 'print(reset, "Team")', "--sheet", "B"])
    assert sql.exit_code == 0 and '"Team"' in sql.stdout


def test_cli_sheet_option_on_ask(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", {"A": [["x"], ["1"]], "Singles": [["Year", "Single"], [2010, "A"], [2011, "B"]]})
    db = tmp_path / "t.sqlite"
    args = ["ask", str(path), "how many singles were released in 2010?", "--sheet", "Singles", "--db", str(db), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "answer" in json.loads(result.stdout)
    with sqlite3.connect(db) as conn:
        assert conn.execute('SELECT "Year", "Single" FROM t').fetchall() == [("2010", "A"), ("2011", "B")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sep", ";"], "--sep applies to CSV/TSV text, and this is a Parquet file"),
        (["--encoding", "latin-1"], "--encoding applies to text, and this is a Parquet file"),
        (["--sheet", "S"], "--sheet applies to .xlsx workbooks, and this is a Parquet file"),
    ],
)
def test_cli_options_that_do_not_apply_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    path = write_parquet(tmp_path / "t.parquet", {"City": ["Oslo"]})
    result = runner.invoke(app, ["run", str(path), "count(reset)", *args])
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}: {message}\n"


def test_cli_binary_bytes_on_stdin_exit_2_with_one_line() -> None:
    result = runner.invoke(app, ["run", "-", "count(reset)"], input=bytes(range(256)) * 8)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: <stdin>: binary content")
    assert result.stderr.count("\n") == 1


def test_cli_broken_workbook_exit_2_with_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.xlsx", xlsx_bytes(tmp_path)[:300])
    result = runner.invoke(app, ["run", str(path), "count(reset)"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: not a readable .xlsx workbook")
    assert result.stderr.count("\n") == 1


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
