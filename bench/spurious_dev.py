"""The spurious answers of a model on the test-suite sample, one by one (issue 13).

    python bench/spurious_dev.py --model runs/wd4/member1 [--model …]

For each question the model answers right on its table but wrong on one of its
variants (``npqa.suite``: the ``spurious`` of ``bench/suite_dev.py``), prints
the model's program on the table, the hand-written one, and on the first
variant it misses: the right answer, the model's answer and program, and
whether the question can still name the hand program's string constants there
(``gone``: a constant's match words are those of no linked constant of the variant, because the
rows holding it were dropped, so no program the model can emit is the hand
program). The last line per model counts: spurious, with the same program as
the hand one on the table, with a constant gone on the missed variant.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WTQ = ROOT.parent / "shared" / "wtq"


def main(argv: list[str] | None = None) -> int:
    from npqa.api import TableQA
    from npqa.grammars.ops import LANGUAGE
    from npqa.lang.textform import parse, to_text
    from npqa.question.link import read_question
    from npqa.suite import draw_variants, load_cases
    from npqa.table.text import match_words
    from npqa.train.metric import check

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", required=True, help="model directory (repeatable)")
    parser.add_argument("--programs", default=str(ROOT / "data" / "faithful" / "dev-programs.tsv"))
    parser.add_argument("--dev", default=str(WTQ / "data" / "random-split-1-dev.tsv"))
    parser.add_argument("--tables-root", default=str(WTQ))
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    cases = [c for c in load_cases(args.programs, args.dev, args.tables_root) if c.hand.status == "ok"]
    for model in args.model:
        qa = TableQA.load(model)
        counts = {"spurious": 0, "same_program": 0, "constant_gone": 0}
        for case in cases:
            (on_table,) = qa.ask_many(case.table, [case.question])
            if not check(list(case.gold), list(on_table.answer)):
                continue
            hand = parse(case.hand.program, LANGUAGE)
            strings = {match_words(s.constant): s.constant for s in hand.steps if isinstance(s.constant, str)}
            drawn = draw_variants(case.table, hand, case.hand.id, k=args.k, seed=args.seed)
            for variant in drawn.variants:
                (asked,) = qa.ask_many(variant.table, [case.question])
                if check(list(variant.answer), list(asked.answer)):
                    continue
                linked = {match_words(str(c.value)) for c in read_question(case.question, variant.table).constants}
                gone = sorted(text for words, text in strings.items() if words not in linked)
                same = to_text(hand, LANGUAGE) == on_table.program
                counts["spurious"] += 1
                counts["same_program"] += same
                counts["constant_gone"] += bool(gone)
                print(f"{Path(model).name}\t{case.hand.id}\t{case.question}\n"
                      f"  table: {on_table.program}{'  (= hand)' if same else ''}\n"
                      f"  hand:  {case.hand.program}\n"
                      f"  variant: right {list(variant.answer)}, got {list(asked.answer)} by {asked.program}"
                      f"{'; gone: ' + ', '.join(gone) if gone else ''}")
                break
        print(json.dumps({"model": model, **counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
