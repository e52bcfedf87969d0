"""The text form of programs: printing and parsing (grammar in ``grammars/program.lark``).

``count(word_match(reset, "City", "los angeles"))`` reads inside out: start
from every row, keep the rows whose City cell contains "los angeles", count
them. Printing then parsing gives back the same program.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING
from importlib import resources


from npqa.errors import ProgramError
from npqa.lang.executor import format_number
from npqa.lang.language import ConstValue, Language, Program, Role, Step
from npqa.table.values import Date

if TYPE_CHECKING:  # lark is imported only when a program is parsed (start-up of `ask`)
    import lark

_DATE = re.compile(r"^(\d{4}|xxxx)-(\d{2}|xx)-(\d{2}|xx)$")


_TOKEN_NAMES = {
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "NAME": "an op name",
    "STRING": "a quoted string",
    "NUMBER": "a number",
    "DATE": "a date (yyyy-mm-dd, xx for unknown parts)",
}


def _near(text: str, err: "lark.exceptions.UnexpectedInput") -> str:
    pos = getattr(err, "pos_in_stream", None)
    if pos is None or pos >= len(text):
        return "input"
    return repr(text[pos : pos + 12])


@lru_cache(maxsize=1)
def _parser() -> "lark.Lark":
    import lark

    grammar = resources.files("npqa.grammars").joinpath("program.lark").read_text(encoding="utf-8")
    return lark.Lark(grammar, parser="lalr", propagate_positions=True)


def format_constant(value: ConstValue) -> str:
    if isinstance(value, Date):
        return value.iso()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return format_number(value)


def to_text(program: Program, language: Language) -> str:
    """The text form of a canonical program."""
    text = "reset"
    for step in program.steps:
        spec = language[step.op]
        args = [text]
        if spec.column is not None:
            args.append(json.dumps(step.column, ensure_ascii=False))
        if spec.constant is not None:
            args.append(format_constant(step.constant))  # type: ignore[arg-type]
        text = f"{step.op}({', '.join(args)})"
    return text


def parse(text: str, language: Language) -> Program:
    """Parse the text form; :class:`ProgramError` names the position and what was expected."""
    import lark

    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedInput as err:
        expected = sorted(getattr(err, "expected", None) or getattr(err, "allowed", None) or [])
        hint = f", expected {' or '.join(_TOKEN_NAMES.get(e, e) for e in expected)}" if expected else ""
        token = getattr(err, "token", None)
        if token is not None and token.type == "$END":
            raise ProgramError("program", f"syntax error: unexpected end at column {len(text) + 1}{hint}") from None
        raise ProgramError("program", f"syntax error at column {err.column}: unexpected {_near(text, err)}{hint}") from None
    steps: list[Step] = []
    node = tree
    chain: list[lark.Tree] = []
    while True:
        name = str(node.children[0])
        if name == "reset" and len(node.children) == 1:
            break
        chain.append(node)
        inner = node.children[1] if len(node.children) > 1 else None
        if not isinstance(inner, lark.Tree) or inner.data != "call":
            raise ProgramError("program", f"column {node.meta.column}: {name} expects rows as its first argument")
        node = inner
    for call in reversed(chain):
        steps.append(_step(call, language))
    if not steps:
        raise ProgramError("program", "column 1: reset alone gives rows, not an answer; wrap it in a terminal op")
    program = Program(tuple(steps))
    for i, step in enumerate(steps):
        if (language[step.op].role is Role.TERMINAL) != (i == len(steps) - 1):
            where = chain[len(steps) - 1 - i].meta.column
            raise ProgramError("program", f"column {where}: {step.op} cannot stand there; a program is row ops inside one terminal op")
    return language.canonical(program.steps)


def _step(call: "lark.Tree", language: Language) -> Step:
    import lark

    name = str(call.children[0])
    col = call.meta.column
    if name not in language.ops:
        raise ProgramError("program", f"column {col}: unknown op {name!r}")
    spec = language[name]
    args = call.children[2:]
    if len(args) != spec.arity - 1:
        raise ProgramError("program", f"column {col}: {spec.signature()} takes {spec.arity} arguments")
    column: str | None = None
    constant: ConstValue | None = None
    rest = list(args)
    if spec.column is not None:
        arg = rest.pop(0)
        if not (isinstance(arg, lark.Tree) and arg.data == "string"):
            raise ProgramError("program", f"column {col}: {name} expects a {spec.column.value} name as a quoted string")
        column = json.loads(str(arg.children[0]))
    if spec.constant is not None:
        constant = _constant(rest.pop(0), name, col)
    return Step(name, column, constant)


def _constant(arg: "lark.Tree | lark.Token", op: str, col: int) -> ConstValue:
    import lark

    if not isinstance(arg, lark.Tree) or arg.data not in ("string", "date", "number"):
        raise ProgramError("program", f"column {col}: {op} expects a constant (number, date or quoted string)")
    token = str(arg.children[0])
    if arg.data == "string":
        return json.loads(token)
    if arg.data == "number":
        return float(token)
    match = _DATE.match(token)
    assert match is not None
    y, m, d = (None if part.startswith("x") else int(part) for part in match.groups())
    if (m is not None and not 1 <= m <= 12) or (d is not None and not 1 <= d <= 31) or (y, m, d) == (None, None, None):
        raise ProgramError("program", f"column {col}: {token} is not a date")
    return Date(y, m, d)
