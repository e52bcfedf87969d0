"""Losses from answers only.

* **Soft (the Neural Programmer's):** a Huber loss on the soft scalar, both
  sides on a signed log scale so that answers in the millions stay finite, for
  scalar answers; a log loss on the soft cell lookup for answers found in
  cells; where both apply, the smaller of the two.
* **Consistent programs (marginal likelihood):** the oracle lists the
  programs whose answer is the gold one; the loss is ``-log`` of their total
  probability under the controller. The programs only shape the signal: they
  come from the answer, never from annotation.

``loss = mml + soft_weight * soft``; examples with neither target are counted
and add nothing. With ``mapo = α > 0`` each question's ``-log π(B)`` is weighed
by ``max(π(B), α)`` (no gradient through the weight), ``π(B)`` being the
probability of its consistent programs: the memory-augmented policy
optimisation objective with an exhaustive enumerator (Liang et al. 2018), which
trusts a question's consistent set more as the model gives it more mass.
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


def program_log_prob(out: Outputs, programs: torch.Tensor) -> torch.Tensor:
    """(B, P): log probability of each raw program ``programs`` (B, P, T, 3)."""
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


def compute_loss(out: Outputs, batch: dict[str, torch.Tensor], soft_weight: float, mapo: float = 0.0) -> LossParts:
    lp = program_log_prob(out, batch["programs"]).masked_fill(~batch["program_valid"], -1e9)  # (B, P)
    has_prog = batch["program_valid"].any(1)  # (B,)
    mml = -torch.logsumexp(lp, 1)  # (B,) -log π(B)
    if mapo > 0:
        mml = torch.exp(-mml).detach().clamp_min(mapo) * mml  # (B,) max(π(B), α) · -log π(B)
    valid_cells = batch["valid"][:, :, None] * batch["col_valid"][:, None, :].float()  # (B, R, C)
    soft = soft_loss(out, batch["scalar"], batch["cells"], valid_cells)  # (B,)
    has_soft = torch.isfinite(soft)
    trained = has_prog | has_soft
    n = trained.sum().clamp_min(1)
    mml_mean = torch.where(has_prog, mml, torch.zeros_like(mml)).sum() / n
    soft_mean = torch.where(has_soft, soft, torch.zeros_like(soft)).sum() / n
    total = mml_mean + soft_weight * soft_mean
    return LossParts(total, mml_mean, soft_mean, int(trained.sum()), int((~trained).sum()))
