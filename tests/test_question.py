"""Tests for npqa.question.link: tokens, constants, linking and match features.

Most linking tests use this table (drawn here, built column by column):

    | Team             | Year | Founded          | Notes          |
    |------------------|------|------------------|----------------|
    | Wolfe Tones      | 2004 | May 3, 2004      | home win       |
    | Crettyard United | 1998 | October 17, 1998 |                |
    | The Rovers       | 2010 | June 2010        | away loss      |
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npqa.errors import QuestionError
from npqa.question.link import LinkedQuestion, link_question
from npqa.question.parse import Constant, parse_question
from npqa.table.index import cached_index, index_table
from npqa.table.text import stem
from npqa.table.column import MemoryColumn, Table
from npqa.table.text import padded
from npqa.table.values import Date


def _column(name: str, texts: list[str], numbers: list[float] | None = None, dates: list[Date | None] | None = None, kind: str = "text") -> MemoryColumn:
    return MemoryColumn(
        name=name,
        texts=texts,
        numbers=np.array(numbers if numbers is not None else [math.nan] * len(texts), dtype=np.float64),
        dates=dates if dates is not None else [None] * len(texts),
        kind=kind,
    )


def _table() -> Table:
    return Table(
        [
            _column("Team", ["Wolfe Tones", "Crettyard United", "The Rovers"]),
            _column("Year", ["2004", "1998", "2010"], [2004, 1998, 2010], [Date(2004, None, None), Date(1998, None, None), Date(2010, None, None)], "number"),
            _column(
                "Founded",
                ["May 3, 2004", "October 17, 1998", "June 2010"],
                [3, 17, 2010],
                [Date(2004, 5, 3), Date(1998, 10, 17), Date(2010, 6, None)],
                "date",
            ),
            _column("Notes", ["home win", "", "away loss"]),
        ],
        source="<test>",
    )


def _numbers(text: str) -> list[Constant]:
    return [c for c in parse_question(text).constants if c.kind == "number"]


def _dates(text: str) -> list[Constant]:
    return [c for c in parse_question(text).constants if c.kind == "date"]


def _strings(linked: LinkedQuestion) -> list[str]:
    return [c.value for c in linked.constants if c.kind == "string"]  # type: ignore[misc]


def _link(text: str, **kwargs: int) -> LinkedQuestion:
    return link_question(parse_question(text), _table(), **kwargs)


# --------------------------------------------------------------------------- tokens


def test_tokens_are_lower_cased_and_raw_tokens_keep_case() -> None:
    q = parse_question("Who beat Wolfe Tones?")
    assert q.tokens == ["who", "beat", "wolfe", "tones", "?"]
    assert q.raw_tokens == ["Who", "beat", "Wolfe", "Tones", "?"]


def test_punctuation_is_split_off_words() -> None:
    assert parse_question("first, then (last).").tokens == ["first", ",", "then", "(", "last", ")", "."]


def test_number_with_thousands_separators_stays_one_token() -> None:
    assert "1,000,000" in parse_question("more than 1,000,000 people").tokens


def test_decimal_number_stays_one_token() -> None:
    assert "12.5" in parse_question("at least 12.5 points").tokens


def test_possessive_s_is_split_off() -> None:
    assert parse_question("germany's medals").tokens == ["germany", "'s", "medals"]


def test_offsets_point_into_the_text() -> None:
    q = parse_question("how  many in 2004?")
    assert [q.text[s:e] for s, e in q.offsets] == q.raw_tokens


def test_empty_question_raises_question_error() -> None:
    with pytest.raises(QuestionError):
        parse_question("   ")


def test_punctuation_only_question_raises_question_error() -> None:
    with pytest.raises(QuestionError):
        parse_question("?!")


# --------------------------------------------------------------------------- numbers


def test_digits_with_thousands_separators_are_a_number() -> None:
    assert [c.value for c in _numbers("more than 1,000,000 people")] == [1_000_000.0]


def test_decimal_digits_are_a_number() -> None:
    assert [c.value for c in _numbers("at least 12.5 points")] == [12.5]


def test_unicode_minus_makes_a_negative_number() -> None:
    assert [c.value for c in _numbers("below −3 degrees")] == [-3.0]


def test_hyphen_between_numbers_is_not_a_minus() -> None:
    assert [c.value for c in _numbers("the 1990-91 season")] == [1990.0, 91.0]


def test_percent_sign_joins_the_number_span() -> None:
    (c,) = _numbers("over 50% of votes")
    assert (c.value, c.text, c.end - c.start) == (50.0, "50%", 2)


def test_unit_word_number() -> None:
    assert [c.value for c in _numbers("how many had seven wins")] == [7.0]


def test_tens_number_word() -> None:
    assert [c.value for c in _numbers("in the last thirty games")] == [30.0]


def test_hyphenated_number_words() -> None:
    (c,) = _numbers("twenty-one goals")
    assert (c.value, c.text) == (21.0, "twenty-one")


def test_number_words_with_hundred() -> None:
    (c,) = _numbers("more than two hundred votes")
    assert (c.value, c.text) == (200.0, "two hundred")


def test_lone_scale_word_is_a_number() -> None:
    assert [c.value for c in _numbers("over a thousand fans")] == [1000.0]


def test_digits_followed_by_scale_word() -> None:
    assert [c.value for c in _numbers("1.5 million viewers")] == [1_500_000.0]


def test_separate_unit_words_are_separate_numbers() -> None:
    assert [c.value for c in _numbers("one two")] == [1.0, 2.0]


def test_ordinal_word_is_an_ordinal_number() -> None:
    (c,) = _numbers("who came third?")
    assert (c.value, c.ordinal) == (3.0, True)


def test_ordinal_digits_are_an_ordinal_number() -> None:
    assert [(c.value, c.ordinal) for c in _numbers("the 3rd and 21st races")] == [(3.0, True), (21.0, True)]


def test_hyphenated_ordinal_words() -> None:
    (c,) = _numbers("the twenty-first race")
    assert (c.value, c.ordinal, c.text) == (21.0, True, "twenty-first")


def test_cardinal_is_not_ordinal() -> None:
    assert [c.ordinal for c in _numbers("won 12 games")] == [False]


# --------------------------------------------------------------------------- dates


def test_year_is_both_a_number_and_a_date() -> None:
    kinds = [(c.kind, c.value) for c in parse_question("who won in 2004?").constants]
    assert kinds == [("number", 2004.0), ("date", Date(2004, None, None))]


def test_month_day_comma_year_is_a_date() -> None:
    (c,) = _dates("what happened on may 3, 2004?")
    assert (c.value, c.text) == (Date(2004, 5, 3), "may 3, 2004")


def test_day_month_year_is_a_date() -> None:
    assert [c.value for c in _dates("on 3 may 2004")] == [Date(2004, 5, 3)]


def test_month_year_is_a_date() -> None:
    assert [c.value for c in _dates("in may 2004")] == [Date(2004, 5, None)]


def test_month_day_is_a_date_without_year() -> None:
    assert [c.value for c in _dates("on october 17")] == [Date(None, 10, 17)]


def test_iso_date_is_a_date() -> None:
    assert [c.value for c in _dates("on 2004-05-03")] == [Date(2004, 5, 3)]


def test_lone_month_name_is_a_month_date() -> None:
    assert [c.value for c in _dates("games in october")] == [Date(None, 10, None)]


def test_may_alone_is_not_a_date() -> None:
    assert _dates("who may have won") == []


def test_numbers_inside_a_date_are_not_numbers() -> None:
    assert _numbers("on may 3, 2004") == []


# --------------------------------------------------------------------------- quoted strings


def test_double_quoted_text_is_a_string_constant() -> None:
    (c,) = parse_question('who sang "hey jude" first?').constants[:1]
    assert (c.kind, c.value, c.match) == ("string", "hey jude", "quoted")


def test_single_quoted_text_is_a_string_constant() -> None:
    assert [c.value for c in parse_question("who sang 'let it be'?").constants] == ["let it be"]


def test_smart_quoted_text_is_a_string_constant() -> None:
    assert [c.value for c in parse_question("who sang “yesterday”?").constants] == ["yesterday"]


def test_trailing_possessive_apostrophes_are_not_quotes() -> None:
    assert parse_question("was davies' work like petrovics' work").constants == []


def test_number_inside_quotes_is_not_a_number() -> None:
    assert [c.kind for c in parse_question('who wrote "1984"?').constants] == ["string"]


# --------------------------------------------------------------------------- stemming


def test_stem_strips_plurals_and_verb_endings() -> None:
    assert [stem(w) for w in ["years", "matches", "countries", "played", "class"]] == ["year", "match", "country", "play", "class"]


# --------------------------------------------------------------------------- linked string constants


def test_ngram_equal_to_a_cell_is_an_exact_string_constant() -> None:
    linked = _link("who came before wolfe tones?")
    (c,) = [c for c in linked.constants if c.kind == "string"]
    assert (c.value, c.match, c.start, c.end) == ("wolfe tones", "exact", 3, 5)


def test_ngram_inside_a_cell_is_a_partial_string_constant() -> None:
    (c,) = [c for c in _link("did crettyard ever play?").constants if c.kind == "string"]
    assert (c.value, c.match) == ("crettyard", "partial")


def test_cell_words_scattered_in_question_give_a_contained_constant() -> None:
    (c,) = [c for c in _link("which loss was away?").constants if c.kind == "string"]
    assert (c.value, c.match) == ("loss was away", "contained")


def test_longer_match_hides_the_matches_inside_it() -> None:
    assert _strings(_link("when did crettyard united play?")) == ["crettyard united"]


def test_stop_word_only_ngrams_are_not_constants() -> None:
    assert _strings(_link("what was the year?")) == []


def test_number_only_ngrams_are_not_string_constants() -> None:
    assert _strings(_link("who won in 1998?")) == []


def test_string_constants_are_capped() -> None:
    assert len(_strings(_link("wolfe tones, the rovers, crettyard, home win or away loss?", max_strings=2))) == 2


def test_quoted_string_is_kept_without_any_cell_match() -> None:
    assert _strings(_link('who sang "hey jude"?')) == ["hey jude"]


def test_quoted_cell_text_is_not_linked_twice() -> None:
    assert _strings(_link('who came before "wolfe tones"?')) == ["wolfe tones"]


def test_question_constants_come_before_linked_strings() -> None:
    kinds = [c.kind for c in _link("did the rovers play in 2010?").constants]
    assert kinds == ["number", "date", "string"]


# --------------------------------------------------------------------------- features


def test_feature_shapes() -> None:
    linked = _link("did the rovers win in 2010?")
    q, k = len(linked.question.tokens), len(linked.constants)
    assert linked.cell_match.shape == (3, 4)
    assert linked.column_name_match.shape == linked.column_name_partial.shape == linked.column_cell_match.shape == (4,)
    assert linked.token_column_match.shape == linked.token_cell_match.shape == (q, 4)
    assert linked.constant_column_match.shape == linked.constant_context_column.shape == (k, 4)


def test_column_name_match_counts_plural_as_same_word() -> None:
    np.testing.assert_array_equal(_link("list the teams").column_name_match, [1, 0, 0, 0])


def test_column_name_partial_counts_shared_prefix() -> None:
    linked = _link("what was the foundation of the team?")
    assert linked.column_name_match[2] == 0.0 and linked.column_name_partial[2] == 1.0


def test_cell_match_is_one_for_cell_equal_to_ngram() -> None:
    assert _link("who came before wolfe tones?").cell_match[0, 0] == 1.0


def test_cell_match_is_share_of_cell_words_in_question() -> None:
    assert _link("was it a home game?").cell_match[0, 3] == pytest.approx(0.5)


def test_cell_match_ignores_stop_words_of_cells() -> None:
    assert _link("who were the rovers").cell_match[2, 0] == 1.0


def test_cell_match_is_zero_for_empty_cell() -> None:
    assert _link("how about the empty notes?").cell_match[1, 3] == 0.0


def test_column_cell_match_is_max_over_rows() -> None:
    np.testing.assert_allclose(_link("was it a home loss?").column_cell_match, [0, 0, 0, 0.5])


def test_token_column_match_marks_tokens_in_column_names() -> None:
    linked = _link("which year?")
    np.testing.assert_array_equal(linked.token_column_match[:, 1], [0, 1, 0])


def test_token_column_match_ignores_stop_words() -> None:
    table = Table([_column("Number of wins", ["1", "2", "3"])], "<test>")
    linked = link_question(parse_question("which of them"), table)
    assert linked.token_column_match.sum() == 0.0


def test_token_cell_match_marks_tokens_found_in_a_column() -> None:
    linked = _link("any loss at home?")
    np.testing.assert_array_equal(linked.token_cell_match[:, 3], [0, 1, 0, 1, 0])


def test_number_constant_matches_column_with_equal_number() -> None:
    linked = _link("who won in 1998?")
    np.testing.assert_array_equal(linked.constant_column_match[0], [0, 1, 0, 0])


def test_date_constant_matches_in_known_parts_only() -> None:
    linked = _link("who was founded on october 17?")
    np.testing.assert_array_equal(linked.constant_column_match[0], [0, 0, 1, 0])


def test_year_date_constant_matches_year_of_full_dates_and_year_numbers() -> None:
    linked = _link("who won in 2004?")
    date_row = [c.kind for c in linked.constants].index("date")
    np.testing.assert_array_equal(linked.constant_column_match[date_row], [0, 1, 1, 0])


def test_string_constant_matches_its_column() -> None:
    linked = _link("did the rovers play?")
    np.testing.assert_array_equal(linked.constant_column_match[-1], [1, 0, 0, 0])


def test_quoted_string_matches_column_holding_it() -> None:
    linked = _link("after 'away loss'?")
    np.testing.assert_array_equal(linked.constant_column_match[0], [0, 0, 0, 1])


def test_context_marks_column_named_just_before_a_number() -> None:
    linked = _link("which team had year above 2000?")
    np.testing.assert_array_equal(linked.constant_context_column[0], [0, 1, 0, 0])


def test_context_ignores_column_names_far_before_the_number() -> None:
    linked = _link("which team was there in the season after 2000?")
    assert linked.constant_context_column[0, 0] == 0.0


def test_context_is_zero_for_string_constants() -> None:
    linked = _link("which team came before the rovers?")
    assert linked.constant_context_column.sum() == 0.0


def test_cached_index_is_built_once_per_table() -> None:
    table = _table()
    assert cached_index(table) is cached_index(table)


def test_explicit_index_gives_same_features_as_cached() -> None:
    table, q = _table(), parse_question("did the rovers win in 2010?")
    a, b = link_question(q, table), link_question(q, table, index=index_table(table))
    np.testing.assert_array_equal(a.cell_match, b.cell_match)


def test_cached_index_is_dropped_with_its_table() -> None:
    import gc

    from npqa.table import index

    table = _table()
    cached_index(table)
    key = id(table)
    del table
    gc.collect()
    assert key not in index._INDEX_CACHE


def test_wide_table_features_reach_columns_past_the_64th() -> None:
    columns = [_column(f"c{j}", ["x", "y"]) for j in range(69)] + [_column("last", ["zebra", "y"])]
    linked = link_question(parse_question("any zebra?"), Table(columns, "<test>"))
    assert linked.token_cell_match[1].tolist() == [0.0] * 69 + [1.0]


def test_table_without_rows_gives_empty_cell_features() -> None:
    linked = link_question(parse_question("any zebra?"), Table([_column("Team", [])], "<test>"))
    assert linked.cell_match.shape == (0, 1) and linked.column_cell_match.tolist() == [0.0]


# --------------------------------------------------------------------------- properties

_WORDS = ["red", "blue", "the", "of", "cup", "5", "año", "x-ray"]
_cells = st.lists(st.sampled_from(_WORDS), min_size=0, max_size=3).map(" ".join)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(
    st.lists(st.lists(_cells, min_size=2, max_size=2), min_size=1, max_size=3),
    st.lists(st.sampled_from(_WORDS + ["?", ","]), min_size=1, max_size=8),
)
def test_linked_string_columns_agree_with_word_match_containment(columns: list[list[str]], words: list[str]) -> None:
    table = Table([_column(f"c{j}", texts) for j, texts in enumerate(columns)], "<test>")
    if not any(w[0].isalnum() for w in words):
        return
    linked = link_question(parse_question(" ".join(words)), table)
    for k, c in enumerate(linked.constants):
        if c.match in ("exact", "partial"):
            expected = [float(any(padded(str(c.value)) in padded(t) for t in texts)) for texts in columns]
            assert linked.constant_column_match[k].tolist() == expected


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_text_parses_or_raises_question_error(text: str) -> None:
    try:
        q = parse_question(text)
    except QuestionError:
        return
    assert all(0 <= c.start < c.end <= len(q.tokens) for c in q.constants)


def test_stop_word_lines_are_found_the_same_way_in_mostly_long_columns() -> None:
    """all_stop reads only the short lines of a column of long texts; the result is the
    full reading with lines over STOP_LINE_MAX_BYTES never counted as stop words alone."""
    from npqa.table.index import STOP_LINE_MAX_BYTES, ColumnWords, _all_stop_lines

    long_stop = " ".join(["the of and a to in is was"] * 4)  # stop words alone, but longer than the cap
    texts = ["the", "The Band", "of the", long_stop] + [f"a long line about river number {i} " * 3 for i in range(20)]
    cw = ColumnWords(texts, np.arange(len(texts)))
    length = np.diff(cw.newlines) - 1
    assert length[3] > STOP_LINE_MAX_BYTES
    expected = _all_stop_lines(cw.blob, cw.newlines) & (length <= STOP_LINE_MAX_BYTES)
    assert cw.all_stop.tolist() == expected.tolist()
    assert cw.all_stop[:4].tolist() == [True, False, True, False]


# --------------------------------------------------------------------------- readings of issue 12


@pytest.mark.parametrize(
    ("question", "constants"),
    [
        ("who ran under 2:08:24?", [("number", 7704.0)]),
        ("which song lasts 4:47?", [("number", 287.0)]),
        ("what happened in 500 bc?", [("number", -500.0), ("date", Date(-500, None, None))]),
        ("events before 44 b.c.", [("number", -44.0), ("date", Date(-44, None, None))]),
        ("who won on 2012/01/31?", [("date", Date(2012, 1, 31))]),
        ("who won on 31.01.2012?", [("date", Date(2012, 1, 31))]),
        ("who won on 12/25/2004?", [("date", Date(2004, 12, 25))]),
        ("what is 1.5 times 3?", [("number", 1.5), ("number", 3.0)]),
        ("who won 3:1?", [("number", 3.0), ("number", 1.0)]),  # a score, not a time
    ],
)
def test_question_constants_of_times_eras_and_numeric_dates(question: str, constants: list[tuple[str, object]]) -> None:
    assert [(c.kind, c.value) for c in parse_question(question).constants] == constants
