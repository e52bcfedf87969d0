"""The one preparation chain: a table and a question's text in, model inputs out.

``read_question`` (parse, then link with the table's cached index) and
:func:`npqa.model.features.encode`; training adds answer targets to the same
items (:mod:`npqa.train.prepare`), the API answers them (:mod:`npqa.api`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from npqa.lang.language import ConstValue, Language
from npqa.model.features import Encoded, Vocab, encode
from npqa.question.link import LinkedQuestion, read_question
from npqa.table.column import Table


@dataclass
class Item:
    """One question on one table, ready for the model."""

    question: str
    linked: LinkedQuestion
    table: Table
    enc: Encoded
    id: str = ""  # the example's id (training and evaluation data)
    answers: list[str] = field(default_factory=list)  # gold answers, when known

    @property
    def constants(self) -> list[ConstValue]:
        return [c.value for c in self.linked.constants]


def prepare_item(
    table: Table,
    question: str,
    vocab: Vocab,
    language: Language,
    *,
    rows: bool = True,
    id: str = "",
    answers: Sequence[str] = (),
) -> Item:
    """``question`` read against ``table`` and encoded; ``rows=False`` leaves out what
    only soft execution reads (inference). Raises :class:`npqa.errors.QuestionError`
    for a question without any word or number."""
    linked = read_question(question, table)
    enc = encode(linked, table, vocab, language, rows=rows)
    return Item(question, linked, table, enc, id, list(answers))
