"""Every answer and program of the numpy engine on a WTQ split, asked table by table
through the public API: a behaviour fingerprint to `cmp` across refactors.

    python bench/answers_by_table.py ../shared/wtq/data/random-split-1-dev.tsv \
        --tables-root ../shared/wtq --out /tmp/answers.tsv [--model DIR]

One line per question, in file order: id, program, answer items (TSV-escaped),
program probability (raw, before any calibration) to 6 places.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from npqa import TableQA
from npqa.train.metric import escape_tsv
from npqa.train.wtq import group_by_table, read_examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--tables-root", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    qa = TableQA.load(args.model)
    examples = read_examples(args.data)
    by_table = group_by_table(examples)
    lines: dict[str, str] = {}
    for path, group in by_table.items():
        results = qa.ask_many(str(args.tables_root / path), [ex.question for ex in group])
        for ex, res in zip(group, results):
            items = "\t".join(escape_tsv(a) for a in res.answer)
            lines[ex.id] = f"{ex.id}\t{res.program}\t{items}\t{res.program_prob:.6f}"
    args.out.write_text("".join(lines[ex.id] + "\n" for ex in examples), encoding="utf-8")


if __name__ == "__main__":
    main()
