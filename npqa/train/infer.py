"""Batched inference: prepared items in, decoded programs out.

:func:`predict` runs either engine: the numpy controller
(:class:`npqa.model.npcontroller.NumpyProgrammer`, or an ensemble of them; what
``npqa predict`` and ``npqa eval`` use, no torch needed) or the torch model (the training loop's dev
measure). Both read the same padded batches (:mod:`npqa.model.batch`) and are
decoded by the same :func:`npqa.model.decode.decode_outputs`. Torch is imported
only when a torch model is given.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

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


def batches_by_size(
    items: Sequence[Item], budget: int = 400_000, max_batch: int = 64, rows: bool = True
) -> list[list[int]]:
    """Indices grouped so that examples of similar table size share a batch and
    a batch's padded ``B * R * C * K`` (the size of the filter conditions) stays
    near ``budget``; ``rows=False`` (the numpy controller, which reads no rows)
    counts ``B * C * K`` against the same budget."""

    def size(i: int) -> tuple[int, int, int]:
        it = items[i]
        return max(it.table.n_rows, 1) if rows else 1, max(len(it.table.columns), 1), max(len(it.linked.constants), 1)

    order = sorted(range(len(items)), key=size)
    out: list[list[int]] = []
    cur: list[int] = []
    peak = (1, 1, 1)
    for i in order:
        R, C, K = (max(a, b) for a, b in zip(peak, size(i)))
        if cur and ((len(cur) + 1) * R * C * K > budget or len(cur) >= max_batch):
            out.append(cur)
            cur, (R, C, K) = [], size(i)
        cur.append(i)
        peak = (R, C, K)
    if cur:
        out.append(cur)
    return out


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


def iterate_batches(items: Sequence[Item], rng: np.random.Generator) -> Iterator[list[Item]]:
    """Training batches: size-grouped, in a random order."""
    groups = batches_by_size(items, max_batch=32)
    for g in rng.permutation(len(groups)):
        yield [items[i] for i in groups[g]]
