"""Questions with their tables, prepared once for the model: linked, encoded,
and (for training) given their answer targets and consistent programs."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from npqa.execdata import TableData
from npqa.features import Encoded, Vocab, encode, program_indices
from npqa.language import Language, Program
from npqa.question import LinkedQuestion, link_question, parse_question
from npqa.wtq import Example


@dataclass
class Item:
    """One question ready for the model."""

    example: Example
    linked: LinkedQuestion
    data: TableData
    enc: Encoded

    @property
    def constants(self) -> list:
        return [c.value for c in self.linked.constants]


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
) -> tuple[list[Item], PrepStats]:
    """Link and encode every example; with ``targets``, add answer targets and
    the oracle's consistent programs (at most ``max_programs``, by :func:`program_rank`)."""
    from npqa.oracle import consistent
    from npqa.targets import answer_targets, answer_matcher

    datas: dict[str, TableData] = {}
    items: list[Item] = []
    stats = PrepStats()
    for ex in examples:
        table = tables[ex.table_path]
        data = datas.get(ex.table_path)
        if data is None:
            data = datas[ex.table_path] = TableData.from_table(table)  # type: ignore[arg-type]
        linked = link_question(parse_question(ex.question), table)  # type: ignore[arg-type]
        enc = encode(linked, data, vocab, language)
        item = Item(ex, linked, data, enc)
        stats.questions += 1
        if targets:
            tgt = answer_targets(ex.answers, data)
            enc.cells = tgt.cells
            enc.scalar = tgt.scalar
            enc.meta["kind"] = tgt.kind
            found = consistent(data, item.constants, answer_matcher(ex.answers), language, steps)
            ranked = sorted(found.programs, key=program_rank)[:max_programs]
            idx = [program_indices(p, data, item.constants, language, steps) for p in ranked]
            idx = [i for i in idx if i is not None]
            enc.programs = np.stack(idx) if idx else np.zeros((0, steps, 3), dtype=np.int64)
            stats.with_programs += bool(idx)
            stats.programs_total += found.n_programs
            soft = math.isfinite(tgt.scalar) or bool(tgt.cells.any())
            stats.with_soft_target += soft
            stats.without_target += not (soft or idx)
        items.append(item)
        if on_item is not None:
            on_item()
    return items, stats


_FORKED: dict[str, Language] = {}  # the language, handed to forked workers by memory (its ops hold lambdas)


def _prepare_chunk(args: tuple) -> tuple[list[Item], PrepStats]:
    examples, tables, vocab, steps, targets, max_programs = args
    return prepare(examples, tables, vocab, _FORKED["language"], steps, targets, max_programs)


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
            vocab, steps, targets, max_programs,
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


def program_rank(program: "Program") -> float:
    """Which consistent programs to train on first: short ones, and ones that
    use the question's constants (a program ignoring the question is more
    likely right by accident). Looks only at the program, never at gold."""
    uses = sum(step.constant is not None for step in program.steps)
    return len(program.row_steps) - 0.9 * uses


def vocab_texts(examples: Iterable[Example], tables: dict[str, "object"]) -> Iterable[str]:
    """Question text and column names: what the vocabulary is built from."""
    for ex in examples:
        yield ex.question
    for table in tables.values():
        yield from table.names  # type: ignore[attr-defined]


def load_split(tsv: Path, tables_root: Path) -> tuple[list[Example], dict[str, object]]:
    from npqa.wtq import load_examples_with_tables

    return load_examples_with_tables(tsv, tables_root)
