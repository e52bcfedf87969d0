"""Test-suite (faithful) accuracy: right on the table *and* on smaller tables.

A model can be right for the wrong reason: "which is larger, X or Y?" answered
by naming X is right on the table where X is larger, and wrong on a table
where it is not. For each question of the fixed dev sample that has a
hand-written program (``data/faithful/dev-programs.tsv``), K variants of its
table are drawn by dropping rows at random; the right answer on a variant is
what the hand-written program gives there, and the model is asked afresh on
each variant. A question counts when it is right on its own table (official
metric against the gold answer) and on every variant (official metric, the
program's answer used as the gold).

Decisions (see the ``Figures`` section of ``../shared/INTERFACES.md``):

* a variant keeps each row with probability 0.7, in order, at least 2 rows and
  at least one dropped; a variant where the program's answer is empty or the
  program no longer type-checks (a column changed kind) is redrawn; the draws
  of a question are seeded by ``zlib.crc32(f"{seed}:{question_id}")``;
* variants are drawn independently, so a small table may give the same
  variant twice;
* a question that has fewer than K valid variants after ``max_draws`` draws is
  scored on the variants it has (possibly none) and listed in the report;
* "expressible" means status ``ok``; ``gold_questionable`` questions get
  variants and are reported apart, but count as misses in both test-suite
  figures, as ``not_expressible`` ones do.
"""
from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from npqa.errors import DataError, ProgramError

from npqa.lang.executor import execute
from npqa.grammars.ops import LANGUAGE
from npqa.lang.language import Program
from npqa.train.metric import check
from npqa.table.column import Table
from npqa.table.read import table_from_grid
from npqa.lang.textform import parse

SHAPES = ("x_or_y", "count", "same_as", "superlative", "two_conditions")
STATUSES = ("ok", "gold_questionable", "not_expressible")
PROGRAMS_HEADER = ["id", "status", "program", "shape", "note"]

Asker = Callable[[Table, Sequence[str]], list[list[str]]]
"""Answers questions about one table: ``asker(table, questions)`` gives the answer items per question."""


@dataclass(frozen=True)
class HandProgram:
    """One line of ``dev-programs.tsv``: a sampled question's hand-written program."""

    id: str
    status: str  # "ok" | "gold_questionable" | "not_expressible"
    program: str | None  # text form; None when not expressible
    shapes: tuple[str, ...]  # recurring question shapes, e.g. ("x_or_y", "superlative")
    note: str  # "" when none

    @property
    def tag(self) -> str | None:
        """The not-expressible tag (first word of the note), else ``None``.

        >>> HandProgram("nt-1", "not_expressible", None, (), "negation: other than X").tag
        'negation'
        """
        if self.status != "not_expressible":
            return None
        return self.note.split(":")[0].split()[0] if self.note.strip() else "other"


def read_programs(path: str | Path) -> list[HandProgram]:
    """The hand-written programs of a ``dev-programs.tsv``; :class:`DataError` on a malformed file."""
    what = str(path)
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise DataError(what, f"cannot read ({err.strerror or err})") from None
    if not lines or lines[0].split("\t") != PROGRAMS_HEADER:
        raise DataError(what, f"expected the header {' '.join(PROGRAMS_HEADER)}")
    out = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(PROGRAMS_HEADER) or fields[1] not in STATUSES:
            raise DataError(what, f"line {number}: expected 5 fields with a status among {', '.join(STATUSES)}")
        qid, status, program, shape, note = fields
        has_program = program != "-"
        if has_program == (status == "not_expressible"):
            raise DataError(what, f"line {number}: status {status} with program {program!r}")
        shapes = () if shape == "-" else tuple(shape.split(","))
        out.append(HandProgram(qid, status, program if has_program else None, shapes, "" if note == "-" else note))
    return out


# ----------------------------------------------------------------------------- variants


def subset_rows(table: Table, keep_mask: Sequence[bool] | np.ndarray) -> Table:
    """The table holding only the kept rows, in order, read afresh from their display texts.

    Column kinds are decided again, as for a real smaller table:

    >>> grid = np.array([["Name", "Size"], ["a", "1"], ["b", "2"], ["c", "x"], ["d", "y"]], dtype=object)
    >>> table = table_from_grid(grid, "t.csv")
    >>> small = subset_rows(table, [True, True, False, False])
    >>> table.column("Size").kind, small.column("Name").texts, small.column("Size").kind
    ('text', ['a', 'b'], 'number')
    """
    keep = np.asarray(keep_mask, dtype=bool)
    if keep.shape != (table.n_rows,):
        raise ValueError(f"keep_mask has shape {keep.shape}, the table has {table.n_rows} rows")
    rows = np.flatnonzero(keep)
    grid = np.empty((len(rows) + 1, table.n_columns), dtype=object)
    grid[0] = table.names
    for j, col in enumerate(table.columns):
        texts = col.texts
        grid[1:, j] = [texts[r] for r in rows]
    variant = table_from_grid(grid, table.source, header=True)
    assert variant.names == table.names  # unique names stay as they are
    return variant


def variant_seed(seed: int, question_id: str) -> int:
    """The RNG seed of a question's variants: stable across runs and machines (not ``hash()``).

    >>> variant_seed(0, "nt-3") == variant_seed(0, "nt-3") != variant_seed(1, "nt-3")
    True
    """
    return zlib.crc32(f"{seed}:{question_id}".encode("utf-8"))


def program_answer(table: Table, program: Program) -> tuple[str, ...]:
    """The program's answer items on ``table``; empty when it gives none or does not type-check."""
    try:
        return execute(program, table, LANGUAGE).items
    except ProgramError:  # a column that changed kind on the smaller table
        return ()


@dataclass(frozen=True)
class Variant:
    """A table with rows dropped, and the hand-written program's answer on it."""

    kept: tuple[int, ...]  # kept rows of the original table (0-based, increasing)
    table: Table = field(repr=False)
    answer: tuple[str, ...]  # the right answer on the variant


@dataclass(frozen=True)
class VariantDraw:
    """The variants of one question and how many row masks it took to find them."""

    variants: tuple[Variant, ...]  # fewer than k only when the draws ran out
    draws: int


def draw_variants(
    table: Table,
    program: str | Program,
    question_id: str,
    *,
    k: int = 3,
    seed: int = 0,
    keep_prob: float = 0.7,
    max_draws: int = 200,
) -> VariantDraw:
    """Up to ``k`` variants of ``table`` on which ``program`` gives an answer.

    Each draw keeps each row with probability ``keep_prob``; a mask keeping
    fewer than 2 rows or every row, and a variant where the program's answer is
    empty (or it does not type-check), is redrawn. Stops after ``max_draws``
    masks. The same ``seed`` and ``question_id`` give the same variants.
    """
    prog = parse(program, LANGUAGE) if isinstance(program, str) else program
    rng = np.random.default_rng(variant_seed(seed, question_id))
    variants: list[Variant] = []
    draws = 0
    while len(variants) < k and draws < max_draws:
        draws += 1
        keep = rng.random(table.n_rows) < keep_prob  # (R,)
        if not 2 <= int(keep.sum()) < table.n_rows:
            continue
        small = subset_rows(table, keep)
        answer = program_answer(small, prog)
        if answer:
            variants.append(Variant(tuple(int(r) for r in np.flatnonzero(keep)), small, answer))
    return VariantDraw(tuple(variants), draws)


# ----------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Case:
    """A sampled question with its hand-written program, gold answer and table."""

    hand: HandProgram
    question: str
    gold: tuple[str, ...]
    table: Table = field(repr=False)


@dataclass(frozen=True)
class QuestionScore:
    """How the model did on one question, its table and the table's variants."""

    id: str
    status: str
    shapes: tuple[str, ...]
    tag: str | None  # not-expressible tag
    right_on_table: bool  # official metric against the gold answer
    variants: int  # variants drawn (0 for a question without a program)
    variants_right: int  # variants where the answer matches the program's
    draws: int  # row masks drawn

    @property
    def faithful(self) -> bool:
        """Counted by test-suite accuracy: expressible, right on the table and on every variant."""
        return self.status == "ok" and self.right_on_table and self.variants_right == self.variants


def model_asker(qa: Any) -> Asker:
    """An :data:`Asker` over a loaded :class:`npqa.api.TableQA` (one ``ask_many`` per call)."""

    def ask(table: Table, questions: Sequence[str]) -> list[list[str]]:
        return [list(r.answer) for r in qa.ask_many(table, list(questions))]

    return ask


def score_cases(
    cases: Sequence[Case],
    asker: Asker,
    *,
    k: int = 3,
    seed: int = 0,
    keep_prob: float = 0.7,
    max_draws: int = 200,
) -> list[QuestionScore]:
    """Score every case: asked on its own table (one call per table), then afresh on each variant."""
    by_table: dict[int, list[int]] = {}
    for i, case in enumerate(cases):
        by_table.setdefault(id(case.table), []).append(i)
    on_table: dict[int, list[str]] = {}
    for indices in by_table.values():
        answers = asker(cases[indices[0]].table, [cases[i].question for i in indices])
        on_table.update(zip(indices, answers))
    scores = []
    for i, case in enumerate(cases):
        hand = case.hand
        variants: tuple[Variant, ...] = ()
        draws = right = 0
        if hand.program is not None:
            drawn = draw_variants(case.table, hand.program, hand.id, k=k, seed=seed,
                                  keep_prob=keep_prob, max_draws=max_draws)
            variants, draws = drawn.variants, drawn.draws
            for variant in variants:
                (predicted,) = asker(variant.table, [case.question])
                right += check(list(variant.answer), predicted)
        right_on_table = check(list(case.gold), on_table[i])
        scores.append(
            QuestionScore(hand.id, hand.status, hand.shapes, hand.tag, right_on_table, len(variants), right, draws)
        )
    return scores


@dataclass(frozen=True)
class ShapeCount:
    """One row of the per-shape table."""

    shape: str
    questions: int  # sampled questions with the shape
    ok: int  # of which expressible (status ok)
    right: int  # right on their own table
    faithful: int  # test-suite right


@dataclass(frozen=True)
class SuiteFigures:
    """The figures of one run; ``line()`` is the command's last line."""

    accuracy: float  # right on own table / questions
    suite_all: float  # faithful / questions
    suite_expressible: float  # faithful / expressible
    spurious_share: float  # right on table but wrong on a variant / right on table, expressible only
    questions: int
    expressible: int  # status ok
    variants: int  # variants of the expressible questions
    seed: int
    k: int
    right: int
    faithful: int
    right_expressible: int
    spurious: int
    statuses: dict[str, int]
    tags: dict[str, int]  # not-expressible tags
    shapes: list[ShapeCount]
    short: list[tuple[str, int]]  # (id, variants) of questions with a program and fewer than k variants
    questionable: tuple[int, int, int]  # gold_questionable: questions, right on table, right on every variant

    def line(self) -> str:
        """``accuracy=… suite_all=… suite_expressible=… spurious_share=… questions=… …``."""
        return (
            f"accuracy={self.accuracy:.4f} suite_all={self.suite_all:.4f} "
            f"suite_expressible={self.suite_expressible:.4f} spurious_share={self.spurious_share:.4f} "
            f"questions={self.questions} expressible={self.expressible} variants={self.variants} "
            f"seed={self.seed} k={self.k}"
        )

    def to_json(self) -> dict[str, Any]:
        """Every figure as plain JSON values."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["shapes"] = [vars(s) for s in self.shapes]
        out["short"] = [list(s) for s in self.short]
        out["questionable"] = dict(zip(("questions", "right", "right_on_variants"), self.questionable))
        return out


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def summarise(scores: Sequence[QuestionScore], *, k: int, seed: int) -> SuiteFigures:
    """The figures of :func:`score_cases`' scores."""
    ok = [s for s in scores if s.status == "ok"]
    right = sum(s.right_on_table for s in scores)
    faithful = sum(s.faithful for s in scores)
    right_ok = sum(s.right_on_table for s in ok)
    shapes = [
        ShapeCount(
            shape,
            sum(shape in s.shapes for s in scores),
            sum(shape in s.shapes for s in ok),
            sum(shape in s.shapes and s.right_on_table for s in scores),
            sum(shape in s.shapes and s.faithful for s in scores),
        )
        for shape in SHAPES
    ]
    gq = [s for s in scores if s.status == "gold_questionable"]
    return SuiteFigures(
        accuracy=_share(right, len(scores)),
        suite_all=_share(faithful, len(scores)),
        suite_expressible=_share(faithful, len(ok)),
        spurious_share=_share(right_ok - faithful, right_ok),
        questions=len(scores), expressible=len(ok), variants=sum(s.variants for s in ok), seed=seed, k=k,
        right=right, faithful=faithful, right_expressible=right_ok, spurious=right_ok - faithful,
        statuses={status: sum(s.status == status for s in scores) for status in STATUSES},
        tags=dict(Counter(s.tag for s in scores if s.tag is not None).most_common()),
        shapes=shapes,
        short=[(s.id, s.variants) for s in scores if s.status != "not_expressible" and s.variants < k],
        questionable=(len(gq), sum(s.right_on_table for s in gq), sum(s.variants_right == s.variants for s in gq)),
    )


def report_markdown(fig: SuiteFigures) -> str:
    """The per-shape table, status and tag counts, and the questions short of variants, in markdown."""
    lines = [
        "| shape | questions | expressible | right on table | faithful |",
        "|---|---:|---:|---:|---:|",
        *(f"| {s.shape} | {s.questions} | {s.ok} | {s.right} | {s.faithful} |" for s in fig.shapes),
        f"| all | {fig.questions} | {fig.expressible} | {fig.right} | {fig.faithful} |",
        "",
        "status: " + ", ".join(f"{name}={n}" for name, n in fig.statuses.items()),
        "not_expressible tags: " + ", ".join(f"{name}={n}" for name, n in fig.tags.items()),
        f"expressible: right on table {fig.right_expressible}, faithful {fig.faithful}, "
        f"spurious (right on table, wrong on a variant) {fig.spurious}",
        "gold_questionable (misses in both suite figures): questions={}, right on table (gold)={}, "
        "right on every variant (program's answer)={}".format(*fig.questionable),
        f"fewer than k={fig.k} variants: "
        + (", ".join(f"{qid} ({n})" for qid, n in fig.short) if fig.short else "none"),
    ]
    return "\n".join(lines)


def load_cases(programs_tsv: str | Path, dev_tsv: str | Path, tables_root: str | Path) -> list[Case]:
    """The sampled questions of ``programs_tsv`` with their dev question, gold and table (each table read once)."""
    from npqa.train.wtq import TableCache, read_examples

    examples = {e.id: e for e in read_examples(dev_tsv)}
    cache = TableCache(Path(tables_root))
    cases = []
    for hand in read_programs(programs_tsv):
        ex = examples.get(hand.id)
        if ex is None:
            raise DataError(str(dev_tsv), f"no question {hand.id} (listed in {programs_tsv})")
        cases.append(Case(hand, ex.question, tuple(ex.answers), cache.get(ex.table_path, ex.id)))
    return cases
