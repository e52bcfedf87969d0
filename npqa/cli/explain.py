"""Showing how an answer came about: each step's words read, ops, columns, constant and rows.

Two views of the same :class:`npqa.api.AskResult` steps:

* :func:`render_steps` prints them to a Rich console (``npqa ask --explain``):
  the table once, with a marker column for each step that changes the rows,
  then per step its top ops, the question words it attends to most, its column
  attention and constant, and ``rows unchanged`` in one line for a step (a
  ``keep``, the terminal op) that leaves the rows as they were;
* :func:`write_html` writes a self-contained HTML page of heat maps
  (``npqa ask --explain-html FILE``): the attention over the question's words at
  each step (one heat strip per step, the Neural Programmer paper's picture), op
  probabilities, column attention and the rows selected after each step.

Table text is data, never markup: cells reach Rich only inside ``Text`` objects
and HTML only through :func:`html.escape`. Large tables are cut to a bounded
number of rows and columns, and the output says how many are hidden.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from npqa.errors import OutputError

if TYPE_CHECKING:
    from rich.console import Console

    from npqa.api import AskResult
    from npqa.table.column import Table

MAX_ROWS = 15  # table rows shown in the terminal
MAX_COLUMNS = 8  # table columns shown in the terminal
MAX_HTML_ROWS = 200  # table rows in the HTML page
TOP_COLUMNS = 3  # columns listed with their attention
TOP_WORDS = 3  # question words listed with their attention in the terminal


def shown_rows(n_rows: int, selected: Sequence[int], limit: int) -> list[int]:
    """Which rows to show (in table order): selected rows first, then the others, at most ``limit``.

    >>> shown_rows(10, [7, 8], 4)
    [0, 1, 7, 8]
    >>> shown_rows(3, [], 10)
    [0, 1, 2]
    """
    chosen = [r for r in selected if 0 <= r < n_rows][:limit]
    picked = set(chosen)
    for r in range(n_rows):
        if len(chosen) >= limit:
            break
        if r not in picked:
            chosen.append(r)
            picked.add(r)
    return sorted(chosen)


def shown_columns(names: Sequence[str], attention: dict[str, float], limit: int) -> list[int]:
    """Indices of the columns to show: the most attended ones first, then table order, at most ``limit``.

    >>> shown_columns(["a", "b", "c"], {"c": 0.9, "a": 0.05, "b": 0.05}, 2)
    [0, 2]
    """
    ranked = sorted(range(len(names)), key=lambda j: -attention.get(names[j], 0.0))
    keep = set(ranked[: max(limit // 2, 1)]) if attention else set()
    for j in range(len(names)):
        if len(keep) >= limit:
            break
        keep.add(j)
    return sorted(keep)


def _top(probs: dict[str, float], k: int) -> list[tuple[str, float]]:
    return sorted(probs.items(), key=lambda kv: -kv[1])[:k]


def _percent(p: float) -> str:
    return f"{100 * p:.1f}%"


def row_list(rows: Sequence[int], limit: int = 12) -> str:
    """Row numbers as one short phrase, cut after ``limit``.

    >>> row_list([4, 5, 6])
    '4, 5, 6'
    >>> row_list(range(30), 3)
    '0, 1, 2, … (27 more)'
    >>> row_list([])
    'none'
    """
    rows = list(rows)
    if not rows:
        return "none"
    text = ", ".join(str(r) for r in rows[:limit])
    return text + (f", … ({len(rows) - limit} more)" if len(rows) > limit else "")


def changing_steps(result: "AskResult", table: "Table") -> list[bool]:
    """For each step, whether it changes the rows carried to the next step.

    A step changes them when its rows differ from the rows before it (the start
    rows before step 1); a ``keep`` step, or a filter that keeps every row it is
    given, does not; nor does the terminal step, whose rows are the ones it reads.
    """
    before = np.flatnonzero(table.start_rows).tolist()
    out = []
    for step in result.steps:
        out.append(step.rows != before)
        before = step.rows
    return out


def top_words(attention: Sequence[Sequence], k: int = TOP_WORDS) -> str:
    """The ``k`` question words a step attends to most, with their weights (none under 0.5%).

    >>> top_words([("how", 0.1), ("many", 0.2), ("2010", 0.7)], 2)
    '2010 70.0%, many 20.0%'
    >>> top_words([("in", 0.001), ("2010", 0.999)])
    '2010 99.9%'
    """
    ranked = [wp for wp in sorted(attention, key=lambda wp: -wp[1])[:k] if wp[1] >= 0.005]  # no "0.0%" words
    return ", ".join(f"{word} {_percent(p)}" for word, p in ranked)


def render_table_once(console: "Console", result: "AskResult", table: "Table", changes: Sequence[bool]) -> None:
    """The table, printed once, with one marker column ``sN`` per step N that changes the rows
    (``●``: the row is selected after step N); the rows the last step reads are highlighted."""
    from rich.table import Table as RichTable
    from rich.text import Text

    names = table.names
    marked = [t for t, changed in enumerate(changes) if changed]
    final = set(result.steps[-1].rows)
    start = table.start_rows
    chosen = {s.column: 1.0 for s in result.steps if s.column is not None}
    cols = shown_columns(names, chosen, MAX_COLUMNS)
    # rows to show: those the last step reads first, then those earlier steps select (each list cut: big tables)
    seen = list(result.steps[-1].rows[:MAX_ROWS]) + [r for t in marked for r in result.steps[t].rows[:MAX_ROWS]]
    rows = shown_rows(table.n_rows, list(dict.fromkeys(seen)), MAX_ROWS)
    n_start = int(start.sum())
    head = f"table: {table.n_rows} rows × {len(names)} columns; programs start from "
    head += f"all {n_start} rows" if n_start == table.n_rows else f"{n_start} (dimmed: summary rows)"
    console.print(Text(head, style="bold"))
    if marked:
        console.print(Text("  ● in sN: selected after step N · highlighted: the rows the last step reads", style="dim"))
    grid = RichTable(show_header=True, header_style="bold", show_lines=False, pad_edge=False)
    grid.add_column(Text("row"), justify="right", style="dim")
    for t in marked:
        grid.add_column(Text(f"s{t + 1}"), justify="center")
    for j in cols:
        style = "bold magenta" if names[j] in chosen else "bold"
        grid.add_column(Text(names[j], style=style), overflow="fold")
    sets = [set(result.steps[t].rows) for t in marked]
    for r in rows:
        style = "black on green" if r in final else ("" if start[r] else "dim italic")
        cells = [Text(str(r))] + [Text("●" if r in s else "") for s in sets]
        cells += [Text(table.columns[j].texts[r]) for j in cols]
        grid.add_row(*cells, style=style)
    console.print(grid)
    hidden_rows, hidden_cols = table.n_rows - len(rows), len(names) - len(cols)
    if hidden_rows or hidden_cols:
        parts = []
        if hidden_rows:
            parts.append(f"{hidden_rows} rows hidden ({len(final - set(rows))} of them read by the last step)")
        if hidden_cols:
            parts.append(f"{hidden_cols} columns hidden")
        console.print(Text("  " + "; ".join(parts), style="dim"))


def render_steps(console: "Console", result: "AskResult", table: "Table") -> None:
    """Print the table once, then each step of ``result``: its top ops, the question
    words it attends to, its column attention and constant, and its rows only when
    they change (otherwise one line: ``rows unchanged``)."""
    from rich.text import Text

    if not result.steps:
        console.print(Text("no steps: no program type-checks on this table"))
        return
    changes = changing_steps(result, table)
    console.print()
    render_table_once(console, result, table, changes)
    for t, step in enumerate(result.steps):
        console.print()
        console.print(Text.assemble((f"step {t + 1}: ", "bold"), (step.op, "bold cyan")))
        ops = ", ".join(f"{op} {_percent(p)}" for op, p in _top(step.op_probs, 3))
        console.print(Text.assemble(("  ops: ", "bold"), ops))
        if step.question_attention:
            console.print(Text.assemble(("  words read: ", "bold"), top_words(step.question_attention)))
        attention = result.column_probs[t] if t < len(result.column_probs) else {}
        if step.column is not None:
            listed = ", ".join(f"{name} {_percent(p)}" for name, p in _top(attention, TOP_COLUMNS))
            if listed:
                console.print(Text.assemble(("  columns: ", "bold"), listed))
            console.print(Text.assemble(("  column chosen: ", "bold"), step.column))
        if step.constant is not None:
            console.print(Text.assemble(("  constant: ", "bold"), step.constant))
        kept = f"{len(step.rows)} of {table.n_rows}"
        if changes[t]:
            console.print(Text.assemble(("  rows selected: ", "bold"), (f"{kept}: {row_list(step.rows)}", "green"),
                                        (f" (● in column s{t + 1})", "dim")))  # fmt: skip
        elif t == len(result.steps) - 1:
            console.print(Text.assemble(("  rows unchanged", "bold"), f" ({kept}): {step.op} reads them for the answer"))
        else:
            console.print(Text.assemble(("  rows unchanged", "bold"), f" ({kept})"))


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:2em;border-top:1px solid #ccc;padding-top:1em}
h3{font-size:1em;margin:1.2em 0 .4em}
.answer{font-size:1.3em;font-weight:bold;color:#0a6}
pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap;word-break:break-word}
table{border-collapse:collapse;margin:.3em 0;font-size:.85em}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.heat{text-align:right;min-width:3.5em}
tr.sel td{background:#c8f0c8}
td.on{background:#2a8;color:#fff;text-align:center}
td.off{background:#fafafa}
.low{color:#b60;font-weight:bold}
.note{color:#777;font-size:.85em}
.strips{overflow-x:auto}table.attention th{white-space:nowrap}
table.attention td.word{text-align:center;min-width:2.5em;padding:3px 6px}
table.attention td.word small{display:block;font-size:.75em;opacity:.8}
"""


def _heat(p: float) -> str:
    """A table cell whose background darkens with probability ``p``."""
    p = min(max(float(p), 0.0), 1.0)
    light = int(100 - 55 * p)
    color = "#fff" if p > 0.6 else "#222"
    return f'<td class="heat" style="background:hsl(210,70%,{light}%);color:{color}">{_percent(p)}</td>'


def _word_cell(word: str, p: float) -> str:
    """One word of a heat strip: the word over its weight, the background darker the more it is read."""
    p = min(max(float(p), 0.0), 1.0)
    light = int(100 - 55 * p)
    color = "#fff" if p > 0.6 else "#222"
    style = f"background:hsl(25,85%,{light}%);color:{color}"
    return (f'<td class="word" data-weight="{p:.4f}" title="{_percent(p)}" style="{style}">'
            f"{html.escape(word)}<small>{_percent(p)}</small></td>")  # fmt: skip


def _attention_strips(result: "AskResult") -> str:
    """One row per step: the question's words, each shaded by the step's attention on it."""
    body = ""
    for t, step in enumerate(result.steps):
        cells = "".join(_word_cell(w, p) for w, p in step.question_attention)
        body += f'<tr class="strip" data-step="{t + 1}"><th>step {t + 1}<br>{html.escape(step.op)}</th>{cells}</tr>'
    return f'<div class="strips"><table class="attention">{body}</table></div>'


def _op_heatmap(result: "AskResult") -> str:
    probs = result.all_op_probs or [s.op_probs for s in result.steps]
    ops: list[str] = []
    for dist in probs:
        ops += [op for op in dist if op not in ops]
    head = "".join(f"<th>step {t + 1}<br>{html.escape(s.op)}</th>" for t, s in enumerate(result.steps))
    body = "".join(
        f"<tr><th>{html.escape(op)}</th>{''.join(_heat(dist.get(op, 0.0)) for dist in probs)}</tr>" for op in ops
    )
    return f"<table><tr><th>op</th>{head}</tr>{body}</table>"


def _column_heatmap(result: "AskResult", names: Sequence[str]) -> str:
    head = "".join(
        f"<th>step {t + 1}<br>{html.escape(s.column or '—')}</th>" for t, s in enumerate(result.steps)
    )
    body = ""
    for name in names:
        cells = "".join(
            _heat(result.column_probs[t].get(name, 0.0)) if s.column is not None and t < len(result.column_probs)
            else '<td class="off"></td>'
            for t, s in enumerate(result.steps)
        )  # fmt: skip
        body += f"<tr><th>{html.escape(name)}</th>{cells}</tr>"
    return f"<table><tr><th>column</th>{head}</tr>{body}</table>"


def _rows_table(result: "AskResult", table: "Table") -> str:
    final = set(result.steps[-1].rows) if result.steps else set()
    rows = shown_rows(table.n_rows, sorted(final), MAX_HTML_ROWS)
    step_sets = [set(s.rows) for s in result.steps]
    head = "".join(f"<th>{t + 1}</th>" for t in range(len(result.steps)))
    head += "".join(f"<th>{html.escape(n)}</th>" for n in table.names)
    body = ""
    for r in rows:
        marks = "".join('<td class="on">●</td>' if r in s else '<td class="off"></td>' for s in step_sets)
        cells = "".join(f"<td>{html.escape(c.texts[r])}</td>" for c in table.columns)
        cls = ' class="sel"' if r in final else ""
        body += f"<tr{cls}><th>{r}</th>{marks}{cells}</tr>"
    hidden = table.n_rows - len(rows)
    note = f'<p class="note">{hidden} rows hidden ({len(final - set(rows))} of them selected).</p>' if hidden else ""
    return f"<table><tr><th>row</th>{head}</tr>{body}</table>{note}"


def _result_html(result: "AskResult", table: "Table", low: float) -> str:
    answer = " | ".join(result.answer) if result.answer else "(no answer)"
    warn = ' <span class="low">low confidence</span>' if result.confidence < low else ""
    parts = [
        f"<h2>{html.escape(result.question or 'question')}</h2>",
        f'<p class="answer">{html.escape(answer)}</p>',
        f"<p>confidence {result.confidence:.3g}{warn}</p>",
        f"<h3>program</h3><pre>{html.escape(result.program)}</pre>",
        f"<h3>SQL</h3><pre>{html.escape(result.sql)}</pre>",
    ]
    if result.steps:
        constants = ", ".join(
            f"step {t + 1}: {html.escape(s.constant)}" for t, s in enumerate(result.steps) if s.constant is not None
        )
        if any(st.question_attention for st in result.steps):
            parts += ["<h3>attention over the question's words</h3>",
                      '<p class="note">What the controller reads at each step: a softmax over the words '
                      "(darker: more weight; each row sums to 100%).</p>", _attention_strips(result)]  # fmt: skip
        parts += [
            "<h3>op probabilities</h3>", _op_heatmap(result),
            "<h3>column attention</h3>", _column_heatmap(result, table.names),
            f"<p>constants: {constants or 'none'}</p>",
            "<h3>rows selected after each step (highlighted: the rows the last step uses)</h3>",
            _rows_table(result, table),
        ]  # fmt: skip
    return "\n".join(parts)


def html_page(results: Sequence["AskResult"], table: "Table", low_confidence: float = 0.2) -> str:
    """The self-contained HTML page (inline CSS, no scripts, no external assets)."""
    body = "\n".join(_result_html(r, table, low_confidence) for r in results)
    title = f"npqa: {table.source}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def write_html(path: str | Path, results: Sequence["AskResult"], table: "Table") -> None:
    """Write :func:`html_page` to ``path``; a file that cannot be written is a named error."""
    try:
        Path(path).write_text(html_page(results, table), encoding="utf-8")
    except OSError as err:
        raise OutputError(str(path), f"cannot write: {err.strerror or err}") from None
