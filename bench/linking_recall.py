"""How often linking offers the constants the hand-written dev programs need.

    python bench/linking_recall.py [--wtq DIR] [--misses N]

For every question of ``data/faithful/dev-programs.tsv`` that has a hand-written
program (status ``ok`` or ``gold_questionable``), each constant the program uses
counts as *linked* when it is among the question's constants after
:func:`npqa.question.link.read_question` on its table: a number or a date equal to
a question constant, a string whose match words (:func:`npqa.table.text.match_words`,
what the word-match op compares) equal those of a question constant
(``linking_recall``). ``same_rows`` also counts a constant as linked when a
question constant of the same kind makes the program's step select the same
(non-empty) rows of the table (``the watermelon`` for ``watermelon``, ``chelsea
wlliams`` for ``chelsea`` on a table that spells every row so). Prints one line;
``--misses N`` lists up to N constants that were not linked (exactly), on stderr.

These programs are for evaluation only: nothing here feeds a rule, a prior or training.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from npqa.grammars.ops import LANGUAGE  # noqa: E402
import numpy as np  # noqa: E402

from npqa.lang.language import Step, constant_accepts, constant_kind  # noqa: E402
from npqa.lang.textform import parse  # noqa: E402
from npqa.question.link import read_question  # noqa: E402
from npqa.table.column import Table  # noqa: E402
from npqa.table.text import match_words  # noqa: E402
from npqa.train.wtq import TableCache, read_examples  # noqa: E402

WTQ = ROOT.parent / "shared" / "wtq"
PROGRAMS = ROOT / "data" / "faithful" / "dev-programs.tsv"


def key(value: object) -> tuple[str, object]:
    """What makes two constants the same for the program: kind and value (strings by match words)."""
    kind = constant_kind(value)  # type: ignore[arg-type]
    if kind == "string":
        return kind, match_words(str(value))
    if kind == "number":
        return kind, round(float(value), 6)  # type: ignore[arg-type]
    return kind, value


def selects_same_rows(step: Step, constants: list[object], table: Table) -> bool:
    """Some constant of the step's kind makes its filter select the same non-empty rows."""
    spec = LANGUAGE[step.op]
    if not spec.condition:
        return False
    column = table[step.column]  # type: ignore[index]
    want = spec.hard(column, step.constant)
    if not want.any():
        return False
    kind = constant_kind(step.constant)  # type: ignore[arg-type]
    for value in constants:
        if constant_kind(value) == kind and constant_accepts(spec.constant, value, column.kind):  # type: ignore[arg-type]
            if np.array_equal(spec.hard(column, value), want):
                return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wtq", type=Path, default=WTQ, help="the WTQ folder (with data/ and csv/)")
    parser.add_argument("--misses", type=int, default=0, help="list up to N unlinked constants on stderr")
    parser.add_argument("--all", action="store_true", help="list every needed constant on stderr: id kind value exact same_rows")
    args = parser.parse_args()
    examples = {e.id: e for e in read_examples(args.wtq / "data" / "random-split-1-dev.tsv")}
    tables = TableCache(args.wtq)
    needed = linked = same = programs = complete = 0
    by_kind: dict[str, list[int]] = {}
    misses: list[str] = []
    with PROGRAMS.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["status"] not in ("ok", "gold_questionable") or row["program"] == "-":
                continue
            example = examples[row["id"]]
            program = parse(row["program"], LANGUAGE)
            wanted = [s for s in program.steps if s.constant is not None]
            if not wanted:
                continue
            programs += 1
            table = tables.get(example.table_path, example.id)
            question = read_question(example.question, table)
            have = {key(c.value) for c in question.constants}
            all_found = True
            for step in wanted:
                value = step.constant
                found = key(value) in have
                alike = found or selects_same_rows(step, [c.value for c in question.constants], table)
                same += alike
                kind = constant_kind(value)
                tally = by_kind.setdefault(kind, [0, 0, 0])
                tally[0] += found
                tally[1] += alike
                tally[2] += 1
                needed += 1
                linked += found
                all_found &= found
                if args.all:
                    misses.append(f"{row['id']}\t{kind}\t{value!r}\t{int(found)}\t{int(alike)}")
                elif not found and len(misses) < args.misses:
                    misses.append(f"{row['id']}\t{kind}\t{value!r}\t{example.question}")
            complete += all_found
    kinds = " ".join(f"{k}={v[0]}/{v[2]}(same_rows={v[1]})" for k, v in sorted(by_kind.items()))
    print(
        f"linking_recall={linked / max(needed, 1):.4f} same_rows={same / max(needed, 1):.4f} linked={linked} "
        f"needed={needed} programs_fully_linked={complete}/{programs} {kinds}"
    )
    for line in misses:
        print(line, file=sys.stderr)


if __name__ == "__main__":
    main()
