"""Training the Neural Programmer from question-answer pairs.

``train(TrainConfig)`` prepares the data once (linking, features, answer
targets, the oracle's consistent programs), then runs Adam with gradient
clipping over size-grouped batches. After every epoch it measures dev
accuracy with the official metric (if a dev set is given) and writes a
checkpoint atomically: the model directory files plus ``train_state.pt``
(optimizer and RNG state, loaded with ``weights_only=True``), so ``resume``
continues a killed run from the last finished epoch. The best epoch on dev is
kept in ``OUT/best``.
"""
from __future__ import annotations

import io
import json
import pickle
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from npqa.model.inputs import Item
from npqa.train.prepare import PrepStats, load_split, prepare_parallel, vocab_texts
from npqa.model.features import PAD_OP, Vocab
from npqa.grammars.ops import LANGUAGE
from npqa.train.infer import iterate_batches, predict
from npqa.train.loss import compute_loss
from npqa.train.members import train_side_by_side
from npqa.model.config import ModelConfig
from npqa.model.controller import NeuralProgrammer
from npqa.errors import ModelError
from npqa.model.files import atomic_write, read_vocab, save_model

STATE = "train_state.pt"


@dataclass
class TrainConfig:
    train: str  # WTQ-style TSV to learn from
    tables_root: str  # folder holding the csv/ tree the TSV's contexts point into
    out: str  # output directory (model files, checkpoints, log)
    dev: str | None = None  # TSV to measure accuracy on after each epoch
    epochs: int = 12
    seed: int = 0
    lr: float = 2e-3
    clip: float = 5.0  # gradient norm clip
    soft_weight: float = 0.1  # weight of the Neural Programmer's soft loss beside the program likelihood
    max_programs: int = 64  # consistent programs kept per question (shortest first)
    steps: int = 4
    embed_dim: int = 64
    hidden: int = 128
    dropout: float = 0.2
    word_dropout: float = 0.1
    min_word_count: int = 2
    threads: int = 2
    ema: float = 0.0  # decay of an exponential moving average of the weights, evaluated and saved instead (0 = off)
    members: int = 1  # > 1: an ensemble of this many models (seeds seed, seed+1, …) on the same prepared data
    rank: str = "shortest"  # which consistent programs to train on: "shortest" or "triggers" (npqa.train.prepare.RANKS)
    mapo: float = 0.0  # > 0: weigh each question's likelihood by its consistent mass, clipped below at this (MAPO)
    act: bool = False  # adaptive computation time: the controller decides each program's row steps (ModelConfig.act)
    ponder: float = 0.01  # τ: weight of ACT's ponder cost N + 1 + R in the loss (with act only)
    command: str | None = None  # the command line that started the run, for the model card


@dataclass
class EpochLog:
    epoch: int
    loss: float
    mml: float
    soft: float
    examples_per_s: float
    seconds: float
    dev_accuracy: float | None
    ponder: float | None = None  # ACT: mean ponder cost N + 1 + R over the epoch's batches


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def accuracy(model: NeuralProgrammer, items: list[Item], progress: Any = None) -> float:
    from npqa.train.metric import check

    decoded = predict(model, items, on_batch=progress)
    right = sum(check(it.answers, list(d[0].answer.items)) if d else False for it, d in zip(items, decoded))
    return right / max(len(items), 1)


def _progress() -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}"),
        console=Console(stderr=True),
        transient=True,
    )


def _prepare_split(
    tsv: str, cfg: TrainConfig, vocab: Vocab | None, targets: bool, progress: Any, label: str
) -> tuple[list[Item], PrepStats, Vocab]:
    examples, tables = load_split(Path(tsv), Path(cfg.tables_root))
    if vocab is None:
        vocab = Vocab.build(vocab_texts(examples, tables), cfg.min_word_count)
    task = progress.add_task(f"prepare {label}", total=len(examples), info="")
    items, stats = prepare_parallel(
        examples, tables, vocab, LANGUAGE, cfg.steps, targets, cfg.max_programs, cfg.threads,
        lambda n: progress.advance(task, n), rank=cfg.rank,
    )  # fmt: skip
    return items, stats, vocab


def train(cfg: TrainConfig, resume: bool = False) -> list[EpochLog]:
    """Run (or resume) a training run; returns the per-epoch log (of the last member).

    With ``cfg.members`` > 1 the data are prepared once and the members
    (seeds ``seed``, ``seed + 1``…) are trained into ``OUT/member1``…, side by
    side when ``cfg.threads`` > 1 (:mod:`npqa.train.members`: up to ``threads``
    at once, the threads shared), else one after the other; then ``OUT``
    becomes an ensemble directory
    (:mod:`npqa.model.ensemble`) whose dev accuracy is measured as it answers.
    """
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    _seed(cfg.seed)
    with _progress() as progress:
        vocab = None
        if resume and (out / "vocab.json").is_file():
            vocab = Vocab(read_vocab(out))
        train_items, stats, vocab = _prepare_split(cfg.train, cfg, vocab, True, progress, "train")
        dev_items = []
        if cfg.dev:
            dev_items, _, _ = _prepare_split(cfg.dev, cfg, vocab, False, progress, "dev")
        prep = asdict(stats)
        progress.console.print(f"train questions: {prep}")
        atomic_write(out / "vocab.json", json.dumps(vocab.words, ensure_ascii=False).encode("utf-8"))
        run = _Run(cfg, vocab, train_items, dev_items, prep, progress)
        if cfg.members <= 1:
            return run.member(out, cfg.seed, resume)
        names = [f"member{k + 1}" for k in range(cfg.members)]

        def one(shown: Any, k: int) -> list[EpochLog]:
            shown.console.print(f"member {k + 1} of {cfg.members} (seed {cfg.seed + k})")
            _seed(cfg.seed + k)
            return replace(run, progress=shown).member(out / names[k], cfg.seed + k, resume)

        if cfg.threads > 1:  # side by side, one forked process each (npqa.train.members)
            logs = train_side_by_side(one, cfg.members, cfg.threads, progress, cfg.epochs)[-1]
        else:
            logs = [one(progress, k) for k in range(cfg.members)][-1]
        run.ensemble(out, names)
    return logs


@dataclass
class _Run:
    """What every member of a run shares: settings, vocabulary, prepared data, progress."""

    cfg: TrainConfig
    vocab: Vocab
    train_items: list[Item]
    dev_items: list[Item]
    prep: dict[str, Any]
    progress: Any

    def member(self, out: Path, seed: int, resume: bool) -> list[EpochLog]:
        """Train (or resume) one model into ``out``; the per-epoch log."""
        cfg, vocab, train_items, dev_items, prep, progress = (
            self.cfg, self.vocab, self.train_items, self.dev_items, self.prep, self.progress,
        )  # fmt: skip
        out.mkdir(parents=True, exist_ok=True)
        mconfig = ModelConfig(len(vocab), cfg.steps, cfg.embed_dim, cfg.hidden, cfg.dropout, cfg.word_dropout, cfg.act)
        model = NeuralProgrammer(mconfig, LANGUAGE)
        pad = [op.name for op in LANGUAGE].index(PAD_OP)
        optim = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        average = _Average(model, cfg.ema) if cfg.ema > 0 else None
        logs: list[EpochLog] = []
        start_epoch, best = 0, -1.0
        if resume and (out / STATE).is_file():
            start_epoch, best, logs = _restore(out, model, optim, average)
            progress.console.print(f"resumed after epoch {start_epoch}")
        rng = np.random.default_rng(seed + start_epoch)
        trainable = [it for it in train_items if it.enc.programs is not None]
        for epoch in range(start_epoch + 1, cfg.epochs + 1):
            model.train()
            task = progress.add_task(f"epoch {epoch}", total=len(trainable), info="")
            t0, seen, total_loss, total_mml, total_soft, total_ponder, n_batches = time.time(), 0, 0.0, 0.0, 0.0, 0.0, 0
            for batch_items in iterate_batches(trainable, rng):
                from npqa.model.batch import collate

                batch = collate([it.enc for it in batch_items])
                parts = compute_loss(model(batch), batch, cfg.soft_weight, cfg.mapo, cfg.ponder, pad)
                optim.zero_grad()
                parts.total.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
                optim.step()
                if average is not None:
                    average.update(model)
                seen += len(batch_items)
                n_batches += 1
                total_loss += parts.total.item()
                total_mml += parts.mml.item()
                total_soft += parts.soft.item()
                total_ponder += parts.ponder.item() if parts.ponder is not None else 0.0
                rate = seen / max(time.time() - t0, 1e-9)
                progress.update(task, advance=len(batch_items), info=f"loss {total_loss / n_batches:.3f} {rate:.0f} ex/s")
            secs = time.time() - t0
            shipped = average.model if average is not None else model  # what is evaluated and saved
            dev_acc = None
            if dev_items:
                dtask = progress.add_task(f"dev {epoch}", total=len(dev_items), info="")
                dev_acc = accuracy(shipped, dev_items, lambda n: progress.advance(dtask, n))
            log = EpochLog(
                epoch, total_loss / max(n_batches, 1), total_mml / max(n_batches, 1), total_soft / max(n_batches, 1),
                seen / max(secs, 1e-9), secs, dev_acc, total_ponder / max(n_batches, 1) if cfg.act else None,
            )  # fmt: skip
            logs.append(log)
            progress.console.print(
                f"epoch {epoch}: loss {log.loss:.4f} (mml {log.mml:.4f}, soft {log.soft:.4f}"
                + (f", ponder {log.ponder:.3f}" if log.ponder is not None else "") + "), "
                f"{log.examples_per_s:.0f} ex/s, {secs:.0f}s" + (f", dev accuracy {dev_acc:.4f}" if dev_acc is not None else "")
            )
            card = {
                "model_id": f"npqa-{Path(cfg.train).stem}-seed{seed}-e{epoch}",
                "training": {
                    "command": cfg.command,
                    "config": asdict(cfg),
                    "epochs_done": epoch,
                    "dev_accuracy": dev_acc,
                    "prep": prep,
                    "log": [asdict(x) for x in logs],
                },
            }
            best_now = dev_acc is not None and dev_acc > best
            best = max(best, dev_acc) if dev_acc is not None else best
            _save_state(out, model, optim, epoch, best, logs, average)  # one atomic file: what --resume reads
            save_model(shipped, vocab.words, out, card)
            if best_now:
                save_model(shipped, vocab.words, out / "best", card)
        return logs

    def ensemble(self, out: Path, names: list[str]) -> None:
        """Make ``out`` an ensemble of its trained members and measure it on dev."""
        from npqa.model.ensemble import load_numpy_model, write_ensemble

        cfg = self.cfg
        card = {"model_id": f"npqa-{Path(cfg.train).stem}-seed{cfg.seed}-x{len(names)}-e{cfg.epochs}",
                "training": {"command": cfg.command, "config": asdict(cfg), "prep": self.prep}}  # fmt: skip
        write_ensemble(out, names, card)
        if self.dev_items:
            model, _, _ = load_numpy_model(out)
            dev_acc = numpy_accuracy(model, self.dev_items)
            card["training"]["dev_accuracy"] = dev_acc
            write_ensemble(out, names, card)
            self.progress.console.print(f"ensemble of {len(names)}: dev accuracy {dev_acc:.4f}")


def numpy_accuracy(model: Any, items: list[Item], batch: int = 64) -> float:
    """Official accuracy of a numpy controller (or ensemble) on prepared items."""
    from npqa.model.batch import collate_numpy
    from npqa.model.decode import decode_outputs
    from npqa.train.metric import check

    right = 0
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        for it, cands in zip(chunk, decode_outputs(model, model(collate_numpy([x.enc for x in chunk])), chunk)):
            right += bool(cands) and bool(check(it.answers, list(cands[0].answer.items)))
    return right / max(len(items), 1)


class _Average:
    """An exponential moving average of the model's weights (``decay`` per step):
    ``avg = decay * avg + (1 - decay) * weights`` after every optimizer step."""

    def __init__(self, model: NeuralProgrammer, decay: float) -> None:
        import copy

        self.decay = decay
        self.model = copy.deepcopy(model)
        self.model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: NeuralProgrammer) -> None:
        for avg, p in zip(self.model.parameters(), model.parameters()):
            avg.mul_(self.decay).add_(p.detach(), alpha=1.0 - self.decay)


def _save_state(
    out: Path,
    model: NeuralProgrammer,
    optim: torch.optim.Optimizer,
    epoch: int,
    best: float,
    logs: list[EpochLog],
    average: _Average | None = None,
) -> None:
    """Weights (and their moving average), optimizer and RNG state in one atomically
    written file, so a kill at any moment leaves a consistent checkpoint to resume from."""
    state = {
        "model": model.state_dict(),
        "optim": optim.state_dict(),
        "epoch": epoch,
        "best": best,
        "log": json.dumps([asdict(x) for x in logs]),
        "torch_rng": torch.get_rng_state(),
    }
    if average is not None:
        state["average"] = average.model.state_dict()
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write(out / STATE, buf.getvalue())


def _restore(
    out: Path, model: NeuralProgrammer, optim: torch.optim.Optimizer, average: _Average | None = None
) -> tuple[int, float, list[EpochLog]]:
    """Load the checkpoint of ``out`` into ``model``, ``optim`` (and the weights'
    moving average); ModelError if it does not fit."""
    try:
        state = torch.load(out / STATE, weights_only=True)
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optim"])
        if average is not None:
            average.model.load_state_dict(state["average"])
    except (RuntimeError, KeyError, ValueError, EOFError, pickle.UnpicklingError) as err:
        raise ModelError(str(out / STATE), f"checkpoint does not fit this run ({str(err).splitlines()[0][:200]})") from None
    torch.set_rng_state(state["torch_rng"])
    logs = [EpochLog(**x) for x in json.loads(state["log"])]
    return int(state["epoch"]), float(state["best"]), logs
