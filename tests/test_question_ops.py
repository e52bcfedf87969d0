"""The ops added for what questions ask (issue 12, part C): negation, non-empty
cells, "the same X as Y", "more/less than Y", counting different values, and
yes/no answers; and the longest run of carried rows (streaks).
Each is run by the executor and by its SQL on a small table drawn here; the
property tests (test_sql_agreement, test_soft_executor) check them on random
tables too."""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npqa.errors import ModelError
from npqa.grammars.ops import LANGUAGE
from npqa.lang.executor import execute
from npqa.lang.oracle import consistent
from npqa.lang.sql import render, write_sqlite
from npqa.lang.textform import parse
from npqa.model.files import model_language
from npqa.table.column import Table
from npqa.table.read import make_column
from npqa.train.targets import gold
from npqa.train.triggers import triggered


def medals() -> Table:
    """
    | Nation      | Gold | Silver | Coach  |
    |-------------|------|--------|--------|
    | Norway      | 5    | 3      | Berg   |
    | North Korea | 2    | 3      |        |
    | Japan       | 2    | 1      | Sato   |
    | India       | 0    | 3      | Berg   |
    | Total       | 9    | 10     |        |
    """
    return Table(
        [
            make_column("Nation", ["Norway", "North Korea", "Japan", "India", "Total"]),
            make_column("Gold", ["5", "2", "2", "0", "9"]),
            make_column("Silver", ["3", "3", "1", "3", "10"]),
            make_column("Coach", ["Berg", "", "Sato", "Berg", ""]),
        ],
        "<test>",
    )


def answer(program: str, data: Table | None = None) -> tuple[str, ...]:
    """The executor's answer on ``data`` (default :func:`medals`), after checking
    that the SQL gives the same."""
    data = medals() if data is None else data
    prog = parse(program, LANGUAGE)
    got = execute(prog, data, LANGUAGE).items
    conn = sqlite3.connect(":memory:")
    schema = write_sqlite(data, conn)
    rows = conn.execute(render(prog, schema, LANGUAGE)).fetchall()
    from_sql = tuple(str(int(v)) if isinstance(v, (int, float)) and float(v).is_integer() else str(v) for (v,) in rows)
    assert from_sql == got, (program, from_sql, got)
    return got


def test_not_match_keeps_the_rows_that_do_not_name_the_constant() -> None:
    # "which nations other than india won no more than 2 gold?"
    assert answer('print(leq(not_match(reset, "Nation", "india"), "Gold", 2), "Nation")') == ("North Korea", "Japan")


def test_not_match_leaves_the_summary_row_out() -> None:
    assert answer('count(not_match(reset, "Nation", "norway"))') == ("3",)


def test_nonempty_keeps_rows_with_a_cell() -> None:
    # "how many nations have a coach listed?"
    assert answer('count(nonempty(reset, "Coach"))') == ("3",)


def test_same_as_gives_the_other_rows_sharing_the_named_rows_value() -> None:
    # "which nations won as many silver medals as north korea?"
    assert answer('print(same_as(word_match(reset, "Nation", "north korea"), "Silver"), "Nation")') == ("Norway", "India")


def test_same_as_reads_text_and_skips_empty_cells() -> None:
    # Japan's coach is Sato, whom nobody else has; North Korea's is empty
    assert answer('count(same_as(word_match(reset, "Nation", "japan"), "Coach"))') == ("0",)
    assert answer('count(same_as(word_match(reset, "Nation", "korea"), "Coach"))') == ("0",)


def test_more_than_compares_every_row_with_the_named_rows_value() -> None:
    # "how many nations won more gold than north korea?" (the Total row is not a nation)
    assert answer('count(more_than(word_match(reset, "Nation", "north korea"), "Gold"))') == ("1",)


def test_less_than_is_below_every_carried_row() -> None:
    assert answer('print(less_than(also_match(word_match(reset, "Nation", "japan"), "Nation", "norway"), "Gold"), "Nation")') == ("India",)


def test_more_than_nothing_is_nothing() -> None:
    assert answer('count(more_than(word_match(reset, "Nation", "atlantis"), "Gold"))') == ("0",)


def test_count_distinct_counts_different_non_empty_cells() -> None:
    # "how many different coaches are there?"
    assert answer('count_distinct(reset, "Coach")') == ("2",)
    assert answer('count_distinct(reset, "Silver")') == ("2",)


def test_exists_says_yes_when_some_row_is_carried() -> None:
    # "did norway win more gold than japan?"
    assert answer('exists(word_match(more_than(word_match(reset, "Nation", "japan"), "Gold"), "Nation", "norway"))') == ("yes",)


def test_exists_says_no_when_no_row_is_carried() -> None:
    # "did india win any gold?"
    assert answer('exists(greater(word_match(reset, "Nation", "india"), "Gold", 0))') == ("no",)


def test_the_oracle_offers_exists_for_yes_and_no_but_never_on_the_start_rows() -> None:
    data = medals()
    constants = ["norway", "japan", "india", 0.0]
    for word in ("yes", "no"):
        found = consistent(data, constants, gold(["yes" if word == "yes" else "No"]), LANGUAGE, 3).programs
        assert found, word
        for program in found:
            assert execute(program, data, LANGUAGE).items == (word,)
            assert program.terminal.op == "exists"
            assert program.row_steps, program  # exists(reset) says yes whatever was asked
    assert not any(p.steps[0].op == "reset" for p in found)


def test_exists_is_declared_but_not_learned_unless_asked_for() -> None:
    learned = list(LANGUAGE.for_training().ops)
    assert "exists" in LANGUAGE.ops and "exists" not in learned and "longest_run" not in learned
    with_exists = list(LANGUAGE.for_training(["exists"]).ops)
    assert sorted(with_exists) == sorted(learned + ["exists"])
    assert with_exists == [op for op in LANGUAGE.ops if op in with_exists]  # in the order the ops are declared
    with pytest.raises(KeyError, match="teleport"):
        LANGUAGE.for_training(["teleport"])


def test_an_unknown_op_to_learn_is_one_error_line() -> None:
    from typer.testing import CliRunner

    from npqa.cli import app

    result = CliRunner().invoke(app, ["oracle", "missing.tsv", "--tables-root", ".", "--with-op", "teleport"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("error: --with-op: unknown op 'teleport'")


def test_a_model_trained_before_the_new_ops_answers_without_them() -> None:
    names = [op.name for op in LANGUAGE]
    old = names[: names.index("not_match")]
    language = model_language(old, "<model>")
    assert "same_as" not in language.ops and list(language.ops) == old


def test_a_model_naming_an_unknown_op_is_refused() -> None:
    with pytest.raises(ModelError, match="teleport"):
        model_language(["count", "teleport"], "<model>")


@pytest.mark.parametrize(
    ("op", "question"),
    [
        ("not_match", "which nations other than india won gold?"),
        ("same_as", "which nations won the same number of silver as japan?"),
        ("more_than", "how many nations won more gold than japan?"),
        ("count_distinct", "how many different coaches are there?"),
        ("exists", "did india win any gold?"),
        ("longest_run", "how many consecutive wins did they have?"),
    ],
)
def test_each_new_op_has_trigger_words(op: str, question: str) -> None:
    assert triggered(op, question.rstrip("?").split())
    assert not triggered(op, "who is listed first".split()) or op == "nonempty"


def season() -> Table:
    """
    | Game | Result | Opponent |
    |------|--------|----------|
    | 1    | W      | Ajax     |
    | 2    | W      | Boca     |
    | 3    | L      | Celtic   |
    | 4    | W      | Ajax     |
    | 5    | W      | Boca     |
    | 6    | W      | Derby    |
    | 7    | L      | Ajax     |
    """
    return Table(
        [
            make_column("Game", [str(i) for i in range(1, 8)]),
            make_column("Result", ["W", "W", "L", "W", "W", "W", "L"]),
            make_column("Opponent", ["Ajax", "Boca", "Celtic", "Ajax", "Boca", "Derby", "Ajax"]),
        ],
        "<test>",
    )


def test_longest_run_is_the_longest_streak_of_carried_rows() -> None:
    # "what was the team's longest winning streak?" (five wins, at most three in a row)
    assert answer('longest_run(word_match(reset, "Result", "w"))', season()) == ("3",)


def test_longest_run_of_rows_apart_is_one() -> None:
    # "how many consecutive games against ajax?": games 1, 4 and 7
    assert answer('longest_run(word_match(reset, "Opponent", "ajax"))', season()) == ("1",)


def test_longest_run_of_no_rows_is_zero() -> None:
    assert answer('longest_run(word_match(reset, "Opponent", "everton"))', season()) == ("0",)


@given(st.lists(st.booleans(), max_size=12))
def test_longest_run_is_the_longest_block_of_trues(flags: list[bool]) -> None:
    rows = np.array(flags, dtype=bool)
    blocks = "".join("1" if f else "0" for f in flags).split("0")
    assert LANGUAGE["longest_run"].hard(rows, None) == max(map(len, blocks))
    assert LANGUAGE["longest_run"].hard(rows[None, :], None).shape == (1,)


def test_the_oracle_offers_longest_run_only_to_questions_that_trigger_it() -> None:
    data = season()

    def ops_found(question: str) -> set[str]:
        words = question.rstrip("?").split()
        language = LANGUAGE.for_training(["longest_run"]).cued(lambda op: triggered(op, words))
        return {p.terminal.op for p in consistent(data, ["w"], gold(["3"]), language, 2).programs}

    assert "longest_run" in ops_found("what was the longest winning streak?")
    assert "longest_run" in ops_found("how many games in a row did they win?")
    assert "longest_run" not in ops_found("how many games did they win?")


@pytest.mark.parametrize("name", ["span", "count_exceeds", "header_argmax"])
def test_an_op_no_model_can_learn_is_one_error_line(name: str) -> None:
    from typer.testing import CliRunner

    from npqa.cli import app

    result = CliRunner().invoke(app, ["oracle", "missing.tsv", "--tables-root", ".", "--with-op", name])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith(f"error: --with-op: '{name}' cannot be learned")
