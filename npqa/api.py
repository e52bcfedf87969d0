"""The Python API: ``TableQA.load().ask(table, question)``.

>>> from npqa import TableQA                       # doctest: +SKIP
>>> qa = TableQA.load()                            # doctest: +SKIP
>>> qa.ask("cities.csv", "how many cities have a population over 1,000,000?").answer  # doctest: +SKIP
['3']
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from npqa.errors import ModelError, QuestionError


def default_model_dir() -> Path:
    return Path(str(resources.files("npqa").joinpath("model")))


@dataclass
class StepInfo:
    op: str
    op_probs: dict[str, float]  # the step's top 3 ops
    column: str | None
    column_prob: float | None
    constant: str | None
    rows: list[int]  # rows selected after the step (0-based)


@dataclass
class Alternative:
    program: str
    confidence: float
    answer: list[str]


@dataclass
class AskResult:
    """The fields of ``npqa ask --json`` (see ``../shared/INTERFACES.md``)."""

    answer: list[str]
    sql: str
    program: str
    confidence: float
    steps: list[StepInfo]
    alternatives: list[Alternative] = field(default_factory=list)
    column_probs: list[dict[str, float]] = field(default_factory=list, repr=False)  # per raw step, for --explain

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("column_probs")
        return out


class TableQA:
    """A loaded model, ready to answer questions about any table."""

    def __init__(self, model: Any, vocab: Any, config: dict[str, Any]) -> None:
        self.model = model
        self.vocab = vocab
        self.config = config

    @classmethod
    def load(cls, model_dir: str | Path | None = None) -> "TableQA":
        """Load a model directory (default: the model shipped in the package)."""
        from npqa.model_io import load_model

        directory = Path(model_dir) if model_dir is not None else default_model_dir()
        if model_dir is None and not (directory / "config.json").is_file():
            raise ModelError(str(directory), "no default model is shipped with this install; pass --model DIR")
        return cls(*load_model(directory))

    def ask(self, table: Any, question: str, top: int = 1, **table_options: Any) -> AskResult:
        """Answer ``question`` about ``table`` (a path, ``"-"``, a DataFrame or a loaded Table)."""
        return self.ask_many(table, [question], top=top, **table_options)[0]

    def ask_many(self, table: Any, questions: Iterable[str], top: int = 1, **table_options: Any) -> list[AskResult]:
        """Answer several questions about one table, reading it once."""
        import torch

        from npqa.dataset import Item
        from npqa.execdata import TableData
        from npqa.features import encode
        from npqa.infer import decode_outputs, forward_items
        from npqa.question import link_question, parse_question
        from npqa.sql import Schema, render
        from npqa.table import Table, load_table
        from npqa.wtq import Example

        tbl = table if isinstance(table, Table) else load_table(table, **table_options)
        data = TableData.from_table(tbl)
        schema = Schema.of([c.name for c in data.columns], [c.kind for c in data.columns])
        items = []
        for q in questions:
            if not q.strip():
                raise QuestionError("question", "empty question")
            linked = link_question(parse_question(q), tbl)
            items.append(Item(Example("", q, tbl.source, []), linked, data, encode(linked, data, self.vocab, self.model.language)))
        self.model.eval()
        with torch.no_grad():
            out = forward_items(self.model, items)
            decoded = decode_outputs(self.model, out, items, top_k=max(top, 1))
        results = []
        for b, (item, cands) in enumerate(zip(items, decoded)):
            best = cands[0]
            results.append(
                AskResult(
                    answer=list(best.answer.items),
                    sql=render(best.program, schema, self.model.language),
                    program=best.text,
                    confidence=best.confidence,
                    steps=self._steps(out, b, best, item),
                    alternatives=[Alternative(c.text, c.confidence, list(c.answer.items)) for c in cands[1:]],
                    column_probs=self._column_probs(out, b, best, item),
                )
            )
        return results

    def _steps(self, out: Any, b: int, best: Any, item: Any) -> list[StepInfo]:
        from npqa.textform import format_constant

        from npqa.executor import apply_row_step

        names = [op.name for op in self.model.ops]
        steps = []
        current = np.ones(item.data.n_rows, dtype=bool)
        for t, choice in enumerate(best.choices):
            probs = out.op_probs[b, t].numpy()
            top3 = {names[o]: round(float(probs[o]), 4) for o in np.argsort(-probs)[:3] if probs[o] > 0}
            step = choice.step
            if t < len(best.choices) - 1:
                current = apply_row_step(current, step, item.data, self.model.language)
            steps.append(
                StepInfo(
                    op=step.op,
                    op_probs=top3,
                    column=step.column,
                    column_prob=None if choice.column_prob is None else round(choice.column_prob, 4),
                    constant=None if step.constant is None else format_constant(step.constant),
                    rows=[int(i) for i in np.flatnonzero(current)],
                )
            )
        return steps

    def _column_probs(self, out: Any, b: int, best: Any, item: Any) -> list[dict[str, float]]:
        names = [op.name for op in self.model.ops]
        cols = [c.name for c in item.data.columns]
        res = []
        for t, choice in enumerate(best.choices):
            o = names.index(choice.step.op)
            p = out.col_probs[b, t, o, : len(cols)].numpy()
            res.append({c: float(p[j]) for j, c in enumerate(cols)})
        return res
