"""The oracle: every program the model could emit, run at once, against the gold answer.

Enumerates the canonical programs of up to ``steps - 1`` row steps and one
terminal op, with the ops, columns and constants the language offers for the
table and the question's linked constants — exactly what the model can emit
(so ops no model can learn, :attr:`OpSpec.trainable`, are left out).
Row sets are deduplicated level by level (a batch of ``(S, R)`` bool rows
goes through each declared op's ``hard`` function at once), and the number of
distinct programs reaching each row set is carried along, so counting the
programs that give the gold answer costs no more than finding one.

Each row set remembers a few of the chains reaching it: the shortest
(:data:`CHAINS_PER_SET`), and beside them the chains that use more of the
question's constants than any of those (:data:`CHAINS_FOR_CONSTANTS`). Without
the second kind, "who came after rex?" keeps six one-step chains that reach
the row by accident (``first``, ``argmin`` of some column) and loses
``next(word_match(reset, "Name", "rex"))``, the one that means the question.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Hashable, Sequence

import numpy as np

from npqa.table.column import Table
from npqa.lang.executor import NO, YES, format_number
from npqa.lang.language import ConstValue, Language, OpSpec, Program, Result, Step


CHAINS_PER_SET = 6  # row-step chains remembered per distinct row set (shortest first)
CHAINS_FOR_CONSTANTS = 4  # and at most this many more, using more of the question's constants than those


Chain = tuple[Step, ...]


@dataclass
class RowSets:
    """Distinct row sets reachable by row steps, with how many programs reach each."""

    rows: np.ndarray  # bool (S, R)
    counts: np.ndarray  # int64 (S,): distinct canonical row-step chains giving that set
    chains: list[list[Chain]]  # (S,) up to CHAINS_PER_SET such chains, shortest first, then CHAINS_FOR_CONSTANTS
    chain_uses: list[list[frozenset]]  # (S,) per chain: the constants its steps use to some end (_constant_use)

    @property
    def uses(self) -> np.ndarray:
        """int64 (S,): the most constants one remembered chain of each set uses."""
        return np.array([max(map(len, u), default=0) for u in self.chain_uses], dtype=np.int64)


@dataclass
class OracleResult:
    covered: bool
    n_programs: int  # programs whose answer matches the gold answer
    example: Program | None  # a shortest one
    programs: list[Program]  # up to CHAINS_PER_SET programs per (row set, terminal) pair that matches


@dataclass
class Gold:
    """What the oracle knows of a gold answer.

    ``matches`` is the verdict on an answer's items. The rest are shortcuts,
    each exact only when ``matches`` is the official metric's verdict for a
    gold answer of ``size`` distinct values (:func:`npqa.train.targets.gold`):
    ``value_of`` gives an item's value (number ops are skipped unless one value
    is wanted; cell answers are built only for row sets holding ``size``
    values); ``item_hits`` tells which gold values one item matches (cell
    answers are then judged without being built); ``may_match`` marks the
    computed numbers that can match at all (a superset; each is then judged by
    ``matches``)."""

    matches: Callable[[tuple[str, ...]], bool]
    size: int | None = None
    value_of: Callable[[str], Hashable] | None = None
    item_hits: Callable[[str], Sequence[bool]] | None = None
    may_match: Callable[[np.ndarray], np.ndarray] | None = None


def group_rows(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(packed, axis=0, return_index=True, return_inverse=True)[1:]``
    for packed bit rows (N, B) uint8, the same arrays, faster: the rows as
    big-endian 64-bit words (whose order is the bytes' order), grouped by one
    hash of the words, checked for collisions (then the plain way)."""
    n, width = packed.shape
    words = np.zeros((n, -(-width // 8) * 8), dtype=np.uint8)
    words[:, :width] = packed
    words = words.view(">u8").astype(np.uint64)  # (N, W)
    if words.shape[1] == 1:
        key = words[:, 0]
    else:
        mix = np.random.default_rng(0).integers(1, 2**63, size=words.shape[1], dtype=np.uint64) | np.uint64(1)
        key = (words * mix).sum(axis=1, dtype=np.uint64)  # (N,) wraps modulo 2**64
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if words.shape[1] > 1:
        if not np.array_equal(words[first][inverse], words):  # a collision: never seen, but exact either way
            _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
            return first, inverse.reshape(-1)
        order = np.lexsort(words[first].T[::-1])  # the distinct rows in the bytes' order
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        first, inverse = first[order], rank[inverse]
    return first, inverse


def _unique(
    rows: np.ndarray,
    counts: np.ndarray,
    chains: Callable[[int], list[tuple[Chain, frozenset]]],
    uses: np.ndarray | None = None,
) -> RowSets:
    """Merge equal row sets: program counts add up, chain lists are concatenated
    (capped at :data:`CHAINS_PER_SET`, in entry order). ``chains(i)`` gives entry
    i's chains, each with the constants it uses; it is called only for the
    entries whose chains are kept. ``uses`` (N,), at least the most constants
    one of entry i's chains uses, lets up to :data:`CHAINS_FOR_CONSTANTS` more
    chains in per set: the first of those using more constants than every chain
    kept first."""
    if len(rows) == 0:
        return RowSets(rows, counts, [], [])
    first, inverse = group_rows(np.packbits(rows, axis=1))
    summed = np.bincount(inverse, weights=counts, minlength=len(first)).astype(np.int64)
    # only the first CHAINS_PER_SET entries of a set can contribute chains
    order = np.argsort(inverse, kind="stable")  # entries grouped by set, in entry order
    starts = np.searchsorted(inverse[order], np.arange(len(first)))
    rank = np.arange(len(order)) - starts[inverse[order]]
    merged: list[list[tuple[Chain, frozenset]]] = [[] for _ in first]
    for i in order[rank < CHAINS_PER_SET]:
        u = inverse[i]
        room = CHAINS_PER_SET - len(merged[u])
        if room > 0:
            merged[u].extend(chains(int(i))[:room])
    if uses is not None:
        _add_constant_chains(merged, order, inverse, uses, chains)
    return RowSets(rows[first], summed, [[c for c, _ in m] for m in merged], [[used for _, used in m] for m in merged])


def _add_constant_chains(
    merged: list[list[tuple[Chain, frozenset]]],
    entries: np.ndarray,
    inverse: np.ndarray,
    uses: np.ndarray,
    chains: Callable[[int], list[tuple[Chain, frozenset]]],
) -> None:
    """In place: give each set of ``merged`` up to :data:`CHAINS_FOR_CONSTANTS`
    chains of its ``entries`` (grouped by set, in entry order, so shorter chains
    first; ``inverse``: their sets; ``uses``: at least the most constants one of
    their chains uses) that use more constants than every chain it holds (an
    entry kept first may hold such chains past the cap)."""
    cand = entries[uses[entries] > 0]
    if not len(cand):
        return
    sets = np.unique(inverse[cand])
    best = np.zeros(len(merged), dtype=np.int64)  # (U,) the most constants a held chain uses (where it matters)
    best[sets] = [max((len(used) for _, used in merged[u]), default=0) for u in sets]
    added = np.zeros(len(merged), dtype=np.int64)
    for i in cand[uses[cand] > best[inverse[cand]]]:
        u = inverse[i]
        if added[u] >= CHAINS_FOR_CONSTANTS:
            continue
        for chain, used in chains(int(i)):
            if added[u] < CHAINS_FOR_CONSTANTS and len(used) > best[u] and (chain, used) not in merged[u]:
                merged[u].append((chain, used))
                added[u] += 1


def row_steps(data: Table, constants: Sequence[ConstValue], language: Language) -> list[tuple[Step, Any]]:
    """Every row step the table offers (``keep`` and ``reset`` left out: they
    never make a canonical program longer), with what to apply: a precomputed
    condition (R,) for filters, the op's function otherwise."""
    out: list[tuple[Step, Any]] = []
    kinds = data.column_kinds
    for spec in language.row_ops:
        if spec.name in ("keep", "reset") or not spec.trainable:
            continue
        for column, constant in language.arguments(spec, kinds, constants):
            col = data[column] if column is not None else None
            step = Step(spec.name, column, constant)
            if spec.condition:
                out.append((step, (spec, spec.hard(col, constant))))
            else:
                out.append((step, (spec.hard, col, spec.from_start)))
    return out


def _constant_use(step: Step, how: Any, new: np.ndarray, old: np.ndarray, start: np.ndarray) -> np.ndarray:
    """int64 (S,): 1 where ``step`` uses one of the question's constants to
    some end: it changes the carried rows ``old`` (S, R) into ``new``, and, for
    a condition, the constant tells the start rows ``start`` (R,) apart in the
    step's column (it holds for some, not all). So ``also_match(word_match(reset,
    "Rank", "rex"), "Name", "rex")`` uses one constant, and "grand prix" in a
    column of grands prix none; a chain counts each constant once."""
    if step.constant is None:
        return np.zeros(len(new), dtype=np.int64)
    if isinstance(how[0], OpSpec):
        passing = np.asarray(how[1], dtype=bool) & start  # (R,)
        if not passing.any() or passing.sum() == start.sum():
            return np.zeros(len(new), dtype=np.int64)
    return (new != old).any(axis=-1).astype(np.int64)


def reachable(data: Table, constants: Sequence[ConstValue], language: Language, max_row_steps: int) -> RowSets:
    """All row sets reachable with 0..max_row_steps row steps (program counts summed)."""
    steps = row_steps(data, constants, language)
    summary = data.summary_rows  # (R,)
    frontier = RowSets(data.start_rows[None, :].copy(), np.ones(1, dtype=np.int64), [[()]], [[frozenset()]])
    levels = [frontier]
    for _ in range(max_row_steps):
        rows, counts, changes = [], [], []
        parent_uses = frontier.uses  # (S,)
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
            changes.append(_constant_use(step, how, new, frontier.rows, data.start_rows))  # (S,)
        if not rows:
            break
        S = len(frontier.counts)

        changed = np.concatenate(changes)  # (N,): entry i = step i // S applied to row set i % S

        def extend(
            i: int, parent: RowSets = frontier, n: int = S, changed: np.ndarray = changed
        ) -> list[tuple[Chain, frozenset]]:
            step = steps[i // n][0]
            held = zip(parent.chains[i % n], parent.chain_uses[i % n])
            if changed[i]:
                return [(chain + (step,), used | {step.constant}) for chain, used in held]
            return [(chain + (step,), used) for chain, used in held]

        uses = np.tile(parent_uses, len(steps)) + changed  # (N,) at least each entry's most constants
        frontier = _unique(np.concatenate(rows), np.concatenate(counts), extend, uses)
        levels.append(frontier)
    starts = np.cumsum([0] + [len(lv.chains) for lv in levels])  # entry i is set i - starts[k] of level k

    def held(i: int) -> list[tuple[Chain, frozenset]]:
        k = int(np.searchsorted(starts, i, side="right")) - 1
        lv, s = levels[k], i - int(starts[k])
        return list(zip(lv.chains[s], lv.chain_uses[s]))

    return _unique(
        np.concatenate([lv.rows for lv in levels]),
        np.concatenate([lv.counts for lv in levels]),
        held,
        np.concatenate([lv.uses for lv in levels]),
    )


def _value_ids(column: Any, value_of: Callable[[str], Hashable]) -> tuple[np.ndarray, list[int]]:
    """int (R,): an id per row for the value (``value_of``) of its text, and for
    each id the row of its first text."""
    codes = column.text_codes  # (R,)
    _, first = np.unique(codes, return_index=True)
    ids: dict[Hashable, int] = {}
    rows_of: list[int] = []
    per_code = np.empty(len(first), dtype=np.int64)
    for k, i in enumerate(first):
        value = value_of(column.texts[i])
        if value not in ids:
            ids[value] = len(ids)
            rows_of.append(int(i))
        per_code[k] = ids[value]
    lookup = np.zeros(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    lookup[codes[first]] = per_code
    return lookup[codes], rows_of


def _value_counts(
    rows: np.ndarray, vid: np.ndarray, n_values: int, nonempty: np.ndarray, exact_above_one: bool = True
) -> np.ndarray:
    """int (S,): how many distinct values (ids ``vid`` (R,) of ``n_values``) the
    non-empty cells of the carried rows (S, R) hold; without
    ``exact_above_one``, 2 stands for "more than one"."""
    live = rows & nonempty  # (S, R)
    if n_values <= 1:
        return live.any(axis=-1).astype(np.int64)
    lo = np.where(live, vid, n_values).min(axis=-1)  # (S,)
    hi = np.where(live, vid, -1).max(axis=-1)
    counts = (hi >= 0).astype(np.int64) + (hi > lo)  # 0, 1, or 2 for more than one value
    many = np.flatnonzero(hi > lo)
    if exact_above_one and len(many):
        s_idx, r_idx = np.nonzero(live[many])
        pairs = np.unique(s_idx * n_values + vid[r_idx])
        counts[many] = np.bincount(pairs // n_values, minlength=len(many))
    return counts


def _cell_hits(
    rows: np.ndarray, column: Any, value_of: Callable[[str], Hashable], size: int,
    item_hits: Callable[[str], Sequence[bool]],
) -> np.ndarray:  # fmt: skip
    """bool (S,): whether the cell answer of each carried row set (S, R) holds
    ``size`` distinct values that together match every gold value
    (``item_hits(text)``: which of the ``size`` gold values one text matches)."""
    if size < 1:  # an empty answer is never right
        return np.zeros(len(rows), dtype=bool)
    vid, firsts = _value_ids(column, value_of)
    counts = _value_counts(rows, vid, len(firsts), column.nonempty, size > 1)  # (S,)
    which = np.flatnonzero(counts == size)
    if len(which) == 0:
        return np.zeros(len(rows), dtype=bool)
    per_value = np.array([list(item_hits(column.texts[i])) for i in firsts], dtype=np.float32).reshape(len(firsts), size)
    live = (rows[which] & column.nonempty).astype(np.float32)  # (W, R)
    covered = ((live @ per_value[vid]) > 0).all(axis=-1)  # (W, R) @ (R, G) -> (W, G) -> (W,)
    out = np.zeros(len(rows), dtype=bool)
    out[which[covered]] = True
    return out


def _single_value_hits(
    rows: np.ndarray,
    keys: np.ndarray,
    item: Callable[[float], str],
    ok: Callable[[tuple[str, ...]], bool],
    value_of: Callable[[str], Hashable] | None,
) -> np.ndarray:
    """The row sets (S, R) whose carried rows read one value (``keys`` (R,), NaN
    for none; two keys whose items have one ``value_of`` are one value, as the
    metric counts them) and whose one-item answer ``ok`` accepts: a one-value
    gold answer needs one value, and each value is judged once."""
    present = ~np.isnan(keys)  # (R,)
    distinct, inverse = np.unique(keys[present], return_inverse=True)  # (K,), (P,)
    items = [item(float(k)) for k in distinct]
    ids: dict[Hashable, int] = {}
    value_id = np.array([ids.setdefault(value_of(it) if value_of else k, len(ids)) for k, it in enumerate(items)], dtype=np.float64)
    shown = {int(v): it for v, it in zip(value_id[::-1], items[::-1])}  # each value's first item
    row_value = np.full(len(keys), np.nan)
    row_value[present] = value_id[inverse.reshape(-1)]
    live = rows & present  # (S, R)
    hi = np.where(live, row_value, -np.inf).max(axis=-1, initial=-np.inf)  # (S,)
    lo = np.where(live, row_value, np.inf).min(axis=-1, initial=np.inf)  # (S,)
    single = np.flatnonzero(live.any(axis=-1) & (hi == lo))
    if not len(single):
        return single
    values, back = np.unique(hi[single], return_inverse=True)
    verdict = np.array([ok((shown[int(v)],)) for v in values], dtype=bool)
    return single[verdict[back.reshape(-1)]]


def consistent(
    data: Table,
    constants: Sequence[ConstValue],
    gold: Gold | Callable[[tuple[str, ...]], bool],
    language: Language,
    steps: int = 4,
) -> OracleResult:
    """The programs (up to ``steps`` steps, the terminal included) whose answer
    ``gold`` accepts (a :class:`Gold`, or just its ``matches``), using whichever
    of its shortcuts it has. A cell answer (``print``, the one op of
    :attr:`Result.CELLS`) is the column's distinct non-empty texts of the
    carried rows; answers read from parts of cells (:attr:`Result.PARTS`,
    :attr:`Result.NUMBERS`) are judged value by value (the op's ``reads``) when
    one value is wanted, else built and judged row set by row set."""
    if not isinstance(gold, Gold):
        gold = Gold(gold)
    matches, answer_size, value_of = gold.matches, gold.size, gold.value_of
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
        if not spec.trainable:
            continue
        cells = spec.result is Result.CELLS
        if spec.result in (Result.NUMBER, Result.YES_NO) and answer_size not in (None, 1):
            continue  # one number is never several values
        for column, constant in language.arguments(spec, kinds, constants):
            col = data[column] if column is not None else None
            term = Step(spec.name, column, constant)
            shortcut = answer_size is not None and value_of is not None
            if cells and shortcut and gold.item_hits is not None:  # judged without building answers
                hits = np.flatnonzero(_cell_hits(sets.rows, col, value_of, answer_size, gold.item_hits))
            elif cells:
                which = np.arange(len(sets.rows))
                if shortcut:
                    vid, firsts = _value_ids(col, value_of)
                    counts = _value_counts(sets.rows, vid, len(firsts), col.nonempty, answer_size > 1)  # (S,)
                    which = np.flatnonzero(counts == answer_size)
                out = spec.hard(sets.rows[which], col)
                hits = which[[ok(tuple(a)) for a in out]] if len(which) else which
            elif spec.reads is not None and answer_size == 1:  # one value read from the cells
                hits = _single_value_hits(sets.rows, *spec.reads(col), ok, value_of)
            elif spec.result in (Result.PARTS, Result.NUMBERS):  # read from the cells: judged per row set
                out = spec.hard(sets.rows, col)
                said = [tuple(a) if spec.result is Result.PARTS else tuple(format_number(x) for x in a) for a in out]
                hits = np.flatnonzero([ok(a) for a in said])
            elif spec.result is Result.YES_NO:  # two possible answers, each judged once
                said = np.asarray(spec.hard(sets.rows, col), dtype=bool)  # (S,)
                verdict = np.array([ok((NO,)), ok((YES,))])
                trivial = (sets.rows == data.start_rows).all(axis=-1)  # (S,): "yes" whatever was asked
                hits = np.flatnonzero(verdict[said.astype(np.int64)] & ~trivial)
            else:  # many row sets share a number: each distinct one is judged once
                out = spec.hard(sets.rows, col)
                numbers, back = np.unique(np.asarray(out, dtype=np.float64), return_inverse=True)
                verdict = np.zeros(len(numbers), dtype=bool)
                judge = np.flatnonzero(gold.may_match(numbers)) if gold.may_match is not None else range(len(numbers))
                for k in judge:
                    x = float(numbers[k])
                    verdict[k] = ok(() if np.isnan(x) else (format_number(x),))
                hits = np.flatnonzero(verdict[back.reshape(-1)]) if len(numbers) else np.arange(0)
            for i in hits:
                total += int(sets.counts[i])
                programs.extend(Program(chain + (term,)) for chain in sets.chains[i])
    programs.sort(key=lambda p: len(p.steps))
    return OracleResult(bool(programs), total, programs[0] if programs else None, programs)
