"""Dev accuracy and the lengths of the argmax programs, per model.

    python bench/program_lengths.py /work/runs/base_s0 /work/runs/act_s0 [--json]

Each model answers every question of the split as ``npqa predict`` does
(batched torch inference, the argmax program executed, the official metric).
A program's length is its number of row steps once canonical (``keep``
padding and everything before a ``reset`` dropped): 0 for ``count(all
rows)``, up to T-1. For a model with adaptive computation time the step
each argmax program halted at (the row steps the controller ran before its
terminal) and the mean halting distribution are reported too, and, as a
diagnostic of the stopping
rule, the accuracy of the same model under each stopping rule (only the
decoding differs): ``budget``, Graves' N (the first k where p_0 + … + p_k ≥
1 - ε); ``median`` (… ≥ 1/2, the default ``act_stop``); ``likeliest``
(argmax_k p_k); ``joint`` (the length of the likeliest program over all
lengths: argmax over k of p_k × the best choices of k row steps). Prints, per
model: accuracy as the model decodes, the length histogram (share and
accuracy per length) and the mean length.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WTQ = ROOT.parent / "shared" / "wtq"


def measure(model_dir: str, data: str, tables_root: str, cache: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    """Accuracy and program-length figures of one model on one split (``cache``: prepared items by vocabulary)."""
    import torch

    from npqa.model.decode import decode_outputs
    from npqa.model.files import load_model
    from npqa.train.infer import batches_by_size, forward_items
    from npqa.train.metric import check
    from npqa.train.prepare import load_split, prepare

    model, vocab, _ = load_model(model_dir)
    model.eval()
    T = model.config.steps
    key = (*vocab.words, f"steps={T}")
    if key not in cache:
        examples, tables = load_split(Path(data), Path(tables_root))
        cache[key] = prepare(examples, tables, vocab, model.language, T, False)[0]
    items = cache[key]
    lengths = np.zeros(T, dtype=int)  # canonical row steps
    right_by_length = np.zeros(T, dtype=int)
    halting = np.zeros(T, dtype=int)  # ACT: the step each argmax program halted at
    halt_mass = np.zeros(T)
    right = answered = 0
    rules = {"budget": 0, "median": 0, "likeliest": 0, "joint": 0}  # ACT: questions right under each stopping rule
    with torch.no_grad():
        for idx in batches_by_size(items):
            chunk = [items[i] for i in idx]
            out = forward_items(model, chunk)
            if out.halt is not None:
                halt_mass += out.halt.sum(0).numpy()
                for rule, right_k in _other_rules(model, out, chunk).items():
                    rules[rule] += sum(bool(check(it.answers, list(a))) for it, a in zip(chunk, right_k))
            for it, cands in zip(chunk, decode_outputs(model, out, chunk)):
                if not cands:
                    continue
                best = cands[0]
                ok = bool(check(it.answers, list(best.answer.items)))
                n = len(best.program.row_steps)
                answered += 1
                right += ok
                lengths[n] += 1
                right_by_length[n] += ok
                halting[len(best.choices) - 1] += 1
    total = max(len(items), 1)
    result: dict[str, Any] = {
        "model": model_dir,
        "act": model.config.act,
        "questions": len(items),
        "accuracy": right / total,
        "correct": right,
        "row_steps": {str(k): int(lengths[k]) for k in range(T)},
        "row_steps_share": {str(k): float(lengths[k] / max(answered, 1)) for k in range(T)},
        "accuracy_by_row_steps": {str(k): float(right_by_length[k] / lengths[k]) if lengths[k] else None for k in range(T)},
        "mean_row_steps": float((np.arange(T) * lengths).sum() / max(answered, 1)),
    }
    if model.config.act:
        result["act_stop"] = model.config.act_stop
        result["halting_step"] = {str(k): int(halting[k]) for k in range(T)}
        result["mean_halting_step"] = float((np.arange(T) * halting).sum() / max(answered, 1))
        result["mean_halting_distribution"] = [float(x) for x in halt_mass / total]
        result["accuracy_if_stopped_at"] = {rule: n / total for rule, n in rules.items()}
    return result


def _other_rules(model: Any, out: Any, chunk: list[Any]) -> dict[str, list[tuple[str, ...]]]:
    """The argmax program's answer per question of ``chunk`` under each stopping rule."""
    import torch

    from npqa.model.config import ACT_EPSILON
    from npqa.model.decode import decode_outputs

    T = model.config.steps
    halt = out.halt  # (B, T)

    def stopped(ks: torch.Tensor) -> list[Any]:  # the best candidate of each question, stopped at ks (B,)
        return [c[0] if c else None for c in decode_outputs(model, dataclasses.replace(out, halt=torch.eye(T)[ks]), chunk)]

    spent = halt.double().cumsum(1)  # (B, T)
    budget = (spent >= 1 - ACT_EPSILON).float().argmax(1)  # (B,)
    median = (spent >= 0.5).float().argmax(1)  # (B,)
    per_length = [stopped(torch.full((len(chunk),), k)) for k in range(T)]  # T × B
    joint = []
    for b in range(len(chunk)):
        cands = [per_length[k][b] for k in range(T) if float(halt[b, k]) > 0 and per_length[k][b] is not None]
        joint.append(max(cands, key=lambda d: d.confidence) if cands else None)
    answers = {"budget": stopped(budget), "median": stopped(median), "likeliest": stopped(halt.argmax(1)), "joint": joint}
    return {rule: [d.answer.items if d is not None else () for d in ds] for rule, ds in answers.items()}


def _report(r: dict[str, Any]) -> str:
    T = len(r["row_steps"])
    lines = [f"{r['model']}: accuracy={r['accuracy']:.4f} correct={r['correct']} questions={r['questions']} act={r['act']}"]
    lines.append("  row steps:  " + "  ".join(f"{k}: {r['row_steps_share'][str(k)]:6.1%}" for k in range(T)))
    acc = r["accuracy_by_row_steps"]
    lines.append("  accuracy:   " + "  ".join(f"{k}: {acc[str(k)]:6.1%}" if acc[str(k)] is not None else f"{k}:      -" for k in range(T)))
    lines.append(f"  mean row steps: {r['mean_row_steps']:.3f}")
    if r["act"]:
        n = max(r["questions"], 1)
        lines.append("  halted at:  " + "  ".join(f"{k}: {r['halting_step'][str(k)] / n:6.1%}" for k in range(T)))
        lines.append(f"  mean halting step: {r['mean_halting_step']:.3f}; mean halting distribution: "
                     + " ".join(f"{p:.3f}" for p in r["mean_halting_distribution"]))  # fmt: skip
        lines.append(f"  decoded with act_stop={r['act_stop']}; accuracy by stopping rule: "
                     + ", ".join(f"{rule} {acc:.4f}" for rule, acc in r["accuracy_if_stopped_at"].items()))  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="model directories")
    parser.add_argument("--data", default=str(WTQ / "data" / "random-split-1-dev.tsv"))
    parser.add_argument("--tables-root", default=str(WTQ))
    parser.add_argument("--json", action="store_true", help="one JSON object per model")
    args = parser.parse_args(argv)
    cache: dict[tuple[str, ...], Any] = {}
    for model_dir in args.models:
        result = measure(model_dir, args.data, args.tables_root, cache)
        print(json.dumps(result) if args.json else _report(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
