"""Ensembles: several controllers trained on the same data, answering as one.

A model directory is either one model (``model.safetensors`` + ``config.json``
+ ``vocab.json``) or an ensemble: a ``config.json`` whose ``members`` lists
sub-directories, each a complete model of the same vocabulary and settings
(``npqa train --members K`` writes one). At every step the members' op, column
and constant distributions are averaged (the Neural Programmer paper averaged
its 15 models' distributions the same way), then decoded as one model's are.
Answering stays in numpy: no torch.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from npqa.errors import ModelError
from npqa.model.features import Vocab
from npqa.model.files import CONFIG, FORMAT, atomic_write, ensemble_members
from npqa.model.npcontroller import NumpyOutputs, NumpyProgrammer


class NumpyEnsemble:
    """Members answering as one model: same interface as :class:`NumpyProgrammer`."""

    training = False

    def __init__(self, members: Sequence[NumpyProgrammer]) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        first = members[0]
        if any((m.config.steps, m.config.act, m.ops) != (first.config.steps, first.config.act, first.ops) for m in members):
            raise ValueError("ensemble members differ in their steps, halting (act) or ops")
        self.members = list(members)
        self.language, self.ops, self.config, self.roles = first.language, first.ops, first.config, first.roles

    def eval(self) -> "NumpyEnsemble":
        return self

    def __call__(self, batch: Mapping[str, np.ndarray], soft_execute: bool = False) -> NumpyOutputs:
        if soft_execute:
            raise NotImplementedError("an ensemble has no soft execution; pass soft_execute=False")
        return self.forward(batch)

    def forward(self, batch: Mapping[str, np.ndarray]) -> NumpyOutputs:
        """The members' distributions, averaged per step: op (B, T, O), column (B, T, O, C), constant (B, T, O, K),
        attention (B, T, Q) and, with adaptive computation time, halting (B, T); ``members`` keeps each
        member's own (for how far they agree: :func:`npqa.model.calibrate.member_agreement`)."""
        outs = [m.forward(batch) for m in self.members]
        fields = ("op_probs", "col_probs", "const_probs", "attn", "halt")
        mean = (None if getattr(outs[0], f) is None else np.mean([getattr(o, f) for o in outs], axis=0) for f in fields)
        return NumpyOutputs(*mean, members=tuple(outs))


def load_numpy_model(directory: str | Path) -> tuple[NumpyProgrammer | NumpyEnsemble, Vocab, dict[str, Any]]:
    """(model, vocab, config) of a model or ensemble directory, checked as
    :meth:`NumpyProgrammer.load` checks each model; :class:`ModelError` when the
    members do not share one vocabulary."""
    directory = Path(directory)
    names = ensemble_members(directory)
    if names is None:
        return NumpyProgrammer.load(directory)
    loaded = [NumpyProgrammer.load(directory / name) for name in names]
    vocab = loaded[0][1]
    for name, (_, other, _) in zip(names, loaded):
        if other.words != vocab.words:
            raise ModelError(str(directory / name), "ensemble members must share one vocabulary")
    try:
        model = NumpyEnsemble([m for m, _, _ in loaded])
    except ValueError as err:
        raise ModelError(str(directory), str(err)) from None
    config = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
    config["model"] = loaded[0][2].get("model")
    return model, vocab, config


def write_ensemble(directory: Path, members: Sequence[str], card: dict[str, Any]) -> None:
    """Write ``directory/config.json`` naming ``members`` (sub-directories holding
    models, already written) and the ops they answer in: their own, not every op
    npqa declares (an op declared but not learned is not the model's)."""
    ops = json.loads((directory / members[0] / CONFIG).read_text(encoding="utf-8"))["ops"]
    config = {"format": FORMAT, "members": list(members), "ops": ops, **card}
    atomic_write(directory / CONFIG, json.dumps(config, indent=2, ensure_ascii=False).encode("utf-8"))
