"""Big CSV files read by DuckDB: columns classified in SQL, Python given distinct strings only.

DuckDB reads a file with several threads into an in-process table ``t`` (every
cell as text; row 0 is the header line when there is one). A
:class:`DuckColumn` gives exactly what :func:`npqa.table.read.make_column` gives
for the same cells (``tests/test_duck.py`` compares every field on generated
files), but the work is done by the engine:

* a column whose first 10,000 cells repeat (at most :data:`DISTINCT_SHARE`
  distinct) is grouped once (``GROUP BY``: distinct texts, their row counts and
  first rows, numbered by first appearance); the others are read row by row;
* the kind is decided from counts computed in SQL (plain decimals, ISO dates,
  ``May 3, 2004`` dates, empty texts and texts that hold no number and no date
  are read by SQL expressions, :mod:`npqa.table.duckflags`); only the other texts
  go to the one value parser (:func:`npqa.table.values.parse_cells`), once per
  distinct text, and only when the counts leave the kind open or a value is
  asked for;
* per-row arrays (``codes``, numbers, dates, texts) are made on first use, by
  spreading per-text values with numpy;
* linking reads distinct texts (:meth:`DuckColumn.lines`) when they are few and
  searches the table in SQL when they are not (:mod:`npqa.table.duckwords`).

DuckDB never downloads an extension: every connection is opened with
``autoinstall_known_extensions`` and ``autoload_known_extensions`` off.
Used by :func:`npqa.table.read.load_table` for CSV files on disk of at least
:data:`ENGINE_MIN_BYTES`; whatever DuckDB refuses (ragged rows, an open
quote, bytes that are not UTF-8) goes to the pyarrow path as before.
"""
from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from npqa.errors import TableError
from npqa.table import duckflags as sqlf
from npqa.table.column import KIND_THRESHOLD, Column, Table, date_keys_of, is_duration_column
from npqa.table.conventions import COMMA, EITHER, POINT, Decision, Votes, decide_votes, file_note, follow_file, tally
from npqa.table.text import ascii_lower, collapse_whitespace, match_lines
from npqa.table.values import DATE_FULL, DATE_NONE, DATE_YEAR, Conventions, Date, parse_cells

ENGINE_MIN_BYTES = 8 << 20
"""CSV files at least this big are read by DuckDB (the same size as the pyarrow path's)..."""

ENGINE_MIN_ROWS = 100_000
"""... when they have at least this many rows (estimated from the head's lines): each
column costs a few queries, so a file of few rows and many columns (10,000 x 200) is
read faster by the pyarrow path (``BENCHMARKS.md``)."""

DISTINCT_SHARE = 0.5
"""A column with at most this share of distinct texts (estimated: ``approx_count_distinct``)
is grouped by text; the others are read row by row."""

CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
"""Every DuckDB connection's settings: no extension is ever downloaded or loaded by itself."""


def available() -> bool:
    """DuckDB can be imported here."""
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    return True


def connect() -> Any:
    """A new in-memory DuckDB connection that never installs or loads extensions."""
    import duckdb

    return duckdb.connect(":memory:", config=dict(CONFIG))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_table(
    path: str, head: str, sep: str, what: str, header: bool, decimal: str | None, names_of: Callable[[list[str]], list[str]]
) -> Table | None:
    """The CSV file at ``path`` (RFC 4180, UTF-8, separated by ``sep``) as a table of
    :class:`DuckColumn`, or ``None`` when DuckDB refuses it or it has fewer than two
    columns or rows (the caller reads it another way). ``head`` is the file's
    decoded start, read for the number of columns; ``names_of`` makes the header's
    texts column names (:func:`npqa.table.read.unique_names`)."""
    import duckdb

    try:
        first = next(csv.reader(io.StringIO(head, newline=""), delimiter=sep))
    except (csv.Error, StopIteration):
        return None
    width = len(first)
    if width < 2:
        return None
    con = connect()
    columns = "{" + ", ".join(f"'c{j}': 'VARCHAR'" for j in range(width)) + "}"
    source = (
        f"read_csv({_literal(path)}, header = false, auto_detect = false, delim = {_literal(sep)}, quote = '\"', "
        f"escape = '\"', columns = {columns}, strict_mode = true, null_padding = false, encoding = 'utf-8')"
    )
    cells = ", ".join(f"coalesce(c{j}, '') AS c{j}" for j in range(width))
    try:
        con.execute(f"CREATE TABLE t AS SELECT {cells} FROM {source}")
    except duckdb.Error:
        return None
    h = 1 if header else 0
    n = con.execute("SELECT count(*) FROM t").fetchone()[0] - h
    if n < 1 or n + h < 2:
        return None
    raw = list(con.execute("SELECT * FROM t WHERE rowid = 0").fetchone()) if header else [""] * width
    for i, name in enumerate(raw):
        if "\x00" in name:
            raise TableError(what, f"column {i + 1}'s name contains a NUL character")
    names = names_of(raw)
    store = Store(con, width, h, n)
    cols = [DuckColumn(store, j, names[j], decimal) for j in range(width)]
    if decimal is None:
        for j in follow_file([c.decision for c in cols], sep):
            cols[j] = DuckColumn(store, j, names[j], ",", (file_note(names[j], cols[j].decision.either_example),))
    return Table(cols, what)


class Store:
    """The engine's table ``t`` and what its columns share: the connection (one
    query at a time), the header offset ``h`` and the head statistics."""

    def __init__(self, con: Any, width: int, h: int, n: int) -> None:
        import threading

        self.con, self.width, self.h, self.n = con, width, h, n
        self.lock = threading.Lock()
        self.sources: set[str] = set()  # the per-column sources made so far (d{j}: grouped, r{j}: rows)
        counts = ", ".join(f"approx_count_distinct(c{j})" for j in range(width))
        self.distinct = list(self.one(f"SELECT {counts} FROM t WHERE rowid >= {h}"))  # (C,) estimated distinct texts

    def one(self, sql: str) -> tuple:
        with self.lock:
            return self.con.execute(sql).fetchone()

    def rows(self, sql: str) -> list[tuple]:
        with self.lock:
            return self.con.execute(sql).fetchall()

    def arrays(self, sql: str) -> dict[str, np.ndarray]:
        """The query's columns as numpy arrays (NULL as NaN for numbers)."""
        with self.lock:
            out = self.con.execute(sql).fetchnumpy()
        return {k: (v.filled(np.nan) if np.ma.isMaskedArray(v) and v.dtype.kind == "f" else np.asarray(v)) for k, v in out.items()}

    def run(self, sql: str) -> None:
        with self.lock:
            self.con.execute(sql)


class DuckColumn(Column):
    """A :class:`npqa.table.column.Column` over one column of the engine's table.

    Rows are read through a *source*: the column's distinct texts (grouped
    mode, ``line`` numbered by first appearance, ``n`` rows each) or its rows
    (row mode, ``line`` = row). Each source row is a *unit*; values are worked
    per unit and spread to rows by ``codes``.
    """

    def __init__(self, store: Store, j: int, name: str, decimal: str | None = None, notes: tuple[str, ...] = ()) -> None:
        self.store, self.j, self.name = store, j, name
        self._n = store.n
        h = store.h
        self.grouped = store.distinct[j] <= DISTINCT_SHARE * store.n
        self.src = f"d{j}" if self.grouped else f"r{j}"
        self.weight = "n" if self.grouped else "1"
        if self.src not in store.sources:
            store.sources.add(self.src)
            if self.grouped:  # distinct raw texts, numbered by first appearance; x: the display text
                store.run(
                    f"CREATE TEMP TABLE {self.src} AS SELECT (row_number() OVER (ORDER BY first) - 1)::BIGINT AS line, "
                    f"raw, raw AS x, n, first FROM (SELECT c{j} AS raw, count(*) AS n, min(rowid) - {h} AS first "
                    f"FROM t WHERE rowid >= {h} GROUP BY c{j})"
                )
                store.run(f"UPDATE {self.src} SET x = {sqlf.collapsed('x')} WHERE {sqlf.unclean('x')}")
            else:  # one unit per row
                store.run(f"CREATE TEMP VIEW {self.src} AS SELECT (rowid - {h})::BIGINT AS line, c{j} AS x FROM t WHERE rowid >= {h}")
        self.point, self.flags = True, f"f{j}"
        if self.flags not in store.sources:
            store.sources.add(self.flags)
            self._make_flags()
        self.decision = self._decide(decimal)
        self.conventions: Conventions = self.decision.conventions
        self.notes = notes or self.decision.notes
        if self.conventions.decimal == ",":  # no text is a plain decimal: flags made again
            self.point, self.flags = False, f"f{j}c"
            if self.flags not in store.sources:
                store.sources.add(self.flags)
                self._make_flags()
        self.stats = self._stats()
        self._parsed: dict[str, Any] | None = None  # per unit values, once parsed in full
        self._number_hits: dict[float, bool] = {}
        self.kind = self._decide_kind()

    # -- deciding -------------------------------------------------------------------------
    def _decide(self, decimal: str | None) -> Decision:
        """:func:`npqa.table.conventions.decide` of the column's distinct texts: plain decimals
        vote in SQL (:func:`npqa.table.duckflags.plain_votes`), the other texts that can vote
        in Python (:func:`npqa.table.conventions.tally`)."""
        texts = [r[0] for r in self.store.rows(f"SELECT DISTINCT x FROM {self.flags} WHERE cx AND {sqlf.votes_in_python('x')}")]
        votes = tally(texts)
        if decimal is None:
            row = self.store.one(sqlf.plain_votes("x", self.flags))
            kinds = {COMMA: row[0:2], EITHER: row[2:4], POINT: row[4:6]}
            conflict = (votes.count[COMMA] or row[0]) and (votes.count[POINT] or row[4])
            if conflict:
                exact = self.store.one(sqlf.plain_votes("x", self.flags, distinct=True))
                kinds[COMMA], kinds[POINT] = (exact[0], kinds[COMMA][1]), (exact[4], kinds[POINT][1])
            for kind, (count, first) in kinds.items():
                if count:
                    votes.add(kind, first, int(count))
        return decide_votes(votes, self.name, decimal)

    def _make_flags(self) -> None:
        """The table ``flags``: the column's units with their flags, each test run once
        (:func:`npqa.table.duckflags.flagged`). In row mode, cells whose whitespace needs
        collapsing (``u``) are collapsed in ``t`` first, and the flags made again."""
        store, j, h = self.store, self.j, self.store.h
        if self.grouped:
            store.run(f"CREATE OR REPLACE TEMP TABLE {self.flags} AS SELECT * FROM {sqlf.flagged(self.src, self.weight, self.point)}")
            return
        # row mode: the flags alone are stored, beside the texts in t (a positional join, no copy)
        bits = f"{self.flags}_bits"
        store.run(f"CREATE OR REPLACE TEMP TABLE {bits} AS SELECT * EXCLUDE (line, x) FROM {sqlf.flagged(self.src, self.weight, self.point, True)}")
        if store.one(f"SELECT count(*) FILTER (WHERE u) FROM {bits}")[0]:
            unclean = sqlf.unclean(f"c{j}")
            store.run(f"UPDATE t SET c{j} = {sqlf.collapsed(f'c{j}')} WHERE rowid >= {h} AND {unclean}")
            store.run(f"CREATE OR REPLACE TEMP TABLE {bits} AS SELECT * EXCLUDE (line, x) FROM {sqlf.flagged(self.src, self.weight, self.point)}")
        store.run(f"CREATE OR REPLACE TEMP VIEW {self.flags} AS SELECT * FROM {self.src} POSITIONAL JOIN {bits}")

    def _stats(self) -> dict[str, int]:
        names = ("nonempty", "plain", "year", "known_number", "known_full", "complex", "long_complex", "distinct")
        exprs = [
            "sum(w) FILTER (WHERE NOT e)", "sum(w) FILTER (WHERE p)", "sum(w) FILTER (WHERE py)",
            "sum(w) FILTER (WHERE iso OR md)", "sum(w) FILTER (WHERE iv OR md)", "sum(w) FILTER (WHERE cx)",
            f"sum(w) FILTER (WHERE cx AND length(x) > {sqlf.MAX_DATE_CHARS})", "count(*)",
        ]
        row = self.store.one(f"SELECT {', '.join(exprs)} FROM {self.flags}")
        return {k: int(v or 0) for k, v in zip(names, row)}

    def _decide_kind(self) -> str:
        """:func:`npqa.table.read._column_kind` from the SQL counts; the complex texts are
        parsed only when the counts leave the kind open (each test is decided when it
        holds or fails whatever the complex texts read as)."""
        s = self.stats
        total = s["nonempty"]
        if total == 0:
            return "text"

        def reaches(count: int) -> bool:
            return count / total >= KIND_THRESHOLD

        unknown = s["complex"]
        tests = (
            ("date", s["known_full"], s["complex"] - s["long_complex"]),  # long text is never a date
            ("number", s["plain"] + s["known_number"], unknown),
            ("date", s["year"] + s["known_full"], unknown - s["long_complex"]),
        )
        for kind, known, maybe in tests:
            if reaches(known):
                return kind
            if reaches(known + maybe):
                return self._kind_from_values(total)
        return "text"

    def _kind_from_values(self, total: int) -> str:
        v = self._units()
        counts, nonempty = v["n"], v["nonempty"]

        def share(mask: np.ndarray) -> float:
            return int(counts[mask & nonempty].sum()) / total

        if share(v["date_kinds"] == DATE_FULL) >= KIND_THRESHOLD:
            return "date"
        if share(~np.isnan(v["numbers"])) >= KIND_THRESHOLD:
            return "number"
        if share(v["date_kinds"] != DATE_NONE) >= KIND_THRESHOLD:
            return "date"
        return "text"

    # -- values per unit ----------------------------------------------------------------------
    def _units(self) -> dict[str, Any]:
        """Every unit's values (each (U,)): ``line``-ordered numbers, numbers2, date
        parts, date kinds, durations, dates (object), ``n`` rows, ``nonempty``; the
        complex texts parsed once (:func:`npqa.table.values.parse_cells`)."""
        if self._parsed is None:
            x = "x"
            out = self.store.arrays(
                f"SELECT line, w::BIGINT AS n, NOT e AS nonempty, cx, {sqlf.flag_values()} FROM {self.flags} ORDER BY line"
            )
            complex_lines = np.flatnonzero(out.pop("cx"))
            rows = self.store.rows(f"SELECT line, x FROM {self.flags} WHERE cx ORDER BY line") if len(complex_lines) else []
            self._parsed = _assemble(out, rows, self.conventions)
        return self._parsed

    def _md_number(self, value: float) -> bool:
        """Some known ``May 3, 2004`` text's number (its day) is within 1e-6 of ``value``."""
        if not (value == int(value) and 1 <= value <= 31):
            return False
        return bool(self.store.one(f"SELECT count(*) FROM (SELECT 1 FROM {self.flags} WHERE md AND {sqlf.day_is('x', int(value))} LIMIT 1)")[0])

    def _values_of(self, where: str) -> tuple[list[str], Any]:
        """The distinct texts of the units matching ``where`` (over :attr:`flags`) and their parse."""
        texts = [r[0] for r in self.store.rows(f"SELECT DISTINCT x FROM {self.flags} WHERE {where}")]
        return texts, parse_cells(texts, self.conventions)

    @functools.cached_property
    def _is_duration(self) -> bool:
        total = self.stats["nonempty"]
        if self.kind != "number" or not is_duration_column(self.stats["complex"], total):
            return False
        v = self._units()
        return is_duration_column(int(v["n"][~np.isnan(v["durations"]) & v["nonempty"]].sum()), total)

    # -- cells ------------------------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return self._n

    @functools.cached_property
    def codes(self) -> np.ndarray:
        """intp (R,): each row's unit (its distinct text's line; the row itself in row mode)."""
        if not self.grouped:
            return np.arange(self._n, dtype=np.intp)
        j, h = self.j, self.store.h
        out = self.store.arrays(f"SELECT d.line FROM t JOIN {self.src} d ON t.c{j} = d.raw WHERE t.rowid >= {h} ORDER BY t.rowid")
        return np.asarray(out["line"], dtype=np.intp)

    @functools.cached_property
    def distinct(self) -> list[str]:  # type: ignore[override]
        """(U,) the units' display texts (all rows' texts in row mode)."""
        return [r[0] for r in self.store.rows(f"SELECT x FROM {self.src} ORDER BY line")]

    @functools.cached_property
    def texts(self) -> "_Spread":  # type: ignore[override]
        return _Spread(self.distinct, self.codes)

    @property
    def numbers(self) -> np.ndarray:
        v = self._units()
        numbers = v["numbers"]
        if self._is_duration:
            numbers = np.where(np.isnan(v["durations"]), numbers, v["durations"])
        return numbers[self.codes]

    @property
    def numbers2(self) -> np.ndarray:
        return self._units()["numbers2"][self.codes]

    @property
    def durations(self) -> np.ndarray:
        return self._units()["durations"][self.codes]

    @property
    def duration_numbers(self) -> bool:  # type: ignore[override]
        return self._is_duration

    @functools.cached_property
    def dates(self) -> "_Spread":  # type: ignore[override]
        return _Spread(self._units()["dates"], self.codes)

    # -- arrays, worked per unit ------------------------------------------------------------
    @functools.cached_property
    def first(self) -> np.ndarray:
        if not self.grouped:
            return np.arange(self._n, dtype=np.intp)
        return np.asarray(self.store.arrays(f"SELECT first FROM {self.src} ORDER BY line")["first"], dtype=np.intp)

    @functools.cached_property
    def num(self) -> np.ndarray:
        return self.numbers

    @functools.cached_property
    def _date_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        from npqa.table.column import _order

        v = self._units()
        numbers = v["numbers"] if not self._is_duration else np.where(np.isnan(v["durations"]), v["numbers"], v["durations"])
        year, month, day = v["year"], v["month"], v["day"]
        order = _order(self.kind, numbers, year, month, day)
        codes = self.codes
        return year[codes], month[codes], day[codes], order[codes]

    @functools.cached_property
    def nonempty(self) -> np.ndarray:
        if self.stats["nonempty"] == self._n:
            return np.ones(self._n, dtype=bool)
        if self.stats["nonempty"] == 0:
            return np.zeros(self._n, dtype=bool)
        return self._units()["nonempty"][self.codes]

    @functools.cached_property
    def text_codes(self) -> np.ndarray:
        """intp (R,): equal codes for equal display texts, numbered by first appearance."""
        if not self.grouped:
            seen: dict[str, int] = {}
            return np.array([seen.setdefault(t, len(seen)) for t in self.distinct], dtype=np.intp)
        seen = {}
        per_line = np.array([seen.setdefault(t, len(seen)) for t in self.distinct], dtype=np.intp)
        return per_line[self.codes]

    def distinct_view(self) -> Any:
        if not self.grouped:
            return None
        return super().distinct_view()

    # -- what linking asks ----------------------------------------------------------------------
    @property
    def has_letters(self) -> bool | None:
        s = self.stats
        return False if s["plain"] == s["nonempty"] else None

    def lines(self) -> tuple[Sequence[str], Any, bytes]:
        """The units' texts, a function giving ``codes`` (a join, made only if linking needs
        rows) and their match lines."""
        distinct = self.distinct
        return distinct, (lambda: self.codes), match_lines(list(distinct))

    def words(self) -> Any:
        """What linking searches in this column: :class:`npqa.table.duckwords.EngineWords`
        when its texts are many (they stay in the engine), else ``None`` (then
        :meth:`lines` gives them)."""
        from npqa.table import duckwords

        return duckwords.words_of(self)

    def has_number(self, value: float) -> bool:
        """Some cell's (first) number is within 1e-6 of ``value``: only the texts that
        could read as it are parsed (:func:`npqa.table.duckflags.may_hold`)."""
        hit = self._number_hits.get(value)
        if hit is None:
            hit = self._number_hits[value] = self._has_number(value)
        return hit

    def _has_number(self, value: float) -> bool:
        if self._parsed is not None or self._is_duration:
            numbers = self._units()["numbers"]
            if self._is_duration:
                durations = self._units()["durations"]
                numbers = np.where(np.isnan(durations), numbers, durations)
            return bool(np.any(np.abs(numbers - value) < 1e-6))
        known = "CASE WHEN p THEN " + sqlf.plain_number("x") + " WHEN iso THEN TRY_CAST(substr(x, 1, 4) AS DOUBLE) END"
        near = f"abs(({known}) - {value!r}) < 1e-6"
        if self.store.one(f"SELECT count(*) FROM (SELECT 1 FROM {self.flags} WHERE {near} LIMIT 1)")[0]:
            return True
        if self.stats["known_number"] > 0 and self._md_number(value):
            return True
        _, parsed = self._values_of(f"cx AND {sqlf.may_hold('x', value)}")
        return bool(np.any(np.abs(parsed.numbers - value) < 1e-6))

    def date_keys(self, mask: tuple[bool, bool, bool]) -> set[tuple[int, ...]]:
        """:meth:`Column.date_keys` with the dates SQL reads keyed in SQL (no date objects)."""
        if self._parsed is not None:
            return date_keys_of(self.date_values(), mask)
        parts = [p for p, m in zip(("year", "month", "day"), mask) if m]
        if not parts:
            return date_keys_of(self.date_values(), mask)
        got = self.store.arrays(
            f"SELECT DISTINCT {', '.join(parts)} FROM (SELECT {sqlf.flag_values()} FROM {self.flags} WHERE py OR iv OR md) "
            f"WHERE {' AND '.join(f'{p} IS NOT NULL' for p in parts)}"
        )
        columns = [np.asarray(got[p], dtype=np.int64).tolist() for p in parts]
        keys = set(zip(*columns))
        _, parsed = self._values_of(f"cx AND length(x) <= {sqlf.MAX_DATE_CHARS}")
        return keys | date_keys_of(set(parsed.dates.tolist()) - {None}, mask)

    def date_values(self) -> set[Date]:
        """The distinct dates of the cells: plain years, ISO and ``May 3, 2004`` dates read
        in SQL, the other short texts parsed."""
        if self._parsed is not None:
            return set(self._parsed["dates"].tolist()) - {None}
        got = self.store.arrays(
            f"SELECT DISTINCT year, coalesce(month, 0) AS month, coalesce(day, 0) AS day FROM "
            f"(SELECT {sqlf.flag_values()} FROM {self.flags} WHERE py OR iv OR md)"
        )
        ys, ms, ds = (np.asarray(got[k], dtype=np.int64).tolist() for k in ("year", "month", "day"))
        out = {Date(y, m or None, d or None) for y, m, d in zip(ys, ms, ds)}
        _, parsed = self._values_of(f"cx AND length(x) <= {sqlf.MAX_DATE_CHARS}")
        return out | (set(parsed.dates.tolist()) - {None})

    # -- what finding summary rows asks -------------------------------------------------------
    def rows_with(self, text: str) -> np.ndarray:
        want = ascii_lower(text)
        lines = [line for line, x in self.store.rows(f"SELECT line, x FROM {self.src} WHERE lower(x) = lower({_literal(text)})") if ascii_lower(x) == want]
        out = np.zeros(self._n, dtype=bool)
        if lines:
            out[np.isin(self.codes, np.array(lines))] = True
        return out

    def text_at(self, rows: Sequence[int]) -> list[str]:
        rows = [int(r) for r in rows]
        if not rows:
            return []
        h, j = self.store.h, self.j
        got = dict(self.store.rows(f"SELECT rowid - {h}, c{j} FROM t WHERE rowid IN ({', '.join(str(r + h) for r in rows)})"))
        return [collapse_whitespace(got[r]) for r in rows]


def _assemble(out: dict[str, np.ndarray], rows: list[tuple[int, str]], conventions: Conventions) -> dict[str, Any]:
    """Per-unit values from the SQL readings ``out`` and the parse of the complex units ``rows``."""
    n = len(out["line"])
    v: dict[str, Any] = {
        "n": np.asarray(out["n"], dtype=np.int64), "nonempty": np.asarray(out["nonempty"], dtype=bool),
        "numbers": np.asarray(out["number"], dtype=np.float64), "numbers2": np.asarray(out["number2"], dtype=np.float64),
        "year": np.asarray(out["year"], dtype=np.float64), "month": np.asarray(out["month"], dtype=np.float64),
        "day": np.asarray(out["day"], dtype=np.float64), "durations": np.full(n, np.nan),
        "date_kinds": np.asarray(out["date_kind"], dtype=np.int8),
    }  # fmt: skip
    dates = np.empty(n, dtype=object)
    for kind in (DATE_YEAR, DATE_FULL):
        at = np.flatnonzero(v["date_kinds"] == kind)
        if len(at):
            ymd = np.nan_to_num(np.stack([v["year"][at], v["month"][at], v["day"][at]], axis=1)).astype(np.int64)
            keys, inverse = np.unique(ymd, axis=0, return_inverse=True)
            made = np.empty(len(keys), dtype=object)
            made[:] = [Date(int(y), None, None) if kind == DATE_YEAR else Date(int(y), int(m), int(d)) for y, m, d in keys]
            dates[at] = made[inverse.reshape(-1)]
    if rows:
        at = np.array([r[0] for r in rows], dtype=np.int64)
        texts = [r[1] for r in rows]
        index: dict[str, int] = {}
        first = [index.setdefault(t, len(index)) for t in texts]
        parsed = parse_cells(list(index), conventions)
        pick = np.array(first, dtype=np.int64)
        v["numbers"][at] = parsed.numbers[pick]
        v["numbers2"][at] = parsed.numbers2[pick]
        v["durations"][at] = parsed.durations[pick]  # type: ignore[index]
        v["date_kinds"][at] = parsed.date_kinds[pick]
        picked = parsed.dates[pick]
        dates[at] = picked
        for i, d in zip(at.tolist(), picked.tolist()):
            if d is not None:
                v["year"][i] = np.nan if d.year is None else d.year
                v["month"][i] = np.nan if d.month is None else d.month
                v["day"][i] = np.nan if d.day is None else d.day
    v["dates"] = dates
    return v


class _Spread:
    """Read-only (R,) sequence ``values[codes[r]]`` (each item looked up when read)."""

    def __init__(self, values: Sequence[Any], codes: np.ndarray) -> None:
        self.values, self.codes = values, codes

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self.values[c] for c in self.codes[i].tolist()]
        return self.values[int(self.codes[int(i)])]

    def __iter__(self) -> Any:
        values = self.values
        return (values[c] for c in self.codes.tolist())

    def tolist(self) -> list[Any]:
        return list(self)
