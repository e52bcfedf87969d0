"""Test-suite accuracy (``npqa.suite``): table variants, the scorer, the dev command."""
from __future__ import annotations

import doctest
import importlib.util
from pathlib import Path
from typing import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import npqa.suite
from npqa.api import TableQA
from npqa.errors import DataError
from npqa.grammars.ops import LANGUAGE
from npqa.suite import (
    Case,
    HandProgram,
    QuestionScore,
    draw_variants,
    model_asker,
    program_answer,
    read_programs,
    score_cases,
    subset_rows,
    summarise,
)
from npqa.table.column import Table
from npqa.table.read import table_from_grid
from npqa.lang.textform import parse

ROOT = Path(__file__).resolve().parents[1]
LARGER = 'print(argmax(also_match(word_match(reset, "Name", "alpha"), "Name", "beta"), "Size"), "Name")'


def grid_table(rows: list[list[str]], header: Sequence[str] = ("Name", "Size")) -> Table:
    return table_from_grid(np.array([list(header), *rows], dtype=object), "test.csv")


def ships() -> Table:
    """| Name    | Size |
    |---------|------|
    | Alpha   | 10   |
    | Beta    | 5    |
    | Gamma   | 7    |
    | Delta   | 3    |
    | Epsilon | 8    |
    | Zeta    | 1    |
    """
    return grid_table([["Alpha", "10"], ["Beta", "5"], ["Gamma", "7"], ["Delta", "3"], ["Epsilon", "8"], ["Zeta", "1"]])


def test_the_doctests_hold() -> None:
    assert doctest.testmod(npqa.suite).failed == 0


# ----------------------------------------------------------------------------- variants


def test_subset_rows_keeps_the_rows_in_order_with_the_same_names() -> None:
    table = ships()
    small = subset_rows(table, [False, True, True, False, True, False])
    assert small.names == table.names
    assert small.column("Name").texts == ["Beta", "Gamma", "Epsilon"]
    assert small.column("Size").numbers.tolist() == [5.0, 7.0, 8.0]


def test_subset_rows_rejects_a_mask_of_the_wrong_length() -> None:
    with pytest.raises(ValueError):
        subset_rows(ships(), [True, False])


def test_variants_are_the_same_for_the_same_seed() -> None:
    first = draw_variants(ships(), LARGER, "nt-1", k=5, seed=3)
    again = draw_variants(ships(), LARGER, "nt-1", k=5, seed=3)
    assert [v.kept for v in first.variants] == [v.kept for v in again.variants]
    assert first.draws == again.draws


def test_variants_differ_with_the_seed_or_the_question() -> None:
    base = [v.kept for v in draw_variants(ships(), LARGER, "nt-1", k=5, seed=0).variants]
    assert base != [v.kept for v in draw_variants(ships(), LARGER, "nt-1", k=5, seed=1).variants]
    assert base != [v.kept for v in draw_variants(ships(), LARGER, "nt-2", k=5, seed=0).variants]


@st.composite
def tables_and_constants(draw: st.DrawFn) -> tuple[Table, str]:
    n = draw(st.integers(3, 12))
    sizes = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n))
    names = [f"ship {i}" for i in range(n)]
    target = draw(st.integers(0, n - 1))
    return grid_table([[name, str(size)] for name, size in zip(names, sizes)]), str(target)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(tables_and_constants(), st.integers(0, 2**16), st.sampled_from(["argmax", "match"]))
def test_variants_obey_their_laws(table_const: tuple[Table, str], seed: int, kind: str) -> None:
    table, target = table_const
    program = {
        "argmax": 'print(argmax(reset, "Size"), "Name")',
        "match": f'print(word_match(reset, "Name", "{target}"), "Size")',
    }[kind]
    drawn = draw_variants(table, program, "q", k=3, seed=seed)
    assert len(drawn.variants) == 3  # a row is kept with probability 0.7: 200 draws are plenty
    for v in drawn.variants:
        assert list(v.kept) == sorted(set(v.kept))  # order kept
        assert 2 <= len(v.kept) < table.n_rows  # at least 2 kept, at least one dropped
        assert v.table.column("Name").texts == [table.column("Name").texts[r] for r in v.kept]
        assert v.answer and v.answer == program_answer(v.table, parse(program, LANGUAGE))


def test_a_variant_without_an_answer_is_redrawn() -> None:
    table = ships()
    drawn = draw_variants(table, 'print(word_match(reset, "Name", "gamma"), "Size")', "q", k=20, seed=0)
    assert len(drawn.variants) == 20
    assert all(2 in v.kept for v in drawn.variants)  # only Gamma answers
    assert drawn.draws > 20  # about 30% of the masks drop Gamma


def test_a_variant_where_the_program_no_longer_type_checks_is_redrawn() -> None:
    # Size is a number column (3 of 4 cells parse); dropping a number makes it text
    table = grid_table([["a", "1"], ["b", "2"], ["c", "3"], ["d", "n/a"]])
    assert table.column("Size").kind == "number"
    drawn = draw_variants(table, 'count(greater(reset, "Size", 0))', "q", k=5, seed=0)
    assert len(drawn.variants) == 5
    assert all(v.table.column("Size").kind == "number" for v in drawn.variants)
    assert all(3 not in v.kept for v in drawn.variants)


def test_a_table_too_small_for_variants_gives_none_after_max_draws() -> None:
    drawn = draw_variants(grid_table([["a", "1"], ["b", "2"]]), "count(reset)", "q", k=3, max_draws=50)
    assert drawn.variants == () and drawn.draws == 50


# ----------------------------------------------------------------------------- scoring


def hand(qid: str, program: str | None = LARGER, status: str = "ok", shapes: tuple[str, ...] = ("x_or_y",)
         ) -> HandProgram:
    return HandProgram(qid, status, program, shapes, "negation: x" if program is None else "")


def names_alpha(table: Table, questions: Sequence[str]) -> list[list[str]]:
    """A spurious model: "which is larger, alpha or beta?" answered by naming alpha."""
    return [["Alpha"] for _ in questions]


def runs_the_hand_program(table: Table, questions: Sequence[str]) -> list[list[str]]:
    """A faithful model: the argmax of the two named ships, on whatever table it is shown."""
    return [list(program_answer(table, parse(LARGER, LANGUAGE))) for _ in questions]


def test_a_spurious_answer_passes_the_table_and_fails_a_variant() -> None:
    case = Case(hand("nt-1"), "which is larger, alpha or beta?", ("Alpha",), ships())
    drawn = draw_variants(case.table, LARGER, "nt-1", k=10, seed=0)
    assert any(v.answer == ("Beta",) for v in drawn.variants)  # some variant drops Alpha
    (score,) = score_cases([case], names_alpha, k=10, seed=0)
    assert score.right_on_table and score.variants == 10
    assert score.variants_right == sum(v.answer == ("Alpha",) for v in drawn.variants) < 10
    assert not score.faithful


def test_a_faithful_answer_passes_every_variant() -> None:
    case = Case(hand("nt-1"), "which is larger, alpha or beta?", ("Alpha",), ships())
    (score,) = score_cases([case], runs_the_hand_program, k=10, seed=0)
    assert score.right_on_table and score.variants_right == score.variants == 10 and score.faithful


def test_questions_on_one_table_are_asked_together_then_each_variant_afresh() -> None:
    table = ships()
    calls: list[tuple[int, int]] = []

    def asker(t: Table, questions: Sequence[str]) -> list[list[str]]:
        calls.append((t.n_rows, len(questions)))
        return [["Alpha"] for _ in questions]

    cases = [
        Case(hand("nt-1"), "which is larger, alpha or beta?", ("Alpha",), table),
        Case(hand("nt-2", None, "not_expressible", ()), "which is not alpha?", ("Beta",), table),
    ]
    scores = score_cases(cases, asker, k=3)
    assert calls[0] == (6, 2)  # the own table once, both questions
    assert len(calls) == 1 + 3 and all(n < 6 and q == 1 for n, q in calls[1:])
    assert [s.variants for s in scores] == [3, 0]


def score(qid: str, status: str, right: bool, variants_right: int, shapes: tuple[str, ...] = ()) -> QuestionScore:
    variants = 0 if status == "not_expressible" else 3
    tag = "negation" if status == "not_expressible" else None
    return QuestionScore(qid, status, shapes, tag, right, variants, variants_right, 3)


def test_summarise_counts_misses_and_spurious_answers() -> None:
    scores = [
        score("a", "ok", True, 3, ("count",)),  # faithful
        score("b", "ok", True, 2, ("count", "x_or_y")),  # spurious
        score("c", "ok", False, 3),  # wrong on the table
        score("d", "gold_questionable", True, 3),  # a miss in both suite figures
        score("e", "not_expressible", True, 0, ("count",)),  # a miss in both suite figures
    ]
    fig = summarise(scores, k=3, seed=7)
    assert (fig.accuracy, fig.suite_all, fig.suite_expressible) == (4 / 5, 1 / 5, 1 / 3)
    assert fig.spurious_share == 1 / 2 and fig.variants == 9
    assert fig.statuses == {"ok": 3, "gold_questionable": 1, "not_expressible": 1} and fig.tags == {"negation": 1}
    count = next(s for s in fig.shapes if s.shape == "count")
    assert (count.questions, count.ok, count.right, count.faithful) == (3, 2, 3, 1)
    assert fig.line() == (
        "accuracy=0.8000 suite_all=0.2000 suite_expressible=0.3333 spurious_share=0.5000 "
        "questions=5 expressible=3 variants=9 seed=7 k=3"
    )


def test_summarise_lists_questions_short_of_variants() -> None:
    fig = summarise([QuestionScore("a", "ok", (), None, True, 1, 1, 200)], k=3, seed=0)
    assert fig.short == [("a", 1)]


# ----------------------------------------------------------------------------- files and the model


def test_the_shipped_programs_file_reads() -> None:
    programs = read_programs(ROOT / "data" / "faithful" / "dev-programs.tsv")
    assert len(programs) == 300
    assert sum(p.status == "ok" for p in programs) == 196
    assert all((p.program is None) == (p.status == "not_expressible") for p in programs)


def test_a_programs_file_with_a_bad_status_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.tsv"
    path.write_text("id\tstatus\tprogram\tshape\tnote\nnt-1\tmaybe\t-\t-\t-\n", encoding="utf-8")
    with pytest.raises(DataError):
        read_programs(path)


def test_the_shipped_model_is_scored_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "csv").mkdir()
    rows = ["Alpha,10", "Beta,5", "Gamma,7", "Delta,3", "Epsilon,8", "Zeta,1"]
    (tmp_path / "csv" / "ships.csv").write_text("Name,Size\n" + "\n".join(rows) + "\n", encoding="utf-8")
    dev = tmp_path / "dev.tsv"
    dev.write_text(
        "id\tutterance\tcontext\ttargetValue\n"
        "nt-1\twhich is larger, alpha or beta?\tcsv/ships.csv\tAlpha\n"
        "nt-2\thow many ships have a size over 4?\tcsv/ships.csv\t4\n",
        encoding="utf-8",
    )
    programs = tmp_path / "programs.tsv"
    programs.write_text(
        "id\tstatus\tprogram\tshape\tnote\n"
        f"nt-1\tok\t{LARGER}\tx_or_y,superlative\t-\n"
        'nt-2\tok\tcount(greater(reset, "Size", 4))\tcount\t-\n',
        encoding="utf-8",
    )
    spec = importlib.util.spec_from_file_location("suite_dev", ROOT / "bench" / "suite_dev.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    argv = ["--programs", str(programs), "--dev", str(dev), "--tables-root", str(tmp_path), "--report"]
    assert script.main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("| shape |")
    assert out[-1].startswith("accuracy=") and out[-1].endswith("questions=2 expressible=2 variants=6 seed=0 k=3")
    # the same figures through the library, with the model asked directly
    from npqa.suite import load_cases

    scores = score_cases(load_cases(programs, dev, tmp_path), model_asker(TableQA.load()), k=3)
    assert [s.variants for s in scores] == [3, 3]
    assert summarise(scores, k=3, seed=0).line() == out[-1]
