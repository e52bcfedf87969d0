"""One table and what every question about it shares, built once.

>>> from npqa.session import TableSession                    # doctest: +SKIP
>>> session = TableSession.open("cities.csv")                # doctest: +SKIP
>>> qa.ask(session, "how many cities?"); qa.ask(session, "which is largest?")  # doctest: +SKIP

A session holds the loaded :class:`npqa.table.column.Table` (each column's
arrays are computed once, on first use, and linking's index is cached with the
table), its SQL :class:`npqa.lang.sql.Schema`, and writes the SQLite copy that
printed SQL runs on from those same arrays (a table read from a database file
needs no copy: its SQL reads the file, :mod:`npqa.lang.sqlsource`). :class:`npqa.api.TableQA` answers
through a session whatever it is given (a path, ``"-"``, a DataFrame, a Table).
"""
from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Any

from npqa.errors import OptionError, TableError
from npqa.lang.language import Language, Program
from npqa.lang.sql import Schema, SqlText, write_sqlite
from npqa.lang.sqlsource import PlainSql, SourceSql, renderer
from npqa.table.column import Table
from npqa.table.database import database_of


class TableSession:
    """A loaded table with its SQL schema, ready for many questions and programs."""

    def __init__(self, table: Table) -> None:
        self.table = table

    @classmethod
    def open(cls, source: Any, **table_options: Any) -> "TableSession":
        """A session over ``source``: a session (returned as is), a loaded Table, or
        anything :func:`npqa.table.read.load_table` reads (``table_options``: ``sep``,
        ``encoding``, ``header``)."""
        if isinstance(source, TableSession):
            return source
        if isinstance(source, Table):
            return cls(source)
        from npqa.table.read import load_table

        return cls(load_table(source, **table_options))

    @functools.cached_property
    def renderer(self) -> PlainSql | SourceSql:
        """How programs become SQL: over the table's own database file, or over the
        SQLite copy ``--db`` writes (:func:`npqa.lang.sqlsource.renderer`), built once."""
        return renderer(self.table)

    @property
    def schema(self) -> Schema:
        """How the table's columns are named in SQL (built once)."""
        return self.renderer.schema

    def sql(self, program: Program, language: Language, dialect: str | None = None) -> str:
        """The SQL text of ``program`` on this table; :class:`ProgramError` for an
        unknown dialect."""
        return self.sql_text(program, language, dialect).text

    def sql_text(self, program: Program, language: Language, dialect: str | None = None) -> SqlText:
        """The SQL of ``program`` on this table with the line shown under it
        (``dialect`` None: SQLite, or the dialect of the table's database file);
        :class:`ProgramError` for an unknown dialect, :class:`OptionError` for
        another dialect than a database file's."""
        return self.renderer.to_sql(program, language, dialect)

    def refuse_db(self) -> None:
        """:class:`OptionError` when the table lives in a database file: ``--db`` writes
        a copy for SQL that reads table ``t``, and this table's SQL reads the file itself."""
        source = database_of(self.table)
        if source is not None:
            raise OptionError("--db", f"the table already lives in {source.path}, and the printed SQL runs there as it is")

    def write_db(self, db: str | Path) -> None:
        """Write the table as SQLite table ``t`` (the database the printed SQL runs on);
        :class:`OptionError` for a table that already lives in a database file."""
        self.refuse_db()
        try:
            write_sqlite(self.table, db)
        except OSError as err:
            raise TableError(str(db), f"cannot write the database: {err.strerror or err}") from None
        except sqlite3.Error as err:  # not a database file, a directory, a read-only place
            raise TableError(str(db), f"cannot write the database: {err}") from None
