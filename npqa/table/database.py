"""Tables that live in a database file: SQLite (Python's ``sqlite3``) and DuckDB (the ``duckdb`` extra).

:func:`read_database` reads one table of a database file (``--table NAME``, or
the only table there is) into a :class:`DatabaseTable`: the usual columns, plus
where they came from (:class:`DbSource`), so that the printed SQL can read the
user's own table (:mod:`npqa.lang.sqlsource`).

* **Rows** come in the table's storage order: SQLite's ``rowid`` (a ``WITHOUT
  ROWID`` table: its primary key), DuckDB's ``rowid``. Every row is a record: a
  database table has no summary rows.
* **Typed columns keep their types.** A column whose values are all numbers
  (SQLite: every non-NULL value an INTEGER or a REAL; DuckDB: a numeric type)
  is a number column whose numbers are the values themselves; a DuckDB DATE or
  TIMESTAMP column is a date column. What npqa derives from them (the number,
  the year of an integer between 1000 and 2999, a date's parts) is read *with the
  SQL expressions the printed query uses* (:func:`typed_sql`), so the two agree
  by construction. A cell's display text is the database's own text of the value
  (``CAST(x AS TEXT)``): SQLite shows a REAL 3 as ``3.0``, DuckDB a DECIMAL(5,2) as ``2.50``.
* **Text columns** (and any other type, read as the database's text of it) go
  through npqa's one value parser (:mod:`npqa.table.values`), like a CSV column.

The database is opened read-only and never written. DuckDB extensions are
never installed or loaded on the way.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
from sqlglot import exp

from npqa.errors import DependencyError, TableError
from npqa.table.column import Column, MemoryColumn, Table
from npqa.table.values import Date

LABELS = {"sqlite": "SQLite", "duckdb": "DuckDB"}
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
"""DuckDB never fetches or loads an extension while npqa reads or checks a file."""

_DUCK_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
_DUCK_REALS = {"FLOAT", "DOUBLE", "REAL"}
_DUCK_DATES = {"DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}


@dataclass(frozen=True)
class DbColumn:
    """One column of the user's table, as npqa reads it."""

    name: str  # npqa's name of the column (whitespace collapsed, made unique)
    sql_name: str  # its name in the database
    kind: str  # "int" | "real" | "date" (typed) | "text" | "cast" (another type, read as the database's text of it)
    passthrough: bool = False  # typed values that group as their texts do: the query reads the column itself
    has_null: bool = False  # some cell is NULL
    clean: bool = False  # every cell's text is already its display text (nothing to cast or collapse)
    nan: bool = False  # a DuckDB float column holding NaN (no number for npqa)
    spaces: str = ""  # the whitespace characters other than the space its cells hold (display text collapses them)

    @property
    def typed(self) -> bool:
        return self.kind in ("int", "real", "date")


@dataclass(frozen=True)
class DbSource:
    """Where a :class:`DatabaseTable` lives: the file, the table and how its rows are ordered."""

    path: str
    dialect: str  # "sqlite" | "duckdb"
    table: str
    schema: str | None  # the DuckDB schema when not main; None for SQLite's main database
    columns: tuple[DbColumn, ...]
    order: tuple[str, ...]  # the storage order: ("rowid",) or a WITHOUT ROWID table's primary key columns
    order_is_rowid: bool = True

    @property
    def label(self) -> str:
        return LABELS[self.dialect]

    def ref(self, sql_name: str) -> exp.Column:
        """A reference to the user's column ``sql_name``."""
        return exp.Column(this=exp.to_identifier(sql_name, quoted=True))

    def table_ref(self, qualify: bool = False) -> exp.Table:
        """The user's table in SQL; ``qualify``: with its schema (``"main"``), which a
        CTE of the same name cannot shadow."""
        schema = self.schema if self.schema is not None else ("main" if qualify else None)
        db = exp.to_identifier(schema, quoted=True) if schema is not None else None
        return exp.Table(this=exp.to_identifier(self.table, quoted=True), db=db)

    def order_by(self) -> list[exp.Ordered]:
        nulls_first = self.dialect == "sqlite"  # each dialect's default: sqlglot then writes no NULLS clause
        keys = [exp.column(name) if self.order_is_rowid else self.ref(name) for name in self.order]
        return [exp.Ordered(this=key, nulls_first=nulls_first) for key in keys]

    def row_number(self) -> exp.Expression:
        """The row's position in storage order, 0 for the first row."""
        window = exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=self.order_by()))
        return exp.Sub(this=window, expression=exp.Literal.number(1))

    def connect(self) -> Any:
        """A read-only connection to the file."""
        return connect(Path(self.path), self.dialect)


@dataclass(eq=False)
class DatabaseTable(Table):
    """A table read from a database file, with where it came from."""

    database: DbSource | None = None


# --------------------------------------------------------------------------- SQL shared with the printed query


def _cast(value: exp.Expression, to: str) -> exp.Cast:
    return exp.Cast(this=value, to=exp.DataType.build(to))


def text_sql(col: DbColumn, source: DbSource) -> exp.Expression:
    """The database's text of a cell (what npqa reads as the display text, before
    collapsing whitespace): the column itself for text, else ``CAST(x AS TEXT)``."""
    ref = source.ref(col.sql_name)
    return ref if col.kind == "text" else _cast(ref, "TEXT")


def typed_sql(col: DbColumn, source: DbSource) -> dict[str, exp.Expression]:
    """What npqa derives from a typed column, in SQL (``num``, ``year``, ``month``,
    ``day``); the reader reads these very expressions, so they are exact."""
    ref = source.ref(col.sql_name)
    if col.kind == "date":
        year = exp.Year(this=ref.copy())
        return {"num": year, "year": year.copy(), "month": exp.Month(this=ref.copy()), "day": exp.Day(this=ref.copy())}
    num: exp.Expression = _cast(ref.copy(), "DOUBLE")
    if col.nan:
        num = exp.Nullif(this=num, expression=_cast(exp.Literal.string("NaN"), "DOUBLE"))
    out = {"num": num}
    if col.kind == "int":
        years = exp.Between(this=ref.copy(), low=exp.Literal.number(1000), high=exp.Literal.number(2999))
        out["year"] = exp.Case(ifs=[exp.If(this=years, true=ref.copy())])
    return out


# --------------------------------------------------------------------------- opening and listing


def connect(path: Path, dialect: str) -> Any:
    """A read-only connection to the database at ``path``; :class:`TableError` when it
    cannot be opened, :class:`DependencyError` for DuckDB without the duckdb package."""
    what = str(path)
    if dialect == "sqlite":
        try:
            conn = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the header: a broken file fails here
        except sqlite3.Error as err:
            raise TableError(what, f"not a readable SQLite database ({err})") from None
        return conn
    duckdb = _duckdb()
    try:
        return duckdb.connect(str(path), read_only=True, config=dict(DUCKDB_CONFIG))
    except duckdb.Error as err:
        raise TableError(what, f"not a readable DuckDB database ({str(err).splitlines()[0]})") from None


def fetch_rows(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    """Every row ``sql`` gives. A SQLite text that is not UTF-8 is read with U+FFFD for
    its bad bytes (the reader and the check read it alike) instead of failing."""
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError as err:
        if "decode" not in str(err) or not isinstance(conn, sqlite3.Connection):
            raise
    conn.text_factory = lambda b: b.decode("utf-8", "replace")  # slower than str: only when needed
    return conn.execute(sql).fetchall()


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise DependencyError("duckdb", "reading a DuckDB file needs the duckdb package: pip install 'npqa[duckdb]'") from None
    return duckdb


def _errors(dialect: str) -> tuple[type[BaseException], ...]:
    return (sqlite3.Error,) if dialect == "sqlite" else (_duckdb().Error,)


def list_tables(conn: Any, dialect: str) -> list[tuple[str | None, str]]:
    """(schema, name) of each table, schema None for SQLite's and DuckDB's ``main``."""
    if dialect == "sqlite":
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite^_%' ESCAPE '^' ORDER BY rowid")
        return [(None, name) for (name,) in rows.fetchall()]
    rows = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        "AND table_catalog = current_database() ORDER BY table_schema <> 'main', table_schema, table_name"
    ).fetchall()
    return [(None if schema == "main" else schema, name) for schema, name in rows]


def _label(schema: str | None, name: str) -> str:
    return name if schema is None else f"{schema}.{name}"


def _choose(conn: Any, dialect: str, what: str, wanted: str | None) -> tuple[str | None, str]:
    tables = list_tables(conn, dialect)
    labels = [_label(s, n) for s, n in tables]
    if not tables:
        raise TableError(what, f"an empty {LABELS[dialect]} database: it holds no table")
    if wanted is None:
        if len(tables) > 1:
            raise TableError(what, f"the database holds {len(tables)} tables ({', '.join(labels)}); choose one with --table NAME")
        return tables[0]
    if wanted in labels:
        return tables[labels.index(wanted)]
    by_name = [t for t in tables if t[1] == wanted]
    if len(by_name) == 1:
        return by_name[0]
    view = dialect == "sqlite" and conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = ?", (wanted,)).fetchone()
    if view:
        raise TableError(what, f"{wanted!r} is a view; npqa reads tables (a view has no storage order). Its tables: {', '.join(labels)}")
    raise TableError(what, f"no table named {wanted!r}; its tables: {', '.join(labels)}")


# --------------------------------------------------------------------------- reading


TextColumn = Callable[[str, list[str], Optional[str]], Column]
"""(name, raw cell texts, decimal mark) -> a column, as a CSV's cells are read
(:func:`npqa.table.read.make_column`, passed in by :func:`npqa.table.read.load_table`)."""


def read_database(
    path: Path, dialect: str, table: str | None, decimal: str | None, text_column: TextColumn, names: Callable[[list[str]], list[str]]
) -> DatabaseTable:
    """Read table ``table`` (or the only table) of the database file at ``path``;
    ``text_column`` reads a text column's cells, ``names`` makes header names unique
    (:func:`npqa.table.read.unique_names`), both as for a CSV.

    Raises :class:`TableError` (one line, naming the file) for a file that is not a
    readable database, a database with no table, several tables and no ``table``,
    no such table, and a table with no rows; :class:`DependencyError` for a DuckDB
    file without the duckdb package.
    """
    what = str(path)
    conn = connect(path, dialect)
    try:
        try:
            schema, name = _choose(conn, dialect, what, table)
            return _read(conn, path, dialect, schema, name, decimal, text_column, names)
        except _errors(dialect) as err:
            raise TableError(what, f"cannot read the {LABELS[dialect]} database ({str(err).splitlines()[0]})") from None
    finally:
        conn.close()


def _columns_of(conn: Any, dialect: str, schema: str | None, name: str) -> list[tuple[str, str, int]]:
    """(name, declared type, primary-key position or 0) of each column, in order."""
    if dialect == "sqlite":
        rows = conn.execute("SELECT name, type, pk FROM pragma_table_info(?)", (name,)).fetchall()
        return [(n, (t or "").upper(), pk) for n, t, pk in rows]
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema or "main", name],
    ).fetchall()
    return [(n, t.upper(), 0) for n, t in rows]


def _row_order(conn: Any, dialect: str, source_what: str, table_sql: str, cols: list[tuple[str, str, int]]) -> tuple[tuple[str, ...], bool]:
    """The storage order: a rowid alias no column hides (or the primary key of a
    WITHOUT ROWID table), and whether it is a rowid."""
    lowered = {c.lower() for c, _, _ in cols}
    if dialect == "duckdb":
        if "rowid" in lowered:
            raise TableError(source_what, "the table has a column named rowid, which hides DuckDB's row order")
        return ("rowid",), True
    alias = next((a for a in ("rowid", "_rowid_", "oid") if a not in lowered), None)
    if alias is not None:
        try:
            conn.execute(f"SELECT {alias} FROM {table_sql} LIMIT 0")
            return (alias,), True
        except sqlite3.OperationalError:
            pass  # a WITHOUT ROWID table: its primary key orders it
    key = [c for c, _, pk in sorted(cols, key=lambda c: c[2]) if pk > 0]
    if not key:
        raise TableError(source_what, "the table has columns named rowid, _rowid_ and oid, which hide its row order")
    return tuple(key), False


def _kinds(conn: Any, dialect: str, table_sql: str, cols: list[tuple[str, str, int]]) -> list[str]:
    """Each column's kind: "int", "real", "date", "text" or "cast" (see :class:`DbColumn`)."""
    if dialect == "duckdb":
        out = []
        for _, declared, _ in cols:
            base = declared.split("(")[0].strip()
            if base in _DUCK_INTEGERS:
                out.append("int")
            elif base in _DUCK_REALS or base == "DECIMAL":
                out.append("real")
            elif base in _DUCK_DATES:
                out.append("date")
            else:
                out.append("text" if base == "VARCHAR" else "cast")
        return out
    quoted = [exp.to_identifier(c, quoted=True).sql("sqlite") for c, _, _ in cols]
    query = ", ".join(f"group_concat(DISTINCT typeof({q}))" for q in quoted)
    found = conn.execute(f"SELECT {query} FROM {table_sql}").fetchone()
    out = []
    for types in found:
        seen = set((types or "").split(",")) - {"null", ""}
        if seen and seen <= {"integer", "real"}:
            out.append("int" if seen == {"integer"} else "real")
        else:
            out.append("text" if seen <= {"text"} else "cast")
    return out


def _read(
    conn: Any, path: Path, dialect: str, schema: str | None, name: str, decimal: str | None, text_column: TextColumn,
    unique_names: Callable[[list[str]], list[str]],
) -> DatabaseTable:
    what = str(path)
    probe = DbSource(what, dialect, name, schema, (), ())
    table_sql = probe.table_ref(qualify=True).sql(dialect)
    cols = _columns_of(conn, dialect, schema, name)
    if not cols:
        raise TableError(what, f"table {_label(schema, name)!r} has no columns")
    for i, (raw, _, _) in enumerate(cols):
        if "\x00" in raw:
            raise TableError(what, f"column {i + 1}'s name contains a NUL character")
    order, is_rowid = _row_order(conn, dialect, what, table_sql, cols)
    kinds = _kinds(conn, dialect, table_sql, cols)
    names = unique_names([c for c, _, _ in cols])
    stats = _column_stats(conn, dialect, table_sql, cols, kinds)
    columns = tuple(
        DbColumn(n, raw, kind, passthrough=kind in ("int", "real", "date") and stats[j][0], has_null=stats[j][1], nan=stats[j][2])
        for j, (n, (raw, _, _), kind) in enumerate(zip(names, cols, kinds))
    )  # fmt: skip
    source = DbSource(what, dialect, name, schema, columns, order, is_rowid)
    query = exp.select(*(e for c in columns for e in _read_sql(c, source))).from_(source.table_ref(qualify=True))
    rows = fetch_rows(conn, query.order_by(*source.order_by()).sql(dialect))
    if not rows:
        raise TableError(what, f"table {_label(schema, name)!r} has no rows")
    read_columns: list[Any] = []
    final: list[DbColumn] = []
    by_column = list(zip(*rows))  # one tuple per selected expression, in row order
    at = 0
    for col in columns:
        width = len(_read_sql(col, source))
        values = by_column[at : at + width]
        at += width
        if col.typed:
            read_columns.append(_typed_column(col, values))
            final.append(col)
        else:
            raw = ["" if v is None else v for v in values[0]]  # the database's text (CAST AS TEXT when not text)
            read_columns.append(text_column(col.name, raw, decimal))
            distinct = set(raw)
            clean = all(r == " ".join(r.split()) for r in distinct)  # nothing for the display text to collapse
            spaces = "".join(sorted({ch for r in distinct for ch in r if ch.isspace() and ch != " "}))
            final.append(DbColumn(col.name, col.sql_name, col.kind, False, col.has_null, clean, spaces=spaces))
    source = DbSource(what, dialect, name, schema, tuple(final), order, is_rowid)
    out = DatabaseTable(read_columns, what, database=source)
    out.summary_rows = np.zeros(out.n_rows, dtype=bool)  # every row of a database table is a record
    return out


def _column_stats(
    conn: Any, dialect: str, table_sql: str, cols: list[tuple[str, str, int]], kinds: list[str]
) -> list[tuple[bool, bool, bool]]:
    """Per column: (its distinct values have distinct texts, so they group as their
    texts do; it holds a NULL; it holds a NaN), counted by the database itself in one pass."""
    parts = []
    for (raw, declared, _), kind in zip(cols, kinds):
        q = exp.to_identifier(raw, quoted=True).sql(dialect)
        floats = dialect == "duckdb" and declared.split("(")[0].strip() in _DUCK_REALS
        parts.append(f"count(DISTINCT {q}) = count(DISTINCT CAST({q} AS TEXT))" if kind in ("int", "real", "date") else "0")
        parts.append(f"count(*) > count({q})")
        parts.append(f"count(*) FILTER (WHERE isnan({q})) > 0" if floats else "0")
    found = conn.execute(f"SELECT {', '.join(parts)} FROM {table_sql}").fetchone()
    return [(bool(found[3 * j]), bool(found[3 * j + 1]), bool(found[3 * j + 2])) for j in range(len(cols))]


def _read_sql(col: DbColumn, source: DbSource) -> list[exp.Expression]:
    """What the reader selects of a column: its text, then (typed) num, year, month, day."""
    out = [text_sql(col, source)]
    if col.typed:
        derived = typed_sql(col, source)
        out += [derived.get(k, exp.Null()) for k in ("num", "year", "month", "day")]
    return out


def _typed_column(col: DbColumn, values: list[tuple[Any, ...]]) -> MemoryColumn:
    """A number or date column from the database's own text (a number's or a date's:
    no whitespace to collapse) and derivations."""
    import pandas as pd

    texts, num, year, month, day = values
    shown = ["" if t is None else t for t in texts]
    numbers = np.array([np.nan if v is None else v for v in num], dtype=np.float64)
    parts = list(zip(year, month, day))
    known = {  # one Date per distinct date
        (y, m, d): None if y is None else Date(int(y), None if m is None else int(m), None if d is None else int(d))
        for y, m, d in set(parts)
    }  # fmt: skip
    dates = [known[p] for p in parts]
    codes, distinct = pd.factorize(np.asarray(shown, dtype=object))
    return MemoryColumn(
        col.name, shown, numbers, dates, "date" if col.kind == "date" else "number",
        numbers2=np.full(len(shown), np.nan), distinct=np.asarray(distinct, dtype=object), codes=codes,
    )  # fmt: skip


def database_of(table: Any) -> DbSource | None:
    """The database a table was read from, or None."""
    return getattr(table, "database", None)

