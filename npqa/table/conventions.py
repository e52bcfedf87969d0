"""How a column writes its numbers and dates, decided from its own cells.

One decision per column (the pandas and the pyarrow readers both call
:func:`decide` on the column's distinct texts), from the cells that can tell:

* **decimal comma or decimal point.** The *first* number of each text (the one
  read as the cell's number) votes: ``3,75``, ``12,5``, ``0,500``, ``3476,2``,
  ``1.234,5`` and ``1.234.567`` for a decimal comma (``1,1024``, four digits
  after the comma, is taken for a slip and does not vote); ``12,345,678``,
  ``1,234.5`` and ``4.20`` for the decimal point; ``1,234`` could be either and
  does not vote. A column with only decimal-comma votes reads with a decimal
  comma; with both kinds, the larger count wins and the guess is *uncertain*;
  with only ``1,234``-like texts, the decimal point (the default) unless the
  file is separated by something other than commas and its other columns
  decide for the comma and none for the point (:func:`follow_file`), again
  uncertain.
* **day or month first** in ``a/b/yyyy``, ``a-b-yyyy`` and ``a.b.yyyy``: a text
  whose first part exceeds 12 votes day first, one whose second part does votes
  month first; a column with votes of one kind reads every such date that way,
  one with both keeps the defaults (slashes and dashes month first, dots day
  first) and is uncertain.

* **feet and inches**: a column whose name says height (``Height``, ``Ht.``) reads
  ``6'2"`` and ``6–8`` as inches (74, 80), so players compare by height; taken
  as they come, their first numbers (6 and 6) tie.

An uncertain guess leaves a note for the user (printed on stderr by the command
line); ``--decimal ,`` or ``--decimal .`` (``load_table(decimal=…)``) overrides
the guess for every column.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from npqa.table.text import name_words
from npqa.table.values import DEFAULT_CONVENTIONS, NUMERIC_DATE, Conventions

CANDIDATE = r"[0-9][.,/-][0-9]"
"""Only texts matching this (Python ``re`` and RE2 read it alike) can vote: a
reader may hand :func:`decide` just those."""

_FIRST_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
_DATE = re.compile(NUMERIC_DATE).fullmatch
_CANDIDATE = re.compile(CANDIDATE).search

COMMA, POINT, EITHER, NONE = "comma", "point", "either", "none"


def number_vote(text: str) -> str:
    """What the first number of ``text`` says: :data:`COMMA` (a decimal comma),
    :data:`POINT` (a decimal point), :data:`EITHER` (``1,234``) or :data:`NONE`."""
    match = _FIRST_TOKEN.search(text)
    if match is None:
        return NONE
    token = match.group()
    if "," in token and "." in token:
        return COMMA if token.rindex(",") > token.rindex(".") else POINT
    if "," in token:
        head, *groups = token.split(",")
        if len(groups) == 1:
            if len(groups[0]) == 3 and len(head) <= 3 and head != "0":
                return EITHER
            return COMMA if len(groups[0]) <= 3 else NONE  # 1,1024: a slip, not four decimals
        if len(head) <= 3 and all(len(g) == 3 for g in groups):
            return POINT
        return NONE  # a list such as 1,2,3
    head, *groups = token.split(".")
    if len(groups) >= 2 and len(head) <= 3 and all(len(g) == 3 for g in groups):
        return COMMA  # 1.234.567: dots group thousands
    if len(groups) == 1 and len(groups[0]) != 3:
        return POINT  # 4.20, 12.5: a decimal point
    return NONE


def date_vote(text: str) -> bool | None:
    """True when ``text`` is a numeric date that must be day first (``31/01/2012``),
    False when it must be month first (``01/31/2012``), else None."""
    match = _DATE(text)
    if match is None:
        return None
    a, b = int(match.group("a")), int(match.group("b"))
    if a > 12 >= b:
        return True
    if b > 12 >= a:
        return False
    return None


@dataclass(frozen=True)
class Decision:
    """A column's conventions and how they were chosen."""

    conventions: Conventions = DEFAULT_CONVENTIONS
    decimal_state: str = NONE  # COMMA | POINT (decided), EITHER (only 1,234-like), NONE, "given"
    notes: tuple[str, ...] = field(default=())  # what the user should know (uncertain guesses)
    either_example: str = ""  # a 1,234-like text, for a note


@dataclass
class Votes:
    """What a column's distinct texts say: per kind of number vote (:data:`COMMA`,
    :data:`POINT`, :data:`EITHER`) how many texts and the first of them in sorted
    order, and the first text that must be day first / month first. Only whether a
    count is 0 matters, but for :data:`COMMA` against :data:`POINT` when both vote."""

    count: dict[str, int] = field(default_factory=lambda: {COMMA: 0, POINT: 0, EITHER: 0})
    first: dict[str, str] = field(default_factory=dict)
    day_first: str | None = None
    month_first: str | None = None

    def add(self, kind: str, text: str, n: int = 1) -> None:
        """``n`` texts of ``kind``, the smallest being ``text``."""
        if kind in self.count and n:
            self.count[kind] += n
            self.first[kind] = min(self.first.get(kind, text), text)


def tally(texts: Iterable[str]) -> Votes:
    """The votes of (distinct) texts; texts not matching :data:`CANDIDATE` do not vote."""
    votes = Votes()
    for text in set(texts):
        if not _CANDIDATE(text):
            continue
        votes.add(number_vote(text), text)
        order = date_vote(text)
        if order is True:
            votes.day_first = min(votes.day_first or text, text)
        elif order is False:
            votes.month_first = min(votes.month_first or text, text)
    return votes


def decide(texts: Iterable[str], name: str, decimal: str | None = None) -> Decision:
    """The conventions of column ``name`` from its (distinct, collapsed) texts.

    ``decimal`` (``","`` or ``"."``) is the user's choice and is not guessed.
    Texts that do not match :data:`CANDIDATE` are skipped, so a reader may pass
    only those; repeats count once.
    """
    return decide_votes(tally(texts), name, decimal)


def decide_votes(votes: Votes, name: str, decimal: str | None = None) -> Decision:
    """:func:`decide` from the votes (a reader may count some of them itself)."""
    notes: list[str] = []
    comma, point, either = (votes.count[k] for k in (COMMA, POINT, EITHER))
    first = votes.first
    if decimal is not None:
        state, mark = "given", decimal
    elif comma and point:
        mark = "," if comma > point else "."
        state = COMMA if mark == "," else POINT
        notes.append(
            f'column "{name}": numbers written both ways ("{first[COMMA]}", "{first[POINT]}"); read with a decimal '
            f'{"comma" if mark == "," else "point"}; pass --decimal , or --decimal . to choose'
        )
    elif comma:
        mark, state = ",", COMMA
        if either:
            notes.append(
                f'column "{name}": read with a decimal comma ("{first[COMMA]}"), so "{first[EITHER]}" is '
                f"{_as_comma_decimal(first[EITHER])}; pass --decimal . if commas group thousands"
            )
    elif point:
        mark, state = ".", POINT
    else:
        mark, state = ".", EITHER if either else NONE
    order: bool | None = None
    if votes.day_first and votes.month_first:
        notes.append(
            f'column "{name}": dates written day first ("{votes.day_first}") and month first '
            f'("{votes.month_first}"); each read as written where it can only be one'
        )
    elif votes.day_first or votes.month_first:
        order = bool(votes.day_first)
    return Decision(Conventions(mark, order, is_height(name)), state, tuple(notes), first.get(EITHER, ""))


def is_height(name: str) -> bool:
    """Whether a column's name says it holds heights (``Height``, ``Ht.``, ``height_ft``),
    whose ``6–8`` cells are feet and inches."""
    return any(word in ("height", "ht") for word in name_words(name))


def follow_file(decisions: list[Decision], sep: str | None) -> list[int]:
    """The columns (indices) that should read with a decimal comma although their own
    cells cannot tell (``1,234`` only): those of a file separated by ``sep`` other
    than a comma (where a decimal comma needs no quotes; ``None``: not a file) in
    which some column decided for the comma and none for the point. A
    comma-separated file mixing conventions (Wikipedia tables: ``22,395`` arrivals
    beside a ``7,4`` percentage) keeps ``1,234`` as 1234."""
    states = [d.decimal_state for d in decisions]
    if sep in (None, ",") or COMMA not in states or POINT in states:
        return []
    return [j for j, s in enumerate(states) if s == EITHER]


def file_note(name: str, example: str) -> str:
    """The note for a column that followed the file's decimal comma."""
    return (
        f'column "{name}": read with a decimal comma like the other columns, so "{example}" is '
        f"{_as_comma_decimal(example)}; pass --decimal . if commas group thousands"
    )


def _as_comma_decimal(text: str) -> str:
    token = _FIRST_TOKEN.search(text)
    return token.group().replace(".", "").replace(",", ".") if token else text
