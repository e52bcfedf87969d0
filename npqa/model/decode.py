"""From the controller's distributions to hard programs.

At each step the most likely op, then the most likely column and constant
that op accepts (jointly, among the pairs that type-check), form one raw step;
the raw steps' canonical program is executed by the reference executor, so
the answer shown is always that program's answer. Confidence is the product
of the chosen probabilities. ``top_k`` programs come from a small beam over
the per-step choices.

Probabilities within :data:`TIE` (relative) of each other are ties, ranked in a
fixed order (op, column left to right, constant in the question's order), so
that float round-off never decides between equals: two columns the model cannot
tell apart (``2 credits``, ``3 credits``) give the same program whatever the
engine (numpy or torch) and whichever questions share the batch.
The best program also records the probability of the next distinct program
(``runner_up``), found without executing it.

With adaptive computation time (the outputs carry ``halt``) a program stops
where its halting budget is spent: N row steps, N the first step at which the
halting distribution's running sum reaches ``ModelConfig.act_stop``
(:func:`halting_step`), then the terminal chosen at step N. The steps' op
probabilities already hold the halting chances (:mod:`npqa.model.controller`),
so a program's confidence is p_N times its choices.

Why ``act_stop`` is 1/2 (the halting distribution's median) and not Graves'
``1 - ε``: ACT's soft output runs until the budget is all but spent, then
mixes every step's output; a hard program has one length. Trained by the
marginal likelihood of consistent programs, p keeps real mass on the longer
consistent programs, so ``1 - ε`` stops nearly every program at the longest
length with any mass; on ``random-split-1-dev`` the same trained models lose
7 to 9 points that way (BENCHMARKS.md, "Adaptive computation time").
"""
from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TypeVar

import numpy as np

from npqa.errors import ProgramError
from npqa.model.config import ACT_EPSILON
from npqa.table.column import Table
from npqa.lang.executor import Answer, trace
from npqa.lang.language import ConstValue, Language, Program, Step
from npqa.lang.textform import to_text


TIE = 1e-5  # relative: closer probabilities are equal for ranking (float32 round-off is about 1e-6)
T = TypeVar("T")


def best_first(candidates: Sequence[T], prob: Callable[[T], float], limit: int | None = None) -> list[T]:
    """``candidates`` by descending ``prob``; a run of probabilities within :data:`TIE`
    of its first keeps the candidates' given order. At most ``limit`` (all if None).

    >>> best_first(["a", "b", "c"], {"a": 0.2, "b": 0.5, "c": 0.5000001}.get)
    ['b', 'c', 'a']
    """
    probs = [prob(c) for c in candidates]
    ranked = sorted(range(len(candidates)), key=lambda i: -probs[i])
    out: list[T] = []
    start = 0
    while start < len(ranked) and (limit is None or len(out) < limit):
        head = probs[ranked[start]]
        end = start + 1
        while end < len(ranked) and probs[ranked[end]] >= head - TIE * abs(head):
            end += 1
        out.extend(candidates[i] for i in sorted(ranked[start:end]))
        start = end
    return out if limit is None else out[:limit]


@dataclass(frozen=True)
class Choice:
    """One step as chosen: the raw step and the probabilities behind it."""

    step: Step
    prob: float  # op prob × column prob × constant prob
    op_prob: float
    column_prob: float | None
    constant_index: int | None


@dataclass
class Decoded:
    program: Program
    text: str
    answer: Answer
    confidence: float
    choices: tuple[Choice, ...]
    rows_after: tuple[np.ndarray, ...]  # bool (R,) after each canonical row step
    runner_up: float = 0.0  # probability of the next distinct program (set on the best one; 0 when none)


def step_choices(
    op_probs: np.ndarray,  # (O,)
    col_probs: np.ndarray,  # (O, C)
    const_probs: np.ndarray,  # (O, K)
    col_mask: np.ndarray,  # bool (O, C)
    pair_mask: np.ndarray,  # bool (O, C, K)
    op_mask: np.ndarray,  # bool (O,) ops allowed at this step
    language: Language,
    columns: Sequence[str],
    constants: Sequence[ConstValue],
    limit: int,
) -> list[Choice]:
    """The ``limit`` most likely raw steps of one step, best first (ties in op, column, constant order)."""
    ops = list(language)
    out: list[Choice] = []
    for o in range(len(ops)):
        if not op_mask[o] or op_probs[o] <= 0:
            continue
        spec = ops[o]
        if spec.column is None:
            out.append(Choice(Step(spec.name), float(op_probs[o]), float(op_probs[o]), None, None))
            continue
        C = len(columns)
        if spec.constant is None:
            pairs = [(col_probs[o, c], c, None) for c in range(C) if col_mask[o, c]]
        else:
            score = col_probs[o, :C, None] * const_probs[o, None, : len(constants)]  # (C, K)
            score = np.where(pair_mask[o, :C, : len(constants)], score, -1.0)
            pairs = [(score[c, k], c, k) for c, k in zip(*np.nonzero(score >= 0))]
        if len(pairs) > limit:  # those tied with the limit-th best stay in, for best_first to order
            cut = float(heapq.nlargest(limit, pairs, key=lambda x: x[0])[-1][0])
            pairs = [x for x in pairs if x[0] >= cut - TIE * abs(cut)]
        for p, c, k in best_first(pairs, lambda x: float(x[0]), limit):
            const = constants[k] if k is not None else None
            pc = float(col_probs[o, c])
            prob = float(op_probs[o]) * pc * (float(const_probs[o, k]) if k is not None else 1.0)
            out.append(Choice(Step(spec.name, columns[c], const), prob, float(op_probs[o]), pc, k))
    return best_first(out, lambda ch: ch.prob, limit)


def decode(
    op_probs: np.ndarray,  # (T, O)
    col_probs: np.ndarray,  # (T, O, C)
    const_probs: np.ndarray,  # (T, O, K)
    col_mask: np.ndarray,  # (O, C)
    pair_mask: np.ndarray,  # (O, C, K)
    op_mask: np.ndarray,  # (T, O) ops each step may choose on this table
    data: Table,
    constants: Sequence[ConstValue],
    language: Language,
    top_k: int = 1,
    width: int | None = None,
) -> list[Decoded]:
    """The ``top_k`` most likely distinct canonical programs, executed, among the
    combinations of each step's ``width`` most likely choices (default ``top_k`` + 2;
    a narrower width finds the same first programs as a top-``width - 2`` decode,
    and more after them cheaply)."""
    columns = [c.name for c in data.columns]
    width = width if width is not None else max(top_k, 1) + 2
    per_step = [
        step_choices(
            op_probs[t], col_probs[t], const_probs[t], col_mask, pair_mask, op_mask[t], language, columns, constants, width
        )
        for t in range(op_probs.shape[0])
    ]
    combos = best_first(
        list(itertools.product(*per_step)), lambda cs: float(np.prod([c.prob for c in cs])), max(top_k, 1) * 8
    )
    seen: set[str] = set()
    out: list[Decoded] = []
    for combo in combos:
        try:
            program = language.canonical(c.step for c in combo)
        except ProgramError:
            continue
        text = to_text(program, language)
        if text in seen:
            continue
        seen.add(text)
        conf = float(np.prod([c.prob for c in combo]))
        if len(out) == 1:
            out[0].runner_up = conf
        if len(out) >= max(top_k, 1):  # top_k == 1: the runner-up is found, not executed
            break
        run = trace(program, data, language)
        out.append(Decoded(program, text, run.answer, conf, tuple(combo), run.rows))
    return out


def halting_step(halt: np.ndarray, spent: float = 1 - ACT_EPSILON) -> int:
    """N: the first step at which the halting distribution ``halt`` (T,) has
    spent ``spent`` of its budget (running sum, in float64 as the forward passes
    decide); a program halting there has N row steps. The default is Graves' N,
    where the forward passes stop spending."""
    done = np.cumsum(np.asarray(halt, dtype=np.float64)) >= spent  # (T,)
    return int(np.argmax(done)) if done.any() else len(done) - 1


def decode_outputs(model: Any, out: Any, items: Sequence[Any], top_k: int = 1, width: int | None = None) -> list[list[Decoded]]:
    """Decoded programs for a batch of prepared items (:class:`npqa.model.inputs.Item`).

    ``model`` is the torch model or its numpy twin (:mod:`npqa.model.npcontroller`): only its
    ``language`` and ``config.steps`` are read; ``out``'s arrays may be tensors or
    numpy arrays. With ACT (``out.halt``) each program stops at its :func:`halting_step`
    for ``model.config.act_stop``.
    """
    from npqa.model.features import step_roles

    halt = getattr(out, "halt", None)
    results = []
    for b, it in enumerate(items):
        C, K = len(it.table.columns), len(it.linked.constants)
        T = model.config.steps if halt is None else halting_step(np.asarray(halt[b]), model.config.act_stop) + 1
        op_mask = step_roles(model.language, T) & it.enc.op_mask[None, :]  # (T, O): row ops, then the terminal
        results.append(
            decode(
                np.asarray(out.op_probs[b, :T]),
                np.asarray(out.col_probs[b, :T, :, :C]),
                np.asarray(out.const_probs[b, :T, :, :K]),
                it.enc.col_mask,
                it.enc.pair_mask,
                op_mask,
                it.table,
                it.constants,
                model.language,
                top_k=top_k,
                width=width,
            )
        )
    return results
