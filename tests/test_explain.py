"""The explanations: ``--explain`` in the terminal, ``--explain-html``, and the attention behind them.

The terminal and HTML views are tested on results written by hand (no model), so
each test knows exactly which steps change the rows; the attention itself comes
from the tiny model of ``test_cli``.
"""
from __future__ import annotations

import json
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from npqa.api import AskResult, StepInfo, TableQA
from npqa.cli.explain import changing_steps, html_page, render_steps
from npqa.question.parse import parse_question
from npqa.table.read import load_table

from test_cli import TABLE, ask, model, tiny_model_dir, write_csv  # noqa: F401 - model is a fixture

QUESTION = "how many singles were released in 2010?"
WORDS = ["how", "many", "cities", "are", "in", "France", "?"]


def _strip(*weights: float) -> list[list]:
    return [[w, p] for w, p in zip(WORDS, weights)]


@pytest.fixture
def cities(tmp_path: Path):
    """| City      | Country | Population |
    |-----------|---------|------------|
    | Paris     | France  | 2100000    |
    | Berlin    | Germany | 3600000    |
    | Lyon      | France  | 510000     |
    | Marseille | France  | 870000     |
    """
    rows = [["City", "Country", "Population"], ["Paris", "France", "2100000"], ["Berlin", "Germany", "3600000"],
            ["Lyon", "France", "510000"], ["Marseille", "France", "870000"]]  # fmt: skip
    return load_table(str(write_csv(tmp_path / "cities.csv", rows)))


def _result(*steps: tuple[str, list[int]]) -> AskResult:
    """A result whose steps are ``(op, rows after the step)``; a filter reads Country = France."""
    infos = []
    for op, rows in steps:
        filt = op == "equal"
        attention = _strip(0.0, 0.0, 0.0, 0.0, 0.1, 0.9, 0.0) if filt else _strip(0.4, 0.5, 0.1, 0.0, 0.0, 0.0, 0.0)
        infos.append(StepInfo(op, {op: 0.9}, "Country" if filt else None, 1.0 if filt else None,
                              "France" if filt else None, rows, attention))  # fmt: skip
    return AskResult(["3"], "SELECT 1", "count(...)", 0.9, infos, question="how many cities are in France?")


def _render(result: AskResult, table) -> str:
    console = Console(record=True, width=100)
    render_steps(console, result, table)
    return console.export_text()


FRANCE = [0, 2, 3]


def test_the_table_is_printed_once(cities) -> None:
    text = _render(_result(("equal", FRANCE), ("keep", FRANCE), ("keep", FRANCE), ("count", FRANCE)), cities)
    assert text.count("Marseille") == 1
    assert text.count("Population") == 1  # one header row


def test_keep_steps_say_rows_unchanged_instead_of_a_table(cities) -> None:
    text = _render(_result(("equal", FRANCE), ("keep", FRANCE), ("keep", FRANCE), ("count", FRANCE)), cities)
    after_table = text[text.index("step 1: equal"):]
    assert "┃" not in after_table and "│" not in after_table  # no table drawn after the steps begin
    assert after_table.count("rows unchanged") == 3  # two keeps and the terminal step
    assert "rows selected: 3 of 4: 0, 2, 3" in after_table  # the one step that changes them


def test_only_steps_that_change_the_rows_get_a_marker_column(cities) -> None:
    text = _render(_result(("equal", FRANCE), ("keep", FRANCE), ("first", [0]), ("print", [0])), cities)
    header = next(line for line in text.splitlines() if "City" in line)
    assert "s1" in header and "s3" in header
    assert "s2" not in header and "s4" not in header


def test_a_filter_that_keeps_every_row_changes_nothing(cities) -> None:
    everything = [0, 1, 2, 3]
    assert changing_steps(_result(("greater", everything), ("first", [0]), ("count", [0])), cities) == [False, True, False]


def test_the_terminal_shows_the_words_each_step_reads(cities) -> None:
    text = _render(_result(("equal", FRANCE), ("count", FRANCE)), cities)
    assert "words read: France 90.0%, in 10.0%" in text
    assert "words read: many 50.0%, how 40.0%" in text


class _Strips(HTMLParser):
    """The heat strips of an explain page: per step, the (word, data-weight) cells."""

    def __init__(self) -> None:
        super().__init__()
        self.strips: list[list[list]] = []
        self._cell: list | None = None
        self._in_small = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "tr" and a.get("class") == "strip":
            self.strips.append([])
        elif tag == "td" and a.get("class") == "word":
            self._cell = ["", float(a["data-weight"])]
        elif tag == "small":
            self._in_small = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.strips[-1].append([self._cell[0], self._cell[1]])
            self._cell = None
        elif tag == "small":
            self._in_small = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._in_small:
            self._cell[0] += data


def test_the_html_has_one_attention_strip_per_step_over_the_question_words(cities) -> None:
    result = _result(("equal", FRANCE), ("keep", FRANCE), ("count", FRANCE))
    parser = _Strips()
    parser.feed(html_page([result], cities))
    assert len(parser.strips) == 3
    assert all([w for w, _ in strip] == WORDS for strip in parser.strips)
    assert parser.strips[0] == result.steps[0].question_attention


# ------------------------------------------------------------------- the attention itself


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> TableQA:
    return TableQA.load(tiny_model_dir(tmp_path_factory))


def test_each_step_carries_a_distribution_over_the_question_words(qa: TableQA) -> None:
    result = qa.ask(str(TABLE), QUESTION)
    words = parse_question(QUESTION).raw_tokens
    assert result.steps
    for step in result.steps:
        assert [w for w, _ in step.question_attention] == words  # (Q,) one weight per word
        weights = [p for _, p in step.question_attention]
        assert all(p >= 0 for p in weights)
        assert sum(weights) == pytest.approx(1.0, abs=len(words) * 5e-5 + 1e-6)  # rounded to 4 places


def test_numpy_and_torch_engines_give_the_same_attention(tmp_path_factory: pytest.TempPathFactory) -> None:
    model = tiny_model_dir(tmp_path_factory)
    x = TableQA.load(model).ask(str(TABLE), QUESTION)
    y = TableQA.load(model, engine="torch").ask(str(TABLE), QUESTION)
    for a, b in zip(x.steps, y.steps):
        assert [w for w, _ in a.question_attention] == [w for w, _ in b.question_attention]
        assert [p for _, p in a.question_attention] == pytest.approx([p for _, p in b.question_attention], abs=2e-4)


def test_json_steps_hold_word_weight_pairs(tmp_path_factory: pytest.TempPathFactory) -> None:
    result = ask(str(tiny_model_dir(tmp_path_factory)), str(TABLE), QUESTION, "--json")
    steps = json.loads(result.stdout)["steps"]
    assert all(isinstance(s["question_attention"], list) for s in steps)
    assert all(len(pair) == 2 and isinstance(pair[0], str) and isinstance(pair[1], float)
               for s in steps for pair in s["question_attention"])  # fmt: skip


# ------------------------------------------------------------------- where the HTML went


def test_explain_html_says_where_the_page_was_written(model: str, tmp_path: Path) -> None:
    page = tmp_path / "steps.html"
    result = ask(model, str(TABLE), QUESTION, "--explain-html", str(page))
    assert result.exit_code == 0, result.stderr
    assert f"explain: HTML page written to {page.resolve()}" in result.stderr.splitlines()
    assert page.is_file()


def test_explain_html_with_json_keeps_stdout_one_json_object(model: str, tmp_path: Path) -> None:
    page = tmp_path / "steps.html"
    result = ask(model, str(TABLE), QUESTION, "--explain-html", str(page), "--json")
    assert json.loads(result.stdout)["steps"]
    assert "written to" in result.stderr and "written to" not in result.stdout


def test_explain_alone_writes_the_page_to_the_temporary_folder_and_says_where(
    model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = ask(model, str(TABLE), QUESTION, "--explain")
    assert result.exit_code == 0, result.stderr
    page = tmp_path / "npqa-explain.html"
    assert f"explain: HTML page written to {page.resolve()}" in result.stderr.splitlines()
    assert "attention over the question" in page.read_text(encoding="utf-8")


def test_the_explain_doctests_hold() -> None:
    import doctest

    import npqa.cli.explain

    assert doctest.testmod(npqa.cli.explain).failed == 0
