"""Fuzzing the command line: any table bytes, any program, any question.

Every case must end in exit 0 with an answer on stdout, or exit 2 with exactly
one line ``error: …`` on stderr. Exit 1, a traceback, or a case that runs past
its time bound is a failure. Tables are random and malformed CSV bytes (binary,
mixed encodings, ragged rows, unclosed quotes, header only); programs are
well-formed, ill-typed and garbage; questions are empty, huge, control
characters, RTL text and emoji. ``bench/fuzz_long.py`` runs the same cases
many more times and reports the count.
"""
from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from npqa.cli import app
from npqa.table import values
from npqa.table.values import Conventions, parse_cells, parse_date, parse_duration, parse_number, parse_number2, read_cell

CASE_SECONDS = 20  # a case running longer than this is a hang
EXAMPLES = int(os.environ.get("NPQA_FUZZ_EXAMPLES", "120"))  # per command; bench/fuzz_long.py raises it
DERANDOMIZE = os.environ.get("NPQA_FUZZ_RANDOM") is None  # fixed cases in CI; bench/fuzz_long.py draws new ones
CASES = {"cli": 0}  # CLI cases run in this process (bench/fuzz_long.py reports it)

CELLS = [
    "", "1", "-3", "1,234", "12.5%", "3–1", "May 3, 2004", "2004", "October 17", "n/a", "—", "Los Angeles",
    "o'brien", 'say "hi"', "a,b", "x\ny", "[1]", "[bold]x[/bold]", "\\", "\\\"", "\u202eabc", "שלום", "😀",
    "\x00", "\x1b[31m", "\ufeff", "Ⅻ", "٣", "1e400", "9" * 400, "ſeptember 3", "Aprıl 2004", "   ", "\t",
]  # fmt: skip
SEPS = [",", "\t", ";", "|"]
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-16-le"]


class CaseTimeout(BaseException):
    """Raised in the main thread when a case runs past :data:`CASE_SECONDS` (a
    BaseException so the CLI's handler for bugs cannot turn it into exit 1)."""


@contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise CaseTimeout(f"case ran past {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


RUNNER = CliRunner()
WORK = Path(tempfile.mkdtemp(prefix="npqa-fuzz-"))


def check_cli(args: list[str], stdin: bytes | None = None, seconds: float = CASE_SECONDS) -> Any:
    """Run the CLI in-process and assert the exit contract; return the result.

    Random programs and questions come after ``--``: without it a text such as
    ``-0`` is read as an option (click's usage error, not a case of ours)."""
    CASES["cli"] += 1
    with time_bound(seconds):
        result = RUNNER.invoke(app, args, input=stdin)
    out, err = result.stdout, result.stderr
    assert "Traceback" not in out + err, (args, err)
    assert result.exit_code in (0, 2), (args, result.exit_code, err, result.exception)
    if result.exit_code == 2:
        lines = err.strip("\n").split("\n")
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, err)
    else:
        assert out.strip(), (args, "exit 0 with nothing on stdout")
    return result


# --------------------------------------------------------------------------- tables


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    """Bytes a user might hand over as a table: text tables in many shapes and
    encodings, and some that are not tables at all."""
    kind = draw(st.sampled_from(["table", "table", "table", "binary", "mixed", "unclosed", "header_only", "random_text"]))
    if kind == "binary":
        return draw(st.binary(min_size=1, max_size=3000))
    if kind == "random_text":
        return draw(st.text(max_size=500)).encode("utf-8", "surrogatepass")
    sep = draw(st.sampled_from(SEPS))
    width = draw(st.integers(1, 6))
    n_rows = 0 if kind == "header_only" else draw(st.integers(1, 8))
    cell = st.one_of(st.sampled_from(CELLS), st.text(max_size=12))
    rows = []
    for _ in range(n_rows + 1):
        ragged = draw(st.integers(-width + 1, 3)) if draw(st.booleans()) else 0  # some rows short or long
        cells = draw(st.lists(cell, min_size=width + ragged, max_size=width + ragged))
        rows.append(sep.join(_quote(c, sep) if draw(st.booleans()) else c for c in cells))
    text = "\n".join(rows) + draw(st.sampled_from(["", "\n", "\r\n"]))
    if kind == "unclosed":
        text += sep + '"never closed' + draw(st.sampled_from(["", "\n1,2"]))
    if kind == "mixed":  # halves in two encodings
        half = len(text) // 2
        return _encode(text[:half], "utf-8") + _encode(text[half:], draw(st.sampled_from(ENCODINGS)))
    return _encode(text, draw(st.sampled_from(ENCODINGS)))


def _quote(cell: str, sep: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace" if encoding not in ("utf-8", "utf-8-sig") else "surrogatepass")


def table_file(data: bytes) -> str:
    path = WORK / "t.csv"
    path.write_bytes(data)
    return str(path)


PROGRAMS = [
    "count(reset)",
    'print(reset, "column_1")',
    'count(greater(reset, "column_1", 2004))',
    'sum(reset, "column_2")',
    'print(argmax(reset, "column_1"), "column_2")',
    'count(word_match(reset, "column_3", "los angeles"))',
    "count(",
    "print(reset)",
    "",
    "   ",
    'count(greater(reset, "no such column", 1))',
    "'; DROP TABLE t; --",
    "\x00",
]
programs = st.one_of(st.sampled_from(PROGRAMS), st.text(max_size=40))


@settings(max_examples=EXAMPLES, derandomize=DERANDOMIZE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(data=csv_bytes(), program=programs, no_header=st.booleans())
def test_run_any_table_any_program(data: bytes, program: str, no_header: bool) -> None:
    check_cli(["run", "--json"] + (["--no-header"] if no_header else []) + ["--", table_file(data), program])


@settings(max_examples=EXAMPLES // 2, derandomize=DERANDOMIZE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(data=csv_bytes(), program=programs, sep=st.sampled_from([None, ",", "tab", ";", "ab", '"']))
def test_sql_any_table_any_program_with_db(data: bytes, program: str, sep: str | None) -> None:
    db = WORK / "t.sqlite"
    args = ["sql", "--db", str(db)] + (["--sep", sep] if sep else []) + ["--", table_file(data), program]
    check_cli(args)


@settings(max_examples=EXAMPLES // 4, derandomize=DERANDOMIZE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(data=csv_bytes())
def test_run_reads_a_table_from_stdin(data: bytes) -> None:
    check_cli(["run", "-", "count(reset)"], stdin=data)


# --------------------------------------------------------------------------- big and odd tables


def test_ten_thousand_columns() -> None:
    header = ",".join(f"c{i}" for i in range(10_000))
    row = ",".join(str(i) for i in range(10_000))
    result = check_cli(["run", table_file(f"{header}\n{row}\n{row}\n".encode()), 'sum(reset, "c9999")', "--json"])
    assert '"answer": ["19998"]' in result.stdout


def test_one_megabyte_cell() -> None:
    big = "word " * 200_000
    result = check_cli(["run", table_file(f'a,b\n"{big}",1\nx,2\n'.encode()), 'print(argmax(reset, "b"), "a")', "--json"])
    assert '"answer": ["x"]' in result.stdout


@pytest.mark.parametrize(
    "data",
    [b"", b"\n\n\n", b"a,b,c\n", b'"a,b\n1,2\n', b"\xff\xfe\x00", b"\x00" * 100, b"a\n" + b"\xe9\n" * 3,
     b"a,b\n1,2,3,4,5\n6\n", b"\xef\xbb\xbfa,b\n1,2\n", "a;b\n1;2\n".encode("utf-16")],
)  # fmt: skip
def test_odd_table_bytes(data: bytes) -> None:
    check_cli(["run", table_file(data), "count(reset)"])


# --------------------------------------------------------------------------- questions (with a tiny model)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    from npqa.train.loop import TrainConfig, train

    out = tmp_path_factory.mktemp("tinymodel")
    train(TrainConfig(train="data/tiny/data/tiny.tsv", tables_root="data/tiny", out=str(out), epochs=1, hidden=16,
                      embed_dim=8, threads=1))  # fmt: skip
    return str(out)


QUESTIONS = [
    "",
    "   ",
    "how many rows have a Value over 1000?",
    " ".join(["word"] * 10_000),
    "\x00\x01\x02\x1b[2J\x7f",
    "כמה שורות יש בטבלה?",
    "\u202ehow many\u202c",
    "😀😀 how many 🎉?",
    "what is the total of 1,234 and May 3, 2004 and 9" + "9" * 400,
    "ſeptember aprıl İstanbul",
    "[bold]x[/bold] \\ \" '",
]


@settings(max_examples=EXAMPLES // 2, derandomize=DERANDOMIZE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=csv_bytes(), question=st.one_of(st.sampled_from(QUESTIONS), st.text(max_size=60)))
def test_ask_any_table_any_question(tiny_model: str, data: bytes, question: str) -> None:
    check_cli(["ask", "--model", tiny_model, "--json", "--", table_file(data), question])


@pytest.mark.parametrize("question", QUESTIONS)
def test_ask_odd_questions_on_a_real_table(tiny_model: str, question: str) -> None:
    table = table_file(b"Year,City,Value\n2004,Los Angeles,1200\n2005,Saskatoon,800\n2006,Zurich,3100\n")
    check_cli(["ask", "--model", tiny_model, "--", table, question])


def test_ask_questions_from_stdin(tiny_model: str) -> None:
    table = table_file(b"Year,Value\n2004,1200\n2005,800\n")
    stdin = "\n".join(q.replace("\n", " ") for q in QUESTIONS if q.strip() and "\x00" not in q).encode()
    check_cli(["ask", table, "--model", tiny_model, "--json"], stdin=stdin)


# --------------------------------------------------------------------------- the value parser's fast paths


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(CELLS), st.text(max_size=20),
                          st.from_regex(r"-?[0-9]{1,7}(,[0-9]{3})*(\.[0-9]{1,3})?", fullmatch=True),
                          st.from_regex(r"(Mon(day)?,? )?(Jan|May|Sept)\.? [0-9]{1,2}(th)?,? [0-9]{4}", fullmatch=True),
                          st.from_regex(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?|[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}", fullmatch=True),
                          st.from_regex(r"(Sun\.? )?[0-9]{1,4}(st)? (May|oct\.|DECEMBER),?( [0-9]{1,4})?", fullmatch=True),
                          st.from_regex(r"\+?[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?([.,][0-9]{1,2})?( (PB|pm|am))?|[0-9]h ?[0-9]{1,2}m", fullmatch=True),
                          st.from_regex(r"(c\. )?[0-9]{1,4}([–-][0-9]{1,4})? ?(BC|B\.C\.|BCE|AD|CE)|AD [0-9]{1,4}", fullmatch=True),
                          st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{3})*,[0-9]{1,3}( kg| %)?", fullmatch=True)),
                max_size=30),
       st.sampled_from([Conventions(), Conventions(",", None), Conventions(".", True), Conventions(",", False)]))  # fmt: skip
def test_parse_cells_agrees_with_the_single_parsers(texts: list[str], conventions: Conventions) -> None:
    """The vectorised reader gives exactly what parse_number/parse_number2/parse_date/parse_duration
    give (read_cell under other conventions)."""
    texts = [" ".join(t.split()) for t in texts]
    parsed = parse_cells(np.array(texts + ["x"], dtype=object)[:-1], conventions)
    for i, text in enumerate(texts):
        if conventions == Conventions():
            number, number2, date = parse_number(text), parse_number2(text), parse_date(text)
            assert read_cell(text) == (number, number2, date), text
            assert date == reference_date(text), text
        else:
            number, number2, date = read_cell(text, conventions)
            assert date == reference_date(text, conventions.day_first), text
        whole = values._NUMBER.search(text)  # the search from the start that _first_number shortcuts
        first = values._first_number(text)
        assert (whole and whole.span()) == (first and first.span()), text
        assert (np.isnan(parsed.numbers[i]) and number is None) or parsed.numbers[i] == number, text
        assert (np.isnan(parsed.numbers2[i]) and number2 is None) or parsed.numbers2[i] == number2, text
        assert parsed.dates[i] == date, text
        seconds = parse_duration(text)
        assert (np.isnan(parsed.durations[i]) and seconds is None) or parsed.durations[i] == seconds, text


def reference_date(text: str, day_first: bool | None = None) -> values.Date | None:
    """parse_date as first written: no length cut-off, every form tried in order."""
    text = " ".join(text.split())
    if not text or not (text[0].isalnum() and text[-1].isalnum() or text[-1] == "."):
        return None
    if values._YEAR_ONLY(text):
        year = int(text)
        return values.Date(year, None, None) if values.YEAR_MIN <= year <= values.YEAR_MAX else None
    era = values._era(text)
    if era is not None:
        return era[2]
    numeric = values._NUMERIC_DATE(text)
    if numeric is not None:
        return values._numeric_date(numeric, day_first)
    for fullmatch in (values._ISO_DATE, values._YEAR_FIRST, *values._NAMED_DATE):
        match = fullmatch(text)
        if match is not None:
            return values._from_groups(match)
    return None


def test_the_longest_date_fits_under_the_length_cutoff() -> None:
    from npqa.table.values import MAX_DATE_CHARS

    longest = "Thursnesday., September. 30th, 2004"
    assert parse_date(longest) is not None and len(longest) <= MAX_DATE_CHARS


@settings(max_examples=100, derandomize=True, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(CELLS), st.text(max_size=8)), min_size=1, max_size=20))
def test_columns_keep_their_distinct_texts_and_codes(cells: list[str]) -> None:
    """Column.distinct[Column.codes] is the column's texts, so callers can work per distinct text."""
    from npqa.table.read import make_column

    column = make_column("c", cells)
    assert column.distinct is not None and column.codes is not None
    assert column.distinct[column.codes].tolist() == column.texts


# --------------------------------------------------------------------------- the big-file reader on the same cases


@contextmanager
def arrow_path() -> Iterator[None]:
    """Every file read by the big-file path (:mod:`npqa.table.arrow`), however small."""
    from npqa.table import arrow as arrowtable

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(arrowtable, "ARROW_MIN_BYTES", 0)
        yield


@settings(max_examples=EXAMPLES // 2, derandomize=DERANDOMIZE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(data=csv_bytes(), program=programs, no_header=st.booleans())
def test_run_any_table_any_program_through_the_big_file_reader(data: bytes, program: str, no_header: bool) -> None:
    with arrow_path():
        check_cli(["run", "--json"] + (["--no-header"] if no_header else []) + ["--", table_file(data), program])


@settings(max_examples=EXAMPLES // 4, derandomize=DERANDOMIZE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=csv_bytes(), question=st.one_of(st.sampled_from(QUESTIONS), st.text(max_size=60)))
def test_ask_any_table_any_question_through_the_big_file_reader(tiny_model: str, data: bytes, question: str) -> None:
    with arrow_path():
        check_cli(["ask", "--model", tiny_model, "--json", "--db", str(WORK / "a.sqlite"), "--", table_file(data), question])


@pytest.mark.parametrize(
    "data",
    [b"a,b,c\n", b'"a,b\n1,2\n', b"a\n" + b"\xe9\n" * 3, b"a,b\n1,2,3,4,5\n6\n", b"\xef\xbb\xbfa,b\n1,2\n",
     b"a,b\n1,\xff\n", b"a,b\n" + b"1,2\n" * 3 + b"\x00,3\n", b'a,b\n"x\n\ny",2\n'],
)  # fmt: skip
def test_odd_table_bytes_through_the_big_file_reader(data: bytes) -> None:
    with arrow_path():
        check_cli(["run", table_file(data), "count(reset)"])


def test_ten_thousand_columns_through_the_big_file_reader() -> None:
    header = ",".join(f"c{i}" for i in range(10_000))
    row = ",".join(str(i) for i in range(10_000))
    with arrow_path():
        # about 10 s alone: a hang guard of 20 s failed in a full suite run, so this one case gets 60
        result = check_cli(["run", table_file(f"{header}\n{row}\n{row}\n".encode()), 'sum(reset, "c9999")', "--json"], seconds=60)
    assert '"answer": ["19998"]' in result.stdout
