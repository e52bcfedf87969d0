"""How readable the SQL of a model's programs is, and whether every query still agrees.

    python bench/sql_readable.py --model /work/runs/base_s0 \
        [--data ../shared/wtq/data/random-split-1-dev.tsv --tables-root ../shared/wtq] [--dump FILE.tsv]

Asks every question table by table through the API (``TableQA.load(model).ask_many``),
writes each table's SQLite database (``TableSession(table).write_db``), runs the SQL
of the chosen program there and compares its rows with the answer, normalised as
``tests/test_sql_agreement.py`` does (cells: the same list in the same order;
numbers: one value within 1e-6 relative; no answer: no non-NULL value). Prints one line:

    sql_median_chars=… sql_mean_chars=… agree=N/N

Lengths are of the SQL with whitespace collapsed to single spaces. ``--dump`` writes
id, program, agreement and SQL per question (to read the queries, or to diff two runs).
"""
from __future__ import annotations

import argparse
import re
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

from npqa.grammars.ops import LANGUAGE

from npqa.api import TableQA
from npqa.lang.language import Result
from npqa.lang.textform import parse
from npqa.session import TableSession
from npqa.train.wtq import group_by_table, read_examples

HERE = Path(__file__).resolve().parent.parent


def agrees(rows: list[object], answer: list[str], result: Result) -> bool:
    """Whether SQLite's first-column ``rows`` say what the executor's ``answer`` says."""
    if result.is_text:
        return rows == answer
    values = [v for v in rows if v is not None]
    if not answer:
        return values == []
    if len(values) != 1 or not isinstance(values[0], (int, float)):
        return False
    want = float(answer[0])
    return abs(float(values[0]) - want) <= 1e-6 * max(1.0, abs(want))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=HERE.parent / "shared/wtq/data/random-split-1-dev.tsv")
    parser.add_argument("--tables-root", type=Path, default=HERE.parent / "shared/wtq")
    parser.add_argument("--dump", type=Path, default=None)
    args = parser.parse_args()
    qa = TableQA.load(args.model)
    examples = read_examples(args.data)
    by_table = group_by_table(examples)
    lengths: list[int] = []
    agreed = no_program = 0
    dump: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, (path, group) in enumerate(by_table.items(), start=1):
            session = TableSession.open(str(args.tables_root / path))
            db = Path(tmp) / f"{n}.sqlite"
            session.write_db(db)
            conn = sqlite3.connect(str(db))
            for ex, res in zip(group, qa.ask_many(session, [ex.question for ex in group])):
                if not res.sql:  # no program type-checks on this table
                    no_program += 1
                    continue
                sql = re.sub(r"\s+", " ", res.sql).strip()
                lengths.append(len(sql))
                result = LANGUAGE[parse(res.program, LANGUAGE).terminal.op].result
                ok = agrees([r[0] for r in conn.execute(res.sql).fetchall()], res.answer, result)
                agreed += ok
                dump.append(f"{ex.id}\t{res.program}\t{'ok' if ok else 'DIFFERS'}\t{sql}")
            conn.close()
            db.unlink()
            if n % 50 == 0:
                print(f"{n}/{len(by_table)} tables", file=sys.stderr)
    if args.dump is not None:
        args.dump.write_text("".join(line + "\n" for line in dump), encoding="utf-8")
    extra = f" no_program={no_program}" if no_program else ""
    print(
        f"sql_median_chars={statistics.median(lengths):g} sql_mean_chars={statistics.mean(lengths):.1f} "
        f"agree={agreed}/{len(lengths)}{extra}"
    )


if __name__ == "__main__":
    main()
