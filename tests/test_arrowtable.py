"""The pyarrow reader of big files (``npqa.table.arrow``) gives what the pandas path gives.

Every test lowers ``ARROW_MIN_BYTES`` to 0 so that small files drawn here take
the big-file path, and compares field by field with the same file read with the
threshold out of reach.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npqa.table import arrow as arrowtable
from npqa.table.arrow import ArrowColumn, parse_distinct
from npqa.question.link import clear_caches, link_question
from npqa.question.parse import parse_question
from npqa.table.column import Table
from npqa.table.read import load_table
from npqa.table.values import parse_cells

CELL = st.one_of(
    st.sampled_from(
        ["", "1", "-12", "3.5", "1,234", "2004", "0999", "2004-05-03", "2004-13-01", "May 3, 2004", "June 31, 1999",
         "3–1", "L 65–83", "$4.5 million", "1 000", "Oslo", "Los Angeles", "the", "a b", "  padded  ", "tab\there",
         "nbsp\u00a0here", "٣", "café", "January", "Sept. 9", "12 km", "n/a", "—", "1000", "1,000", "1000.0",
         ".5 kg", "about 0.9999995 m", "won 2 games", "x 1.4999999", "ran 2.0000001 km", "-1 step", "0 left",
         "Zürich", "Dec Müller", "Décembre", "ſeptember 3", "ſep Øre", "Ĳssel 2004", "Ωmega ٣", "Łódź", "Ǆ x",
         # readings of issue 12: decimal commas, durations, eras, numeric dates, summary labels
         "3,75", "12,5", "1.234,5", "12,345,678", "4.20", "1:23.45", "2:08:24", "2h 15m", "+0:05.2", "9:03.16 (PB)",
         "7:30 pm", "2:1", "500 BC", "200–150 B.C.", "AD 79", "2012/01/31", "31.01.2012", "13/05/2004", "5/13/2004",
         "Total", "Totals:", "Grand total", "Average", "A", "B", "TOTAL"]
    ),
    st.text(alphabet="0123456789,.-:/ abcMayJunhmBC–éüſıİØ", max_size=12),
)  # fmt: skip


def both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Table, Table]:
    """(pandas-path table, arrow-path table) of one file."""
    monkeypatch.setattr(arrowtable, "ARROW_MIN_BYTES", 1 << 60)
    eager = load_table(path)
    monkeypatch.setattr(arrowtable, "ARROW_MIN_BYTES", 0)
    lazy = load_table(path)
    return eager, lazy


def same_values(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(ch in cell for ch in ',"\n\r') or cell != cell.strip() else cell

    path.write_text("\n".join(",".join(quote(c) for c in row) for row in [header, *rows]) + "\n", encoding="utf-8")


def test_a_big_file_path_table_has_arrow_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.csv"
    write_csv(path, ["City", "Population"], [["Oslo", "700,000"], ["Lima", "9,700,000"]])
    eager, lazy = both(path, monkeypatch)
    assert all(isinstance(c, ArrowColumn) for c in lazy.columns)
    assert not any(isinstance(c, ArrowColumn) for c in eager.columns)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=25))
def test_every_column_field_agrees_with_the_pandas_path(tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]) -> None:
    path = tmp_path_factory.mktemp("arrow") / "t.csv"
    write_csv(path, ["A", "B", "A"], rows)
    for share in (0.0, 1.0):  # classified row by row, then per distinct text
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(arrowtable, "DISTINCT_SHARE", share)
            eager, lazy = both(path, mp)
        check_columns(eager, lazy)


def check_columns(eager: Table, lazy: Table) -> None:
    assert lazy.names == eager.names
    for e, z in zip(eager.columns, lazy.columns):
        assert z.texts == e.texts
        assert z.kind == e.kind
        assert same_values(z.numbers, e.numbers)
        assert same_values(z.numbers2, e.numbers2)
        assert same_values(z.durations, e.durations)
        assert z.duration_numbers == e.duration_numbers
        assert z.dates == e.dates
        assert tuple(z.notes) == tuple(e.notes)
        assert [z.distinct[k] for k in z.codes] == e.texts
        assert z.n_rows == e.n_rows
    assert np.array_equal(lazy.summary_rows, eager.summary_rows)
    assert lazy.notices == eager.notices


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=12),
    st.sampled_from([";", "\t"]),
    st.sampled_from([None, ",", "."]),
)
def test_decimal_conventions_agree_with_the_pandas_path(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], sep: str, decimal: str | None
) -> None:
    """Files whose separator is not a comma (where a column may follow the file's decimal
    comma), with and without ``--decimal``, and a last row that may be a summary row."""
    path = tmp_path_factory.mktemp("arrow") / "t.csv"
    body = [[c.replace(sep, " ").replace('"', "").replace("\n", " ") for c in row] for row in rows]
    path.write_text("\n".join(sep.join(r) for r in [["A", "B", "C"], *body, ["Total", "3,5", "1,234"]]) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(arrowtable, "ARROW_MIN_BYTES", 1 << 60)
        eager = load_table(path, sep=sep, decimal=decimal)
        mp.setattr(arrowtable, "ARROW_MIN_BYTES", 0)
        lazy = load_table(path, sep=sep, decimal=decimal)
    check_columns(eager, lazy)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(st.lists(CELL, min_size=1, max_size=12))
def test_heights_in_feet_and_inches_agree_with_the_pandas_path(tmp_path_factory: pytest.TempPathFactory, cells: list[str]) -> None:
    """A column named Height reads 6–8 as 80 inches on every path."""
    path = tmp_path_factory.mktemp("arrow") / "t.csv"
    heights = ["6–8", "6'2\"", "7–0", *(c.replace('"', "").replace(",", " ").replace("\n", " ") for c in cells)]
    path.write_text("Name,Height\n" + "\n".join(f"p{i},{h}" for i, h in enumerate(heights)) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(arrowtable, "ARROW_MIN_BYTES", 1 << 60)
        eager = load_table(path)
        mp.setattr(arrowtable, "ARROW_MIN_BYTES", 0)
        lazy = load_table(path)
    check_columns(eager, lazy)
    assert lazy.columns[1].num.tolist()[:3] == [80.0, 74.0, 84.0]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(CELL, min_size=2, max_size=30), st.floats(min_value=-3000, max_value=3000, allow_nan=False))
def test_has_number_and_date_values_agree_with_a_full_reading(
    tmp_path_factory: pytest.TempPathFactory, cells: list[str], value: float
) -> None:
    path = tmp_path_factory.mktemp("arrow") / "t.csv"
    write_csv(path, ["X", "Y"], [[c, "1"] for c in cells])
    with pytest.MonkeyPatch.context() as mp:
        eager, lazy = both(path, mp)
    e, z = eager.columns[0], lazy.columns[0]
    for v in (value, 1000.0, 2004.0, 12.0, 3.0, 1.0, 0.5, 0.0, -1.0, 1.4999995, 1.9999995, 2.0000005):
        assert z.has_number(v) == e.has_number(v), v
    assert z.date_values() == {d for d in e.dates if d is not None}


def test_has_number_reads_only_rows_that_could_hold_the_number() -> None:
    col = ArrowColumn("D", pa.array(["won 1,000 games", "lost 12 of 30", "about 1000 fans"] + ["no digits here"] * 9))
    assert col.kind == "text" and col._parsed is None  # the kind needed no reading
    assert col.has_number(1000.0) and col.has_number(12.0)
    assert not col.has_number(30.0)  # 30 is never a cell's first number
    assert col._parsed is None  # nothing was read in full


def test_free_text_column_is_text_without_reading_its_rows() -> None:
    col = ArrowColumn("D", pa.array(["a long text about 3 things"] + ["no number at all"] * 9))
    assert col.kind == "text"
    assert col._parsed is None


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    st.lists(
        st.one_of(
            st.builds("{:04d}-{:02d}-{:02d}".format, st.integers(0, 2999), st.integers(0, 13), st.integers(0, 32)),
            st.builds(
                "{} {}, {:04d}".format,
                st.sampled_from(["January", "February", "April", "May", "September", "may", "Sept."]),
                st.integers(0, 40),
                st.integers(0, 2999),
            ),
            CELL,
        ),
        min_size=1,
        max_size=20,
        unique=True,
    )
)
def test_vectorised_date_shapes_read_as_parse_cells_reads_them(texts: list[str]) -> None:
    fast, slow = parse_distinct(pa.array(texts, type=pa.string())), parse_cells(texts)
    assert same_values(fast.numbers, slow.numbers)
    assert same_values(fast.numbers2, slow.numbers2)
    assert fast.dates.tolist() == slow.dates.tolist()
    assert fast.date_kinds.tolist() == slow.date_kinds.tolist()


def test_collapse_pattern_covers_every_character_str_split_splits_on() -> None:
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace() and c != 0x20]
    hit = pa.compute.match_substring_regex(pa.array([f"a{s}b" for s in spaces]), arrowtable._UNCLEAN)
    assert all(hit.to_pylist())


def test_linking_and_table_data_agree_with_the_pandas_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [[f"Team {i % 7}", str(1990 + i % 30), f"{i * 1000:,}", "May 3, 2004" if i % 5 else "2004-05-03", f"won {i} of {i + 3}"]
            for i in range(60)]  # fmt: skip
    path = tmp_path / "t.csv"
    write_csv(path, ["Team", "Year", "Attendance", "Date", "Notes"], rows)
    eager, lazy = both(path, monkeypatch)
    for question in ("how many teams had attendance over 5,000 in 2004?", "which team won 12 of 15 in 1995?",
                     "what was the attendance of team 3 on may 3, 2004?"):  # fmt: skip
        clear_caches()
        a = link_question(parse_question(question), eager)
        clear_caches()
        b = link_question(parse_question(question), lazy)
        assert [(c.kind, c.value, c.start, c.end) for c in a.constants] == [(c.kind, c.value, c.start, c.end) for c in b.constants]
        for field in ("column_name_match", "column_cell_match", "token_cell_match", "constant_column_match",
                      "cell_match", "constant_context_column"):  # fmt: skip
            assert np.array_equal(getattr(a, field), getattr(b, field)), field
    de, dz = eager, lazy
    assert all(isinstance(c, ArrowColumn) for c in dz.columns)
    for ce, cz in zip(de.columns, dz.columns):
        assert (cz.name, cz.kind, cz.texts) == (ce.name, ce.kind, ce.texts)
        for f in ("nonempty", "num", "year", "month", "day", "order"):
            assert same_values(getattr(cz, f), getattr(ce, f)), f
        assert np.array_equal(cz.text_codes, ce.text_codes)
        assert cz.norm == ce.norm


def test_ragged_file_falls_back_to_the_pandas_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    eager, lazy = both(path, monkeypatch)
    assert [c.texts for c in lazy.columns] == [c.texts for c in eager.columns]
    assert not any(isinstance(c, ArrowColumn) for c in lazy.columns)


def test_quoted_line_breaks_are_read_inside_the_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.csv"
    path.write_text('a,b\n"two\nlines",2\nx,3\n', encoding="utf-8")
    eager, lazy = both(path, monkeypatch)
    assert lazy.columns[0].texts == eager.columns[0].texts == ["two lines", "x"]
    assert math.isnan(lazy.columns[0].numbers[0])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.one_of(CELL, st.text(max_size=15)), min_size=1, max_size=30), st.integers(0, 3))
def test_vectorised_match_lines_equal_match_lines(texts: list[str], start: int) -> None:
    from npqa.table.text import match_blob, match_lines
    from npqa.table.read import collapse_whitespace

    texts = [collapse_whitespace(t) for t in texts]
    arr = pa.array(texts, type=pa.string()).slice(min(start, len(texts) - 1))  # also a sliced array
    assert match_blob(arr) == match_lines(arr.to_pylist())


def test_a_cp1252_file_is_decoded_first_and_still_read_by_pyarrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("Name,Price\nCaf\xe9,3\nTh\xe9,4\n".encode("cp1252"))
    eager, lazy = both(path, monkeypatch)
    assert [c.texts for c in lazy.columns] == [c.texts for c in eager.columns] == [["Café", "Thé"], ["3", "4"]]
    assert all(isinstance(c, ArrowColumn) for c in lazy.columns)


def test_cells_keep_their_text_exactly_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No type inference: 6379.30 stays 6379.30, 007 stays 007, 2004-05-03 stays a string."""
    path = tmp_path / "t.csv"
    write_csv(path, ["Price", "Code", "Day"], [["6379.30", "007", "2004-05-03"], ["1.50", "010", "2004-05-04"]])
    eager, lazy = both(path, monkeypatch)
    assert [c.texts for c in lazy.columns] == [c.texts for c in eager.columns]
    assert lazy.columns[0].texts == ["6379.30", "1.50"]
    assert all(isinstance(c, ArrowColumn) for c in lazy.columns)


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("a\tb\n1\tx y\n2\tz\n", {}),  # a TSV, sniffed
        ("a;b\n1;x\n2;y\n", {"sep": ";"}),  # the separator given
        ("1,x\n2,y\n3,z\n", {"header": False}),  # no header: columns named by position
        ("Year,Year,\n2004,1,a\n2005,2,b\n", {}),  # repeated and empty names made unique
    ],
)
def test_options_and_names_agree_with_the_pandas_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, options: dict
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(arrowtable, "ARROW_MIN_BYTES", 1 << 60)
    eager = load_table(path, **options)
    monkeypatch.setattr(arrowtable, "ARROW_MIN_BYTES", 0)
    lazy = load_table(path, **options)
    assert all(isinstance(c, ArrowColumn) for c in lazy.columns)
    check_columns(eager, lazy)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.text(alphabet=st.characters(max_codepoint=0x24F, exclude_categories=("Cs",)), max_size=12), min_size=1, max_size=20))
def test_kernel_match_text_equals_match_text_below_u0250(texts: list[str]) -> None:
    from npqa.table.text import latin_match_text, match_text

    assert latin_match_text(pa.array(texts, type=pa.string())).to_pylist() == [match_text(t) for t in texts]
