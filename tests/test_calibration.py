"""Calibrated confidence, bands, remarks and abstaining (``npqa.model.calibrate``,
``npqa.calibration``, ``npqa calibrate``, ``--min-confidence``)."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from npqa.api import TableQA
from npqa.cli import app
from npqa.errors import ModelError
from npqa.model.calibrate import (
    BANDS, CALIBRATION, LIKELY_RIGHT, LIKELY_WRONG, UNSURE, Bands, Calibrator, Signals, abstention, asks_for_one,
    auroc, cross_fit, ece, fit_calibrator, load_calibrator, remarks_of, signals_of, table_folds, top_accuracy,
)  # fmt: skip

from test_cli import TABLE, TINY, TINY_TSV, tiny_model_dir

runner = CliRunner()
QUESTION = "how many singles were released in 2010?"


def signals(**changes: object) -> Signals:
    """A plain answer's signals; tests change the fields they are about."""
    base = Signals(program_prob=0.5, runner_up_prob=0.1, min_step_prob=0.6, n_items=1, terminal="print",
                   answer_in_question=False, or_question=False, real_steps=2, count_all=False, unused_numbers=0,
                   n_rows=10, used_column_match=0.0, unused_column_match=0.0, asks_one=False, how_many=False,
                   total=False)  # fmt: skip
    return replace(base, **changes)


@pytest.fixture(scope="module")
def calibrated_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny model with a calibrator fitted on the tiny data by ``npqa calibrate``."""
    out = tmp_path_factory.mktemp("calibrated") / "model"
    shutil.copytree(tiny_model_dir(tmp_path_factory), out)
    done = runner.invoke(app, ["calibrate", "--model", str(out), "--data", str(TINY_TSV), "--tables-root", str(TINY)])
    assert done.exit_code == 0, done.stderr
    return out


# ---------------------------------------------------------------------------- figures


def test_ece_of_a_hand_made_set() -> None:
    # bins: 0.05 (2 answers, none right) → 0.05 each; 0.95 (2, both right) → 0.05 each; 0.55 (1, wrong) → 0.55
    probs = [0.05, 0.05, 0.95, 0.95, 0.55]
    right = [False, False, True, True, False]
    assert ece(probs, right) == pytest.approx((0.05 * 2 + 0.05 * 2 + 0.55) / 5)


def test_ece_is_zero_when_each_bin_is_right_as_often_as_it_says() -> None:
    probs = [0.3] * 10 + [0.8] * 5
    right = [True] * 3 + [False] * 7 + [True] * 4 + [False]
    assert ece(probs, right) == pytest.approx(0.0)


def test_ece_puts_a_confidence_of_one_in_the_last_bin() -> None:
    assert ece([1.0, 0.95], [True, True]) == pytest.approx(0.025)


@pytest.mark.parametrize(
    "scores, right, expected",
    [
        ([0.9, 0.8, 0.3, 0.1], [True, True, False, False], 1.0),
        ([0.9, 0.8, 0.3, 0.1], [False, False, True, True], 0.0),
        ([0.9, 0.8, 0.3, 0.1], [True, False, True, False], 0.75),
        ([0.5, 0.5, 0.5, 0.5], [True, False, True, False], 0.5),
        ([0.9, 0.1], [True, True], 0.5),  # one class only
    ],
)
def test_auroc_of_hand_made_sets(scores: list[float], right: list[bool], expected: float) -> None:
    assert auroc(scores, right) == pytest.approx(expected)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.1, 0.2, 0.5, 0.7, 0.9]), st.booleans()), min_size=2, max_size=30))
def test_auroc_is_the_share_of_right_wrong_pairs_ordered_right(pairs: list[tuple[float, bool]]) -> None:
    pos = [s for s, ok in pairs if ok]
    neg = [s for s, ok in pairs if not ok]
    if not pos or not neg:
        return
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    assert auroc([s for s, _ in pairs], [ok for _, ok in pairs]) == pytest.approx(wins / (len(pos) * len(neg)))


def test_top_accuracy_reads_the_most_confident_share() -> None:
    scores, right = [0.9, 0.8, 0.7, 0.1], [True, True, False, False]
    assert top_accuracy(scores, right, 0.25) == 1.0
    assert top_accuracy(scores, right, 0.5) == 1.0
    assert top_accuracy(scores, right, 0.75) == pytest.approx(2 / 3)


def test_abstention_counts_coverage_over_all_and_accuracy_over_the_answered() -> None:
    row = abstention([0.9, 0.6, 0.4, 0.1], [True, False, True, False], 0.5)
    assert row == {"min_confidence": 0.5, "coverage": 0.5, "accuracy": 0.5, "answered": 2}
    assert abstention([0.1], [True], 0.5)["accuracy"] == 0.0  # nothing answered


# ---------------------------------------------------------------------------- fitting


def test_a_fitted_calibrator_recovers_a_logistic_law_of_the_log_probability() -> None:
    rng = np.random.default_rng(0)
    probs = rng.uniform(0.02, 0.98, 4000)
    truth = 1 / (1 + np.exp(-(2.0 * np.log(probs) + 1.0)))  # P(right), logistic in log_prob
    data = [signals(program_prob=float(p)) for p in probs]
    right = rng.random(4000) < truth
    fitted = fit_calibrator(data, right).probabilities(data)
    assert np.abs(fitted - truth).mean() < 0.03
    assert ece(fitted, right) < 0.03


def test_a_calibrator_learns_that_a_long_list_for_one_thing_is_wrong() -> None:
    data = [signals(asks_one=True, n_items=8)] * 50 + [signals(asks_one=True, n_items=1)] * 50
    right = [False] * 50 + [True] * 25 + [False] * 25
    cal = fit_calibrator(data, right)
    assert cal.confidence(signals(asks_one=True, n_items=8)) < 0.1 < cal.confidence(signals(asks_one=True, n_items=1))


def test_table_folds_never_split_a_table() -> None:
    groups = [f"t{i % 7}" for i in range(40)]
    fold = table_folds(groups)
    for g in set(groups):
        assert len({bool(f) for f, h in zip(fold, groups) if h == g}) == 1
    assert fold.any() and not fold.all()


def test_cross_fit_measures_each_fold_with_a_calibrator_fitted_on_the_other() -> None:
    # fold A says "right" when prob is high, fold B the opposite: each fold's calibrator learns
    # the other fold's rule, so cross-fitted probabilities point the wrong way on both
    groups = ["a"] * 200 + ["b"] * 200
    fold = table_folds(groups)
    probs = np.tile(np.linspace(0.05, 0.95, 200), 2)
    data = [signals(program_prob=float(p)) for p in probs]
    right = [(p > 0.5) == bool(f) for p, f in zip(probs, fold)]
    crossed = cross_fit(data, right, groups)
    assert auroc(crossed, right) < 0.2


def test_a_calibrator_survives_its_json_unchanged(tmp_path: Path) -> None:
    data = [signals(program_prob=p, n_items=n) for p, n in [(0.9, 1), (0.2, 3), (0.5, 0), (0.7, 1)]]
    cal = fit_calibrator(data, [True, False, False, True])
    cal.bands.accuracy = {LIKELY_RIGHT: 0.7, UNSURE: 0.4, LIKELY_WRONG: 0.1}
    path = cal.save(tmp_path)
    assert path.name == CALIBRATION
    json.loads(path.read_text(encoding="utf-8"))  # plain JSON, never a pickle
    back = load_calibrator(tmp_path)
    assert back is not None and back.to_dict() == cal.to_dict()
    assert np.allclose(back.probabilities(data), cal.probabilities(data))


def test_no_calibration_file_means_no_calibrator(tmp_path: Path) -> None:
    assert load_calibrator(tmp_path) is None


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        json.dumps({"format": "other"}),
        json.dumps({"format": "npqa-calibration/1", "kind": "logistic", "features": ["no_such_feature"], "mean": [0],
                    "scale": [1], "weights": [1], "bias": 0, "bands": {"likely_right_from": 0.6, "likely_wrong_below": 0.2}}),
        json.dumps({"format": "npqa-calibration/1", "kind": "logistic", "features": ["log_prob"], "mean": [0, 1],
                    "scale": [1], "weights": [1], "bias": 0, "bands": {"likely_right_from": 0.6, "likely_wrong_below": 0.2}}),
        json.dumps({"format": "npqa-calibration/1", "kind": "logistic", "features": ["log_prob"], "mean": [0],
                    "scale": [0], "weights": [1], "bias": 0, "bands": {"likely_right_from": 0.6, "likely_wrong_below": 0.2}}),
    ],
)  # fmt: skip
def test_a_broken_calibration_file_is_a_named_error(tmp_path: Path, text: str) -> None:
    (tmp_path / CALIBRATION).write_text(text, encoding="utf-8")
    with pytest.raises(ModelError):
        load_calibrator(tmp_path)


def test_a_model_with_a_broken_calibration_file_fails_to_load_with_one_line(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    model = tmp_path / "m"
    shutil.copytree(tiny_model_dir(tmp_path_factory), model)
    (model / CALIBRATION).write_text("[1, 2", encoding="utf-8")
    done = runner.invoke(app, ["ask", str(TABLE), QUESTION, "--model", str(model)])
    assert done.exit_code == 2
    assert done.stderr.startswith(f"error: {model / CALIBRATION}: ")


# ---------------------------------------------------------------------------- bands, remarks


@pytest.mark.parametrize("confidence, band", [(0.95, LIKELY_RIGHT), (0.6, LIKELY_RIGHT), (0.59, UNSURE),
                                              (0.2, UNSURE), (0.19, LIKELY_WRONG), (0.0, LIKELY_WRONG)])  # fmt: skip
def test_bands_split_at_their_thresholds(confidence: float, band: str) -> None:
    assert Bands(0.6, 0.2).of(confidence) == band


@pytest.mark.parametrize(
    "question, one",
    [
        ("which team was the last to win?", True),
        ("who is the tallest player?", True),
        ("what is the name of the first album?", True),
        ("in which year was the bridge built?", True),
        ("what's the longest river?", True),
        ("which teams were the last to win?", False),
        ("who are the players from spain?", False),
        ("list the teams that won", False),
        ("name all the albums released in 2010", False),
        ("which teams won both cups?", False),
        ("how many teams won?", False),
        ("which was released earlier, a or b?", False),
        ("what were the top 3 teams?", False),
        ("the team that won in 2010", False),
    ],
)
def test_asks_for_one(question: str, one: bool) -> None:
    assert asks_for_one(question) is one


def test_a_long_list_for_one_thing_gets_a_remark() -> None:
    assert remarks_of(signals(asks_one=True, n_items=6))
    assert not remarks_of(signals(asks_one=True, n_items=5))  # five items is not yet a long list
    assert not remarks_of(signals(asks_one=False, n_items=40))  # the question asks for several


def test_signals_of_a_looked_up_answer_that_repeats_the_question() -> None:
    from npqa.grammars.ops import LANGUAGE
    from npqa.lang.executor import trace
    from npqa.lang.language import Step
    from npqa.lang.textform import to_text
    from npqa.model.decode import Choice, Decoded
    from npqa.model.features import Vocab
    from npqa.model.inputs import prepare_item
    from npqa.table.read import load_table

    table = load_table(pd.DataFrame({"City": ["Oslo", "Lima", "Rome"], "Population": ["700,000", "9,700,000", "2,800,000"]}))
    question = "which city is bigger, oslo or lima?"
    item = prepare_item(table, question, Vocab.build([]), LANGUAGE, rows=False)
    k = next(i for i, c in enumerate(item.linked.constants) if c.text.lower() == "oslo")
    steps = [Step("word_match", "City", item.constants[k]), Step("keep"), Step("keep"), Step("print", "City")]
    choices = (Choice(steps[0], 0.5, 0.5, 1.0, k), Choice(steps[1], 0.9, 0.9, None, None),
               Choice(steps[2], 0.9, 0.9, None, None), Choice(steps[3], 0.8, 0.8, 1.0, None))  # fmt: skip
    program = LANGUAGE.canonical(steps)
    run = trace(program, table, LANGUAGE)
    best = Decoded(program, to_text(program, LANGUAGE), run.answer, 0.324, choices, run.rows, runner_up=0.2)
    s = signals_of(item, best)
    assert list(run.answer.items) == ["Oslo"]
    assert (s.answer_in_question, s.or_question, s.asks_one) == (True, True, False)
    assert (s.program_prob, s.runner_up_prob, s.min_step_prob) == (0.324, 0.2, 0.5)
    assert (s.n_items, s.terminal, s.real_steps, s.n_rows) == (1, "print", 2, 3)
    assert s.used_column_match > s.unused_column_match  # "city" is in the question, "population" is not
    # the answer's mass: its own probability plus that of other programs giving the same answer
    same = replace(best, confidence=0.1)
    other = replace(best, confidence=0.05, answer=replace(run.answer, items=("Lima",)))
    assert signals_of(item, best, others=[best, same, other]).answer_mass == pytest.approx(0.424)
    assert signals_of(item, best).answer_mass == 0.324


# ---------------------------------------------------------------------------- API and command line


def test_without_a_calibrator_confidence_is_the_program_probability(tmp_path_factory: pytest.TempPathFactory) -> None:
    result = TableQA.load(tiny_model_dir(tmp_path_factory)).ask(str(TABLE), QUESTION)
    assert result.confidence == result.program_prob
    assert result.band is None


def test_with_a_calibrator_confidence_is_calibrated_and_banded(calibrated_model: Path) -> None:
    qa = TableQA.load(calibrated_model)
    result = qa.ask(str(TABLE), QUESTION)
    assert result.band in BANDS
    assert result.band == qa.calibrator.bands.of(result.confidence)
    assert result.confidence == pytest.approx(qa.calibrator.confidence(result.signals))
    assert 0.0 < result.program_prob <= 1.0


def test_confidence_does_not_depend_on_how_many_programs_are_shown(calibrated_model: Path) -> None:
    qa = TableQA.load(calibrated_model)
    one, three = qa.ask(str(TABLE), "which single came first?"), qa.ask(str(TABLE), "which single came first?", top=3)
    assert one.confidence == three.confidence


def test_to_json_is_the_string_of_to_dict(calibrated_model: Path) -> None:
    result = TableQA.load(calibrated_model).ask(str(TABLE), QUESTION)
    assert isinstance(result.to_json(), str)
    assert json.loads(result.to_json()) == result.to_dict()
    assert {"program_prob", "band", "remarks", "abstained"} <= set(result.to_dict())


def test_api_withholds_an_answer_below_min_confidence(calibrated_model: Path) -> None:
    qa = TableQA.load(calibrated_model)
    kept = qa.ask(str(TABLE), QUESTION, min_confidence=0.0)
    withheld = qa.ask(str(TABLE), QUESTION, min_confidence=1.0, top=3)
    assert not kept.abstained and kept.answer
    assert withheld.abstained and withheld.answer == [] and withheld.alternatives == []
    assert (withheld.program, withheld.confidence) == (kept.program, kept.confidence)


def test_api_refuses_a_min_confidence_outside_zero_one(calibrated_model: Path) -> None:
    with pytest.raises(ValueError):
        TableQA.load(calibrated_model).ask(str(TABLE), QUESTION, min_confidence=1.5)


def test_ask_text_shows_the_band_and_its_dev_accuracy(calibrated_model: Path) -> None:
    done = runner.invoke(app, ["ask", str(TABLE), QUESTION, "--model", str(calibrated_model)])
    assert done.exit_code == 0, done.stderr
    line = next(l for l in done.stdout.splitlines() if l.startswith("confidence:"))
    assert any(band in line for band in BANDS)
    assert "of such answers were right on dev" in line


def test_ask_text_says_when_the_model_has_no_calibrator(tmp_path_factory: pytest.TempPathFactory) -> None:
    done = runner.invoke(app, ["ask", str(TABLE), QUESTION, "--model", str(tiny_model_dir(tmp_path_factory))])
    assert "this model has no calibrator" in done.stdout


def test_ask_withholds_below_min_confidence_with_one_clear_line_and_exit_zero(calibrated_model: Path) -> None:
    done = runner.invoke(app, ["ask", str(TABLE), QUESTION, "--model", str(calibrated_model), "--min-confidence", "1"])
    assert done.exit_code == 0
    assert "answer withheld: confidence" in done.stdout
    assert "below --min-confidence 1" in done.stdout


def test_ask_json_withheld_answer_is_empty_and_flagged(calibrated_model: Path) -> None:
    args = ["ask", str(TABLE), QUESTION, "--model", str(calibrated_model), "--json", "--min-confidence", "1"]
    data = json.loads(runner.invoke(app, args).stdout)
    assert data["abstained"] is True and data["answer"] == []


def test_ask_refuses_a_min_confidence_outside_zero_one(calibrated_model: Path) -> None:
    done = runner.invoke(app, ["ask", str(TABLE), QUESTION, "--model", str(calibrated_model), "--min-confidence", "2"])
    assert done.exit_code == 2


def test_ask_json_carries_the_long_list_remark(calibrated_model: Path, tmp_path: Path) -> None:
    rows = "\n".join(f"team{i},{i}" for i in range(12))
    table = tmp_path / "t.csv"
    table.write_text("Team,Points\n" + rows + "\n", encoding="utf-8")
    qa = TableQA.load(calibrated_model)
    # whatever the tiny model answers, the remark follows the rule on its answer
    result = qa.ask(str(table), "which team is the best?")
    assert result.signals is not None and result.signals.asks_one
    assert bool(result.remarks) == (len(result.answer) > 5)
    data = json.loads(runner.invoke(app, ["ask", str(table), "which team is the best?", "--json",
                                          "--model", str(calibrated_model)]).stdout)  # fmt: skip
    assert data["remarks"] == result.remarks


def test_model_info_shows_the_bands_with_their_dev_accuracy(calibrated_model: Path) -> None:
    text = runner.invoke(app, ["model-info", "--model", str(calibrated_model)]).stdout
    assert "calibration: confidence is the probability that the answer is right" in text
    for band in BANDS:
        assert f"band {band}:" in text
    data = json.loads(runner.invoke(app, ["model-info", "--model", str(calibrated_model), "--json"]).stdout)
    assert data["calibration"]["calibrated"] is True
    assert set(data["calibration"]["bands"]["accuracy"]) == set(BANDS)


def test_model_info_says_when_confidence_is_raw(tmp_path_factory: pytest.TempPathFactory) -> None:
    model = str(tiny_model_dir(tmp_path_factory))
    assert "calibration: none: confidence is the raw program probability" in runner.invoke(app, ["model-info", "--model", model]).stdout
    assert json.loads(runner.invoke(app, ["model-info", "--model", model, "--json"]).stdout)["calibration"]["calibrated"] is False


def test_calibrate_writes_a_json_calibrator_and_reports_cross_fitted_figures(calibrated_model: Path) -> None:
    cal = load_calibrator(calibrated_model)
    assert isinstance(cal, Calibrator)
    assert cal.report["questions"] == 20
    assert {"ece", "auroc", "top50"} <= set(cal.report["cross_fitted"])
    assert not any(p.suffix in (".pkl", ".pickle", ".npy", ".npz") for p in calibrated_model.iterdir())


def test_calibrate_json_prints_the_report(calibrated_model: Path, tmp_path: Path) -> None:
    model = tmp_path / "m"
    shutil.copytree(calibrated_model, model)
    args = ["calibrate", "--model", str(model), "--data", str(TINY_TSV), "--tables-root", str(TINY), "--json"]
    data = json.loads(runner.invoke(app, args).stdout)
    assert data["calibration"] == str(model / CALIBRATION)
    assert data["questions"] == 20 and "cross_fitted" in data


def test_calibrate_refuses_a_directory_that_is_not_a_model(tmp_path: Path) -> None:
    args = ["calibrate", "--model", str(tmp_path), "--data", str(TINY_TSV), "--tables-root", str(TINY)]
    done = runner.invoke(app, args)
    assert done.exit_code == 2
    assert not (tmp_path / CALIBRATION).exists()


def test_predict_writes_the_id_alone_below_min_confidence(calibrated_model: Path, tmp_path: Path) -> None:
    preds = tmp_path / "p.tsv"
    args = ["predict", str(TINY_TSV), "--tables-root", str(TINY), "--out", str(preds), "--model", str(calibrated_model)]
    assert runner.invoke(app, [*args, "--min-confidence", "1"]).exit_code == 0
    lines = preds.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 20 and all("\t" not in line for line in lines)
    assert runner.invoke(app, [*args, "--min-confidence", "0"]).exit_code == 0
    assert any("\t" in line for line in preds.read_text(encoding="utf-8").splitlines())


def test_eval_reports_accuracy_and_coverage_at_thresholds(calibrated_model: Path) -> None:
    args = ["eval", str(TINY_TSV), "--tables-root", str(TINY), "--model", str(calibrated_model)]
    text = runner.invoke(app, args).stdout
    for p in ("0.3", "0.5", "0.7"):
        assert f"min_confidence={p}: coverage=" in text
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert [row["min_confidence"] for row in data["abstain"]] == [0.3, 0.5, 0.7]
    assert all(0.0 <= row["coverage"] <= 1.0 for row in data["abstain"])
    coverages = [row["coverage"] for row in data["abstain"]]
    assert coverages == sorted(coverages, reverse=True)


def test_ask_with_a_calibrated_model_never_imports_torch(calibrated_model: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom npqa.cli import main\nsys.argv = ['npqa', 'ask', sys.argv[1], sys.argv[2], '--json', '--model', sys.argv[3]]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(TABLE), QUESTION, str(calibrated_model)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["band"] in BANDS


@pytest.mark.parametrize("module", ["npqa.model.calibrate", "npqa.cli.ask"])
def test_the_docstring_examples_hold(module: str) -> None:
    import doctest
    import importlib

    failed, tried = doctest.testmod(importlib.import_module(module))
    assert tried > 0 and failed == 0
