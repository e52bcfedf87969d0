"""The command line, end to end through ``typer.testing.CliRunner``.

Commands that need a model use a tiny one trained once per session on
``data/tiny`` (a few seconds); the answers are poor, but every contract
(fields, exit codes, SQL agreement, escaping) holds for any model.
"""
from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from npqa.cli import app
from npqa.train.metric import check

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "data" / "tiny"
TINY_TSV = TINY / "data" / "tiny.tsv"
TABLE = TINY / "csv" / "204-csv" / "365.csv"  # Natalia Lesz singles: Year, Single, chart positions, Album
ASK_FIELDS = {"answer", "sql", "program", "confidence", "steps", "alternatives", "sql_helpers"}
STEP_FIELDS = {"op", "op_probs", "column", "column_prob", "constant", "rows"}

runner = CliRunner()


def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Train the tiny model once per session (shared by test_cli and test_api)."""
    out = tmp_path_factory.getbasetemp() / "npqa_tiny_model"
    if not (out / "config.json").is_file():
        from npqa.train.loop import TrainConfig, train

        train(TrainConfig(train=str(TINY_TSV), tables_root=str(TINY), out=str(out), epochs=2, hidden=32, embed_dim=16, threads=1))
    return out


@pytest.fixture(scope="session")
def model(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tiny_model_dir(tmp_path_factory))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def sqlite_items(db: Path, query: str) -> list[str]:
    """What SQLite returns for ``query``, as answer items (NULLs dropped)."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(query).fetchall()
    finally:
        conn.close()
    return [str(v) for row in rows for v in row if v is not None]


def ask(model: str, *args: str, stdin: str | None = None):  # noqa: ANN201 - click's Result
    return runner.invoke(app, ["ask", *args, "--model", model], input=stdin)


# ---------------------------------------------------------------------------- global


def test_version_prints_package_version_and_model_id() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("npqa 0.1.0 (default model: ")


def test_every_command_and_option_has_help_text() -> None:
    group = get_command(app)
    expected = {"ask", "sql", "run", "score", "predict", "eval", "train", "oracle", "data-stats", "model-info"}
    assert expected <= set(group.commands)
    for name, cmd in group.commands.items():
        assert cmd.help, name
        for param in cmd.params:
            assert getattr(param, "help", None), f"{name} {param.name}"


def test_every_command_prints_help() -> None:
    for name in ("ask", "sql", "run", "score", "predict", "eval", "train", "oracle", "data-stats", "model-info"):
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage" in result.stdout


# ---------------------------------------------------------------------------- ask


def test_ask_prints_answer_program_sql_and_confidence(model: str) -> None:
    result = ask(model, str(TABLE), "how many singles were released in 2010?")
    assert result.exit_code == 0, result.stderr
    for label in ("answer", "program:", "sql:", "confidence:", "SELECT"):
        assert label in result.stdout


def test_ask_warns_when_confidence_is_low(model: str) -> None:
    data = json.loads(ask(model, str(TABLE), "how many singles?", "--json").stdout)
    text = ask(model, str(TABLE), "how many singles?").stdout
    assert data["confidence"] < 0.2  # the tiny model is never sure
    assert "warning: low confidence" in text


def test_ask_json_has_the_interface_fields(model: str) -> None:
    result = ask(model, str(TABLE), "which album was released last?", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)  # one object and nothing else
    assert set(data) >= ASK_FIELDS  # fields may be added, never removed
    assert all(isinstance(a, str) for a in data["answer"])
    assert 0.0 <= data["confidence"] <= 1.0
    assert data["steps"] and all(set(s) >= STEP_FIELDS for s in data["steps"])
    assert all(len(s["op_probs"]) <= 3 for s in data["steps"])


def test_ask_json_program_runs_to_the_same_answer(model: str) -> None:
    data = json.loads(ask(model, str(TABLE), "what year was the first single?", "--json").stdout)
    run = json.loads(runner.invoke(app, ["run", str(TABLE), data["program"], "--json"]).stdout)
    assert run["program"] == data["program"]
    assert run["answer"] == data["answer"]
    assert run["sql"] == data["sql"]


def test_ask_top_k_lists_alternatives(model: str) -> None:
    data = json.loads(ask(model, str(TABLE), "how many singles?", "--json", "--top", "3").stdout)
    assert len(data["alternatives"]) == 2
    programs = [data["program"]] + [a["program"] for a in data["alternatives"]]
    assert len(set(programs)) == 3
    assert all(set(a) >= {"program", "confidence", "answer"} for a in data["alternatives"])


def test_ask_top_k_text_shows_a_ranked_table(model: str) -> None:
    result = ask(model, str(TABLE), "how many singles?", "--top", "3")
    assert "top 3 programs" in result.stdout


@pytest.mark.parametrize(
    "question",
    ["how many singles were released in 2010?", "which single was first?", "what is the total of polish charts?"],
)
def test_ask_db_sql_runs_in_sqlite_to_the_answer(model: str, tmp_path: Path, question: str) -> None:
    db = tmp_path / "t.sqlite"
    result = ask(model, str(TABLE), question, "--json", "--db", str(db))
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    got = sqlite_items(db, data["sql"])
    if data["answer"]:
        assert check(data["answer"], got), (data["program"], got)
    else:
        assert got == []


def test_ask_reads_questions_from_stdin_as_json_lines(model: str) -> None:
    result = ask(model, str(TABLE), "--json", stdin="how many singles?\n\nwhich album was last?\n")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all(set(json.loads(line)) >= ASK_FIELDS for line in lines)


def test_ask_stdin_bad_line_is_reported_and_others_answered(model: str) -> None:
    result = ask(model, str(TABLE), "--json", stdin="how many singles?\n???\nwhich album was last?\n")
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 2
    assert "error: question (stdin line 2): empty question" in result.stderr


def test_ask_explain_shows_steps_ops_and_rows(model: str) -> None:
    result = ask(model, str(TABLE), "how many singles were released in 2010?", "--explain")
    assert result.exit_code == 0
    assert "step 1:" in result.stdout and "ops:" in result.stdout
    assert "rows selected:" in result.stdout or "rows unchanged" in result.stdout


def test_ask_explain_shows_markup_in_cells_literally(model: str, tmp_path: Path) -> None:
    table = write_csv(tmp_path / "m.csv", [["Name", "Score"], ["[bold]x[/bold]", "1"], ["[red]y", "2"]])
    result = ask(model, str(table), "which name has the highest score?", "--explain")
    assert result.exit_code == 0, result.stderr
    assert "[bold]x[/bold]" in result.stdout
    assert "[red]y" in result.stdout


def test_ask_explain_bounds_large_tables(model: str, tmp_path: Path) -> None:
    rows = [["Name", "Score"]] + [[f"n{i}", str(i)] for i in range(60)]
    result = ask(model, str(write_csv(tmp_path / "big.csv", rows)), "how many names?", "--explain")
    assert result.exit_code == 0
    assert "rows hidden" in result.stdout
    assert "n59" not in result.stdout or "n0" not in result.stdout


def test_ask_explain_html_escapes_hostile_cells(model: str, tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script>'
    table = write_csv(tmp_path / "h.csv", [["Name", "<b>Score</b>"], [hostile, "1"], ["b", "2"]])
    page = tmp_path / "explain.html"
    result = ask(model, str(table), "which name has the highest score?", "--explain-html", str(page))
    assert result.exit_code == 0, result.stderr
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text
    assert "&lt;script&gt;" in text
    assert "<b>Score" not in text
    assert "http" not in text.split("<body>")[0]  # no external assets


def test_ask_rejects_an_empty_question(model: str) -> None:
    result = ask(model, str(TABLE), "   ")
    assert result.exit_code == 2
    assert result.stderr == "error: question: empty question\n"


def test_ask_rejects_a_question_without_words(model: str) -> None:
    result = ask(model, str(TABLE), "?!")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: question: ")


def test_ask_rejects_a_missing_table(model: str, tmp_path: Path) -> None:
    result = ask(model, str(tmp_path / "nope.csv"), "how many?")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_ask_rejects_a_table_without_rows(model: str, tmp_path: Path) -> None:
    result = ask(model, str(write_csv(tmp_path / "h.csv", [["a", "b"]])), "how many?")
    assert result.exit_code == 2
    assert result.stderr.endswith(": no rows\n")


def test_ask_rejects_an_empty_file(model: str, tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("", encoding="utf-8")
    result = ask(model, str(tmp_path / "e.csv"), "how many?")
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1


def test_ask_rejects_a_directory_that_is_not_a_model(tmp_path: Path) -> None:
    result = ask(str(tmp_path), str(TABLE), "how many singles?")
    assert result.exit_code == 2
    assert "not a model directory" in result.stderr


def test_ask_without_a_shipped_model_says_pass_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("npqa.api.default_model_dir", lambda: tmp_path)
    result = runner.invoke(app, ["ask", str(TABLE), "how many singles?"])
    assert result.exit_code == 2
    assert "--model" in result.stderr


def test_ask_db_in_a_missing_folder_is_an_input_error(model: str, tmp_path: Path) -> None:
    result = ask(model, str(TABLE), "how many singles?", "--db", str(tmp_path / "no" / "t.sqlite"))
    assert result.exit_code == 2
    assert "cannot write the database" in result.stderr


def test_unexpected_failure_exits_1_without_traceback(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("npqa.api.TableQA.ask", boom)
    result = ask(model, str(TABLE), "how many singles?")
    assert result.exit_code == 1
    assert "unexpected RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------- sql / run

PROGRAM = 'count(greater(reset, "Year", 2009))'


def test_sql_of_a_program_prints_only_the_sql() -> None:
    result = runner.invoke(app, ["sql", str(TABLE), PROGRAM])
    assert result.exit_code == 0
    assert result.stdout.startswith("SELECT ") and len(result.stdout.splitlines()) == 1


def test_sql_db_runs_as_printed(tmp_path: Path) -> None:
    db = tmp_path / "t.sqlite"
    result = runner.invoke(app, ["sql", str(TABLE), PROGRAM, "--db", str(db)])
    assert sqlite_items(db, result.stdout) == ["4"]  # 2010 ×3 and 2012


def test_sql_of_a_question_uses_the_model(model: str, tmp_path: Path) -> None:
    db = tmp_path / "t.sqlite"
    result = runner.invoke(app, ["sql", str(TABLE), "how many singles?", "--model", model, "--db", str(db)])
    assert result.exit_code == 0, result.stderr
    program = result.stderr.splitlines()[0].removeprefix("program: ")  # then the note on helper columns
    expected = json.loads(runner.invoke(app, ["run", str(TABLE), program, "--json"]).stdout)
    assert check(expected["answer"], sqlite_items(db, result.stdout))


def test_sql_of_a_broken_program_is_a_syntax_error() -> None:
    result = runner.invoke(app, ["sql", str(TABLE), 'count(greater(reset, "Year", 2009)'])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: program: syntax error")


def test_sql_of_a_program_does_not_import_torch() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from npqa.cli import app; "
        f"r = CliRunner().invoke(app, ['sql', {str(TABLE)!r}, {PROGRAM!r}]); "
        "assert r.exit_code == 0, r.output; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sql_unknown_dialect_is_an_input_error() -> None:
    result = runner.invoke(app, ["sql", str(TABLE), PROGRAM, "--dialect", "nosuchsql"])
    assert result.exit_code == 2


def test_run_prints_answer_program_and_sql() -> None:
    result = runner.invoke(app, ["run", str(TABLE), PROGRAM])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "answer: 4"


def test_run_json_fields() -> None:
    data = json.loads(runner.invoke(app, ["run", str(TABLE), PROGRAM, "--json"]).stdout)
    helpers = {"Year.num": 'the number read from "Year"'}
    assert data == {"answer": ["4"], "program": PROGRAM, "sql": data["sql"], "sql_helpers": helpers, "sql_caveat": ""}


def test_run_unknown_column_is_a_type_error() -> None:
    result = runner.invoke(app, ["run", str(TABLE), 'count(greater(reset, "Nope", 2009))'])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")


def test_run_reads_the_table_from_stdin() -> None:
    result = runner.invoke(app, ["run", "-", "count(reset)"], input="a,b\n1,2\n3,4\n")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "answer: 2"


# ---------------------------------------------------------------------------- data set commands


def test_predict_then_score_round_trip(model: str, tmp_path: Path) -> None:
    preds = tmp_path / "p.tsv"
    result = runner.invoke(app, ["predict", str(TINY_TSV), "--tables-root", str(TINY), "--out", str(preds), "--model", model])
    assert result.exit_code == 0, result.stderr
    assert len(preds.read_text(encoding="utf-8").splitlines()) == 20
    scored = runner.invoke(app, ["score", str(TINY_TSV), str(preds)])
    assert scored.stdout.splitlines()[-1].startswith("accuracy=")
    assert "examples=20 answered=" in scored.stdout


def test_score_json_counts_gold_as_denominator(tmp_path: Path) -> None:
    preds = tmp_path / "p.tsv"
    preds.write_text("nt-375\tThat Girl\n", encoding="utf-8")
    data = json.loads(runner.invoke(app, ["score", str(TINY_TSV), str(preds), "--json"]).stdout)
    assert data == {"accuracy": 1 / 20, "correct": 1, "examples": 20, "answered": 1}


def test_score_rejects_a_tsv_with_wrong_columns(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tquestion\nx\ty\n", encoding="utf-8")
    result = runner.invoke(app, ["score", str(bad), str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {bad}: ")


def test_score_rejects_a_missing_prediction_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", str(TINY_TSV), str(tmp_path / "none.tsv")])
    assert result.exit_code == 2


def test_eval_json_reports_accuracy_by_kind(model: str) -> None:
    result = runner.invoke(app, ["eval", str(TINY_TSV), "--tables-root", str(TINY), "--model", model, "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["examples"] == 20
    assert sum(v["examples"] for k, v in data["by_kind"].items() if k != "list") == 20


def test_eval_rejects_a_model_that_is_not_a_model(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(TINY_TSV), "--tables-root", str(TINY), "--model", str(tmp_path)])
    assert result.exit_code == 2


def test_eval_rejects_a_missing_tables_root(model: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(TINY_TSV), "--tables-root", str(tmp_path), "--model", model])
    assert result.exit_code == 2
    assert "table file not found" in result.stderr


def test_train_writes_a_loadable_model(tmp_path: Path) -> None:
    out = tmp_path / "m"
    result = runner.invoke(
        app,
        ["train", "--train", str(TINY_TSV), "--tables-root", str(TINY), "--out", str(out),
         "--epochs", "1", "--hidden", "16", "--embed-dim", "8"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"model={out} epochs=1"
    info = json.loads(runner.invoke(app, ["model-info", "--model", str(out), "--json"]).stdout)
    assert info["model"]["hidden"] == 16


def test_train_rejects_a_tsv_with_wrong_columns(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\n1\t2\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "--train", str(bad), "--tables-root", str(TINY), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2


def test_oracle_json_covers_the_tiny_set() -> None:
    result = runner.invoke(app, ["oracle", str(TINY_TSV), "--tables-root", str(TINY), "--steps", "3", "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["questions"] == 20 and 0 < data["coverage"] <= 1


def test_oracle_last_line_format() -> None:
    result = runner.invoke(app, ["oracle", str(TINY_TSV), "--tables-root", str(TINY), "--steps", "2"])
    assert result.stdout.splitlines()[-1].startswith("coverage=")


def test_data_stats_json_shares_sum_to_one() -> None:
    result = runner.invoke(app, ["data-stats", str(TINY_TSV), "--tables-root", str(TINY), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["examples"] == 20
    assert abs(data["lookup"] + data["scalar"] + data["other"] - 1) < 1e-9


def test_data_stats_rejects_a_missing_tsv(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data-stats", str(tmp_path / "x.tsv"), "--tables-root", str(TINY)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'x.tsv'}: no such file\n"


def test_model_info_json_counts_parameters(model: str) -> None:
    data = json.loads(runner.invoke(app, ["model-info", "--model", model, "--json"]).stdout)
    assert data["parameters"] > 0 and data["size_bytes"] > 0
    assert data["model"]["hidden"] == 32


def test_model_info_rejects_a_broken_config(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["model-info", "--model", str(tmp_path)])
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr


@pytest.mark.parametrize("command", ["oracle", "data-stats"])
def test_missing_tables_root_is_one_clean_error_line(command: str, tmp_path: Path) -> None:
    result = runner.invoke(app, [command, str(TINY_TSV), "--tables-root", str(tmp_path)])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")
