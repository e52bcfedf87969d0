"""The Python API: ``TableQA.load().ask(table, question)``.

>>> from npqa.api import TableQA                   # doctest: +SKIP
>>> qa = TableQA.load()                            # doctest: +SKIP
>>> qa.ask("cities.csv", "how many cities have a population over 1,000,000?").answer  # doctest: +SKIP
['3']

``ask`` takes a path, ``"-"`` (stdin), a pandas DataFrame or a loaded
:class:`npqa.table.column.Table` or a :class:`npqa.session.TableSession`, and returns an :class:`AskResult` whose
``to_dict()`` is exactly the object ``npqa ask --json`` prints (``to_json()`` is that object as a JSON string).

``confidence`` is the probability that the answer is right, from the model's
calibrator (:mod:`npqa.model.calibrate`); a model without one gives the raw
program probability, which ``program_prob`` always holds.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from npqa.errors import ModelError, ProgramError, QuestionError
from npqa.model.calibrate import LIKELY_WRONG, Calibrator, Signals, assess, load_calibrator
from npqa.model.files import default_model_dir
from npqa.session import TableSession


@dataclass
class StepInfo:
    """One step of the chosen program as the controller chose it."""

    op: str
    op_probs: dict[str, float]  # the step's top 3 ops
    column: str | None
    column_prob: float | None
    constant: str | None
    rows: list[int]  # rows selected after the step (0-based)
    # the controller's attention over the question's words at this step: a [word, weight] pair per token in the
    # question's order, weights summing to 1; pairs are lists, as in the JSON (to_dict() == json.loads(to_json()))
    question_attention: list[list[Any]] = field(default_factory=list)


@dataclass
class Alternative:
    """A less likely program (``--top K``) with its own answer."""

    program: str
    confidence: float  # its program probability (the calibrator is fitted on the chosen program only)
    answer: list[str]
    program_prob: float = 0.0  # the same raw probability, under the name the chosen program uses


HIDDEN = ("column_probs", "all_op_probs", "question", "signals", "sql_note")
"""AskResult fields that are not part of ``npqa ask --json``."""


@dataclass
class AskResult:
    """The fields of ``npqa ask --json`` (see ``../shared/INTERFACES.md``)."""

    answer: list[str]  # empty when withheld (``abstained``)
    sql: str
    program: str
    confidence: float  # P(answer is right) from the model's calibrator; else the program probability
    steps: list[StepInfo]
    alternatives: list[Alternative] = field(default_factory=list)
    program_prob: float = 0.0  # the chosen program's raw probability (product of its step probabilities)
    band: str | None = None  # "likely right" / "unsure" / "likely wrong"; None when the model has no calibrator
    remarks: list[str] = field(default_factory=list)  # warnings to read with the answer
    abstained: bool = False  # confidence below the min_confidence asked for: the answer is withheld
    column_probs: list[dict[str, float]] = field(default_factory=list, repr=False)  # per raw step, for --explain
    all_op_probs: list[dict[str, float]] = field(default_factory=list, repr=False)  # per raw step, every op
    question: str = ""  # the question asked (not part of --json)
    sql_helpers: dict[str, str] = field(default_factory=dict)  # helper column the SQL reads -> what it holds
    sql_note: str = ""  # the line shown under the SQL, a SQL comment (not part of --json)
    sql_caveat: str = ""  # a table in a database file: what its SQL cannot compute as npqa reads it ('' when exact)
    signals: Signals | None = field(default=None, repr=False)  # what the calibrator read (not part of --json)

    def to_json(self) -> str:
        """The ``npqa ask --json`` object as a JSON string (one line)."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        """The ``npqa ask --json`` object: answer, sql, program, confidence, steps,
        alternatives, sql_helpers, sql_caveat, program_prob, band, remarks, abstained."""
        # built by hand: dataclasses.asdict deep-copies every row list (seconds on a big table)
        return {
            "answer": list(self.answer),
            "sql": self.sql,
            "program": self.program,
            "confidence": self.confidence,
            "steps": [
                {
                    "op": s.op,
                    "op_probs": dict(s.op_probs),
                    "column": s.column,
                    "column_prob": s.column_prob,
                    "constant": s.constant,
                    "rows": s.rows,
                    "question_attention": [list(pair) for pair in s.question_attention],
                }
                for s in self.steps
            ],
            "alternatives": [
                {"program": a.program, "confidence": a.confidence, "answer": list(a.answer), "program_prob": a.program_prob}
                for a in self.alternatives
            ],
            "sql_helpers": dict(self.sql_helpers),
            "sql_caveat": self.sql_caveat,
            "program_prob": self.program_prob,
            "band": self.band,
            "remarks": list(self.remarks),
            "abstained": self.abstained,
        }


class TableQA:
    """A loaded model, ready to answer questions about any table."""

    def __init__(
        self, model: Any, vocab: Any, config: dict[str, Any], threads: int = 1, calibrator: Calibrator | None = None
    ) -> None:
        self.model = model  # NumpyProgrammer (answering) or NeuralProgrammer (torch)
        self.vocab = vocab
        self.config = config
        self.calibrator = calibrator  # from calibration.json; None: confidence is the program probability
        # torch threads while answering: one question is a small forward pass, where
        # extra threads only wait on each other (10x slower on a busy 2-core machine)
        self.threads = threads

    @classmethod
    def load(cls, model_dir: str | Path | None = None, threads: int = 1, engine: str = "numpy") -> "TableQA":
        """Load a model directory (default: the model shipped in the package).

        ``engine="numpy"`` (the default) answers with the numpy twin of the
        controller (:mod:`npqa.model.npcontroller`), so asking never imports torch;
        ``engine="torch"`` loads the torch model (training, ``predict``, ``eval``),
        using ``threads`` torch threads while answering. The directory's
        ``calibration.json``, when there is one, calibrates ``confidence``.
        Raises :class:`ModelError` for a directory that is not an npqa model or
        whose calibration file is not valid.
        """
        directory = Path(model_dir) if model_dir is not None else default_model_dir()
        if model_dir is None and not (directory / "config.json").is_file():
            raise ModelError(str(directory), "no default model is shipped with this install; pass --model DIR")
        if engine == "numpy":
            from npqa.model.ensemble import load_numpy_model

            loaded = load_numpy_model(directory)
        elif engine == "torch":
            from npqa.model.files import load_model

            loaded = load_model(directory)
        else:
            raise ValueError(f"unknown engine {engine!r} (numpy or torch)")
        return cls(*loaded, threads=threads, calibrator=load_calibrator(directory))

    def ask(
        self,
        table: Any,
        question: str,
        top: int = 1,
        dialect: str | None = None,
        min_confidence: float | None = None,
        **table_options: Any,
    ) -> AskResult:
        """Answer ``question`` about ``table`` (a path, ``"-"``, a DataFrame or a loaded Table).

        ``top`` programs are decoded (the best one answers, the others are
        ``alternatives``); ``dialect`` is the SQL dialect of ``sql`` (None: SQLite, or
        the dialect of the table's database file); below
        ``min_confidence`` the answer is withheld (``abstained``; ``answer`` and
        ``alternatives`` empty; the program, SQL and confidence stay); ``table_options`` (``sep``,
        ``encoding``, ``header``) go to :func:`npqa.table.read.load_table`.
        """
        return self.ask_many(table, [question], top=top, dialect=dialect, min_confidence=min_confidence, **table_options)[0]

    def ask_many(
        self,
        table: Any,
        questions: Iterable[str],
        top: int = 1,
        dialect: str | None = None,
        min_confidence: float | None = None,
        **table_options: Any,
    ) -> list[AskResult]:
        """Answer several questions about one table, reading it once.

        ``table`` is anything :meth:`TableSession.open` takes (a session is
        reused as is). Raises :class:`QuestionError` for a question without any
        word or number, ``ValueError`` for a ``min_confidence`` outside [0, 1].
        """
        if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be between 0 and 1, not {min_confidence}")
        from npqa.model.decode import decode_outputs
        from npqa.model.inputs import prepare_item

        session = TableSession.open(table, **table_options)
        questions = list(questions)
        items = []
        for q in questions:
            if not q.strip():
                raise QuestionError("question", "empty question")
            # rows=False: no soft execution here, so no per-row model arrays
            items.append(prepare_item(session.table, q, self.vocab, self.model.language, rows=False))
        out = self._forward(items)
        from npqa.model.calibrate import SIGNAL_PROGRAMS

        # the `top` programs as a top-`top` decode finds them, and up to SIGNAL_PROGRAMS for the answer-mass signal
        decoded = decode_outputs(self.model, out, items, top_k=max(top, SIGNAL_PROGRAMS), width=max(top, 1) + 2)
        agreement = self._agreement(out, items, decoded)
        results = []
        for b, (item, cands) in enumerate(zip(items, decoded)):
            if not cands:  # no program type-checks on this table: nothing to show
                band = None if self.calibrator is None else LIKELY_WRONG
                results.append(AskResult([], "", "", 0.0, [], band=band, question=questions[b],
                                         abstained=min_confidence is not None and min_confidence > 0))  # fmt: skip
                continue
            best = cands[0]
            sql = session.sql_text(best.program, self.model.language, dialect)
            trust = assess(self.calibrator, item, best, agreement[b], cands)
            withheld = min_confidence is not None and trust.confidence < min_confidence
            results.append(
                AskResult(
                    answer=[] if withheld else list(best.answer.items),
                    sql=sql.text,
                    program=best.text,
                    confidence=trust.confidence,
                    steps=self._steps(out, b, best, item),
                    alternatives=[] if withheld else [
                        Alternative(c.text, c.confidence, list(c.answer.items), c.confidence) for c in cands[1 : max(top, 1)]
                    ],
                    program_prob=best.confidence,
                    band=trust.band,
                    remarks=list(trust.remarks),
                    abstained=withheld,
                    column_probs=self._column_probs(out, b, best, item),
                    all_op_probs=self._op_probs(out, b, best),
                    question=questions[b],
                    sql_helpers=sql.helpers,
                    sql_note=sql.note,
                    sql_caveat=sql.caveat,
                    signals=trust.signals,
                )
            )
        return results

    def _agreement(self, out: Any, items: list[Any], decoded: list[Any]) -> list[float]:
        """Per question, the share of an ensemble's members whose own best program
        gives the ensemble's answer (1.0 for one model): a signal of the calibrator."""
        from npqa.model.calibrate import member_agreement
        from npqa.model.decode import decode_outputs

        members = getattr(out, "members", None)
        if not members:
            return [1.0] * len(items)
        own = [decode_outputs(m, o, items, top_k=1) for m, o in zip(self.model.members, members)]  # M × B × ≤1
        return [
            member_agreement(cands[0].answer.items if cands else (), [d[b][0].answer.items if d[b] else None for d in own])
            for b, cands in enumerate(decoded)
        ]

    def _forward(self, items: list[Any]) -> Any:
        """The controller's distributions for ``items`` (numpy or torch model)."""
        from npqa.model.batch import collate_numpy
        from npqa.model.ensemble import NumpyEnsemble
        from npqa.model.npcontroller import NumpyProgrammer

        if isinstance(self.model, (NumpyProgrammer, NumpyEnsemble)):
            return self.model(collate_numpy([it.enc for it in items]))
        import torch

        from npqa.train.infer import forward_items

        self.model.eval()
        before = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.no_grad():
                return forward_items(self.model, items)
        finally:
            torch.set_num_threads(before)

    def _steps(self, out: Any, b: int, best: Any, item: Any) -> list[StepInfo]:
        from npqa.lang.textform import format_constant

        from npqa.lang.executor import apply_row_step

        names = [op.name for op in self.model.ops]
        words = item.linked.question.raw_tokens  # (Q,) as the user wrote them
        attn = getattr(out, "attn", None)  # (B, T, Q_padded) or None
        steps = []
        current = item.table.start_rows.copy()
        for t, choice in enumerate(best.choices):
            probs = np.asarray(out.op_probs[b, t])
            top3 = {names[o]: round(float(probs[o]), 4) for o in np.argsort(-probs)[:3] if probs[o] > 0}
            step = choice.step
            if t < len(best.choices) - 1:
                current = apply_row_step(current, step, item.table, self.model.language)
            steps.append(
                StepInfo(
                    op=step.op,
                    op_probs=top3,
                    column=step.column,
                    column_prob=None if choice.column_prob is None else round(choice.column_prob, 4),
                    constant=None if step.constant is None else format_constant(step.constant),
                    rows=np.flatnonzero(current).tolist(),
                    question_attention=[] if attn is None else [
                        [w, round(float(p), 4)] for w, p in zip(words, np.asarray(attn[b, t])[: len(words)])
                    ],
                )
            )
        return steps

    def _op_probs(self, out: Any, b: int, best: Any) -> list[dict[str, float]]:
        names = [op.name for op in self.model.ops]
        return [{n: float(p) for n, p in zip(names, np.asarray(out.op_probs[b, t]))} for t in range(len(best.choices))]

    def _column_probs(self, out: Any, b: int, best: Any, item: Any) -> list[dict[str, float]]:
        names = [op.name for op in self.model.ops]
        cols = [c.name for c in item.table.columns]
        res = []
        for t, choice in enumerate(best.choices):
            o = names.index(choice.step.op)
            p = np.asarray(out.col_probs[b, t, o, : len(cols)])
            res.append({c: float(p[j]) for j, c in enumerate(cols)})
        return res


def looks_like_question(text: str) -> bool:
    """Whether ``text`` reads as a question rather than a program.

    >>> looks_like_question("how many rows?"), looks_like_question('count(reset)')
    (True, False)
    """
    stripped = text.strip()
    return stripped.endswith("?") or ("(" not in stripped and ")" not in stripped)


@dataclass(frozen=True)
class SqlOf:
    """The SQL of a program given as text, or of the program a model chose for a question."""

    sql: str
    program: str  # canonical text form
    answer: list[str]
    question: bool  # True when the model chose the program
    note: str = ""  # what the helper columns the SQL reads hold, one line ('' when none)


def sql_of(
    table: Any,
    text: str,
    model_dir: str | Path | None = None,
    dialect: str | None = None,
    db: str | Path | None = None,
) -> SqlOf:
    """The SQL behind ``text`` on ``table`` (the library behind ``npqa sql``).

    ``text`` is first read as a program (no model, no torch); if it does not
    parse and looks like a question (:func:`looks_like_question`), the model in
    ``model_dir`` answers it and its program's SQL is returned. With ``db`` the
    table is also written there as SQLite table ``t``, so the SQL runs as is.
    """
    from npqa.lang.programs import run_program

    session = TableSession.open(table)
    if db is not None:
        session.refuse_db()
    try:
        run = run_program(session.table, text, dialect=dialect)
    except ProgramError as err:
        if err.what != "program" or not text.strip() or not looks_like_question(text):
            raise
    else:
        if db is not None:
            session.write_db(db)
        return SqlOf(run.sql, run.program, list(run.answer.items), False, run.sql_note)
    result = TableQA.load(model_dir).ask(session, text, dialect=dialect)
    if db is not None:
        session.write_db(db)
    return SqlOf(result.sql, result.program, result.answer, True, result.sql_note)


def write_table_db(table: Any, db: str | Path) -> None:
    """Write ``table`` (anything :meth:`TableSession.open` takes) as SQLite table ``t``."""
    TableSession.open(table).write_db(db)
