"""The DuckDB reader of big files (``npqa.table.duck``) gives what the pandas path gives.

Every test lowers ``ENGINE_MIN_BYTES`` to 0 so that small files drawn here take
the engine path, and compares field by field with the same file read with both
big-file thresholds out of reach (the pandas path). Columns are read grouped by
text and row by row (``DISTINCT_SHARE`` 1 and 0), and linking is checked with
the engine's own word search (:mod:`npqa.table.duckwords`) as well.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("duckdb")

from npqa.question.link import clear_caches, link_question  # noqa: E402
from npqa.question.parse import parse_question  # noqa: E402
from npqa.table import arrow as arrowtable  # noqa: E402
from npqa.table import duck, duckflags, duckwords, index  # noqa: E402
from npqa.table.column import Table  # noqa: E402
from npqa.table.duck import DuckColumn  # noqa: E402
from npqa.table.read import load_table  # noqa: E402

from test_arrowtable import CELL, same_values, write_csv  # noqa: E402

DATE_SHAPES = st.one_of(
    st.builds("{:04d}-{:02d}-{:02d}".format, st.integers(0, 2999), st.integers(0, 13), st.integers(0, 32)),
    st.builds(
        "{} {}, {:04d}".format,
        st.sampled_from(["January", "February", "April", "May", "September", "may", "Sept."]),
        st.integers(0, 40),
        st.integers(0, 3200),
    ),
    CELL,
)


def read_both(path: Path, mp: pytest.MonkeyPatch, **options: object) -> tuple[Table, Table]:
    """(pandas-path table, engine-path table) of one file."""
    mp.setattr(arrowtable, "ARROW_MIN_BYTES", 1 << 60)
    mp.setattr(duck, "ENGINE_MIN_BYTES", 1 << 60)
    eager = load_table(path, **options)  # type: ignore[arg-type]
    mp.setattr(duck, "ENGINE_MIN_BYTES", 0)
    mp.setattr(duck, "ENGINE_MIN_ROWS", 0)
    engine = load_table(path, **options)  # type: ignore[arg-type]
    return eager, engine


def check_columns(eager: Table, engine: Table) -> None:
    assert engine.names == eager.names
    assert all(isinstance(c, DuckColumn) for c in engine.columns)
    for e, z in zip(eager.columns, engine.columns):
        assert list(z.texts) == list(e.texts)
        assert z.kind == e.kind, (z.name, list(e.texts))
        assert same_values(z.numbers, e.numbers)
        assert same_values(z.numbers2, e.numbers2)
        assert same_values(z.durations, e.durations)
        assert z.duration_numbers == e.duration_numbers
        assert list(z.dates) == list(e.dates)
        assert tuple(z.notes) == tuple(e.notes)
        assert [z.distinct[k] for k in z.codes] == list(e.texts)
        assert z.n_rows == e.n_rows
        for name in ("num", "year", "month", "day", "order", "nonempty", "text_codes"):
            assert same_values(getattr(z, name), getattr(e, name)), name
        assert z.norm == e.norm
    assert np.array_equal(engine.summary_rows, eager.summary_rows)
    assert engine.notices == eager.notices


def test_a_big_file_is_read_by_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.csv"
    write_csv(path, ["City", "Population"], [["Oslo", "700,000"], ["Lima", "9,700,000"]])
    eager, engine = read_both(path, monkeypatch)
    assert all(isinstance(c, DuckColumn) for c in engine.columns)
    assert not any(isinstance(c, DuckColumn) for c in eager.columns)


def test_a_file_of_few_rows_and_many_columns_is_left_to_pyarrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "wide.csv"
    write_csv(path, [f"C{j}" for j in range(50)], [[str(i * j) for j in range(50)] for i in range(20)])
    monkeypatch.setattr(duck, "ENGINE_MIN_BYTES", 0)
    monkeypatch.setattr(duck, "ENGINE_MIN_ROWS", 1000)
    monkeypatch.setattr(arrowtable, "ARROW_MIN_BYTES", 0)
    table = load_table(path)
    assert isinstance(table.columns[0], arrowtable.ArrowColumn)


def test_the_engine_never_installs_or_loads_an_extension_by_itself() -> None:
    con = duck.connect()
    settings_ = dict(con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('autoinstall_known_extensions', 'autoload_known_extensions')"
    ).fetchall())  # fmt: skip
    assert settings_ == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def test_a_file_the_engine_refuses_is_read_another_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("A,B\n1,2\n3,4,5\n6\n", encoding="utf-8")
    monkeypatch.setattr(duck, "ENGINE_MIN_BYTES", 0)
    monkeypatch.setattr(duck, "ENGINE_MIN_ROWS", 0)
    table = load_table(path)
    assert not any(isinstance(c, DuckColumn) for c in table.columns)
    assert table.n_rows == 3


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=25), st.sampled_from([0.0, 1.0]))
def test_every_column_field_agrees_with_the_pandas_path(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], share: float
) -> None:
    path = tmp_path_factory.mktemp("duck") / "t.csv"
    write_csv(path, ["A", "B", "A"], rows)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(duck, "DISTINCT_SHARE", share)  # 0: every column row by row; 1: grouped by text
        eager, engine = read_both(path, mp)
    check_columns(eager, engine)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(st.lists(DATE_SHAPES, min_size=2, max_size=2), min_size=1, max_size=20),
    st.sampled_from([0.0, 1.0]),
)
def test_dates_and_numbers_read_in_sql_agree_with_the_parser(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], share: float
) -> None:
    path = tmp_path_factory.mktemp("duck") / "t.csv"
    write_csv(path, ["When", "Other"], rows)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(duck, "DISTINCT_SHARE", share)
        eager, engine = read_both(path, mp)
    check_columns(eager, engine)


@settings(max_examples=30, deadline=None, derandomize=True)
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
    path = tmp_path_factory.mktemp("duck") / "t.csv"
    body = [[c.replace(sep, " ").replace('"', "").replace("\n", " ") for c in row] for row in rows]
    path.write_text("\n".join(sep.join(r) for r in [["A", "B", "C"], *body, ["Total", "3,5", "1,234"]]) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        eager, engine = read_both(path, mp, sep=sep, decimal=decimal)
    check_columns(eager, engine)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(st.lists(CELL, min_size=1, max_size=12))
def test_heights_in_feet_and_inches_agree_with_the_pandas_path(tmp_path_factory: pytest.TempPathFactory, cells: list[str]) -> None:
    """A column named Height reads 6–8 as 80 inches on every path."""
    path = tmp_path_factory.mktemp("duck") / "t.csv"
    heights = ["6–8", "6'2\"", "7–0", *(c.replace('"', "").replace(",", " ").replace("\n", " ") for c in cells)]
    path.write_text("Name,Height\n" + "\n".join(f"p{i},{h}" for i, h in enumerate(heights)) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        eager, engine = read_both(path, mp)
    check_columns(eager, engine)
    assert engine.columns[1].num.tolist()[:3] == [80.0, 74.0, 84.0]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(CELL, min_size=2, max_size=30), st.floats(min_value=-3000, max_value=3000, allow_nan=False))
def test_has_number_and_date_values_agree_with_a_full_reading(
    tmp_path_factory: pytest.TempPathFactory, cells: list[str], value: float
) -> None:
    path = tmp_path_factory.mktemp("duck") / "t.csv"
    write_csv(path, ["X", "Y"], [[c, "1"] for c in cells])
    with pytest.MonkeyPatch.context() as mp:
        eager, engine = read_both(path, mp)
    e, z = eager.columns[0], engine.columns[0]
    for v in (value, 1000.0, 2004.0, 12.0, 3.0, 1.0, 0.5, 0.0, -1.0, 1.4999995, 1.9999995, 2.0000005):
        assert z.has_number(v) == e.has_number(v), v
    assert z.date_values() == {d for d in e.dates if d is not None}


def test_free_text_column_is_text_without_parsing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.csv"
    write_csv(path, ["D", "N"], [["a long text about 3 things", "1"]] + [["no number at all", "2"]] * 9)
    _, engine = read_both(path, monkeypatch)
    col = engine.columns[0]
    assert col.kind == "text"
    assert col._parsed is None  # the counts decided the kind


def test_whitespace_list_is_every_character_str_split_splits_on() -> None:
    assert set(duckflags.WHITESPACE) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


QUESTIONS = (
    "how many teams had attendance over 5,000 in 2004?",
    "which team won 12 of 15 in 1995?",
    "what was the attendance of team 3 on may 3, 2004?",
    "how many rows have a value over 1000?",
    "which notes say won 4 of 7 or team 2?",
)


@pytest.mark.parametrize("engine_words", [False, True])
def test_linking_agrees_with_the_pandas_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine_words: bool) -> None:
    rows = [[f"Team {i % 7}", str(1990 + i % 30), f"{i * 1000:,}", "May 3, 2004" if i % 5 else "2004-05-03",
             f"won {i} of {i + 3}" if i % 4 else f"Zürich, the team {i}", "a" if i % 9 == 0 else f"row {i}"]
            for i in range(60)]  # fmt: skip
    path = tmp_path / "t.csv"
    write_csv(path, ["Team", "Year", "Attendance", "Date", "Notes", "Value"], rows)
    if engine_words:  # row mode, linking searched in SQL (no forgiving on either path)
        monkeypatch.setattr(duck, "DISTINCT_SHARE", 0.0)
        monkeypatch.setattr(duckwords, "VOCABULARY_MAX_BYTES", -1)
        monkeypatch.setattr(index, "VOCABULARY_MAX_BYTES", -1)
    eager, engine = read_both(path, monkeypatch)
    if engine_words:
        assert all(isinstance(c.words(), duckwords.EngineWords) for c in engine.columns)
    for question in QUESTIONS:
        clear_caches()
        a = link_question(parse_question(question), eager)
        clear_caches()
        b = link_question(parse_question(question), engine)
        assert [(c.kind, c.value, c.start, c.end) for c in a.constants] == [(c.kind, c.value, c.start, c.end) for c in b.constants]
        for field in ("column_name_match", "column_cell_match", "token_cell_match", "constant_column_match",
                      "cell_match", "constant_context_column"):  # fmt: skip
            assert np.array_equal(getattr(a, field), getattr(b, field)), (question, field)
