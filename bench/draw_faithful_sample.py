"""Draw the fixed dev sample of the faithfulness measure (issue 11).

    python bench/draw_faithful_sample.py ../shared/wtq/data/random-split-1-dev.tsv \
        --n 300 --seed 11 > data/faithful/dev-sample.tsv

The sample is ids only, in the order of the dev file; the seed is written in
the first line so the draw can be repeated. Run once; the committed file is the
sample (hand-written programs refer to it).
"""

from __future__ import annotations

import argparse
import random


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with open(args.data, encoding="utf-8") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle][1:]
    ids = [row[0] for row in rows]
    chosen = set(random.Random(args.seed).sample(ids, args.n))
    print(f"# seed={args.seed} n={args.n} from={args.data.rsplit('/', 1)[-1]}")
    for row in rows:
        if row[0] in chosen:
            print(row[0])


if __name__ == "__main__":
    main()
