"""Linking that forgives (issue 12, part B): header words word by word, inflections,
abbreviations and typos, as tables of (input, expected)."""
from __future__ import annotations

import numpy as np
import pytest

from npqa.grammars.ops import LANGUAGE
from npqa.lang.executor import execute
from npqa.lang.language import Program, Step
from npqa.question.link import TYPO_MATCH, read_question
from npqa.table.column import Table
from npqa.table.read import make_column
from npqa.table.text import name_words, stem, within_one_edit, word_keys


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("singles", "single", True),
        ("won", "win", True),
        ("wins", "win", True),
        ("freshmen", "freshman", True),
        ("scrapped", "scrap", True),
        ("produced", "produce", True),
        ("countries", "country", True),
        ("saint", "st", True),
        ("street", "st", True),
        ("department", "dept", True),
        ("january", "jan", True),
        ("thursdays", "thu", True),
        ("position", "pos", True),
        ("children", "child", True),
        ("class", "classes", True),
        ("canadian", "canada", True),
        ("germans", "germany", True),
        ("american", "usa", True),
        ("norwegian", "nor", False),  # a code that is an English word is left out
        ("win", "wine", False),
        ("saint", "street", False),
        ("march", "may", False),
    ],
)
def test_words_meet_by_their_keys(a: str, b: str, same: bool) -> None:
    assert bool(word_keys(a) & word_keys(b)) == same


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("totalPoints", ("total", "points")),
        ("GDPPerCapita", ("gdp", "capita")),
        ("snake_case_name", ("snake", "case", "name")),
        ("TOTAL_POINTS", ("total", "points")),
        ("POPULATION", ("population",)),
        ("Height (m)", ("height",)),
        ("Weight_kg", ("weight",)),
        ("Area km2", ("area",)),
        ("Min", ("min",)),  # a unit word alone stays
        ("Year of the Dragon", ("year", "dragon")),
    ],
)
def test_header_words(name: str, words: tuple[str, ...]) -> None:
    assert name_words(name) == words


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("london", "lodon", True),  # a deletion
        ("soccer", "sokcer", True),  # a swap
        ("germans", "germany", True),  # a substitution
        ("paris", "pariss", True),  # an insertion
        ("london", "lndon", True),
        ("london", "ldnno", False),
        ("abcde", "vwxyz", False),
        ("short", "shortest", False),
    ],
)
def test_one_edit(a: str, b: str, near: bool) -> None:
    assert within_one_edit(a, b) == near
    assert within_one_edit(b, a) == near


def test_stem_undoubles_and_reads_men_as_man() -> None:
    assert [stem(w) for w in ["stopped", "running", "falling", "chairmen"]] == ["stop", "run", "fall", "chairman"]


def players() -> Table:
    return Table(
        [
            make_column("Name", ["Chelsea Wlliams", "Anna Berg", "Saint Louis Blues", "Ana Moreno"]),
            make_column("Class", ["Freshman", "Senior", "Freshman", "Junior"]),
            make_column("Nation", ["Germany", "Norway", "United States", "Spain"]),
            make_column("Dept.", ["Department of Music", "Dept. of Art", "Art", "Music"]),
            make_column("Result", ["Won", "Lost", "Won", "Won"]),
        ],
        "<players>",
    )


@pytest.mark.parametrize(
    ("question", "value", "via"),
    [
        ("how many freshmen are on the team?", "freshman", "key"),
        ("how many seniors are on the team?", "senior", "key"),
        ("how many players are from the germans?", "germany", "key"),  # a nationality word stands for its country
        ("how many spanish players are there?", "spain", "key"),
        ("which team is in st louis?", "saint louis", "key"),  # the cell's words: "St" read as "saint"
        ("which team is saint louis blues?", "saint louis blues", ""),  # found as it is: nothing to forgive
        ("how many games did chelsea williams play?", "chelsea wlliams", "typo"),  # the cell is mistyped
        ("how many wins?", "won", "key"),  # a whole cell "Won"
        ("how many departments are there?", None, None),  # "department" is in no whole cell: no constant
    ],
)
def test_a_word_found_in_no_cell_links_to_the_cell_word_it_stands_for(question: str, value: str | None, via: str | None) -> None:
    strings = [(c.value, c.via) for c in read_question(question, players()).constants if c.kind == "string"]
    if value is None:
        assert all(v == "" for _, v in strings)
    else:
        assert (value, via) in strings


def test_a_forgiven_constant_matches_its_cells_in_the_executor() -> None:
    table = players()
    constant = next(c for c in read_question("how many freshmen are on the team?", table).constants if c.kind == "string")
    program = Program((Step("word_match", "Class", constant.value), Step("count")))
    assert execute(program, table, LANGUAGE).items == ("2",)


def test_a_typo_link_is_a_weaker_column_match() -> None:
    linked = read_question("how many games did chelsea williams play?", players())
    k = next(k for k, c in enumerate(linked.constants) if c.via == "typo")
    assert linked.constant_column_match[k].max() == pytest.approx(TYPO_MATCH)
    exact = read_question("how many games did anna berg play?", players())
    k = next(k for k, c in enumerate(exact.constants) if c.kind == "string" and c.value == "anna berg")
    assert exact.constant_column_match[k].max() == 1.0


def test_words_a_cell_holds_as_they_are_are_never_forgiven() -> None:
    linked = read_question("which nation won?", players())
    assert ("won", "") in [(str(c.value).lower(), c.via) for c in linked.constants if c.kind == "string"]


@pytest.mark.parametrize(
    ("question", "column", "share"),
    [
        ("what is the department of anna berg?", "Dept.", 1.0),
        ("which class is ana moreno in?", "Class", 1.0),
        ("what were the results?", "Result", 1.0),
    ],
)
def test_header_words_match_by_their_keys(question: str, column: str, share: float) -> None:
    table = players()
    linked = read_question(question, table)
    assert linked.column_name_match[table.names.index(column)] == share


def test_units_and_camel_case_do_not_dilute_a_header_match() -> None:
    table = Table([make_column("Height (m)", ["1.8", "2.0"]), make_column("playerName", ["A", "B"])], "<t>")
    linked = read_question("what is the height of the player name a?", table)
    assert np.allclose(linked.column_name_match, [1.0, 1.0])


def test_a_column_of_numbers_forgives_nothing_and_never_lists_its_words() -> None:
    from npqa.table.index import ColumnWords

    numbers = ColumnWords(["1,200", "35", "2004-05-03"], np.arange(3))
    assert numbers.by_key == {} and numbers.by_delete == {}
    assert "vocabulary" not in numbers.__dict__  # its words (digits alone) were never listed
    words = ColumnWords(["Lodon", "35"], np.arange(2))
    assert words.by_key and "vocabulary" in words.__dict__
