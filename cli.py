"""The npqa command line: thin typer commands over plain library functions.

Installed as ``npqa.cli`` (``npqa/cli.py`` is a link to this file). Library
code raises named errors (:mod:`npqa.errors`); this edge turns them into one
line ``error: <what>: <problem>`` and exit status 2. Anything else is a bug:
exit 1 with a short message (a traceback only with ``--debug``).
"""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from typing_extensions import Annotated

from npqa import __version__
from npqa.errors import NpqaError, OutputError, QuestionError

app = typer.Typer(
    name="npqa",
    help="Answer questions about tables with the Neural Programmer, and show the program and SQL behind each answer.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
_state = {"debug": False}


def _err(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")


def command(name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a command whose named errors exit 2 and whose bugs exit 1."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except NpqaError as err:
                _err(f"error: {err.what}: {err.problem}")
                raise typer.Exit(2) from None
            except (typer.Exit, typer.Abort, KeyboardInterrupt):
                raise
            except BrokenPipeError:
                raise typer.Exit(0) from None
            except Exception as err:  # the edge for bugs: exit 1, no traceback unless --debug
                if _state["debug"]:
                    raise
                _err(f"error: unexpected {type(err).__name__}: {err} (run with --debug for the traceback)")
                raise typer.Exit(1) from None

        return app.command(name)(run)

    return wrap


def _version(value: bool) -> None:
    if value:
        from npqa.model_dir import default_model_id

        typer.echo(f"npqa {__version__} (default model: {default_model_id()})")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")] = False,
) -> None:
    _state["debug"] = debug


# -- shared options ----------------------------------------------------------------
TableArg = Annotated[str, typer.Argument(help="A CSV/TSV file, or - for standard input.")]
SepOpt = Annotated[Optional[str], typer.Option("--sep", help="Field separator (default: sniffed).")]
EncOpt = Annotated[Optional[str], typer.Option("--encoding", help="Text encoding (default: UTF-8, else Latin-1).")]
NoHeaderOpt = Annotated[bool, typer.Option("--no-header", help="The first row is data, not column names.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of text.")]
DialectOpt = Annotated[str, typer.Option("--dialect", help="SQL dialect to render (any sqlglot knows).")]
DbOpt = Annotated[
    Optional[Path], typer.Option("--db", help="Also write the table to this SQLite file, so the SQL runs as printed.")
]


def _load(table: str, sep: str | None, encoding: str | None, no_header: bool) -> Any:
    from npqa.table import load_table

    return load_table(table, sep=sep, encoding=encoding, header=not no_header)


def _print_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False))


# -- commands ----------------------------------------------------------------------
@command("score")
def score(
    data: Annotated[Path, typer.Argument(help="WTQ-style TSV with the gold answers.")],
    preds: Annotated[Path, typer.Argument(help="Prediction file: id<TAB>item<TAB>item…")],
    as_json: JsonOpt = False,
) -> None:
    """Score predictions with WTQ's official denotation accuracy."""
    from npqa.metric import score_files

    result = score_files(data, preds)
    if as_json:
        _print_json(
            {"accuracy": result.accuracy, "correct": result.correct, "examples": result.examples, "answered": result.answered}
        )
    else:
        typer.echo(
            f"accuracy={result.accuracy:.4f} correct={result.correct} examples={result.examples} answered={result.answered}"
        )


@command("run")
def run(
    table: TableArg,
    program: Annotated[str, typer.Argument(help='A program, e.g. count(greater(reset, "Year", 2004)).')],
    sep: SepOpt = None,
    encoding: EncOpt = None,
    no_header: NoHeaderOpt = False,
    dialect: DialectOpt = "sqlite",
    as_json: JsonOpt = False,
) -> None:
    """Execute a program on a table; print its answer and its SQL."""
    from npqa.programs import run_program

    result = run_program(_load(table, sep, encoding, no_header), program, dialect=dialect)
    if as_json:
        _print_json({"answer": list(result.answer.items), "program": result.program, "sql": result.sql})
        return
    typer.echo("answer: " + (" | ".join(result.answer.items) if result.answer.items else "(no answer)"))
    typer.echo("program: " + result.program)
    typer.echo("sql: " + result.sql)


@command("sql")
def sql(
    table: TableArg,
    program_or_question: Annotated[
        str, typer.Argument(help="A program in text form, or a question (then the model chooses the program).")
    ],
    db: DbOpt = None,
    model: Annotated[
        Optional[Path], typer.Option("--model", help="Model directory, used only for a question (default: the shipped model).")
    ] = None,
    sep: SepOpt = None,
    encoding: EncOpt = None,
    no_header: NoHeaderOpt = False,
    dialect: DialectOpt = "sqlite",
) -> None:
    """Print the SQL of a program or of the program answering a question (--db writes the table to SQLite)."""
    from npqa.api import sql_of

    result = sql_of(_load(table, sep, encoding, no_header), program_or_question, model, dialect=dialect, db=db)
    if result.question:
        _err(f"program: {result.program}")
    typer.echo(result.sql)


def _progress() -> Any:
    """A transient progress bar on stderr; off when stderr is not a terminal (logs stay clean)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )  # fmt: skip


def _count_lines(tsv: Path) -> int:
    from npqa.wtq import read_examples

    return len(read_examples(tsv))


TablesRootOpt = Annotated[Path, typer.Option("--tables-root", help="Folder holding the csv/ tree the TSV points into.")]
ModelOpt = Annotated[Optional[Path], typer.Option("--model", help="Model directory (default: the shipped model).")]


@command("oracle")
def oracle(
    data: Annotated[Path, typer.Argument(help="WTQ-style TSV.")],
    tables_root: TablesRootOpt,
    steps: Annotated[int, typer.Option("--steps", min=1, max=6, help="Program steps T (row steps + terminal).")] = 4,
    as_json: JsonOpt = False,
) -> None:
    """Oracle coverage: share of questions some emittable program answers right."""
    from npqa.grammars.ops import LANGUAGE
    from npqa.oracle import coverage

    total = _count_lines(data)  # before the bar, so an input error prints one clean line
    with _progress() as progress:
        task = progress.add_task("oracle", total=total)
        report = coverage(data, tables_root, steps, LANGUAGE, lambda: progress.advance(task))
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
    from npqa.targets import data_stats as stats_of

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


@command("train")
def train(
    train_tsv: Annotated[Path, typer.Option("--train", help="WTQ-style TSV to learn from.")],
    tables_root: TablesRootOpt,
    out: Annotated[Path, typer.Option("--out", help="Output directory for the model and checkpoints.")],
    dev: Annotated[Optional[Path], typer.Option("--dev", help="TSV to measure accuracy on after each epoch.")] = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Passes over the training questions.")] = 12,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same model).")] = 0,
    hidden: Annotated[int, typer.Option("--hidden", min=4, help="Hidden size of the controller.")] = 128,
    embed_dim: Annotated[int, typer.Option("--embed-dim", min=4, help="Word embedding size.")] = 64,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the last checkpoint in --out.")] = False,
    soft_weight: Annotated[float, typer.Option("--soft-weight", help="Weight of the soft (Neural Programmer) loss.")] = 0.1,
    ema: Annotated[float, typer.Option("--ema", min=0.0, max=0.99999, help="Decay of a moving average of the weights, evaluated and saved instead (0: off).")] = 0.0,
) -> None:
    """Train a model from question-answer pairs (WTQ format)."""
    from npqa.train import TrainConfig, train as run

    cfg = TrainConfig(str(train_tsv), str(tables_root), str(out), str(dev) if dev else None, epochs, seed,
                      soft_weight=soft_weight, hidden=hidden, embed_dim=embed_dim, ema=ema,
                      command="npqa " + " ".join(sys.argv[1:]))  # fmt: skip
    logs = run(cfg, resume=resume)
    last = logs[-1] if logs else None
    dev_part = f" dev_accuracy={last.dev_accuracy:.4f}" if last is not None and last.dev_accuracy is not None else ""
    typer.echo(f"model={out} epochs={last.epoch if last else 0}{dev_part}")


def _predict_split(data: Path, tables_root: Path, model: Optional[Path]) -> tuple[list[Any], list[Any]]:
    from npqa.api import TableQA
    from npqa.dataset import load_split, prepare
    from npqa.infer import predict as run_predict

    examples, tables = load_split(data, tables_root)
    qa = TableQA.load(model, engine="torch")  # batched torch inference: many questions
    with _progress() as progress:
        task = progress.add_task("read", total=len(examples))
        items, _ = prepare(examples, tables, qa.vocab, qa.model.language, qa.model.config.steps, False,
                           on_item=lambda: progress.advance(task))  # fmt: skip
        task2 = progress.add_task("predict", total=len(items))
        decoded = run_predict(qa.model, items, on_batch=lambda n: progress.advance(task2, n))
    return items, decoded


@command("predict")
def predict(
    data: Annotated[Path, typer.Argument(help="WTQ-style TSV.")],
    tables_root: TablesRootOpt,
    out: Annotated[Path, typer.Option("--out", help="Prediction file to write.")],
    model: ModelOpt = None,
) -> None:
    """Write predictions in the official format (id<TAB>item…)."""
    from npqa.metric import escape_tsv

    items, decoded = _predict_split(data, tables_root, model)
    lines = []
    for it, d in zip(items, decoded):
        answer = d[0].answer.items if d else ()
        lines.append("\t".join([it.example.id, *(escape_tsv(a) for a in answer)]))
    try:
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as err:
        raise OutputError(str(out), f"cannot write: {err.strerror or err}") from None
    typer.echo(f"predictions={len(lines)} out={out}")


@command("eval")
def evaluate(
    data: Annotated[Path, typer.Argument(help="WTQ-style TSV.")],
    tables_root: TablesRootOpt,
    model: ModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Official accuracy of a model on a TSV, by answer kind."""
    from npqa.metric import check
    from npqa.targets import answer_targets

    items, decoded = _predict_split(data, tables_root, model)
    by_kind: dict[str, list[int]] = {}
    right = 0
    for it, d in zip(items, decoded):
        ok = bool(d) and check(it.example.answers, list(d[0].answer.items))
        right += ok
        tgt = answer_targets(it.example.answers, it.data)
        for kind in [tgt.kind] + (["list"] if tgt.is_list else []):
            by_kind.setdefault(kind, [0, 0])
            by_kind[kind][0] += ok
            by_kind[kind][1] += 1
    n = max(len(items), 1)
    if as_json:
        _print_json({"accuracy": right / n, "correct": right, "examples": len(items),
                     "by_kind": {k: {"accuracy": c / max(t, 1), "correct": c, "examples": t} for k, (c, t) in by_kind.items()}})  # fmt: skip
        return
    for kind, (c, t) in sorted(by_kind.items()):
        typer.echo(f"{kind}: accuracy={c / max(t, 1):.4f} correct={c} examples={t}")
    typer.echo(f"accuracy={right / n:.4f} correct={right} examples={len(items)}")


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
        from npqa.explain import render_steps

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
    as_json: JsonOpt = False,
) -> None:
    """Answer a question about a table, with the program and SQL behind the answer."""
    from rich.console import Console

    from npqa.api import TableQA, write_table_db

    if table == "-" and question is None:
        raise QuestionError("ask", "the table and the questions cannot both come from stdin")
    tbl = _load(table, sep, encoding, no_header)
    if question is not None and not question.strip():
        raise QuestionError("question", "empty question")
    qa = TableQA.load(model)
    if db is not None:
        write_table_db(tbl, db)
    console = Console(highlight=False)
    results = []
    failed = 0
    lines = [(0, question)] if question is not None else _stdin_questions()
    for number, text in lines:
        try:
            result = qa.ask(tbl, text, top=top)
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
        from npqa.explain import write_html

        write_html(explain_html, results, tbl)
    if failed:
        raise typer.Exit(2)


@command("model-info")
def model_info(model: ModelOpt = None, as_json: JsonOpt = False) -> None:
    """The model card: how the model was trained, its dev accuracy, its size."""
    from npqa.api import TableQA, default_model_dir

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


def main() -> None:
    """Console-script entry point. Usage errors (a bad option, a missing
    argument) get one ``error:`` line and exit 2, like every named input error."""
    # click's UsageError, whether typer vendors click or not: BadParameter's base
    usage_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")

    try:
        status = app(standalone_mode=False)
    except usage_error as err:
        hint = f" (see npqa {err.ctx.info_name} --help)" if err.ctx is not None and err.ctx.info_name != "npqa" else ""
        _err(f"error: usage: {err.format_message()}{hint}")
        sys.exit(2)
    except typer.Abort:
        _err("error: aborted")
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    main()
