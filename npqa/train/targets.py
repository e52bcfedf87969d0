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
from npqa.train.metric import check_values, to_gold_values, to_pred_values, values_match


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


def answer_matcher(answers: Sequence[str]) -> Callable[[tuple[str, ...]], bool]:
    """A test of predicted items against ``answers`` with the official metric."""
    gold = to_gold_values(list(answers))
    return lambda items: check_values(gold, to_pred_values(list(items)))


def answer_size(answers: Sequence[str]) -> int:
    """How many distinct values ``answers`` hold: an answer :func:`answer_matcher`
    accepts holds exactly that many (the oracle's shortcut, with ``pred_value``)."""
    return len(to_gold_values(list(answers)))


@dataclass
class DataStats:
    examples: int
    kinds: dict[str, int]
    lists: int

    def line(self) -> str:
        n = max(self.examples, 1)
        parts = [f"{k}={self.kinds.get(k, 0) / n:.3f}" for k in ("lookup", "scalar", "other")]
        return f"examples={self.examples} " + " ".join(parts) + f" list={self.lists / n:.3f}"
