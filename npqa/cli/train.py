"""``npqa train``, ``npqa predict`` and ``npqa eval``: learning and measuring."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from typing_extensions import Annotated

from npqa.cli.app import JsonOpt, ModelOpt, TablesRootOpt, _count_lines, _print_json, _progress, command, training_language
from npqa.errors import DependencyError, OptionError, OutputError


def _require_torch(command: str) -> None:
    """:class:`DependencyError` unless PyTorch imports (asking never needs it; training does)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise DependencyError(command, "needs PyTorch: pip install 'npqa[train]'") from None


@command("train")
def train(
    train_tsv: Annotated[Path, typer.Option("--train", help="WTQ-style TSV to learn from.")],
    tables_root: TablesRootOpt,
    out: Annotated[Path, typer.Option("--out", help="Output directory for the model and checkpoints.")],
    dev: Annotated[Optional[Path], typer.Option("--dev", help="TSV to measure accuracy on after each epoch.")] = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Passes over the training questions.")] = 12,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same model).")] = 0,
    hidden: Annotated[int, typer.Option("--hidden", min=4, help="Hidden size of the controller.")] = 128,
    embed_dim: Annotated[int, typer.Option("--embed-dim", min=4, help="Word embedding size.")] = 64,
    dropout: Annotated[float, typer.Option("--dropout", min=0.0, max=0.9, help="Dropout on the encoder's outputs and the controller's state.")] = 0.2,
    weight_decay: Annotated[float, typer.Option("--weight-decay", min=0.0, help="Decoupled weight decay (AdamW) at this rate; 0: plain Adam. On WTQ 0.1 adds 1.1 points of dev accuracy and 1.5 of test-suite accuracy (four seeds; shipped recipe, BENCHMARKS.md).")] = 0.0,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the last checkpoint in --out.")] = False,
    soft_weight: Annotated[float, typer.Option("--soft-weight", help="Weight of the soft (Neural Programmer) loss.")] = 0.1,
    ema: Annotated[float, typer.Option("--ema", min=0.0, max=0.99999, help="Decay of a moving average of the weights, evaluated and saved instead (0: off).")] = 0.0,
    members: Annotated[int, typer.Option("--members", min=1, max=16, help="Train an ensemble of this many models (seeds SEED, SEED+1, …) on the same prepared data.")] = 1,
    rank: Annotated[str, typer.Option("--rank", help="Consistent programs trained on: shortest, triggers (ops the question's words make plausible first), or compare (shortest, but a question naming 'X or Y' trains on the programs comparing X and Y when one is right).")] = "shortest",
    mapo: Annotated[float, typer.Option("--mapo", min=0.0, max=1.0, help="Weigh each question by its consistent programs' probability, clipped below at this (MAPO; 0: plain likelihood). For one model 0.1 adds 1.7 points of WTQ dev accuracy (two seeds); a two-member ensemble gains nothing from it (BENCHMARKS.md).")] = 0.0,
    prior: Annotated[float, typer.Option("--prior", min=0.0, help="Weigh each consistent program by exp(-PRIOR x its rank) in the likelihood (short programs using the question's constants first; 0: all alike). At 1, two seeds on WTQ split 1 moved dev accuracy -0.3 and test-suite accuracy +0.3 points: no gain (BENCHMARKS.md).")] = 0.0,
    merit: Annotated[float, typer.Option("--merit", min=0.0, max=1.0, help="Share each question's gradient among its consistent programs by probability^MERIT (Guu et al. 2017): 1 is the marginal likelihood, 0 gives every consistent program an equal share.")] = 1.0,
    act: Annotated[bool, typer.Option("--act", help="Adaptive computation time: a halting unit decides how many row steps each program takes (ponder cost 0.01).")] = False,
    threads: Annotated[int, typer.Option("--threads", min=1, max=64, help="CPU threads for torch and worker processes for data preparation (1 keeps a run steady on a shared machine); with --members, up to this many members train side by side, the threads shared; under torchrun, this machine's budget, shared by its ranks.")] = 2,
    batch: Annotated[Optional[int], typer.Option("--batch", min=1, help="Questions per training batch at most, over all ranks together under torchrun (default 32).")] = None,
    max_programs: Annotated[int, typer.Option("--max-programs", min=1, help="Consistent programs kept per question, best first by --rank.")] = 64,
    with_op: Annotated[Optional[list[str]], typer.Option("--with-op", help="Also learn this op, declared but not learned by default (exists, longest_run); repeatable.")] = None,
) -> None:
    """Train a model from question-answer pairs (WTQ format)."""
    _require_torch("train")
    from npqa.train.loop import TrainConfig, train as run
    from npqa.train.prepare import RANKS

    if rank not in RANKS:
        raise OptionError("--rank", f"unknown ranking {rank!r} (one of: {', '.join(RANKS)})")

    training_language(with_op)  # an unknown op is one line before any work
    cfg = TrainConfig(str(train_tsv), str(tables_root), str(out), str(dev) if dev else None, epochs, seed,
                      soft_weight=soft_weight, hidden=hidden, dropout=dropout, weight_decay=weight_decay, embed_dim=embed_dim, ema=ema, members=members, rank=rank, mapo=mapo, prior=prior, merit=merit, act=act, threads=threads, max_programs=max_programs, with_ops=tuple(with_op or ()),
                      command="npqa " + " ".join(sys.argv[1:]), **({"batch": batch} if batch else {}))  # fmt: skip
    from npqa.train.distributed import PeerLost, launched, leave

    try:
        logs = run(cfg, resume=resume)
    except PeerLost as err:  # one line, exit 1: the run is over, its last finished epoch is on disk
        sys.stderr.write(f"error: distributed: {err}; the last finished epoch is saved: run again with --resume\n")
        if launched():
            leave(1)
        raise typer.Exit(1) from None
    if not launched() or os.environ.get("RANK") == "0":  # rank 0 alone reports
        last = logs[-1] if logs else None
        dev_part = f" dev_accuracy={last.dev_accuracy:.4f}" if last is not None and last.dev_accuracy is not None else ""
        typer.echo(f"model={out} epochs={last.epoch if last else 0}{dev_part}")
    if launched():
        leave(0)  # no interpreter teardown to race with gloo's threads


MinConfidenceOpt = Annotated[
    Optional[float],
    typer.Option("--min-confidence", min=0.0, max=1.0, help="Write the id alone when the confidence is below this."),
]


def _predict_split(data: Path, tables_root: Path, model: Optional[Path]) -> tuple[list[Any], list[Any], list[float]]:
    """Items, decoded programs and each best answer's confidence (calibrated when the model has a calibrator)."""
    from npqa.api import TableQA
    from npqa.model.calibrate import assess
    from npqa.train.prepare import load_split, prepare
    from npqa.train.infer import predict as run_predict

    examples, tables = load_split(data, tables_root)
    qa = TableQA.load(model)  # the numpy engine, batched: no torch needed
    with _progress() as progress:
        task = progress.add_task("read", total=len(examples))
        items, _ = prepare(examples, tables, qa.vocab, qa.model.language, qa.model.config.steps, False,
                           on_item=lambda: progress.advance(task), rows=False)  # fmt: skip
        task2 = progress.add_task("predict", total=len(items))
        decoded = run_predict(qa.model, items, on_batch=lambda n: progress.advance(task2, n))
    confidence = [assess(qa.calibrator, it, d[0]).confidence if d else 0.0 for it, d in zip(items, decoded)]
    return items, decoded, confidence


@command("predict")
def predict(
    data: Annotated[Path, typer.Argument(help="WTQ-style TSV.")],
    tables_root: TablesRootOpt,
    out: Annotated[Path, typer.Option("--out", help="Prediction file to write.")],
    model: ModelOpt = None,
    min_confidence: MinConfidenceOpt = None,
) -> None:
    """Write predictions in the official format (id<TAB>item…)."""
    from npqa.train.metric import escape_tsv

    items, decoded, confidence = _predict_split(data, tables_root, model)
    lines = []
    for it, d, conf in zip(items, decoded, confidence):
        withheld = min_confidence is not None and conf < min_confidence
        answer = d[0].answer.items if d and not withheld else ()
        lines.append("\t".join([it.id, *(escape_tsv(a) for a in answer)]))
    try:
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as err:
        raise OutputError(str(out), f"cannot write: {err.strerror or err}") from None
    typer.echo(f"predictions={len(lines)} out={out}")


@command("eval")
def evaluate(
    data: Annotated[Path, typer.Argument(help="WTQ-style TSV.")],
    tables_root: TablesRootOpt,
    model: ModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Official accuracy of a model on a TSV, by answer kind."""
    from npqa.train.metric import check
    from npqa.train.targets import answer_targets

    items, decoded, confidence = _predict_split(data, tables_root, model)
    by_kind: dict[str, list[int]] = {}
    right = 0
    verdicts = []
    for it, d in zip(items, decoded):
        ok = bool(d) and check(it.answers, list(d[0].answer.items))
        verdicts.append(ok)
        right += ok
        tgt = answer_targets(it.answers, it.table)
        for kind in [tgt.kind] + (["list"] if tgt.is_list else []):
            by_kind.setdefault(kind, [0, 0])
            by_kind[kind][0] += ok
            by_kind[kind][1] += 1
    n = max(len(items), 1)
    from npqa.model.calibrate import ABSTAIN_THRESHOLDS, abstention

    abstain = [abstention(confidence, verdicts, p) for p in ABSTAIN_THRESHOLDS]
    if as_json:
        _print_json({"accuracy": right / n, "correct": right, "examples": len(items),
                     "by_kind": {k: {"accuracy": c / max(t, 1), "correct": c, "examples": t} for k, (c, t) in by_kind.items()},
                     "abstain": abstain})  # fmt: skip
        return
    for kind, (c, t) in sorted(by_kind.items()):
        typer.echo(f"{kind}: accuracy={c / max(t, 1):.4f} correct={c} examples={t}")
    for row in abstain:
        typer.echo(f"min_confidence={row['min_confidence']:g}: coverage={row['coverage']:.4f} "
                   f"accuracy={row['accuracy']:.4f} answered={row['answered']}")  # fmt: skip
    typer.echo(f"accuracy={right / n:.4f} correct={right} examples={len(items)}")


@command("calibrate")
def calibrate(
    model: Annotated[Path, typer.Option("--model", help="Model directory to calibrate (calibration.json is written there).")],
    data: Annotated[Path, typer.Option("--data", help="WTQ-style TSV of questions the model never trained on (dev).")],
    tables_root: TablesRootOpt,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the two table folds of the cross-fitted figures.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Fit the calibrator that turns a model's program probability into P(answer is right)."""
    from npqa.calibration import calibrate_model

    with _progress() as progress:
        task = progress.add_task("ask", total=_count_lines(data))
        cal, path = calibrate_model(model, data, tables_root, seed=seed, command="npqa " + " ".join(sys.argv[1:]),
                                    on_table=lambda n: progress.advance(task, n))  # fmt: skip
    report = cal.report
    if as_json:
        _print_json({"calibration": str(path), **report, "bands": cal.to_dict()["bands"]})
        return
    for name in ("program_prob", "cross_fitted"):
        figs = report[name]
        typer.echo(f"{name}: " + " ".join(f"{k}={figs[k]}" for k in ("ece", "auroc", "top25", "top50", "top75")))
    for band, acc in cal.bands.accuracy.items():
        typer.echo(f"band {band}: accuracy={acc:.4f} share={cal.bands.share[band]:.4f}")
    typer.echo(f"calibration={path} questions={report['questions']} accuracy={report['accuracy']:.4f}")
