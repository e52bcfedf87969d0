"""Data-parallel training over the processes torchrun starts (gloo, on CPU).

``torchrun --nproc_per_node=N --no-python npqa train …`` starts N copies of
``npqa train``; torchrun tells each one its place (``WORLD_SIZE``, ``RANK``,
``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``) and where rank 0 listens
(``MASTER_ADDR``/``MASTER_PORT``, or a rendezvous endpoint). :func:`session`
reads them and joins the process group; without them it gives :data:`LOCAL`
(one process, nothing initialised) and ``npqa train`` is what it always was.

How N processes stay one training (:mod:`npqa.train.loop` does the rest):

* **Shards.** Rank r prepares and reads questions r, r+N, r+2N… of the
  training and dev files (:func:`shard`): the oracle's consistent programs,
  the costly part of preparation, are split N ways.
* **One batch order.** The ranks exchange each prepared question's size, so
  every rank draws the same global batches that one process would
  (:class:`Batches`, :func:`npqa.train.infer.batch_order`, same seed) and
  computes the questions of each batch that it prepared. A rank with none in a
  batch runs one of its own with weight 0, so that the gradient all-reduce
  still hears from every rank.
* **One average.** The loss is a mean over a batch's trained questions
  (:func:`npqa.train.loss.compute_loss`). Each rank scales its local mean by
  ``n_r * N / n`` (n_r its trained questions, n the whole batch's, one small
  all-reduce) and DistributedDataParallel averages the gradients over the N
  ranks (:func:`shared_loss`): the result is the whole batch's mean, however
  unevenly the batch split. Clipping, Adam and the moving average then see
  the gradient a single process would, on every rank alike.
* **One writer.** Rank 0 alone writes the vocabulary, checkpoints and model
  directories; on ``--resume`` it reads the checkpoint and sends it to the
  others (:func:`broadcast`), so only rank 0 needs to see ``--out``.
* **Leaving.** ``npqa train`` ends a rank's process with :func:`leave` (no
  interpreter teardown, which can race with gloo's threads and abort).
* **Failure.** A rank that dies takes the run down: the others' next
  collective fails, or torchrun stops them with SIGTERM; either way each
  surviving rank raises :class:`PeerLost`, which the CLI prints as one line.
  Checkpoints are written atomically, so ``--resume`` continues from the last
  finished epoch.
"""
from __future__ import annotations

import os
import re
import signal
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, NoReturn, Sequence

import numpy as np

from npqa.train.infer import batch_order, size_key

if TYPE_CHECKING:
    import torch

    from npqa.model.inputs import Item
    from npqa.train.loss import LossParts

BACKEND = "gloo"
ENV = ("WORLD_SIZE", "RANK")
"""What torchrun sets in every process it starts; both present means distributed."""


@dataclass(frozen=True)
class Dist:
    """This process's place in the run."""

    world: int = 1  # processes in the run (WORLD_SIZE)
    rank: int = 0  # this one's number, 0 writes (RANK)
    local_world: int = 1  # processes on this machine, sharing its cores (LOCAL_WORLD_SIZE)

    @property
    def on(self) -> bool:
        """More than one process: collectives and DistributedDataParallel are needed."""
        return self.world > 1

    @property
    def main(self) -> bool:
        """Rank 0: the one that prints and writes."""
        return self.rank == 0


LOCAL = Dist()
"""A plain ``npqa train``: one process, no process group."""


class PeerLost(Exception):
    """Another rank of a distributed run failed or was stopped: this one cannot go on."""


def launched(environ: dict[str, str] | None = None) -> bool:
    """Whether torchrun (or anything setting its variables) started this process."""
    env = os.environ if environ is None else environ
    return all(name in env for name in ENV)


@contextmanager
def session() -> Iterator[Dist]:
    """The run's :class:`Dist`: under torchrun, join the gloo process group (rank 0
    prints ``distributed: world_size=N rank=0 backend=gloo`` on stderr), turn a
    lost peer or the launcher's SIGTERM into :class:`PeerLost`, and leave the
    group at the end. Anywhere else: :data:`LOCAL`, nothing initialised."""
    if not launched():
        yield LOCAL
        return
    import torch.distributed as td

    env = os.environ
    world = int(env["WORLD_SIZE"])
    dist = Dist(world, int(env["RANK"]), int(env.get("LOCAL_WORLD_SIZE", world)))
    try:
        td.init_process_group(BACKEND)  # env://: MASTER_ADDR and MASTER_PORT from torchrun
    except RuntimeError as err:  # a rank that never came, or a stale address after a restart
        raise PeerLost(_lost(dist, f"could not join the other ranks ({_first_words(err)})")) from None
    previous = signal.signal(signal.SIGTERM, _stopped(dist))
    if dist.main:
        sys.stderr.write(f"distributed: world_size={dist.world} rank={dist.rank} backend={BACKEND}\n")
        sys.stderr.flush()
    try:
        yield dist
    except RuntimeError as err:  # a collective whose peer has gone (gloo: connection closed or reset, timeout)
        if not (isinstance(err, td.DistError) or "gloo" in str(err)):
            raise
        raise PeerLost(_lost(dist, f"another rank has gone ({_first_words(err)})")) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        if td.is_initialized():
            td.destroy_process_group()


def leave(code: int = 0) -> NoReturn:
    """End this process of a distributed run now, its output flushed, without the
    interpreter's teardown (``os._exit``). Call it once the run is over (the
    session left, every file written).

    Why: a gloo worker thread may drop the last reference to a tensor of the
    last collective just after the collective returned. If the interpreter is
    finalizing at that moment, taking the GIL to free the tensor ends that
    thread with ``pthread_exit``, whose unwinding meets C++ code that may not
    throw: the rank aborts (``terminate called without an active exception``,
    exit -6) after its work is done. Seen about once in 30 CI runs; a core file
    showed ``Py_FinalizeEx`` in the main thread and ``~TensorImpl`` →
    ``gil_scoped_acquire`` → ``PyThread_exit_thread`` in the aborting thread.
    Leaving without a teardown leaves no moment for that race.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _lost(dist: Dist, why: str) -> str:
    return f"rank {dist.rank} of {dist.world}: {why}"


def _first_words(err: Exception) -> str:
    """The gist of a gloo error: its first sentence, without the C++ source location.

    >>> _first_words(RuntimeError("[/x/gloo/pair.cc:537] Read error [::1]:5: Connection reset by peer. This is..."))
    'Read error [::1]:5: Connection reset by peer'
    >>> _first_words(RuntimeError("Gloo connectFullMesh failed with [/x/pair.cc:152] timed out connecting"))
    'Gloo connectFullMesh failed with timed out connecting'
    """
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    text = re.sub(r"\[[^\]]*\.(?:cc|cpp|h):\d+\]\s*", "", text)
    return text.split(". ")[0].rstrip(".")[:200]


def _stopped(dist: Dist) -> Any:
    def handler(signum: int, frame: Any) -> None:
        raise PeerLost(_lost(dist, "stopped by the launcher (SIGTERM), another rank has probably failed"))

    return handler


# -- collectives (each a no-op for one process) ---------------------------------------
def shard(items: Sequence[Any], dist: Dist) -> list[Any]:
    """This rank's share of ``items``: positions rank, rank + world, …"""
    return list(items[dist.rank :: dist.world])


def all_sum(dist: Dist, values: Sequence[float]) -> list[float]:
    """``values`` summed elementwise over the ranks (float64: counts stay exact)."""
    if not dist.on:
        return [float(v) for v in values]
    import torch
    import torch.distributed as td

    t = torch.tensor([float(v) for v in values], dtype=torch.float64)
    td.all_reduce(t)
    return [float(v) for v in t.tolist()]


def gather(dist: Dist, obj: Any) -> list[Any]:
    """Every rank's ``obj`` (picklable), in rank order, on every rank."""
    if not dist.on:
        return [obj]
    import torch.distributed as td

    out: list[Any] = [None] * dist.world
    td.all_gather_object(out, obj)
    return out


def broadcast(dist: Dist, obj: Any) -> Any:
    """Rank 0's ``obj`` on every rank (the others pass anything, e.g. None)."""
    if not dist.on:
        return obj
    import torch.distributed as td

    box = [obj if dist.main else None]
    td.broadcast_object_list(box, src=0)
    return box[0]


def wrap(model: "torch.nn.Module", dist: Dist) -> "torch.nn.Module":
    """``model`` under DistributedDataParallel (rank 0's weights broadcast to all,
    gradients averaged over the ranks during backward); the model itself for one process."""
    if not dist.on:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model)


# -- the batches and the loss ----------------------------------------------------------
class Batches:
    """The epoch's global batches (the same on every rank) and this rank's share of each.

    ``mine`` are this rank's trainable questions with their positions in the
    whole training file; the ranks exchange their sizes once, here.
    """

    def __init__(self, mine: Sequence[tuple[int, "Item"]], dist: Dist, max_batch: int, what: str) -> None:
        from npqa.errors import DataError

        everyone = gather(dist, [(index, size_key(item)) for index, item in mine])
        if any(not part for part in everyone):
            raise DataError(what, f"too few questions to train on for {dist.world} ranks (a rank got none)")
        merged = sorted(entry for part in everyone for entry in part)  # the whole file's order
        position = {index: p for p, (index, _) in enumerate(merged)}
        self.sizes = [size for _, size in merged]
        self.own = {position[index]: item for index, item in mine}
        self.stand_in = mine[0][1]
        self.max_batch = max_batch

    def __len__(self) -> int:
        return len(self.sizes)

    def epoch(self, rng: np.random.Generator) -> Iterator[tuple[list["Item"], int]]:
        """(this rank's questions of the batch, the batch's size over all ranks), batch by batch."""
        for idx in batch_order(self.sizes, rng, self.max_batch):
            yield [self.own[p] for p in idx if p in self.own], len(idx)


@dataclass
class Figures:
    """One batch's loss figures, over the whole batch (all ranks)."""

    total: float
    mml: float
    soft: float
    ponder: float


def shared_loss(parts: "LossParts", dist: Dist, weight: bool = True) -> tuple["torch.Tensor", Figures]:
    """The loss to back-propagate on this rank, and the whole batch's figures.

    ``parts`` is this rank's share (``weight=False``: a stand-in that must add
    nothing). With DDP averaging gradients over the ranks, back-propagating
    ``mean_r * n_r * world / n`` on each rank gives the gradient of the mean
    over the whole batch's ``n`` trained questions."""
    ponder = parts.ponder.item() if parts.ponder is not None else 0.0
    if not dist.on:
        return parts.total, Figures(parts.total.item(), parts.mml.item(), parts.soft.item(), ponder)
    n_r = float(parts.trained) if weight else 0.0
    n, total, mml, soft, pond = all_sum(
        dist, [n_r, n_r * parts.total.item(), n_r * parts.mml.item(), n_r * parts.soft.item(), n_r * ponder]
    )
    n = max(n, 1.0)
    return parts.total * (n_r * dist.world / n), Figures(total / n, mml / n, soft / n, pond / n)
