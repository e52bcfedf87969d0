"""Batched inference: prepared items in, decoded programs out.

:func:`predict` runs either engine: the numpy controller
(:class:`npqa.model.npcontroller.NumpyProgrammer`, or an ensemble of them; what
``npqa predict`` and ``npqa eval`` use, no torch needed) or the torch model (the training loop's dev
measure). Both read the same padded batches (:mod:`npqa.model.batch`) and are
decoded by the same :func:`npqa.model.decode.decode_outputs`. Torch is imported
only when a torch model is given.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from npqa.model.batch import collate, collate_numpy
from npqa.model.decode import Decoded, decode_outputs
from npqa.model.ensemble import NumpyEnsemble
from npqa.model.inputs import Item
from npqa.model.npcontroller import NumpyOutputs, NumpyProgrammer

if TYPE_CHECKING:
    from npqa.model.controller import NeuralProgrammer, Outputs

NUMPY_ENGINES = (NumpyProgrammer, NumpyEnsemble)
"""The numpy controllers (one model, or an ensemble's average): numpy batches, no torch."""


def size_key(item: Item, rows: bool = True) -> tuple[int, int, int]:
    """What an example's padded size in a batch grows with: (rows, columns,
    constants); ``rows=False`` counts one row (the numpy controller reads none)."""
    return max(item.table.n_rows, 1) if rows else 1, max(len(item.table.columns), 1), max(len(item.linked.constants), 1)


def group_by_size(sizes: Sequence[tuple[int, int, int]], budget: int = 400_000, max_batch: int = 64) -> list[list[int]]:
    """Indices of ``sizes`` (:func:`size_key` of each example) grouped so that
    examples of similar size share a batch and a batch's padded ``B * R * C * K``
    (the size of the filter conditions) stays near ``budget``."""
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    out: list[list[int]] = []
    cur: list[int] = []
    peak = (1, 1, 1)
    for i in order:
        R, C, K = (max(a, b) for a, b in zip(peak, sizes[i]))
        if cur and ((len(cur) + 1) * R * C * K > budget or len(cur) >= max_batch):
            out.append(cur)
            cur, (R, C, K) = [], sizes[i]
        cur.append(i)
        peak = (R, C, K)
    if cur:
        out.append(cur)
    return out


def batches_by_size(
    items: Sequence[Item], budget: int = 400_000, max_batch: int = 64, rows: bool = True
) -> list[list[int]]:
    """Indices of ``items`` grouped by :func:`group_by_size`; ``rows=False``
    (the numpy controller, which reads no rows) counts ``B * C * K`` against
    the same budget."""
    return group_by_size([size_key(it, rows) for it in items], budget, max_batch)


def forward_items(
    model: NumpyProgrammer | NumpyEnsemble | NeuralProgrammer, items: Sequence[Item]
) -> NumpyOutputs | Outputs:
    """The controller's distributions for ``items`` (no soft execution): numpy
    arrays from the numpy controller, tensors from the torch model (call it
    under ``torch.no_grad()``)."""
    if isinstance(model, NUMPY_ENGINES):
        return model(collate_numpy([it.enc for it in items]))
    return model(collate([it.enc for it in items]), soft_execute=False)


def predict(
    model: NumpyProgrammer | NumpyEnsemble | NeuralProgrammer,
    items: Sequence[Item],
    top_k: int = 1,
    on_batch: Callable[[int], None] | None = None,
) -> list[list[Decoded]]:
    """Decoded programs (best first) for every item, in the items' order."""
    numpy_engine = isinstance(model, NUMPY_ENGINES)
    model.eval()
    results: list[list[Decoded] | None] = [None] * len(items)
    with _no_grad(numpy_engine):
        for idx in batches_by_size(items, rows=not numpy_engine):
            chunk = [items[i] for i in idx]
            for i, decoded in zip(idx, decode_outputs(model, forward_items(model, chunk), chunk, top_k)):
                results[i] = decoded
            if on_batch is not None:
                on_batch(len(idx))
    return [r if r is not None else [] for r in results]


def _no_grad(numpy_engine: bool) -> Any:
    """``torch.no_grad()`` for the torch model; nothing for the numpy one (no torch import)."""
    if numpy_engine:
        import contextlib

        return contextlib.nullcontext()
    import torch

    return torch.no_grad()


TRAIN_BATCH = 32
"""Questions in a training batch at most (``TrainConfig.batch``; over all ranks when distributed)."""


def batch_order(
    sizes: Sequence[tuple[int, int, int]], rng: np.random.Generator, max_batch: int = TRAIN_BATCH
) -> list[list[int]]:
    """One epoch's training batches as indices of ``sizes``: size-grouped, in a
    random order. A function of the sizes and ``rng`` alone, so that every rank
    of a distributed run draws the same batches (:mod:`npqa.train.distributed`)."""
    groups = group_by_size(sizes, max_batch=max_batch)
    return [groups[g] for g in rng.permutation(len(groups))]

