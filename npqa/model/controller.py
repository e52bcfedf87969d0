"""The Neural Programmer, in PyTorch.

A recurrent question encoder; a controller with a history state that, for T
steps, attends over the question and softly selects an op (among those the
step and the table allow), a column and a question constant; soft execution
of every declared op at once, with outputs of one type averaged by their
probabilities: a row selector carried between steps, and at the last step a
soft scalar and a soft cell lookup.

``forward(batch) -> Outputs`` with the per-step distributions, the
controller's attention over the question's words at each step, and the soft
answer; :mod:`npqa.train.loss` turns them into the training loss.

Adaptive computation time (``ModelConfig.act``; Graves 2016, as drawn in
"Attention and Augmented Recurrent Neural Networks")
--------------------------------------------------------------------------
With a fixed T every program is T-1 row steps and a terminal, short programs
padded with ``keep``. With ACT the controller decides how many row steps a
program takes, k = 0..T-1:

* **Halting units.** At step t the state s_t also gives a halting unit
  h_t = σ(w·s_t + b) (t < T-1; the last step halts whatever h says). The
  program halts at N, the first step where h_0 + … + h_N ≥ 1 - ε
  (:data:`npqa.model.config.ACT_EPSILON`); the halting distribution is
  p_k = h_k for k < N, the remainder R = 1 - (h_0 + … + h_{N-1}) at N, 0
  after: a budget of 1, the remainder given to the last step. ``halt`` holds p.
  The bias starts at -log(T-1), so that p starts uniform over the T lengths:
  a length beyond N has probability 0 and gets no gradient at all, so a
  start that halted early would hide the longer programs from the loss.
* **Where the terminal is chosen.** Halting at step k means *step k chooses
  the terminal op* (and its column), from s_k: the state that has seen
  exactly the k row choices the program executes. This is ACT's "an output at
  every step": each step's output is the terminal applied to the rows after
  k row steps, and the answer is the p-weighted mix of those outputs (the soft
  scalar and lookup below). Choosing the terminal at the fixed last step
  instead would condition it on row choices that are never executed. Every
  step therefore has a row-op distribution (keep excluded: halting is how a
  program gets short) and a terminal-op distribution.
* **One distribution per step.** ``op_probs[:, t]`` is the row distribution
  times (1 - λ_t) beside the terminal distribution times λ_t, where
  λ_t = p_t / (1 - p_0 - … - p_{t-1}) is the chance of halting at t having
  not halted before (λ_t = 1 from N on). The product of a program's chosen
  probabilities (k row steps, then its terminal at step k) is then
  p_k × its op/column/constant choices, exactly as :mod:`npqa.train.loss`
  and :mod:`npqa.model.decode` already read a fixed-T program. At the argmax
  a program stops where its halting budget is spent: at the median of p by
  default (``ModelConfig.act_stop``; why not at N: :mod:`npqa.model.decode`).
* **Ponder cost.** ``ponder`` is ρ = N + 1 + R per question (controller
  steps run plus the remainder; only R has a gradient); the loss adds τ·ρ.

With ``act`` off none of this exists (no halting unit, ``halt`` and
``ponder`` are None) and the model is today's, bit for bit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from npqa.model.config import ACT_EPSILON, NEG, ModelConfig
from npqa.model.features import C_FEATS, K_FEATS, P_FEATS, Q_FEATS, filter_ops, step_roles, terminal_ops
from npqa.lang.language import Language, Result, Role

@dataclass
class Outputs:
    op_probs: torch.Tensor  # (B, T, O)
    col_probs: torch.Tensor  # (B, T, O, C) per op, masked to the columns it accepts
    const_probs: torch.Tensor  # (B, T, O, K) per op, masked to the constants it accepts
    rows: torch.Tensor  # (B, T, R) soft row selector after each step (the last = its input)
    scalar: torch.Tensor  # (B,) soft scalar answer (the number terminals)
    lookup: torch.Tensor  # (B, R, C) soft cell lookup (print)
    scalar_weight: torch.Tensor  # (B,) probability the terminal is a number terminal
    attn: torch.Tensor  # (B, T, Q) the controller's attention over the question's words at each step
    halt: torch.Tensor | None = None  # (B, T) ACT: p_k, the chance of halting after k row steps; None for fixed T
    ponder: torch.Tensor | None = None  # (B,) ACT's ponder cost N + 1 + R; None for fixed T


class SoftColumns:
    """The batch's table tensors under the names the ops' ``soft`` functions use."""

    def __init__(self, batch: dict[str, torch.Tensor]) -> None:
        self.valid = batch["valid"]  # (B, R)
        self.start = batch["start"]  # (B, R) the rows programs start from (no summary rows, no padding)
        self.summary = self.valid - self.start  # (B, R) the table's summary rows
        self.num = batch["num"]  # (B, R, C)
        self.has_num = batch["has_num"]  # (B, R, C)
        self.order = batch["order"]  # (B, R, C)
        self.has_order = batch["has_order"]  # (B, R, C)
        self.nonempty = batch["nonempty"]  # (B, R, C)
        self.text_id = batch["text_id"]  # (B, R, C)


def masked_softmax(logits: torch.Tensor, mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax over ``mask``-ed entries; all-masked rows give zeros."""
    logits = logits.masked_fill(~mask, NEG)
    probs = F.softmax(logits, dim=dim) * mask
    return probs / probs.sum(dim, keepdim=True).clamp_min(1e-12)


def act_halting(units: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ACT's halting from the halting units ``units`` (B, T) (the last one is
    ignored: the last step always halts). Returns p (B, T) the halting
    distribution, λ (B, T) the chance of halting at t having not halted before
    (1 from N on), and the ponder cost ρ = N + 1 + R (B,)."""
    B, T = units.shape
    h = torch.cat([units[:, :-1], torch.ones(B, 1)], 1)  # (B, T)
    total = h.cumsum(1)  # (B, T) h_0 + … + h_t
    before = torch.cat([torch.zeros(B, 1), total[:, :-1]], 1)  # (B, T) h_0 + … + h_{t-1}
    sums = h.detach().double().cumsum(1)  # (B, T) the running sums the decision reads, in float64 everywhere
    running = torch.cat([torch.ones(B, 1, dtype=torch.bool), sums[:, :-1] < 1 - ACT_EPSILON], 1)  # (B, T) t <= N
    stop = running & (sums >= 1 - ACT_EPSILON)  # (B, T) t == N
    rest = 1 - before  # (B, T) the budget left at t; at N it is R
    p = torch.where(stop, rest, torch.where(running, h, torch.zeros_like(h)))  # (B, T)
    lam = torch.where(running & ~stop, h / rest.clamp_min(ACT_EPSILON), torch.ones_like(h))  # (B, T)
    n = stop.float().argmax(1)  # (B,) N
    ponder = n.float() + 1 + (rest * stop).sum(1)  # (B,)
    return p, lam, ponder


class NeuralProgrammer(nn.Module):
    def __init__(self, config: ModelConfig, language: Language) -> None:
        super().__init__()
        self.config = config
        self.language = language
        self.ops = list(language)
        self.filters = filter_ops(language)
        D, E = config.hidden, config.embed_dim
        O = len(self.ops)
        self.embed = nn.Embedding(config.vocab_size, E, padding_idx=0)
        self.encoder = nn.GRU(E + Q_FEATS, D // 2, batch_first=True, bidirectional=True)
        self.col_proj = nn.Linear(E + C_FEATS, D)
        self.const_proj = nn.Linear(D + K_FEATS, D)
        self.op_embed = nn.Parameter(torch.randn(O, D) * 0.1)
        self.step_embed = nn.Parameter(torch.randn(config.steps, D) * 0.1)
        self.history = nn.GRUCell(2 * D, D)
        self.init_h = nn.Linear(D, D)
        self.attn = nn.Linear(D, D, bias=False)
        self.state = nn.Linear(3 * D, D)
        self.op_out = nn.Linear(D, D)
        self.col_out = nn.Linear(D, D)
        self.const_out = nn.Linear(D, D)
        self.col_feat_score = nn.Linear(C_FEATS, 1)
        self.const_feat_score = nn.Linear(K_FEATS, 1)
        self.pair_col_score = nn.Linear(P_FEATS, 1)
        self.drop = nn.Dropout(config.dropout)
        self.register_buffer("roles", torch.from_numpy(step_roles(language, config.steps, config.act)), persistent=False)
        if config.act:
            self.register_buffer("terminal", torch.from_numpy(terminal_ops(language)), persistent=False)
            self.halt = nn.Linear(D, 1)  # ACT's halting unit
            with torch.no_grad():  # σ(bias) = 1/T: the halting distribution starts uniform over the T lengths
                self.halt.bias.fill_(-math.log(max(config.steps - 1, 1)))

    # -- encoders ----------------------------------------------------------------
    def encode(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, ...]:
        ids = batch["q_ids"]  # (B, Q)
        if self.training and self.config.word_dropout > 0:
            drop = (torch.rand(ids.shape) < self.config.word_dropout) & (ids > 2)
            ids = ids.masked_fill(drop, 1)  # <unk>
        x = torch.cat([self.embed(ids), batch["q_feats"]], -1)  # (B, Q, E+FQ)
        lengths = batch["q_mask"].sum(1).clamp_min(1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, last = self.encoder(packed)
        H, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])  # (B, Q, D)
        H = self.drop(H)
        q = torch.cat([last[0], last[1]], -1)  # (B, D)
        words = self.embed(batch["col_ids"])  # (B, C, L, E)
        wmask = (batch["col_ids"] > 0).float().unsqueeze(-1)  # (B, C, L, 1)
        name = (words * wmask).sum(2) / wmask.sum(2).clamp_min(1)  # (B, C, E)
        cols = torch.tanh(self.col_proj(torch.cat([name, batch["col_feats"]], -1)))  # (B, C, D)
        span = batch["const_span"]  # (B, K, 2)
        pos = torch.arange(H.shape[1])
        in_span = (pos[None, None, :] >= span[..., :1]) & (pos[None, None, :] < span[..., 1:])  # (B, K, Q)
        in_span = in_span.float()
        span_h = in_span @ H / in_span.sum(-1, keepdim=True).clamp_min(1)  # (B, K, D)
        consts = torch.tanh(self.const_proj(torch.cat([span_h, batch["const_feats"]], -1)))  # (B, K, D)
        return H, q, cols, consts

    # -- the controller and soft execution -------------------------------------------
    def forward(self, batch: dict[str, torch.Tensor], soft_execute: bool = True) -> Outputs:
        """The controller's distributions and, with ``soft_execute``, the soft
        answer. The choices never depend on the soft rows, so inference (which
        executes the argmax program with the reference executor) skips it."""
        H, q, cols, consts = self.encode(batch)
        T = self.config.steps
        act = self.config.act
        qmask = batch["q_mask"]  # (B, Q)
        table = SoftColumns(batch)
        col_ok = batch["col_mask"] & batch["col_valid"][:, None, :]  # (B, O, C)
        const_ok = batch["const_mask"] & batch["const_valid"][:, None, :]  # (B, O, K)
        pair_bias = self.pair_col_score(batch["pair_feats"]).squeeze(-1)  # (B, K, C)
        h = torch.tanh(self.init_h(q))  # (B, D)
        rows = table.start  # (B, R): the start rows (summary rows left out)
        op_probs, col_probs, const_probs, rows_seen, attns = [], [], [], [], []
        term_probs, units = [], []  # ACT: each step's terminal distribution and halting unit
        for t in range(T):
            scores = torch.einsum("bqd,bd->bq", H, self.attn(h)).masked_fill(~qmask, NEG)  # (B, Q)
            attn = F.softmax(scores, -1)  # (B, Q)
            ctx = torch.einsum("bq,bqd->bd", attn, H)  # (B, D)
            s = self.drop(torch.tanh(self.state(torch.cat([ctx, h, q], -1)) + self.step_embed[t]))  # (B, D)
            op_logits = self.op_out(s) @ self.op_embed.T  # (B, O)
            p_op = masked_softmax(op_logits, batch["op_mask"] & self.roles[t][None, :])  # (B, O)
            if act:
                term_probs.append(masked_softmax(op_logits, batch["op_mask"] & self.terminal[None, :]))  # (B, O)
                units.append(torch.sigmoid(self.halt(s)).squeeze(-1))  # (B,)
            k_logits = torch.einsum("bkd,bd->bk", consts, self.const_out(s))  # (B, K)
            k_logits = k_logits + self.const_feat_score(batch["const_feats"]).squeeze(-1)
            p_const = masked_softmax(k_logits[:, None, :].expand_as(const_ok), const_ok)  # (B, O, K)
            c_logits = torch.einsum("bcd,bd->bc", cols, self.col_out(s))  # (B, C)
            c_logits = c_logits + self.col_feat_score(batch["col_feats"]).squeeze(-1)
            c_logits = c_logits[:, None, :] + torch.einsum("bok,bkc->boc", p_const, pair_bias)  # (B, O, C)
            p_col = masked_softmax(c_logits, col_ok)  # (B, O, C)
            rows_seen.append(rows)
            if soft_execute and t < T - 1:
                rows = self._row_step(rows, table, batch["cond"], p_op, p_col, p_const)
            op_probs.append(p_op)
            col_probs.append(p_col)
            const_probs.append(p_const)
            attns.append(attn)
            chosen = torch.cat([p_op @ self.op_embed, torch.einsum("boc,bo,bcd->bd", p_col, p_op, cols)], -1)
            h = self.history(chosen, h)  # (B, D)
        ops = torch.stack(op_probs, 1)  # (B, T, O)
        halt = ponder = None
        if act:
            halt, lam, ponder = act_halting(torch.stack(units, 1))  # (B, T), (B, T), (B,)
            ops = (1 - lam)[..., None] * ops + lam[..., None] * torch.stack(term_probs, 1)  # (B, T, O)
        if not soft_execute:
            scalar = lookup = w = torch.zeros(0)
        elif act:
            scalar, lookup, w = self._halting_terminal(rows_seen, table, term_probs, col_probs, halt)
        else:
            scalar, lookup, w = self._terminal(rows, table, op_probs[-1], col_probs[-1])
        return Outputs(
            ops,
            torch.stack(col_probs, 1),
            torch.stack(const_probs, 1),
            torch.stack(rows_seen, 1),
            scalar,
            lookup,
            w,
            torch.stack(attns, 1),
            halt,
            ponder,
        )

    def _row_step(
        self,
        rows: torch.Tensor,  # (B, R)
        table: SoftColumns,
        cond: torch.Tensor,  # (B, F, R, C, K)
        p_op: torch.Tensor,  # (B, O)
        p_col: torch.Tensor,  # (B, O, C)
        p_const: torch.Tensor,  # (B, O, K)
    ) -> torch.Tensor:
        out = torch.zeros_like(rows)
        for o, spec in enumerate(self.ops):
            if spec.role is not Role.ROWS:
                continue
            if spec.condition:
                f = self.filters.index(spec.name)
                sel = torch.einsum("brck,bc,bk->br", cond[:, f].float(), p_col[:, o], p_const[:, o])  # (B, R)
                carried = rows + (1 - rows) * table.summary if spec.reads_summary else rows  # (B, R)
                new = rows + (1 - rows) * sel if spec.union else carried * sel
            else:
                new = spec.soft(rows, table, p_col[:, o])  # (B, R)
            out = out + p_op[:, o : o + 1] * new
        return out  # (B, R)

    def _terminal(
        self, rows: torch.Tensor, table: SoftColumns, p_op: torch.Tensor, p_col: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        B, R, C = table.num.shape
        scalar = torch.zeros(B)
        weight = torch.zeros(B)
        lookup = torch.zeros(B, R, C)
        for o, spec in enumerate(self.ops):
            if spec.role is not Role.TERMINAL or spec.soft is None:
                continue  # a yes/no op has no soft form: no soft target is a word
            out = spec.soft(rows, table, p_col[:, o])
            if spec.result is Result.CELLS:
                lookup = lookup + p_op[:, o, None, None] * out  # (B, R, C)
            else:
                scalar = scalar + p_op[:, o] * out  # (B,)
                weight = weight + p_op[:, o]
        return scalar, lookup, weight

    def _halting_terminal(
        self,
        rows_seen: list[torch.Tensor],  # T × (B, R): the rows after t row steps
        table: SoftColumns,
        term_probs: list[torch.Tensor],  # T × (B, O)
        col_probs: list[torch.Tensor],  # T × (B, O, C)
        halt: torch.Tensor,  # (B, T)
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """ACT's answer: each step's terminal on the rows after its row steps,
        mixed by the halting distribution."""
        scalar, lookup, weight = 0.0, 0.0, 0.0
        for t, rows in enumerate(rows_seen):
            s_t, l_t, w_t = self._terminal(rows, table, term_probs[t], col_probs[t])
            p = halt[:, t]  # (B,)
            scalar = scalar + p * s_t  # (B,)
            lookup = lookup + p[:, None, None] * l_t  # (B, R, C)
            weight = weight + p * w_t  # (B,)
        return scalar, lookup, weight  # type: ignore[return-value]
