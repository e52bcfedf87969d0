"""The Neural Programmer, in PyTorch.

A recurrent question encoder; a controller with a history state that, for T
steps, attends over the question and softly selects an op (among those the
step and the table allow), a column and a question constant; soft execution
of every declared op at once, with outputs of one type averaged by their
probabilities: a row selector carried between steps, and at the last step a
soft scalar and a soft cell lookup.

``forward(batch) -> Outputs`` with the per-step distributions and the soft
answer; :mod:`npqa.train.loss` turns them into the training loss.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from npqa.model.config import NEG, ModelConfig
from npqa.model.features import C_FEATS, K_FEATS, P_FEATS, Q_FEATS, filter_ops, step_roles
from npqa.lang.language import Language, Result, Role

@dataclass
class Outputs:
    op_probs: torch.Tensor  # (B, T, O)
    col_probs: torch.Tensor  # (B, T, O, C) per op, masked to the columns it accepts
    const_probs: torch.Tensor  # (B, T, O, K) per op, masked to the constants it accepts
    rows: torch.Tensor  # (B, T, R) soft row selector after each step (the last = its input)
    scalar: torch.Tensor  # (B,) soft scalar answer (the number terminals)
    lookup: torch.Tensor  # (B, R, C) soft cell lookup (print)
    scalar_weight: torch.Tensor  # (B,) probability the last step is a number terminal


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
        self.register_buffer("roles", torch.from_numpy(step_roles(language, config.steps)), persistent=False)

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
        qmask = batch["q_mask"]  # (B, Q)
        table = SoftColumns(batch)
        col_ok = batch["col_mask"] & batch["col_valid"][:, None, :]  # (B, O, C)
        const_ok = batch["const_mask"] & batch["const_valid"][:, None, :]  # (B, O, K)
        pair_bias = self.pair_col_score(batch["pair_feats"]).squeeze(-1)  # (B, K, C)
        h = torch.tanh(self.init_h(q))  # (B, D)
        rows = table.start  # (B, R)
        op_probs, col_probs, const_probs, rows_seen = [], [], [], []
        for t in range(T):
            scores = torch.einsum("bqd,bd->bq", H, self.attn(h)).masked_fill(~qmask, NEG)  # (B, Q)
            ctx = torch.einsum("bq,bqd->bd", F.softmax(scores, -1), H)  # (B, D)
            s = self.drop(torch.tanh(self.state(torch.cat([ctx, h, q], -1)) + self.step_embed[t]))  # (B, D)
            op_logits = self.op_out(s) @ self.op_embed.T  # (B, O)
            p_op = masked_softmax(op_logits, batch["op_mask"] & self.roles[t][None, :])  # (B, O)
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
            chosen = torch.cat([p_op @ self.op_embed, torch.einsum("boc,bo,bcd->bd", p_col, p_op, cols)], -1)
            h = self.history(chosen, h)  # (B, D)
        if soft_execute:
            scalar, lookup, w = self._terminal(rows, table, op_probs[-1], col_probs[-1])
        else:
            scalar = lookup = w = torch.zeros(0)
        return Outputs(
            torch.stack(op_probs, 1),
            torch.stack(col_probs, 1),
            torch.stack(const_probs, 1),
            torch.stack(rows_seen, 1),
            scalar,
            lookup,
            w,
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
            if spec.role is not Role.TERMINAL:
                continue
            out = spec.soft(rows, table, p_col[:, o])
            if spec.result is Result.CELLS:
                lookup = lookup + p_op[:, o, None, None] * out  # (B, R, C)
            else:
                scalar = scalar + p_op[:, o] * out  # (B,)
                weight = weight + p_op[:, o]
        return scalar, lookup, weight
