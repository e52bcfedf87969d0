"""How much the calibrated confidence can be trusted: cross-fitted on one model's dev
answers, then carried over to a model trained with another seed.

    python bench/calibration.py --fit ../runs/base_s0 --transfer ../runs/base_s1 \
        --data ../shared/wtq/data/random-split-1-dev.tsv --tables-root ../shared/wtq

Both models are asked every dev question through the public API, table by table,
as ``npqa ask`` asks (no calibration.json is read or written: the signals do not
depend on one). Printed, each as ``name: ece=… auroc=… top25=… top50=… top75=…``
(ECE over 10 equal-width bins; AUROC of right vs wrong; accuracy of the most
confident 25/50/75%):

* the fit model's raw program probability;
* cross-fitted calibrated confidence: dev split in two folds by table, a
  calibrator fitted on one fold measured on the other, both ways (``--seeds``
  draws of the folds), with the bands' accuracy and share and the accuracy and
  coverage when answers below 0.3/0.5/0.7 are withheld (first seed);
* transfer: the calibrator fitted on all of the fit model's dev answers (what
  ``npqa calibrate`` writes), applied to the transfer model's dev answers, with
  the same bands and abstention lines, beside that model's raw probability;
* the long-list remark: how many dev answers it flags, and how many of those are right.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from npqa.api import TableQA
from npqa.calibration import Predictions, calibrated, collect, cross_fitted, fit, raw_probabilities, scored
from npqa.model.calibrate import ABSTAIN_THRESHOLDS, Bands, abstention, band_figures, figures, remarks_of


def line(name: str, probs: np.ndarray, right: np.ndarray) -> str:
    f = figures(probs, right)
    keys = ("ece", "auroc", "top25", "top50", "top75", "mean_confidence", "accuracy", "answers")
    return f"{name}: " + " ".join(f"{k}={f[k]}" for k in keys)


def detail(probs: np.ndarray, right: np.ndarray, bands: Bands) -> list[str]:
    acc, share = band_figures(probs, right, bands)
    out = [f"  band {b}: accuracy={acc[b]:.4f} share={share[b]:.4f}" for b in acc]
    for p in ABSTAIN_THRESHOLDS:
        a = abstention(probs.tolist(), right.tolist(), p)
        out.append(f"  min_confidence={p:g}: coverage={a['coverage']:.4f} accuracy={a['accuracy']:.4f} answered={a['answered']}")
    return out


def remark_line(preds: Predictions) -> str:
    flagged = [i for i, s in enumerate(preds.signals) if s is not None and remarks_of(s)]
    return f"long-list remark: flagged={len(flagged)} right={sum(preds.right[i] for i in flagged)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", type=Path, required=True, help="model whose dev answers fit the calibrator")
    parser.add_argument("--transfer", type=Path, default=None, help="model (another seed) to carry it over to")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--tables-root", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="fold draws of the cross-fit")
    args = parser.parse_args()

    start = time.time()
    preds = collect(TableQA.load(args.fit), args.data, args.tables_root)
    print(f"fit model: {args.fit} questions={len(preds.ids)} ({time.time() - start:.0f} s to answer them)")
    print(line("program_prob", *scored(preds, raw_probabilities(preds))))
    for seed in args.seeds:
        probs, right = scored(preds, cross_fitted(preds, seed))
        print(line(f"cross_fitted seed={seed}", probs, right))
        if seed == args.seeds[0]:
            print("\n".join(detail(probs, right, Bands())))
    print(remark_line(preds))
    if args.transfer is None:
        return
    cal = fit(preds)
    other = collect(TableQA.load(args.transfer), args.data, args.tables_root)
    print(f"transfer model: {args.transfer} (calibrator fitted on all of {args.fit}'s dev answers)")
    print(line("program_prob", *scored(other, raw_probabilities(other))))
    probs, right = scored(other, calibrated(other, cal))
    print(line("transfer", probs, right))
    print("\n".join(detail(probs, right, cal.bands)))
    print(remark_line(other))


if __name__ == "__main__":
    main()
