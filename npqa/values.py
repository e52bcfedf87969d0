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
  ``2004``, ``2004-05``, ``2004-05-03``, ``May 3, 2004``, ``3 May 2004``,
  ``May 2004``, ``October 17``, ``May``, ``5/3/2004`` (month first), ``3.5.2004``
  (day first); a two-digit year (``5/3/04``) is left unknown, as CoreNLP does.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

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
    """Everything :mod:`npqa.values` reads from one cell text."""

    number: float | None  # the first number (parse_number)
    number2: float | None  # the number after it (parse_number2)
    date: Date | None  # the whole text as a date (parse_date)


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

    >>> parse_number("$1.56 billion")
    1560000000.0
    """
    match = _NUMBER.search(text)
    return None if match is None else _number_of(match)


@functools.lru_cache(maxsize=CACHE_SIZE)
def parse_number2(text: str) -> float | None:
    """The number after the first number of ``text`` (CoreNLP's ``num2``), unsigned.

    Whatever separates the two (a dash, a slash, a colon, words) is skipped, so
    ``3–1`` → 1, ``1990-1995`` → 1995, ``L 65–83`` → 83, ``6 April 2003`` → 2003.
    The separator is never read as a minus sign. ``None`` when there is no
    second number.
    """
    first = _NUMBER.search(text)
    if first is None:
        return None
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
_MONTH_FIRST = re.compile(r"(?P<month>\d{1,2})([/-])(?P<day>\d{1,2})\2(?P<year>\d{4}|\d{2})").fullmatch
_DAY_FIRST = re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})").fullmatch
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _checked(year: int | None, month: int | None, day: int | None) -> Date | None:
    """``Date(year, month, day)`` when the month and day can exist, else ``None``."""
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= day <= (_DAYS_IN_MONTH[month - 1] if month else 31):
        return None
    return Date(year, month, day)


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
        month = _MONTHS[month_text.lower()]
    year = int(year_text) if year_text and len(year_text) == 4 else None  # "04": century unknown
    return _checked(year, month, int(day_text) if day_text else None)


@functools.lru_cache(maxsize=CACHE_SIZE)
def parse_date(text: str) -> Date | None:
    """The date ``text`` is, when the whole (stripped) text is one date; else ``None``.

    ``2004`` → 2004-xx-xx (years 1000–2999), ``2004-05-03``, ``2004-05``,
    ``May 3, 2004``, ``Sunday, May 3, 2004``, ``3 May 2004``, ``May 2004``,
    ``October 17`` → xxxx-10-17, ``May`` → xxxx-05-xx, ``5/3/2004`` and
    ``5-3-2004`` (month first) → 2004-05-03, ``3.5.2004`` (day first), ``5/3/04``
    → xxxx-05-03. Impossible dates (``2004-13``, ``31 April``) give ``None``; so
    do texts with anything around the date (``May 9, 1993 (age 21)``).
    """
    text = " ".join(text.split())
    if not text or not (text[0].isalnum() and text[-1].isalnum() or text[-1] == "."):
        return None
    if _YEAR_ONLY(text):
        year = int(text)
        return Date(year, None, None) if YEAR_MIN <= year <= YEAR_MAX else None
    for fullmatch in (_ISO_DATE, _MONTH_FIRST, _DAY_FIRST, *_NAMED_DATE):
        match = fullmatch(text)
        if match is not None:
            return _from_groups(match)
    return None


def parse_cell(text: str) -> CellValue:
    """The number, second number and date of one cell text."""
    return CellValue(parse_number(text), parse_number2(text), parse_date(text))
