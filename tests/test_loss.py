"""The training loss: MAPO's weighting of each question's consistent set."""
from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from npqa.grammars.ops import LANGUAGE
from npqa.model.batch import collate
from npqa.train.loss import compute_loss, program_log_prob
from npqa.train.prepare import load_split, prepare
from test_npmodel import TINY, tiny, torch_model


def _batch_and_outputs() -> tuple[dict, object]:
    vocab, _ = tiny()
    examples, tables = load_split(TINY / "data" / "tiny.tsv", TINY)
    items, _ = prepare(examples, tables, vocab, LANGUAGE, 4, targets=True)
    batch = collate([it.enc for it in items[:8]])
    with torch.no_grad():
        out = torch_model(2, 0.3)(batch)
    return batch, out


BATCH, OUT = _batch_and_outputs()


@settings(max_examples=20, deadline=None)
@given(st.floats(0.001, 1.0))
def test_mapo_weighs_each_question_by_its_consistent_mass_clipped_below(alpha: float) -> None:
    """mml = Σ max(π(B), α) · −log π(B) over questions with programs, / the questions trained."""
    plain = compute_loss(OUT, BATCH, 0.0)
    weighted = compute_loss(OUT, BATCH, 0.0, mapo=alpha)
    lp = program_log_prob(OUT, BATCH["programs"]).masked_fill(~BATCH["program_valid"], -1e9)  # (B, P)
    nll = -torch.logsumexp(lp, 1)  # (B,)
    has = BATCH["program_valid"].any(1)
    share = float(plain.mml) / float(nll[has].sum())  # 1 / the number of questions trained
    want = float((torch.exp(-nll).clamp_min(alpha) * nll)[has].sum()) * share
    assert math.isclose(float(weighted.mml), want, rel_tol=1e-5)


def test_mapo_at_one_is_the_plain_likelihood() -> None:
    """π(B) ≤ 1, so α = 1 weighs every question by 1."""
    assert math.isclose(float(compute_loss(OUT, BATCH, 0.1, mapo=1.0).total), float(compute_loss(OUT, BATCH, 0.1).total), rel_tol=1e-6)


def test_mapo_lowers_the_weight_of_questions_the_model_doubts() -> None:
    assert float(compute_loss(OUT, BATCH, 0.0, mapo=0.1).mml) < float(compute_loss(OUT, BATCH, 0.0).mml)
