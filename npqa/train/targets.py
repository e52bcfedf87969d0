"""Weak-supervision targets: what kind of answer a question has and which
cells hold it, decided by the official metric's own matching.

Answer kinds (``../shared/INTERFACES.md``): ``lookup`` when every gold item
matches some cell, ``scalar`` for a single numeric gold item found in no cell,
``other`` for the rest; ``list`` flags more than one gold item.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from npqa.table.column import Table
from npqa.lang.oracle import Gold
from npqa.train.metric import (
    NUMBER_TOLERANCE, check_values, pred_value, strict_number, to_gold_values, to_pred_values, values_match,
)


@dataclass
class AnswerTargets:
    kind: str  # "lookup" | "scalar" | "other"
    is_list: bool
    cells: np.ndarray  # bool (R, C): cells whose text matches some gold item
    scalar: float  # the gold number when the answer is a single number, else NaN


def _gold_number(value: object) -> float:
    amount = getattr(value, "amount", None)
    return float(amount) if isinstance(amount, (int, float)) and math.isfinite(amount) else math.nan


def answer_targets(answers: Sequence[str], data: Table) -> AnswerTargets:
    """Targets of one question's gold ``answers`` on its table."""
    gold = to_gold_values(list(answers))
    R, C = data.n_rows, len(data.columns)
    cells = np.zeros((R, C), dtype=bool)
    found = [False] * len(gold)
    verdict: dict[str, list[bool]] = {}
    for j, col in enumerate(data.columns):
        for i, text in enumerate(col.texts):
            if not text:
                continue
            hits = verdict.get(text)
            if hits is None:
                pred = to_pred_values([text])[0]
                hits = verdict[text] = [values_match(g, pred) for g in gold]
            if any(hits):
                cells[i, j] = True
                found = [f or h for f, h in zip(found, hits)]
    number = _gold_number(gold[0]) if len(gold) == 1 else math.nan
    if gold and all(found):
        kind = "lookup"
    elif len(gold) == 1 and math.isfinite(number):
        kind = "scalar"
    else:
        kind = "other"
    return AnswerTargets(kind, len(gold) > 1, cells, number)


def gold(answers: Sequence[str]) -> Gold:
    """What the oracle needs to know of ``answers`` under the official metric,
    with every shortcut (:class:`npqa.lang.oracle.Gold`)."""
    values = to_gold_values(list(answers))
    return Gold(
        matches=lambda items: check_values(values, to_pred_values(list(items))),
        size=len(values),
        value_of=pred_value,
        item_hits=lambda item: tuple(values_match(g, pred_value(item)) for g in values),
        may_match=_may_match(values),
    )


def _may_match(values: Sequence[object]) -> Callable[[np.ndarray], np.ndarray]:
    """bool (N,) over computed numbers (N,): those whose written form
    (:func:`npqa.lang.executor.format_number`) can match ``values``.

    Such a form reads back (strictly) as a number equal to it, with itself as
    the normalised string, so it matches one gold value only by amount (a
    number gold value within the tolerance, amounts rounded as the metric
    rounds them) or by that string (the gold value's normalised string reads as
    exactly this number). Infinities are left to the verdict."""
    if len(values) != 1:
        return lambda xs: np.zeros(len(xs), dtype=bool)  # one number is never several values
    (value,) = values
    amount = getattr(value, "amount", None)
    as_text = strict_number(value.normalized)  # type: ignore[attr-defined]

    def may(xs: np.ndarray) -> np.ndarray:
        keep = np.isinf(xs)
        if amount is not None:
            near = np.round(xs)
            read = np.where(np.abs(xs - near) < NUMBER_TOLERANCE, near, xs)
            keep |= np.abs(amount - read) < NUMBER_TOLERANCE
        if as_text is not None:
            keep |= xs == as_text
        return keep

    return may


@dataclass
class DataStats:
    examples: int
    kinds: dict[str, int]
    lists: int

    def line(self) -> str:
        n = max(self.examples, 1)
        parts = [f"{k}={self.kinds.get(k, 0) / n:.3f}" for k in ("lookup", "scalar", "other")]
        return f"examples={self.examples} " + " ".join(parts) + f" list={self.lists / n:.3f}"
