"""Questions without a table: tokens and the constants they mention.

:func:`parse_question` turns the text into lower-cased tokens and finds the
*question constants*: numbers (digits, number words, ordinals, percentages,
durations such as ``4:47`` in seconds, years ``500 bc`` as -500), dates (``may 3,
2004``, ``3 may 2004``, ``may 2004``, ``october 17``, ``2004-05-03``,
``2012/01/31``, ``31.01.2012``, a year alone) and quoted strings. Reading the question against
a table is :mod:`npqa.question.link`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from npqa.errors import QuestionError
from npqa.table.values import Date, parse_date, parse_duration

ConstValue = float | Date | str

_DASHES = frozenset("-‐‑‒–—−")

@dataclass(frozen=True)
class Constant:
    """A value the question mentions, over question tokens ``[start, end)``.

    ``kind`` is "number" (``value`` a float), "date" (a :class:`Date`) or
    "string" (``value`` the text to match). ``ordinal`` marks
    ``3rd``/``third``. ``match`` says where a string came from: "quoted",
    or, for linked strings, "exact" (equals a cell), "partial" (a run of a
    cell's words) or "contained" (a cell's words all in the question);
    "" for numbers and dates. ``via`` says how a linked string forgave the
    question's wording: "key" (an inflection or abbreviation: its ``value`` is
    the cell's words, ``singles`` → ``single``), "typo" (a word one edit from a
    cell word: a weaker link), "" for none.
    """

    kind: str
    value: ConstValue
    start: int
    end: int
    text: str
    ordinal: bool = False
    match: str = ""
    via: str = ""


@dataclass
class Question:
    """A parsed question (no table needed)."""

    text: str
    tokens: list[str]  # (Q,) lower-cased tokens, punctuation split off
    raw_tokens: list[str]  # (Q,) the same tokens in their original case
    offsets: list[tuple[int, int]]  # (Q,) character span of each token in ``text``
    constants: list[Constant]  # numbers, dates and quoted strings, by position

    def span_text(self, start: int, end: int) -> str:
        """The question's text from token ``start`` to token ``end - 1`` inclusive."""
        return self.text[self.offsets[start][0] : self.offsets[end - 1][1]]


# --------------------------------------------------------------------------- tokens

_TOKEN_RE = re.compile(
    r"""
      \d{4}-\d{1,2}-\d{1,2}(?![\w-])                      # ISO date
    | \d{4}(?P<ysep>[/.])\d{1,2}(?P=ysep)\d{1,2}(?![\w./])   # 2012/01/31
    | \d{1,2}(?P<dsep>[/.])\d{1,2}(?P=dsep)\d{4}(?![\w./])   # 31.01.2012, 1/31/2012
    | \d{1,3}:[0-5]\d(?::[0-5]\d)?(?:\.\d+)?(?![\w:])        # a duration: 4:47, 2:08:24, 1:23.45
    | (?:(?<![\w.,])[-−])?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[^\W_]+)?  # number (+suffix)
    | ['’]s(?![^\W_])                                     # possessive 's
    | [^\W\d_][^\W_]*(?:['’](?!s(?![^\W_]))[^\W_]+)*        # word
    | \S                                                  # any other character
    """,
    re.VERBOSE,
)
_NUMBER_TOKEN = re.compile(r"([-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)([^\W_]*)")
_NUMERIC_DATE_TOKEN = re.compile(r"\d{4}([/.])\d{1,2}\1\d{1,2}|\d{1,2}([/.])\d{1,2}\2\d{4}")
_DURATION_TOKEN = re.compile(r"\d{1,3}:[0-5]\d(?::[0-5]\d)?(?:\.\d+)?")
_BEFORE_ERA = (("bc",), ("bce",), ("b", ".", "c", "."), ("b", ".", "c"), ("b", ".", "c", ".", "e", "."))
_ISO_TOKEN = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})


def _tokenize(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    raw, offsets = [], []
    for m in _TOKEN_RE.finditer(text):
        raw.append(m.group())
        offsets.append(m.span())
    return raw, offsets


# --------------------------------------------------------------------------- quotes

_QUOTE_RE = re.compile(
    r"""
      (?<![0-9])"(?P<a>[^"]+)"
    | “(?P<b>[^”"]+)[”"]
    | ``(?P<c>[^'`]+)''
    | (?<![\w'])''(?P<d>[^']+)''(?![\w'])
    | (?<![\w'])['‘](?P<e>[^'‘’]+?)['’](?![\w'])
    """,
    re.VERBOSE,
)


def _quoted_constants(text: str, offsets: list[tuple[int, int]]) -> list[Constant]:
    """String constants for text in double, single, smart or TeX-style quotes; a
    double quote right after a digit is an inch mark (``6' 3"``), which opens none."""
    found = []
    for m in _QUOTE_RE.finditer(text):
        inner = next(g for g in m.groups() if g is not None).strip()
        span = _token_span(offsets, m.start(), m.end())
        if inner and span is not None:
            found.append(Constant("string", inner, span[0], span[1], m.group(), match="quoted"))
    return found


def _token_span(offsets: list[tuple[int, int]], begin: int, end: int) -> tuple[int, int] | None:
    inside = [i for i, (s, e) in enumerate(offsets) if s >= begin and e <= end]
    return (inside[0], inside[-1] + 1) if inside else None


# --------------------------------------------------------------------------- number words

_UNITS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_SCALES = {"hundred": 100.0, "thousand": 1e3, "million": 1e6, "billion": 1e9}
_ORDINAL_UNITS = {
    w: i
    for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
        "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth".split(),
        start=1,
    )
}
_ORDINAL_TENS = {
    w: 10 * i
    for i, w in enumerate(
        "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split(), start=2
    )
}
_ORDINAL_SCALES = {"hundredth": 100.0, "thousandth": 1e3, "millionth": 1e6}
_NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TENS) | frozenset(_SCALES)
_ORDINAL_WORDS = frozenset(_ORDINAL_UNITS) | frozenset(_ORDINAL_TENS) | frozenset(_ORDINAL_SCALES)


@dataclass
class _WordNumber:
    """Running state while reading number words left to right."""

    total: float = 0.0
    current: float = 0.0
    last: str = ""  # "", "unit", "tens", "scale"

    def value(self) -> float:
        return self.total + self.current

    def take(self, word: str) -> bool:
        """Add a cardinal word if it may follow the words read so far."""
        if word in _UNITS and self.last in ("", "scale", "tens"):
            if self.last == "tens" and not 1 <= _UNITS[word] <= 9:
                return False
            self.current += _UNITS[word]
        elif word in _TENS and self.last in ("", "scale"):
            self.current += _TENS[word]
        elif word in _SCALES:
            self._scale(_SCALES[word])
            self.last = "scale"
            return True
        else:
            return False
        self.last = "tens" if word in _TENS else "unit"
        return True

    def take_ordinal(self, word: str) -> bool:
        """Add a final ordinal word (``first``, ``twentieth``, ``hundredth``)."""
        if word in _ORDINAL_UNITS and self.last in ("", "scale", "tens"):
            if self.last == "tens" and _ORDINAL_UNITS[word] > 9:
                return False
            self.current += _ORDINAL_UNITS[word]
        elif word in _ORDINAL_TENS and self.last in ("", "scale"):
            self.current += _ORDINAL_TENS[word]
        elif word in _ORDINAL_SCALES:
            self._scale(_ORDINAL_SCALES[word])
        else:
            return False
        return True

    def _scale(self, scale: float) -> None:
        if scale == 100.0:
            self.current = (self.current or 1.0) * scale
        else:
            self.total += (self.current or 1.0) * scale
            self.current = 0.0


def _read_number_words(tokens: list[str], i: int) -> tuple[float, int, bool] | None:
    """(value, end, ordinal) of the number words starting at token ``i``, or None.

    Reads ``twenty-one``, ``two hundred and five``, ``one thousand``,
    ``twenty-first``; a lone ``hundred`` is 100.
    """
    if tokens[i] not in _NUMBER_WORDS and tokens[i] not in _ORDINAL_WORDS:
        return None
    state, j, n = _WordNumber(), i, len(tokens)
    while j < n:
        word = tokens[j]
        if state.take(word):
            j += 1
        elif state.take_ordinal(word):
            return state.value(), j + 1, True
        elif _joins_number_words(tokens, j, state.last):
            j += 1
        else:
            break
    return (state.value(), j, False) if j > i else None


def _joins_number_words(tokens: list[str], j: int, last: str) -> bool:
    """A dash after a tens word (``twenty-one``) or ``and`` after a scale (``hundred and five``)."""
    if j + 1 >= len(tokens):
        return False
    word, after = tokens[j], tokens[j + 1]
    if word in _DASHES and last == "tens":
        return 1 <= _UNITS.get(after, 0) <= 9 or 1 <= _ORDINAL_UNITS.get(after, 0) <= 9
    if word == "and" and last == "scale":
        return after in _UNITS or after in _TENS
    return False


# --------------------------------------------------------------------------- dates

_MONTHS = {
    **{
        m: i
        for i, m in enumerate(
            "january february march april may june july august september october november december".split(),
            start=1,
        )
    },
    **{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9},
    **{"oct": 10, "nov": 11, "dec": 12},
}
# Month words that may stand alone as a date ("in october"); "may", "march" and
# the abbreviations need a day or year next to them.
_LONE_MONTHS = frozenset(
    "january february april june july august september october november december".split()
)


def _year(token: str) -> int | None:
    return int(token) if len(token) == 4 and token.isdigit() else None


def _day(token: str) -> int | None:
    m = _NUMBER_TOKEN.fullmatch(token)
    if m is None or not m.group(1).isdigit() or m.group(2) not in ("", *_ORDINAL_SUFFIXES):
        return None
    day = int(m.group(1))
    return day if 1 <= day <= 31 else None


def _at(tokens: list[str], i: int) -> str:
    return tokens[i] if 0 <= i < len(tokens) else ""


def _read_date(tokens: list[str], i: int) -> tuple[Date, int] | None:
    """The date starting at token ``i`` and the index after it, or None."""
    if not tokens[i][:1].isdigit() and tokens[i] not in _MONTHS:
        return None
    iso = _ISO_TOKEN.fullmatch(tokens[i])
    if iso is not None:
        y, m, d = (int(g) for g in iso.groups())
        return (Date(y, m, d), i + 1) if 1 <= m <= 12 and 1 <= d <= 31 else None
    if _NUMERIC_DATE_TOKEN.fullmatch(tokens[i]):  # as a cell alone reads it (slashes month first, dots day first)
        date = parse_date(tokens[i])
        return (date, i + 1) if date is not None else None
    if tokens[i] in _MONTHS:
        return _read_month_first(tokens, i)
    if _day(tokens[i]) is not None:
        return _read_day_first(tokens, i)
    return None


def _read_year_after(tokens: list[str], j: int) -> tuple[int, int] | None:
    """A year at token ``j`` (or after a comma there) and the index after it."""
    if _at(tokens, j) == ",":
        j += 1
    year = _year(_at(tokens, j))
    return (year, j + 1) if year is not None else None


def _read_month_first(tokens: list[str], i: int) -> tuple[Date, int] | None:
    """``may 3, 2004``, ``october 17``, ``may 2004``, ``october``."""
    month = _MONTHS[tokens[i]]
    day = _day(_at(tokens, i + 1))
    if day is not None and _year(_at(tokens, i + 1)) is None:
        year = _read_year_after(tokens, i + 2)
        if year is not None:
            return Date(year[0], month, day), year[1]
        return Date(None, month, day), i + 2
    year = _read_year_after(tokens, i + 1)
    if year is not None:
        return Date(year[0], month, None), year[1]
    if tokens[i] in _LONE_MONTHS:
        return Date(None, month, None), i + 1
    return None


def _read_day_first(tokens: list[str], i: int) -> tuple[Date, int] | None:
    """``3 may 2004``, ``17 october``, ``3rd of may, 2004``."""
    day = _day(tokens[i])
    j = i + 2 if _at(tokens, i + 1) == "of" else i + 1
    word = _at(tokens, j)
    if day is None or word not in _MONTHS:
        return None
    year = _read_year_after(tokens, j + 1)
    if year is not None:
        return Date(year[0], _MONTHS[word], day), year[1]
    if word in _LONE_MONTHS:
        return Date(None, _MONTHS[word], day), j + 1
    return None


# --------------------------------------------------------------------------- numbers


def _digits_value(digits: str) -> float:
    return float(digits.replace(",", "").replace("−", "-"))


def _read_number(tokens: list[str], i: int) -> tuple[float, int, bool] | None:
    """(value, end, ordinal) of the number at token ``i``: digits (with an ordinal
    or unit suffix, a following ``%`` or scale word) or number words."""
    if _DURATION_TOKEN.fullmatch(tokens[i]):  # 4:47 → 287 seconds, as a column of durations holds it
        return parse_duration(tokens[i]), i + 1, False  # type: ignore[return-value]
    m = _NUMBER_TOKEN.fullmatch(tokens[i])
    if m is None:
        return _read_number_words(tokens, i)
    value, suffix = _digits_value(m.group(1)), m.group(2)
    if suffix in _ORDINAL_SUFFIXES:
        return value, i + 1, True
    end = i + 1
    if not suffix and _at(tokens, end) == "%":
        end += 1
    elif not suffix and _at(tokens, end) in _SCALES:
        value *= _SCALES[tokens[end]]
        end += 1
    return value, end, False


def _is_year_token(token: str) -> bool:
    year = _year(token)
    return year is not None and 1000 <= year <= 2100


# --------------------------------------------------------------------------- parse


def parse_question(text: str) -> Question:
    """Tokens and constants of a question (no table needed).

    Raises :class:`QuestionError` for a question without any word or number.

    >>> [(c.kind, c.value, c.text) for c in parse_question("Who won after 2004?").constants]
    [('number', 2004.0, '2004'), ('date', Date(year=2004, month=None, day=None), '2004')]
    """
    raw, offsets = _tokenize(text)
    tokens = [t.lower() for t in raw]
    if not any(any(ch.isalnum() for ch in t) for t in tokens):
        raise QuestionError("question", "empty question")
    question = Question(text=text, tokens=tokens, raw_tokens=raw, offsets=offsets, constants=[])
    question.constants = _find_constants(question)
    return question


def _find_constants(question: Question) -> list[Constant]:
    """Quoted strings first (their tokens are taken), then dates, then numbers."""
    n = len(question.tokens)
    taken = [False] * n
    found = _quoted_constants(question.text, question.offsets)
    for c in found:
        taken[c.start : c.end] = [True] * (c.end - c.start)
    i = 0
    while i < n:
        end = _constants_at(question, i, taken, found)
        i = max(end, i + 1)
    return sorted(found, key=lambda c: (c.start, c.kind != "number"))


def _constants_at(question: Question, i: int, taken: list[bool], found: list[Constant]) -> int:
    """Append the date or number starting at token ``i``; return the index after it."""
    tokens = question.tokens
    if taken[i]:
        return i + 1
    date = _read_date(tokens, i)
    if date is not None and not any(taken[i : date[1]]):
        found.append(Constant("date", date[0], i, date[1], question.span_text(i, date[1])))
        return date[1]
    number = _read_number(tokens, i)
    if number is None or any(taken[i : number[1]]):
        return i + 1
    value, end, ordinal = number
    era = _era_after(tokens, end) if not ordinal and end == i + 1 and tokens[i].isdigit() else None
    if era is not None:  # 500 bc: the year -500, as a cell "500 BC" reads
        end = era
        value = -value
        text = question.span_text(i, end)
        found.append(Constant("number", value, i, end, text))
        found.append(Constant("date", Date(int(value), None, None), i, end, text))
        return end
    found.append(Constant("number", value, i, end, question.span_text(i, end), ordinal=ordinal))
    if end == i + 1 and _is_year_token(tokens[i]):
        found.append(Constant("date", Date(int(tokens[i]), None, None), i, end, question.span_text(i, end)))
    return end


def _era_after(tokens: list[str], j: int) -> int | None:
    """The index after ``bc``/``bce``/``b.c.`` starting at token ``j``, or None."""
    for form in sorted(_BEFORE_ERA, key=len, reverse=True):
        if tuple(tokens[j : j + len(form)]) == form:
            return j + len(form)
    return None
