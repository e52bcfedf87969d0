"""Running a program given in text form on a table: the library behind
``npqa run`` and ``npqa sql``."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from npqa.errors import OptionError, ProgramError, TableError
from npqa.table.column import Table
from npqa.table.database import database_of
from npqa.lang.executor import Answer, execute
from npqa.grammars.ops import LANGUAGE
from npqa.lang.sql import write_sqlite
from npqa.lang.sqlsource import renderer
from npqa.lang.textform import parse, to_text



@dataclass(frozen=True)
class RunResult:
    answer: Answer
    program: str  # canonical text form
    sql: str
    sql_helpers: dict[str, str]  # helper column the SQL reads -> what it holds
    sql_note: str  # the line shown under the SQL, a SQL comment ('' when none)
    sql_caveat: str = ""  # what the SQL cannot compute as npqa reads it (a table in a database file; '' when exact)


def run_program(table: Table, text: str, dialect: str | None = None, db: Path | None = None) -> RunResult:
    """Parse, type-check and execute ``text`` on ``table``; render its SQL
    (``dialect`` None: SQLite, or the dialect of the table's database file).

    With ``db``, the table is also written there as SQLite table ``t`` so the
    printed SQL runs as is.
    """
    if not text.strip():
        raise ProgramError("program", "empty program")
    program = parse(text, LANGUAGE)
    answer = execute(program, table, LANGUAGE)
    if db is not None and database_of(table) is not None:
        raise OptionError("--db", "the table already lives in a database file, and the printed SQL runs there as it is")
    sql = renderer(table).to_sql(program, LANGUAGE, dialect)
    if db is not None:
        try:
            write_sqlite(table, db)
        except OSError as err:
            raise TableError(str(db), f"cannot write the database: {err.strerror or err}") from None
    return RunResult(answer, to_text(program, LANGUAGE), sql.text, sql.helpers, sql.note, sql.caveat)
