"""A program's SQL for a table that lives in a database file: it reads the user's table as it is.

:mod:`npqa.lang.sql` writes every program over a table ``t`` with helper
columns (``"Year.num"``, ``"Team.words"``, ``"row#"``…). For a table read from a
SQLite or DuckDB file (:mod:`npqa.table.database`) ``t`` is a CTE over the
user's own table that computes the helper columns the query reads, and nothing
else, so the query runs on the file with no helper table or column::

    WITH "t" AS (SELECT "Single", CAST("Year" AS REAL) AS "Year.num",
                 ROW_NUMBER() OVER (ORDER BY rowid) - 1 AS "row#" FROM "singles")
    SELECT "Single" FROM "t" WHERE "Year.num" > 2009 AND "Single" <> '' GROUP BY "Single" ORDER BY MIN("row#")

* ``"row#"`` is the row's place in the table's storage order, the order npqa read
  the rows in; a typed column's number and date parts are the very expressions
  the reader read (:func:`npqa.table.database.typed_sql`): both exact by construction.
* What npqa reads from *text* (numbers such as ``1,234``, ISO dates and years,
  the lower-case words of word-match, a display text with its whitespace
  collapsed) is computed by a SQL expression written for the column's cells:
  SQLite has no regular expressions and folds no diacritics, so the words of
  ``Zürich`` come from a ``REPLACE`` per character the column holds.
* **Each derivation a query reads is checked on the file**: the database
  computes it for every row and npqa compares that with its own reading
  (once per column and derivation, cached). Where they differ (``$4.5
  million``, ``May 3, 2004``, a decimal comma), :attr:`SqlText.caveat` says so in
  one line, and that line is shown under the SQL.

A typed column's values stay typed: the query prints the user's numbers and
dates and tests an empty cell with ``IS NULL``, unless two values share one
text (then it reads the text, ``CAST(x AS TEXT)``).
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from typing import Any

import numpy as np
from sqlglot import exp

from npqa.errors import OptionError, ProgramError, TableError
from npqa.lang.language import Language, Program
from npqa.lang.sql import TABLE, Schema, SqlText, helper_columns, program_sql
from npqa.table.column import Table
from npqa.table.database import DbColumn, DbSource, database_of, fetch_rows, text_sql, typed_sql
from npqa.table.text import ascii_lower

MAX_REPLACES = 40
"""At most this many characters get a ``REPLACE`` in a column's words; more are left
out (the check then says the words are not exact)."""

_WORDISH = re.compile(r"[^0-9a-z]")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_PARTS = ("year", "month", "day")


def _lit(text: str) -> exp.Expression:
    """A string literal; a control character as ``CHAR(n)`` (``CHR(n)`` in DuckDB)."""
    if len(text) == 1 and not text.isprintable():
        return exp.Chr(expressions=[exp.Literal.number(ord(text))])
    return exp.Literal.string(text)


def _replace(value: exp.Expression, old: str, new: str) -> exp.Expression:
    return exp.Replace(this=value, expression=_lit(old), replacement=exp.Literal.string(new))


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def char_words(ch: str) -> str:
    """What one character becomes in :func:`npqa.table.text.match_text` before runs
    of spaces collapse: ``ü`` → ``u``, ``-`` → a space, a combining mark → nothing.

    >>> [char_words(c) for c in "Zü-\\u0301¼"]
    ['z', 'u', ' ', '', '1 4']
    """
    decomposed = unicodedata.normalize("NFKD", ch.lower())
    return _NON_WORD.sub(" ", "".join(c for c in decomposed if not unicodedata.combining(c)))


class PlainSql:
    """The SQL of programs over the SQLite copy that ``--db`` writes (table ``t``)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    @functools.cached_property
    def schema(self) -> Schema:
        return Schema.of_table(self.table)

    def to_sql(self, program: Program, language: Language, dialect: str | None = None) -> SqlText:
        """The program's SQL in ``dialect`` (default SQLite) with the note on its helper columns."""
        from npqa.lang.sql import to_sql

        try:
            return to_sql(program, self.schema, language, dialect=dialect or "sqlite")
        except ValueError as err:  # sqlglot: unknown dialect
            raise ProgramError("--dialect", str(err).splitlines()[0]) from None


class SourceSql:
    """The SQL of programs over a table in a database file (see the module docstring)."""

    def __init__(self, table: Table, source: DbSource) -> None:
        self.table = table
        self.source = source
        self.db_columns = {c.name: c for c in source.columns}
        self._checked: dict[str, tuple[int, str]] = {}  # helper SQL name -> (rows that differ, an example cell)

    @functools.cached_property
    def schema(self) -> Schema:
        cols = self.table.columns
        typed = [self.db_columns[c.name].passthrough for c in cols]
        return Schema.of([c.name for c in cols], [c.kind for c in cols], False, typed)

    # -- the query ---------------------------------------------------------------------
    def to_sql(self, program: Program, language: Language, dialect: str | None = None) -> SqlText:
        """The program's SQL on the file, in the file's dialect, and the caveat ('' when exact)."""
        source = self.source
        if dialect is not None and dialect != source.dialect:
            raise OptionError("--dialect", f"the SQL runs on {source.path}, a {source.label} file, so it is written for {source.dialect}")
        body = program_sql(program, self.schema, language)
        read = list(dict.fromkeys(c.name for c in body.find_all(exp.Column)))
        helpers = helper_columns(body, self.schema)
        query = self._with_source(body, read)
        caveat = self.caveat(read)
        return SqlText(query.sql(dialect=source.dialect), helpers, caveat, caveat)

    def _with_source(self, body: exp.Select, read: list[str]) -> exp.Select:
        """``body`` with the CTE ``t`` over the user's table first among its CTEs."""
        key = "with_" if "with_" in exp.Select.arg_types else "with"
        steps = body.args.get(key)
        body.set(key, None)
        query = body.with_(exp.to_identifier(TABLE, quoted=True), as_=self.cte(read))
        for cte in steps.expressions if steps is not None else []:
            query = query.with_(cte.args["alias"].this, as_=cte.this)
        return query

    def cte(self, read: list[str]) -> exp.Select:
        """``SELECT <the columns and helpers read> FROM <the user's table>``."""
        wanted = set(read)
        items: list[exp.Expression] = []
        for name, col in self.schema.columns.items():
            db = self.db_columns[name]
            for which, sql_name in col.names.items():
                if sql_name in wanted:
                    items.append(self._item(db, which, sql_name))
        if self.schema.row in wanted:
            items.append(exp.alias_(self.source.row_number(), self.schema.row, quoted=True))
        table = self.source.table
        shadowed = table.lower() == TABLE or re.fullmatch(r"step[0-9]+", table.lower()) is not None
        return exp.select(*(items or [exp.Star()])).from_(self.source.table_ref(qualify=shadowed))

    def _item(self, db: DbColumn, which: str, sql_name: str) -> exp.Expression:
        expression = self.derivation(db, which)
        if isinstance(expression, exp.Column) and expression.name == sql_name:
            return expression
        return exp.alias_(expression, sql_name, quoted=True)

    # -- derivations ----------------------------------------------------------------------
    def derivation(self, db: DbColumn, which: str) -> exp.Expression:
        """The SQL of one column's ``which`` ("text", "num", "num2", "year", "month", "day", "words")."""
        source = self.source
        if which == "text":
            if db.passthrough:
                return source.ref(db.sql_name)
            if db.clean or db.typed:  # the database's text is the display text
                return text_sql(db, source)
            return self._collapse(db, text_sql(db, source))
        if which == "words":
            return self._words(db)
        if db.typed:
            return typed_sql(db, source).get(which, exp.Null())
        column = self.table[db.name]
        base = self.derivation(db, "text")
        distinct = column.distinct_view() or column  # what is written once per distinct text
        if which == "num":
            return self._number(distinct.texts, column.num, base)
        if which == "num2":  # SQLite has no regular expressions to find it: the caveat says where it is missed
            return exp.Null()
        return self._date_part(distinct.texts, distinct.dates, base, which)

    def _collapse(self, db: DbColumn, value: exp.Expression) -> exp.Expression:
        """``value`` with every run of whitespace one space, ends trimmed."""
        spaces = " " + db.spaces
        if self.source.dialect == "duckdb":
            cls = r"\s" if set(spaces) <= set(" \t\n\r\f\v") else "".join(f"\\x{{{ord(c):x}}}" for c in spaces)
            return exp.Trim(this=exp.RegexpReplace(this=value, expression=exp.Literal.string(f"[{cls}]+"),
                                                   replacement=exp.Literal.string(" "), modifiers=exp.Literal.string("g")))  # fmt: skip
        for ch in db.spaces:
            value = _replace(value, ch, " ")
        texts = "".join(self.table[db.name].lines()[0])
        marks = next((m for m in ("<>", "{}", "[]", "^~", "\x01\x02") if not set(m) & set(texts)), "\x01\x02")
        return exp.Trim(this=_squeeze(value, marks))

    def _words(self, db: DbColumn) -> exp.Expression:
        """``' ' || <the cell's match words> || ' '``, as :func:`npqa.table.text.padded`."""
        column = self.table[db.name]
        value: exp.Expression = text_sql(db, self.source)
        if db.has_null:
            value = exp.Coalesce(this=value, expressions=[exp.Literal.string("")])
        value = exp.Lower(this=value)
        duck = self.source.dialect == "duckdb"
        lowered = {ch for t in column.lines()[0] for ch in (t.lower() if duck else ascii_lower(t))} | set(db.spaces)
        odd = sorted(ch for ch in lowered if _WORDISH.match(ch) and ch != " ")
        if duck:  # the regular expression turns the rest into spaces
            odd = [ch for ch in odd if char_words(ch) != " "]
        for ch in odd[:MAX_REPLACES]:
            value = _replace(value, ch, char_words(ch))
        if duck:
            value = exp.RegexpReplace(this=value, expression=exp.Literal.string("[^0-9a-z]+"),
                                      replacement=exp.Literal.string(" "), modifiers=exp.Literal.string("g"))  # fmt: skip
        elif not (db.clean or db.typed) or any("  " in "".join(char_words(ch) for ch in ascii_lower(t)) for t in column.lines()[0]):
            value = _squeeze(value, "<>")  # some cell has a run of spaces, or characters that become one
        space = exp.Literal.string(" ")
        return exp.DPipe(this=exp.DPipe(this=space, expression=exp.Trim(this=value), safe=True), expression=space.copy(), safe=True)

    def _number(self, texts: Any, num: np.ndarray, base: exp.Expression) -> exp.Expression:
        """The number a text starts with, as npqa reads plain numbers (``12``, ``-3.5``,
        ``1,234``, ``12 km``): NULL unless the text starts with a digit (or ``-`` and a digit)."""
        if np.isnan(num).all():
            return exp.Null()
        starts = {t[:2] for t in texts}
        digit = exp.Glob(this=base.copy(), expression=exp.Literal.string("[0-9]*"))
        cond: exp.Expression = digit
        if any(s[:1] == "-" and s[1:2].isdigit() for s in starts):
            cond = exp.or_(digit, exp.Glob(this=base.copy(), expression=exp.Literal.string("-[0-9]*")))
        value = base.copy()
        if any("," in t for t in texts):
            value = _replace(value, ",", "")
        if self.source.dialect == "duckdb":  # DuckDB's CAST takes only a whole number: cut it out first
            value = exp.RegexpExtract(this=value, expression=exp.Literal.string(r"^-?[0-9]+(\.[0-9]+)?"))
        number = exp.Cast(this=value, to=exp.DataType.build("DOUBLE"))
        return exp.Case(ifs=[exp.If(this=cond, true=number)])

    def _date_part(self, texts: Any, dates: Any, base: exp.Expression, which: str) -> exp.Expression:
        """A date part of the ISO dates (``2004-05-03``, ``2004-05``) and years (``2004``)
        among the column's cells; NULL for other cells."""
        forms = {"year": [], "day": [], "month": []}  # form -> valid?
        for text, date in zip(texts, dates):
            if re.fullmatch(r"[0-9]{4}", text):
                forms["year"].append(date is not None)
            elif re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
                forms["day"].append(date is not None)
            elif re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):
                forms["month"].append(date is not None)
        ifs: list[exp.If] = []

        def substr(start: int, length: int) -> exp.Expression:
            return _fn("SUBSTR", base.copy(), exp.Literal.number(start), exp.Literal.number(length))

        def integer(value: exp.Expression) -> exp.Expression:
            return exp.Cast(this=value, to=exp.DataType.build("INTEGER"))

        if forms["year"] and which == "year":
            cond = exp.and_(_glob(base, "[0-9][0-9][0-9][0-9]"),
                            exp.Between(this=base.copy(), low=exp.Literal.string("1000"), high=exp.Literal.string("2999")))  # fmt: skip
            ifs.append(exp.If(this=cond, true=integer(base.copy())))
        iso = []
        if forms["day"]:
            cond = _glob(base, "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]")
            if not all(forms["day"]):
                cond = exp.and_(cond, _month_ok(substr(6, 2)), _day_ok(substr(6, 2), substr(9, 2)))
            iso.append(cond)
        if forms["month"] and which != "day":
            cond = _glob(base, "[0-9][0-9][0-9][0-9]-[0-9][0-9]")
            if not all(forms["month"]):
                cond = exp.and_(cond, _month_ok(substr(6, 2)))
            iso.append(cond)
        if iso:
            start, length = {"year": (1, 4), "month": (6, 2), "day": (9, 2)}[which]
            ifs.append(exp.If(this=exp.or_(*iso) if len(iso) > 1 else iso[0], true=integer(substr(start, length))))
        return exp.Case(ifs=ifs) if ifs else exp.Null()

    # -- the check -----------------------------------------------------------------------
    def caveat(self, read: list[str]) -> str:
        """One line saying which derivations the query reads differ from npqa's reading
        on this file ('' when none does), checked on first use."""
        owners = self._owners()
        todo = [name for name in read if name in owners and name not in self._checked]
        if todo:
            self._check(todo, owners)
        bad = [(name, *self._checked[name]) for name in read if name in owners and self._checked[name][0]]
        if not bad:
            return ""
        n = self.table.n_rows
        parts = [f"{exp.to_identifier(name, quoted=True).sql(self.source.dialect)} ({k} of {n} rows, e.g. {example!r})"
                 for name, k, example in bad]  # fmt: skip
        return (f"-- note: {self.source.label} cannot compute exactly what npqa reads for " + ", ".join(parts)
                + ": where they differ, this query's answer may differ from npqa's")  # fmt: skip

    def _owners(self) -> dict[str, tuple[DbColumn, str]]:
        """Each checkable SQL name -> (its column, which derivation); exact ones left out."""
        out = {}
        for name, col in self.schema.columns.items():
            db = self.db_columns[name]
            for which, sql_name in col.names.items():
                exact = (which == "text" and (db.passthrough or db.clean or db.typed)) or (db.typed and which in ("num", *_PARTS))
                if not exact:
                    out[sql_name] = (db, which)
        return out

    def _check(self, names: list[str], owners: dict[str, tuple[DbColumn, str]]) -> None:
        source = self.source
        query = exp.select(*(self.derivation(*owners[n]) for n in names)).from_(source.table_ref(qualify=True))
        failures = (OSError, *_db_errors(source))
        conn = source.connect()
        try:
            rows = fetch_rows(conn, query.order_by(*source.order_by()).sql(source.dialect))
        except failures as err:  # the file changed or vanished since it was read
            raise TableError(source.path, f"cannot check the SQL on the database ({str(err).splitlines()[0]})") from None
        finally:
            conn.close()
        if len(rows) != self.table.n_rows:
            raise TableError(source.path, "the table changed since npqa read it; ask again")
        for j, name in enumerate(names):
            db, which = owners[name]
            column = self.table[db.name]
            want = {"text": column.texts, "words": column.norm}.get(which)
            wanted = want if want is not None else getattr(column, "num" if which == "num" else which)
            differ = [r for r, row in enumerate(rows) if not _same(row[j], wanted[r], which)]
            self._checked[name] = (len(differ), column.texts[differ[0]][:40] if differ else "")


def _db_errors(source: DbSource) -> tuple[type[BaseException], ...]:
    import sqlite3

    if source.dialect == "sqlite":
        return (sqlite3.Error,)
    import duckdb

    return (duckdb.Error,)


def _same(got: Any, want: Any, which: str) -> bool:
    """A database's value of a derivation equals npqa's (NULL: NaN, or an empty text)."""
    if which in ("text", "words"):
        return (got if got is not None else "") == want if which == "text" else got == want
    if got is None:
        return math.isnan(want)
    try:
        return float(got) == float(want)
    except (TypeError, ValueError):
        return False


def _glob(value: exp.Expression, pattern: str) -> exp.Expression:
    return exp.Glob(this=value.copy(), expression=exp.Literal.string(pattern))


def _month_ok(month: exp.Expression) -> exp.Expression:
    return exp.Between(this=month, low=exp.Literal.string("01"), high=exp.Literal.string("12"))


def _day_ok(month: exp.Expression, day: exp.Expression) -> exp.Expression:
    """The day exists in the month (February up to 29, as npqa reads dates)."""
    last = exp.Case(
        this=month,
        ifs=[exp.If(this=exp.Literal.string(m), true=exp.Literal.string(d)) for m, d in
             [("02", "29"), ("04", "30"), ("06", "30"), ("09", "30"), ("11", "30")]],
        default=exp.Literal.string("31"),
    )  # fmt: skip
    return exp.Between(this=day, low=exp.Literal.string("01"), high=last)


def _squeeze(value: exp.Expression, marks: str) -> exp.Expression:
    """Runs of spaces made one space by three REPLACEs, with two marker characters the
    text does not hold: ``' '`` → ``'<>'``, ``'><'`` → ``''``, ``'<>'`` → ``' '``."""
    a, b = marks
    value = _replace(value, " ", a + b)
    value = _replace(value, b + a, "")
    return _replace(value, a + b, " ")


def renderer(table: Table) -> PlainSql | SourceSql:
    """How programs over ``table`` become SQL: over its own database file's table
    (:class:`SourceSql`), or over the SQLite copy ``--db`` writes (:class:`PlainSql`)."""
    source = database_of(table)
    return SourceSql(table, source) if source is not None else PlainSql(table)


__all__ = ["MAX_REPLACES", "PlainSql", "SourceSql", "char_words", "renderer"]
