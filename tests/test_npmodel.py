"""The numpy forward pass (npqa.model.npcontroller) gives what the torch model gives, on real
encoded questions, after a save/load round trip, and without importing torch."""
from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from npqa.model.inputs import Item
from npqa.train.prepare import load_split, prepare, vocab_texts
from npqa.errors import ModelError
from npqa.model.batch import collate, collate_numpy
from npqa.model.config import ModelConfig
from npqa.model.features import Encoded, Vocab, encode
from npqa.grammars.ops import LANGUAGE
from npqa.model.controller import NeuralProgrammer
from npqa.model.files import load_model, save_model, weight_dirs
from npqa.model.npcontroller import NumpyProgrammer, expected_shapes
from npqa.question.link import link_question
from npqa.question.parse import parse_question
from npqa.table.read import table_from_dataframe

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "data" / "tiny"
SHIPPED = ROOT / "npqa" / "assets" / "model"
ATOL = 2e-5
# Random weights are drawn at most N(0, 0.5): at N(0, 1) and hidden 16 the network
# saturates and float32 round-off alone moves probabilities by ~1e-4 (the torch
# model then differs from a float64 computation about as much as numpy does).
# The model here has every op of the language (34 since the ops reading parts of
# cells); with them one ACT case (seed 2, scale 0.5) differs by 1.04e-5, so the
# bound is 2e-5: still far below what a wrong formula gives (1e-2 and more).
FIELDS = ("op_probs", "col_probs", "const_probs", "attn")


@lru_cache(maxsize=None)
def tiny() -> tuple[Vocab, tuple[Encoded, ...]]:
    """The tiny data's questions, encoded, plus a few on small made-up tables
    (other column counts, no constants, one word) so batches pad every axis."""
    examples, tables = load_split(TINY / "data" / "tiny.tsv", TINY)
    vocab = Vocab.build(vocab_texts(examples, tables), min_count=1)
    items, _ = prepare(examples, tables, vocab, LANGUAGE, 4, targets=False)
    encs = [it.enc for it in items]
    made_up = [
        ({"year": ["1990", "1991", "1995"], "team": ["red", "blue", "red"]}, "which team won in 1991 after red?"),
        ({"name": ["x", "y"], "points": ["3", "5"], "rank": ["2", "1"], "club": ["a", "b"]}, "total points"),
        ({"city": ["paris", "rome", "oslo", "bern", "nice", "lyon"]}, "how many?"),
        ({"a": ["1", "2"], "b": ["3", "4"], "c": ["5", "6"], "d": ["7", "8"], "e": ["9", "0"], "f": ["x", "y"]}, "last"),
    ]
    for columns, question in made_up:
        table = table_from_dataframe(pd.DataFrame(columns))
        encs.append(encode(link_question(parse_question(question), table), table, vocab, LANGUAGE))
    return vocab, tuple(encs)


@lru_cache(maxsize=None)
def torch_model(seed: int, scale: float, hidden: int = 16, steps: int = 4, act: bool = False) -> NeuralProgrammer:
    """A small model with random weights (``scale`` > 0: every parameter drawn
    afresh from N(0, scale), so the distributions are far from uniform);
    ``act``: with adaptive computation time."""
    vocab, _ = tiny()
    torch.manual_seed(seed)
    config = ModelConfig(vocab_size=len(vocab), hidden=hidden, embed_dim=8, steps=steps, act=act)
    model = NeuralProgrammer(config, LANGUAGE)
    if scale > 0:
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0.0, scale)
    return model.eval()


def numpy_of(model: NeuralProgrammer, dtype: type = np.float32) -> NumpyProgrammer:
    weights = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return NumpyProgrammer(model.config.to_dict(), weights, model.language, dtype)


def max_diff(model: NeuralProgrammer, npm: NumpyProgrammer, encs: list[Encoded]) -> float:
    """The largest difference between the two models' distributions on ``encs``."""
    with torch.no_grad():
        want = model(collate(encs), soft_execute=False)
    got = npm.forward(collate_numpy(encs))
    worst = 0.0
    assert (want.halt is None) == (got.halt is None) == (not model.config.act)
    for name in FIELDS + (("halt",) if model.config.act else ()):
        a, b = getattr(want, name).numpy(), getattr(got, name)
        assert isinstance(b, np.ndarray) and b.shape == a.shape and b.dtype == npm.dtype, name
        worst = max(worst, float(np.abs(a - b).max()) if a.size else 0.0)
    return worst


def test_both_engines_read_one_config() -> None:
    model = torch_model(0, 0.0)
    assert type(numpy_of(model).config) is type(model.config) is ModelConfig


@pytest.mark.parametrize("hidden,steps", [(16, 4), (15, 3), (6, 1)])
def test_expected_shapes_are_the_state_dict(hidden: int, steps: int) -> None:
    model = NeuralProgrammer(ModelConfig(vocab_size=7, hidden=hidden, embed_dim=5, steps=steps), LANGUAGE)
    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert expected_shapes(ModelConfig(**model.config.to_dict()), len(LANGUAGE.ops)) == want


def test_attributes_like_the_torch_model() -> None:
    model = torch_model(0, 0.0)
    npm = numpy_of(model)
    assert npm.language is model.language and npm.ops == model.ops
    assert npm.config.steps == model.config.steps and npm.config.to_dict() == model.config.to_dict()
    assert np.array_equal(npm.roles, model.roles.numpy())
    assert npm.eval() is npm
    with pytest.raises(NotImplementedError):
        npm(collate_numpy(list(tiny()[1][:1])), soft_execute=True)


def test_collate_numpy_pads_like_collate() -> None:
    _, encs = tiny()
    batch = list(encs[-6:])
    want = collate(batch)
    got = collate_numpy(batch)
    for name, arr in got.items():
        assert arr.dtype == want[name].numpy().dtype, name
        assert np.array_equal(arr, want[name].numpy()), name


@pytest.mark.parametrize("seed,scale", [(0, 0.0), (1, 0.3), (2, 0.5)])
def test_forward_matches_torch_on_the_tiny_questions(seed: int, scale: float) -> None:
    _, encs = tiny()
    model = torch_model(seed, scale)
    npm = numpy_of(model)
    for size in (1, 2, 5, len(encs)):
        for start in range(0, len(encs), size):
            assert max_diff(model, npm, list(encs[start : start + size])) <= ATOL, (seed, scale, size, start)
    one = npm(collate_numpy(list(encs[:1])))  # __call__ = forward; probabilities sum to 1 where allowed
    assert np.allclose(one.op_probs.sum(-1), 1.0, atol=1e-5)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    picks=st.lists(st.integers(0, 23), min_size=1, max_size=8),
    seed=st.integers(0, 3),
    scale=st.sampled_from([0.0, 0.3, 0.5]),
    steps=st.sampled_from([1, 2, 4]),
)
def test_forward_matches_torch_on_any_batch(picks: list[int], seed: int, scale: float, steps: int) -> None:
    _, encs = tiny()
    model = torch_model(seed, scale, steps=steps)
    assert max_diff(model, numpy_of(model), [encs[i % len(encs)] for i in picks]) <= ATOL


@pytest.mark.parametrize("seed,scale,steps", [(0, 0.0, 4), (1, 0.3, 4), (2, 0.5, 4), (3, 0.5, 3), (4, 0.5, 1)])
def test_act_forward_matches_torch_on_the_tiny_questions(seed: int, scale: float, steps: int) -> None:
    """Adaptive computation time: the halting distribution and the steps' distributions
    (which carry the halting chances) agree too."""
    _, encs = tiny()
    model = torch_model(seed, scale, steps=steps, act=True)
    npm = numpy_of(model)
    for size in (1, 3, len(encs)):
        for start in range(0, len(encs), size):
            assert max_diff(model, npm, list(encs[start : start + size])) <= ATOL, (seed, scale, size, start)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(picks=st.lists(st.integers(0, 23), min_size=1, max_size=8), seed=st.integers(0, 3), steps=st.sampled_from([2, 4, 5]))
def test_act_forward_matches_torch_on_any_batch(picks: list[int], seed: int, steps: int) -> None:
    _, encs = tiny()
    model = torch_model(seed, 0.5, steps=steps, act=True)
    assert max_diff(model, numpy_of(model), [encs[i % len(encs)] for i in picks]) <= ATOL


def test_attention_is_a_distribution_over_the_question_words() -> None:
    """``attn`` (B, T, Q): each step's attention sums to 1 over the question's own words, 0 on padding."""
    _, encs = tiny()
    batch = list(encs[-6:])
    got = numpy_of(torch_model(2, 0.5)).forward(collate_numpy(batch))
    lengths = [len(e.q_ids) for e in batch]
    assert got.attn is not None and got.attn.shape == (len(batch), 4, max(lengths))
    for b, n in enumerate(lengths):
        assert np.allclose(got.attn[b, :, :n].sum(-1), 1.0, atol=1e-5)
        assert np.all(got.attn[b, :, n:] == 0)


def test_float64_arithmetic_agrees_too() -> None:
    _, encs = tiny()
    model = torch_model(3, 0.5)
    npm64 = numpy_of(model, np.float64)
    assert npm64.dtype == np.float64
    assert max_diff(model, npm64, list(encs)) <= ATOL
    assert max_diff(model, npm64, list(encs[:1])) <= ATOL


def test_save_load_round_trip(tmp_path: Path) -> None:
    vocab, encs = tiny()
    model = torch_model(5, 0.5)
    save_model(model, vocab.words, tmp_path / "m", {"model_id": "test"})
    npm, np_vocab, np_config = NumpyProgrammer.load(tmp_path / "m")
    tm, t_vocab, t_config = load_model(tmp_path / "m")
    assert np_vocab == t_vocab and np_config == t_config and np_config["model_id"] == "test"
    assert isinstance(np_vocab, Vocab)
    assert npm.config.to_dict() == model.config.to_dict()
    assert [op.name for op in npm.ops] == [op.name for op in tm.ops]
    for size in (1, 7):
        assert max_diff(model, npm, list(encs[:size])) <= ATOL
        assert max_diff(tm, npm, list(encs[-size:])) <= ATOL


def _break(directory: Path, how: str) -> None:
    if how == "no config":
        (directory / "config.json").unlink()
    elif how == "no weights":
        (directory / "model.safetensors").unlink()
    elif how == "truncated weights":
        data = (directory / "model.safetensors").read_bytes()
        (directory / "model.safetensors").write_bytes(data[: len(data) // 2])
    elif how == "garbage weights":
        (directory / "model.safetensors").write_bytes(b"not a safetensors file")
    elif how == "bad json":
        (directory / "config.json").write_text("{", encoding="utf-8")
    elif how == "a pickle":
        (directory / "extra.pt").write_bytes(b"")
    else:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        if how == "newer format":
            config["format"] = 99
        elif how == "other ops":
            config["ops"] = config["ops"][:-1]
        elif how == "unknown setting":
            config["model"]["layers"] = 3
        elif how == "vocab size":
            config["model"]["vocab_size"] += 1
        elif how == "hidden":
            config["model"]["hidden"] = 32
        (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")


@pytest.mark.parametrize(
    "how",
    ["no config", "no weights", "truncated weights", "garbage weights", "bad json", "a pickle",
     "newer format", "other ops", "unknown setting", "vocab size", "hidden"],
)  # fmt: skip
def test_a_bad_directory_is_a_model_error_for_both_loaders(tmp_path: Path, how: str) -> None:
    vocab, _ = tiny()
    save_model(torch_model(0, 0.0), vocab.words, tmp_path / "m", {})
    _break(tmp_path / "m", how)
    with pytest.raises(ModelError) as torch_err:
        load_model(tmp_path / "m")
    with pytest.raises(ModelError) as numpy_err:
        NumpyProgrammer.load(tmp_path / "m")
    assert numpy_err.value.what == torch_err.value.what


def test_not_a_directory_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        NumpyProgrammer.load(tmp_path / "nowhere")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ModelError):
        NumpyProgrammer.load(tmp_path / "file")


def test_weights_that_do_not_fit_are_refused() -> None:
    model = torch_model(0, 0.0)
    weights = {k: v.numpy() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match="missing"):
        NumpyProgrammer(model.config.to_dict(), {k: v for k, v in weights.items() if k != "attn.weight"}, LANGUAGE)
    weights["attn.weight"] = weights["attn.weight"][:, :3]
    with pytest.raises(ValueError, match="attn.weight"):
        NumpyProgrammer(model.config.to_dict(), weights, LANGUAGE)


@pytest.mark.parametrize("directory", weight_dirs(SHIPPED), ids=lambda d: d.name)
def test_shipped_model_agrees(directory: Path) -> None:
    """Each shipped model (each member of a shipped ensemble): numpy twin = torch."""
    assert (directory / "model.safetensors").is_file(), "the package ships a model"
    model, vocab, _ = load_model(directory)
    npm, np_vocab, _ = NumpyProgrammer.load(directory)
    assert np_vocab == vocab
    examples, tables = load_split(TINY / "data" / "tiny.tsv", TINY)
    items: list[Item] = prepare(examples, tables, vocab, model.language, model.config.steps, targets=False)[0]
    encs = [it.enc for it in items]
    assert max_diff(model, npm, encs) <= ATOL
    assert max_diff(model, npm, encs[:1]) <= ATOL


def test_importing_and_running_never_imports_torch() -> None:
    """Load a model, encode a question and run the forward pass in a fresh interpreter."""
    model_dir = weight_dirs(SHIPPED)[0]
    code = f"""
import sys
import npqa.model.npcontroller
assert "torch" not in sys.modules, "import"
model_dir = {str(model_dir) if model_dir else None!r}
if model_dir:
    import pandas as pd
    from npqa.model.batch import collate_numpy
    from npqa.model.features import encode
    from npqa.model.npcontroller import NumpyProgrammer
    from npqa.question.link import link_question
    from npqa.question.parse import parse_question
    from npqa.table.read import table_from_dataframe
    model, vocab, config = NumpyProgrammer.load(model_dir)
    table = table_from_dataframe(pd.DataFrame({{"year": ["1990", "1991"], "team": ["red", "blue"]}}))
    enc = encode(link_question(parse_question("which team won in 1991?"), table), table,
                 vocab, model.language, rows=False)
    out = model.forward(collate_numpy([enc]))
    assert out.op_probs.shape == (1, model.config.steps, len(model.ops)), out.op_probs.shape
bad = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
assert not bad, bad[:5]
print("ok")
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
