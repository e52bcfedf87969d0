"""Running a program given in text form on a table: the library behind
``npqa run`` and ``npqa sql``."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from npqa.errors import ProgramError, TableError
from npqa.table.column import Table
from npqa.lang.executor import Answer, execute
from npqa.grammars.ops import LANGUAGE
from npqa.lang.sql import Schema, to_sql, write_sqlite
from npqa.lang.textform import parse, to_text



@dataclass(frozen=True)
class RunResult:
    answer: Answer
    program: str  # canonical text form
    sql: str
    sql_helpers: dict[str, str]  # helper column the SQL reads -> what it holds
    sql_note: str  # the same in one line, a SQL comment ('' when none)


def run_program(table: Table, text: str, dialect: str = "sqlite", db: Path | None = None) -> RunResult:
    """Parse, type-check and execute ``text`` on ``table``; render its SQL.

    With ``db``, the table is also written there as SQLite table ``t`` so the
    printed SQL runs as is.
    """
    if not text.strip():
        raise ProgramError("program", "empty program")
    program = parse(text, LANGUAGE)
    answer = execute(program, table, LANGUAGE)
    schema = Schema.of_table(table)
    try:
        sql = to_sql(program, schema, LANGUAGE, dialect=dialect)
    except ValueError as err:  # sqlglot: unknown dialect
        raise ProgramError("--dialect", str(err).splitlines()[0]) from None
    if db is not None:
        try:
            write_sqlite(table, db)
        except OSError as err:
            raise TableError(str(db), f"cannot write the database: {err.strerror or err}") from None
    return RunResult(answer, to_text(program, LANGUAGE), sql.text, sql.helpers, sql.note)
