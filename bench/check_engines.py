"""The numpy controller (what `npqa ask` uses) against the torch model, question by question.

    python bench/check_engines.py --model runs/s1_b/best     # random-split-1-dev

Asks every question of the split with both engines through ``TableQA.ask``,
counts the questions where the chosen program or answer differs, lists them
with both confidences, and scores both engines with the official metric.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WTQ = ROOT.parent / "shared" / "wtq"


def main(argv: list[str] | None = None) -> int:
    from npqa.api import TableQA
    from npqa.errors import NpqaError
    from npqa.train.metric import check
    from npqa.table.read import load_table
    from npqa.train.wtq import read_examples

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--data", default=str(WTQ / "data" / "random-split-1-dev.tsv"))
    parser.add_argument("--tables-root", default=str(WTQ))
    args = parser.parse_args(argv)
    engines = {name: TableQA.load(args.model, engine=name) for name in ("numpy", "torch")}
    examples = read_examples(args.data)
    tables: dict[str, object] = {}
    correct = {name: 0 for name in engines}
    differ = 0
    for ex in examples:
        if ex.table_path not in tables:
            tables[ex.table_path] = load_table(Path(args.tables_root) / ex.table_path)
        results = {}
        for name, qa in engines.items():
            try:
                results[name] = qa.ask(tables[ex.table_path], ex.question)
            except NpqaError:  # a question with no word: both engines refuse it alike
                results[name] = None
        for name, result in results.items():
            correct[name] += result is not None and bool(check(ex.answers, result.answer))
        a, b = results["numpy"], results["torch"]
        if (a is None) != (b is None) or (a is not None and (a.program, a.answer) != (b.program, b.answer)):
            differ += 1
            print(f"differs {ex.id}: numpy {a.program if a else None} ({a.confidence if a else 0:.6f}) "
                  f"torch {b.program if b else None} ({b.confidence if b else 0:.6f})")  # fmt: skip
    n = len(examples)
    print(f"questions={n} same={n - differ} differ={differ}")
    for name in engines:
        print(f"{name}: accuracy={correct[name] / n:.4f} correct={correct[name]} examples={n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
