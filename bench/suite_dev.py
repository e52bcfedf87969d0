"""Test-suite (faithful) accuracy of a model on the 300 sampled dev questions (issue 11).

    python bench/suite_dev.py --model runs/base_s0 [--k 3] [--seed 0] [--report] [--json]

Asks every sampled question on its table and afresh on K variants of the table
with rows dropped (``npqa.suite``), and prints on its last line
``accuracy=… suite_all=… suite_expressible=… spurious_share=… questions=300
expressible=196 variants=… seed=0 k=3``. ``--report`` prints a markdown table
per question shape and the status and tag counts before it; ``--json`` prints
every figure as one JSON object instead of the line. Progress goes to stderr.
Report only models trained on random-split-1-train: the shipped model has seen dev.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WTQ = ROOT.parent / "shared" / "wtq"


def main(argv: list[str] | None = None) -> int:
    from npqa.api import TableQA
    from npqa.errors import NpqaError
    from npqa.suite import load_cases, model_asker, report_markdown, score_cases, summarise

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--programs", default=str(ROOT / "data" / "faithful" / "dev-programs.tsv"))
    parser.add_argument("--dev", default=str(WTQ / "data" / "random-split-1-dev.tsv"))
    parser.add_argument("--tables-root", default=str(WTQ))
    parser.add_argument("--k", type=int, default=3, help="variants per question (at least 3 for the figure)")
    parser.add_argument("--seed", type=int, default=0, help="base seed of the variants")
    parser.add_argument("--max-draws", type=int, default=200, help="row masks drawn per question before giving up")
    parser.add_argument("--json", action="store_true", help="print every figure as one JSON object")
    parser.add_argument("--report", action="store_true", help="print the per-shape table and counts first")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        qa = TableQA.load(args.model)
        cases = load_cases(args.programs, args.dev, args.tables_root)
    except NpqaError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    scores = score_cases(cases, model_asker(qa), k=args.k, seed=args.seed, max_draws=args.max_draws)
    figures = summarise(scores, k=args.k, seed=args.seed)
    print(f"model={args.model or 'shipped'} seconds={time.perf_counter() - start:.1f}", file=sys.stderr)
    if args.report:
        print(report_markdown(figures))
        print()
    print(json.dumps(figures.to_json()) if args.json else figures.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
