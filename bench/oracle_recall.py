"""Where the hand-written programs stand among the programs training sees (issue 13).

    python bench/oracle_recall.py [--programs data/faithful/dev-programs.tsv]
    python bench/oracle_recall.py --constant-chains 0      # the oracle before it kept chains for constants

For each `ok` question of a faithful file, runs the oracle as training runs it
(the learned ops, the question's triggers, four steps, ``--rank compare``) and
looks for the hand-written program, by its text, among the consistent programs:
``kept`` (among the best ``--max-programs``), ``cut`` (found, but past that
limit), or missing, either because a constant it needs is not among the
question's linked constants (``unlinked``) or because no chain the oracle kept
writes it (``pruned``; an equivalent program written otherwise, such as two
filters in the other order, also lands here). Prints one line per question not
kept and a JSON summary. The hand-written programs only measure here.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WTQ = ROOT.parent / "shared" / "wtq"


def main(argv: list[str] | None = None) -> int:
    from npqa.errors import NpqaError
    from npqa.grammars.ops import LANGUAGE
    from npqa.lang.oracle import consistent
    from npqa.lang.textform import parse, to_text
    from npqa.question.link import read_question
    from npqa.suite import load_cases
    from npqa.train.compare import comparison_programs
    from npqa.train.prepare import RANKS
    from npqa.train.targets import gold
    from npqa.train.triggers import triggered

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", default=str(ROOT / "data" / "faithful" / "dev-programs.tsv"))
    parser.add_argument("--dev", default=str(WTQ / "data" / "random-split-1-dev.tsv"))
    parser.add_argument("--tables-root", default=str(WTQ))
    parser.add_argument("--max-programs", type=int, default=256)
    parser.add_argument("--constant-chains", type=int, default=None,
                        help="chains per row set kept for the question's constants (default: the oracle's own)")
    args = parser.parse_args(argv)
    if args.constant_chains is not None:
        from npqa.lang import oracle

        oracle.CHAINS_FOR_CONSTANTS = args.constant_chains
    try:
        cases = load_cases(args.programs, args.dev, args.tables_root)
    except (NpqaError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    language = LANGUAGE.for_training(())
    counts: Counter[str] = Counter()
    for case in cases:
        if case.hand.status != "ok":
            continue
        linked = read_question(case.question, case.table)
        words = linked.question.tokens
        constants = [c.value for c in linked.constants]
        target = gold(list(case.gold))
        offered = language.cued(lambda op: triggered(op, words))
        found = consistent(case.table, constants, target, offered, 4).programs
        programs = comparison_programs(linked, case.table, language, target.matches) or found
        texts = [to_text(p, language) for p in sorted(programs, key=lambda p: RANKS["compare"](p, words))]
        if case.hand.program in texts:
            where = "kept" if texts.index(case.hand.program) < args.max_programs else "cut"
        else:
            linked_ones = {repr(c) for c in constants}
            needed = [s.constant for s in parse(case.hand.program, LANGUAGE).steps if s.constant is not None]
            where = "unlinked" if any(repr(c) not in linked_ones for c in needed) else "pruned"
        counts[where] += 1
        if where != "kept":
            print(f"{case.hand.id}\t{where}\t{case.hand.program}")
    print(json.dumps({"ok": sum(counts.values()), **{k: counts[k] for k in ("kept", "cut", "unlinked", "pruned")}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
