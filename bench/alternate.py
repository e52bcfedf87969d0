"""Wall time of whole commands, run in alternation, as ratios to the first.

    python bench/alternate.py --runs 7 \
        'python -c "import torch"' \
        'npqa ask ../shared/wtq/csv/204-csv/590.csv "which team won previous to crettyard?"' \
        'npqa ask ../shared/wtq/csv/204-csv/590.csv "which team won previous to crettyard?" --model OLD'

Each round runs every command once, in the order given, in a fresh process
(output discarded; a failing command stops the bench), after one warm-up
round. On a shared machine single timings swing, so what compares is each
command's median and its ratio to the first command's median in the same run.
Prints one line per command and a JSON summary on the last line.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def _run(command: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(shlex.split(command), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"error: {command}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commands", nargs="+", help="commands to time; ratios are to the first")
    parser.add_argument("--runs", type=int, default=7, help="rounds after the warm-up round")
    args = parser.parse_args(argv)
    for command in args.commands:  # warm-up: file caches, compiled bytecode
        _run(command)
    times: list[list[float]] = [[] for _ in args.commands]
    for _ in range(args.runs):
        for i, command in enumerate(args.commands):
            times[i].append(_run(command))
    medians = [statistics.median(t) for t in times]
    for command, t, m in zip(args.commands, times, medians):
        print(f"{m:7.3f} s  x{m / medians[0]:.2f}  ({', '.join(f'{x:.2f}' for x in t)})  {command}")
    load = os.getloadavg()
    print(json.dumps({"runs": args.runs, "load": [round(x, 2) for x in load],
                      "commands": [{"command": c, "median_s": round(m, 4), "ratio": round(m / medians[0], 3)}
                                   for c, m in zip(args.commands, medians)]}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
