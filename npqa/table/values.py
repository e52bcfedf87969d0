"""Reading the number and the date a table cell (or an answer) holds.

Question-free and memoised per distinct string, so a table of a million cells with
few distinct values is cheap. The readings follow what Stanford CoreNLP gave WTQ's
cells (``bench/check_values.py`` measures the agreement), with a few deliberate
differences where CoreNLP's reading is an artefact rather than the cell's value:

* :func:`parse_number` gives the *first* number in the text, as CoreNLP does
  (``3–1`` → 3, ``12 km`` → 12, ``1st`` → 1, ``12.5%`` → 12.5), but keeps a
  leading minus sign (``−3`` → -3, where CoreNLP drops it), applies a scale word
  (``$4.5 million`` → 4500000, CoreNLP 4.5), and never glues digits across a
  ``", "`` (``May 3, 2004`` → 3, CoreNLP 32004) or across a space unless the
  space separates groups of three digits (``9 000`` → 9000, ``3 15`` → 3).
* :func:`parse_number2` gives the number after the first one (CoreNLP's ``num2``):
  the second side of a score or range, ``3–1`` → 1, ``1990-1995`` → 1995.
* :func:`parse_date` reads a date only when the *whole* text is one: a year
  ``2004``, ``2004-05``, ``2004-05-03``, ``2004/05/03``, ``May 3, 2004``,
  ``3 May 2004``, ``May 2004``, ``October 17``, ``May``, ``5/3/2004`` (month
  first), ``3.5.2004`` (day first); a two-digit year (``5/3/04``) is left
  unknown, as CoreNLP does. A year with an era is signed: ``500 BC`` is the
  year (and the number) -500 (CoreNLP: 500), ``AD 79`` the year 79.
* :func:`parse_duration` gives the seconds of a duration or clock time the text
  starts with (``1:23.45``, ``2:08:24``, ``2h 15m``), beside the number.

A column reads all its cells with the same :class:`Conventions` (decimal comma
or point, day or month first), decided from its cells by
:mod:`npqa.table.conventions`; :func:`read_cell` and :func:`parse_cells` take
them, the single-cell functions above use the defaults.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CACHE_SIZE = 1 << 20
"""Distinct strings remembered by each parser (about 2 MB per 10,000 entries)."""

YEAR_MIN, YEAR_MAX = 1000, 2999
"""A bare four-digit integer is read as a year only in this range (CoreNLP's
reading of WTQ's cells: ``1050`` is a year, ``3661`` and ``0011`` are not)."""


@dataclass(frozen=True, order=False)
class Date:
    """A calendar date with unknown parts as ``None`` (``May 3`` has no year)."""

    year: int | None
    month: int | None
    day: int | None

    def iso(self) -> str:
        """``yyyy-mm-dd`` with ``xxxx``/``xx`` for unknown parts: ``xxxx-10-17``."""
        year = "xxxx" if self.year is None else f"{self.year:04d}"
        month = "xx" if self.month is None else f"{self.month:02d}"
        day = "xx" if self.day is None else f"{self.day:02d}"
        return f"{year}-{month}-{day}"


@dataclass(frozen=True)
class CellValue:
    """Everything :mod:`npqa.table.values` reads from one cell text."""

    number: float | None  # the first number (parse_number)
    number2: float | None  # the number after it (parse_number2)
    date: Date | None  # the whole text as a date (parse_date)
    duration: float | None = None  # seconds, when the text starts with a duration (parse_duration)


@dataclass(frozen=True)
class Conventions:
    """How a column writes its numbers and dates (decided per column from its cells,
    :func:`npqa.table.conventions.decide`; the defaults are WTQ's).

    ``decimal=","``: a comma marks decimals and dots group thousands (``3,75`` → 3.75,
    ``1.234,5`` → 1234.5). ``day_first``: numeric dates ``a/b/yyyy``, ``a-b-yyyy``
    and ``a.b.yyyy`` read day first (True) or month first (False); ``None`` reads
    slashes and dashes month first and dots day first. ``feet_inches``: a height
    written in feet and inches (``6'2"``, ``6–8``, ``6 ft 2 in``) reads as its inches
    (74, 80, 74), with no second number; decided from the column's name.
    """

    decimal: str = "."
    day_first: bool | None = None
    feet_inches: bool = False


DEFAULT_CONVENTIONS = Conventions()


# ----------------------------------------------------------------------------- numbers

_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}

_NUMBER = re.compile(
    r"""
    (?P<sign>(?<![^\s(\[/])[-−–](?=\.?\d))?          # a minus only at the start of a word
    (?P<digits>
        (?<![\d.])\d{1,3}(?:,\d{3})+(?![\d,])         # 1,234,567 (comma groups of three)
      | (?<![\d.,])\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?![\d,]|\.\d)  # 16 501 (space groups of three)
      | \d+
      | (?<![\w.])(?=\.\d)                            # .25 (the fraction follows)
    )
    (?P<fraction>\.\d+)?
    (?:\s*(?P<scale>thousand|million|billion|trillion)\b)?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_NUMBER2_SKIP = re.compile(r"[^\d.]*")
_UNSIGNED = re.compile(r"(?:\d{1,3}(?:,\d{3})+(?![\d,])|\d+)(?:\.\d+)?|\.\d+")
_GROUP_SEPARATORS = str.maketrans("", "", ", \u00a0\u202f\u2009")


def _number_of(match: re.Match[str]) -> float:
    """The float a :data:`_NUMBER` match denotes (sign, digits, fraction, scale)."""
    digits = match.group("digits").translate(_GROUP_SEPARATORS) or "0"
    value = float(digits + (match.group("fraction") or ""))
    if match.group("scale"):
        value *= _SCALES[match.group("scale").lower()]
    return -value if match.group("sign") else value


@functools.lru_cache(maxsize=CACHE_SIZE)
def parse_number(text: str) -> float | None:
    """The first number in ``text``, or ``None`` when it holds no digit.

    ``1,234`` → 1234, ``12.5%`` → 12.5, ``−3`` → -3, ``12 km`` → 12,
    ``$4.5 million`` → 4500000, ``1st`` → 1, ``2004`` → 2004. A cell holding a
    score or range is read as its first side: ``3–1`` → 3 (CoreNLP does the same;
    :func:`parse_number2` gives the other side). A hyphen glued to a word is not a
    sign: ``US-91`` → 91.

    A year with an era is signed: ``500 BC`` → -500.

    >>> parse_number("$1.56 billion")
    1560000000.0
    """
    era = _era(text.strip())
    if era is not None:
        return era[0]
    match = _first_number(text)
    return None if match is None else _number_of(match)


@functools.lru_cache(maxsize=CACHE_SIZE)
def parse_number2(text: str) -> float | None:
    """The number after the first number of ``text`` (CoreNLP's ``num2``), unsigned.

    Whatever separates the two (a dash, a slash, a colon, words) is skipped, so
    ``3–1`` → 1, ``1990-1995`` → 1995, ``L 65–83`` → 83, ``6 April 2003`` → 2003.
    The separator is never read as a minus sign (a range of years before the
    common era is: ``200–150 BC`` → -150). ``None`` when there is no second number.
    """
    era = _era(text.strip())
    if era is not None:
        return era[1]
    first = _first_number(text)
    return None if first is None else _number_after(text, first)


_DIGIT = re.compile(r"\d").search


def _first_number(text: str) -> re.Match[str] | None:
    """The :data:`_NUMBER` match of the first number in ``text``, or ``None``.

    Every match holds a digit and starts at most two characters before it (a sign
    and a ``.``), so the search starts there: on long text the regex, with its
    look-behinds, is then tried at a few positions rather than at every one.
    """
    digit = _DIGIT(text)
    if digit is None:
        return None
    return _NUMBER.search(text, max(0, digit.start() - 2))


def _number_after(text: str, first: re.Match[str]) -> float | None:
    """The unsigned number after the match ``first`` (see :func:`parse_number2`)."""
    rest = text[first.end() :]
    rest = rest[_NUMBER2_SKIP.match(rest).end() :]  # type: ignore[union-attr]  # always matches
    second = _UNSIGNED.match(rest)
    if second is None:
        return None
    return float(second.group().replace(",", ""))


# ----------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?\.?,?\s+)?"

_NAMED_DATE_FORMS = [
    rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}",  # May 3, 2004
    rf"{_DAY}\s+{_MONTH},?\s+{_YEAR}",  # 3 May 2004
    rf"{_YEAR},?\s+{_MONTH}\s+{_DAY}",  # 2004 May 3
    rf"{_MONTH},?\s+{_YEAR}",  # May 2004
    rf"{_MONTH}\s+{_DAY}",  # October 17
    rf"{_DAY}\s+{_MONTH}",  # 17 October
    rf"{_MONTH}",  # October
]
_NAMED_DATE = [re.compile(_WEEKDAY + form, re.IGNORECASE).fullmatch for form in _NAMED_DATE_FORMS]
_YEAR_ONLY = re.compile(r"\d{4}").fullmatch
_ISO_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})(?:-(?P<day>\d{2}))?").fullmatch
_YEAR_FIRST = re.compile(r"(?P<year>\d{4})(?P<sep>[/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})").fullmatch
NUMERIC_DATE = r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})"
"""``a/b/yyyy``, ``a-b-yy``, ``a.b.yyyy``: which of a and b is the day is a column's
convention (:class:`Conventions`); dots need a four-digit year."""
_NUMERIC_DATE = re.compile(NUMERIC_DATE).fullmatch
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DIGIT_FIRST_FORMS = (_ISO_DATE, _YEAR_FIRST, _NAMED_DATE[1], _NAMED_DATE[2], _NAMED_DATE[5])
"""The date forms a text starting with a digit can match besides :data:`NUMERIC_DATE`:
``2004-05-03``, ``2004/05/03``, then ``3 May 2004``, ``2004 May 3`` and
``17 October`` (the others start with a name)."""
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch


def _checked(year: int | None, month: int | None, day: int | None) -> Date | None:
    """``Date(year, month, day)`` when the month and day can exist, else ``None``."""
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= day <= (_DAYS_IN_MONTH[month - 1] if month else 31):
        return None
    return Date(year, month, day)


def _month_number(name: str) -> int:
    """The month a month-name match denotes. ``re.IGNORECASE`` also lets ``ſ`` match
    ``s`` and ``ı``/``İ`` match ``i``; those are mapped by matching, not by ``lower``."""
    month = _MONTHS.get(name.lower())
    if month is None:
        month = next(m for word, m in _MONTHS.items() if re.fullmatch(re.escape(word), name, re.IGNORECASE))
    return month


def _from_groups(match: re.Match[str]) -> Date | None:
    """The date of a match with ``year``/``month``/``day`` groups (month maybe a name)."""
    groups = match.groupdict()
    month_text = groups.get("month")
    year_text, day_text = groups.get("year"), groups.get("day")
    if month_text is None:
        month = None
    elif month_text.isdigit():
        month = int(month_text)
    else:
        month = _month_number(month_text)
    year = int(year_text) if year_text and len(year_text) == 4 else None  # "04": century unknown
    return _checked(year, month, int(day_text) if day_text else None)


@functools.lru_cache(maxsize=CACHE_SIZE)
def parse_date(text: str) -> Date | None:
    """The date ``text`` is, when the whole (stripped) text is one date; else ``None``.

    ``2004`` → 2004-xx-xx (years 1000–2999), ``2004-05-03``, ``2004/05/03``,
    ``2004-05``, ``May 3, 2004``, ``Sunday, May 3, 2004``, ``3 May 2004``,
    ``May 2004``, ``October 17`` → xxxx-10-17, ``May`` → xxxx-05-xx,
    ``5/3/2004`` and ``5-3-2004`` (month first) → 2004-05-03, ``3.5.2004`` (day
    first), ``5/3/04`` → xxxx-05-03, ``500 BC`` → year -500, ``AD 79`` → year 79.
    Impossible dates (``2004-13``, ``31 April``) give ``None``; so do texts with
    anything around the date (``May 9, 1993 (age 21)``). A column may read
    ``a/b/yyyy`` day first (:class:`Conventions`); this function reads one cell
    alone, with the defaults.
    """
    return _date_of(" ".join(text.split()))


MAX_DATE_CHARS = 40
"""No text longer than this (whitespace collapsed) is a date, so longer texts skip
the date forms. The longest any form accepts is 35 characters: a weekday part of
14 (``thursnesday., ``: the weekday regex allows odd stems) and a named form of 21
(``september. 30th, 2004``); the numeric forms take at most 10."""

_MONTH_WORD = re.compile(r"(?:^|\s)(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.IGNORECASE).search
"""Every date without a digit has a month word at its start or after a space."""


def _date_of(text: str, day_first: bool | None = None) -> Date | None:
    """:func:`parse_date` of a text whose whitespace is already collapsed (``day_first``:
    :attr:`Conventions.day_first`)."""
    if not text or len(text) > MAX_DATE_CHARS or not (text[0].isalnum() and text[-1].isalnum() or text[-1] == "."):
        return None
    if _YEAR_ONLY(text):
        year = int(text)
        return Date(year, None, None) if YEAR_MIN <= year <= YEAR_MAX else None
    era = _era(text)
    if era is not None:
        return era[2]
    if text[0].isdigit():
        numeric = _NUMERIC_DATE(text)
        if numeric is not None:
            return _numeric_date(numeric, day_first)
    # a text starting with a digit can only be a numeric form or a named form that starts
    # with a day or a year; one starting otherwise only a named form (same order as before)
    for fullmatch in _DIGIT_FIRST_FORMS if text[0].isdigit() else _NAMED_DATE:
        match = fullmatch(text)
        if match is not None:
            return _from_groups(match)
    return None


def _numeric_date(match: re.Match[str], day_first: bool | None) -> Date | None:
    """The date of a :data:`NUMERIC_DATE` match: dots need a four-digit year; the day
    comes first when ``day_first`` says so (``None``: for dots only)."""
    sep, year_text = match.group("sep"), match.group("year")
    if sep == "." and len(year_text) != 4:
        return None
    a, b = int(match.group("a")), int(match.group("b"))
    if day_first if day_first is not None else sep == ".":
        a, b = b, a
    return _checked(int(year_text) if len(year_text) == 4 else None, a, b)


_ERA_FORM = re.compile(
    r"(?:(?:c|ca|circa)\.?\s*)?(?P<a>\d{1,4})(?:\s*[-–—]\s*(?P<b>\d{1,4}))?\s*"
    r"(?P<era>b\.?\s?c\.?(?:\s?e\.?)?|a\.?\s?d\.?|c\.?\s?e\.?)"
    r"|(?P<era2>a\.?\s?d\.?)\s*(?P<a2>\d{1,4})",
    re.IGNORECASE,
).fullmatch


def _era(text: str) -> tuple[float, float | None, Date | None] | None:
    """(number, number2, date) of a year (or a range of years) with an era:
    ``500 BC`` → (-500, None, year -500), ``c. 500 BCE``, ``200–150 B.C.`` →
    (-200, -150, None), ``AD 79`` and ``79 CE`` → (79, None, year 79); else ``None``."""
    if not text or not (text[-1] in "CDEcde." or text[0] in "Aa"):
        return None
    match = _ERA_FORM(text.strip())
    if match is None:
        return None
    era = match.group("era") or match.group("era2")
    sign = -1 if era[0] in "bB" else 1
    first = sign * int(match.group("a") or match.group("a2"))
    second = match.group("b")
    if second is not None:
        return float(first), float(sign * int(second)), None
    return float(first), None, Date(first, None, None)


_INCHES = r"(?:1[01]|0?[0-9])(?:\.[0-9]+)?"
_INCH_MARK = r"(?:\s*(?:[\"”″]|''|in\.?|inches))?"
_FEET_INCHES = re.compile(
    r"(?P<feet>[4-8])(?:\s*(?:['’′]|ft\.?|feet)(?:\s*[-–—]?\s*(?P<inches>" + _INCHES + r")" + _INCH_MARK + r")?"
    r"|\s*[-–—]\s*(?P<inches2>" + _INCHES + r")" + _INCH_MARK + r")"
).fullmatch
"""A height in feet (4 to 8) and inches (under 12), a foot mark or a dash between:
``6'2"``, ``6' 2``, ``6'``, ``6–8``, ``6 ft 2 in``; not ``68`` nor ``6–12``."""


def read_height(text: str) -> float | None:
    """The inches of a height written in feet and inches (``6'2"`` → 74, ``6–8`` → 80),
    None when ``text`` is not one; how a column of heights reads its cells and how
    linking reads a question's ``6' 3"`` against one.

    >>> read_height("6' 2"), read_height("6-8"), read_height("6 ft 2 in"), read_height("6-12")
    (74.0, 80.0, 74.0, None)
    """
    height = _FEET_INCHES(text)
    if height is None:
        return None
    inches = height.group("inches") or height.group("inches2") or 0  # 6–8: 6 feet 8 inches
    return 12.0 * int(height.group("feet")) + float(inches)


def read_cell(
    text: str, conventions: Conventions = DEFAULT_CONVENTIONS
) -> tuple[float | None, float | None, Date | None]:
    """(number, number2, date) of a whitespace-collapsed text in one pass, uncached.

    In a column of heights (``conventions.feet_inches``) ``6'2"`` is 74 inches.
    With the default conventions, the same readings as :func:`parse_number`,
    :func:`parse_number2` and :func:`parse_date`, sharing the work: the first
    number's match gives the second, text with no digit and no month word is no
    date, long text is none. A decimal-comma column's numbers are read from
    :func:`decimal_point_text` of the text.
    """
    if conventions.feet_inches:
        height = read_height(text)
        if height is not None:
            return height, None, None
    if len(text) == 10 and _ISO_DAY(text):  # 2004-05-03: the year, then the month, and the date
        year, month, day = int(text[:4]), int(text[5:7]), int(text[8:])
        return float(year), float(month), _checked(year, month, day)
    era = _era(text)
    if era is not None:
        return era
    number_text = decimal_point_text(text) if conventions.decimal == "," else text
    first = _first_number(number_text)
    if first is None:
        return None, None, (_date_of(text) if len(text) <= MAX_DATE_CHARS and _MONTH_WORD(text) else None)
    return _number_of(first), _number_after(number_text, first), _date_of(text, conventions.day_first)


_COMMA_DECIMAL = re.compile(r"(?<![0-9.,])([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,([0-9]+))?(?![0-9.,])")


def decimal_point_text(text: str) -> str:
    """``text`` with its decimal-comma numbers rewritten with a decimal point and no
    grouping: ``3,75`` → ``3.75``, ``1.234,5`` → ``1234.5``, ``1.234`` → ``1234``;
    other digit runs (``31.01.2012``, ``1,234,567``) are left as they are."""
    if "," not in text and "." not in text:
        return text

    def point(match: re.Match[str]) -> str:
        whole, fraction = match.group(1).replace(".", ""), match.group(2)
        return whole if fraction is None else f"{whole}.{fraction}"

    return _COMMA_DECIMAL.sub(point, text)


def parse_cell(text: str) -> CellValue:
    """The number, second number, date and duration of one cell text."""
    collapsed = " ".join(text.split())
    return CellValue(*read_cell(collapsed), parse_duration(collapsed))


# ----------------------------------------------------------------------------- durations

_UNIT_H = r"(?:h|hrs?|hours?)\.?"
_UNIT_M = r"(?:m|mins?|minutes?)\.?"
_UNIT_S = r"(?:s|secs?|seconds?)\.?"
_FRACTION = r"(?:[.,][0-9]+)?"
_DURATION = re.compile(
    rf"""\+?\s*(?:
        (?P<h>[0-9]{{1,3}}):(?P<m>[0-5][0-9]):(?P<s>[0-5][0-9]{_FRACTION})                    # h:mm:ss(.x)
      | (?P<a>[0-9]{{1,3}}):(?P<b>[0-5][0-9]{_FRACTION})(?!:)(?:\s*(?P<ampm>[ap])\.?m\b\.?)?  # m:ss(.xx), h:mm am/pm
      | (?P<h2>[0-9]+)\s*{_UNIT_H}\s*(?P<m2>[0-9]+)\s*{_UNIT_M}(?:\s*(?P<s2>[0-9]+{_FRACTION})\s*{_UNIT_S})?  # 2h 15m (30s)
      | (?P<m3>[0-9]+)\s*{_UNIT_M}\s*(?P<s3>[0-9]+{_FRACTION})\s*{_UNIT_S}                 # 15m 30s
    )(?![\w:]|[.,][0-9])""",
    re.VERBOSE | re.IGNORECASE,
).match
_DURATION_HINT = re.compile(r"[0-9]\s*[:hHmM]").search


@functools.lru_cache(maxsize=CACHE_SIZE)
def parse_duration(text: str) -> float | None:
    """Seconds of the duration or clock time ``text`` starts with, else ``None``.

    ``1:23.45`` → 83.45 (m:ss.xx), ``2:08:24`` → 7704 (h:mm:ss), ``2h 15m`` → 8100,
    ``15 min 30 s`` → 930, ``+0:05.2`` → 5.2 (a gap), ``7:30 pm`` → 70200 (h:mm with
    am/pm); what follows may be a note (``9:03.16 (PB)``). A lone ``m:ss`` is read
    as minutes and seconds, so a column of clock times keeps its order. A single
    number with one unit (``90 min``) is left to :func:`parse_number`; a score such
    as ``2:1`` is no duration (seconds take two digits).
    """
    return _duration_of(text) if _DURATION_HINT(text) else None


def _duration_of(text: str) -> float | None:
    """:func:`parse_duration`, uncached and without the quick test."""
    match = _DURATION(text.strip())
    if match is None:
        return None
    g = match.groupdict()

    def num(name: str) -> float:
        return float(g[name].replace(",", ".")) if g[name] else 0.0

    if g["h"] is not None:
        return num("h") * 3600 + num("m") * 60 + num("s")
    if g["a"] is not None:
        if g["ampm"] is not None:
            hours = num("a") % 12 + (12 if g["ampm"].lower() == "p" else 0)
            return hours * 3600 + num("b") * 60
        return num("a") * 60 + num("b")
    if g["h2"] is not None:
        return num("h2") * 3600 + num("m2") * 60 + num("s2")
    return num("m3") * 60 + num("s3")


# ----------------------------------------------------------------------------- many cells at once

_PLAIN_NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?").fullmatch
"""A plain decimal: its number is ``float`` of the text without commas, it holds no
second number, and it is a date only as a four-digit year."""

DATE_NONE, DATE_YEAR, DATE_FULL = 0, 1, 2
"""Codes of :attr:`ParsedCells.date_kinds`: no date, a year alone, a date with a month or day."""


@dataclass
class ParsedCells:
    """The readings of many texts, as arrays aligned with the texts."""

    numbers: np.ndarray  # float64 (U,): parse_number, NaN for none
    numbers2: np.ndarray  # float64 (U,): parse_number2, NaN for none
    dates: np.ndarray  # object (U,): parse_date, None for none
    date_kinds: np.ndarray  # int8 (U,): DATE_NONE | DATE_YEAR | DATE_FULL
    durations: np.ndarray | None = None  # float64 (U,): parse_duration, NaN for none (None: all NaN)

    def __post_init__(self) -> None:
        if self.durations is None:
            self.durations = np.full(len(self.numbers), np.nan)


def parse_cells(texts: Sequence[str], conventions: Conventions = DEFAULT_CONVENTIONS) -> ParsedCells:
    """Read many whitespace-collapsed texts (a column's distinct cells) at once.

    Gives exactly what :func:`read_cell` (with ``conventions``) and
    :func:`parse_duration` give for each text, faster: plain decimals (``-12``,
    ``3.5``, ``7,753,175``) are converted by numpy in one call (with the default
    decimal point); other texts get one combined pass each (:func:`read_cell`),
    in which text without a digit is only tried as a month name and long text
    never as a date.
    """
    n = len(texts)
    numbers = np.full(n, np.nan)  # (U,)
    numbers2 = np.full(n, np.nan)  # (U,)
    dates = np.empty(n, dtype=object)  # (U,) all None
    date_kinds = np.zeros(n, dtype=np.int8)  # (U,)
    durations = np.full(n, np.nan)  # (U,)
    if conventions.decimal == ".":
        plain = np.array([_PLAIN_NUMBER(t) is not None for t in texts], dtype=bool).reshape(n)  # (U,)
    else:
        plain = np.zeros(n, dtype=bool)
    if plain.any():
        plain_texts = [texts[i] for i in np.flatnonzero(plain)]
        joined = " ".join(plain_texts).replace(",", "")
        values = np.fromstring(joined, sep=" ") if plain_texts else np.empty(0)  # (P,)
        if len(values) != len(plain_texts):  # never for plain decimals; kept as a guard
            values = np.array([float(t.replace(",", "")) for t in plain_texts])
        numbers[plain] = values
        lengths = np.fromiter(map(len, plain_texts), dtype=np.int64, count=len(plain_texts))  # (P,)
        is_year = (lengths == 4) & (values >= YEAR_MIN) & (values <= YEAR_MAX) & (values == np.floor(values))  # (P,)
        for i, year in zip(np.flatnonzero(plain)[is_year], values[is_year]):
            dates[i] = _year_date(int(year))
            date_kinds[i] = DATE_YEAR
    rest = np.flatnonzero(~plain)  # (N,)
    if len(rest) == 0:
        return ParsedCells(numbers, numbers2, dates, date_kinds, durations)
    rest_texts = [texts[i] for i in rest]
    maybe_digit = _maybe_digit(rest_texts)  # (N,)
    for i, text, digit in zip(rest.tolist(), rest_texts, maybe_digit.tolist()):
        if not digit:  # no number; a date only as a short text with a month word
            if text and len(text) <= MAX_DATE_CHARS and _MONTH_WORD(text):
                date = _date_of(text)
                if date is not None:
                    dates[i] = date
                    date_kinds[i] = DATE_FULL if (date.month is not None or date.day is not None) else DATE_YEAR
            continue
        number, number2, date = read_cell(text, conventions)
        if number is not None:
            numbers[i] = number
        if number2 is not None:
            numbers2[i] = number2
        if date is not None:
            dates[i] = date
            date_kinds[i] = DATE_FULL if (date.month is not None or date.day is not None) else DATE_YEAR
        seconds = _duration_of(text) if _DURATION_HINT(text) else None  # distinct texts: no cache
        if seconds is not None:
            durations[i] = seconds
    return ParsedCells(numbers, numbers2, dates, date_kinds, durations)


def _maybe_digit(texts: list[str]) -> np.ndarray:
    """Per text: False when it surely holds no digit (bool (N,)), in a few numpy calls.

    The texts are joined with NUL and encoded as UTF-8; a text may hold a digit
    when one of its bytes is an ASCII digit or is non-ASCII (Unicode digits such as
    ``٣`` count for ``\\d``). A text that itself holds a NUL is marked True.
    """
    if not texts:
        return np.zeros(0, dtype=bool)
    data = np.frombuffer("\x00".join(texts).encode("utf-8", "surrogatepass"), dtype=np.uint8)  # (B,)
    ends = np.flatnonzero(data == 0)  # (N-1,) separator positions, unless a text holds a NUL
    if len(ends) != len(texts) - 1:
        return np.ones(len(texts), dtype=bool)
    flagged = np.flatnonzero(((data >= 48) & (data <= 57)) | (data >= 128))  # (F,) byte positions
    starts = np.concatenate(([0], ends + 1))  # (N,) first byte of each text
    out = np.zeros(len(texts), dtype=bool)
    out[np.searchsorted(starts, flagged, side="right") - 1] = True
    return out


@functools.lru_cache(maxsize=YEAR_MAX - YEAR_MIN + 1)
def _year_date(year: int) -> Date:
    """The (shared, immutable) date of a year alone."""
    return Date(year, None, None)
