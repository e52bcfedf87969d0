"""The Neural Programmer's inference forward pass in plain numpy: no torch.

:class:`NumpyProgrammer` computes what :meth:`npqa.model.controller.NeuralProgrammer.forward`
computes with ``soft_execute=False`` in eval mode (dropout and word dropout
off): the per-step op, column and constant distributions. It reads the same
state-dict tensors (float32 arrays under the same names) and the same model
directories (``model.safetensors`` + ``config.json`` + ``vocab.json``), so
answering a question never pays torch's import cost.

``npqa ask`` and :class:`npqa.api.TableQA` (``engine="numpy"``, the default)
answer with it; :func:`npqa.model.decode.decode_outputs` reads its outputs as it
reads the torch model's. Both share the settings (:class:`npqa.model.config.ModelConfig`,
torch-free) and the batching (:mod:`npqa.model.batch`). Differences:

* :class:`NumpyOutputs` holds numpy arrays, not tensors, and only
  ``op_probs``, ``col_probs``, ``const_probs``, ``attn`` and (adaptive
  computation time) ``halt``: there is no soft execution (``rows``,
  ``scalar``, ``lookup``) and no training (``ponder``).
* ``model.eval()`` is a no-op and ``model(batch, soft_execute=False)`` is
  :meth:`NumpyProgrammer.forward`.
* Batches are :func:`npqa.model.batch.collate_numpy`: the same padding, only
  the arrays inference reads.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from npqa.errors import ModelError
from npqa.lang.language import Language
from npqa.model.config import ACT_EPSILON, NEG, ModelConfig
from npqa.model.features import C_FEATS, K_FEATS, P_FEATS, Q_FEATS, Vocab, step_roles, terminal_ops

__all__ = ["NumpyOutputs", "NumpyProgrammer", "act_halting", "expected_shapes", "masked_softmax"]


@dataclass
class NumpyOutputs:
    """The controller's distributions, as numpy arrays (float32 unless the model
    computes in float64) — not tensors: there is no ``.numpy()``."""

    op_probs: np.ndarray  # (B, T, O)
    col_probs: np.ndarray  # (B, T, O, C) per op, masked to the columns it accepts
    const_probs: np.ndarray  # (B, T, O, K) per op, masked to the constants it accepts
    attn: np.ndarray | None = None  # (B, T, Q) the controller's attention over the question's words at each step
    halt: np.ndarray | None = None  # (B, T) ACT: p_k, the chance of halting after k row steps; None for fixed T
    members: tuple["NumpyOutputs", ...] | None = None  # an ensemble's: each member's own distributions


# -- numerics ----------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # stable for large |x|, no overflow warnings


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def masked_softmax(logits: np.ndarray, mask: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax over ``mask``-ed entries; all-masked rows give zeros (as :func:`npqa.model.masked_softmax`)."""
    probs = _softmax(np.where(mask, logits, np.float32(NEG)), axis) * mask
    return probs / np.maximum(probs.sum(axis, keepdims=True), np.float32(1e-12))


def _gru_gates(gi: np.ndarray, h: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray) -> np.ndarray:
    """One GRU update given the input part ``gi = W_ih x + b_ih`` (..., 3H), gates (r, z, n)."""
    gh = h @ w_hh.T + b_hh  # (..., 3H)
    Hs = h.shape[-1]
    r = _sigmoid(gi[..., :Hs] + gh[..., :Hs])
    z = _sigmoid(gi[..., Hs : 2 * Hs] + gh[..., Hs : 2 * Hs])
    n = np.tanh(gi[..., 2 * Hs :] + r * gh[..., 2 * Hs :])
    return (1 - z) * n + z * h


def act_halting(units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ACT's halting from the halting units (B, T), as :func:`npqa.model.controller.act_halting`:
    p (B, T) the halting distribution and λ (B, T) the chance of halting at t having not halted before."""
    B, T = units.shape
    h = np.concatenate([units[:, :-1], np.ones((B, 1), units.dtype)], 1)  # (B, T)
    total = h.cumsum(1)  # (B, T)
    before = np.concatenate([np.zeros((B, 1), units.dtype), total[:, :-1]], 1)  # (B, T)
    sums = h.astype(np.float64).cumsum(1)  # (B, T) the running sums the decision reads, in float64 everywhere
    running = np.concatenate([np.ones((B, 1), bool), sums[:, :-1] < 1 - ACT_EPSILON], 1)  # (B, T) t <= N
    stop = running & (sums >= 1 - ACT_EPSILON)  # (B, T) t == N
    rest = 1 - before  # (B, T)
    p = np.where(stop, rest, np.where(running, h, 0)).astype(units.dtype)  # (B, T)
    lam = np.where(running & ~stop, h / np.maximum(rest, units.dtype.type(ACT_EPSILON)), 1).astype(units.dtype)
    return p, lam


def expected_shapes(config: ModelConfig, n_ops: int) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor in the torch model's state dict for ``config``."""
    V, T, E, D = config.vocab_size, config.steps, config.embed_dim, config.hidden
    G = D // 2  # each encoder direction
    out: dict[str, tuple[int, ...]] = {"embed.weight": (V, E)}
    for suffix in ("_l0", "_l0_reverse"):
        out.update({
            f"encoder.weight_ih{suffix}": (3 * G, E + Q_FEATS), f"encoder.weight_hh{suffix}": (3 * G, G),
            f"encoder.bias_ih{suffix}": (3 * G,), f"encoder.bias_hh{suffix}": (3 * G,),
        })  # fmt: skip
    linear = {
        "col_proj": (D, E + C_FEATS), "const_proj": (D, D + K_FEATS), "init_h": (D, D), "state": (D, 3 * D),
        "op_out": (D, D), "col_out": (D, D), "const_out": (D, D),
        "col_feat_score": (1, C_FEATS), "const_feat_score": (1, K_FEATS), "pair_col_score": (1, P_FEATS),
    }  # fmt: skip
    for name, (n_out, n_in) in linear.items():
        out[f"{name}.weight"] = (n_out, n_in)
        out[f"{name}.bias"] = (n_out,)
    out.update({
        "op_embed": (n_ops, D), "step_embed": (T, D), "attn.weight": (D, D),
        "history.weight_ih": (3 * D, 2 * D), "history.weight_hh": (3 * D, D),
        "history.bias_ih": (3 * D,), "history.bias_hh": (3 * D,),
    })  # fmt: skip
    if config.act:
        out.update({"halt.weight": (1, D), "halt.bias": (1,)})
    return out


def _as_config(config: Any) -> ModelConfig:
    """A :class:`ModelConfig` from a settings dict, a config.json dict (its ``model``
    part), or anything with ``to_dict()`` (a ModelConfig)."""
    if isinstance(config, ModelConfig):
        return config
    if hasattr(config, "to_dict"):
        config = config.to_dict()
    if isinstance(config, Mapping) and isinstance(config.get("model"), Mapping):
        config = config["model"]
    return ModelConfig(**dict(config))


# -- the model ---------------------------------------------------------------------------


class NumpyProgrammer:
    """The Neural Programmer's controller for inference, on numpy arrays.

    Built from the model settings (a dict like ``ModelConfig.to_dict()``, a
    config.json dict, or a ModelConfig), the state dict as float32 arrays
    under the torch names, and the op language. Raises ``ValueError`` when
    the weights do not fit the settings. ``dtype`` is the arithmetic's float
    type: float32 (the default) computes as the torch model does; float64 is
    closer to exact (the torch model's own float32 round-off is then the gap).
    """

    training = False

    def __init__(
        self, config: Any, weights: Mapping[str, np.ndarray], language: Language, dtype: type = np.float32
    ) -> None:
        self.config = _as_config(config)
        self.dtype = np.dtype(dtype)
        self.language = language
        self.ops = list(language)
        self.roles = step_roles(language, self.config.steps, self.config.act)  # bool (T, O)
        self.terminal = terminal_ops(language)  # bool (O,)
        want = expected_shapes(self.config, len(self.ops))
        if set(weights) != set(want):
            missing, extra = sorted(set(want) - set(weights)), sorted(set(weights) - set(want))
            raise ValueError(f"weights do not match the model (missing {missing}, extra {extra})")
        self.w: dict[str, np.ndarray] = {}
        for name, shape in want.items():
            arr = np.ascontiguousarray(weights[name], dtype=self.dtype)
            if arr.shape != shape:
                raise ValueError(f"tensor {name} has shape {arr.shape}, expected {shape}")
            self.w[name] = arr

    # -- loading -----------------------------------------------------------------------
    @classmethod
    def load(cls, directory: str | Path, dtype: type = np.float32) -> tuple["NumpyProgrammer", Vocab, dict[str, Any]]:
        """(model, vocab, config) from a model directory, like :func:`npqa.model.files.load_model`.

        Raises :class:`ModelError` for a directory that is not a complete, consistent
        npqa model, with the same checks (files, format, ops, vocabulary, settings,
        the weights' header, size, names, shapes, dtypes and finiteness). Never
        imports torch; never unpickles.
        """
        from npqa.model.files import CONFIG, open_model_dir, read_weights

        checked = open_model_dir(Path(directory))
        mconfig = checked.settings
        if mconfig.hidden < 2:  # torch cannot build a GRU of size hidden // 2 == 0
            raise ModelError(str(Path(directory) / CONFIG), "model settings do not make a model (hidden must be at least 2)")
        state = read_weights(checked, expected_shapes(mconfig, len(checked.language.ops)))
        words, config = checked.words, checked.config
        return cls(mconfig, state, checked.language, dtype), Vocab(words), config

    # -- torch-model look-alikes -----------------------------------------------------
    def eval(self) -> "NumpyProgrammer":
        """No-op (always in eval mode); returns self, as ``nn.Module.eval`` does."""
        return self

    def __call__(self, batch: Mapping[str, np.ndarray], soft_execute: bool = False) -> NumpyOutputs:
        """:meth:`forward`; soft execution is not implemented (inference does not need it)."""
        if soft_execute:
            raise NotImplementedError("NumpyProgrammer has no soft execution; pass soft_execute=False")
        return self.forward(batch)

    # -- the forward pass -------------------------------------------------------------
    def _floats(self, batch: Mapping[str, np.ndarray], key: str) -> np.ndarray:
        return np.asarray(batch[key], dtype=self.dtype)

    def _linear(self, name: str, x: np.ndarray) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def _encode_question(self, x: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The bidirectional GRU over each question's own length, as torch runs a packed
        sequence: (H (B, Q, D) with zeros past each length, q (B, D) the final states)."""
        B, Q, _ = x.shape
        lengths = np.maximum(mask.sum(1), 1)  # (B,)
        live = np.arange(Q)[None, :] < lengths[:, None]  # (B, Q)
        outs, finals = [], []
        for suffix, steps in (("_l0", range(Q)), ("_l0_reverse", range(Q - 1, -1, -1))):
            w_ih, w_hh = self.w[f"encoder.weight_ih{suffix}"], self.w[f"encoder.weight_hh{suffix}"]
            b_ih, b_hh = self.w[f"encoder.bias_ih{suffix}"], self.w[f"encoder.bias_hh{suffix}"]
            G = w_hh.shape[1]
            gi = x @ w_ih.T + b_ih  # (B, Q, 3G)
            h = np.zeros((B, G), dtype=self.dtype)  # (B, G)
            out = np.zeros((B, Q, G), dtype=self.dtype)  # (B, Q, G)
            for t in steps:
                on = live[:, t : t + 1]  # (B, 1): the reverse pass starts at each length - 1
                h = np.where(on, _gru_gates(gi[:, t], h, w_hh, b_hh), h)
                out[:, t] = np.where(on, h, 0.0)
            outs.append(out)
            finals.append(h)  # forward: state at length - 1; reverse: state at 0
        return np.concatenate(outs, -1), np.concatenate(finals, -1)  # (B, Q, D), (B, D)

    def encode(self, batch: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(H (B, Q, D), q (B, D), cols (B, C, D), consts (B, K, D)), as ``NeuralProgrammer.encode``."""
        embed = self.w["embed.weight"]  # (V, E)
        ids = np.asarray(batch["q_ids"])  # (B, Q)
        x = np.concatenate([embed[ids], self._floats(batch, "q_feats")], -1)  # (B, Q, E+FQ)
        H, q = self._encode_question(x, np.asarray(batch["q_mask"]))
        col_ids = np.asarray(batch["col_ids"])  # (B, C, L)
        words = embed[col_ids]  # (B, C, L, E)
        wmask = (col_ids > 0).astype(self.dtype)[..., None]  # (B, C, L, 1)
        name = (words * wmask).sum(2) / np.maximum(wmask.sum(2), 1)  # (B, C, E)
        col_feats = self._floats(batch, "col_feats")
        cols = np.tanh(self._linear("col_proj", np.concatenate([name, col_feats], -1)))  # (B, C, D)
        span = np.asarray(batch["const_span"])  # (B, K, 2)
        pos = np.arange(H.shape[1])
        in_span = ((pos[None, None, :] >= span[..., :1]) & (pos[None, None, :] < span[..., 1:])).astype(self.dtype)
        span_h = in_span @ H / np.maximum(in_span.sum(-1, keepdims=True), 1)  # (B, K, D)
        const_feats = self._floats(batch, "const_feats")
        consts = np.tanh(self._linear("const_proj", np.concatenate([span_h, const_feats], -1)))  # (B, K, D)
        return H, q, cols, consts

    def forward(self, batch: Mapping[str, np.ndarray]) -> NumpyOutputs:
        """The per-step op, column and constant distributions, as
        ``NeuralProgrammer.forward(batch, soft_execute=False)`` in eval mode.
        ``batch``: :func:`npqa.model.batch.collate_numpy` output (any dict with its keys)."""
        w = self.w
        H, q, cols, consts = self.encode(batch)
        T = self.config.steps
        qmask = np.asarray(batch["q_mask"], dtype=bool)  # (B, Q)
        col_ok = np.asarray(batch["col_mask"], dtype=bool) & np.asarray(batch["col_valid"], dtype=bool)[:, None, :]  # (B, O, C)
        const_ok = np.asarray(batch["const_mask"], dtype=bool) & np.asarray(batch["const_valid"], dtype=bool)[:, None, :]  # (B, O, K)
        op_mask = np.asarray(batch["op_mask"], dtype=bool)  # (B, O)
        const_feats = self._floats(batch, "const_feats")  # (B, K, FK)
        col_feats = self._floats(batch, "col_feats")  # (B, C, FC)
        pair_bias = self._linear("pair_col_score", self._floats(batch, "pair_feats"))[..., 0]  # (B, K, C)
        k_bias = self._linear("const_feat_score", const_feats)[..., 0]  # (B, K)
        c_bias = self._linear("col_feat_score", col_feats)[..., 0]  # (B, C)
        op_embed, step_embed = w["op_embed"], w["step_embed"]  # (O, D), (T, D)
        h = np.tanh(self._linear("init_h", q))  # (B, D)
        op_probs, col_probs, const_probs, attns, term_probs, units = [], [], [], [], [], []
        for t in range(T):
            scores = np.einsum("bqd,bd->bq", H, h @ w["attn.weight"].T)  # (B, Q)
            attn = _softmax(np.where(qmask, scores, np.float32(NEG)), -1)  # (B, Q)
            ctx = np.einsum("bq,bqd->bd", attn, H)  # (B, D)
            s = np.tanh(self._linear("state", np.concatenate([ctx, h, q], -1)) + step_embed[t])  # (B, D)
            op_logits = self._linear("op_out", s) @ op_embed.T  # (B, O)
            p_op = masked_softmax(op_logits, op_mask & self.roles[t][None, :])  # (B, O)
            if self.config.act:
                term_probs.append(masked_softmax(op_logits, op_mask & self.terminal[None, :]))  # (B, O)
                units.append(_sigmoid(self._linear("halt", s)[:, 0]))  # (B,)
            k_logits = np.einsum("bkd,bd->bk", consts, self._linear("const_out", s)) + k_bias  # (B, K)
            p_const = masked_softmax(np.broadcast_to(k_logits[:, None, :], const_ok.shape), const_ok)  # (B, O, K)
            c_logits = np.einsum("bcd,bd->bc", cols, self._linear("col_out", s)) + c_bias  # (B, C)
            c_logits = c_logits[:, None, :] + p_const @ pair_bias  # (B, O, C)
            p_col = masked_softmax(c_logits, col_ok)  # (B, O, C)
            op_probs.append(p_op)
            col_probs.append(p_col)
            const_probs.append(p_const)
            attns.append(attn)
            col_weight = np.einsum("boc,bo->bc", p_col, p_op)  # (B, C)
            chosen = np.concatenate([p_op @ op_embed, np.einsum("bc,bcd->bd", col_weight, cols)], -1)  # (B, 2D)
            gi = chosen @ w["history.weight_ih"].T + w["history.bias_ih"]  # (B, 3D)
            h = _gru_gates(gi, h, w["history.weight_hh"], w["history.bias_hh"])  # (B, D)
        ops = np.stack(op_probs, 1)  # (B, T, O)
        halt = None
        if self.config.act:
            halt, lam = act_halting(np.stack(units, 1))  # (B, T), (B, T)
            ops = (1 - lam)[..., None] * ops + lam[..., None] * np.stack(term_probs, 1)  # (B, T, O)
        return NumpyOutputs(ops, np.stack(col_probs, 1), np.stack(const_probs, 1), np.stack(attns, 1), halt)
