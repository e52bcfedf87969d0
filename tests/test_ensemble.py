"""Ensembles: members trained on the same prepared data answer as one model."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from npqa.api import TableQA
from npqa.errors import ModelError
from npqa.model.ensemble import NumpyEnsemble, load_numpy_model
from npqa.model.files import load_model
from npqa.model.npcontroller import NumpyProgrammer
from npqa.train.loop import train
from test_train import TINY, TINY_TSV, tiny_config

TABLE = TINY / "csv" / "204-csv" / "365.csv"


@pytest.fixture(scope="module")
def ensemble_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ens") / "m"
    train(tiny_config(out, epochs=2, members=2, dev=str(TINY_TSV)))
    return out


def test_members_are_trained_with_their_own_seeds(ensemble_dir: Path) -> None:
    config = json.loads((ensemble_dir / "config.json").read_text())
    assert config["members"] == ["member1", "member2"]
    a, _, _ = NumpyProgrammer.load(ensemble_dir / "member1")
    b, _, _ = NumpyProgrammer.load(ensemble_dir / "member2")
    assert any(not np.array_equal(a.w[k], b.w[k]) for k in a.w)
    assert isinstance(config["training"]["dev_accuracy"], float)


def test_an_ensemble_names_the_ops_its_members_answer_in(ensemble_dir: Path) -> None:
    """Not every declared op: one declared but not learned by default is not the model's."""
    from npqa.grammars.ops import LANGUAGE

    ops = json.loads((ensemble_dir / "config.json").read_text())["ops"]
    assert ops == json.loads((ensemble_dir / "member1" / "config.json").read_text())["ops"]
    assert ops == [op.name for op in LANGUAGE.for_training(())]
    assert "exists" not in ops


def test_an_ensemble_averages_its_members_distributions(ensemble_dir: Path) -> None:
    from npqa.model.batch import collate_numpy
    from npqa.model.inputs import prepare_item
    from npqa.table.read import load_table

    model, vocab, _ = load_numpy_model(ensemble_dir)
    assert isinstance(model, NumpyEnsemble)
    item = prepare_item(load_table(TABLE), "how many singles were released in 2010?", vocab, model.language, rows=False)
    batch = collate_numpy([item.enc])
    outs = [m.forward(batch) for m in model.members]
    got = model.forward(batch)
    assert np.allclose(got.op_probs, (outs[0].op_probs + outs[1].op_probs) / 2)
    assert np.allclose(got.col_probs, (outs[0].col_probs + outs[1].col_probs) / 2)


def test_an_ensemble_of_one_member_is_that_member(ensemble_dir: Path) -> None:
    from npqa.model.batch import collate_numpy
    from npqa.model.inputs import prepare_item
    from npqa.table.read import load_table

    member, vocab, _ = NumpyProgrammer.load(ensemble_dir / "member1")
    item = prepare_item(load_table(TABLE), "which single came first?", vocab, member.language, rows=False)
    batch = collate_numpy([item.enc])
    assert np.array_equal(NumpyEnsemble([member]).forward(batch).op_probs, member.forward(batch).op_probs)


def test_the_api_answers_with_an_ensemble(ensemble_dir: Path) -> None:
    result = TableQA.load(ensemble_dir).ask(str(TABLE), "how many singles were released in 2010?")
    assert result.program and 0.0 <= result.confidence <= 1.0


def test_member_agreement_is_the_share_of_members_asked_alone_who_give_the_answer() -> None:
    from npqa.model.files import default_model_dir, weight_dirs

    questions = ["how many singles were released in 2010?", "which single came first?", "how many singles charted in poland?",
                 "how many singles were not on an album?", "which year had the most singles?"]  # fmt: skip
    together = TableQA.load(default_model_dir()).ask_many(str(TABLE), questions)
    alone = [TableQA.load(d).ask_many(str(TABLE), questions) for d in weight_dirs(default_model_dir())]
    assert len(alone) == 2
    for q, res in enumerate(together):
        share = sum(set(a[q].answer) == set(res.answer) for a in alone) / len(alone)
        assert res.signals.member_agreement == share, questions[q]
    assert {r.signals.member_agreement for r in together} != {1.0}  # the shipped members differ on some
    assert all(r.signals.member_agreement == 1.0 for r in alone[0])  # one model agrees with itself


def test_torch_refuses_an_ensemble_in_one_line(ensemble_dir: Path) -> None:
    with pytest.raises(ModelError, match="numpy engine"):
        load_model(ensemble_dir)


@pytest.mark.parametrize("members", [["../elsewhere"], [], "member1", ["a/b"]])
def test_badly_named_members_are_refused(tmp_path: Path, members: object) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"format": 1, "members": members}))
    with pytest.raises(ModelError, match="sub-directory names"):
        load_numpy_model(tmp_path)


def test_members_of_different_vocabularies_are_refused(ensemble_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(ensemble_dir, copy)
    words = json.loads((copy / "member2" / "vocab.json").read_text())
    words[-1] = words[-1] + "x"
    (copy / "member2" / "vocab.json").write_text(json.dumps(words))
    with pytest.raises(ModelError, match="share one vocabulary"):
        load_numpy_model(copy)


def test_model_info_counts_every_members_parameters_without_torch(ensemble_dir: Path) -> None:
    from test_install import npqa_without_torch

    out = npqa_without_torch("model-info", "--model", str(ensemble_dir), "--json")
    assert out.returncode == 0, out.stderr
    members = [NumpyProgrammer.load(ensemble_dir / name)[0] for name in ("member1", "member2")]
    assert json.loads(out.stdout)["parameters"] == sum(w.size for m in members for w in m.w.values())


def test_predict_answers_with_an_ensemble_without_torch(ensemble_dir: Path, tmp_path: Path) -> None:
    from test_install import npqa_without_torch

    preds = tmp_path / "preds.tsv"
    out = npqa_without_torch("predict", str(TINY_TSV), "--tables-root", str(TINY), "--model", str(ensemble_dir), "--out", str(preds))
    assert out.returncode == 0, out.stderr
    assert len(preds.read_text(encoding="utf-8").splitlines()) == len(TINY_TSV.read_text(encoding="utf-8").splitlines()) - 1


def test_members_side_by_side_train_what_one_after_the_other_trains(tmp_path: Path, ensemble_dir: Path) -> None:
    """``--threads 2 --members 2`` trains the two members at once, one forked
    process of one thread each; ``--threads 1`` trains them in turn: the same
    weights, bit for bit."""
    out = tmp_path / "side"
    train(tiny_config(out, epochs=2, members=2, dev=str(TINY_TSV), threads=2))
    for name in ("member1", "member2"):
        a, _, _ = NumpyProgrammer.load(ensemble_dir / name)
        b, _, _ = NumpyProgrammer.load(out / name)
        assert all(np.array_equal(a.w[k], b.w[k]) for k in a.w), name


def test_a_member_failing_side_by_side_is_one_named_error(tmp_path: Path) -> None:
    out = tmp_path / "side"
    cfg = tiny_config(out, epochs=1, members=2, threads=2)
    train(cfg)
    (out / "member2" / "train_state.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="member 2"):
        train(cfg, resume=True)
