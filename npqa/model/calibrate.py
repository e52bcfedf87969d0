"""How far to trust an answer: its signals, the calibrator, the bands, the remarks.

The controller's program probability ranks answers but is over-confident. A
small logistic regression over a few *signals* of the answer (the program's
probability, its margin to the next program, the answer's size, the terminal
op, whether the answer only repeats the question…) turns them into the
probability that the answer is right. It is fitted on dev predictions of a
model (:func:`fit_calibrator`, ``npqa calibrate``) and stored beside the
weights as ``calibration.json`` (plain JSON: never a pickle); reading it and
applying it need numpy only, so ``npqa ask`` still never imports torch.

A model directory without ``calibration.json`` (a fresh ``npqa train``) gives
the raw program probability as the confidence (:func:`load_calibrator` returns
``None``).

The figures (:func:`ece`, :func:`auroc`, :func:`top_accuracy`) are the ones
``bench/calibration.py`` and ``npqa calibrate`` report.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from npqa.errors import ModelError
from npqa.table.text import match_text

CALIBRATION = "calibration.json"
FORMAT = "npqa-calibration/1"
LIKELY_RIGHT, UNSURE, LIKELY_WRONG = "likely right", "unsure", "likely wrong"
BANDS = (LIKELY_RIGHT, UNSURE, LIKELY_WRONG)
ABSTAIN_THRESHOLDS = (0.3, 0.5, 0.7)  # eval's accuracy and coverage when answers below these are withheld
LONG_LIST = 5  # an answer of more items than this, to a question asking for one thing, gets a remark
FLOOR = 1e-6  # probabilities are floored here before their log
SIGNAL_PROGRAMS = 8  # programs decoded for the answer-mass signal (Signals.answer_mass), each step's choices as wide as for one
L2 = 3.0  # the logistic regression's penalty on standardised weights (1, 3 and 10 measure alike on dev)


# -- one thing asked? -----------------------------------------------------------------------

_WH = {"which", "who", "whom", "whose", "what", "when", "where"}
_LEAD = {"in", "on", "at", "of", "for", "from", "to", "during", "by"}  # "in which year was …"
_SINGULAR = {"is", "was", "has", "does", "s"}  # "s": "what's", "who's"
_PLURAL = {
    "are", "were", "have", "do", "list", "all", "both", "each", "every", "ones", "names", "some", "any",
    "several", "many", "much", "top", "and", "or", "two", "three", "four", "five", "six", "seven", "eight",
    "nine", "ten",
}  # fmt: skip


def asks_for_one(question: str) -> bool:
    """Whether ``question`` asks for one thing: it starts with a wh-word (after at most
    one preposition), has a singular verb (is, was, has, does, 's) and no word that
    asks for several (are, were, list, all, both, each, and, or, how many, two…).

    On random-split-1-dev, 99% of the questions this rule picks have one gold item.

    >>> asks_for_one("which team was the last to win?"), asks_for_one("which teams were the last to win?")
    (True, False)
    >>> asks_for_one("list the teams that won"), asks_for_one("in which year was it built?")
    (False, True)
    """
    words = match_text(question).split()
    start = 1 if words and words[0] in _LEAD else 0
    if len(words) <= start or words[start] not in _WH:
        return False
    if any(w in _PLURAL for w in words):
        return False
    return any(w in _SINGULAR for w in words)


_AUX = {"is", "are", "was", "were", "did", "does", "do", "has", "have", "had", "can", "could", "will", "would", "should"}


def asks_yes_or_no(question: str) -> bool:
    """Whether ``question`` asks yes or no: it starts with an auxiliary verb (is,
    did, has…) and has no "or" ("is X or Y larger?" asks for one of two).

    On random-split-1-dev this rule picks 37 questions, 34 of them with the gold
    answer yes or no, and misses 2 of the 36 such gold answers.

    >>> asks_yes_or_no("did norway win more gold than japan?"), asks_yes_or_no("is enping or kaiping denser?")
    (True, False)
    """
    words = match_text(question).split()
    return bool(words) and words[0] in _AUX and "or" not in words


# -- the signals of one answer ----------------------------------------------------------------


@dataclass(frozen=True)
class Signals:
    """What the calibrator reads about one answer (all cheap: no extra forward pass,
    no other program executed)."""

    program_prob: float  # the chosen program's probability (product of its step probabilities)
    runner_up_prob: float  # the next distinct program's probability (0 when none)
    min_step_prob: float  # the least probable of the program's steps
    n_items: int  # answer items
    terminal: str  # the terminal op (print, count, sum…)
    answer_in_question: bool  # a looked-up answer whose every item is words of the question
    or_question: bool  # the question has " or " (often "which …, A or B?")
    real_steps: int  # steps other than keep/reset
    count_all: bool  # count(reset): every row counted
    unused_numbers: int  # numbers and dates of the question (by their words) the program does not use
    n_rows: int
    used_column_match: float  # best question/column-name overlap of a column the program uses
    unused_column_match: float  # best overlap of a column it does not use
    asks_one: bool  # :func:`asks_for_one`
    how_many: bool  # "how many" in the question
    total: bool  # "total" in the question
    yes_no: bool = False  # :func:`asks_yes_or_no`
    answer_mass: float = 0.0  # summed probability of the most likely programs (SIGNAL_PROGRAMS) that give this answer
    member_agreement: float = 1.0  # share of an ensemble's members whose own best answer is the answer (1 for one model)


def member_agreement(answer: Sequence[str], member_answers: Sequence[Sequence[str] | None]) -> float:
    """The share of members whose own best answer (None: no program) is ``answer``,
    as a set of items; 1.0 without members (one model).

    >>> member_agreement(["3"], [["3"], ["4"]]), member_agreement(["a", "b"], [["b", "a"]]), member_agreement(["3"], [])
    (0.5, 1.0, 1.0)
    """
    if not member_answers:
        return 1.0
    want = set(answer)
    return sum(a is not None and set(a) == want for a in member_answers) / len(member_answers)


def signals_of(item: Any, best: Any, agreement: float = 1.0, others: Sequence[Any] = ()) -> Signals:
    """The signals of ``best`` (a :class:`npqa.model.decode.Decoded`) for ``item``
    (a :class:`npqa.model.inputs.Item`); ``agreement`` is :func:`member_agreement`,
    ``others`` the most likely programs decoded with it (``best`` among them or not)."""
    question = match_text(item.question)
    padded = f" {question} "
    items = list(best.answer.items)
    steps = [c.step for c in best.choices]
    terminal = steps[-1].op if steps else ""
    normed = [match_text(a) for a in items]
    constants = item.linked.constants
    used_spans = {(constants[c.constant_index].start, constants[c.constant_index].end)
                  for c in best.choices if c.constant_index is not None}  # fmt: skip
    number_spans = {(c.start, c.end) for c in constants if c.kind in ("number", "date")}  # "2010" is both
    used_cols = {s.column for s in steps if s.column is not None}
    names = [c.name for c in item.table.columns]
    name_match = np.asarray(item.linked.column_name_match, dtype=float)  # (C,)
    used = [float(m) for n, m in zip(names, name_match) if n in used_cols]
    unused = [float(m) for n, m in zip(names, name_match) if n not in used_cols]
    return Signals(
        program_prob=float(best.confidence),
        runner_up_prob=float(getattr(best, "runner_up", 0.0)),
        min_step_prob=min((float(c.prob) for c in best.choices), default=0.0),
        n_items=len(items),
        terminal=terminal,
        answer_in_question=bool(normed) and terminal == "print" and all(a and f" {a} " in padded for a in normed),
        or_question=" or " in padded,
        real_steps=sum(1 for s in steps if s.op not in ("keep", "reset")),
        count_all=terminal == "count" and all(s.op in ("keep", "reset", "count") for s in steps),
        unused_numbers=len(number_spans - used_spans),
        n_rows=int(item.table.n_rows),
        used_column_match=max(used, default=0.0),
        unused_column_match=max(unused, default=0.0),
        asks_one=asks_for_one(item.question),
        how_many=" how many " in padded,
        total=" total " in padded,
        yes_no=asks_yes_or_no(item.question),
        answer_mass=float(best.confidence) + sum(
            float(o.confidence) for o in others if o is not best and set(o.answer.items) == set(items)
        ),
        member_agreement=float(agreement),
    )


def _log(p: float) -> float:
    return math.log(max(p, FLOOR))


FEATURES: dict[str, Any] = {
    "log_prob": lambda s: _log(s.program_prob),
    "log_margin": lambda s: _log(s.program_prob) - _log(s.runner_up_prob),
    "log_min_step": lambda s: _log(s.min_step_prob),
    "log_items": lambda s: math.log1p(s.n_items),
    "empty": lambda s: float(s.n_items == 0),
    "several": lambda s: float(s.n_items > 1),
    "print": lambda s: float(s.terminal == "print"),
    "count": lambda s: float(s.terminal == "count"),
    "sum": lambda s: float(s.terminal == "sum"),
    "difference": lambda s: float(s.terminal == "difference"),
    "answer_in_question": lambda s: float(s.answer_in_question),
    "or_question": lambda s: float(s.or_question),
    "or_and_answer_in_question": lambda s: float(s.or_question and s.answer_in_question),
    "real_steps": lambda s: float(s.real_steps),
    "count_all": lambda s: float(s.count_all),
    "unused_numbers": lambda s: float(min(s.unused_numbers, 2)),
    "log_rows": lambda s: math.log1p(s.n_rows),
    "used_column_match": lambda s: s.used_column_match,
    "unused_column_match": lambda s: s.unused_column_match,
    "asks_one": lambda s: float(s.asks_one),
    "asks_one_several": lambda s: float(s.asks_one and s.n_items > 1),
    "how_many_print": lambda s: float(s.how_many and s.terminal == "print"),
    "total_count": lambda s: float(s.total and s.terminal == "count"),
    "exists": lambda s: float(s.terminal == "exists"),
    "yes_no_mismatch": lambda s: float(s.yes_no != (s.terminal == "exists")),
    "members_disagree": lambda s: 1.0 - s.member_agreement,
    "log_answer_mass": lambda s: _log(s.answer_mass),
}
"""Every feature a calibrator may use, by the name ``calibration.json`` lists."""


def feature_matrix(signals: Sequence[Signals], names: Sequence[str]) -> np.ndarray:
    """(N, F) features of ``signals``."""
    return np.array([[FEATURES[n](s) for n in names] for s in signals], dtype=float).reshape(len(signals), len(names))


# -- the calibrator ---------------------------------------------------------------------------


@dataclass
class Bands:
    """Where the bands start, and how often answers in each were right on dev."""

    likely_right_from: float = 0.6  # confidence >= this: "likely right"
    likely_wrong_below: float = 0.2  # confidence < this: "likely wrong"; between: "unsure"
    accuracy: dict[str, float] = field(default_factory=dict)  # band -> share right (measured cross-fitted)
    share: dict[str, float] = field(default_factory=dict)  # band -> share of dev answers

    def of(self, confidence: float) -> str:
        """The band of a calibrated confidence."""
        if confidence >= self.likely_right_from:
            return LIKELY_RIGHT
        return LIKELY_WRONG if confidence < self.likely_wrong_below else UNSURE


@dataclass
class Calibrator:
    """Logistic regression on standardised features: P(right) = sigmoid(bias + w · (x - mean) / scale)."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    bands: Bands = field(default_factory=Bands)
    report: dict[str, Any] = field(default_factory=dict)  # how it was fitted and what it measured

    def __post_init__(self) -> None:
        unknown = [n for n in self.features if n not in FEATURES]
        if unknown:
            raise ValueError(f"unknown calibration features: {', '.join(unknown)}")
        if not len(self.features) == len(self.mean) == len(self.scale) == len(self.weights):
            raise ValueError("features, mean, scale and weights must have one entry per feature")

    def probabilities(self, signals: Sequence[Signals]) -> np.ndarray:
        """(N,) calibrated probabilities that each answer is right."""
        x = (feature_matrix(signals, self.features) - np.asarray(self.mean)) / np.asarray(self.scale)  # (N, F)
        return _sigmoid(x @ np.asarray(self.weights) + self.bias)

    def confidence(self, signals: Signals) -> float:
        """The calibrated probability that one answer is right."""
        return float(self.probabilities([signals])[0])

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": "logistic",
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "bias": self.bias,
            "bands": {
                "likely_right_from": self.bands.likely_right_from,
                "likely_wrong_below": self.bands.likely_wrong_below,
                "accuracy": dict(self.bands.accuracy),
                "share": dict(self.bands.share),
            },
            "report": self.report,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> "Calibrator":
        """Raises ``ValueError``/``KeyError``/``TypeError`` on a malformed dict."""
        if raw.get("format") != FORMAT or raw.get("kind") != "logistic":
            raise ValueError(f"not a {FORMAT} logistic calibrator")
        b = raw.get("bands", {})
        bands = Bands(float(b["likely_right_from"]), float(b["likely_wrong_below"]),
                      {str(k): float(v) for k, v in b.get("accuracy", {}).items()},
                      {str(k): float(v) for k, v in b.get("share", {}).items()})  # fmt: skip
        floats = {k: [float(v) for v in raw[k]] for k in ("mean", "scale", "weights")}
        if not all(math.isfinite(v) for vs in floats.values() for v in vs) or not all(v > 0 for v in floats["scale"]):
            raise ValueError("mean, scale and weights must be finite numbers, scales positive")
        return cls([str(n) for n in raw["features"]], **floats, bias=float(raw["bias"]), bands=bands,
                   report=dict(raw.get("report", {})))  # fmt: skip

    def save(self, directory: str | Path) -> Path:
        """Write ``directory/calibration.json`` (atomically); returns its path."""
        from npqa.model.files import atomic_write

        path = Path(directory) / CALIBRATION
        atomic_write(path, (json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        return path


def load_calibrator(directory: str | Path) -> Calibrator | None:
    """The calibrator in ``directory/calibration.json``; ``None`` when there is none.
    Raises :class:`ModelError` for a file that is not a valid calibrator."""
    path = Path(directory) / CALIBRATION
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(str(path), f"not a readable calibration file ({type(err).__name__})") from None
    try:
        return Calibrator.from_dict(raw)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ModelError(str(path), f"not a valid calibration file: {err}") from None


# -- fitting ----------------------------------------------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * z) + 1.0)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2, iterations: int = 100) -> tuple[np.ndarray, float]:
    """Weights (F,) and bias of an L2-penalised logistic regression (the bias unpenalised),
    by Newton's method. ``x``: (N, F) features, ``y``: (N,) 0/1 labels."""
    n, f = x.shape
    a = np.concatenate([np.ones((n, 1)), x], 1)  # (N, F+1)
    penalty = np.full(f + 1, float(l2))
    penalty[0] = 0.0
    w = np.zeros(f + 1)
    for _ in range(iterations):
        p = _sigmoid(a @ w)  # (N,)
        grad = a.T @ (p - y) + penalty * w  # (F+1,)
        hess = (a * (p * (1 - p))[:, None]).T @ a + np.diag(penalty) + 1e-9 * np.eye(f + 1)  # (F+1, F+1)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w[1:], float(w[0])


def fit_calibrator(
    signals: Sequence[Signals], right: Sequence[bool], features: Sequence[str] = tuple(FEATURES), l2: float = L2,
    bands: Bands | None = None,
) -> Calibrator:  # fmt: skip
    """A calibrator fitted on answers (``signals``) and whether each was right."""
    if not signals:
        raise ValueError("no answers to fit a calibrator on")
    x = feature_matrix(signals, features)  # (N, F)
    mean, scale = x.mean(0), x.std(0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    w, b = fit_logistic((x - mean) / scale, np.asarray(right, dtype=float), l2)
    base = bands or Bands()
    return Calibrator(list(features), mean.tolist(), scale.tolist(), w.tolist(), b,
                      Bands(base.likely_right_from, base.likely_wrong_below))  # fmt: skip


def table_folds(groups: Sequence[str], seed: int = 0) -> np.ndarray:
    """bool (N,): True for the answers whose group (table) falls in the first of two
    halves of the distinct groups, shuffled with ``seed``."""
    distinct = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(distinct))
    first = {distinct[i] for i in order[: len(distinct) // 2]}
    return np.array([g in first for g in groups], dtype=bool)


def cross_fit(
    signals: Sequence[Signals], right: Sequence[bool], groups: Sequence[str], seed: int = 0, **options: Any
) -> np.ndarray:
    """(N,) probabilities, each from a calibrator fitted on the other fold of tables
    (two folds by ``groups``): what a calibrator does on tables it was not fitted on."""
    fold = table_folds(groups, seed)
    y = np.asarray(right, dtype=bool)
    out = np.zeros(len(signals))
    for part in (fold, ~fold):
        fit_on = np.flatnonzero(~part)
        cal = fit_calibrator([signals[i] for i in fit_on], y[fit_on], **options)
        out[part] = cal.probabilities([signals[i] for i in np.flatnonzero(part)])
    return out


# -- figures ----------------------------------------------------------------------------------


def ece(probs: Sequence[float], right: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error over ``bins`` equal-width bins of [0, 1]: the
    answer-weighted mean of |mean confidence - share right| per bin.

    >>> round(ece([0.9, 0.9, 0.1, 0.1], [True, False, False, False]), 3)  # (2 × 0.4 + 2 × 0.1) / 4
    0.25
    """
    p, y = np.asarray(probs, dtype=float), np.asarray(right, dtype=float)
    if len(p) == 0:
        return 0.0
    which = np.minimum((p * bins).astype(int), bins - 1)  # (N,)
    total = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            total += m.sum() * abs(p[m].mean() - y[m].mean())
    return float(total / len(p))


def auroc(scores: Sequence[float], right: Sequence[bool]) -> float:
    """Area under the ROC curve of ``scores`` separating right from wrong answers
    (ties count one half); 0.5 when one class is missing.

    >>> auroc([0.9, 0.8, 0.3, 0.1], [True, False, True, False])
    0.75
    """
    s, y = np.asarray(scores, dtype=float), np.asarray(right, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return 0.5
    order = np.argsort(s, kind="stable")
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    for v in np.unique(s):  # average ranks over ties
        tie = s == v
        ranks[tie] = ranks[tie].mean()
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def top_accuracy(scores: Sequence[float], right: Sequence[bool], share: float) -> float:
    """Share right among the ``share`` most confident answers (at least one answer).

    >>> top_accuracy([0.9, 0.8, 0.3, 0.1], [True, False, True, False], 0.5)
    0.5
    """
    s, y = np.asarray(scores, dtype=float), np.asarray(right, dtype=float)
    k = max(1, int(round(share * len(s))))
    return float(y[np.argsort(-s, kind="stable")[:k]].mean())


def figures(probs: Sequence[float], right: Sequence[bool]) -> dict[str, float]:
    """ECE, AUROC, accuracy of the most confident 25/50/75%, mean confidence and accuracy."""
    p, y = np.asarray(probs, dtype=float), np.asarray(right, dtype=bool)
    return {
        "ece": round(ece(p, y), 4),
        "auroc": round(auroc(p, y), 4),
        "top25": round(top_accuracy(p, y, 0.25), 4),
        "top50": round(top_accuracy(p, y, 0.50), 4),
        "top75": round(top_accuracy(p, y, 0.75), 4),
        "mean_confidence": round(float(p.mean()) if len(p) else 0.0, 4),
        "accuracy": round(float(y.mean()) if len(y) else 0.0, 4),
        "answers": int(len(p)),
    }


def band_figures(probs: Sequence[float], right: Sequence[bool], bands: Bands) -> tuple[dict[str, float], dict[str, float]]:
    """(accuracy, share) of each band for these probabilities."""
    p, y = np.asarray(probs, dtype=float), np.asarray(right, dtype=float)
    names = np.array([bands.of(float(v)) for v in p])
    acc, share = {}, {}
    for band in BANDS:
        m = names == band
        acc[band] = round(float(y[m].mean()), 4) if m.any() else 0.0
        share[band] = round(float(m.mean()), 4) if len(p) else 0.0
    return acc, share


def abstention(confidence: Sequence[float], right: Sequence[bool], floor: float) -> dict[str, Any]:
    """Coverage (share answered) and accuracy among the answered when answers below ``floor`` are withheld.

    >>> abstention([0.9, 0.6, 0.2, 0.1], [True, False, True, False], 0.5)
    {'min_confidence': 0.5, 'coverage': 0.5, 'accuracy': 0.5, 'answered': 2}
    """
    kept = [ok for conf, ok in zip(confidence, right) if conf >= floor]
    return {"min_confidence": floor, "coverage": len(kept) / max(len(right), 1),
            "accuracy": sum(kept) / max(len(kept), 1), "answered": len(kept)}  # fmt: skip


# -- what a person reads ----------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    """How far to trust one answer."""

    confidence: float  # calibrated P(right); the program probability when there is no calibrator
    band: str | None  # likely right / unsure / likely wrong; None without a calibrator
    remarks: tuple[str, ...]  # warnings a person should read with the answer
    signals: Signals


def remarks_of(signals: Signals) -> tuple[str, ...]:
    """Remarks on an answer: a long list for a question that asks for one thing; an
    answer that is not yes or no to a question asking yes or no, or the other way.

    >>> s = Signals(0.5, 0.1, 0.5, 12, "print", False, False, 1, False, 0, 20, 1.0, 0.0, True, False, False)
    >>> remarks_of(s)
    ('the question asks for one thing but the answer lists 12 items: it is probably wrong',)
    >>> remarks_of(Signals(0.5, 0.1, 0.5, 1, "count", False, False, 1, False, 0, 20, 1.0, 0.0, False, False, False, True))
    ('the question asks yes or no but the answer is not yes or no: it is probably wrong',)
    """
    out = []
    if signals.asks_one and signals.n_items > LONG_LIST:
        out.append(f"the question asks for one thing but the answer lists {signals.n_items} items: it is probably wrong")
    if signals.yes_no and signals.terminal != "exists":
        out.append("the question asks yes or no but the answer is not yes or no: it is probably wrong")
    elif signals.terminal == "exists" and not signals.yes_no:
        out.append("the answer is yes or no but the question does not ask yes or no: it is probably wrong")
    return tuple(out)


def assess(calibrator: Calibrator | None, item: Any, best: Any, agreement: float = 1.0, others: Sequence[Any] = ()) -> Assessment:
    """The confidence, band and remarks of ``best`` (a decoded program) for ``item``;
    ``agreement`` is :func:`member_agreement` (1 for one model), ``others`` the
    most likely programs decoded with it."""
    signals = signals_of(item, best, agreement, others)
    if calibrator is None:
        return Assessment(signals.program_prob, None, remarks_of(signals), signals)
    confidence = calibrator.confidence(signals)
    return Assessment(confidence, calibrator.bands.of(confidence), remarks_of(signals), signals)
