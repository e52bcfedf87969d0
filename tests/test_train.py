"""Training smoke tests on the tiny shipped data: the loss falls, a handful of
questions overfit, a seed gives the same run twice. No full training here."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from npqa.lang.oracle import CHAINS_FOR_CONSTANTS
from npqa.model.files import load_model
from npqa.train.loop import TrainConfig, train

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"
TINY_TSV = TINY / "data" / "tiny.tsv"


def tiny_config(out: Path, **kw: object) -> TrainConfig:
    base = dict(train=str(TINY_TSV), tables_root=str(TINY), out=str(out), hidden=32, embed_dim=16, threads=1)
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def test_training_loss_falls(tmp_path: Path) -> None:
    logs = train(tiny_config(tmp_path / "m", epochs=8, lr=1e-2))
    assert logs[-1].loss < 0.7 * logs[0].loss, [round(x.loss, 3) for x in logs]


def test_a_handful_of_questions_overfit(tmp_path: Path) -> None:
    logs = train(tiny_config(tmp_path / "m", epochs=40, lr=2e-2, dropout=0.0, word_dropout=0.0, dev=str(TINY_TSV)))
    # dev = the training questions themselves: memorising them is the point
    assert logs[-1].dev_accuracy is not None
    assert max(x.dev_accuracy for x in logs) >= 0.9, [x.dev_accuracy for x in logs]


def test_same_seed_gives_the_same_model(tmp_path: Path) -> None:
    train(tiny_config(tmp_path / "a", epochs=2, seed=3))
    train(tiny_config(tmp_path / "b", epochs=2, seed=3))
    a, _, _ = load_model(tmp_path / "a")
    b, _, _ = load_model(tmp_path / "b")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name


def test_the_moving_average_of_the_weights_is_what_is_saved(tmp_path: Path) -> None:
    """With ema > 0 the model directory holds the averaged weights, which differ from
    the last step's weights kept (for resuming) in train_state.pt."""
    from npqa.train.loop import STATE

    train(tiny_config(tmp_path / "m", epochs=2, ema=0.9))
    saved, _, _ = load_model(tmp_path / "m")
    state = torch.load(tmp_path / "m" / STATE, weights_only=True)
    for name, tensor in saved.state_dict().items():
        assert torch.equal(tensor, state["average"][name]), name
    assert any(not torch.equal(state["model"][k], state["average"][k]) for k in state["model"])


def test_a_resumed_averaged_run_ends_where_an_uninterrupted_one_does(tmp_path: Path) -> None:
    train(tiny_config(tmp_path / "whole", epochs=2, seed=5, ema=0.9))
    train(tiny_config(tmp_path / "split", epochs=1, seed=5, ema=0.9))
    train(tiny_config(tmp_path / "split", epochs=2, seed=5, ema=0.9), resume=True)
    a, _, _ = load_model(tmp_path / "whole")
    b, _, _ = load_model(tmp_path / "split")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.allclose(x, y, atol=1e-6), name


def test_a_run_learns_the_default_op_set_and_with_ops_adds_one(tmp_path: Path) -> None:
    import json

    train(tiny_config(tmp_path / "a", epochs=1))
    train(tiny_config(tmp_path / "b", epochs=1, with_ops=("exists",)))
    ops_a = json.loads((tmp_path / "a" / "config.json").read_text())["ops"]
    ops_b = json.loads((tmp_path / "b" / "config.json").read_text())["ops"]
    assert "exists" not in ops_a
    assert sorted(ops_b) == sorted(ops_a + ["exists"])
    from npqa.grammars.ops import LANGUAGE

    assert ops_b == [op for op in LANGUAGE.ops if op in ops_b]  # in the order the ops are declared


def test_weight_decay_pulls_the_weights_toward_zero(tmp_path: Path) -> None:
    train(tiny_config(tmp_path / "plain", epochs=3, seed=1, lr=1e-2))
    train(tiny_config(tmp_path / "decayed", epochs=3, seed=1, lr=1e-2, weight_decay=5.0))
    plain, _, _ = load_model(tmp_path / "plain")
    decayed, _, _ = load_model(tmp_path / "decayed")
    norm = lambda m: sum(float(p.detach().norm()) ** 2 for p in m.parameters())  # noqa: E731
    assert norm(decayed) < 0.9 * norm(plain), (norm(decayed), norm(plain))


def test_the_model_id_names_the_options_that_change_what_is_learned(tmp_path: Path) -> None:
    train(tiny_config(tmp_path / "m", epochs=1, max_programs=256, weight_decay=0.1, prior=0.5, act=True))
    card = json.loads((tmp_path / "m" / "config.json").read_text())
    ops = len(card["ops"])
    assert card["model_id"].endswith(f"-e1-o{ops}-k{CHAINS_FOR_CONSTANTS}-p256-wd0.1-pr0.5-act"), card["model_id"]


def test_the_model_id_counts_the_ops_learned(tmp_path: Path) -> None:
    train(tiny_config(tmp_path / "plain", epochs=1))
    train(tiny_config(tmp_path / "more", epochs=1, with_ops=("exists",)))
    plain, more = (json.loads((tmp_path / d / "config.json").read_text()) for d in ("plain", "more"))
    assert plain["model_id"].endswith(f"-o{len(plain['ops'])}-k{CHAINS_FOR_CONSTANTS}")
    assert more["model_id"].endswith(f"-o{len(plain['ops']) + 1}-k{CHAINS_FOR_CONSTANTS}")
