"""Model directories: ``model.safetensors`` + ``config.json`` + ``vocab.json``, and the shipped one.

Files are data, never code: weights load with safetensors, the rest is JSON.
A directory that is missing a file, is truncated, has the wrong shapes, a
vocabulary that does not fit, or a format from a newer npqa gets a
:class:`ModelError`. Writes go to a temporary file, are fsynced and renamed,
so a killed process never leaves a half-written file behind.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from npqa.lang.language import Language

from npqa.errors import ModelError
from npqa.model.config import ModelConfig

FORMAT = 1  # bump when the directory layout changes
WEIGHTS, CONFIG, VOCAB = "model.safetensors", "config.json", "vocab.json"


def _file_mode(path: Path) -> int:
    """The permission bits for ``path``: its current ones, else 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a fsynced temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode(path))  # mkstemp makes 0600; keep the mode a plain open() would give
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


PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".npz")
"""Files in these formats can hold pickles, which run code when loaded. npqa never
loads them from a model directory and refuses a directory that holds one it does
not know, so nobody mistakes it for part of the model."""
TRAIN_STATE = "train_state.pt"
"""Written by :mod:`npqa.train.loop` beside the model files (optimizer state for
``--resume``); never read by :func:`load_model`, and read by training only with
``torch.load(weights_only=True)``, which refuses code."""


def _check_files(directory: Path) -> None:
    """Refuse a directory that holds a pickle-capable file other than :data:`TRAIN_STATE`."""
    strangers = sorted(
        f.name for f in directory.iterdir() if f.suffix.lower() in PICKLE_SUFFIXES and f.name != TRAIN_STATE
    )
    if strangers:
        raise ModelError(
            str(directory / strangers[0]),
            f"npqa models are {WEIGHTS} + {CONFIG} + {VOCAB} only; this file could hold a pickle "
            "(which runs code when loaded), so it is never loaded: remove it",
        )


def read_vocab(directory: Path) -> list[str]:
    """The words of ``directory/vocab.json``; :class:`ModelError` unless it is a list of
    distinct strings starting with the padding, unknown and number tokens."""
    words = _read_json(Path(directory) / VOCAB)
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words) or len(words) < 3:
        raise ModelError(str(Path(directory) / VOCAB), "not a vocabulary")
    from npqa.model.features import NUM, PAD, UNK

    if words[:3] != [PAD, UNK, NUM]:
        raise ModelError(str(Path(directory) / VOCAB), f"a vocabulary must start with {PAD}, {UNK}, {NUM}")
    if len(set(words)) != len(words):
        raise ModelError(str(Path(directory) / VOCAB), "a vocabulary with repeated words")
    return words


def _model_config(raw: Any, where: str) -> ModelConfig:
    """The model settings described by ``raw`` as ``config_class`` (default
    :class:`~npqa.model.ModelConfig`; :mod:`npqa.model.npcontroller` passes its torch-free
    twin with the same fields), every field type-checked."""
    if not isinstance(raw, dict):
        raise ModelError(where, "no model settings")
    known = {f.name: f for f in fields(ModelConfig)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ModelError(where, f"model settings this npqa does not know: {', '.join(map(str, unknown))}")
    for name, value in raw.items():
        want = known[name].type if isinstance(known[name].type, str) else known[name].type.__name__
        if want == "bool" and not isinstance(value, bool):
            raise ModelError(where, f"model setting {name} must be true or false, got {value!r}")
        if want == "int" and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ModelError(where, f"model setting {name} must be a positive integer, got {value!r}")
        if want == "float" and (
            not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= float(value) <= 1.0
        ):
            raise ModelError(where, f"model setting {name} must be a number from 0 to 1, got {value!r}")
    try:
        return ModelConfig(**raw)
    except TypeError as err:
        raise ModelError(where, f"bad model settings: {err}") from None


@dataclass
class CheckedDirectory:
    """What :func:`open_model_dir` read and checked, before any weight is loaded."""

    config: dict[str, Any]  # config.json
    words: list[str]  # vocab.json
    settings: ModelConfig  # the model settings
    weights: Path  # model.safetensors
    stored: dict[str, tuple[int, ...]]  # tensor shapes from the weights file's header
    language: Language  # the ops the model was trained with (a part of npqa's, in its order)


def open_model_dir(directory: Path) -> CheckedDirectory:
    """Check a model directory without loading weights (no torch needed).

    Raises :class:`ModelError` for a directory that is not one, a file that is
    not plain data, a config from a newer npqa or for another op set, a
    vocabulary or settings that disagree, or a weights header that disagrees
    with the settings or promises more data than the file holds (which bounds
    what building the model allocates).
    """
    from safetensors import SafetensorError, safe_open

    directory = Path(directory)
    if not directory.is_dir():
        raise ModelError(str(directory), "not a model directory")
    if not (directory / CONFIG).is_file():
        raise ModelError(str(directory), f"not a model directory (no {CONFIG})")
    _check_files(directory)
    config = _read_json(directory / CONFIG)
    if not isinstance(config, dict) or not isinstance(config.get("format"), int) or isinstance(config["format"], bool):
        raise ModelError(str(directory / CONFIG), "not an npqa model config")
    if config["format"] > FORMAT:
        raise ModelError(str(directory), f"made by a newer npqa (format {config['format']}, this one reads {FORMAT})")
    language = model_language(config.get("ops"), str(directory))
    words = read_vocab(directory)
    settings = _model_config(config.get("model"), str(directory / CONFIG))
    if settings.vocab_size != len(words):
        raise ModelError(str(directory), f"vocabulary has {len(words)} words, the model expects {settings.vocab_size}")
    path = directory / WEIGHTS
    if not path.is_file():
        raise ModelError(str(directory), f"not a model directory (no {WEIGHTS})")
    try:
        with safe_open(str(path), framework="numpy") as handle:  # reads the header only
            stored = {k: tuple(handle.get_slice(k).get_shape()) for k in handle.keys()}
    except (SafetensorError, OSError, ValueError) as err:
        raise ModelError(str(path), f"unreadable weights ({err})") from None
    size = {"embed.weight": (settings.vocab_size, settings.embed_dim), "op_embed": (len(language.ops), settings.hidden),
            "step_embed": (settings.steps, settings.hidden)}  # fmt: skip
    for name, shape in size.items():
        if stored.get(name) != shape:
            raise ModelError(str(path), f"tensor {name} has shape {stored.get(name)}, the settings say {shape}")
    if 4 * sum(math.prod(shape) for shape in stored.values()) > path.stat().st_size:
        raise ModelError(str(path), "truncated weights (the header promises more data than the file holds)")
    return CheckedDirectory(config, words, settings, path, stored, language)


def model_language(ops: Any, where: str) -> Language:
    """The language a model answers in: the ops its config names, each one of
    npqa's (a model trained before an op was added answers without it)."""
    from npqa.grammars.ops import LANGUAGE

    if not isinstance(ops, list) or not ops or not all(isinstance(o, str) for o in ops) or len(set(ops)) != len(ops):
        raise ModelError(where, "the model's config names no op set")
    unknown = [o for o in ops if o not in LANGUAGE.ops]
    if unknown:
        raise ModelError(where, f"trained on ops this npqa does not have: {', '.join(unknown)}")
    return LANGUAGE.only(ops)


def read_weights(checked: CheckedDirectory, expected: dict[str, tuple[int, ...]]) -> dict[str, "np.ndarray"]:
    """The weights as float32 numpy arrays, after checking their names and shapes
    against ``expected`` (the model's own), their dtypes and that every value is finite."""
    import numpy as np
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = checked.weights
    if set(checked.stored) != set(expected):
        raise ModelError(str(path), "weights do not match the model (missing or extra tensors)")
    for name, shape in checked.stored.items():
        if shape != expected[name]:
            raise ModelError(str(path), f"tensor {name} has shape {shape}, expected {expected[name]}")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise ModelError(str(path), f"unreadable weights ({err})") from None
    for name, array in state.items():
        if array.dtype != np.float32:
            raise ModelError(str(path), f"tensor {name} has dtype {array.dtype}, expected float32")
        if not bool(np.isfinite(array).all()):
            raise ModelError(str(path), f"tensor {name} holds NaN or infinite values")
    return state


def load_model(directory: Path) -> tuple[Any, Any, dict[str, Any]]:
    """(model, vocab, config) from a model directory, in eval mode.

    Raises :class:`ModelError` for a directory that is not a complete, consistent
    npqa model. No file is unpickled: weights come from safetensors, the rest is
    JSON, and the settings are checked against the weights file's header (and
    the header against the file's size) before the model is built.
    """
    import torch

    from npqa.model.features import Vocab
    from npqa.model.controller import NeuralProgrammer

    if ensemble_members(Path(directory)) is not None:
        raise ModelError(str(directory), "an ensemble answers with the numpy engine (it has no single torch model)")
    checked = open_model_dir(directory)
    try:
        model = NeuralProgrammer(checked.settings, checked.language)
    except (RuntimeError, ValueError) as err:
        raise ModelError(str(Path(directory) / CONFIG), f"model settings do not make a model ({err})") from None
    state = read_weights(checked, {k: tuple(v.shape) for k, v in model.state_dict().items()})
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    model.eval()
    return model, Vocab(checked.words), checked.config


def ensemble_members(directory: Path) -> list[str] | None:
    """The member sub-directories an ensemble directory's config names, or None for one model.

    :class:`ModelError` for a config that names members badly (not a list of plain
    sub-directory names: no paths, no ``..``)."""
    path = Path(directory) / CONFIG
    if not path.is_file():
        return None
    config = _read_json(path)
    if not isinstance(config, dict) or "members" not in config:
        return None
    names = config["members"]
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(n, str) and n and n not in (".", "..") and "/" not in n and "\\" not in n for n in names)
    ):
        raise ModelError(str(path), "an ensemble's members must be a list of sub-directory names")
    fmt = config.get("format")
    if not isinstance(fmt, int) or isinstance(fmt, bool):
        raise ModelError(str(path), "not an npqa model config")
    if fmt > FORMAT:
        raise ModelError(str(directory), f"made by a newer npqa (format {fmt}, this one reads {FORMAT})")
    return names


def weight_dirs(directory: str | Path) -> list[Path]:
    """The directories holding a model's weights: ``directory`` itself, or each
    member of the ensemble it is."""
    directory = Path(directory)
    names = ensemble_members(directory)
    return [directory / n for n in names] if names is not None else [directory]


def default_model_dir() -> Path:
    """The directory of the model shipped inside the package (``npqa/assets/model``).

    Found from this module's own file, not by importing ``npqa`` by name: with an
    editable install, a stray ``npqa/`` folder beside a script (or in the working
    directory) becomes the ``npqa`` namespace package and would hide the model.
    """
    return Path(__file__).resolve().parent.parent / "assets" / "model"


def default_model_id() -> str:
    """The id of the model shipped in the package, or a note that none is."""
    card = default_model_dir() / CONFIG
    if not card.is_file():
        return "none shipped yet"
    return str(json.loads(card.read_text(encoding="utf-8")).get("model_id", "unnamed"))
