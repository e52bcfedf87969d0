"""Model time per question with the table already loaded (issue 5: under 20 ms at the median on a 15-row table).

    python bench/bench_ask.py --runs 5                       # WTQ dev questions on 15-row tables
    python bench/bench_ask.py --runs 5 --model DIR --engine torch

Each run is a fresh process that loads the model and every table once, then
times ``TableQA.ask(table, question)`` (linking, encoding, the controller,
decoding, executing, rendering the SQL) for every question of
``random-split-1-dev`` whose table has exactly ``--rows`` rows. Prints each
run's median and the median of the runs, and a JSON summary on the last line.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WTQ = ROOT.parent / "shared" / "wtq"

_ONE_RUN = """
import json, statistics, sys, time
from npqa.api import TableQA
from npqa.table.read import load_table
from npqa.train.wtq import read_examples
model, engine, data, root, rows = sys.argv[1] or None, sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
qa = TableQA.load(model, engine=engine)
tables, asked = {}, []
for ex in read_examples(data):
    table = tables.get(ex.table_path) or tables.setdefault(ex.table_path, load_table(f"{root}/{ex.table_path}"))
    if table.n_rows == rows:
        asked.append((table, ex.question))
times = []
for table, question in asked:
    start = time.perf_counter()
    qa.ask(table, question)
    times.append(time.perf_counter() - start)
print(json.dumps({"questions": len(times), "median_ms": 1000 * statistics.median(times)}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", default="", help="model directory (default: the shipped model)")
    parser.add_argument("--engine", default="numpy", choices=("numpy", "torch"))
    parser.add_argument("--data", default=str(WTQ / "data" / "random-split-1-dev.tsv"))
    parser.add_argument("--tables-root", default=str(WTQ))
    parser.add_argument("--rows", type=int, default=15, help="only tables with this many rows")
    args = parser.parse_args(argv)
    medians = []
    for run in range(args.runs):
        done = subprocess.run(
            [sys.executable, "-c", _ONE_RUN, args.model, args.engine, args.data, args.tables_root, str(args.rows)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        result = json.loads(done.stdout.strip().splitlines()[-1])
        medians.append(result["median_ms"])
        print(f"run {run + 1}: {result['questions']} questions, median {result['median_ms']:.2f} ms per question")
    print(f"median of runs: {statistics.median(medians):.2f} ms per question")
    print(json.dumps({"engine": args.engine, "rows": args.rows, "runs": medians, "median_ms": statistics.median(medians)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
