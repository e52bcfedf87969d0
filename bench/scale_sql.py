"""What answering questions about a table in a warehouse would cost, measured on DuckDB.

    nice -n 19 python bench/scale_sql.py --rows 1000000 10000000 --repeat 5 \
        [--work /tmp/npqa-scale] [--threads 2] [--memory 4GB] [--dialects FILE.sql] [--prepared-max ROWS]

Needs ``pip install duckdb`` (npqa's ``duckdb`` extra). The tall table of
``bench/make_big_table.py`` is built once per size as DuckDB table ``big`` in
``WORK/big-N.duckdb``, every column VARCHAR as the CSV holds it (1,000,000
rows: exactly ``make_big_table.py``'s table, seed 0; more: blocks of
1,000,000 rows with seeds 0, 1, 2…, ``Id`` numbered on); delete ``WORK``
afterwards. Then each query is timed ``--repeat`` times (median CPU
milliseconds of the process, every DuckDB thread counted, and median wall
milliseconds; fetching the result included):

* **scans** the model needs before it can choose a program: the distinct
  texts of each column (``COUNT(DISTINCT)``), and for each question the rows
  where its words (and numbers) occur, per column, in one query — the words as
  npqa matches them (lower-case ASCII words between spaces);
* **programs** (the programs the shipped model chose for ``QUESTIONS`` on the
  1,000,000-row table, and ``PROGRAMS``), four ways:
  (1) *npqa's SQL on the file*: what ``npqa sql big-1000000.duckdb --table big
  PROGRAM`` prints today (:mod:`npqa.lang.sqlsource`: a CTE ``t`` over ``big``
  deriving the helper columns read, written for this column's cells and checked
  on the file by npqa); it reads ``big`` only, so the same text runs on the
  larger files;
  (2) *read-only*: the SQL of ``npqa sql --dialect duckdb`` on the CSV, ``t``
  being a CTE over ``big`` with generic derivations (:data:`DERIVE`, written
  once for any table, as a warehouse renderer would);
  (3) the same, each word test preceded by a cheap ``LIKE`` (*prefiltered*);
  (4) on a *prepared* table ``t`` holding every helper column, built once (its
  build time is reported too).

On 1,000,000 rows every result is compared with npqa's own answer; on larger
tables (1) and (3) are compared with (4). ``--dialects`` writes (1) and (3) as
sqlglot renders them for Spark, Trino, BigQuery and Postgres (not run: no such
engine here). Prints Markdown tables for ``docs/SCALE.md``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_big_table import TALL_COLUMNS, make_table  # noqa: E402

import sqlglot  # noqa: E402
from sqlglot import exp  # noqa: E402
from sqlglot.errors import ErrorLevel  # noqa: E402

BLOCK = 1_000_000
QUESTIONS = [
    "how many rows have country france?",
    "what is the total value for japan?",
    "which country appears most?",
    "what is the population of kahal gorlo?",
    "how many were founded after 1990?",
    "what is the date of the last row?",
]
"""Asked with the shipped model on the 1,000,000-row table; its programs are timed."""
PROGRAMS = [
    'print(argmax(reset, "Population"), "Name")',
    'print(argmax(word_match(reset, "Country", "france"), "Population"), "Name")',
    'count(argmax(argmin(reset, "Date"), "Price"))',
    'print(next(word_match(reset, "Name", "kahal gorlo")), "Name")',
    'count(equal(reset, "Date", 1950-06-19))',
    'difference(also_match(word_match(reset, "Country", "peru"), "Country", "chile"), "Price")',
    'average(leq(word_match(reset, "Description", "river"), "Value", 500), "Price")',
]
"""Written by hand for the ops the questions do not reach (superlatives, a step CTE,
row order, dates, a union, the long text column)."""
WAREHOUSES = ("spark", "trino", "bigquery", "postgres")

# How a warehouse would derive npqa's helper columns from the user's text cells
# (DuckDB SQL; sqlglot renders it for the other dialects). {c} is the quoted column.
_DATE = "CAST(COALESCE(TRY_CAST({c} AS DATE), TRY_STRPTIME({c}, '%B %d, %Y')) AS DATE)"
DERIVE = {
    "num": "TRY_CAST(REGEXP_EXTRACT(REPLACE({c}, ',', ''), '-?[0-9]+(\\.[0-9]+)?') AS DOUBLE)",
    "year": f"YEAR({_DATE})",
    "month": f"MONTH({_DATE})",
    "day": f"DAY({_DATE})",
    "words": "' ' || TRIM(REGEXP_REPLACE(LOWER(STRIP_ACCENTS({c})), '[^a-z0-9]+', ' ', 'g')) || ' '",
    "row": 'ROW_NUMBER() OVER (ORDER BY CAST("Id" AS BIGINT)) - 1',
}
"""A warehouse keeps no row order: ``"row#"`` needs an ordering column (here ``Id``)."""
KIND_HELPERS = {"number": ("num", "words"), "date": ("year", "month", "day", "words"), "text": ("words",)}


def build(path: Path, rows: int) -> None:
    """Write table ``big`` (VARCHAR columns) of ``rows`` rows into the DuckDB file ``path``."""
    import duckdb

    tmp = path.with_suffix(".part")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    for k in range(max(rows // BLOCK, 1)):
        n = min(rows, BLOCK)
        frame = make_table(n, TALL_COLUMNS, seed=k)
        frame["Id"] = (np.arange(n) + 1 + k * BLOCK).astype(str)
        con.register("block", frame)
        con.execute("CREATE TABLE IF NOT EXISTS big AS SELECT * FROM block LIMIT 0")
        con.execute("INSERT INTO big SELECT * FROM block")
        con.unregister("block")
        print(f"  block {k + 1}: {n:,} rows", file=sys.stderr)
    con.close()
    tmp.rename(path)


def helper_sql(which: str, column: str | None) -> exp.Expression:
    quoted = exp.to_identifier(column, quoted=True).sql("duckdb") if column else ""
    return sqlglot.parse_one(DERIVE[which].format(c=quoted), read="duckdb")


def with_helpers(query: exp.Expression, schema, names: list[str]) -> exp.Expression:
    """``query`` reading CTE ``t``: ``big``'s columns and the helper columns ``names``."""
    select = exp.select(exp.Star()).from_(exp.to_identifier("big", quoted=True))
    for name in names:
        which, column = schema.helpers[name]
        select = select.select(exp.alias_(helper_sql(which, column), exp.to_identifier(name, quoted=True)))
    query = query.copy()
    cte = exp.CTE(this=select, alias=exp.TableAlias(this=exp.to_identifier("t", quoted=True)))
    key = "with_" if "with_" in exp.Select.arg_types else "with"  # sqlglot renamed it
    old = query.args.get(key)
    query.set(key, exp.With(expressions=[cte, *(old.expressions if old else [])]))
    return query


def helpers_read(query: exp.Expression, schema) -> list[str]:
    names = {c.name for c in query.find_all(exp.Column)}
    return [name for name in schema.helpers if name in names]


def timed(con, sql: str, repeat: int) -> tuple[str, list[tuple]]:
    """``"CPU (wall)"``: the median CPU milliseconds of ``repeat`` runs (every DuckDB
    thread, fetching included: what the query costs, however busy the machine) and
    the median wall milliseconds; and the rows."""
    cpu, wall, rows = [], [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        rows = con.execute(sql).fetchall()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - t0) * 1000)
    return f"{statistics.median(cpu):,.0f} ({statistics.median(wall):,.0f})", rows


def same(rows: list[tuple], answer: list[str]) -> bool:
    """Whether DuckDB's ``rows`` say what npqa's ``answer`` says (cells in order, or one number)."""
    values = [r[0] for r in rows if r[0] is not None]
    if len(values) == 1 and isinstance(values[0], (int, float)) and len(answer) == 1:
        return abs(float(values[0]) - float(answer[0])) <= 1e-6 * max(1.0, abs(float(answer[0])))
    return [str(v) for v in values] == answer


def alike(a: list[tuple], b: list[tuple]) -> bool:
    """Whether two results hold the same values, numbers to 1e-9 relative (a sum over
    millions of floats depends on the order the threads add them in)."""

    def close(x: object, y: object) -> bool:
        if isinstance(x, float) and isinstance(y, float):
            return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))
        return x == y

    return len(a) == len(b) and all(len(r) == len(q) and all(map(close, r, q)) for r, q in zip(a, b))


@dataclass
class Query:
    """One program: how the tables name it, its SQL two ways, npqa's answer."""

    label: str
    program: str  # text form
    sql: str  # over npqa's table ``t`` with every helper column (``npqa sql --dialect duckdb`` on a CSV)
    answer: list[str]  # npqa's executor on the table npqa read
    file_sql: str = ""  # what ``npqa sql big.duckdb --table big PROGRAM`` prints: it runs on the file as it is
    caveat: str = ""  # npqa's line on what that SQL cannot derive exactly ('' when exact)


def npqa_side(rows: int = BLOCK) -> tuple[object, list[Query]]:
    """The table of ``rows`` rows (seed 0) read by npqa: its schema and every program."""
    from npqa.api import TableQA
    from npqa.lang.programs import run_program
    from npqa.session import TableSession

    session = TableSession.open(make_table(rows, TALL_COLUMNS, seed=0))
    out = []
    for q, r in zip(QUESTIONS, TableQA.load().ask_many(session, QUESTIONS, dialect="duckdb")):
        out.append(Query(f"{q} → `{r.program}`", r.program, r.sql, list(r.answer)))
    for text in PROGRAMS:
        run = run_program(session.table, text, dialect="duckdb")
        out.append(Query(f"`{run.program}`", run.program, run.sql, list(run.answer.items)))
    return session.schema, out


def npqa_file_side(path: Path, queries: list[Query]) -> None:
    """Fill in each query's ``file_sql`` and ``caveat``: npqa reads table ``big`` of the
    DuckDB file ``path`` (:mod:`npqa.table.database`) and writes each program's SQL over it,
    a CTE ``t`` deriving the helper columns read (checked on the file by npqa itself).
    Its answer there must be the answer npqa gives on the same cells read as a table."""
    from npqa.lang.programs import run_program
    from npqa.session import TableSession

    table = TableSession.open(path, db_table="big").table
    for q in queries:
        run = run_program(table, q.program)
        if list(run.answer.items) != q.answer:
            raise SystemExit(f"npqa answers {q.program} differently on the DuckDB file: {list(run.answer.items)[:3]} / {q.answer[:3]}")
        q.file_sql, q.caveat = run.sql, run.sql_caveat


def prefiltered(query: exp.Expression, schema) -> exp.Expression:
    """``query`` with each word test ``"X.words" LIKE '% w %'`` preceded by the cheap
    ``STRIP_ACCENTS(LOWER("X")) LIKE '%w%'``, so that a warehouse derives the words
    only of the rows that can match (the same rows pass)."""
    query = query.copy()
    for like in list(query.find_all(exp.Like)):
        col, pattern = like.this, like.expression
        if not (isinstance(col, exp.Column) and schema.helpers.get(col.name, ("",))[0] == "words"):
            continue
        if not (isinstance(pattern, exp.Literal) and pattern.is_string and pattern.this.startswith("% ")):
            continue
        source = schema.helpers[col.name][1]
        cheap = sqlglot.parse_one(f"STRIP_ACCENTS(LOWER({exp.to_identifier(source, quoted=True).sql('duckdb')}))", read="duckdb")
        guard = exp.Like(this=cheap, expression=exp.Literal.string(f"%{pattern.this.strip('% ')}%"))
        like.replace(exp.Paren(this=exp.and_(guard, like.copy())))
    return query


def question_scan(schema, q: str, prepared: bool) -> tuple[str, int]:
    """One query counting, for every column, the rows holding each word (and number) of
    ``q``; read-only: each cell's words derived only where a cheap test passes; prepared:
    ``t``'s helper columns. (SQL, tests)."""
    from npqa.table.text import STOP_WORDS, match_text

    words = [w for w in match_text(q).split() if w not in STOP_WORDS and not w.isdigit()]
    numbers = [w for w in match_text(q).split() if w.isdigit()]
    tests = []
    for name, col in schema.columns.items():
        ident = exp.to_identifier(name, quoted=True).sql("duckdb")
        for w in words:
            if prepared:
                tests.append(f"COUNT(*) FILTER (WHERE {exp.to_identifier(col.names['words'], quoted=True).sql('duckdb')} LIKE '% {w} %')")
            else:
                exact = helper_sql("words", name).sql("duckdb")
                tests.append(f"COUNT(CASE WHEN STRIP_ACCENTS(LOWER({ident})) LIKE '%{w}%' THEN CASE WHEN {exact} LIKE '% {w} %' THEN 1 END END)")
        if col.kind == "number":
            num = exp.to_identifier(col.names["num"], quoted=True).sql("duckdb") if prepared else helper_sql("num", name).sql("duckdb")
            tests += [f"COUNT(*) FILTER (WHERE {num} = {n})" for n in numbers]
    return f'SELECT {", ".join(tests)} FROM "{"t" if prepared else "big"}"', len(tests)


def scans(con, schema, repeat: int, prepared: bool) -> list[str]:
    lines = ["| scan | read-only ms | prepared `t` ms | result |", "|---|---|---|---|"]
    for name in schema.columns:
        ms, rows = timed(con, f'SELECT COUNT(DISTINCT {exp.to_identifier(name, quoted=True).sql("duckdb")}) FROM "big"', repeat)
        lines.append(f"| distinct texts of `{name}` | {ms} | | {rows[0][0]:,} distinct |")
    for q in QUESTIONS:
        sql, n = question_scan(schema, q, prepared=False)
        ms, rows = timed(con, sql, repeat)
        ms_t, rows_t = timed(con, question_scan(schema, q, prepared=True)[0], repeat) if prepared else ("—", rows)
        hits = f"{sum(1 for v in rows[0] if v)} of {n} tests hit" + ("" if rows == rows_t else " (read-only ≠ prepared!)")
        lines.append(f"| rows holding the words of \"{q}\" | {ms} | {ms_t} | {hits} |")
    return lines


def prepare(con, schema) -> tuple[int, str]:
    """Build table ``t``: ``big`` with every helper column its columns' kinds call for;
    (helper columns, milliseconds)."""
    every = [n for n, (which, col) in schema.helpers.items()
             if which == "row" or (col is not None and which in KIND_HELPERS[schema.columns[col].kind])]  # fmt: skip
    select = with_helpers(sqlglot.parse_one('SELECT * FROM "t"', read="duckdb"), schema, every)
    con.execute("DROP TABLE IF EXISTS t")
    c0, t0 = time.process_time(), time.perf_counter()
    con.execute(f"CREATE TABLE t AS {select.sql('duckdb')}")
    return len(every), f"{(time.process_time() - c0) * 1000:,.0f} ms CPU ({(time.perf_counter() - t0) * 1000:,.0f} ms wall)"


def programs(con, schema, queries: list[Query], repeat: int, check: bool, prepared: bool) -> list[str]:
    """Each program four ways (the plain read-only CTE only when ``check``: on the
    smaller table; it is the slowest and adds nothing the others do not show; the
    prepared table only when ``prepared``). Without ``check``, the results are
    compared with the prepared table's, or else npqa's with the prefiltered one's."""
    lines = ["| program | npqa's SQL on the file | read-only | read-only, prefiltered | prepared `t` | result agrees |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for q in queries:
        query = sqlglot.parse_one(q.sql, read="duckdb")
        names = helpers_read(query, schema)
        ms_file, rows_file = timed(con, q.file_sql, repeat)
        ms_pre, rows_pre = timed(con, with_helpers(prefiltered(query, schema), schema, names).sql("duckdb"), repeat)
        ms_t, rows_t = timed(con, q.sql, repeat) if prepared else ("—", None)
        if check:
            ms_cte, rows_cte = timed(con, with_helpers(query, schema, names).sql("duckdb"), repeat)
            bad = [k for k, r in (("file", rows_file), ("read-only", rows_cte), ("prefiltered", rows_pre), ("t", rows_t)) if not same(r, q.answer)]
            agrees = "yes (all four = npqa)" if not bad else f"no: {', '.join(bad)} ({q.answer[:3]})"
        else:
            ms_cte = "—"
            if prepared:
                bad = [k for k, r in (("file", rows_file), ("prefiltered", rows_pre)) if not alike(r, rows_t)]
                agrees = "yes (all three alike)" if not bad else f"no: {', '.join(bad)} ≠ t"
            else:
                agrees = "yes (both alike)" if alike(rows_file, rows_pre) else "no (they differ)"
        lines.append(f"| {q.label} | {ms_file} | {ms_cte} | {ms_pre} | {ms_t} | {agrees} |")
    return lines


def render(text: str, dialect: str) -> str | None:
    """``text`` (DuckDB SQL) in ``dialect`` by sqlglot; None when sqlglot finds a construct
    it cannot render there."""
    try:
        return sqlglot.transpile(text, read="duckdb", write=dialect, unsupported_level=ErrorLevel.RAISE)[0]
    except (sqlglot.errors.UnsupportedError, sqlglot.errors.ParseError):
        return None


def dialects(schema, queries: list[Query], path: Path) -> list[str]:
    """Each program's two read-only queries (npqa's over the file; the generic one,
    prefiltered) rendered for the warehouses into ``path``; a line per dialect and kind."""
    ok = {(d, k): 0 for d in WAREHOUSES for k in ("npqa", "generic")}
    with path.open("w", encoding="utf-8") as fh:
        for q in queries:
            query = sqlglot.parse_one(q.sql, read="duckdb")
            generic = with_helpers(prefiltered(query, schema), schema, helpers_read(query, schema)).sql("duckdb")
            for kind, text in (("npqa", q.file_sql), ("generic", generic)):
                fh.write(f"-- {q.label} ({kind})\n-- duckdb\n{text};\n")
                for d in WAREHOUSES:
                    out = render(text, d)
                    ok[d, kind] += out is not None
                    fh.write(f"-- {d}\n{out if out is not None else '-- not rendered: unsupported construct'};\n")
                fh.write("\n")
    return [f"{d}: {ok[d, 'npqa']}/{len(queries)} of npqa's file queries, {ok[d, 'generic']}/{len(queries)} generic ones "
            "rendered without an unsupported construct" for d in WAREHOUSES]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[BLOCK, 10 * BLOCK])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/npqa-scale"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory", default="4GB")
    parser.add_argument("--dialects", type=Path, default=None)
    parser.add_argument("--prepared-max", type=int, default=10 * BLOCK,
                        help="build the prepared table t only up to this many rows (it holds every helper column)")
    args = parser.parse_args()
    import duckdb

    args.work.mkdir(parents=True, exist_ok=True)
    print(f"duckdb {duckdb.__version__}, sqlglot {sqlglot.__version__}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start", file=sys.stderr)  # fmt: skip
    paths = {rows: args.work / f"big-{rows}.duckdb" for rows in sorted({BLOCK, *args.rows})}
    for rows, path in paths.items():
        if not path.exists():
            print(f"building {path}", file=sys.stderr)
            build(path, rows)
    schema, queries = npqa_side(BLOCK)
    npqa_file_side(paths[BLOCK], queries)  # before the bench connects: npqa opens the file read-only
    caveats = sorted({q.caveat for q in queries if q.caveat})
    print("npqa's caveats on its file SQL: " + ("; ".join(caveats) if caveats else "none (every derivation read is exact)"))
    if args.dialects is not None:
        for line in dialects(schema, queries, args.dialects):
            print(line)
    for rows in args.rows:
        con = duckdb.connect(str(paths[rows]))
        con.execute(f"SET threads = {args.threads}")
        con.execute(f"SET memory_limit = '{args.memory}'")
        print(f"\n### {rows:,} rows (load average {os.getloadavg()[0]:.1f})\n")
        prepared = rows <= args.prepared_max
        if prepared:
            n_helpers, built = prepare(con, schema)
            print(f"Prepared table `t` (`big` and {n_helpers} helper columns) built once: {built}.\n")
        print("Milliseconds: median CPU time of the process over all DuckDB threads (median wall time).\n")
        print("\n".join(scans(con, schema, args.repeat, prepared)) + "\n")
        print("\n".join(programs(con, schema, queries, args.repeat, rows == BLOCK, prepared)))
        sys.stdout.flush()
        con.execute("DROP TABLE IF EXISTS t")
        con.close()
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end", file=sys.stderr)


if __name__ == "__main__":
    main()
