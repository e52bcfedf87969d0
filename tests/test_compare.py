"""The "X or Y" rule: questions naming two things joined by "or" train on programs comparing them."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from npqa.grammars.ops import LANGUAGE
from npqa.lang.executor import execute
from npqa.lang.textform import to_text
from npqa.question.link import read_question
from npqa.table.column import Table
from npqa.table.read import table_from_grid
from npqa.train.compare import comparison_programs, or_pair
from npqa.train.targets import gold

LAKES = [["Lake Tuz", "1.5", "1500"], ["Lake Palas Tuzla", "3", "12"], ["Lake Van", "451", "3755"]]


def lakes(rows: list[list[str]] = LAKES) -> Table:
    return table_from_grid(np.array([["Name", "Depth", "Area"], *rows], dtype=object), "lakes.csv")


def pair_values(question: str, table: Table) -> tuple[str, str] | None:
    linked = read_question(question, table)
    pair = or_pair(linked)
    return None if pair is None else tuple(str(linked.constants[k].value) for k in pair)  # type: ignore[return-value]


def test_two_constants_around_or_are_a_pair() -> None:
    assert pair_values("which is deeper, lake tuz or lake palas tuzla?", lakes()) == ("lake tuz", "lake palas tuzla")


def test_a_comma_and_an_article_may_sit_between() -> None:
    assert pair_values("which is deeper, lake van, or the lake tuz?", lakes()) == ("lake van", "lake tuz")


def test_or_without_a_constant_on_each_side_is_no_pair() -> None:
    assert pair_values("is lake van deep or shallow?", lakes()) is None


def test_the_comparison_programs_compare_both_rows_and_give_the_gold_answer() -> None:
    table = lakes()
    linked = read_question("which is deeper, lake tuz or lake palas tuzla?", table)
    programs = comparison_programs(linked, table, LANGUAGE, gold(["Lake Palas Tuzla"]).matches)
    texts = [to_text(p, LANGUAGE) for p in programs]
    assert 'print(argmax(also_match(word_match(reset, "Name", "lake tuz"), "Name", "lake palas tuzla"), "Depth"), "Name")' in texts
    assert all(execute(p, table, LANGUAGE).items == ("Lake Palas Tuzla",) for p in programs)


def test_a_question_without_a_pair_gets_no_comparison_programs() -> None:
    table = lakes()
    linked = read_question("how deep is lake van?", table)
    assert comparison_programs(linked, table, LANGUAGE, gold(["451"]).matches) == []


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 999), min_size=3, max_size=3, unique=True), st.booleans())
def test_whichever_is_deeper_the_comparison_answers_it(depths: list[int], deeper: bool) -> None:
    """The kept programs depend on the table only through the gold answer: the
    deeper of the two named lakes, whatever the depths."""
    rows = [[name, str(d), "10"] for name, d in zip(["Lake Tuz", "Lake Palas Tuzla", "Lake Van"], depths)]
    table = lakes(rows)
    winner = rows[int(np.argmax(depths[:2]))][0] if deeper else rows[int(np.argmin(depths[:2]))][0]
    linked = read_question("which is deeper, lake tuz or lake palas tuzla?", table)
    programs = comparison_programs(linked, table, LANGUAGE, gold([winner]).matches)
    assert programs
    assert all(execute(p, table, LANGUAGE).items == (winner,) for p in programs)


def test_rank_compare_trains_an_or_question_on_its_comparison_programs() -> None:
    from npqa.model.features import Vocab
    from npqa.train.prepare import prepare
    from npqa.train.wtq import Example

    question = "which is deeper, lake tuz or lake palas tuzla?"
    example = Example("q", question, "lakes.csv", ["Lake Palas Tuzla"])
    vocab = Vocab.build([question], min_count=1)
    names = [op.name for op in LANGUAGE]

    def kept(rank: str) -> list[set[str]]:
        """The ops of each program kept for training."""
        (item,), _ = prepare([example], {"lakes.csv": lakes()}, vocab, LANGUAGE, 4, targets=True, rank=rank)
        return [{names[int(i)] for i in program[:, 0] if i >= 0} for program in item.enc.programs]

    assert kept("compare") and all({"also_match", "word_match"} <= ops and ops & {"argmax", "argmin"} for ops in kept("compare"))
    assert any("also_match" not in ops for ops in kept("shortest"))  # the oracle's shortest name one lake
