"""Precomputed model inputs: one :class:`Encoded` per (question, table), and batching.

Everything the network needs is computed here once, in numpy: token ids and
match features, column and constant features, the table's numbers and order
keys, and — for every filter op — its condition for every column and
constant (``cond``), taken from the op's own declaration. Training and
inference then only pad and stack.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from npqa.table.column import Table
from npqa.lang.language import ConstValue, Language, Program, Role, Step, constant_kind
from npqa.table.text import match_text

if TYPE_CHECKING:
    from npqa.question.link import LinkedQuestion
    from npqa.question.parse import Constant

PAD, UNK, NUM = "<pad>", "<unk>", "<num>"
NUMBER_CLIP = 1e9  # cell numbers are clipped to ±this so soft sums stay finite
MAX_NAME_WORDS = 8
PAD_OP = "keep"  # the no-op row step that pads a stored program to T-1 row steps (program_indices)

Q_FEATS = 8
C_FEATS = 8
K_FEATS = 9
P_FEATS = 2


@dataclass
class Vocab:
    """Word ids; unknown words map to ``<unk>``, numbers to ``<num>``."""

    words: list[str]

    def __post_init__(self) -> None:
        self.ids = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def id(self, word: str) -> int:
        if any(ch.isdigit() for ch in word):
            return self.ids[NUM]
        return self.ids.get(word, self.ids[UNK])

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 2) -> "Vocab":
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(w for w in match_text(text).split() if not any(ch.isdigit() for ch in w))
        words = sorted(w for w, n in counts.items() if n >= min_count)
        return cls([PAD, UNK, NUM] + words)


@dataclass
class Encoded:
    """One question on one table, as arrays (Q tokens, C columns, R rows, K constants, O ops)."""

    q_ids: np.ndarray  # int64 (Q,)
    q_feats: np.ndarray  # float32 (Q, Q_FEATS)
    col_ids: np.ndarray  # int64 (C, L) column-name word ids, 0-padded
    col_feats: np.ndarray  # float32 (C, C_FEATS)
    const_span: np.ndarray  # int64 (K, 2) token span [start, end)
    const_feats: np.ndarray  # float32 (K, K_FEATS)
    pair_feats: np.ndarray  # float32 (K, C, P_FEATS)
    num: np.ndarray  # float32 (R, C) cell numbers, 0 where none
    has_num: np.ndarray  # float32 (R, C)
    order: np.ndarray  # float32 (R, C) max/min keys, 0 where none
    has_order: np.ndarray  # float32 (R, C)
    nonempty: np.ndarray  # float32 (R, C)
    text_id: np.ndarray  # int64 (R, C) equal ids = equal display text within a column
    start: np.ndarray  # float32 (R,) 1 for the rows a program starts from (not summary rows)
    cond: np.ndarray  # bool (F, R, C, K) filter conditions, F = filter ops in language order
    op_mask: np.ndarray  # bool (O,) ops this table and question offer
    col_mask: np.ndarray  # bool (O, C)
    const_mask: np.ndarray  # bool (O, K)
    pair_mask: np.ndarray  # bool (O, C, K) column-constant pairs that type-check (all-True for ops without a constant)
    # -- targets (training only) --
    scalar: float = math.nan  # the gold number, when the answer is one
    cells: np.ndarray | None = None  # bool (R, C) cells matching the gold answer
    programs: np.ndarray | None = None  # int64 (P, T, 3) consistent programs: (op, column, constant), -1 = none
    program_rank: np.ndarray | None = None  # float32 (P,) each program's rank (npqa.train.prepare.RANKS), lower first
    meta: dict = field(default_factory=dict)


def filter_ops(language: Language) -> list[str]:
    return [op.name for op in language if op.condition]


def _constant_feats(c: "Constant", col_match: np.ndarray) -> list[float]:
    return [
        float(c.kind == "number"),
        float(c.kind == "date"),
        float(c.kind == "string"),
        float(c.ordinal),
        float(c.match == "quoted"),
        float(c.match == "exact"),
        float(c.match == "partial"),
        float(c.match == "contained"),
        float(col_match.max()) if col_match.size else 0.0,
    ]


def _dense_rank(values: np.ndarray) -> np.ndarray:
    """float32 (R, C): each column's values replaced by their dense rank (1 = smallest),
    0 where NaN — exact in float32 where raw date keys like 19400619 are not."""
    out = np.zeros(values.shape, dtype=np.float32)
    for j in range(values.shape[1]):
        col = values[:, j]
        ok = ~np.isnan(col)
        if ok.any():
            _, inv = np.unique(col[ok], return_inverse=True)
            out[ok, j] = inv + 1
    return out


def table_arrays(data: Table) -> dict[str, np.ndarray]:
    """The table as the soft executor sees it, each array (R, C) but ``start`` (R,)."""
    R, C = data.n_rows, len(data.columns)

    def grid(attr: str) -> np.ndarray:
        return np.stack([getattr(c, attr) for c in data.columns], axis=1) if C else np.zeros((R, 0))

    raw_num = grid("num")
    raw_order = grid("order")
    text_id = np.zeros((R, C), dtype=np.int64)
    for j, col in enumerate(data.columns):
        text_id[:, j] = col.text_codes  # first-appearance numbering of the column's texts
    return {
        "num": np.clip(np.nan_to_num(raw_num, nan=0.0), -NUMBER_CLIP, NUMBER_CLIP).astype(np.float32),
        "has_num": (~np.isnan(raw_num)).astype(np.float32),
        "order": _dense_rank(raw_order),
        "has_order": (~np.isnan(raw_order)).astype(np.float32),
        "nonempty": grid("nonempty").astype(np.float32),
        "text_id": text_id,
        "start": data.start_rows.astype(np.float32),
    }


def _no_rows(C: int) -> dict[str, np.ndarray]:
    """:func:`table_arrays` with zero rows (``encode(rows=False)``)."""
    out = {name: np.zeros((0, C), dtype=np.float32) for name in ("num", "has_num", "order", "has_order", "nonempty")}
    out["text_id"] = np.zeros((0, C), dtype=np.int64)
    out["start"] = np.zeros(0, dtype=np.float32)
    return out


def encode(
    linked: "LinkedQuestion", data: Table, vocab: Vocab, language: Language, *, rows: bool = True
) -> Encoded:
    """The model inputs of one question on one table (no targets).

    ``rows=False`` leaves out what only soft execution reads (the per-row arrays
    and the filter conditions, given with zero rows): the controller's choices do
    not depend on them, so inference on a big table never builds them.
    """
    q = linked.question
    Q, C, K = len(q.tokens), len(data.columns), len(linked.constants)
    R = data.n_rows if rows else 0
    q_ids = np.array([vocab.id(t) for t in q.tokens], dtype=np.int64)
    in_kind = np.zeros((Q, 4), dtype=np.float32)
    for c in linked.constants:
        slot = {"number": 0, "date": 1, "string": 2}[c.kind]
        in_kind[c.start : c.end, slot] = 1.0
        if c.ordinal:
            in_kind[c.start : c.end, 3] = 1.0
    q_feats = np.concatenate(
        [
            linked.token_column_match.max(1, initial=0)[:, None],
            linked.token_cell_match.max(1, initial=0)[:, None],
            linked.token_column_match.sum(1)[:, None].clip(0, 3) / 3,
            np.array([[any(ch.isdigit() for ch in t)] for t in q.tokens], dtype=np.float32),
            in_kind,
        ],
        axis=1,
    ).astype(np.float32)
    col_ids = np.zeros((C, MAX_NAME_WORDS), dtype=np.int64)
    for j, col in enumerate(data.columns):
        words = match_text(col.name).split()[:MAX_NAME_WORDS] or [UNK]
        col_ids[j, : len(words)] = [vocab.id(w) for w in words]
    kinds = np.array([[c.kind == k for k in ("number", "date", "text")] for c in data.columns], dtype=np.float32)
    col_feats = np.concatenate(
        [
            linked.column_name_match[:, None],
            linked.column_name_partial[:, None],
            linked.column_cell_match[:, None],
            kinds,
            np.array([[c.nonempty.mean() if data.n_rows else 0.0] for c in data.columns], dtype=np.float32),
            (linked.constant_context_column.max(0, initial=0) if K else np.zeros(C))[:, None],
        ],
        axis=1,
    ).astype(np.float32)
    const_span = np.array([[c.start, c.end] for c in linked.constants], dtype=np.int64).reshape(K, 2)
    const_feats = np.array(
        [_constant_feats(c, linked.constant_column_match[k]) for k, c in enumerate(linked.constants)],
        dtype=np.float32,
    ).reshape(K, K_FEATS)
    pair_feats = np.stack([linked.constant_column_match, linked.constant_context_column], axis=-1).astype(
        np.float32
    ).reshape(K, C, P_FEATS)

    tt = table_arrays(data) if rows else _no_rows(C)
    values = [c.value for c in linked.constants]
    ops = list(language)
    fops = filter_ops(language)
    cond = np.zeros((len(fops), R, C, K), dtype=bool)
    op_mask = np.zeros(len(ops), dtype=bool)
    col_mask = np.zeros((len(ops), C), dtype=bool)
    const_mask = np.zeros((len(ops), K), dtype=bool)
    pair_mask = np.zeros((len(ops), C, K), dtype=bool)
    col_index = {c.name: j for j, c in enumerate(data.columns)}
    kinds_by_name = data.column_kinds
    views: dict[int, object] = {}
    for o, spec in enumerate(ops):
        for column, constant in language.arguments(spec, kinds_by_name, values):
            op_mask[o] = True
            j = col_index[column] if column is not None else None
            if j is not None:
                col_mask[o, j] = True
            if constant is None:
                if j is not None:
                    pair_mask[o, j, :] = True
                continue
            for k, v in enumerate(values):
                if constant_kind(v) == constant_kind(constant) and v == constant:
                    const_mask[o, k] = True
                    if j is not None:
                        pair_mask[o, j, k] = True
                        if spec.condition and rows:
                            # a filter's condition depends on the cell alone: compute it once per
                            # distinct text (Column.distinct_view) and spread it back by row
                            col = data.columns[j]
                            if j not in views:
                                few = col.first is not None and len(col.first) < len(col.texts)
                                views[j] = col.distinct_view() if few else None
                            view = views[j]
                            hit = spec.hard(col, v) if view is None else spec.hard(view, v)[col.codes]
                            cond[fops.index(spec.name), :, j, k] = hit
    return Encoded(
        q_ids, q_feats, col_ids, col_feats, const_span, const_feats, pair_feats,
        tt["num"], tt["has_num"], tt["order"], tt["has_order"], tt["nonempty"], tt["text_id"], tt["start"],
        cond, op_mask, col_mask, const_mask, pair_mask,
    )  # fmt: skip


def program_indices(
    program: Program, data: Table, constants: Sequence[ConstValue], language: Language, steps: int
) -> np.ndarray | None:
    """int64 (T, 3): a canonical program as the raw steps the model emits —
    row steps first, ``keep`` padding, the terminal last. None if too long."""
    row = list(program.row_steps)
    if len(row) > steps - 1:
        return None
    raw = row + [Step(PAD_OP)] * (steps - 1 - len(row)) + [program.terminal]
    names = [op.name for op in language]
    col_index = {c.name: j for j, c in enumerate(data.columns)}
    out = np.full((steps, 3), -1, dtype=np.int64)
    for t, step in enumerate(raw):
        out[t, 0] = names.index(step.op)
        if step.column is not None:
            out[t, 1] = col_index[step.column]
        if step.constant is not None:
            out[t, 2] = next(
                k
                for k, v in enumerate(constants)
                if constant_kind(v) == constant_kind(step.constant) and v == step.constant
            )
    return out


def step_roles(language: Language, steps: int, act: bool = False) -> np.ndarray:
    """bool (T, O): which ops each step may choose as its row step (the last step:
    its terminal). With ``act`` (adaptive computation time) the padding op
    ``keep`` is never chosen: halting is how a program gets short; the terminal
    ops every step may also choose, should the program halt there, are
    :func:`terminal_ops`."""
    is_term = terminal_ops(language)
    out = np.tile(~is_term, (steps, 1))
    out[-1] = is_term
    if act:
        out[:-1, [op.name for op in language].index(PAD_OP)] = False
    return out


def terminal_ops(language: Language) -> np.ndarray:
    """bool (O,): the ops that end a program."""
    return np.array([op.role is Role.TERMINAL for op in language])
