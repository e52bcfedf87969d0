"""``npqa run`` and ``npqa sql``: programs you write, and their SQL."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from typing_extensions import Annotated

from npqa.cli.app import (
    DbOpt, DbTableOpt, DecimalOpt, DialectOpt, EncOpt, JsonOpt, NoHeaderOpt, SepOpt, SheetOpt, TableArg, _err, _load,
    _print_json, command,
)  # fmt: skip


@command("run")
def run(
    table: TableArg,
    program: Annotated[str, typer.Argument(help='A program, e.g. count(greater(reset, "Year", 2004)).')],
    sep: SepOpt = None,
    encoding: EncOpt = None,
    no_header: NoHeaderOpt = False,
    sheet: SheetOpt = None,
    decimal: DecimalOpt = None,
    dialect: DialectOpt = None,
    db_table: DbTableOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Execute a program on a table; print its answer and its SQL."""
    from npqa.lang.programs import run_program

    result = run_program(_load(table, sep, encoding, no_header, sheet, decimal, db_table), program, dialect=dialect)
    if as_json:
        _print_json(
            {"answer": list(result.answer.items), "program": result.program, "sql": result.sql, "sql_helpers": result.sql_helpers,
             "sql_caveat": result.sql_caveat}  # fmt: skip
        )
        return
    typer.echo("answer: " + (" | ".join(result.answer.items) if result.answer.items else "(no answer)"))
    typer.echo("program: " + result.program)
    typer.echo("sql: " + result.sql)
    if result.sql_note:
        typer.echo(result.sql_note)


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
    sheet: SheetOpt = None,
    decimal: DecimalOpt = None,
    dialect: DialectOpt = None,
    db_table: DbTableOpt = None,
) -> None:
    """Print the SQL of a program or of the program answering a question (--db writes the table to SQLite)."""
    from npqa.api import sql_of

    loaded = _load(table, sep, encoding, no_header, sheet, decimal, db_table)
    result = sql_of(loaded, program_or_question, model, dialect=dialect, db=db)
    if result.question:
        _err(f"program: {result.program}")
    if result.note:
        _err(result.note)  # on stderr: stdout is the SQL alone, runnable as is
    typer.echo(result.sql)
