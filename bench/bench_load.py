"""Benchmark: load every WTQ table and read (and, when npqa.question.link exists, prepare)
every training question.

    python bench/bench_load.py --runs 5            # 5 cold processes, each time and the median
    python bench/bench_load.py --once              # one run in this process, JSON on stdout
    python bench/bench_load.py --once --kinds      # also: how column kinds move with the threshold

Each run is a separate cold process (fresh interpreter, no cache files), so the
wall time includes Python start-up and imports. A child prints one JSON line;
the parent prints each run and the median wall time.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

DEFAULT_ROOT = Path("/work/shared/wtq")
REPO = Path(__file__).resolve().parent.parent
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def run_once(root: Path, tsv: Path, with_questions: bool, kinds: bool) -> dict[str, object]:
    """Load all tables under ``root/csv`` and read ``tsv``; timings in seconds."""
    t0 = time.perf_counter()
    from npqa.table.read import load_table
    from npqa.train.wtq import read_examples

    t_import = time.perf_counter()
    paths = sorted((root / "csv").glob("*/*.csv"))
    tables = [load_table(p) for p in paths]
    t_tables = time.perf_counter()
    examples = read_examples(tsv)
    t_examples = time.perf_counter()
    prepared = _prepare_questions([e.question for e in examples]) if with_questions else None
    t_questions = time.perf_counter()
    kind_counts = Counter(c.kind for t in tables for c in t.columns)
    result: dict[str, object] = {
        "tables": len(tables),
        "columns": sum(kind_counts.values()),
        "kinds": dict(sorted(kind_counts.items())),
        "cells": sum(t.n_rows * t.n_columns for t in tables),
        "examples": len(examples),
        "questions_prepared": prepared,
        "import_s": round(t_import - t0, 3),
        "tables_s": round(t_tables - t_import, 3),
        "examples_s": round(t_examples - t_tables, 3),
        "questions_s": round(t_questions - t_examples, 3),
        "in_process_s": round(t_questions - t0, 3),
    }
    if kinds:
        result["kind_by_threshold"] = _kinds_by_threshold(tables)
    return result


def question_module_available() -> bool:
    """True when ``npqa.question.link`` (another engineer's module) is importable."""
    return importlib.util.find_spec("npqa.question.link") is not None


def _prepare_questions(questions: list[str]) -> int:
    from npqa.question.parse import parse_question  # type: ignore[import-not-found]

    for text in questions:
        parse_question(text)
    return len(questions)


def _kinds_by_threshold(tables: list) -> dict[str, dict[str, int]]:
    """Column kinds that :func:`npqa.table._column_kind`'s rule gives at other thresholds."""
    import numpy as np

    shares = []
    for table in tables:
        for column in table.columns:
            nonempty = np.array([t != "" for t in column.texts])
            total = int(nonempty.sum()) or 1
            number = int((~np.isnan(column.numbers) & nonempty).sum()) / total
            full_date = sum(1 for d in column.dates if d is not None and (d.month or d.day)) / total
            any_date = sum(1 for d in column.dates if d is not None) / total
            shares.append((full_date, number, any_date, bool(nonempty.any())))
    out: dict[str, dict[str, int]] = {}
    for threshold in THRESHOLDS:
        counts: Counter[str] = Counter()
        for full_date, number, any_date, has_cells in shares:
            if has_cells and full_date >= threshold:
                counts["date"] += 1
            elif has_cells and number >= threshold:
                counts["number"] += 1
            elif has_cells and any_date >= threshold:
                counts["date"] += 1
            else:
                counts["text"] += 1
        out[str(threshold)] = dict(sorted(counts.items()))
    return out


def run_children(runs: int, child_args: list[str]) -> None:
    """Spawn ``runs`` cold processes, print each run's figures and the median wall time."""
    walls: list[float] = []
    for i in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--once", *child_args],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        wall = time.perf_counter() - start
        walls.append(wall)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"run {i + 1}: wall={wall:.2f}s " + " ".join(f"{k}={v}" for k, v in figures.items()))
    print(f"median wall over {runs} cold runs: {statistics.median(walls):.2f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="cold processes to run (median is reported)")
    parser.add_argument("--once", action="store_true", help="run once in this process, print JSON")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="WTQ folder holding csv/ and data/")
    parser.add_argument("--tsv", type=Path, default=None, help="questions (default ROOT/data/training.tsv)")
    parser.add_argument(
        "--no-questions", action="store_true", help="skip question preparation (npqa.question.parse_question)"
    )
    parser.add_argument("--kinds", action="store_true", help="also count column kinds at other thresholds")
    args = parser.parse_args()
    tsv = args.tsv or args.root / "data" / "training.tsv"
    with_questions = not args.no_questions and question_module_available()
    if args.once:
        print(json.dumps(run_once(args.root, tsv, with_questions, args.kinds)))
        return
    child_args = ["--root", str(args.root), "--tsv", str(tsv)]
    if not with_questions:
        child_args.append("--no-questions")
        print("question preparation: skipped (npqa.question.link not available or --no-questions)")
    run_children(args.runs, child_args + (["--kinds"] if args.kinds else []))


if __name__ == "__main__":
    main()
