"""The model's settings, importable without torch (the numpy controller reads them too)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

NEG = -1e9
"""The logit of a masked-out choice, in both forward passes."""

ACT_EPSILON = 0.01
"""Adaptive computation time's ε: a program halts at the first step where the
halting units' running sum reaches ``1 - ACT_EPSILON`` (Graves 2016)."""


@dataclass
class ModelConfig:
    vocab_size: int  # words known to the embedding (ids from npqa.model.features.Vocab)
    steps: int = 4  # T: T-1 row steps, then one terminal step
    embed_dim: int = 64  # word embedding size
    hidden: int = 128  # controller / encoder size D
    dropout: float = 0.2  # dropout on encoder outputs and controller state
    word_dropout: float = 0.1  # chance a question word is replaced by <unk> in training
    act: bool = False  # adaptive computation time: a halting unit per step decides the number of row steps (0..T-1)
    act_stop: float = 0.5  # ACT decoding: a program stops where this share of its halting budget is spent (1 - ε: Graves' N)

    def to_dict(self) -> dict:
        return asdict(self)
