"""Distributed training (torchrun, gloo on CPU) is the same training, and survives a crash.

The equivalence test starts two ranks the way torchrun does (its environment
variables, no launcher process: faster) on the tiny data set with every
source of randomness off, and compares them with one process whose batch is
the two ranks' together. The crash test runs ``npqa train`` under torchrun
itself, kills one rank with SIGKILL and resumes the run.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch

from npqa.model.batch import collate
from npqa.model.files import CONFIG, load_model
from npqa.train.distributed import launched
from npqa.train.infer import batch_order, size_key
from npqa.train.loop import STATE, TrainConfig, train

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "data" / "tiny"
TINY_TSV = TINY / "data" / "tiny.tsv"
TIMEOUT_S = 300  # per launch; a whole test takes 20-60 s on a loaded 2-core machine
RANK_SCRIPT = ("import json, sys; from npqa.train.loop import TrainConfig, train; from npqa.train.distributed import leave; "
               "train(TrainConfig(**json.loads(sys.argv[1]))); leave()")  # leave as npqa train does: no teardown race


def still_config(out: Path, **kw: object) -> TrainConfig:
    """A tiny model with no randomness left but its seeded initialisation and batch order."""
    base = dict(train=str(TINY_TSV), tables_root=str(TINY), out=str(out), hidden=32, embed_dim=16, threads=1,
                dropout=0.0, word_dropout=0.0, ema=0.0, lr=1e-2, epochs=1, batch=3, seed=0)  # fmt: skip
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_ranks(cfg: TrainConfig, world: int, cwds: list[Path] | None = None) -> list[subprocess.CompletedProcess[str]]:
    """``train(cfg)`` in ``world`` processes given torchrun's variables (each in its
    own working directory of ``cwds``, if given: one "machine" each); their results."""
    port = str(free_port())
    procs = []
    for rank in range(world):
        local = {"LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "1"} if cwds else {"LOCAL_RANK": str(rank), "LOCAL_WORLD_SIZE": str(world)}
        env = {**os.environ, "WORLD_SIZE": str(world), "RANK": str(rank), **local,
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port, "PYTHONPATH": str(REPO)}  # fmt: skip
        procs.append(subprocess.Popen([sys.executable, "-c", RANK_SCRIPT, json.dumps(asdict(cfg))], cwd=cwds[rank] if cwds else REPO,
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))  # fmt: skip
    try:
        return [subprocess.CompletedProcess(p.args, p.wait(TIMEOUT_S), *p.communicate()) for p in procs]
    finally:
        for p in procs:
            p.kill()


def tiny_items() -> list:
    """The tiny questions, linked and encoded (no targets) for the trained op set, in the file's order."""
    from npqa.grammars.ops import LANGUAGE
    from npqa.model.features import Vocab
    from npqa.train.prepare import load_split, prepare, vocab_texts

    examples, tables = load_split(TINY_TSV, TINY)
    items, _ = prepare(examples, tables, Vocab.build(vocab_texts(examples, tables)), LANGUAGE.for_training(), 4, False)
    return items


def outputs(model_dir: Path, items: list) -> dict[str, torch.Tensor]:
    """The model's distributions and soft answers on ``items``."""
    model, _, _ = load_model(model_dir)
    return forward(model, items)


def forward(model: torch.nn.Module, items: list) -> dict[str, torch.Tensor]:
    model.eval()
    with torch.no_grad():
        out = model(collate([it.enc for it in items]))
    return {k: getattr(out, k) for k in ("op_probs", "col_probs", "const_probs", "scalar", "lookup")}


def test_two_ranks_train_the_model_one_process_trains(tmp_path: Path) -> None:
    """Batch B over two ranks (each computing its share, however uneven) reaches the
    model that one process reaches with batch B: same losses, same distributions,
    same weights. Adam moves a weight whose true gradient is zero (a bias under a
    softmax, which shifts every column's score alike) by float noise, a different
    noise in each run; such weights may differ, and changing them changes nothing."""
    cfg = still_config(tmp_path / "one")
    items = tiny_items()
    batches = batch_order([size_key(it) for it in items], np.random.default_rng(cfg.seed), cfg.batch)
    shares = [sum(i % 2 == 0 for i in b) for b in batches]  # rank 0 prepares questions 0, 2, 4…
    assert any(s in (0, len(b)) for s, b in zip(shares, batches)), shares  # a rank sits a batch out
    assert any(0 < 2 * s != len(b) for s, b in zip(shares, batches)), shares  # an uneven split

    one = train(cfg)
    ranks = run_ranks(still_config(tmp_path / "two"), world=2)
    for done in ranks:
        assert done.returncode == 0, done.stderr[-3000:]
    assert "distributed: world_size=2 rank=0 backend=gloo" in ranks[0].stderr
    assert "distributed:" not in ranks[1].stderr
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted(p.name for p in (tmp_path / "one").iterdir())

    two_log = json.loads((tmp_path / "two" / CONFIG).read_text())["training"]["log"]
    assert [x["loss"] for x in two_log] == pytest.approx([x.loss for x in one], abs=1e-5)
    a, b = outputs(tmp_path / "one", items), outputs(tmp_path / "two", items)
    for name in a:
        torch.testing.assert_close(a[name], b[name], atol=1e-5, rtol=1e-4, msg=name)

    weights_a = torch.load(tmp_path / "one" / STATE, weights_only=True)["model"]
    weights_b = torch.load(tmp_path / "two" / STATE, weights_only=True)["model"]
    differ = {k: (weights_a[k] - weights_b[k]).abs() > 1e-5 for k in weights_a}
    assert sum(int(d.sum()) for d in differ.values()) <= 0.001 * sum(w.numel() for w in weights_a.values())
    model, _, _ = load_model(tmp_path / "one")
    model.load_state_dict({k: torch.where(differ[k], weights_b[k], weights_a[k]) for k in weights_a})
    moved = forward(model, items)  # one's weights with two's where they differ: the same model
    for name in a:
        torch.testing.assert_close(moved[name], a[name], atol=1e-6, rtol=1e-5, msg=name)


def test_plain_training_is_not_distributed(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Without torchrun's variables nothing distributed starts, and checkpoints keep
    no per-rank state."""
    assert not launched({}) and launched({"WORLD_SIZE": "2", "RANK": "1"})
    train(still_config(tmp_path / "m", epochs=1, batch=32))
    assert "distributed:" not in capfd.readouterr().err
    assert "torch_rng_ranks" not in torch.load(tmp_path / "m" / STATE, weights_only=True)


def test_an_ensemble_measured_on_dev_needs_no_shared_out(tmp_path: Path) -> None:
    """``--members 2 --dev`` on two "machines" (two working directories, a relative
    ``--out``): rank 0 alone writes the ensemble and sends it to rank 1, which
    measures its share of dev on it without reading rank 0's disk."""
    machines = [tmp_path / "node0", tmp_path / "node1"]
    for m in machines:
        m.mkdir()
    cfg = still_config(Path("run"), members=2, dev=str(TINY_TSV), batch=8)
    ranks = run_ranks(cfg, world=2, cwds=machines)
    for done in ranks:
        assert done.returncode == 0, done.stderr[-3000:]
    assert "ensemble of 2: dev accuracy" in ranks[0].stderr
    assert json.loads((machines[0] / "run" / CONFIG).read_text())["members"] == ["member1", "member2"]
    assert list(machines[1].iterdir()) == []  # rank 1 wrote nothing


# -- torchrun itself: a rank dies, the run ends with one clear line, --resume finishes it ------
EPOCHS = 6


def torchrun(out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "npqa.cli", "train",
        "--train", str(TINY_TSV), "--tables-root", str(TINY), "--out", str(out), "--epochs", str(EPOCHS),
        "--hidden", "32", "--embed-dim", "16", *extra,
    ]  # fmt: skip


def rank_pid(launcher: int, rank: int) -> int | None:
    """The pid of the process torchrun (``launcher``) started as ``rank``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            environ = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == launcher and f"RANK={rank}".encode() in environ:
            return int(entry.name)
    return None


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds torchrun's workers through /proc")
def test_a_rank_killed_under_torchrun_ends_the_run_and_resume_finishes_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(torchrun(out), cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while not (out / CONFIG).exists():  # the first epoch's checkpoint, written by rank 0
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "no checkpoint within the time limit"
            time.sleep(0.02)
        victim = rank_pid(proc.pid, 1)
        assert victim is not None, "rank 1 not found among torchrun's children"
        os.kill(victim, signal.SIGKILL)
        _, err = proc.communicate(timeout=TIMEOUT_S)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode != 0
    ours = [line for line in err.splitlines() if line.startswith("error: distributed: rank 0 of 2")]
    assert len(ours) == 1 and "--resume" in ours[0], err[-3000:]
    assert str(REPO / "npqa") not in err  # no traceback from npqa (torchrun prints its own)
    done_before = json.loads((out / CONFIG).read_text())["training"]["epochs_done"]
    assert 1 <= done_before < EPOCHS, "the run finished before rank 1 could be killed"

    resumed = subprocess.run(torchrun(out, "--resume"), cwd=REPO, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.stderr.count("distributed: world_size=2 rank=0 backend=gloo") == 1
    assert f"resumed after epoch {done_before}" in resumed.stderr
    assert resumed.stdout.count("model=") == 1  # rank 0 alone reports
    config = json.loads((out / CONFIG).read_text())["training"]
    assert config["epochs_done"] == EPOCHS
    assert [e["epoch"] for e in config["log"]] == list(range(1, EPOCHS + 1))
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
