"""``npqa ask`` and ``npqa model-info``: answering with a model."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from typing_extensions import Annotated

from npqa.cli.app import (
    DbOpt, DecimalOpt, EncOpt, JsonOpt, ModelOpt, NoHeaderOpt, SepOpt, TableArg, _err, _load, _print_json, command,
)  # fmt: skip
from npqa.errors import QuestionError


LOW_CONFIDENCE = 0.2  # below this the answer is shown with a warning


def _show_answer(console: Any, result: Any, explain: bool, table: Any, top: int) -> None:
    from rich.panel import Panel
    from rich.syntax import Syntax
    from rich.table import Table as RichTable
    from rich.text import Text

    if result.question:
        console.print(Text.assemble(("question: ", "bold"), result.question))
    answer = " | ".join(result.answer) if result.answer else "(no answer)"
    console.print(Panel(Text(answer, style="bold green"), title="answer", title_align="left", expand=False))
    console.print(Text.assemble(("program: ", "bold"), result.program or "(none)"))
    console.print(Text("sql:", style="bold"))
    console.print(Syntax(result.sql or "-- none", "sql", word_wrap=True, background_color="default"))
    console.print(Text.assemble(("confidence: ", "bold"), f"{result.confidence:.3g}"))
    if result.confidence < LOW_CONFIDENCE:
        console.print(
            f"[bold yellow]warning:[/bold yellow] low confidence ({result.confidence:.3g} < {LOW_CONFIDENCE}): "
            "the answer may be wrong; check the program and the SQL"
        )
    if top > 1:
        grid = RichTable(title=f"top {top} programs", title_justify="left", show_lines=False)
        grid.add_column("#", justify="right")
        grid.add_column("confidence", justify="right")
        grid.add_column("program", overflow="fold")
        grid.add_column("answer", overflow="fold")
        rows = [(result.program, result.confidence, result.answer)]
        rows += [(a.program, a.confidence, a.answer) for a in result.alternatives]
        for rank, (program, confidence, items) in enumerate(rows, start=1):
            grid.add_row(str(rank), f"{confidence:.3g}", Text(program), Text(" | ".join(items) or "(no answer)"))
        console.print(grid)
    if explain:
        from npqa.cli.explain import render_steps

        render_steps(console, result, table)


def _stdin_questions() -> Any:
    """Numbered non-blank lines of stdin, read lazily so answers stream out."""
    for number, line in enumerate(sys.stdin, start=1):
        if line.strip():
            yield number, line.rstrip("\n")


@command("ask")
def ask(
    table: TableArg,
    question: Annotated[Optional[str], typer.Argument(help="The question; omit to read one per line from stdin.")] = None,
    model: ModelOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, max=20, help="Show the K most likely programs with their answers.")] = 1,
    db: DbOpt = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each step: top ops, column attention, constant, selected rows.")
    ] = False,
    explain_html: Annotated[
        Optional[Path], typer.Option("--explain-html", help="Write the steps as a self-contained HTML page of heat maps.")
    ] = None,
    sep: SepOpt = None,
    encoding: EncOpt = None,
    no_header: NoHeaderOpt = False,
    decimal: DecimalOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question about a table, with the program and SQL behind the answer."""
    from rich.console import Console

    from npqa.api import TableQA
    from npqa.session import TableSession

    if table == "-" and question is None:
        raise QuestionError("ask", "the table and the questions cannot both come from stdin")
    session = TableSession(_load(table, sep, encoding, no_header, decimal))
    tbl = session.table
    if question is not None and not question.strip():
        raise QuestionError("question", "empty question")
    qa = TableQA.load(model)
    if db is not None:
        session.write_db(db)
    console = Console(highlight=False)
    results = []
    failed = 0
    lines = [(0, question)] if question is not None else _stdin_questions()
    for number, text in lines:
        try:
            result = qa.ask(session, text, top=top)
        except QuestionError as err:
            if question is not None:
                raise
            _err(f"error: {err.what} (stdin line {number}): {err.problem}")  # the other lines still get answers
            failed += 1
            continue
        results.append(result)
        if as_json:
            _print_json(result.to_json())
        else:
            _show_answer(console, result, explain, tbl, top)
            if question is None:
                console.print()
        sys.stdout.flush()
    if explain_html is not None:
        from npqa.cli.explain import write_html

        write_html(explain_html, results, tbl)
    if failed:
        raise typer.Exit(2)


@command("model-info")
def model_info(model: ModelOpt = None, as_json: JsonOpt = False) -> None:
    """The model card: how the model was trained, its dev accuracy, its size."""
    from npqa.api import TableQA
    from npqa.model.files import default_model_dir

    qa = TableQA.load(model, engine="torch")
    directory = model or default_model_dir()
    size = sum(f.stat().st_size for f in Path(directory).iterdir() if f.is_file())
    card = {k: v for k, v in qa.config.items() if k != "training"}
    training = qa.config.get("training", {})
    info = {"directory": str(directory), "size_bytes": size, "parameters": sum(p.numel() for p in qa.model.parameters()),
            **card, "training": {k: training.get(k) for k in ("command", "config", "epochs_done", "dev_accuracy", "prep")}}  # fmt: skip
    if as_json:
        _print_json(info)
    else:
        for key, value in info.items():
            typer.echo(f"{key}: {json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value}")
