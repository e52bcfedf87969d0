"""Losses from answers only.

* **Soft (the Neural Programmer's):** a Huber loss on the soft scalar, both
  sides on a signed log scale so that answers in the millions stay finite, for
  scalar answers; a log loss on the soft cell lookup for answers found in
  cells; where both apply, the smaller of the two.
* **Consistent programs (marginal likelihood):** the oracle lists the
  programs whose answer is the gold one; the loss is ``-log`` of their total
  probability under the controller. The programs only shape the signal: they
  come from the answer, never from annotation.

``loss = mml + soft_weight * soft (+ ponder_weight * ponder)``; examples with
neither target are counted and add nothing.

With adaptive computation time (``out.halt``; :mod:`npqa.model.controller`)
a consistent program of k row steps, stored padded with ``keep`` to T-1 row
steps (:func:`npqa.model.features.program_indices`), is read as the model
emits it: its k row steps at steps 0..k-1, its terminal at step k
(:func:`act_layout`). Its log probability is then log p_k plus its choices'
(the halting chances are inside the steps' op probabilities), and ACT's
ponder cost N + 1 + R is added with weight τ (``ponder_weight``).

With ``mapo = α > 0`` each question's ``-log π(B)`` is weighed by
``max(π(B), α)`` (no gradient through the weight), ``π(B)`` being the
probability of its consistent programs: the memory-augmented policy
optimisation objective with an exhaustive enumerator (Liang et al. 2018), which
trusts a question's consistent set more as the model gives it more mass.

With ``merit = γ ≠ 1`` the gradient goes to a question's consistent programs
with weights ``π(p)^γ / Σ π^γ`` (no gradient through them), the
β-meritocratic update of Guu et al. (2017): at γ = 1 it is the marginal
likelihood's gradient, at γ = 0 every consistent program gets an equal share,
so one program the model happens to favour early cannot take all the signal.
The loss is then ``-Σ w(p) log π(p)``.

With ``prior = β > 0`` each consistent program's probability is scaled by
``exp(-β · rank)`` inside the sum, ``rank`` being what chose it
(:data:`npqa.train.prepare.RANKS`: fewer row steps and more of the question's
constants rank first). The gradient then goes to the programs in proportion to
``prior · π`` instead of ``π``: early in training, when the model's mass is
spread evenly, the short programs that use the question take most of it.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from npqa.model.controller import Outputs


@dataclass
class LossParts:
    total: torch.Tensor
    mml: torch.Tensor
    soft: torch.Tensor
    trained: int  # examples with some target
    skipped: int  # examples with none
    ponder: torch.Tensor | None = None  # ACT: mean ponder cost N + 1 + R over the trained examples


def act_layout(programs: torch.Tensor, pad: int) -> torch.Tensor:
    """(B, P, T, 3): stored programs (row steps, ``pad`` op up to T-1 row steps,
    the terminal last) as an ACT controller emits them: the k row steps, the
    terminal at step k, then no step (op -1)."""
    T = programs.shape[2]
    row_ops = programs[:, :, : T - 1, 0]  # (B, P, T-1)
    k = ((row_ops != pad) & (row_ops >= 0)).sum(-1, keepdim=True)  # (B, P, 1) row steps
    t = torch.arange(T)[None, None, :]  # (1, 1, T)
    out = torch.where((t < k)[..., None], programs, torch.full_like(programs, -1))  # (B, P, T, 3)
    return torch.where((t == k)[..., None], programs[:, :, T - 1 :], out)  # (B, P, T, 3)


def program_log_prob(out: Outputs, programs: torch.Tensor, pad: int | None = None) -> torch.Tensor:
    """(B, P): log probability of each raw program ``programs`` (B, P, T, 3).
    With ACT outputs, ``pad`` (the index of the padding op ``keep``) is needed
    to read where each program halts (:func:`act_layout`)."""
    if out.halt is not None:
        if pad is None:
            raise ValueError("ACT outputs: program_log_prob needs the padding op's index")
        programs = act_layout(programs, pad)
    B, P, T, _ = programs.shape
    op = programs[..., 0].clamp_min(0)  # (B, P, T)
    col = programs[..., 1]
    const = programs[..., 2]
    eps = 1e-12
    bidx = torch.arange(B)[:, None, None].expand(B, P, T)
    tidx = torch.arange(T)[None, None, :].expand(B, P, T)
    lp = out.op_probs[bidx, tidx, op].clamp_min(eps).log()  # (B, P, T)
    pc = out.col_probs[bidx, tidx, op, col.clamp_min(0)].clamp_min(eps).log()
    pk = out.const_probs[bidx, tidx, op, const.clamp_min(0)].clamp_min(eps).log()
    lp = lp + torch.where(col >= 0, pc, torch.zeros_like(pc)) + torch.where(const >= 0, pk, torch.zeros_like(pk))
    if out.halt is not None:
        lp = torch.where(programs[..., 0] >= 0, lp, torch.zeros_like(lp))  # no step after the terminal
    return lp.sum(-1)  # (B, P)


def signed_log(x: torch.Tensor) -> torch.Tensor:
    """sign(x) * log(1 + |x|): keeps a sum over a column of millions from
    swamping every other gradient, and is exact where the prediction is."""
    return torch.sign(x) * torch.log1p(x.abs())


def soft_loss(out: Outputs, scalar: torch.Tensor, cells: torch.Tensor, valid_cells: torch.Tensor) -> torch.Tensor:
    """(B,): the Neural Programmer's loss; +inf where the example has no target."""
    has_scalar = torch.isfinite(scalar)
    y = torch.nan_to_num(scalar)
    scalar_loss = F.huber_loss(signed_log(out.scalar), signed_log(y), reduction="none", delta=1.0)  # (B,)
    scalar_loss = torch.where(has_scalar, scalar_loss, torch.full_like(scalar_loss, float("inf")))
    p = out.lookup.clamp(1e-6, 1 - 1e-6)  # (B, R, C)
    ce = -(cells * p.log() + (1 - cells) * (1 - p).log()) * valid_cells  # (B, R, C)
    lookup_loss = ce.sum((1, 2)) / valid_cells.sum((1, 2)).clamp_min(1)  # (B,)
    has_cells = cells.sum((1, 2)) > 0
    lookup_loss = torch.where(has_cells, lookup_loss, torch.full_like(lookup_loss, float("inf")))
    return torch.minimum(scalar_loss, lookup_loss)


def compute_loss(
    out: Outputs,
    batch: dict[str, torch.Tensor],
    soft_weight: float,
    mapo: float = 0.0,
    ponder_weight: float = 0.0,
    pad: int | None = None,
    prior: float = 0.0,
    merit: float = 1.0,
) -> LossParts:
    """The training loss of one batch. ``ponder_weight`` (τ) and ``pad`` (the
    padding op's index) matter only for ACT outputs; ``prior`` (β) weighs each
    consistent program by ``exp(-β · rank)``; ``merit`` (γ) shares the gradient
    among consistent programs by ``π^γ`` (the module's docstring)."""
    lp = program_log_prob(out, batch["programs"], pad).masked_fill(~batch["program_valid"], -1e9)  # (B, P)
    has_prog = batch["program_valid"].any(1)  # (B,)
    mml = -torch.logsumexp(lp, 1)  # (B,) -log π(B)
    weight = torch.exp(-mml).detach().clamp_min(mapo)  # (B,) max(π(B), α): MAPO's weight, whatever the prior
    if prior > 0:
        lp = lp - prior * batch["program_rank"]  # (B, P) log exp(-β·rank) π(p)
        mml = -torch.logsumexp(lp, 1)  # (B,) -log Σ exp(-β·rank) π(p)
    if merit != 1.0:
        tilted = (merit * lp).masked_fill(~batch["program_valid"], -1e9)  # (B, P) log π^γ
        share = torch.softmax(tilted, 1).detach() * batch["program_valid"]  # (B, P) π^γ / Σ π^γ
        mml = -(share * lp).sum(1)  # (B,) -Σ w(p) log π(p) (a padded program's share is 0)
    if mapo > 0:
        mml = weight * mml  # (B,) max(π(B), α) · the question's loss
    valid_cells = batch["valid"][:, :, None] * batch["col_valid"][:, None, :].float()  # (B, R, C)
    soft = soft_loss(out, batch["scalar"], batch["cells"], valid_cells)  # (B,)
    has_soft = torch.isfinite(soft)
    trained = has_prog | has_soft
    n = trained.sum().clamp_min(1)
    mml_mean = torch.where(has_prog, mml, torch.zeros_like(mml)).sum() / n
    soft_mean = torch.where(has_soft, soft, torch.zeros_like(soft)).sum() / n
    total = mml_mean + soft_weight * soft_mean
    ponder = None
    if out.ponder is not None:
        ponder = torch.where(trained, out.ponder, torch.zeros_like(out.ponder)).sum() / n
        total = total + ponder_weight * ponder
    return LossParts(total, mml_mean, soft_mean, int(trained.sum()), int((~trained).sum()), ponder)
