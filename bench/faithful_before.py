"""How many of a faithful file's `ok` programs an older npqa could run to the gold answer.

    git worktree add --detach ../wt-pre12 7120645        # main before issue 12 (readings, links, ops)
    python -m venv --system-site-packages ../venv-pre12 && ../venv-pre12/bin/pip install --no-deps -e ../wt-pre12
    ../venv-pre12/bin/python bench/faithful_before.py data/faithful/dev-fourth-programs.tsv

Run with the older code's Python: each `ok` program is parsed in that code's
language and run on the question's table as that code reads it. A program that
does not parse (an op added since) or gives a wrong answer by the official
metric (a reading added since) was not expressible then; so the older
not-expressible count is the file's own plus those. Linking is not checked (the
graders' `check.py` did not check it either). Prints one line per such program
and a JSON summary.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from npqa.grammars.ops import LANGUAGE
from npqa.lang.executor import execute
from npqa.lang.textform import parse
from npqa.train.metric import check
from npqa.train.wtq import TableCache, read_examples

WTQ = Path(__file__).resolve().parents[1].parent / "shared" / "wtq"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("programs", help="a data/faithful/*-programs*.tsv file")
    parser.add_argument("--dev", default=str(WTQ / "data" / "random-split-1-dev.tsv"))
    parser.add_argument("--tables-root", default=str(WTQ))
    args = parser.parse_args(argv)
    try:
        examples = {e.id: e for e in read_examples(args.dev)}
        with open(args.programs, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
    except Exception as err:  # a file missing or unreadable: one line (the older code has its own errors)
        print(f"error: {err}", file=sys.stderr)
        return 2
    unknown = [r["id"] for r in rows if r.get("id") not in examples]
    if unknown:
        print(f"error: {args.programs}: {unknown[0]} is no question of {args.dev}", file=sys.stderr)
        return 2
    tables = TableCache(Path(args.tables_root))
    counts = {status: sum(r["status"] == status for r in rows) for status in ("ok", "gold_questionable", "not_expressible")}
    unknown_op = wrong = 0
    for r in rows:
        if r["status"] != "ok":
            continue
        ex = examples[r["id"]]
        try:
            program = parse(r["program"], LANGUAGE)
        except Exception as err:  # an op this code does not know
            unknown_op += 1
            print(f"{r['id']}\tno op\t{r['program']}\t{str(err).splitlines()[0]}")
            continue
        try:
            answer = list(execute(program, tables.get(ex.table_path, ex.id), LANGUAGE).items)
        except Exception as err:  # a program this code cannot run
            answer = [f"error: {err}"]
        if not check(list(ex.answers), answer):
            wrong += 1
            print(f"{r['id']}\twrong\t{r['program']}\t{answer[:3]}")
    older = counts["not_expressible"] + unknown_op + wrong
    print(json.dumps({**counts, "ok_with_unknown_op": unknown_op, "ok_wrong": wrong, "not_expressible_older": older,
                      "fall": round(1 - counts["not_expressible"] / older, 4) if older else None}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
