"""Make the big tables of the scale benchmarks (``../shared/INTERFACES.md``).

    python bench/make_big_table.py /tmp/big.csv                 # 1,000,000 rows x 10 columns
    python bench/make_big_table.py /tmp/wide.csv --wide         # 10,000 rows x 200 columns
    python bench/make_big_table.py /tmp/small.csv --rows 1000   # any size, same columns
    python bench/make_big_table.py /tmp/accents.csv --accented  # 1,000,000 rows of accented Latin names

Deterministic: the same ``--seed`` (default 0) and size give the same bytes.

The tall table has integers (``Id``, ``Value``), numbers with commas
(``Population``), decimals (``Price``), ISO dates (``Date``), written dates
(``Founded``: ``May 3, 2004``), a score (``Score``: ``3–1``), short text with
few distinct values (``Country``), short text with many (``Name``) and long
free text (``Description``, about 80 characters, nearly all distinct) — the
kind of column that costs the most to parse. The wide table cycles through
the same ten kinds of column, 20 of each.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

TALL_ROWS, TALL_COLUMNS = 1_000_000, 10
WIDE_ROWS, WIDE_COLUMNS = 10_000, 200

_MONTHS = np.array(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
)
_COUNTRIES = np.array(
    ["France", "Germany", "Japan", "Brazil", "Canada", "Kenya", "India", "Norway", "Peru", "Chile", "Egypt", "Spain",
     "Italy", "Mexico", "Ghana", "Nepal", "Fiji", "Cuba", "Iran", "Oman"]
)  # fmt: skip
_SYLLABLES = np.array(["ka", "lo", "mi", "ren", "sa", "tor", "vel", "an", "bri", "co", "dun", "el", "fa", "gor", "hal", "is"])
_WORDS = np.array(
    ("the of and a to in is was for on that by with as at from his her its an be are were which this also after "
     "first new city team season won team league river north south east west club player game final album song "
     "station county district school church built opened record number people house party election member "
     "history world national state music film series book year years time group area village town road line "
     "near under during between about more most other some such only over into then than").split()
)  # fmt: skip
KINDS = ("integer", "value", "population", "price", "date", "founded", "score", "country", "name", "description")
"""The ten kinds of column, in the tall table's order."""
TALL_NAMES = ("Id", "Value", "Population", "Price", "Date", "Founded", "Score", "Country", "Name", "Description")


def _column(kind: str, rows: int, rng: np.random.Generator) -> pd.Series:
    """``rows`` cell strings of one kind, drawn from ``rng``."""
    if kind == "integer":
        return pd.Series(np.arange(1, rows + 1)).astype(str)
    if kind == "value":
        return pd.Series(rng.integers(0, 100_000, rows)).astype(str)
    if kind == "population":
        return pd.Series(rng.integers(0, 50_000_000, rows)).map("{:,}".format)
    if kind == "price":
        return pd.Series(np.round(rng.uniform(0, 10_000, rows), 2)).map("{:.2f}".format)
    if kind == "date":
        days = rng.integers(0, 365 * 120, rows)
        return pd.Series((np.datetime64("1900-01-01") + days).astype(str))
    if kind == "founded":
        month = _MONTHS[rng.integers(0, 12, rows)]
        day = rng.integers(1, 29, rows).astype(str)
        year = rng.integers(1800, 2025, rows).astype(str)
        return pd.Series(month) + " " + day + ", " + year
    if kind == "score":
        a, b = rng.integers(0, 10, rows).astype(str), rng.integers(0, 10, rows).astype(str)
        return pd.Series(a) + "–" + b
    if kind == "country":
        return pd.Series(_COUNTRIES[rng.integers(0, len(_COUNTRIES), rows)])
    if kind == "name":
        parts = [pd.Series(_SYLLABLES[rng.integers(0, len(_SYLLABLES), rows)]) for _ in range(4)]
        first = (parts[0] + parts[1]).str.capitalize()
        return first + " " + (parts[2] + parts[3]).str.capitalize()
    if kind == "description":
        idx = rng.integers(0, len(_WORDS), (rows, 14))
        text = pd.Series(_WORDS[idx[:, 0]]).str.capitalize()
        for k in range(1, 14):
            text = text + " " + _WORDS[idx[:, k]]
            if k == 7:  # a number inside one text in five, as in real descriptions
                number = pd.Series(rng.integers(1, 3000, rows)).astype(str)
                text = text + np.where(rng.random(rows) < 0.2, " " + number, "")
        return text + "."
    raise ValueError(f"unknown column kind {kind!r}")


_ACCENTED = np.array(["zü", "ré", "mö", "ça", "ña", "lo", "ka", "ßi", "é", "ån", "ør", "ti", "vel"])


def make_accented(rows: int, seed: int = 0) -> pd.DataFrame:
    """``Name`` (two accented words, about a third of the rows distinct), ``Town``
    (13 accented names) and ``Value`` (integers): text that is not ASCII."""
    rng = np.random.default_rng(seed)
    parts = [pd.Series(_ACCENTED[rng.integers(0, len(_ACCENTED), rows)]) for _ in range(5)]
    name = (parts[0] + parts[1] + parts[2]).str.capitalize() + " " + parts[3] + parts[4]
    town = pd.Series(_ACCENTED[rng.integers(0, len(_ACCENTED), rows)]).str.capitalize() + "berg"
    return pd.DataFrame({"Name": name, "Town": town, "Value": pd.Series(rng.integers(0, 100_000, rows)).astype(str)})


def make_table(rows: int, columns: int, seed: int = 0) -> pd.DataFrame:
    """A table of ``rows`` x ``columns`` cell strings; column ``j`` has kind ``KINDS[j % 10]``."""
    rng = np.random.default_rng(seed)
    data: dict[str, pd.Series] = {}
    for j in range(columns):
        kind = KINDS[j % len(KINDS)]
        name = TALL_NAMES[j] if columns <= len(KINDS) else f"{TALL_NAMES[j % len(KINDS)]} {j // len(KINDS) + 1}"
        data[name] = _column(kind, rows, rng)
    return pd.DataFrame(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="CSV file to write")
    parser.add_argument("--wide", action="store_true", help=f"{WIDE_ROWS:,} rows x {WIDE_COLUMNS} columns")
    parser.add_argument("--rows", type=int, help="number of rows (default: the benchmark's)")
    parser.add_argument("--columns", type=int, help="number of columns (default: the benchmark's)")
    parser.add_argument("--accented", action="store_true", help="accented Latin names instead (3 columns)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = args.rows or (WIDE_ROWS if args.wide else TALL_ROWS)
    columns = args.columns or (WIDE_COLUMNS if args.wide else TALL_COLUMNS)
    if rows < 1 or columns < 1:
        parser.error("--rows and --columns must be at least 1")
    frame = make_accented(rows, args.seed) if args.accented else make_table(rows, columns, args.seed)
    columns = frame.shape[1]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False, lineterminator="\n")
    size = args.out.stat().st_size
    print(f"wrote {args.out}: {rows:,} rows x {columns} columns, {size / 1e6:.1f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
