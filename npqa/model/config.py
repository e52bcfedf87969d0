"""The model's settings, importable without torch (the numpy controller reads them too)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

NEG = -1e9
"""The logit of a masked-out choice, in both forward passes."""


@dataclass
class ModelConfig:
    vocab_size: int  # words known to the embedding (ids from npqa.model.features.Vocab)
    steps: int = 4  # T: T-1 row steps, then one terminal step
    embed_dim: int = 64  # word embedding size
    hidden: int = 128  # controller / encoder size D
    dropout: float = 0.2  # dropout on encoder outputs and controller state
    word_dropout: float = 0.1  # chance a question word is replaced by <unk> in training

    def to_dict(self) -> dict:
        return asdict(self)
