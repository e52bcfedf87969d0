"""Tests of npqa.train.wtq: WTQ-style TSVs and their tables, drawn in each test."""
from __future__ import annotations

from pathlib import Path

import pytest

from npqa.errors import DataError
from npqa.train.wtq import (
    Example,
    TableCache,
    load_examples_with_tables,
    read_examples,
    split_answers,
    unescape_tsv,
)

HEADER = "id\tutterance\tcontext\ttargetValue\n"
REPO_ROOT = Path(__file__).resolve().parent.parent


def write_tsv(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "data.tsv"
    path.write_text(header + body, encoding="utf-8")
    return path


def write_table(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_reads_id_question_table_path_and_answer(tmp_path: Path) -> None:
    path = write_tsv(tmp_path, "nt-0\twho won?\tcsv/200-csv/0.csv\tAnn\n")
    assert read_examples(path) == [Example("nt-0", "who won?", "csv/200-csv/0.csv", ["Ann"])]


def test_several_answers_are_split_on_pipe(tmp_path: Path) -> None:
    path = write_tsv(tmp_path, 'nt-1\tq\tcsv/t.csv\t"Melting Pot"|"The Banner Man"\n')
    assert read_examples(path)[0].answers == ['"Melting Pot"', '"The Banner Man"']


def test_escaped_pipe_is_part_of_one_answer() -> None:
    assert split_answers("a\\pb|c") == ["a|b", "c"]


def test_escaped_newline_and_backslash_are_unescaped() -> None:
    assert unescape_tsv("x\\ny\\\\z") == "x\ny\\z"


def test_escaped_backslash_before_n_is_not_a_newline() -> None:
    assert unescape_tsv("a\\\\nb") == "a\\nb"


def test_unknown_escape_is_kept_as_written() -> None:
    assert unescape_tsv("a\\tb") == "a\\tb"


def test_question_text_is_unescaped(tmp_path: Path) -> None:
    path = write_tsv(tmp_path, "nt-2\tA \\p B?\tcsv/t.csv\t1\n")
    assert read_examples(path)[0].question == "A | B?"


def test_columns_are_found_by_name_in_any_order_with_extras(tmp_path: Path) -> None:
    header = "targetValue\textra\tcontext\tid\tutterance\n"
    path = write_tsv(tmp_path, "7\tjunk\tcsv/t.csv\tnt-3\thow many?\n", header=header)
    assert read_examples(path) == [Example("nt-3", "how many?", "csv/t.csv", ["7"])]


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = write_tsv(tmp_path, "nt-4\tq\tcsv/t.csv\t1\n\nnt-5\tq\tcsv/t.csv\t2\n")
    assert [e.id for e in read_examples(path)] == ["nt-4", "nt-5"]


def test_missing_header_column_raises_data_error_naming_file(tmp_path: Path) -> None:
    path = write_tsv(tmp_path, "nt-6\tq\tcsv/t.csv\n", header="id\tutterance\tcontext\n")
    with pytest.raises(DataError) as info:
        read_examples(path)
    assert info.value.what == str(path) and "targetValue" in info.value.problem


def test_line_with_wrong_field_count_raises_data_error_with_line_number(tmp_path: Path) -> None:
    path = write_tsv(tmp_path, "nt-7\tq\tcsv/t.csv\t1\nnt-8\tq\tcsv/t.csv\n")
    with pytest.raises(DataError, match="line 3"):
        read_examples(path)


def test_missing_tsv_raises_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_examples(tmp_path / "absent.tsv")


def test_empty_tsv_raises_data_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.tsv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty"):
        read_examples(path)


def test_each_distinct_table_is_loaded_once(tmp_path: Path) -> None:
    write_table(tmp_path, "csv/200-csv/0.csv", '"Year","Team"\n"2001","A"\n')
    write_table(tmp_path, "csv/200-csv/1.csv", '"Name"\n"Ann"\n')
    body = "nt-0\tq\tcsv/200-csv/0.csv\tA\nnt-1\tq\tcsv/200-csv/1.csv\tAnn\nnt-2\tq\tcsv/200-csv/0.csv\t2001\n"
    examples, tables = load_examples_with_tables(write_tsv(tmp_path, body), tmp_path)
    assert len(examples) == 3
    assert sorted(tables) == ["csv/200-csv/0.csv", "csv/200-csv/1.csv"]
    assert tables["csv/200-csv/0.csv"].names == ["Year", "Team"]


def test_cache_returns_the_same_table_object(tmp_path: Path) -> None:
    write_table(tmp_path, "csv/t.csv", '"a"\n"1"\n')
    cache = TableCache(tmp_path)
    assert cache.get("csv/t.csv") is cache.get("csv/t.csv")


def test_missing_table_raises_data_error_naming_it_and_the_example(tmp_path: Path) -> None:
    path = write_tsv(tmp_path, "nt-9\tq\tcsv/missing.csv\t1\n")
    with pytest.raises(DataError) as info:
        load_examples_with_tables(path, tmp_path)
    assert info.value.what == str(tmp_path / "csv/missing.csv") and "nt-9" in info.value.problem


def test_repository_tiny_wtq_sample_loads_with_its_three_tables() -> None:
    root = REPO_ROOT / "data" / "tiny"
    examples, tables = load_examples_with_tables(root / "data" / "tiny.tsv", root)
    assert (len(examples), len(tables)) == (20, 3)
    assert '"Coś za coś"' in tables["csv/204-csv/365.csv"].column("Single").texts
