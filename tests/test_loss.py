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


def _loss_with_ranks(ranks: torch.Tensor, prior: float) -> float:
    return float(compute_loss(OUT, {**BATCH, "program_rank": ranks}, 0.0, prior=prior).mml)


def test_prepared_programs_carry_their_ranks_best_first() -> None:
    """Each consistent program keeps the rank that chose it, in the order kept."""
    ranks, valid = BATCH["program_rank"], BATCH["program_valid"]
    assert valid.any()
    for b in range(ranks.shape[0]):
        kept = ranks[b][valid[b]]
        assert torch.all(kept[1:] >= kept[:-1])
        assert torch.all(ranks[b][~valid[b]] == 0)


def test_a_prior_of_zero_is_the_plain_likelihood() -> None:
    plain = float(compute_loss(OUT, BATCH, 0.0).mml)
    assert _loss_with_ranks(torch.randn_like(BATCH["program_rank"]), 0.0) == plain


@settings(max_examples=20, deadline=None)
@given(st.floats(-3.0, 3.0), st.floats(0.01, 2.0))
def test_a_prior_that_ranks_every_program_alike_shifts_the_loss_by_beta_times_rank(rank: float, beta: float) -> None:
    """exp(-β·r) for every program of a question is one factor out of the sum: the loss moves by β·r."""
    plain = float(compute_loss(OUT, BATCH, 0.0).mml)
    assert math.isclose(_loss_with_ranks(torch.full_like(BATCH["program_rank"], rank), beta), plain + beta * rank, rel_tol=1e-4, abs_tol=1e-4)


def test_a_program_ranked_far_worse_counts_as_if_it_were_not_kept() -> None:
    """exp(-β·rank) → 0: the question's loss is that of its other programs alone."""
    valid = BATCH["program_valid"]
    b = int(torch.nonzero(valid.sum(1) >= 2)[0])
    ranks = torch.zeros_like(BATCH["program_rank"])
    ranks[b, 0] = 60.0
    dropped = valid.clone()
    dropped[b, 0] = False
    without = float(compute_loss(OUT, {**BATCH, "program_valid": dropped}, 0.0).mml)
    assert math.isclose(_loss_with_ranks(ranks, 1.0), without, rel_tol=1e-5)
    assert _loss_with_ranks(ranks, 1.0) > float(compute_loss(OUT, BATCH, 0.0).mml)


def test_mapo_weighs_by_the_model_s_own_mass_even_with_a_prior() -> None:
    """MAPO's weight is π(B), whatever the prior: the loss is max(π(B), α) times the prior's loss."""
    ranks = torch.rand_like(BATCH["program_rank"])
    batch = {**BATCH, "program_rank": ranks}
    lp = program_log_prob(OUT, BATCH["programs"]).masked_fill(~BATCH["program_valid"], -1e9)
    mass = torch.exp(torch.logsumexp(lp, 1))  # (B,)
    prior_nll = -torch.logsumexp(lp - 0.5 * ranks, 1)  # (B,)
    has = BATCH["program_valid"].any(1)
    with_prior = compute_loss(OUT, batch, 0.0, prior=0.5)
    share = float(with_prior.mml) / float(prior_nll[has].sum())
    want = float((mass.clamp_min(0.2) * prior_nll)[has].sum()) * share
    assert math.isclose(float(compute_loss(OUT, batch, 0.0, mapo=0.2, prior=0.5).mml), want, rel_tol=1e-5)


def test_merit_zero_shares_the_gradient_equally_among_consistent_programs() -> None:
    """γ = 0: the loss is the mean −log π(p) over each question's consistent programs."""
    lp = program_log_prob(OUT, BATCH["programs"])  # (B, P)
    valid = BATCH["program_valid"]
    has = valid.any(1)
    per_question = -(lp * valid).sum(1)[has] / valid.sum(1)[has]  # (B',)
    plain = compute_loss(OUT, BATCH, 0.0)
    share = float(plain.mml) / float(-torch.logsumexp(lp.masked_fill(~valid, -1e9), 1)[has].sum())
    assert math.isclose(float(compute_loss(OUT, BATCH, 0.0, merit=0.0).mml), float(per_question.sum()) * share, rel_tol=1e-5)


def test_merit_one_gives_the_marginal_likelihoods_gradient() -> None:
    """γ = 1 weighs each program by π(p) / π(B): the gradient of −log π(B), whatever the loss's value."""
    model = torch_model(2, 0.3)

    def grads(**kw: float) -> list[torch.Tensor]:
        model.zero_grad()
        compute_loss(model(BATCH), BATCH, 0.0, **kw).mml.backward()
        return [p.grad.clone() for p in model.parameters() if p.grad is not None]

    plain, merit = grads(), grads(merit=0.999999)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(plain, merit))
