"""Training the Neural Programmer from question-answer pairs.

``train(TrainConfig)`` prepares the data once (linking, features, answer
targets, the oracle's consistent programs), then runs Adam with gradient
clipping over size-grouped batches. After every epoch it measures dev
accuracy with the official metric (if a dev set is given) and writes a
checkpoint atomically: the model directory files plus ``train_state.pt``
(optimizer and RNG state, loaded with ``weights_only=True``), so ``resume``
continues a killed run from the last finished epoch. The best epoch on dev is
kept in ``OUT/best``.

Under torchrun the same loop trains one model over several processes
(:mod:`npqa.train.distributed`): each rank prepares its shard, computes its
share of every batch, gradients are averaged, rank 0 alone writes.
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
from npqa.lang.oracle import CHAINS_FOR_CONSTANTS
from npqa.train.distributed import Batches, Dist, all_sum, broadcast, gather, session, shard, shared_loss, wrap
from npqa.train.infer import TRAIN_BATCH, predict
from npqa.train.loss import compute_loss
from npqa.train.members import train_side_by_side
from npqa.model.config import ModelConfig
from npqa.model.controller import NeuralProgrammer
from npqa.errors import ModelError
from npqa.model.files import CONFIG, atomic_write, read_vocab, save_model

STATE = "train_state.pt"
RANK_SEED = 100_003
"""Rank r > 0 of a distributed run reseeds torch with ``seed + r * RANK_SEED`` after
building the model, so that its dropout masks are its own."""


@dataclass
class TrainConfig:
    train: str  # WTQ-style TSV to learn from
    tables_root: str  # folder holding the csv/ tree the TSV's contexts point into
    out: str  # output directory (model files, checkpoints, log)
    dev: str | None = None  # TSV to measure accuracy on after each epoch
    epochs: int = 12
    seed: int = 0
    lr: float = 2e-3
    weight_decay: float = 0.0  # > 0: AdamW's decoupled weight decay at this rate (0: plain Adam)
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
    rank: str = "shortest"  # which consistent programs to train on: "shortest", "triggers" or "compare" (npqa.train.prepare.RANKS)
    mapo: float = 0.0  # > 0: weigh each question's likelihood by its consistent mass, clipped below at this (MAPO)
    prior: float = 0.0  # β > 0: each consistent program counts exp(-β · rank) in the likelihood (npqa.train.loss)
    merit: float = 1.0  # γ: consistent programs share the gradient by π^γ (1 = marginal likelihood, 0 = equally; npqa.train.loss)
    act: bool = False  # adaptive computation time: the controller decides each program's row steps (ModelConfig.act)
    ponder: float = 0.01  # τ: weight of ACT's ponder cost N + 1 + R in the loss (with act only)
    with_ops: tuple[str, ...] = ()  # ops declared not learned by default that this run learns too (Language.for_training)
    batch: int = TRAIN_BATCH  # questions per training batch at most (the whole batch, over all ranks, when distributed)
    command: str | None = None  # the command line that started the run, for the model card


def _recipe_tag(cfg: TrainConfig) -> str:
    """The model id's mark of the options that change what is learned, when not
    at their defaults: ``-p256`` (consistent programs kept), ``-wd0.1`` (weight decay),
    ``-pr1`` (the programs' prior), ``-m0.5`` (the meritocratic share), ``-rcompare`` (the consistent programs' choice), ``-act`` (adaptive computation time);
    and always ``-o31``, the number of ops learned (the default op set grows as ops earn their place), and
    ``-k4``, the chains per row set the oracle keeps for the question's constants (:data:`npqa.lang.oracle.CHAINS_FOR_CONSTANTS`)."""
    default = TrainConfig("", "", "")
    tag = f"-o{len(LANGUAGE.for_training(cfg.with_ops).ops)}-k{CHAINS_FOR_CONSTANTS}"
    tag += f"-p{cfg.max_programs}" if cfg.max_programs != default.max_programs else ""
    tag += f"-wd{cfg.weight_decay:g}" if cfg.weight_decay != default.weight_decay else ""
    tag += f"-pr{cfg.prior:g}" if cfg.prior != default.prior else ""
    tag += f"-m{cfg.merit:g}" if cfg.merit != default.merit else ""
    tag += f"-r{cfg.rank}" if cfg.rank != default.rank else ""
    return tag + ("-act" if cfg.act else "")


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


def correct(model: NeuralProgrammer, items: list[Item], progress: Any = None) -> int:
    """How many of ``items`` the torch model answers right (official metric)."""
    from npqa.train.metric import check

    decoded = predict(model, items, on_batch=progress)
    return sum(check(it.answers, list(d[0].answer.items)) if d else False for it, d in zip(items, decoded))


def _progress(quiet: bool = False) -> Any:
    """Progress bars and messages on stderr; ``quiet`` (ranks other than 0) shows nothing."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}"),
        console=Console(stderr=True, quiet=quiet),
        transient=True,
        disable=quiet,
    )


def _prepare_shard(
    examples: list[Any], tables: dict[str, Any], cfg: TrainConfig, vocab: Vocab, targets: bool,
    progress: Any, label: str, dist: Dist, workers: int,
) -> tuple[list[int], list[Item], PrepStats]:
    """This rank's questions of a split (all of them for one process), prepared:
    their positions in the split, the items, the counts."""
    index = shard(range(len(examples)), dist)
    task = progress.add_task(f"prepare {label}", total=len(index), info="")
    items, stats = prepare_parallel(
        [examples[i] for i in index], tables, vocab, LANGUAGE.for_training(cfg.with_ops), cfg.steps, targets, cfg.max_programs, workers,
        lambda n: progress.advance(task, n), rank=cfg.rank,
    )  # fmt: skip
    return index, items, stats


def train(cfg: TrainConfig, resume: bool = False) -> list[EpochLog]:
    """Run (or resume) a training run; returns the per-epoch log (of the last member).

    With ``cfg.members`` > 1 the data are prepared once and the members
    (seeds ``seed``, ``seed + 1``…) are trained into ``OUT/member1``…, side by
    side when ``cfg.threads`` > 1 (:mod:`npqa.train.members`: up to ``threads``
    at once, the threads shared), else (and under torchrun) one after the other; then ``OUT``
    becomes an ensemble directory
    (:mod:`npqa.model.ensemble`) whose dev accuracy is measured as it answers.

    Started by torchrun, this process is one rank of a distributed run
    (:func:`npqa.train.distributed.session`); ``cfg.threads`` is then shared
    by the ranks on one machine.
    """
    with session() as dist:
        return _train(cfg, resume, dist)


def _train(cfg: TrainConfig, resume: bool, dist: Dist) -> list[EpochLog]:
    threads = max(1, cfg.threads // dist.local_world)
    torch.set_num_threads(threads)
    out = Path(cfg.out)
    if dist.main:
        out.mkdir(parents=True, exist_ok=True)
    _seed(cfg.seed)
    with _progress(quiet=not dist.main) as progress:
        examples, tables = load_split(Path(cfg.train), Path(cfg.tables_root))
        words = None
        if dist.main:  # the vocabulary is rank 0's: read back on --resume, else built from the whole split
            if resume and (out / "vocab.json").is_file():
                words = read_vocab(out)
            else:
                words = Vocab.build(vocab_texts(examples, tables), cfg.min_word_count).words
        vocab = Vocab(broadcast(dist, words))
        index, train_items, stats = _prepare_shard(examples, tables, cfg, vocab, True, progress, "train", dist, threads)
        dev_items: list[Item] = []
        if cfg.dev:
            dev_examples, dev_tables = load_split(Path(cfg.dev), Path(cfg.tables_root))
            _, dev_items, _ = _prepare_shard(dev_examples, dev_tables, cfg, vocab, False, progress, "dev", dist, threads)
        names = list(asdict(stats))
        prep = dict(zip(names, (int(v) for v in all_sum(dist, [getattr(stats, k) for k in names]))))
        progress.console.print(f"train questions: {prep}")
        if dist.main:
            atomic_write(out / "vocab.json", json.dumps(vocab.words, ensure_ascii=False).encode("utf-8"))
        mine = [(i, it) for i, it in zip(index, train_items) if it.enc.programs is not None]
        batches = Batches(mine, dist, cfg.batch, cfg.train)
        run = _Run(cfg, vocab, batches, dev_items, prep, progress, dist)
        if cfg.members <= 1:
            return run.member(out, cfg.seed, resume)
        names = [f"member{k + 1}" for k in range(cfg.members)]

        def one(shown: Any, k: int) -> list[EpochLog]:
            shown.console.print(f"member {k + 1} of {cfg.members} (seed {cfg.seed + k})")
            _seed(cfg.seed + k)
            return replace(run, progress=shown).member(out / names[k], cfg.seed + k, resume)

        if threads > 1 and not dist.on:  # side by side, one forked process each (npqa.train.members)
            logs = train_side_by_side(one, cfg.members, threads, progress, cfg.epochs)[-1]
        else:
            logs = [one(progress, k) for k in range(cfg.members)][-1]
        run.ensemble(out, names)
    return logs


@dataclass
class _Run:
    """What every member of a run shares: settings, vocabulary, prepared data, progress."""

    cfg: TrainConfig
    vocab: Vocab
    batches: Batches  # the training questions: the global batches and this rank's share
    dev_items: list[Item]  # this rank's dev questions
    prep: dict[str, Any]
    progress: Any
    dist: Dist

    def member(self, out: Path, seed: int, resume: bool) -> list[EpochLog]:
        """Train (or resume) one model into ``out``; the per-epoch log."""
        from npqa.model.batch import collate

        cfg, vocab, batches, dev_items, prep, progress, dist = (
            self.cfg, self.vocab, self.batches, self.dev_items, self.prep, self.progress, self.dist,
        )  # fmt: skip
        if dist.main:
            out.mkdir(parents=True, exist_ok=True)
        mconfig = ModelConfig(len(vocab), cfg.steps, cfg.embed_dim, cfg.hidden, cfg.dropout, cfg.word_dropout, cfg.act)
        language = LANGUAGE.for_training(cfg.with_ops)
        model = NeuralProgrammer(mconfig, language)
        pad = [op.name for op in language].index(PAD_OP)
        optim = (
            torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
            if cfg.weight_decay > 0
            else torch.optim.Adam(model.parameters(), lr=cfg.lr)
        )
        average = _Average(model, cfg.ema) if cfg.ema > 0 else None
        logs: list[EpochLog] = []
        start_epoch, best = 0, -1.0
        saved = broadcast(dist, (out / STATE).read_bytes() if dist.main and resume and (out / STATE).is_file() else None)
        if saved is not None:
            start_epoch, best, logs = _restore(out, saved, model, optim, average, dist.rank)
            progress.console.print(f"resumed after epoch {start_epoch}")
        elif dist.rank > 0:
            torch.manual_seed(seed + RANK_SEED * dist.rank)
        net = wrap(model, dist)  # DDP: rank 0's weights everywhere, gradients averaged in backward
        rng = np.random.default_rng(seed + start_epoch)
        for epoch in range(start_epoch + 1, cfg.epochs + 1):
            model.train()
            task = progress.add_task(f"epoch {epoch}", total=len(batches), info="")
            t0, seen, total_loss, total_mml, total_soft, total_ponder, n_batches = time.time(), 0, 0.0, 0.0, 0.0, 0.0, 0
            for own, size in batches.epoch(rng):
                batch = collate([it.enc for it in own or [batches.stand_in]])  # a stand-in adds nothing (weight 0)
                parts = compute_loss(net(batch), batch, cfg.soft_weight, cfg.mapo, cfg.ponder, pad, cfg.prior, cfg.merit)
                loss, figures = shared_loss(parts, dist, weight=bool(own))
                optim.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
                optim.step()
                if average is not None:
                    average.update(model)
                seen += size
                n_batches += 1
                total_loss += figures.total
                total_mml += figures.mml
                total_soft += figures.soft
                total_ponder += figures.ponder
                rate = seen / max(time.time() - t0, 1e-9)
                progress.update(task, advance=size, info=f"loss {total_loss / n_batches:.3f} {rate:.0f} ex/s")
            secs = time.time() - t0
            shipped = average.model if average is not None else model  # what is evaluated and saved
            dev_acc = None
            if cfg.dev:  # every rank measures its shard; the counts are summed
                dtask = progress.add_task(f"dev {epoch}", total=len(dev_items), info="")
                right, n = all_sum(dist, [correct(shipped, dev_items, lambda k: progress.advance(dtask, k)), len(dev_items)])
                dev_acc = right / n if n else None
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
                "model_id": f"npqa-{Path(cfg.train).stem}-seed{seed}-e{epoch}{_recipe_tag(cfg)}",
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
            rank_rngs = gather(dist, torch.get_rng_state()) if dist.on else None
            if dist.main:
                _save_state(out, model, optim, epoch, best, logs, average, rank_rngs)  # one atomic file: what --resume reads
                save_model(shipped, vocab.words, out, card)
                if best_now:
                    save_model(shipped, vocab.words, out / "best", card)
        return logs

    def ensemble(self, out: Path, names: list[str]) -> None:
        """Make ``out`` an ensemble of its trained members and measure it on dev."""
        from npqa.model.ensemble import write_ensemble

        cfg, dist = self.cfg, self.dist
        card = {"model_id": f"npqa-{Path(cfg.train).stem}-seed{cfg.seed}-x{len(names)}-e{cfg.epochs}{_recipe_tag(cfg)}",
                "training": {"command": cfg.command, "config": asdict(cfg), "prep": self.prep}}  # fmt: skip
        if dist.main:
            write_ensemble(out, names, card)
        if cfg.dev:
            model = shared_ensemble(out, names, dist)
            right, n = all_sum(dist, [numpy_correct(model, self.dev_items), len(self.dev_items)])
            if not n:
                return
            dev_acc = right / n
            card["training"]["dev_accuracy"] = dev_acc
            if dist.main:
                write_ensemble(out, names, card)
            self.progress.console.print(f"ensemble of {len(names)}: dev accuracy {dev_acc:.4f}")


def shared_ensemble(out: Path, names: list[str], dist: Dist) -> Any:
    """The ensemble rank 0 has written into ``out``, loaded on every rank. Rank 0 sends
    the files (the members' weights, no training state) to the others, whose ``out``
    may be another machine's disk."""
    import tempfile

    from npqa.model.ensemble import load_numpy_model

    sent = None
    if dist.main:
        paths = [out / CONFIG, *(p for n in names for p in sorted((out / n).iterdir()) if p.is_file() and p.name != STATE)]
        sent = {str(p.relative_to(out)): p.read_bytes() for p in paths}
    files = broadcast(dist, sent)
    if dist.main:
        return load_numpy_model(out)[0]
    with tempfile.TemporaryDirectory(prefix="npqa-ensemble-") as tmp:
        for rel, data in files.items():
            (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / rel).write_bytes(data)
        return load_numpy_model(tmp)[0]


def numpy_correct(model: Any, items: list[Item], batch: int = 64) -> int:
    """How many prepared items a numpy controller (or ensemble) answers right (official metric)."""
    from npqa.model.batch import collate_numpy
    from npqa.model.decode import decode_outputs
    from npqa.train.metric import check

    right = 0
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        for it, cands in zip(chunk, decode_outputs(model, model(collate_numpy([x.enc for x in chunk])), chunk)):
            right += bool(cands) and bool(check(it.answers, list(cands[0].answer.items)))
    return right


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
    rank_rngs: list[torch.Tensor] | None = None,
) -> None:
    """Weights (and their moving average), optimizer and RNG state (every rank's, when
    distributed) in one atomically written file, so a kill at any moment leaves a
    consistent checkpoint to resume from."""
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
    if rank_rngs is not None:
        state["torch_rng_ranks"] = rank_rngs
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write(out / STATE, buf.getvalue())


def _restore(
    out: Path, saved: bytes, model: NeuralProgrammer, optim: torch.optim.Optimizer, average: _Average | None = None,
    rank: int = 0,
) -> tuple[int, float, list[EpochLog]]:
    """Load ``saved`` (the bytes of ``out``'s checkpoint) into ``model``, ``optim`` (and
    the weights' moving average), and rank ``rank``'s RNG state; ModelError if it does not fit."""
    try:
        state = torch.load(io.BytesIO(saved), weights_only=True)
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optim"])
        if average is not None:
            average.model.load_state_dict(state["average"])
    except (RuntimeError, KeyError, ValueError, EOFError, pickle.UnpicklingError) as err:
        raise ModelError(str(out / STATE), f"checkpoint does not fit this run ({str(err).splitlines()[0][:200]})") from None
    rank_rngs = state.get("torch_rng_ranks")  # a distributed run's; a rank it did not have takes rank 0's
    torch.set_rng_state(rank_rngs[rank] if rank_rngs is not None and rank < len(rank_rngs) else state["torch_rng"])
    logs = [EpochLog(**x) for x in json.loads(state["log"])]
    return int(state["epoch"]), float(state["best"]), logs
