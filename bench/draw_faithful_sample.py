"""Draw the fixed dev sample of the faithfulness measure (issue 11).

    python bench/draw_faithful_sample.py ../shared/wtq/data/random-split-1-dev.tsv \
        --n 300 --seed 11 > data/faithful/dev-sample.tsv

A later sample that must not repeat an earlier one leaves its ids out first
(the confirmation sample of issue 12 part C):

    python bench/draw_faithful_sample.py ../shared/wtq/data/random-split-1-dev.tsv \
        --n 100 --seed 12 --exclude data/faithful/dev-sample.tsv > data/faithful/dev-confirm-sample.tsv

A third sample, drawn after every op of issue 12 was chosen, leaves out both:

    python bench/draw_faithful_sample.py ../shared/wtq/data/random-split-1-dev.tsv \
        --n 100 --seed 13 --exclude data/faithful/dev-sample.tsv \
        --exclude data/faithful/dev-confirm-sample.tsv > data/faithful/dev-final-sample.tsv

The sample is ids only, in the order of the dev file; the seed (and the
excluded file) is written in the first line so the draw can be repeated. Run
once; the committed file is the sample (hand-written programs refer to it).
"""

from __future__ import annotations

import argparse
import random
import sys


def read_ids(path: str) -> set[str]:
    """The ids of a sample file: one a line, ``#`` comment lines and blank lines skipped."""
    with open(path, encoding="utf-8") as handle:
        return {line.strip() for line in handle if line.strip() and not line.startswith("#")}


def draw(ids: list[str], n: int, seed: int, exclude: set[str] = frozenset()) -> list[str]:
    """``n`` ids drawn at random (seeded) from ``ids`` minus ``exclude``, in the order of ``ids``.

    Without ``exclude`` the draw is the one issue 11 made (same seed, same ids).

    >>> draw(["a", "b", "c", "d"], 2, seed=0, exclude={"a"})
    ['c', 'd']
    >>> draw(["a", "b", "c", "d"], 3, seed=0, exclude={"a"})
    ['b', 'c', 'd']
    """
    pool = [i for i in ids if i not in exclude]
    chosen = set(random.Random(seed).sample(pool, n))
    return [i for i in pool if i in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--exclude", action="append", default=[], help="a sample file whose ids are left out of the draw (repeatable)")
    args = parser.parse_args()
    with open(args.data, encoding="utf-8") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle][1:]
    ids = [row[0] for row in rows]
    exclude: set[str] = set()
    for path in args.exclude:
        try:
            exclude |= read_ids(path)
        except OSError as err:
            print(f"error: {path}: cannot read ({err.strerror or err})", file=sys.stderr)
            raise SystemExit(2) from None
    pool = len(ids) - len(exclude & set(ids))
    if not 0 < args.n <= pool:
        print(f"error: --n must be between 1 and {pool} (the ids left to draw from)", file=sys.stderr)
        raise SystemExit(2)
    header = f"# seed={args.seed} n={args.n} from={args.data.rsplit('/', 1)[-1]}"
    if args.exclude:
        header += " exclude=" + ",".join(path.rsplit("/", 1)[-1] for path in args.exclude)
    print(header)
    for qid in draw(ids, args.n, args.seed, exclude):
        print(qid)


if __name__ == "__main__":
    main()
