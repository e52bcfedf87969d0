"""Dev accuracy of an ensemble: the controllers' distributions averaged, then decoded.

    python bench/ensemble_dev.py runs/s1_b/best runs/s1_seed1/best

The Neural Programmer paper's ensemble (15 models) averaged the models'
per-step distributions. Here every model runs on the same encoded questions
(the models must share a vocabulary: the same training data gives the same
one), the op, column and constant probabilities are averaged per step, and the
argmax program is decoded and executed as ``npqa ask`` does. Prints each
model's accuracy and the ensemble's, with the official metric on every
question of the split.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WTQ = ROOT.parent / "shared" / "wtq"


def main(argv: list[str] | None = None) -> int:
    from npqa.train.prepare import load_split, prepare
    from npqa.model.decode import decode_outputs
    from npqa.train.metric import check
    from npqa.model.batch import collate_numpy
    from npqa.model.ensemble import NumpyEnsemble
    from npqa.model.npcontroller import NumpyProgrammer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="model directories")
    parser.add_argument("--data", default=str(WTQ / "data" / "random-split-1-dev.tsv"))
    parser.add_argument("--tables-root", default=str(WTQ))
    args = parser.parse_args(argv)
    loaded = [NumpyProgrammer.load(m) for m in args.models]
    vocab = loaded[0][1]
    if any(v.words != vocab.words for _, v, _ in loaded):
        raise SystemExit("the models do not share a vocabulary")
    models = [m for m, _, _ in loaded]
    examples, tables = load_split(args.data, args.tables_root)
    items, _ = prepare(examples, tables, vocab, models[0].language, models[0].config.steps, False)
    correct = np.zeros(len(models) + 1, dtype=int)
    for start in range(0, len(items), 64):
        chunk = items[start : start + 64]
        batch = collate_numpy([it.enc for it in chunk])
        outs = [m(batch) for m in models]
        mean = NumpyEnsemble(models).forward(batch)
        for k, out in enumerate([*outs, mean]):
            for it, cands in zip(chunk, decode_outputs(models[0], out, chunk)):
                correct[k] += bool(cands) and bool(check(it.answers, list(cands[0].answer.items)))
    n = len(items)
    for name, c in zip([*args.models, "ensemble"], correct):
        print(f"{name}: accuracy={c / n:.4f} correct={c} examples={n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
