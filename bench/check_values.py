"""Agreement of npqa's value readings with Stanford CoreNLP's on WTQ.

    python bench/check_values.py [--wtq DIR] [--examples N] [--part cells|canon|all]
                                 [--per-cell] [--dump FILE]

``cells``: over every body cell (row >= 0) of every ``tagged/20X-tagged/*.tagged``
table, the share of cells where CoreNLP gives a ``number`` that npqa reads the
same (within 1e-6), the same for ``date`` (compared as ``yyyy-mm-dd`` with
``xx``), ``num2`` (for information), the combined agreement, and the most
frequent kinds of disagreement with examples. npqa's readings are those a table
gets: each tagged column is read as one column (:func:`npqa.table.read.make_column`,
with the conventions its cells show: decimal commas, day-first dates, durations as
the numbers of a column of durations). ``--per-cell`` reads every cell alone
instead (:func:`npqa.table.values.parse_number`, ``parse_date``,
``parse_number2``), as this script did before columns had conventions.
``--dump FILE`` writes every cell's readings (TSV) to compare two versions.

``canon``: over the 3,537 questions of ``tagged/pristine-seen-tables.tagged``, the
share of gold answers (and of items) whose value from
:func:`npqa.metric.to_gold_values` equals the value the official evaluator builds
from CoreNLP's ``targetCanon``, and the disagreements.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from npqa.train.metric import DateValue, NumberValue, StringValue, Value, to_gold_values, to_value, unescape_tsv  # noqa: E402
from npqa.table.values import parse_date, parse_number, parse_number2  # noqa: E402

try:
    from npqa.table.read import make_column  # noqa: E402
except ImportError:  # an old checkout without columns
    make_column = None

WTQ = ROOT.parent / "shared" / "wtq"
csv.field_size_limit(1 << 30)


@dataclass
class Tally:
    """Agreement on one field (number, date or num2)."""

    name: str
    total: int = 0
    agree: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, agrees: bool, kind: str, example: str, keep: int) -> None:
        self.total += 1
        if agrees:
            self.agree += 1
            return
        self.kinds[kind] += 1
        if len(self.examples[kind]) < keep:
            self.examples[kind].append(example)

    def line(self) -> str:
        share = self.agree / max(self.total, 1)
        return f"{self.name}: agree={share:.4f} ({self.agree}/{self.total})"

    def report(self, top: int) -> list[str]:
        lines = [self.line()]
        for kind, count in self.kinds.most_common(top):
            lines.append(f"    {count:6d}  {kind}   e.g. " + " ; ".join(self.examples[kind]))
        return lines


def shape(text: str) -> str:
    """A coarse shape of a text for grouping: digit runs → 9, letter runs → a."""
    text = re.sub(r"\d+", "9", text)
    text = re.sub(r"[^\W\d_]+", "a", text)
    return text[:40]


Reading = tuple[float | None, object, float | None]  # (number, date, num2)


def tagged_cells(wtq: Path, per_cell: bool) -> Iterator[tuple[str, dict[str, str], str, Reading]]:
    """Every body cell of every tagged table: (table path, its tagged fields, its
    collapsed text, npqa's (number, date, num2) of it)."""
    for path in sorted(wtq.glob("tagged/20*-tagged/*.tagged")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows = [r for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if int(r["row"]) >= 0]
        texts = [" ".join(unescape_tsv(r["content"]).split()) for r in rows]
        readings: list[Reading]
        if per_cell or make_column is None:
            readings = [(parse_number(t), parse_date(t), parse_number2(t)) for t in texts]
        else:
            readings = [(None, None, None)] * len(rows)
            by_column: dict[str, list[int]] = defaultdict(list)
            for i, r in enumerate(rows):
                by_column[r["col"]].append(i)
            for col, where in by_column.items():
                column = make_column(col, [texts[i] for i in where])
                for k, i in enumerate(where):
                    n, n2 = float(column.numbers[k]), float(column.numbers2[k])
                    readings[i] = (None if n != n else n, column.dates[k], None if n2 != n2 else n2)
        for r, t, reading in zip(rows, texts, readings):
            yield str(path.relative_to(wtq)), r, t, reading


def check_cells(wtq: Path, keep: int, top: int, per_cell: bool = False, dump: Path | None = None) -> list[str]:
    """The cell-parser agreement report."""
    started = time.perf_counter()
    number, date, num2 = Tally("number"), Tally("date"), Tally("num2")
    combined_cells = combined_agree = 0
    extra_dates = Counter[str]()
    n_cells = 0
    out = dump.open("w", encoding="utf-8") if dump is not None else None
    for path, row, text, (ours_n, ours_d, ours_2) in tagged_cells(wtq, per_cell):
        n_cells += 1
        if out is not None:
            iso = None if ours_d is None else ours_d.iso()  # type: ignore[attr-defined]
            fields = [path, row["row"], row["col"], text.replace("\t", " "), row["number"], row["date"], ours_n, iso]
            out.write("\t".join("" if f is None else str(f) for f in fields) + "\n")
        cell_ok = True
        if row["number"]:
            gold = float(row["number"])
            ok = ours_n is not None and abs(ours_n - gold) < 1e-6
            kind = "number " + ("none" if ours_n is None else "other") + f" [{shape(text)}]"
            number.add(ok, kind, f"{text!r}: corenlp={gold:g} ours={ours_n}", keep)
            cell_ok &= ok
        if row["date"]:
            ours_iso = None if ours_d is None else ours_d.iso()
            ok = ours_iso == row["date"]
            kind = "date " + ("none" if ours_d is None else "other") + f" [{shape(text)}]"
            date.add(ok, kind, f"{text!r}: corenlp={row['date']} ours={ours_iso}", keep)
            cell_ok &= ok
        elif ours_d is not None:
            extra_dates[shape(text)] += 1
        if row["num2"]:
            gold2 = float(row["num2"])
            ok = ours_2 is not None and abs(ours_2 - gold2) < 1e-6
            kind = "num2 " + ("none" if ours_2 is None else "other") + f" [{shape(text)}]"
            num2.add(ok, kind, f"{text!r}: corenlp={gold2:g} ours={ours_2}", keep)
        if row["number"] or row["date"]:
            combined_cells += 1
            combined_agree += cell_ok
    seconds = time.perf_counter() - started
    if out is not None:
        out.close()
    pairs_total = number.total + date.total
    pairs_agree = number.agree + date.agree
    lines = [
        f"cells={n_cells} with_number_or_date={combined_cells} seconds={seconds:.1f}",
        f"combined (cells, every CoreNLP field agrees): {combined_agree / max(combined_cells, 1):.4f} "
        f"({combined_agree}/{combined_cells})",
        f"combined (number and date readings): {pairs_agree / max(pairs_total, 1):.4f} ({pairs_agree}/{pairs_total})",
        *number.report(top),
        *date.report(top),
        *num2.report(top),
        f"dates we read where CoreNLP has none: {sum(extra_dates.values())}, top shapes: "
        + ", ".join(f"{s!r}={c}" for s, c in extra_dates.most_common(8)),
    ]
    return lines


def corenlp_gold(items: list[str], canon: list[str]) -> list[Value]:
    """The official evaluator's gold values built from CoreNLP's ``targetCanon``."""
    return list({to_value(item, c) for item, c in zip(items, canon)})


def value_key(value: Value) -> tuple[object, ...]:
    """A comparable identity of a value: its type and what it holds."""
    if isinstance(value, NumberValue):
        return ("number", value.amount)
    if isinstance(value, DateValue):
        return ("date", value.year, value.month, value.day)
    assert isinstance(value, StringValue)
    return ("string", value.normalized)


def check_canon(wtq: Path, keep: int) -> list[str]:
    """The gold-canonicalisation agreement report."""
    path = wtq / "tagged" / "pristine-seen-tables.tagged"
    answers = agree = items_total = items_agree = 0
    misses: list[str] = []
    kinds = Counter[str]()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            items = [unescape_tsv(x) for x in row["targetValue"].split("|")]
            canon = [unescape_tsv(x) for x in row["targetCanon"].split("|")]
            if len(items) != len(canon):
                canon = items  # CoreNLP split differently; the official script then uses the raw items
            answers += 1
            ours = {value_key(v) for v in to_gold_values(items)}
            theirs = {value_key(v) for v in corenlp_gold(items, canon)}
            agree += ours == theirs
            for item, c in zip(items, canon):
                items_total += 1
                a, b = value_key(to_gold_values([item])[0]), value_key(to_value(item, c))
                if a == b:
                    items_agree += 1
                    continue
                kinds[f"ours={a[0]} corenlp={b[0]}"] += 1
                if len(misses) < keep:
                    misses.append(f"    {item!r}: ours={a} corenlp={b}")
    return [
        f"answers: agree={agree / max(answers, 1):.4f} ({agree}/{answers})",
        f"items: agree={items_agree / max(items_total, 1):.4f} ({items_agree}/{items_total})",
        "disagreements by type: " + ", ".join(f"{k}: {c}" for k, c in kinds.most_common()),
        *misses,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wtq", type=Path, default=WTQ, help="the WTQ folder (with tagged/)")
    parser.add_argument("--examples", type=int, default=3, help="examples per disagreement kind")
    parser.add_argument("--top", type=int, default=15, help="disagreement kinds shown per field")
    parser.add_argument("--part", choices=["cells", "canon", "all"], default="all")
    parser.add_argument("--per-cell", action="store_true", help="read each cell alone, not as part of its column")
    parser.add_argument("--dump", type=Path, help="write every cell's readings to this TSV")
    args = parser.parse_args()
    if args.part in ("cells", "all"):
        print("\n".join(check_cells(args.wtq, args.examples, args.top, args.per_cell, args.dump)))
    if args.part in ("canon", "all"):
        print("\n".join(check_canon(args.wtq, max(args.examples, 60))))


if __name__ == "__main__":
    main()
