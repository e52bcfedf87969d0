"""Scale benchmark: wall time and peak memory on the big tables, cold processes.

    python bench/bench_big.py /tmp/big.csv --runs 5                  # pandas, load_table
    python bench/bench_big.py /tmp/big.csv --runs 5 --model DIR      # … and the whole `npqa ask`
    python bench/bench_big.py /tmp/wide.csv --runs 5 --model DIR --question "what is the total Value 1?"

Make the tables with ``bench/make_big_table.py``. Each measurement is a fresh
process run under ``/usr/bin/time`` (wall seconds, maximum resident set size), so
start-up and imports count, as in the INTERFACES baseline
``python -c "import pandas as pd; pd.read_csv(PATH)"``. Prints every run and the
median per benchmark, and a JSON summary on the last line.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TIME = "/usr/bin/time"
DEFAULT_QUESTION = "how many rows have a Value over 1000?"


def measure(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one cold run of ``command``; raises if it fails."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        done = subprocess.run(
            [TIME, "-f", "%e %M", "-o", report.name, *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if done.returncode != 0:
            raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr.decode()[-2000:]}")
        wall, rss_kb = report.read().split()[-2:]
    return float(wall), float(rss_kb) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("table", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", type=Path, help="also time the whole `npqa ask` with this model")
    parser.add_argument("--question", default=DEFAULT_QUESTION)
    args = parser.parse_args(argv)
    path = str(args.table)
    benches = {
        "pandas_read_csv": [sys.executable, "-c", f"import pandas as pd; pd.read_csv({path!r})"],
        "load_table": [sys.executable, "-c", f"from npqa.table.read import load_table; load_table({path!r})"],
    }
    if args.model is not None:
        benches["npqa_ask"] = [sys.executable, "-m", "npqa.cli", "ask", path, args.question, "--model", str(args.model), "--json"]
    summary: dict[str, dict[str, float]] = {}
    for name, command in benches.items():
        runs = [measure(command) for _ in range(args.runs)]
        for i, (wall, rss) in enumerate(runs, 1):
            print(f"{name} run {i}: {wall:.2f} s, {rss:.0f} MB", file=sys.stderr)
        summary[name] = {
            "median_s": round(statistics.median(w for w, _ in runs), 2),
            "median_peak_mb": round(statistics.median(r for _, r in runs)),
            "max_peak_mb": round(max(r for _, r in runs)),
        }
        print(f"{name}: median {summary[name]['median_s']} s, peak {summary[name]['max_peak_mb']} MB", file=sys.stderr)
    print(json.dumps({"table": path, "runs": args.runs, **summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
