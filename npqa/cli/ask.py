"""``npqa ask`` and ``npqa model-info``: answering with a model."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from typing_extensions import Annotated

from npqa.cli.app import (
    DbOpt, DbTableOpt, DecimalOpt, EncOpt, JsonOpt, ModelOpt, NoHeaderOpt, SepOpt, SheetOpt, TableArg, _err, _load,
    _print_json, command,
)  # fmt: skip
from npqa.errors import QuestionError

MinConfidenceOpt = Annotated[
    Optional[float],
    typer.Option("--min-confidence", min=0.0, max=1.0, help="Withhold answers whose confidence is below this (exit 0)."),
]


LOW_CONFIDENCE = 0.2  # without a calibrator: below this program probability the answer gets a warning


def confidence_line(result: Any, bands: Any) -> str:
    """What ``ask`` prints after ``confidence:``: the number and how to read it.

    >>> from npqa.model.calibrate import Bands
    >>> class R: confidence, band = 0.81, "likely right"
    >>> confidence_line(R, Bands(0.6, 0.2, {"likely right": 0.725}))
    '0.81 (likely right: 72% of such answers were right on dev)'
    """
    if result.band is None:
        return f"{result.confidence:.3g} (the program's probability: this model has no calibrator)"
    measured = bands.accuracy.get(result.band) if bands is not None else None
    tail = f": {measured:.0%} of such answers were right on dev" if measured is not None else ""
    return f"{result.confidence:.2g} ({result.band}{tail})"


def html_line(page: Path) -> str:
    """The stderr line ``--explain`` and ``--explain-html`` end with: where the HTML page was written."""
    return f"explain: HTML page written to {Path(page).resolve()}"


def default_page() -> Path:
    """Where ``--explain`` without ``--explain-html`` writes its page: one file in the
    system's temporary folder, overwritten by the next explanation."""
    import tempfile

    return Path(tempfile.gettempdir()) / "npqa-explain.html"


def _low(result: Any) -> bool:
    from npqa.model.calibrate import LIKELY_WRONG

    return result.band == LIKELY_WRONG if result.band is not None else result.confidence < LOW_CONFIDENCE


def _show_answer(console: Any, result: Any, explain: bool, table: Any, top: int, bands: Any, floor: float | None) -> None:
    from rich.panel import Panel
    from rich.syntax import Syntax
    from rich.table import Table as RichTable
    from rich.text import Text

    if result.question:
        console.print(Text.assemble(("question: ", "bold"), result.question))
    if result.abstained:
        console.print(Text.assemble(("answer withheld: ", "bold yellow"),
                                    f"confidence {result.confidence:.2g} is below --min-confidence {floor:g}"))  # fmt: skip
    else:
        answer = " | ".join(result.answer) if result.answer else "(no answer)"
        console.print(Panel(Text(answer, style="bold green"), title="answer", title_align="left", expand=False))
    console.print(Text.assemble(("program: ", "bold"), result.program or "(none)"))
    console.print(Text("sql:", style="bold"))
    shown = "\n".join(line for line in (result.sql or "-- none", result.sql_note) if line)
    console.print(Syntax(shown, "sql", word_wrap=True, background_color="default"))
    console.print(Text.assemble(("confidence: ", "bold"), confidence_line(result, bands)))
    if _low(result) and not result.abstained:
        console.print(Text.assemble(("warning: ", "bold yellow"), f"low confidence ({result.confidence:.2g}): "
                                    "the answer may be wrong; check the program and the SQL"))  # fmt: skip
    for remark in result.remarks:
        console.print(Text.assemble(("remark: ", "bold yellow"), remark))
    if top > 1 and not result.abstained:
        grid = RichTable(title=f"top {top} programs", title_justify="left", show_lines=False)
        grid.add_column("#", justify="right")
        grid.add_column("program prob", justify="right")
        grid.add_column("program", overflow="fold")
        grid.add_column("answer", overflow="fold")
        rows = [(result.program, result.program_prob, result.answer)]
        rows += [(a.program, a.program_prob, a.answer) for a in result.alternatives]
        for rank, (program, prob, items) in enumerate(rows, start=1):
            grid.add_row(str(rank), f"{prob:.3g}", Text(program), Text(" | ".join(items) or "(no answer)"))
        console.print(grid)
    if explain:
        from npqa.cli.explain import render_steps

        render_steps(console, result, table)


def _stdin_questions() -> Any:
    """Numbered non-blank lines of stdin, read lazily so answers stream out."""
    for number, line in enumerate(sys.stdin, start=1):
        if line.strip():
            yield number, line.rstrip("\n")


@command("ask")
def ask(
    table: TableArg,
    question: Annotated[Optional[str], typer.Argument(help="The question; omit to read one per line from stdin.")] = None,
    model: ModelOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, max=20, help="Show the K most likely programs with their answers.")] = 1,
    db: DbOpt = None,
    explain: Annotated[bool, typer.Option("--explain", help=(
        "Show the table once, then each step: top ops, words read, column attention, constant, rows when they change."
    ))] = False,
    explain_html: Annotated[Optional[Path], typer.Option("--explain-html", help=(
        "Write the steps as a self-contained HTML page of heat maps, with the attention over the question's words "
        "(--explain alone writes it to npqa-explain.html in the temporary folder)."
    ))] = None,
    sep: SepOpt = None,
    encoding: EncOpt = None,
    no_header: NoHeaderOpt = False,
    sheet: SheetOpt = None,
    min_confidence: MinConfidenceOpt = None,
    decimal: DecimalOpt = None,
    db_table: DbTableOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question about a table, with the program and SQL behind the answer."""
    from rich.console import Console

    from npqa.api import TableQA
    from npqa.session import TableSession

    if table == "-" and question is None:
        raise QuestionError("ask", "the table and the questions cannot both come from stdin")
    session = TableSession(_load(table, sep, encoding, no_header, sheet, decimal, db_table))
    tbl = session.table
    if question is not None and not question.strip():
        raise QuestionError("question", "empty question")
    if db is not None:
        session.refuse_db()
    qa = TableQA.load(model)
    if db is not None:
        session.write_db(db)
    console = Console(highlight=False)
    results = []
    failed = 0
    lines = [(0, question)] if question is not None else _stdin_questions()
    for number, text in lines:
        try:
            result = qa.ask(session, text, top=top, min_confidence=min_confidence)
        except QuestionError as err:
            if question is not None:
                raise
            _err(f"error: {err.what} (stdin line {number}): {err.problem}")  # the other lines still get answers
            failed += 1
            continue
        results.append(result)
        if as_json:
            _print_json(result.to_dict())
        else:
            bands = qa.calibrator.bands if qa.calibrator is not None else None
            _show_answer(console, result, explain, tbl, top, bands, min_confidence)
            if question is None:
                console.print()
        sys.stdout.flush()
    if explain_html is None and explain and not as_json:
        explain_html = default_page()
    if explain_html is not None:
        from npqa.cli.explain import write_html

        write_html(explain_html, results, tbl)
        _err(html_line(explain_html))
    if failed:
        raise typer.Exit(2)


@command("model-info")
def model_info(model: ModelOpt = None, as_json: JsonOpt = False) -> None:
    """The model card: how the model was trained, its dev accuracy, its size, its calibration."""
    from npqa.api import TableQA
    from npqa.model.files import default_model_dir

    qa = TableQA.load(model)  # the numpy engine: no torch needed to read a model card
    directory = model or default_model_dir()
    size = sum(f.stat().st_size for f in Path(directory).rglob("*") if f.is_file())  # an ensemble's members too
    members = getattr(qa.model, "members", [qa.model])  # an ensemble's models, or the one model
    parameters = sum(int(w.size) for m in members for w in m.w.values())
    card = {k: v for k, v in qa.config.items() if k != "training"}
    training = qa.config.get("training", {})
    info = {"directory": str(directory), "size_bytes": size, "parameters": parameters,
            **card, "training": {k: training.get(k) for k in ("command", "config", "epochs_done", "dev_accuracy", "prep")},
            "calibration": calibration_card(qa.calibrator)}  # fmt: skip
    if as_json:
        _print_json(info)
        return
    for key, value in info.items():
        if key != "calibration":
            typer.echo(f"{key}: {json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value}")
    for line in calibration_lines(qa.calibrator):
        typer.echo(line)


def calibration_card(calibrator: Any) -> dict[str, Any]:
    """``model-info``'s ``calibration`` entry."""
    if calibrator is None:
        return {"calibrated": False, "confidence": "the raw program probability (no calibration.json; fit one with npqa calibrate)"}
    report = calibrator.report
    return {"calibrated": True, "confidence": "the probability that the answer is right (calibration.json)",
            "features": list(calibrator.features),
            "bands": {"likely_right_from": calibrator.bands.likely_right_from,
                      "likely_wrong_below": calibrator.bands.likely_wrong_below,
                      "accuracy": calibrator.bands.accuracy, "share": calibrator.bands.share},
            **{k: report[k] for k in ("data", "questions", "accuracy", "cross_fitted", "command") if k in report}}  # fmt: skip


def calibration_lines(calibrator: Any) -> list[str]:
    """``model-info``'s text lines on calibration: what confidence means, and the bands."""
    from npqa.model.calibrate import BANDS, LIKELY_RIGHT, LIKELY_WRONG, UNSURE

    if calibrator is None:
        return ["calibration: none: confidence is the raw program probability (fit one with npqa calibrate)"]
    b, report = calibrator.bands, calibrator.report
    crossed = report.get("cross_fitted", {})
    lines = [f"calibration: confidence is the probability that the answer is right, fitted on "
             f"{report.get('data', '?')} ({report.get('questions', '?')} questions); cross-fitted by table: "
             f"ece={crossed.get('ece', '?')} auroc={crossed.get('auroc', '?')} "
             f"top50_accuracy={crossed.get('top50', '?')}"]  # fmt: skip
    limits = {LIKELY_RIGHT: f"confidence >= {b.likely_right_from:g}", UNSURE: "between",
              LIKELY_WRONG: f"confidence < {b.likely_wrong_below:g}"}  # fmt: skip
    for band in BANDS:
        measured = ""
        if band in b.accuracy:
            measured = f": {b.accuracy[band]:.0%} right on dev ({b.share.get(band, 0):.0%} of answers)"
        lines.append(f"band {band}: {limits[band]}{measured}")
    return lines
