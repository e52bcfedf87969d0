"""The "X or Y" rule: a question that names two things joined by "or" compares them.

"Which is deeper, lake tuz or lake palas tuzla?" is answered right on its table
by naming the deeper lake, ``print(word_match(reset, "Name", "lake palas
tuzla"), "Name")``, a program that stays "right" only while that lake is the
deeper one. The faithful program picks both rows and compares them,
``print(argmax(also_match(word_match(reset, "Name", "lake tuz"), "Name", "lake
palas tuzla"), "Depth"), "Name")``; with three row steps it is one of thousands
of consistent programs, and the oracle, which keeps a few of the shortest chains
per row set (:data:`npqa.lang.oracle.CHAINS_PER_SET`), seldom keeps it: of the
442 questions of ``random-split-1-train`` with such a pair, the oracle covers 399
and keeps a program comparing the two for 20; this module finds one for 349.

:func:`comparison_programs` writes those programs out for a question where two
linked string constants sit on either side of "or" (:func:`or_pair`, a reading
of the question's words, like the trigger table of :mod:`npqa.train.triggers`),
and keeps the ones whose answer is the gold one. Training then learns those
instead of the oracle's (``npqa train --rank compare``). Nothing here reads an
annotated program.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from npqa.errors import ProgramError
from npqa.lang.executor import execute
from npqa.lang.language import Language, Program, Step
from npqa.question.link import LinkedQuestion
from npqa.table.column import Table

BETWEEN = frozenset({",", "-", "--", "the", "a", "an"})
"""Tokens that may sit between a constant and "or" (``X, or the Y``)."""

COMPARE_OPS = ("argmax", "argmin")


def or_pair(linked: LinkedQuestion) -> tuple[int, int] | None:
    """Indices into ``linked.constants`` of two string constants joined by "or"
    (``X or Y``, ``X, or the Y``), the first such pair; None if there is none."""
    tokens = [t.lower() for t in linked.question.tokens]
    strings = [k for k, c in enumerate(linked.constants) if c.kind == "string"]
    for o, token in enumerate(tokens):
        if token != "or":
            continue
        left = [k for k in strings if _only_between(tokens, linked.constants[k].end, o)]
        right = [k for k in strings if _only_between(tokens, o + 1, linked.constants[k].start)]
        if left and right:
            return left[0], right[0]
    return None


def _only_between(tokens: Sequence[str], start: int, end: int) -> bool:
    return start <= end and all(t in BETWEEN for t in tokens[start:end])


def comparison_programs(
    linked: LinkedQuestion, table: Table, language: Language, matches: Callable[[tuple[str, ...]], bool]
) -> list[Program]:
    """The programs ``print(argmax|argmin(also_match(word_match(reset, A, X), B, Y), C), D)``
    whose answer ``matches`` the gold, for the question's "X or Y" pair: A and B
    columns where X and Y match, C any column, D either of A and B (the answer
    names one of the two). Empty when the question has no such pair."""
    pair = or_pair(linked)
    if pair is None:
        return []
    x, y = (linked.constants[k] for k in pair)
    names = table.names
    x_cols, y_cols = ([names[j] for j in np.flatnonzero(linked.constant_column_match[k] > 0)] for k in pair)
    found: list[Program] = []
    for a in x_cols:
        for b in y_cols:
            for op in COMPARE_OPS:
                for c in names:
                    for d in dict.fromkeys((a, b)):
                        program = Program((
                            Step("word_match", a, x.value), Step("also_match", b, y.value), Step(op, c), Step("print", d),
                        ))  # fmt: skip
                        try:
                            answer = execute(program, table, language)
                        except ProgramError:  # C holds no numbers or dates
                            break
                        if answer.items and matches(answer.items):
                            found.append(program)
    return found
