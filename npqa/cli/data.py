"""``npqa score``, ``npqa oracle`` and ``npqa data-stats``: WTQ-style data and predictions."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from typing_extensions import Annotated

from npqa.cli.app import JsonOpt, TablesRootOpt, _count_lines, _print_json, _progress, command, training_language


@command("score")
def score(
    data: Annotated[Path, typer.Argument(help="WTQ-style TSV with the gold answers.")],
    preds: Annotated[Path, typer.Argument(help="Prediction file: id<TAB>item<TAB>item…")],
    as_json: JsonOpt = False,
) -> None:
    """Score predictions with WTQ's official denotation accuracy."""
    from npqa.train.metric import score_files

    result = score_files(data, preds)
    if as_json:
        _print_json(
            {"accuracy": result.accuracy, "correct": result.correct, "examples": result.examples, "answered": result.answered}
        )
    else:
        typer.echo(
            f"accuracy={result.accuracy:.4f} correct={result.correct} examples={result.examples} answered={result.answered}"
        )


@command("oracle")
def oracle(
    data: Annotated[Path, typer.Argument(help="WTQ-style TSV.")],
    tables_root: TablesRootOpt,
    steps: Annotated[int, typer.Option("--steps", min=1, max=6, help="Program steps T (row steps + terminal).")] = 4,
    with_op: Annotated[Optional[list[str]], typer.Option("--with-op", help="Also use this op, declared but not learned by default (as npqa train --with-op).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Oracle coverage: share of questions some program of the trained op set answers right."""
    from npqa.train.prepare import coverage

    language = training_language(with_op)
    total = _count_lines(data)  # before the bar, so an input error prints one clean line
    with _progress() as progress:
        task = progress.add_task("oracle", total=total)
        report = coverage(data, tables_root, steps, language, lambda: progress.advance(task))
    if as_json:
        _print_json({"coverage": report.coverage, "covered": report.covered, "questions": report.questions,
                     "programs_median": report.programs_median, "ms_per_question": report.ms_per_question_median,
                     "seconds": report.seconds})  # fmt: skip
    else:
        typer.echo(report.line())


@command("data-stats")
def data_stats(
    data: Annotated[Path, typer.Argument(help="WTQ-style TSV.")],
    tables_root: TablesRootOpt,
    as_json: JsonOpt = False,
) -> None:
    """Share of each answer kind (lookup, scalar, other; list flag)."""
    from npqa.train.prepare import data_stats as stats_of

    total = _count_lines(data)
    with _progress() as progress:
        task = progress.add_task("answers", total=total)
        stats = stats_of(data, tables_root, lambda: progress.advance(task))
    if as_json:
        n = max(stats.examples, 1)
        _print_json({"examples": stats.examples, **{k: stats.kinds.get(k, 0) / n for k in ("lookup", "scalar", "other")},
                     "list": stats.lists / n})  # fmt: skip
    else:
        typer.echo(stats.line())
