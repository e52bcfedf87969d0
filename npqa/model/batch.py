"""Batching: prepared examples padded to one size and stacked, in numpy.

One function pads (:func:`collate_arrays`); the torch model's batches are the
same arrays as tensors (:func:`collate`), the numpy controller's only the
arrays inference reads (:func:`collate_numpy`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from npqa.model.features import C_FEATS, K_FEATS, MAX_NAME_WORDS, P_FEATS, Q_FEATS, Encoded

if TYPE_CHECKING:
    import torch

INFERENCE_KEYS = (
    "q_ids", "q_feats", "q_mask", "col_ids", "col_feats", "col_mask", "col_valid",
    "const_span", "const_feats", "const_mask", "const_valid", "pair_feats", "op_mask",
)  # fmt: skip
"""The batch arrays the controller's choices depend on (no table rows, conditions or targets)."""

ROW_KEYS = ("num", "has_num", "order", "has_order", "nonempty", "text_id", "start", "cond", "pair_mask", "valid")
"""The arrays soft execution (and decoding's ``pair_mask``) add to :data:`INFERENCE_KEYS`."""


def collate_arrays(batch: Sequence[Encoded], keys: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Pad a list of examples to the batch's largest Q, C, R, K, L and stack.

    ``keys`` (default: every input and, when the examples have them, the
    targets ``scalar``, ``cells``, ``programs``, ``program_valid``, ``program_rank``) chooses
    the arrays built. Padding is 0 (``text_id``: -1; ``start``: 0, padding rows are
    never started from); ``q_mask``,
    ``col_valid``, ``const_valid`` (bool) and ``valid`` (float32) mark the
    real tokens, columns, constants and rows.
    """
    want = set(keys) if keys is not None else None
    B = len(batch)
    Q = max(len(e.q_ids) for e in batch)
    C = max(e.col_ids.shape[0] for e in batch)
    R = max(e.num.shape[0] for e in batch)
    K = max(max(e.const_span.shape[0] for e in batch), 1)
    O = batch[0].op_mask.shape[0]
    F = batch[0].cond.shape[0]

    def pad(name: str, shape: tuple[int, ...], dtype: type, fill: float = 0) -> np.ndarray:
        out = np.full((B, *shape), fill, dtype=dtype)
        for b, e in enumerate(batch):
            arr = getattr(e, name)
            out[(b, *tuple(slice(0, s) for s in arr.shape))] = arr
        return out

    def valid(sizes: list[int], n: int) -> np.ndarray:
        return np.arange(n)[None, :] < np.array(sizes, dtype=np.int64).reshape(B, 1)  # (B, n)

    shapes: dict[str, tuple[tuple[int, ...], type]] = {
        "q_ids": ((Q,), np.int64),
        "q_feats": ((Q, Q_FEATS), np.float32),
        "col_ids": ((C, MAX_NAME_WORDS), np.int64),
        "col_feats": ((C, C_FEATS), np.float32),
        "const_span": ((K, 2), np.int64),
        "const_feats": ((K, K_FEATS), np.float32),
        "pair_feats": ((K, C, P_FEATS), np.float32),
        "num": ((R, C), np.float32),
        "has_num": ((R, C), np.float32),
        "order": ((R, C), np.float32),
        "has_order": ((R, C), np.float32),
        "nonempty": ((R, C), np.float32),
        "text_id": ((R, C), np.int64),
        "start": ((R,), np.float32),
        "cond": ((F, R, C, K), np.bool_),
        "op_mask": ((O,), np.bool_),
        "col_mask": ((O, C), np.bool_),
        "const_mask": ((O, K), np.bool_),
        "pair_mask": ((O, C, K), np.bool_),
    }
    t = {
        name: pad(name, shape, dtype, fill=-1 if name == "text_id" else 0)
        for name, (shape, dtype) in shapes.items()
        if want is None or name in want
    }
    masks = {
        "q_mask": lambda: valid([len(e.q_ids) for e in batch], Q),
        "col_valid": lambda: valid([e.col_ids.shape[0] for e in batch], C),
        "const_valid": lambda: valid([e.const_span.shape[0] for e in batch], K),
        "valid": lambda: valid([e.num.shape[0] for e in batch], R).astype(np.float32),
    }
    t.update({name: make() for name, make in masks.items() if want is None or name in want})
    if want is None and batch[0].cells is not None:
        t.update(_targets(batch, R, C))
    return t


def _targets(batch: Sequence[Encoded], R: int, C: int) -> dict[str, np.ndarray]:
    """The training targets, padded: scalar (B,), cells (B, R, C), programs (B, P, T, 3), program_valid (B, P),
    program_rank (B, P; 0 where a program has none)."""
    B = len(batch)
    cells = np.zeros((B, R, C), dtype=np.float32)
    for b, e in enumerate(batch):
        if e.cells is not None:
            cells[b, : e.cells.shape[0], : e.cells.shape[1]] = e.cells
    P = max(max((len(e.programs) if e.programs is not None else 0) for e in batch), 1)
    T = next((e.programs.shape[1] for e in batch if e.programs is not None and len(e.programs)), 1)
    progs = np.full((B, P, T, 3), -1, dtype=np.int64)
    pvalid = np.zeros((B, P), dtype=bool)
    prank = np.zeros((B, P), dtype=np.float32)
    for b, e in enumerate(batch):
        if e.programs is not None and len(e.programs):
            progs[b, : len(e.programs)] = e.programs
            pvalid[b, : len(e.programs)] = True
            if e.program_rank is not None:
                prank[b, : len(e.program_rank)] = e.program_rank
    scalar = np.array([e.scalar for e in batch], dtype=np.float32)
    return {"scalar": scalar, "cells": cells, "programs": progs, "program_valid": pvalid, "program_rank": prank}


def collate_numpy(batch: Sequence[Encoded]) -> dict[str, np.ndarray]:
    """The arrays the numpy controller reads (:data:`INFERENCE_KEYS`)."""
    return collate_arrays(batch, INFERENCE_KEYS)


def collate(batch: Sequence[Encoded]) -> dict[str, "torch.Tensor"]:
    """:func:`collate_arrays` as torch tensors (training and the torch engine)."""
    import torch

    return {name: torch.from_numpy(arr) for name, arr in collate_arrays(batch).items()}
