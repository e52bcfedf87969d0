"""The Python API (``npqa.api``) and the explanation views (``npqa.cli.explain``)."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from npqa.api import AskResult, TableQA, looks_like_question, sql_of, write_table_db
from npqa.cli import app
from npqa.errors import ModelError, ProgramError, QuestionError
from npqa.cli.explain import html_page, render_steps, shown_rows, write_html
from npqa.train.metric import check
from npqa.table.read import load_table

from test_cli import ASK_FIELDS, TABLE, tiny_model_dir

QUESTION = "how many singles were released in 2010?"


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> TableQA:
    return TableQA.load(tiny_model_dir(tmp_path_factory))


@pytest.fixture(scope="module")
def hostile() -> pd.DataFrame:
    """A table whose cells look like markup to Rich and HTML.

    | Name                       | Score |
    |----------------------------|-------|
    | [bold]x[/bold]             | 1     |
    | <script>alert(1)</script>  | 2     |
    | plain                      | 3     |
    """
    return pd.DataFrame({"Name": ["[bold]x[/bold]", "<script>alert(1)</script>", "plain"], "Score": [1, 2, 3]})


def test_ask_on_a_path_gives_the_json_fields(qa: TableQA) -> None:
    result = qa.ask(str(TABLE), QUESTION)
    assert isinstance(result, AskResult)
    assert set(result.to_dict()) >= ASK_FIELDS  # fields may be added, never removed
    json.dumps(result.to_dict())  # serialisable as is


def test_ask_json_equals_the_command_line_output(qa: TableQA, tmp_path_factory: pytest.TempPathFactory) -> None:
    model = str(tiny_model_dir(tmp_path_factory))
    cli = CliRunner().invoke(app, ["ask", str(TABLE), QUESTION, "--json", "--model", model])
    assert json.loads(cli.stdout) == json.loads(qa.ask(str(TABLE), QUESTION).to_json())


def test_ask_on_a_dataframe_matches_the_csv(qa: TableQA, tmp_path: Path) -> None:
    frame = pd.DataFrame({"City": ["Oslo", "Lima", "Rome"], "Population": ["700,000", "9,700,000", "2,800,000"]})
    from_frame = qa.ask(frame, "how many cities have a population over 1,000,000?")
    csv_text = frame.to_csv(index=False)
    path = tmp_path / "cities.csv"
    path.write_text(csv_text, encoding="utf-8")
    from_csv = qa.ask(str(path), "how many cities have a population over 1,000,000?")
    assert from_frame.to_dict() == from_csv.to_dict()


def test_ask_many_answers_each_question(qa: TableQA) -> None:
    results = qa.ask_many(str(TABLE), ["how many singles?", "which album was last?", QUESTION])
    assert [r.question for r in results] == ["how many singles?", "which album was last?", QUESTION]


def test_ask_steps_rows_are_table_rows(qa: TableQA) -> None:
    result = qa.ask(str(TABLE), QUESTION)
    n_rows = load_table(TABLE).n_rows
    assert all(0 <= r < n_rows for step in result.steps for r in step.rows)
    assert len(result.column_probs) == len(result.steps) == len(result.all_op_probs)


def test_ask_sql_runs_on_the_written_database(qa: TableQA, tmp_path: Path) -> None:
    table = load_table(TABLE)
    db = tmp_path / "t.sqlite"
    write_table_db(table, db)
    for question in ("how many singles?", "which single came first?", QUESTION):
        result = qa.ask(table, question)
        conn = sqlite3.connect(db)
        got = [str(v) for row in conn.execute(result.sql).fetchall() for v in row if v is not None]
        conn.close()
        assert check(result.answer, got) if result.answer else got == [], (result.program, got)


def test_ask_rejects_an_empty_question(qa: TableQA) -> None:
    with pytest.raises(QuestionError):
        qa.ask(str(TABLE), "  ")


def test_ask_rejects_an_unknown_dialect(qa: TableQA) -> None:
    with pytest.raises(ProgramError):
        qa.ask(str(TABLE), QUESTION, dialect="nosuchsql")


def test_load_rejects_a_directory_that_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        TableQA.load(tmp_path)


def test_load_without_a_shipped_model_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("npqa.api.default_model_dir", lambda: tmp_path)
    with pytest.raises(ModelError, match="--model"):
        TableQA.load()


def test_looks_like_question() -> None:
    assert looks_like_question("how many rows?")
    assert looks_like_question("first album released")
    assert not looks_like_question('count(greater(reset, "Year", 2009)')


def test_sql_of_a_program_needs_no_model(tmp_path: Path) -> None:
    result = sql_of(str(TABLE), 'count(greater(reset, "Year", 2009))', model_dir=tmp_path)  # tmp_path is no model
    assert not result.question and result.answer == ["4"]


def test_sql_of_a_question_asks_the_model(tmp_path_factory: pytest.TempPathFactory) -> None:
    result = sql_of(str(TABLE), "how many singles?", model_dir=tiny_model_dir(tmp_path_factory))
    assert result.question and result.sql.startswith(("SELECT", "WITH"))


def test_sql_of_a_broken_program_stays_a_program_error(tmp_path: Path) -> None:
    with pytest.raises(ProgramError, match="syntax error"):
        sql_of(str(TABLE), "count(reset", model_dir=tmp_path)


def test_write_table_db_into_a_missing_folder_is_a_named_error(tmp_path: Path) -> None:
    from npqa.errors import TableError

    with pytest.raises(TableError):
        write_table_db(load_table(TABLE), tmp_path / "missing" / "t.sqlite")


# ---------------------------------------------------------------------------- explain


def test_render_steps_shows_markup_cells_literally(qa: TableQA, hostile: pd.DataFrame) -> None:
    table = load_table(hostile)
    console = Console(record=True, width=100)
    render_steps(console, qa.ask(table, "which name has the highest score?"), table)
    text = console.export_text()
    assert "[bold]x[/bold]" in text
    assert "rows selected:" in text or "rows unchanged" in text  # each step says what it did to the rows


def test_render_steps_says_how_many_rows_are_hidden(qa: TableQA) -> None:
    frame = pd.DataFrame({"Name": [f"n{i}" for i in range(100)], "Score": list(range(100))})
    table = load_table(frame)
    console = Console(record=True, width=100)
    render_steps(console, qa.ask(table, "how many names?"), table)
    assert "rows hidden" in console.export_text()


def test_shown_rows_prefers_selected_rows_and_is_bounded() -> None:
    assert shown_rows(1000, [500, 999], 5) == [0, 1, 2, 500, 999]
    assert len(shown_rows(1000, list(range(1000)), 15)) == 15


def test_html_escapes_hostile_cells(qa: TableQA, hostile: pd.DataFrame) -> None:
    table = load_table(hostile)
    page = html_page([qa.ask(table, "which name has the highest score?")], table)
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_html_is_self_contained(qa: TableQA, tmp_path: Path) -> None:
    table = load_table(TABLE)
    path = tmp_path / "e.html"
    write_html(path, [qa.ask(table, QUESTION)], table)
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<link" not in page and "src=" not in page and "@import" not in page
    assert "op probabilities" in page and "column attention" in page and "rows selected" in page


def test_write_html_to_a_missing_folder_is_a_named_error(qa: TableQA, tmp_path: Path) -> None:
    from npqa.errors import NpqaError

    table = load_table(TABLE)
    with pytest.raises(NpqaError):
        write_html(tmp_path / "no" / "e.html", [qa.ask(table, QUESTION)], table)


def test_to_dict_holds_every_public_field_of_the_result(qa: TableQA) -> None:
    """to_dict is built by hand (no deep copy); it must still be asdict minus the hidden fields."""
    from dataclasses import asdict

    from npqa.api import HIDDEN

    result = qa.ask(str(TABLE), QUESTION, top=2)
    expected = {k: v for k, v in asdict(result).items() if k not in HIDDEN}
    assert result.to_dict() == expected


def test_numpy_and_torch_engines_choose_the_same_programs(tmp_path_factory: pytest.TempPathFactory) -> None:
    model = tiny_model_dir(tmp_path_factory)
    a, b = TableQA.load(model), TableQA.load(model, engine="torch")
    for question in (QUESTION, "which single came first?", "how many singles are there?"):
        x, y = a.ask(str(TABLE), question, top=3), b.ask(str(TABLE), question, top=3)
        assert (x.answer, x.program, x.sql) == (y.answer, y.program, y.sql)
        assert [s.rows for s in x.steps] == [s.rows for s in y.steps]
        assert x.confidence == pytest.approx(y.confidence, rel=1e-4)
        assert [alt.program for alt in x.alternatives] == [alt.program for alt in y.alternatives]


def test_ask_on_the_command_line_never_imports_torch(tmp_path_factory: pytest.TempPathFactory) -> None:
    import subprocess
    import sys

    model = tiny_model_dir(tmp_path_factory)
    code = (
        "import sys\nfrom npqa.cli import main\nsys.argv = ['npqa', 'ask', sys.argv[1], sys.argv[2], '--json', '--model', sys.argv[3]]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(TABLE), QUESTION, str(model)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert set(json.loads(done.stdout)) >= ASK_FIELDS


def test_a_wide_signal_decode_keeps_the_first_program_and_its_runner_up() -> None:
    """The answer-mass signal decodes 8 programs at a top-1 width: the first program,
    its probability and its runner-up are the top-1 decode's."""
    from npqa.model.decode import decode_outputs
    from npqa.model.inputs import prepare_item
    from npqa.table.read import load_table

    qa = TableQA.load()
    table = load_table(str(TABLE))
    questions = ["how many singles were released in 2010?", "which single came first?", "how many singles charted in poland?",
                 "which year had the most singles?", "what album is wiosna from?"]  # fmt: skip
    items = [prepare_item(table, q, qa.vocab, qa.model.language, rows=False) for q in questions]
    out = qa._forward(items)
    one = decode_outputs(qa.model, out, items, top_k=1)
    wide = decode_outputs(qa.model, out, items, top_k=8, width=3)
    for a, b in zip(one, wide):
        assert (a[0].text, a[0].confidence, a[0].runner_up) == (b[0].text, b[0].confidence, b[0].runner_up)
        assert len(b) >= len(a) and len({d.text for d in b}) == len(b)
