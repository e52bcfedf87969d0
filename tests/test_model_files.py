"""Model directories are data: a damaged or hostile one gets a ModelError and runs no code.

Each test copies a small valid model directory, damages one thing, and checks
that :func:`npqa.model_io.load_model` refuses it with a message naming the
problem. Pickle payloads would create a marker file if they were ever
unpickled; the tests check the marker never appears.
"""
from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from npqa.errors import ModelError
from npqa.grammars.ops import LANGUAGE
from npqa.model.config import ModelConfig
from npqa.model.controller import NeuralProgrammer
from npqa.model.files import CONFIG, FORMAT, TRAIN_STATE, VOCAB, WEIGHTS, atomic_write, load_model, save_model

WORDS = ["<pad>", "<unk>", "<num>", "how", "many"]


class Payload:
    """Unpickling this calls ``os.system`` to create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


@pytest.fixture(scope="module")
def good_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("model")
    torch.manual_seed(0)
    model = NeuralProgrammer(ModelConfig(vocab_size=len(WORDS), embed_dim=4, hidden=8), LANGUAGE)
    save_model(model, WORDS, directory, {"model_id": "test"})
    return directory


@pytest.fixture
def model_dir(good_model: Path, tmp_path: Path) -> Path:
    target = tmp_path / "m"
    shutil.copytree(good_model, target)
    return target


def refused(directory: Path, match: str) -> ModelError:
    with pytest.raises(ModelError, match=match) as info:
        load_model(directory)
    return info.value


def edit_config(directory: Path, **changes: object) -> None:
    config = json.loads((directory / CONFIG).read_text())
    for key, value in changes.items():
        if key.startswith("model_"):
            config["model"][key.removeprefix("model_")] = value
        else:
            config[key] = value
    (directory / CONFIG).write_text(json.dumps(config))


def test_the_valid_model_loads(model_dir: Path) -> None:
    model, vocab, config = load_model(model_dir)
    assert config["model_id"] == "test" and not model.training


@pytest.mark.parametrize("name", [WEIGHTS, CONFIG, VOCAB])
def test_a_missing_file_is_refused(model_dir: Path, name: str) -> None:
    (model_dir / name).unlink()
    refused(model_dir, "not a model directory")


@pytest.mark.parametrize(("name", "match"), [(WEIGHTS, "unreadable weights"), (CONFIG, "not valid JSON"), (VOCAB, "not valid JSON")])
def test_a_truncated_file_is_refused(model_dir: Path, name: str, match: str) -> None:
    data = (model_dir / name).read_bytes()
    (model_dir / name).write_bytes(data[: len(data) // 2])
    refused(model_dir, match)


def test_weights_cut_inside_the_tensor_data_are_refused(model_dir: Path) -> None:
    data = (model_dir / WEIGHTS).read_bytes()
    (model_dir / WEIGHTS).write_bytes(data[:-10])
    refused(model_dir, "unreadable weights")


def test_a_tensor_of_the_wrong_shape_is_refused(model_dir: Path) -> None:
    state = load_file(str(model_dir / WEIGHTS))
    name = next(iter(state))
    state[name] = torch.zeros(*(d + 1 for d in state[name].shape))
    save_file(state, str(model_dir / WEIGHTS))
    refused(model_dir, f"tensor {name} has shape")


def test_a_missing_tensor_is_refused(model_dir: Path) -> None:
    state = load_file(str(model_dir / WEIGHTS))
    state.pop(next(iter(state)))
    save_file(state, str(model_dir / WEIGHTS))
    refused(model_dir, "missing or extra tensors")


def test_a_tensor_of_the_wrong_dtype_is_refused(model_dir: Path) -> None:
    state = load_file(str(model_dir / WEIGHTS))
    name = next(iter(state))
    state[name] = state[name].to(torch.float64)
    save_file(state, str(model_dir / WEIGHTS))
    refused(model_dir, "dtype")


def test_nan_weights_are_refused(model_dir: Path) -> None:
    state = load_file(str(model_dir / WEIGHTS))
    name = next(iter(state))
    state[name] = torch.full_like(state[name], float("nan"))
    save_file(state, str(model_dir / WEIGHTS))
    refused(model_dir, "NaN")


def test_a_vocabulary_of_the_wrong_size_is_refused(model_dir: Path) -> None:
    (model_dir / VOCAB).write_text(json.dumps(WORDS + ["extra"]))
    refused(model_dir, "vocabulary has 6 words, the model expects 5")


def test_a_vocabulary_that_is_not_a_list_of_words_is_refused(model_dir: Path) -> None:
    (model_dir / VOCAB).write_text(json.dumps({"how": 1}))
    refused(model_dir, "not a vocabulary")


def test_a_vocabulary_without_its_special_tokens_is_refused(model_dir: Path) -> None:
    (model_dir / VOCAB).write_text(json.dumps(["how", "many", "rows", "x", "y"]))
    refused(model_dir, "must start with <pad>, <unk>, <num>")


def test_a_vocabulary_with_repeated_words_is_refused(model_dir: Path) -> None:
    (model_dir / VOCAB).write_text(json.dumps(WORDS[:-1] + ["how"]))
    refused(model_dir, "repeated words")


def test_a_config_from_the_future_is_refused(model_dir: Path) -> None:
    edit_config(model_dir, format=FORMAT + 1)
    refused(model_dir, "newer npqa")


def test_an_op_this_npqa_lacks_is_refused(model_dir: Path) -> None:
    edit_config(model_dir, ops=["count", "teleport"])
    refused(model_dir, "ops this npqa does not have: teleport")


def test_an_op_set_with_a_missing_op_is_refused_by_the_weights(model_dir: Path) -> None:
    """A model naming fewer ops than its weights hold (an older op set is fine only
    when the weights match it)."""
    edit_config(model_dir, ops=["count"])
    refused(model_dir, "op_embed")


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("model_hidden", "8", "positive integer"),
        ("model_hidden", True, "positive integer"),
        ("model_hidden", -8, "positive integer"),
        ("model_dropout", 7.5, "from 0 to 1"),
        ("model_act", "yes", "true or false"),
        ("model_act_stop", 1.5, "from 0 to 1"),
        ("model_telepathy", 1, "does not know: telepathy"),
    ],
)
def test_bad_model_settings_are_refused(model_dir: Path, field: str, value: object, match: str) -> None:
    edit_config(model_dir, **{field: value})
    refused(model_dir, match)


def test_a_huge_model_setting_is_refused_without_allocating(model_dir: Path) -> None:
    """hidden = 10**7 would need terabytes; the shapes are checked on the meta device first."""
    edit_config(model_dir, model_hidden=10**7)
    refused(model_dir, "has shape")


def test_weights_that_are_a_pickle_are_refused_and_never_run(model_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (model_dir / WEIGHTS).write_bytes(pickle.dumps(Payload(marker)))
    refused(model_dir, "unreadable weights")
    assert not marker.exists()


def test_weights_that_are_a_torch_save_are_refused_and_never_run(model_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    torch.save({"x": Payload(marker)}, model_dir / WEIGHTS)
    refused(model_dir, "unreadable weights")
    assert not marker.exists()


@pytest.mark.parametrize("name", ["pytorch_model.bin", "model.pt", "weights.pkl", "extra.ckpt"])
def test_an_extra_pickle_file_is_refused_and_never_run(model_dir: Path, tmp_path: Path, name: str) -> None:
    marker = tmp_path / "pwned"
    (model_dir / name).write_bytes(pickle.dumps(Payload(marker)))
    refused(model_dir, "could hold a pickle")
    assert not marker.exists()


def test_a_pickle_in_train_state_is_never_run_by_loading(model_dir: Path, tmp_path: Path) -> None:
    """train_state.pt belongs to training (read there with weights_only=True); loading the
    model never reads it, so a hostile one changes nothing."""
    marker = tmp_path / "pwned"
    (model_dir / TRAIN_STATE).write_bytes(pickle.dumps(Payload(marker)))
    load_model(model_dir)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):  # what training's torch.load(weights_only=True) does with it
        torch.load(model_dir / TRAIN_STATE, weights_only=True)
    assert not marker.exists()


def test_config_that_is_a_pickle_is_refused(model_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (model_dir / CONFIG).write_bytes(pickle.dumps(Payload(marker)))
    refused(model_dir, "not valid JSON")
    assert not marker.exists()


def test_the_payload_is_live(tmp_path: Path) -> None:
    """The marker tests are not vacuous: unpickling the payload does create the marker."""
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


def test_atomic_write_replaces_whole_files_and_leaves_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    atomic_write(target, b"old")
    atomic_write(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_atomic_write_that_fails_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.bin"
    atomic_write(target, b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]
