"""Model directories: ``model.safetensors`` + ``config.json`` + ``vocab.json``.

Files are data, never code: weights load with safetensors, the rest is JSON.
A directory that is missing a file, is truncated, has the wrong shapes, a
vocabulary that does not fit, or a format from a newer npqa gets a
:class:`ModelError`. Writes go to a temporary file, are fsynced and renamed,
so a killed process never leaves a half-written file behind.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import Any

from npqa.errors import ModelError

FORMAT = 1  # bump when the directory layout changes
WEIGHTS, CONFIG, VOCAB = "model.safetensors", "config.json", "vocab.json"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a fsynced temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save_model(model: Any, vocab_words: list[str], directory: Path, card: dict[str, Any]) -> None:
    """Write a model directory; ``card`` (how it was trained) goes into config.json."""
    from safetensors.torch import save

    tensors = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    config = {"format": FORMAT, "model": model.config.to_dict(), "ops": [op.name for op in model.ops], **card}
    atomic_write(directory / VOCAB, json.dumps(vocab_words, ensure_ascii=False).encode("utf-8"))
    atomic_write(directory / WEIGHTS, save(tensors))
    atomic_write(directory / CONFIG, json.dumps(config, indent=2, ensure_ascii=False).encode("utf-8"))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(str(path.parent), f"not a model directory (no {path.name})") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelError(str(path), "not valid JSON (truncated or corrupt)") from None


def load_model(directory: Path) -> tuple[Any, Any, dict[str, Any]]:
    """(model, vocab, config) from a model directory, in eval mode."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from npqa.features import Vocab
    from npqa.grammars.ops import LANGUAGE
    from npqa.model import ModelConfig, NeuralProgrammer

    directory = Path(directory)
    if not directory.is_dir():
        raise ModelError(str(directory), "not a model directory")
    config = _read_json(directory / CONFIG)
    if not isinstance(config, dict) or not isinstance(config.get("format"), int):
        raise ModelError(str(directory / CONFIG), "not an npqa model config")
    if config["format"] > FORMAT:
        raise ModelError(str(directory), f"made by a newer npqa (format {config['format']}, this one reads {FORMAT})")
    if config.get("ops") != [op.name for op in LANGUAGE]:
        raise ModelError(str(directory), "trained on another op set than this npqa's")
    words = _read_json(directory / VOCAB)
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words) or len(words) < 3:
        raise ModelError(str(directory / VOCAB), "not a vocabulary")
    known = {f.name for f in fields(ModelConfig)}
    raw = config.get("model")
    if not isinstance(raw, dict) or not set(raw) <= known:
        raise ModelError(str(directory / CONFIG), "model settings this npqa does not know")
    try:
        mconfig = ModelConfig(**raw)
    except TypeError as err:
        raise ModelError(str(directory / CONFIG), f"bad model settings: {err}") from None
    if mconfig.vocab_size != len(words):
        raise ModelError(str(directory), f"vocabulary has {len(words)} words, the model expects {mconfig.vocab_size}")
    model = NeuralProgrammer(mconfig, LANGUAGE)
    path = directory / WEIGHTS
    if not path.is_file():
        raise ModelError(str(directory), f"not a model directory (no {WEIGHTS})")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise ModelError(str(path), f"unreadable weights ({err})") from None
    expected = model.state_dict()
    if set(state) != set(expected):
        raise ModelError(str(path), "weights do not match the model (missing or extra tensors)")
    for name, tensor in state.items():
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise ModelError(str(path), f"tensor {name} has shape {tuple(tensor.shape)}, expected {tuple(expected[name].shape)}")
    model.load_state_dict(state)
    model.eval()
    return model, Vocab(words), config
