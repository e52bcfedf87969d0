"""What the 1.5x-pandas target for a big-table ask leaves room for (issue 15, item 1).

    python bench/floor_big.py /tmp/duck/big.csv --pairs 7
    python bench/floor_big.py /tmp/duck/wide.csv --pairs 5 --column "Value 1" --question "how many rows have a Value 1 over 1000?"

Runs, in alternating cold processes (``bench/bench_big.py``'s ``measure``), the
pandas baseline ``python -c "import pandas as pd; pd.read_csv(PATH)"`` and
processes that do only a part of what any ``npqa ask`` must do, so their ratio
to pandas is a floor under the whole ask's:

* ``imports``: the modules an ask cannot do without (duckdb, numpy, sqlglot,
  typer, rich), nothing read;
* ``one_pass_text``: ``import duckdb`` and one DuckDB pass over the CSV that
  counts the rows with ``Value > 1000`` and, in each column DuckDB reads as
  text, looks for each of the question's six words (the work the issue cites);
* ``one_pass_all``: the same pass over every column (npqa reads numbers out of
  text, so no column can be left out of linking), with numpy and sqlglot
  imported (the model and the SQL);
* ``ask``: the whole ``npqa ask`` (shipped model, no ``--json``).

None of the floors types a cell with npqa's value parser, runs the model or
executes the program. Prints each pair and, last, one JSON line with the
median of the per-pair ratios.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_big import DEFAULT_QUESTION, _load, measure  # noqa: E402

WORDS = ("how", "many", "rows", "have", "value", "over")

PASS = """
import duckdb{extra}
con = duckdb.connect()
con.execute("SET autoinstall_known_extensions=false; SET autoload_known_extensions=false")
src = "read_csv('{path}')"
cols = [(r[0], r[1]) for r in con.execute("DESCRIBE SELECT * FROM " + src).fetchall()]
aggs = ["count(*) FILTER (WHERE \\"{column}\\" > 1000)"] + [
    "bool_or(contains(lower(CAST(\\"%s\\" AS VARCHAR)), '%s'))" % (c, w)
    for c, kind in cols if {which} for w in {words!r}
]
con.execute("SELECT " + ", ".join(aggs) + " FROM " + src).fetchone()
"""


def commands(path: str, question: str, column: str = "Value") -> dict[str, list[str]]:
    py = sys.executable
    return {
        "pandas": [py, "-c", f"import pandas as pd; pd.read_csv({path!r})"],
        "imports": [py, "-c", "import duckdb, numpy, sqlglot, typer, rich"],
        "one_pass_text": [py, "-c", PASS.format(extra="", path=path, column=column, which="kind == 'VARCHAR'", words=WORDS)],
        "one_pass_all": [py, "-c", PASS.format(extra=", numpy, sqlglot", path=path, column=column, which="True", words=WORDS)],
        "ask": [py, "-m", "npqa.cli", "ask", path, question],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("table", type=Path)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--question", default=DEFAULT_QUESTION)
    parser.add_argument("--column", default="Value", help="the number column the passes count rows of over 1000")
    args = parser.parse_args(argv)
    cmds = commands(str(args.table.resolve()), args.question, args.column)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
    load_before = _load()
    for i in range(args.pairs):
        for name, command in cmds.items():
            runs[name].append(measure(command, cwd=tempfile.gettempdir()))
        print(f"pair {i + 1}: " + ", ".join(f"{n} {r[-1][0]:.2f} s" for n, r in runs.items()), file=sys.stderr)
    summary: dict[str, object] = {"table": str(args.table), "pairs": args.pairs, "load_before": load_before, "load_after": _load()}
    for name, measured in runs.items():
        ratios = [a / b for (a, _), (b, _) in zip(measured, runs["pandas"])]
        summary[name] = {
            "median_s": round(statistics.median(w for w, _ in measured), 2),
            "median_ratio": round(statistics.median(ratios), 2),
            "ratios": [round(r, 2) for r in ratios],
            "max_peak_mb": round(max(m for _, m in measured)),
        }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
