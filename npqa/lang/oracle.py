"""The oracle: every program the model could emit, run at once, against the gold answer.

Enumerates the canonical programs of up to ``steps - 1`` row steps and one
terminal op, with the ops, columns and constants the language offers for the
table and the question's linked constants — exactly what the model can emit.
Row sets are deduplicated level by level (a batch of ``(S, R)`` bool rows
goes through each declared op's ``hard`` function at once), and the number of
distinct programs reaching each row set is carried along, so counting the
programs that give the gold answer costs no more than finding one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Hashable, Sequence

import numpy as np

from npqa.table.column import Table
from npqa.lang.executor import format_number
from npqa.lang.language import ConstValue, Language, OpSpec, Program, Result, Step


CHAINS_PER_SET = 6  # row-step chains remembered per distinct row set (shortest first)


@dataclass
class RowSets:
    """Distinct row sets reachable by row steps, with how many programs reach each."""

    rows: np.ndarray  # bool (S, R)
    counts: np.ndarray  # int64 (S,): distinct canonical row-step chains giving that set
    chains: list[list[tuple[Step, ...]]]  # (S,) up to CHAINS_PER_SET such chains, shortest first


@dataclass
class OracleResult:
    covered: bool
    n_programs: int  # programs whose answer matches the gold answer
    example: Program | None  # a shortest one
    programs: list[Program]  # up to CHAINS_PER_SET programs per (row set, terminal) pair that matches


def _unique(
    rows: np.ndarray, counts: np.ndarray, chains: Callable[[int], list[tuple[Step, ...]]]
) -> RowSets:
    """Merge equal row sets: program counts add up, chain lists are concatenated
    (capped). ``chains(i)`` gives entry i's chains; it is called only for the
    entries whose chains are kept."""
    if len(rows) == 0:
        return RowSets(rows, counts, [])
    packed = np.packbits(rows, axis=1)
    _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    summed = np.bincount(inverse, weights=counts, minlength=len(first)).astype(np.int64)
    # only the first CHAINS_PER_SET entries of a set can contribute chains
    order = np.argsort(inverse, kind="stable")  # entries grouped by set, in entry order
    starts = np.searchsorted(inverse[order], np.arange(len(first)))
    rank = np.arange(len(order)) - starts[inverse[order]]
    merged: list[list[tuple[Step, ...]]] = [[] for _ in first]
    for i in order[rank < CHAINS_PER_SET]:
        u = inverse[i]
        room = CHAINS_PER_SET - len(merged[u])
        if room > 0:
            merged[u].extend(chains(int(i))[:room])
    return RowSets(rows[first], summed, merged)


def row_steps(data: Table, constants: Sequence[ConstValue], language: Language) -> list[tuple[Step, Any]]:
    """Every row step the table offers (``keep`` and ``reset`` left out: they
    never make a canonical program longer), with what to apply: a precomputed
    condition (R,) for filters, the op's function otherwise."""
    out: list[tuple[Step, Any]] = []
    kinds = data.column_kinds
    for spec in language.row_ops:
        if spec.name in ("keep", "reset"):
            continue
        for column, constant in language.arguments(spec, kinds, constants):
            col = data[column] if column is not None else None
            step = Step(spec.name, column, constant)
            if spec.condition:
                out.append((step, (spec, spec.hard(col, constant))))
            else:
                out.append((step, (spec.hard, col, spec.from_start)))
    return out


def reachable(data: Table, constants: Sequence[ConstValue], language: Language, max_row_steps: int) -> RowSets:
    """All row sets reachable with 0..max_row_steps row steps (program counts summed)."""
    steps = row_steps(data, constants, language)
    summary = data.summary_rows  # (R,)
    frontier = RowSets(data.start_rows[None, :].copy(), np.ones(1, dtype=np.int64), [[()]])
    levels = [frontier]
    for _ in range(max_row_steps):
        rows, counts = [], []
        for step, how in steps:
            if isinstance(how[0], OpSpec):
                spec, passing = how
                new = spec.combine(frontier.rows, passing, summary)  # (S, R)
            else:
                fn, col, from_start = how
                new = fn(frontier.rows, col)  # (S, R)
                if from_start:
                    new = new & data.start_rows
            rows.append(new)
            counts.append(frontier.counts)
        if not rows:
            break
        S = len(frontier.counts)

        def extend(i: int, parent: RowSets = frontier, n: int = S) -> list[tuple[Step, ...]]:
            step = steps[i // n][0]  # entry i = step i // S applied to row set i % S
            return [chain + (step,) for chain in parent.chains[i % n]]

        frontier = _unique(np.concatenate(rows), np.concatenate(counts), extend)
        levels.append(frontier)
    every = [c for lv in levels for c in lv.chains]
    return _unique(
        np.concatenate([lv.rows for lv in levels]),
        np.concatenate([lv.counts for lv in levels]),
        every.__getitem__,
    )


def _value_counts(rows: np.ndarray, column: Any, value_of: Callable[[str], Hashable]) -> np.ndarray:
    """int (S,): how many distinct values (``value_of`` each text) the non-empty
    cells of the carried rows (S, R) hold."""
    codes = column.text_codes  # (R,)
    _, first = np.unique(codes, return_index=True)
    ids: dict[Hashable, int] = {}
    per_code = np.array([ids.setdefault(value_of(column.texts[i]), len(ids)) for i in first], dtype=np.int64)
    lookup = np.zeros(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    lookup[codes[first]] = per_code
    s_idx, r_idx = np.nonzero(rows & column.nonempty)
    pairs = np.unique(s_idx * max(len(ids), 1) + lookup[codes[r_idx]])
    return np.bincount(pairs // max(len(ids), 1), minlength=len(rows))


def consistent(
    data: Table,
    constants: Sequence[ConstValue],
    matches: Callable[[tuple[str, ...]], bool],
    language: Language,
    steps: int = 4,
    answer_size: int | None = None,
    value_of: Callable[[str], Hashable] | None = None,
) -> OracleResult:
    """The programs (up to ``steps`` steps, the terminal included) whose answer
    ``matches`` accepts.

    A shortcut, exact when ``matches`` accepts only answers of ``answer_size``
    distinct values, ``value_of`` giving an item's value (the official metric):
    number ops are skipped unless one value is wanted, and a cell answer is built
    only for row sets holding that many distinct values. A cell answer (``print``,
    the one op of :attr:`Result.CELLS`) is the column's distinct non-empty texts
    of the carried rows."""
    sets = reachable(data, constants, language, steps - 1)
    kinds = data.column_kinds
    verdicts: dict[tuple[str, ...], bool] = {}

    def ok(items: tuple[str, ...]) -> bool:
        if items not in verdicts:
            verdicts[items] = bool(items) and matches(items)
        return verdicts[items]

    total = 0
    programs: list[Program] = []
    for spec in language.terminal_ops:
        cells = spec.result is Result.CELLS
        if not cells and answer_size not in (None, 1):
            continue  # one number is never several values
        for column, constant in language.arguments(spec, kinds, constants):
            col = data[column] if column is not None else None
            which = np.arange(len(sets.rows))
            if cells and answer_size is not None and value_of is not None:
                which = np.flatnonzero(_value_counts(sets.rows, col, value_of) == answer_size)
            out = spec.hard(sets.rows[which], col)
            term = Step(spec.name, column, constant)
            if cells:
                hits = which[[ok(tuple(a)) for a in out]] if len(which) else which
            else:  # many row sets share a number: each distinct one is judged once
                numbers, back = np.unique(np.asarray(out, dtype=np.float64), return_inverse=True)
                verdict = np.array([ok(() if np.isnan(x) else (format_number(float(x)),)) for x in numbers], dtype=bool)
                hits = which[verdict[back.reshape(-1)]] if len(numbers) else which[:0]
            for i in hits:
                total += int(sets.counts[i])
                programs.extend(Program(chain + (term,)) for chain in sets.chains[i])
    programs.sort(key=lambda p: len(p.steps))
    return OracleResult(bool(programs), total, programs[0] if programs else None, programs)
