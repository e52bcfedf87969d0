"""Check the question parser and linker on WTQ: speed and cheap quality signals.

    python bench/check_question.py [--data TSV] [--root DIR] [--runs N]

Reports, over every question of the data file (default: random-split-1-dev):

* time for parse + link per question (median) and in total, table indexes built
  and words read from cold caches (loading the CSVs is timed apart and not counted);
* the share of questions with at least one number constant / string constant;
* the share where some gold answer item equals (after ``npqa.text.match_text``)
  a linked string constant: a cheap sign that the linker picks relevant spans;
* agreement of number constants with CoreNLP's ``nerValues`` on the
  pristine-seen-tables questions (``tagged/``), a reference only.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from npqa.question.link import LinkedQuestion, clear_caches, link_question  # noqa: E402
from npqa.question.parse import parse_question  # noqa: E402
from npqa.table.column import Table  # noqa: E402
from npqa.table.text import match_text  # noqa: E402
from npqa.train.wtq import Example, TableCache, read_examples  # noqa: E402

WTQ = ROOT.parent / "shared" / "wtq"
NUMERIC_NER = {"NUMBER", "ORDINAL", "PERCENT", "MONEY"}


@dataclass
class Run:
    seconds: list[float]  # per question, parse + link
    linked: list[LinkedQuestion]


def link_all(examples: list[Example], tables: TableCache) -> Run:
    """Parse and link every question once, from cold caches (table indexes, word readings)."""
    clear_caches()
    seconds, linked = [], []
    for ex in examples:
        table: Table = tables.get(ex.table_path, ex.id)
        t0 = time.perf_counter()
        lq = link_question(parse_question(ex.question), table)
        seconds.append(time.perf_counter() - t0)
        linked.append(lq)
    return Run(seconds, linked)


def share(flags: list[bool]) -> float:
    return sum(flags) / max(len(flags), 1)


def answer_in_strings(ex: Example, lq: LinkedQuestion) -> bool:
    strings = {match_text(str(c.value)) for c in lq.constants if c.kind == "string"}
    return any(match_text(a) in strings for a in ex.answers)


def corenlp_numbers(tags: str, values: str) -> set[float]:
    """Numeric values CoreNLP gives a question: NUMBER/ORDINAL/PERCENT/MONEY, and
    DATE values that are a bare year (npqa reads a year as a number too)."""
    found = set()
    for tag, value in zip(tags.split("|"), values.split("|")):
        value = re.sub(r"^[<>=~]+", "", value)
        if tag in NUMERIC_NER:
            try:
                found.add(float(value))
            except ValueError:
                continue
        elif tag == "DATE" and re.fullmatch(r"\d{4}", value):
            found.add(float(value))
    return found


def number_agreement(tagged: Path) -> tuple[int, float, float, float]:
    """(questions, exact-set agreement, precision, recall) of number constants vs CoreNLP."""
    lines = tagged.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    at_q, at_tags, at_vals = header.index("utterance"), header.index("nerTags"), header.index("nerValues")
    same, tp, n_ours, n_ref, n = 0, 0, 0, 0, 0
    for line in lines[1:]:
        fields = line.split("\t")
        ref = corenlp_numbers(fields[at_tags], fields[at_vals])
        ours = {float(c.value) for c in parse_question(fields[at_q]).constants if c.kind == "number"}  # type: ignore[arg-type]
        n += 1
        same += ours == ref
        tp += len(ours & ref)
        n_ours += len(ours)
        n_ref += len(ref)
    return n, same / n, tp / max(n_ours, 1), tp / max(n_ref, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=WTQ / "data" / "random-split-1-dev.tsv")
    parser.add_argument("--root", type=Path, default=WTQ)
    parser.add_argument("--runs", type=int, default=5, help="timed runs (each from cold caches)")
    args = parser.parse_args()

    examples = read_examples(args.data)
    tables = TableCache(args.root)
    t0 = time.perf_counter()
    for ex in examples:
        tables.get(ex.table_path, ex.id)
    load_s = time.perf_counter() - t0

    runs = [link_all(examples, tables) for _ in range(args.runs)]
    totals = [sum(r.seconds) for r in runs]
    medians = [statistics.median(r.seconds) for r in runs]
    linked = runs[0].linked

    print(f"data={args.data.name} questions={len(examples)} tables={len(tables.tables)} load_tables_s={load_s:.2f}")
    print(
        f"parse+link: median_us_per_question={statistics.median(medians) * 1e6:.0f} "
        f"total_s={statistics.median(totals):.3f} (median of {args.runs} cold runs; min {min(totals):.3f} max {max(totals):.3f})"
    )
    print(f"share_with_number_constant={share([any(c.kind == 'number' for c in lq.constants) for lq in linked]):.3f}")
    print(f"share_with_date_constant={share([any(c.kind == 'date' for c in lq.constants) for lq in linked]):.3f}")
    print(f"share_with_string_constant={share([any(c.kind == 'string' for c in lq.constants) for lq in linked]):.3f}")
    strings_per_q = [sum(c.kind == "string" for c in lq.constants) for lq in linked]
    print(f"string_constants_per_question_mean={statistics.mean(strings_per_q):.2f}")
    print(f"share_answer_is_a_string_constant={share([answer_in_strings(ex, lq) for ex, lq in zip(examples, linked)]):.3f}")

    tagged = args.root / "tagged" / "pristine-seen-tables.tagged"
    if tagged.is_file():
        n, same, precision, recall = number_agreement(tagged)
        print(
            f"corenlp_number_agreement(pristine-seen-tables, {n} questions): "
            f"same_set={same:.3f} precision={precision:.3f} recall={recall:.3f}"
        )


if __name__ == "__main__":
    main()
