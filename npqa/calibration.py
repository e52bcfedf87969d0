"""Fitting a model's calibrator on a WTQ-style TSV (the library behind ``npqa calibrate``).

The model answers every question through the public API, table by table, as
``npqa ask`` does; each answer's signals (:class:`npqa.model.calibrate.Signals`)
and whether it is right (the official metric) are collected; a calibrator is
fitted on all of them and written to the model directory as ``calibration.json``.
What it is worth is measured *cross-fitted*: the questions are split into two
folds by table, a calibrator fitted on one fold is measured on the other, both
ways; the bands' accuracies are measured the same way. Refit it whenever the
model's weights change (a new shipped model, a retrained one).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from npqa.api import TableQA
from npqa.model.calibrate import (
    L2, Bands, Calibrator, Signals, band_figures, cross_fit, figures, fit_calibrator,
)  # fmt: skip
from npqa.train.metric import check
from npqa.train.wtq import group_by_table, read_examples


@dataclass
class Predictions:
    """A model's answers on a TSV: per question, its table, signals and verdict."""

    ids: list[str]
    tables: list[str]
    signals: list[Signals | None]  # None: no program type-checks (no answer)
    right: list[bool]

    def answered(self) -> np.ndarray:
        """Indices of the questions that got a program (the ones a calibrator sees)."""
        return np.array([i for i, s in enumerate(self.signals) if s is not None], dtype=int)


def collect(qa: TableQA, data: str | Path, tables_root: str | Path, on_table: Callable[[int], None] | None = None) -> Predictions:
    """Ask every question of ``data`` (a WTQ-style TSV) with ``qa``, table by table.
    ``on_table`` is called with the number of questions after each table."""
    examples = read_examples(Path(data))
    by_table = group_by_table(examples)
    found: dict[str, tuple[Signals | None, bool]] = {}
    for path, group in by_table.items():
        results = qa.ask_many(str(Path(tables_root) / path), [ex.question for ex in group])
        for ex, res in zip(group, results):
            found[ex.id] = (res.signals, check(ex.answers, res.answer))
        if on_table is not None:
            on_table(len(group))
    return Predictions([ex.id for ex in examples], [ex.table_path for ex in examples],
                       [found[ex.id][0] for ex in examples], [found[ex.id][1] for ex in examples])  # fmt: skip


def scored(preds: Predictions, probs_of_answered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, right) over every question: a question without a program scores 0."""
    probs = np.zeros(len(preds.ids))
    probs[preds.answered()] = probs_of_answered
    return probs, np.asarray(preds.right, dtype=bool)


def raw_probabilities(preds: Predictions) -> np.ndarray:
    """The program probability of each answered question."""
    return np.array([preds.signals[i].program_prob for i in preds.answered()])  # type: ignore[union-attr]


def calibrated(preds: Predictions, calibrator: Calibrator) -> np.ndarray:
    """The calibrator's probability of each answered question."""
    return calibrator.probabilities([preds.signals[i] for i in preds.answered()])  # type: ignore[misc]


def cross_fitted(preds: Predictions, seed: int = 0, l2: float = L2) -> np.ndarray:
    """Cross-fitted probabilities (two folds by table) of each answered question."""
    idx = preds.answered()
    return cross_fit([preds.signals[i] for i in idx], [preds.right[i] for i in idx],  # type: ignore[misc]
                     [preds.tables[i] for i in idx], seed=seed, l2=l2)  # fmt: skip


def fit(preds: Predictions, seed: int = 0, l2: float = L2, bands: Bands | None = None, about: dict[str, Any] | None = None) -> Calibrator:
    """The calibrator fitted on every answered question of ``preds``, its report holding
    the cross-fitted figures (and the raw program probability's, for comparison)
    and its bands' cross-fitted accuracy and share."""
    idx = preds.answered()
    cal = fit_calibrator([preds.signals[i] for i in idx], [preds.right[i] for i in idx], l2=l2, bands=bands)  # type: ignore[misc]
    crossed, right = scored(preds, cross_fitted(preds, seed, l2))
    cal.bands.accuracy, cal.bands.share = band_figures(crossed, right, cal.bands)
    cal.report = {
        **(about or {}),
        "questions": len(preds.ids),
        "answered": int(len(idx)),
        "accuracy": round(float(right.mean()) if len(right) else 0.0, 4),
        "cross_fitted": {**figures(crossed, right), "folds": f"two, by table (seed {seed})", "l2": l2},
        "program_prob": figures(*scored(preds, raw_probabilities(preds))),
    }
    return cal


def calibrate_model(
    model_dir: str | Path, data: str | Path, tables_root: str | Path, seed: int = 0, l2: float = L2,
    command: str = "", on_table: Callable[[int], None] | None = None,
) -> tuple[Calibrator, Path]:  # fmt: skip
    """Fit the calibrator of ``model_dir`` on ``data`` and write ``model_dir/calibration.json``."""
    qa = TableQA.load(model_dir)
    preds = collect(qa, data, tables_root, on_table)
    about = {"data": Path(data).name, "model_id": qa.config.get("model_id"), "command": command}
    cal = fit(preds, seed, l2, about=about)
    return cal, cal.save(model_dir)
