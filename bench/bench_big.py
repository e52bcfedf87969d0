"""Scale benchmark: wall time and peak memory on the big tables, cold processes.

    python bench/bench_big.py /tmp/big.csv --runs 5                  # pandas, load_table
    python bench/bench_big.py /tmp/big.csv --runs 5 --model DIR      # … and the whole `npqa ask`
    python bench/bench_big.py /tmp/wide.csv --runs 5 --model DIR --question "what is the total Value 1?"

    python bench/bench_big.py /tmp/big.csv --pairs 5                 # alternating pairs: ask (shipped model), pandas
    python bench/bench_big.py /tmp/big.csv --pairs 5 --before ../main  # … and ask from another checkout, in the same pairs

Make the tables with ``bench/make_big_table.py``. Each measurement is a fresh
process run under ``/usr/bin/time`` (wall seconds, maximum resident set size), so
start-up and imports count, as in the INTERFACES baseline
``python -c "import pandas as pd; pd.read_csv(PATH)"``. Prints every run and the
median per benchmark, and a JSON summary on the last line.

``--pairs N`` alternates the whole ``npqa ask`` (no ``--json`` unless asked) with
the pandas baseline N times and reports the median of the per-pair ratios (the
INTERFACES way to compare on a machine whose load changes), with the load
average before and after; ``--before DIR`` adds, in each pair, the same ask run
from the checkout in DIR (``python -m npqa.cli`` started there imports its code).
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


def measure(command: list[str], cwd: str | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one cold run of ``command``; raises if it fails."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        done = subprocess.run(
            [TIME, "-f", "%e %M", "-o", report.name, *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd
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
    parser.add_argument("--pairs", type=int, help="alternate ask and the pandas baseline this many times")
    parser.add_argument("--json", action="store_true", help="ask with --json (pairs mode)")
    parser.add_argument("--before", type=Path, help="also ask from this checkout in each pair")
    args = parser.parse_args(argv)
    path = str(args.table)
    if args.pairs:
        return pairs(args)
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


def _load() -> str:
    return Path("/proc/loadavg").read_text().split(" ")[0] if Path("/proc/loadavg").exists() else "?"


def pairs(args: argparse.Namespace) -> int:
    """Alternating pairs: ask, baseline (and ask from ``--before``); per-pair ratios."""
    path = str(Path(args.table).resolve())
    ask = [sys.executable, "-m", "npqa.cli", "ask", path, args.question]
    if args.model is not None:
        ask += ["--model", str(Path(args.model).resolve())]
    if args.json:
        ask.append("--json")
    baseline = [sys.executable, "-c", f"import pandas as pd; pd.read_csv({path!r})"]
    runs: dict[str, list[tuple[float, float]]] = {"ask": [], "pandas": [], "before": []}
    load_before = _load()
    for i in range(args.pairs):
        runs["ask"].append(measure(ask, cwd=tempfile.gettempdir()))
        runs["pandas"].append(measure(baseline, cwd=tempfile.gettempdir()))
        if args.before is not None:
            runs["before"].append(measure(ask, cwd=str(args.before)))
        line = f"pair {i + 1}: ask {runs['ask'][-1][0]:.2f} s, pandas {runs['pandas'][-1][0]:.2f} s"
        if args.before is not None:
            line += f", before {runs['before'][-1][0]:.2f} s"
        print(line, file=sys.stderr)
    summary: dict[str, object] = {"table": path, "pairs": args.pairs, "load_before": load_before, "load_after": _load()}
    for name in ("ask", "before"):
        if runs[name]:
            ratios = [a / b for (a, _), (b, _) in zip(runs[name], runs["pandas"])]
            summary[name] = {
                "median_s": round(statistics.median(w for w, _ in runs[name]), 2),
                "median_ratio": round(statistics.median(ratios), 2),
                "ratios": [round(r, 2) for r in ratios],
                "max_peak_mb": round(max(r for _, r in runs[name])),
            }
    summary["pandas"] = {"median_s": round(statistics.median(w for w, _ in runs["pandas"]), 2),
                         "max_peak_mb": round(max(r for _, r in runs["pandas"]))}  # fmt: skip
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
