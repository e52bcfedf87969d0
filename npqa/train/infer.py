"""Batched inference: prepared items in, decoded programs out."""
from __future__ import annotations

from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from npqa.train.prepare import Item
from npqa.model.decode import Decoded, decode_outputs
from npqa.model.batch import collate
from npqa.model.controller import NeuralProgrammer, Outputs


def batches_by_size(items: Sequence[Item], budget: int = 400_000, max_batch: int = 64) -> list[list[int]]:
    """Indices grouped so that examples of similar table size share a batch and
    a batch's padded ``B * R * C * K`` (the size of the filter conditions) stays
    near ``budget``."""

    def size(i: int) -> tuple[int, int, int]:
        it = items[i]
        return max(it.table.n_rows, 1), max(len(it.table.columns), 1), max(len(it.linked.constants), 1)

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


def forward_items(model: NeuralProgrammer, items: Sequence[Item]) -> Outputs:
    return model(collate([it.enc for it in items]), soft_execute=False)


def predict(
    model: NeuralProgrammer,
    items: Sequence[Item],
    top_k: int = 1,
    on_batch: Callable[[int], None] | None = None,
) -> list[list[Decoded]]:
    """Decoded programs (best first) for every item, in the items' order."""
    model.eval()
    results: list[list[Decoded] | None] = [None] * len(items)
    with torch.no_grad():
        for idx in batches_by_size(items):
            chunk = [items[i] for i in idx]
            for i, decoded in zip(idx, decode_outputs(model, forward_items(model, chunk), chunk, top_k)):
                results[i] = decoded
            if on_batch is not None:
                on_batch(len(idx))
    return [r if r is not None else [] for r in results]


def iterate_batches(items: Sequence[Item], rng: np.random.Generator) -> Iterator[list[Item]]:
    """Training batches: size-grouped, in a random order."""
    groups = batches_by_size(items, max_batch=32)
    for g in rng.permutation(len(groups)):
        yield [items[i] for i in groups[g]]
