"""The typer app, its error edge and the options every command shares.

Library code raises named errors (:mod:`npqa.errors`); :func:`command` turns
them into one line ``error: <what>: <problem>`` and exit status 2. Anything
else is a bug: exit 1 with a short message (a traceback only with ``--debug``).
"""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from typing_extensions import Annotated

from npqa.errors import NpqaError

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
        from npqa.model.files import default_model_id

        typer.echo(f"npqa {_package_version()} (default model: {default_model_id()})")
        raise typer.Exit()


def _package_version() -> str:
    """npqa's version: ``npqa.__version__``, or the installed distribution's when a stray
    ``npqa/`` folder on the path has become the ``npqa`` namespace (an editable install)."""
    import npqa

    version = getattr(npqa, "__version__", None)
    if version is None:
        from importlib.metadata import version as distribution_version

        version = distribution_version("npqa")
    return str(version)


@app.callback()
def _main(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")] = False,
) -> None:
    _state["debug"] = debug


# -- shared options ----------------------------------------------------------------
TableArg = Annotated[
    str,
    typer.Argument(
        help="A table file (CSV/TSV, .xlsx, .parquet, .json, .gz or .zip of one, a SQLite or DuckDB database), or - for standard input."
    ),
]
DbTableOpt = Annotated[
    Optional[str],
    typer.Option("--table", help="The table of a SQLite or DuckDB database file (default: its only table)."),
]
SepOpt = Annotated[Optional[str], typer.Option("--sep", help="Field separator (default: sniffed).")]
EncOpt = Annotated[Optional[str], typer.Option("--encoding", help="Text encoding (default: UTF-8, else Latin-1).")]
NoHeaderOpt = Annotated[bool, typer.Option("--no-header", help="The first row is data, not column names.")]
SheetOpt = Annotated[Optional[str], typer.Option("--sheet", help="The sheet of an .xlsx workbook (default: the first).")]
DecimalOpt = Annotated[
    Optional[str],
    typer.Option("--decimal", help="Decimal mark of the table's numbers, ',' or '.' (default: guessed per column)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of text.")]
DialectOpt = Annotated[
    Optional[str],
    typer.Option("--dialect", help="SQL dialect to render (any sqlglot knows; default: sqlite, or a database file's own)."),
]
DbOpt = Annotated[
    Optional[Path], typer.Option("--db", help="Also write the table to this SQLite file, so the SQL runs as printed.")
]


def _load(
    table: str, sep: str | None, encoding: str | None, no_header: bool, sheet: str | None = None, decimal: str | None = None,
    db_table: str | None = None,
) -> Any:
    """The table, after saying on stderr what reading it guessed or left out (``note: …``)."""
    from npqa.table.read import load_table

    loaded = load_table(table, sep=sep, encoding=encoding, header=not no_header, sheet=sheet, decimal=decimal, db_table=db_table)
    for notice in loaded.notices:
        _err(f"note: {notice}")
    return loaded


def _print_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False))


def _progress() -> Any:
    """A transient progress bar on stderr; off when stderr is not a terminal (logs stay clean)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )  # fmt: skip


def training_language(with_op: Optional[list[str]]) -> Any:
    """The op set a model learns (``npqa train``, ``npqa oracle``): the ops declared
    ``learned`` plus the ``--with-op`` ones; an unknown name is an option error."""
    from npqa.errors import OptionError
    from npqa.grammars.ops import LANGUAGE

    try:
        return LANGUAGE.for_training(with_op or ())
    except KeyError as err:
        raise OptionError("--with-op", f"unknown op {err.args[0]!r} (one of: {', '.join(LANGUAGE.ops)})") from None
    except ValueError as err:
        raise OptionError(
            "--with-op",
            f"{err.args[0]!r} cannot be learned: it reads a second column or the whole table, or takes a constant as a "
            "terminal op, and the model points at one column and one question constant per step",
        ) from None


def _count_lines(tsv: Path) -> int:
    from npqa.train.wtq import read_examples

    return len(read_examples(tsv))


TablesRootOpt = Annotated[Path, typer.Option("--tables-root", help="Folder holding the csv/ tree the TSV points into.")]
ModelOpt = Annotated[Optional[Path], typer.Option("--model", help="Model directory (default: the shipped model).")]


