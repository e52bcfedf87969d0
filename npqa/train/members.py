"""An ensemble's members trained side by side, one forked process each.

A small controller keeps two torch threads busy only part of the time: on this
project's 2-core machine one process of 2 threads trains at about the speed of
one process of 1 thread (BENCHMARKS.md, "Learning (issue 13): the part C
recipe, shipped"). So with ``--threads N`` and ``--members K``, up to
``min(K, N)`` members train at once, each in a forked child with
``N // at_once`` threads, reading the data the parent prepared (fork shares it;
nothing is pickled but the epoch lines). Each child writes only its own member
directory, so ``--resume`` works per member as it does one after the other; the
parent prints the children's epoch lines, shows one bar over all members'
epochs, and stops the others with one error line when a child fails.
"""
from __future__ import annotations

import multiprocessing as mp
import queue as queues
import traceback
from typing import Any, Callable

from npqa.errors import ModelError, NpqaError


class _Lines:
    """The progress a child reports through: epoch lines go to the parent, bars nowhere."""

    def __init__(self, queue: Any, k: int) -> None:
        self.queue, self.k = queue, k
        self.console = self

    def add_task(self, *args: Any, **kwargs: Any) -> int:
        return 0

    def update(self, *args: Any, **kwargs: Any) -> None:
        pass

    def advance(self, *args: Any, **kwargs: Any) -> None:
        pass

    def print(self, message: str) -> None:  # the console's one method the training calls
        self.queue.put(("line", self.k, str(message)))


def _child(train_one: Callable[[Any, int], list[Any]], k: int, threads: int, queue: Any) -> None:
    import torch

    torch.set_num_threads(threads)
    try:
        logs = train_one(_Lines(queue, k), k)
    except NpqaError as err:  # an input problem: the parent reports it as one error line
        queue.put(("error", k, str(err)))
    except BaseException:  # noqa: BLE001 - a bug: the parent fails the run with the child's traceback
        queue.put(("crash", k, traceback.format_exc()))
    else:
        queue.put(("done", k, logs))


def train_side_by_side(
    train_one: Callable[[Any, int], list[Any]], members: int, threads: int, progress: Any, epochs: int
) -> list[list[Any]]:
    """Run ``train_one(progress, k)`` for k = 0..members-1, up to ``threads``
    at a time in forked children (``threads // at_once`` torch threads each);
    the per-member logs, in member order. A failed child ends the run with
    :class:`ModelError` for an input problem, ``RuntimeError`` for a bug (the
    others are stopped)."""
    at_once = max(1, min(members, threads))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    bar = progress.add_task(f"{members} members, {at_once} at a time", total=members * epochs, info="")
    waiting = list(range(members))
    running: dict[int, Any] = {}
    logs: dict[int, list[Any]] = {}
    try:
        while waiting or running:
            while waiting and len(running) < at_once:
                k = waiting.pop(0)
                running[k] = ctx.Process(target=_child, args=(train_one, k, max(1, threads // at_once), queue))
                running[k].start()
            try:
                kind, k, payload = queue.get(timeout=5)
            except queues.Empty:  # check that no child died without a word
                dead = [k for k, p in running.items() if not p.is_alive()]
                if dead:
                    raise ModelError(f"member {dead[0] + 1}", f"its process stopped (exit code {running[dead[0]].exitcode})") from None
                continue
            if kind == "line":
                progress.console.print(f"member {k + 1}: {payload}")
                if payload.startswith("epoch "):
                    progress.advance(bar, 1)
            elif kind == "done":
                logs[k] = payload
                running.pop(k).join()
            elif kind == "error":
                raise ModelError(f"member {k + 1}", payload)
            else:
                raise RuntimeError(f"member {k + 1} failed:\n{payload}")
    finally:
        for p in running.values():
            p.terminate()
            p.join()
    return [logs[k] for k in range(members)]
