"""Programs as SQL a person reads: built with sqlglot's expression builders, never by pasting.

The query runs on table ``t`` as :func:`npqa.lang.sqldb.write_sqlite` writes it:
the display text under each header, and helper columns (``"<name>.num"``, the
date parts ``.year``/``.month``/``.day``, the match text ``.words``, the row
position ``"row#"``); :func:`helper_note` says in one line what the ones a query
reads hold. ``Schema`` and ``write_sqlite`` are importable from here too.

A program is rendered as the simplest query that means it (:func:`program_sql`).
The carried rows are a condition on the rows of ``t`` (:class:`Rows`): a filter
ANDs its condition to it (``also_match`` ORs it); ``argmax``/``argmin``/``mode``
AND a comparison with a scalar subquery over the carried rows; ``first``/``last``/
``previous``/``next`` pick rows by position from a subquery over them. The
terminal op SELECTs its aggregate (or the printed cells) from ``t`` WHERE that
condition. Only rows whose condition already holds a subquery, read again by an
op that reads them twice, are first named as a CTE ``stepN``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from npqa.lang.language import Language, Program
from npqa.lang.sqldb import TABLE, Schema, SqlColumn, col_ref, ident, write_sqlite
from npqa.table.text import padded

__all__ = [
    "TABLE", "Rows", "Schema", "SqlContext", "SqlText",
    "helper_columns", "helper_note", "program_sql", "render", "to_sql", "write_sqlite",
]  # fmt: skip


@dataclass(frozen=True)
class Rows:
    """The carried rows in SQL: the rows of ``source`` meeting ``where``.

    ``source`` is table ``t``, or a CTE naming some of its rows (see
    :meth:`SqlContext.carried`); ``where`` is None for every row of it.
    """

    source: str = TABLE
    where: exp.Expression | None = None
    single: bool = False  # at most one row (after first/last): printing needs no grouping


def _and(*conds: exp.Expression | None) -> exp.Expression | None:
    """``a AND b AND c``, flat (no parentheses around an AND inside), skipping None."""
    parts = [p for c in conds if c is not None for p in (c.flatten() if isinstance(c, exp.And) else [c])]
    return exp.and_(*parts) if parts else None


def _or(*conds: exp.Expression) -> exp.Expression:
    """``a OR b OR c``, flat; an AND inside is parenthesised."""
    return exp.or_(*(p for c in conds for p in (c.flatten() if isinstance(c, exp.Or) else [c])))


def _select(value: exp.Expression, source: str, where: exp.Expression | None, limit: int | None = None) -> exp.Select:
    query = exp.select(value)
    if limit is not None:  # set before FROM, as sqlglot's parser does, so that the tree equals its own parse
        query = query.limit(exp.Literal.number(limit))
    query = query.from_(ident(source))
    return query.where(where) if where is not None else query


@dataclass
class SqlContext:
    """What one op's ``sql`` function sees: the carried rows and its column.

    A filter's ``sql`` returns its condition (the renderer ANDs it to the
    carried rows, or ORs it for a union filter); another row op's returns the
    new carried :class:`Rows`; a terminal op's returns the whole SELECT.
    """

    schema: Schema
    rows: Rows
    col: SqlColumn | None = None
    ctes: list[tuple[str, exp.Select]] = field(default_factory=list)  # shared by every step of one program
    step: int = 0  # row steps done before this one

    # -- values and conditions -------------------------------------------------
    def column(self, name: str) -> SqlColumn:
        """Another column of the table, by name (an op's column-name constant)."""
        return self.schema.columns[name]

    @property
    def row(self) -> exp.Column:
        """The row's position, 0 for the first row."""
        return col_ref(self.schema.row)

    def literal(self, value: float | str) -> exp.Expression:
        if isinstance(value, str):
            return exp.Literal.string(value)
        if float(value).is_integer() and abs(value) < 1e15:
            return exp.Literal.number(int(value))
        return exp.Literal.number(repr(float(value)))

    def compare(self, op: str, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        cls = {">": exp.GT, "<": exp.LT, ">=": exp.GTE, "<=": exp.LTE, "=": exp.EQ}[op]
        return cls(this=left, expression=right)

    def date_key(self, parts: int, missing_as_zero: bool = False) -> exp.Expression:
        """``year``, ``year * 100 + month`` or ``year * 10000 + month * 100 + day``
        (NULL where a part is; with ``missing_as_zero`` an unknown month/day counts as 0)."""
        col = self.col
        assert col is not None
        names = ("year", "month", "day")[:parts]
        scales = (10 ** (2 * (parts - 1 - i)) for i in range(parts))
        key: exp.Expression | None = None
        for i, (name, scale) in enumerate(zip(names, scales)):
            term: exp.Expression = getattr(col, name)
            if i > 0 and missing_as_zero:
                term = exp.Coalesce(this=term, expressions=[exp.Literal.number(0)])
            if scale != 1:
                term = exp.Mul(this=term, expression=exp.Literal.number(scale))
            key = term if key is None else exp.Add(this=key, expression=term)
        return key  # type: ignore[return-value]

    def order_key(self) -> exp.Expression:
        """What argmax/argmin compare: the number, or the date with unknown month/day as 0."""
        col = self.col
        assert col is not None
        return self.date_key(3, missing_as_zero=True) if col.kind == "date" else col.num

    def contains_words(self, value: str) -> exp.Expression:
        """The cell's words hold ``value``'s words as a run: ``"X.words" LIKE '% los angeles %'``.

        The words column and the needle hold only ``[0-9a-z ]``, so LIKE's wildcards
        and its ASCII case folding cannot change what matches.
        """
        needle = padded(value)
        return exp.Like(this=self.col.words, expression=exp.Literal.string(f"%{needle}%"))  # type: ignore[union-attr]

    def all_of(self, *conds: exp.Expression | None) -> exp.Expression | None:
        """``a AND b AND c``, flat, skipping None."""
        return _and(*conds)

    def nonempty(self) -> exp.Expression:
        """The cell is not empty: ``"X" <> ''`` (NULL fails it too), ``NOT "X" IS NULL`` for typed values."""
        col = self.col
        assert col is not None
        if col.typed:
            return exp.Not(this=exp.Is(this=col.text, expression=exp.Null()))
        return exp.NEQ(this=col.text, expression=exp.Literal.string(""))

    # -- the carried rows --------------------------------------------------------
    def carried(
        self, value: exp.Expression, also: exp.Expression | None = None, reused: bool = False, limit: int | None = None
    ) -> exp.Select:
        """``SELECT value FROM <the carried rows> [AND also]``, to use inside a subquery.

        ``reused``: the op reads the carried rows again outside this subquery
        (argmax, mode). Then, when their condition already holds a subquery, they
        are first named as a CTE ``stepN`` (and ``self.rows`` becomes that CTE's
        rows), so that no subquery is ever copied: a chain of such ops grows the
        query step by step, not exponentially.
        """
        if reused and self.rows.where is not None and self.rows.where.find(exp.Subquery) is not None:
            self.name_rows()
        rows = self.rows
        return _select(value, rows.source, _and(rows.where, also), limit)

    def name_rows(self) -> None:
        """Name the carried rows as a CTE ``stepN`` when a condition picks them, so
        that an op reading them again (:meth:`carried` with ``reused``; once per
        column, ``header_argmax``) repeats a name, not the condition; ``self.rows``
        becomes that CTE's rows."""
        rows = self.rows
        if rows.where is not None:
            name = f"step{self.step}"
            self.ctes.append((name, _select(exp.Star(), rows.source, rows.where)))
            self.rows = Rows(name, None, rows.single)

    def start(self) -> exp.Expression | None:
        """``"summary#" = 0`` (the table's start rows), or None when it has no summary rows."""
        if self.schema.summary is None:
            return None
        return exp.EQ(this=exp.column(self.schema.summary, quoted=True), expression=exp.Literal.number(0))

    def narrow(self, cond: exp.Expression, reads_summary: bool = False) -> Rows:
        """The carried rows meeting ``cond`` (read after ``cond`` is built: it may
        have named the carried rows, see :meth:`carried`); with ``reads_summary``,
        the summary rows meeting it too."""
        rows = self.rows
        if not reads_summary or self.schema.summary is None or rows.where is None and rows.source == TABLE:
            return Rows(rows.source, _and(rows.where, cond), rows.single)
        if rows.source == TABLE:
            carried = rows.where
        else:
            carried = exp.In(this=self.row, query=_select(self.row, rows.source, rows.where).subquery())
        summary = exp.EQ(this=exp.column(self.schema.summary, quoted=True), expression=exp.Literal.number(1))
        return Rows(TABLE, _and(exp.Paren(this=_or(carried, summary)), cond))

    def widen(self, cond: exp.Expression) -> Rows:
        """The carried rows plus the rows of ``t`` meeting ``cond``."""
        rows = self.rows
        if rows.source == TABLE:
            carried = rows.where
        else:
            carried = exp.In(this=self.row, query=_select(self.row, rows.source, rows.where).subquery())
        return Rows(TABLE, None if carried is None else _or(carried, cond))

    def pick(self, cond: exp.Expression | None, single: bool = False) -> Rows:
        """The rows of ``t`` meeting ``cond`` (which reads the carried rows, if at all,
        through :meth:`carried`)."""
        return Rows(TABLE, cond, single)

    def most_frequent(self) -> exp.Subquery:
        """The non-empty texts of the column most frequent among the carried rows (ties: all)."""
        text = self.col.text  # type: ignore[union-attr]
        count = exp.Count(this=exp.Star())
        top = (
            self.carried(count.copy(), self.nonempty(), reused=True, limit=1)
            .group_by(text.copy())
            .order_by(exp.Ordered(this=count.copy(), desc=True))
        )
        texts = self.carried(text.copy(), self.nonempty(), reused=True).group_by(text.copy())
        return texts.having(exp.EQ(this=count.copy(), expression=top.subquery())).subquery()

    # -- terminal SELECTs ------------------------------------------------------------
    def select(self, value: exp.Expression, also: exp.Expression | None = None) -> exp.Select:
        """``SELECT value FROM <the carried rows> [AND also]`` (an aggregate: the answer)."""
        return _select(value, self.rows.source, _and(self.rows.where, also))

    def select_values(self, value: exp.Expression, present: exp.Expression | None = None) -> exp.Select:
        """``value`` (read from each carried row) where ``present`` holds (default: the
        value is not NULL), distinct, in row order: what the ops reading a part of a cell answer."""
        if present is None:
            present = exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))
        query = _select(value, self.rows.source, _and(self.rows.where, present))
        if self.rows.single:
            return query
        return query.group_by(value.copy()).order_by(exp.Min(this=self.row))

    def select_cells(self) -> exp.Select:
        """The column's distinct non-empty cells of the carried rows, in row order."""
        return self.select_values(self.col.text, self.nonempty())  # type: ignore[union-attr]


def program_sql(program: Program, schema: Schema, language: Language) -> exp.Select:
    """One SQL query computing ``program`` over table ``t`` written by :func:`write_sqlite`.

    Filters become one WHERE (intersecting filters AND-ed, ``also_match`` OR-ed)
    under the terminal op's aggregate:

    >>> from npqa.grammars.ops import LANGUAGE
    >>> from npqa.lang.textform import parse
    >>> schema = Schema.of(["Year", "Team", "Date"], ["number", "text", "date"])
    >>> def show(text):
    ...     print(program_sql(parse(text, LANGUAGE), schema, LANGUAGE).sql("sqlite"))
    >>> show('count(greater(word_match(reset, "Team", "Lakers"), "Year", 2004))')
    SELECT COUNT(*) FROM "t" WHERE "Team.words" LIKE '% lakers %' AND "Year.num" > 2004
    >>> show('sum(also_match(word_match(reset, "Team", "Oslo"), "Team", "Rome"), "Year")')
    SELECT COALESCE(SUM("Year.num"), 0) FROM "t" WHERE "Team.words" LIKE '% oslo %' OR "Team.words" LIKE '% rome %'

    ``argmax``/``argmin`` compare with a scalar subquery over the carried rows,
    ``first``/``last``/``previous``/``next`` pick rows by position (``"row#"``);
    printing one row (after ``first``/``last``) needs no grouping:

    >>> show('print(argmax(reset, "Year"), "Team")')
    SELECT "Team" FROM "t" WHERE "Year.num" = (SELECT MAX("Year.num") FROM "t") AND "Team" <> '' GROUP BY "Team" ORDER BY MIN("row#")
    >>> show('print(first(geq(reset, "Date", 2004-05-xx)), "Team")')
    SELECT "Team" FROM "t" WHERE "row#" = (SELECT MIN("row#") FROM "t" WHERE "Date.year" * 100 + "Date.month" >= 200405) AND "Team" <> ''
    >>> show('count(previous(equal(reset, "Date", 2004-05-01)))')
    SELECT COUNT(*) FROM "t" WHERE "row#" IN (SELECT "row#" - 1 FROM "t" WHERE "Date.year" = 2004 AND "Date.month" = 5 AND "Date.day" = 1)

    Rows whose condition holds a subquery are named (a CTE) before an op that
    reads them twice reads them:

    >>> show('count(argmin(argmax(reset, "Year"), "Year"))')
    WITH "step1" AS (SELECT * FROM "t" WHERE "Year.num" = (SELECT MAX("Year.num") FROM "t")) SELECT COUNT(*) FROM "step1" WHERE "Year.num" = (SELECT MIN("Year.num") FROM "step1")
    """
    rows = Rows(TABLE, SqlContext(schema, Rows(), None, [], 0).start())  # the start rows
    ctes: list[tuple[str, exp.Select]] = []
    for i, step in enumerate(program.row_steps):
        spec = language[step.op]
        ctx = SqlContext(schema, rows, _column(schema, step.column), ctes, i)
        if spec.condition:
            cond = spec.sql(ctx, step.constant)
            rows = ctx.widen(cond) if spec.union else ctx.narrow(cond, spec.reads_summary)
        else:
            rows = spec.sql(ctx)
    term = program.terminal
    ctx = SqlContext(schema, rows, _column(schema, term.column), ctes, len(program.row_steps))
    spec = language[term.op]
    final: exp.Select = spec.sql(ctx) if spec.constant is None else spec.sql(ctx, term.constant)
    for name, query in ctes:
        final = final.with_(ident(name), as_=query)
    return final


def _column(schema: Schema, name: str | None) -> SqlColumn | None:
    return schema.columns[name] if name is not None else None


def render(program: Program, schema: Schema, language: Language, dialect: str = "sqlite") -> str:
    """The program's SQL text in ``dialect`` (any dialect sqlglot knows)."""
    return program_sql(program, schema, language).sql(dialect=dialect)


# ---------------------------------------------------------------------------
# what the helper columns hold
# ---------------------------------------------------------------------------
_PARTS = ("year", "month", "day")


def _quoted(name: str, dialect: str) -> str:
    return ident(name).sql(dialect=dialect)


def _helpers_read(query: exp.Expression, schema: Schema) -> list[tuple[str, str, str | None]]:
    """(SQL name, which helper, source column) of each helper column ``query`` reads,
    in order of first use."""
    names = dict.fromkeys(col.name for col in query.find_all(exp.Column, bfs=False))
    return [(name, *schema.helpers[name]) for name in names if name in schema.helpers]


_HELPER_WORDS = {"num": "number", "num2": "second number (the 2 of 5–2)"}


def _meaning(which: str, source: str | None, dialect: str = "sqlite") -> str:
    if which == "row":
        return "the row's position, 0 for the first row"
    if which == "summary":
        return "1 for a summary row (a Total, a repeated header), left out unless a question names it"
    column = _quoted(source, dialect)  # type: ignore[arg-type]
    if which == "words":
        return f"the lower-case words of {column} between spaces"
    return f"the {_HELPER_WORDS.get(which, which)} read from {column}"


def helper_columns(query: exp.Expression, schema: Schema) -> dict[str, str]:
    """What each helper column ``query`` reads holds, in words (``--json``'s ``sql_helpers``).

    >>> from npqa.grammars.ops import LANGUAGE
    >>> from npqa.lang.textform import parse
    >>> schema = Schema.of(["Year", "Team"], ["number", "text"])
    >>> query = program_sql(parse('print(first(greater(reset, "Year", 2004)), "Team")', LANGUAGE), schema, LANGUAGE)
    >>> helper_columns(query, schema)
    {'row#': "the row's position, 0 for the first row", 'Year.num': 'the number read from "Year"'}
    """
    return {name: _meaning(which, source) for name, which, source in _helpers_read(query, schema)}


def helper_note(query: exp.Expression, schema: Schema, dialect: str = "sqlite") -> str:
    """One line saying what the helper columns ``query`` reads hold ('' when it reads none):
    a SQL comment, shown under the SQL. A date's parts share one clause.

    >>> from npqa.grammars.ops import LANGUAGE
    >>> from npqa.lang.textform import parse
    >>> schema = Schema.of(["Date", "Team"], ["date", "text"])
    >>> query = program_sql(parse('count(equal(word_match(reset, "Team", "Oslo"), "Date", 2004-05-01))', LANGUAGE), schema, LANGUAGE)
    >>> helper_note(query, schema)
    '-- "Team.words" is the lower-case words of "Team" between spaces; "Date.year", "Date.month", "Date.day" are the year, month, day read from "Date"'
    """
    clauses: list[str] = []
    parts: dict[str | None, list[str]] = {}  # source column -> its date parts read, in order
    for name, which, source in _helpers_read(query, schema):
        if which in _PARTS:
            if source not in parts:
                parts[source] = []
                clauses.append(f"\0{source}")  # placeholder: the source's date clause, filled below
            parts[source].append(name)
        else:
            clauses.append(f"{_quoted(name, dialect)} is {_meaning(which, source, dialect)}")
    for source, names in parts.items():
        names.sort(key=lambda n: _PARTS.index(schema.helpers[n][0]))
        whiches = [schema.helpers[n][0] for n in names]
        if len(names) == 1:
            text = f"{_quoted(names[0], dialect)} is {_meaning(whiches[0], source, dialect)}"
        else:
            quoted = ", ".join(_quoted(n, dialect) for n in names)
            text = f"{quoted} are the {', '.join(whiches)} read from {_quoted(source, dialect)}"  # type: ignore[arg-type]
        clauses[clauses.index(f"\0{source}")] = text
    return "-- " + "; ".join(clauses) if clauses else ""


@dataclass(frozen=True)
class SqlText:
    """A program's SQL in one dialect, with what its helper columns hold."""

    text: str
    helpers: dict[str, str]  # helper column -> what it holds (:func:`helper_columns`)
    note: str  # the line shown under the SQL: :func:`helper_note` ('' when the query reads no helper column),
    # or for a table in a database file the caveat
    caveat: str = ""  # what the SQL cannot compute as npqa reads it ('' when exact; :mod:`npqa.lang.sqlsource`)


def to_sql(program: Program, schema: Schema, language: Language, dialect: str = "sqlite") -> SqlText:
    """The program's SQL text in ``dialect`` and the note on its helper columns."""
    query = program_sql(program, schema, language)
    return SqlText(query.sql(dialect=dialect), helper_columns(query, schema), helper_note(query, schema, dialect))
