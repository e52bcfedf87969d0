"""Questions with their tables, prepared once for the model: linked, encoded,
and (for training) given their answer targets and consistent programs.

Every command that reads a WTQ-style TSV goes through :func:`each_example` and
the one chain of :mod:`npqa.model.inputs`: :func:`prepare` (training,
``predict``, ``eval``), :func:`coverage` (``npqa oracle``) and
:func:`npqa.train.targets.data_stats` (``npqa data-stats``).
"""
from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from npqa.lang.language import Language, Program
from npqa.lang.oracle import consistent
from npqa.model.features import Vocab, program_indices
from npqa.model.inputs import Item, prepare_item
from npqa.question.link import read_question
from npqa.table.column import Table
from npqa.train.compare import comparison_programs
from npqa.train.targets import DataStats, answer_targets, gold
from npqa.train.triggers import triggered, untriggered_ops
from npqa.train.wtq import Example, load_examples_with_tables


def each_example(
    tsv: Path, tables_root: Path, on_item: Callable[[], None] | None = None
) -> Iterator[tuple[Example, Table]]:
    """Each example of a WTQ-style TSV with its table (each table read once);
    ``on_item`` is called after each one is used."""
    examples, tables = load_examples_with_tables(tsv, tables_root)
    for ex in examples:
        yield ex, tables[ex.table_path]
        if on_item is not None:
            on_item()


@dataclass
class PrepStats:
    questions: int = 0
    with_programs: int = 0  # the oracle found a consistent program
    with_soft_target: int = 0  # a scalar or cell target exists
    without_target: int = 0  # neither: counted, skipped by the loss
    programs_total: int = 0


def prepare(
    examples: Sequence[Example],
    tables: dict[str, "object"],
    vocab: Vocab,
    language: Language,
    steps: int,
    targets: bool,
    max_programs: int = 64,
    on_item: Callable[[], None] | None = None,
    rank: str = "shortest",
    *,
    rows: bool = True,
) -> tuple[list[Item], PrepStats]:
    """Link and encode every example; with ``targets``, add answer targets and
    the oracle's consistent programs (at most ``max_programs``, best first by
    ``rank``: :data:`RANKS`). ``rows=False`` leaves out what only soft execution
    reads (inference)."""
    items: list[Item] = []
    stats = PrepStats()
    for ex in examples:
        table = tables[ex.table_path]
        item = prepare_item(table, ex.question, vocab, language, rows=rows, id=ex.id, answers=ex.answers)  # type: ignore[arg-type]
        stats.questions += 1
        if targets:
            _add_targets(item, language, steps, max_programs, stats, rank)
        items.append(item)
        if on_item is not None:
            on_item()
    return items, stats


_FORKED: dict[str, Language] = {}  # the language, handed to forked workers by memory (its ops hold lambdas)


def _add_targets(
    item: Item, language: Language, steps: int, max_programs: int, stats: PrepStats, rank: str = "shortest"
) -> None:
    """The answer targets and consistent programs of a prepared item (in place)."""
    enc, table = item.enc, item.table
    tgt = answer_targets(item.answers, table)
    enc.cells = tgt.cells
    enc.scalar = tgt.scalar
    enc.meta["kind"] = tgt.kind
    words = item.linked.question.tokens
    offered = language.cued(lambda op: triggered(op, words))  # the ops the oracle may use for this question
    target = gold(item.answers)
    found = consistent(table, item.constants, target, offered, steps)
    programs = found.programs
    if rank == "compare":  # an "X or Y" question trains on the programs that compare X and Y, when one is right
        programs = comparison_programs(item.linked, table, language, target.matches) or programs
    key = RANKS[rank]
    ranked = sorted(((key(p, words), p) for p in programs), key=lambda kp: kp[0])[:max_programs]
    kept = [(k, i) for k, p in ranked if (i := program_indices(p, table, item.constants, language, steps)) is not None]
    idx = [i for _, i in kept]
    enc.programs = np.stack(idx) if idx else np.zeros((0, steps, 3), dtype=np.int64)
    enc.program_rank = np.array([k for k, _ in kept], dtype=np.float32)  # (P,)
    stats.with_programs += bool(idx)
    stats.programs_total += found.n_programs
    soft = math.isfinite(tgt.scalar) or bool(tgt.cells.any())
    stats.with_soft_target += soft
    stats.without_target += not (soft or idx)


def _prepare_chunk(args: tuple) -> tuple[list[Item], PrepStats]:
    examples, tables, vocab, steps, targets, max_programs, rank = args
    return prepare(examples, tables, vocab, _FORKED["language"], steps, targets, max_programs, rank=rank)


def prepare_parallel(
    examples: Sequence[Example],
    tables: dict[str, "object"],
    vocab: Vocab,
    language: Language,
    steps: int,
    targets: bool,
    max_programs: int = 64,
    workers: int = 2,
    on_items: Callable[[int], None] | None = None,
    chunk: int = 256,
    rank: str = "shortest",
) -> tuple[list[Item], PrepStats]:
    """:func:`prepare` over ``workers`` processes, in chunks of questions on the
    same tables; items come back in the examples' order."""
    import multiprocessing as mp

    order = sorted(range(len(examples)), key=lambda i: examples[i].table_path)
    chunks = [order[i : i + chunk] for i in range(0, len(order), chunk)]
    jobs = [
        (
            [examples[i] for i in idx],
            {examples[i].table_path: tables[examples[i].table_path] for i in idx},
            vocab, steps, targets, max_programs, rank,
        )
        for idx in chunks
    ]  # fmt: skip
    items: list[Item | None] = [None] * len(examples)
    stats = PrepStats()
    _FORKED["language"] = language
    if workers <= 1:
        results = map(_prepare_chunk, jobs)
    else:
        pool = mp.get_context("fork").Pool(workers)
        results = pool.imap(_prepare_chunk, jobs)
    try:
        for idx, (got, st) in zip(chunks, results):
            for i, item in zip(idx, got):
                items[i] = item
            for name in ("questions", "with_programs", "with_soft_target", "without_target", "programs_total"):
                setattr(stats, name, getattr(stats, name) + getattr(st, name))
            if on_items is not None:
                on_items(len(idx))
    finally:
        if workers > 1:
            pool.close()
            pool.join()
    return [it for it in items if it is not None], stats


def program_rank(program: Program, words: Sequence[str] = ()) -> float:
    """Which consistent programs to train on first: short ones, and ones that
    use the question's constants (a program ignoring the question is more
    likely right by accident). Looks only at the program, never at gold."""
    uses = sum(step.constant is not None for step in program.steps)
    return len(program.row_steps) - 0.9 * uses


UNTRIGGERED_COST = 2.0
"""What one op that no question word triggers costs in :func:`trigger_rank` (more than
two extra row steps: a triggered program is preferred whenever one exists)."""


def trigger_rank(program: Program, words: Sequence[str]) -> float:
    """:func:`program_rank`, plus :data:`UNTRIGGERED_COST` per op the question's
    ``words`` do not trigger (:mod:`npqa.train.triggers`)."""
    ops = [step.op for step in program.steps]
    return program_rank(program) + UNTRIGGERED_COST * untriggered_ops(ops, words)


RANKS: dict[str, Callable[[Program, Sequence[str]], float]] = {
    "shortest": program_rank,
    "triggers": trigger_rank,
    "compare": program_rank,
}
"""How the consistent programs trained on are chosen (``npqa train --rank``). ``compare``
is ``shortest``, except that a question naming "X or Y" trains on the programs that
compare X and Y when one of them gives the gold answer (:mod:`npqa.train.compare`)."""


def vocab_texts(examples: Iterable[Example], tables: dict[str, "object"]) -> Iterable[str]:
    """Question text and column names: what the vocabulary is built from."""
    for ex in examples:
        yield ex.question
    for table in tables.values():
        yield from table.names  # type: ignore[attr-defined]


def load_split(tsv: Path, tables_root: Path) -> tuple[list[Example], dict[str, object]]:
    return load_examples_with_tables(tsv, tables_root)


@dataclass
class CoverageReport:
    questions: int
    covered: int
    programs_median: float  # over covered questions: programs giving the gold answer
    ms_per_question_median: float
    seconds: float

    @property
    def coverage(self) -> float:
        return self.covered / max(self.questions, 1)

    def line(self) -> str:
        return (
            f"coverage={self.coverage:.3f} covered={self.covered} questions={self.questions} "
            f"programs_median={self.programs_median:g} ms_per_question={self.ms_per_question_median:.1f}"
        )


def coverage(
    tsv: Any, tables_root: Any, steps: int, language: Language, on_item: Callable[[], None] | None = None
) -> CoverageReport:
    """Oracle coverage of a WTQ-style TSV: for how many questions some program
    the model can emit (constants from the question only) gives the gold answer."""
    t_start = time.perf_counter()
    counts: list[int] = []
    times: list[float] = []
    for ex, table in each_example(tsv, tables_root, on_item):
        t0 = time.perf_counter()
        linked = read_question(ex.question, table)
        offered = language.cued(lambda op: triggered(op, linked.question.tokens))
        result = consistent(table, [c.value for c in linked.constants], gold(ex.answers), offered, steps)
        times.append((time.perf_counter() - t0) * 1000)
        if result.covered:
            counts.append(result.n_programs)
    return CoverageReport(
        questions=len(times),
        covered=len(counts),
        programs_median=float(np.median(counts)) if counts else 0.0,
        ms_per_question_median=float(np.median(times)) if times else 0.0,
        seconds=time.perf_counter() - t_start,
    )


def data_stats(tsv: Path, tables_root: Path, on_item: Callable[[], None] | None = None) -> DataStats:
    """The share of each answer kind in a WTQ-style TSV."""
    kinds: Counter[str] = Counter()
    lists = n = 0
    for ex, table in each_example(tsv, tables_root, on_item):
        tgt = answer_targets(ex.answers, table)
        kinds[tgt.kind] += 1
        lists += tgt.is_list
        n += 1
    return DataStats(n, dict(kinds), lists)
