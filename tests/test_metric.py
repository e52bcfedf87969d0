"""The official WTQ denotation metric: normalisation, values, matching, files."""
from __future__ import annotations

from pathlib import Path

import pytest

from npqa.errors import DataError
from npqa.train.metric import (
    DateValue,
    NumberValue,
    StringValue,
    canonicalise_gold,
    check,
    escape_tsv,
    normalize,
    score_files,
    to_gold_values,
    to_pred_values,
    unescape_tsv,
    values_match,
)

# ----------------------------------------------------------------- normalisation


def test_numeric_citation_is_stripped() -> None:
    assert normalize("Paris[1]") == "paris"


def test_bracketed_note_is_stripped_unless_at_the_start() -> None:
    assert normalize("Paris [note a]") == "paris"
    assert normalize("[a] Paris") == "[a] paris"


def test_whole_text_bracket_is_kept_unless_numeric() -> None:
    assert normalize("[note]") == "[note]"
    assert normalize("[12]") == ""


def test_citation_marks_are_stripped() -> None:
    assert normalize("Smith*†") == "smith"
    assert normalize("Team #") == "team"


def test_trailing_parentheses_are_stripped() -> None:
    assert normalize("Mercury (planet) (2)") == "mercury"


def test_parentheses_at_the_start_are_kept() -> None:
    assert normalize("(planet)") == "(planet)"


def test_parentheses_without_a_space_are_kept() -> None:
    assert normalize("Mercury(planet)") == "mercury(planet)"


def test_diacritics_are_removed() -> None:
    assert normalize("Citroën Jérôme") == "citroen jerome"


def test_smart_quotes_become_plain_quotes() -> None:
    assert normalize("Rock ‘n’ Roll") == "rock 'n' roll"
    assert normalize("`x`") == "'x'"


def test_acute_accent_decomposes_to_a_space_before_quote_mapping() -> None:
    assert normalize("it´s") == "it s"  # NFKD runs first, as in the published script


def test_enclosing_double_quotes_are_stripped_once_per_round() -> None:
    assert normalize("“Hello”") == "hello"
    assert normalize('"a" and "b"') == '"a" and "b"'


def test_dashes_become_hyphens() -> None:
    assert normalize("1–2 — 3 − 4 ‐ 5") == "1-2 - 3 - 4 - 5"


def test_rules_repeat_until_nothing_changes() -> None:
    assert normalize('"Song" (single)[3]') == "song"


def test_one_final_dot_is_dropped() -> None:
    assert normalize("Inc..") == "inc."


def test_whitespace_is_collapsed_and_lowered() -> None:
    assert normalize("  New \n  York  ") == "new york"


# ----------------------------------------------------------------- values


def test_predicted_integer_and_float_are_the_same_number() -> None:
    assert check(["2"], ["2.0"])
    assert to_pred_values(["2.0"]) == [NumberValue(2.0, "2.0")]


def test_predicted_number_must_be_whole() -> None:
    assert to_pred_values(["1,000"]) == [StringValue("1,000")]
    assert to_pred_values(["12 km"]) == [StringValue("12 km")]


def test_nan_and_infinity_are_strings() -> None:
    assert to_pred_values(["nan", "inf"]) == [StringValue("nan"), StringValue("inf")]


def test_numbers_within_tolerance_match() -> None:
    assert check(["0.3"], ["0.30000001"])
    assert not check(["0.3"], ["0.3001"])


def test_year_only_date_is_a_number() -> None:
    assert to_pred_values(["2004-xx-xx"]) == [NumberValue(2004.0, "2004-xx-xx")]
    assert check(["2004"], ["2004-xx-xx"])


def test_date_with_unknown_year_matches_only_unknown_year() -> None:
    assert check(["October 17"], ["xxxx-10-17"])
    assert not check(["October 17"], ["2004-10-17"])


def test_predicted_date_parts_are_checked() -> None:
    assert to_pred_values(["2004-13-01"]) == [StringValue("2004-13-01")]
    assert to_pred_values(["xx-xx-xx"]) == [StringValue("xx-xx-xx")]
    assert to_pred_values(["2004-05-03"]) == [DateValue(2004, 5, 3, "2004-05-03")]


def test_predicted_text_is_never_canonicalised() -> None:
    assert not check(["5"], ["5 years"])


# ----------------------------------------------------------------- gold canonical forms


@pytest.mark.parametrize(
    ("item", "canonical"),
    [
        ("17 years", "17.0"),
        ("January 26, 1995", "1995-01-26"),
        ("October 2011", "2011-10-xx"),
        ("October 17", "xxxx-10-17"),
        ("$1.56 billion", "1560000000.0"),
        ("48.4%", "48.4"),
        ("100,000", "100000.0"),
        ("2nd", "2.0"),
        (".25", "0.25"),
        ("+480,000", "480000.0"),
        ("2004", "2004.0"),
        ("Che Fu", "Che Fu"),
        ("2005-06", "2005-06"),
        ("13-8", "13-8"),
        ("2:47", "2:47"),
        ("1st match", "1st match"),
    ],
)
def test_gold_canonical_form(item: str, canonical: str) -> None:
    assert canonicalise_gold(item) == canonical


def test_gold_number_with_unit_matches_bare_number_and_its_text() -> None:
    assert check(["17 years"], ["17"])
    assert check(["17 years"], ["17 Years"])


def test_gold_date_matches_iso_prediction() -> None:
    assert check(["January 26, 1995"], ["1995-01-26"])


def test_gold_value_keeps_its_text_for_string_matching() -> None:
    assert to_gold_values(["$1.56 billion"]) == [NumberValue(1_560_000_000.0, "$1.56 billion")]


# ----------------------------------------------------------------- matching and sets


def test_values_match_by_normalised_string_across_types() -> None:
    assert values_match(NumberValue(3.0, "3 (tie)"), StringValue("3 (tie)"))


def test_values_match_dates_by_parts() -> None:
    assert values_match(DateValue(2004, 5, 3, "may 3, 2004"), DateValue(2004, 5, 3, "2004-05-03"))
    assert not values_match(DateValue(2004, 5, None, "may 2004"), DateValue(2004, 5, 3, "2004-05-03"))


def test_list_order_is_free() -> None:
    assert check(["a", "b"], ["b", "a"])


def test_duplicates_collapse_on_both_sides() -> None:
    assert check(["a", "a"], ["A"])
    assert check(["a"], ["a", "A."])


def test_sets_of_different_sizes_are_wrong() -> None:
    assert not check(["a"], ["a", "b"])
    assert not check(["a", "b"], ["a"])


def test_empty_prediction_is_wrong() -> None:
    assert not check(["a"], [])


# ----------------------------------------------------------------- TSV escapes and files


def test_unescape_tsv_reads_left_to_right() -> None:
    assert unescape_tsv("a\\nb\\pc\\\\d") == "a\nb|c\\d"
    assert unescape_tsv("a\\\\nb") == "a\\nb"
    assert unescape_tsv("a\\tb") == "a\\tb"


def test_escape_tsv_round_trips() -> None:
    text = "a|b\nc\\nd"
    assert unescape_tsv(escape_tsv(text)) == text


def write_data(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    path = tmp_path / "data.tsv"
    lines = ["id\tutterance\tcontext\ttargetValue"]
    lines += [f"{i}\tq?\tcsv/1.csv\t{target}" for i, target in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_preds(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "preds.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_score_counts_every_example_of_the_data(tmp_path: Path) -> None:
    data = write_data(tmp_path, [("a", "1"), ("b", "x"), ("c", "y")])
    result = score_files(data, write_preds(tmp_path, "a\t1.0\nb\tX\n"))
    assert (result.correct, result.examples, result.answered) == (2, 3, 2)
    assert result.accuracy == pytest.approx(2 / 3)


def test_id_alone_is_an_unanswered_example(tmp_path: Path) -> None:
    data = write_data(tmp_path, [("a", "1")])
    result = score_files(data, write_preds(tmp_path, "a\n"))
    assert (result.correct, result.answered) == (0, 0)


def test_gold_pipe_splits_items_before_unescaping(tmp_path: Path) -> None:
    data = write_data(tmp_path, [("a", "x\\py|z")])
    assert score_files(data, write_preds(tmp_path, "a\tz\tx\\py\n")).correct == 1


def test_prediction_items_are_unescaped(tmp_path: Path) -> None:
    data = write_data(tmp_path, [("a", "line one\\nline two")])
    assert score_files(data, write_preds(tmp_path, "a\tline one\\nline two\n")).correct == 1


def test_missing_data_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        score_files(tmp_path / "absent.tsv", write_preds(tmp_path, ""))


def test_missing_prediction_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError):
        score_files(write_data(tmp_path, [("a", "1")]), tmp_path / "absent.tsv")


def test_data_without_target_column_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    path.write_text("id\tutterance\na\tq?\n", encoding="utf-8")
    with pytest.raises(DataError, match="targetValue"):
        score_files(path, write_preds(tmp_path, ""))


def test_data_row_with_wrong_field_count_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    path.write_text("id\tutterance\tcontext\ttargetValue\na\tq?\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2"):
        score_files(path, write_preds(tmp_path, ""))


def test_empty_data_file_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty"):
        score_files(path, write_preds(tmp_path, ""))
