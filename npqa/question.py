"""Questions: tokens, constants, and their linking to a table.

Two steps, so that the table-free part can be cached and tested on its own:

* :func:`parse_question` turns the text into lower-cased tokens and finds the
  *question constants*: numbers (digits, number words, ordinals, percentages),
  dates (``may 3, 2004``, ``3 may 2004``, ``may 2004``, ``october 17``,
  ``2004-05-03``, a year alone) and quoted strings.
* :func:`link_question` adds the table-aware part: *string constants* (question
  n-grams that match cells) and the Neural Programmer's word-match features
  (question/column-name overlap, question/cell overlap, constant/column
  agreement, the column names around each number).

"Matching words" means the words of :func:`npqa.text.match_text` (lower-case
ASCII, every other character a separator), the same test the word-match op
and its SQL use: a string constant matches a cell exactly when the constant's
words are a contiguous run of the cell's words.
"""
from __future__ import annotations

import functools
import math
import operator
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from npqa.errors import QuestionError
from npqa.text import match_text
from npqa.values import Date

if TYPE_CHECKING:
    from npqa.table import Column, Table

MAX_NGRAM = 6  # longest question n-gram (in match words) tried against cells
MAX_STRING_CONSTANTS = 10  # linked string constants kept (quoted strings come on top)
CONTEXT_WINDOW = 3  # question tokens before a number/date read as its context

ConstValue = float | Date | str

# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class Constant:
    """A value the question mentions, over question tokens ``[start, end)``.

    ``kind`` is "number" (``value`` a float), "date" (a :class:`Date`) or
    "string" (``value`` the text to match, as written). ``ordinal`` marks
    ``3rd``/``third``. ``match`` says where a string came from: "quoted",
    or, for linked strings, "exact" (equals a cell), "partial" (a run of a
    cell's words) or "contained" (a cell's words all in the question);
    "" for numbers and dates.
    """

    kind: str
    value: ConstValue
    start: int
    end: int
    text: str
    ordinal: bool = False
    match: str = ""


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


@dataclass
class LinkedQuestion:
    """A question read against one table: all constants and the match features.

    Q question tokens, R rows, C columns, K constants. Features are float32
    in [0, 1].
    """

    question: Question
    constants: list[Constant]  # (K,) question constants, then linked strings best first
    column_name_match: np.ndarray  # (C,) share of the column name's words in the question
    column_name_partial: np.ndarray  # (C,) same, counting 4-letter prefix matches too
    cell_match: np.ndarray  # (R, C) 1 if the cell equals a question n-gram, else share of its words in the question
    column_cell_match: np.ndarray  # (C,) max over rows of cell_match
    token_column_match: np.ndarray  # (Q, C) question token i is a word of column j's name
    token_cell_match: np.ndarray  # (Q, C) question token i is a word of some cell of column j
    constant_column_match: np.ndarray  # (K, C) constant k matches some cell of column j
    constant_context_column: np.ndarray  # (K, C) share of column j's name words just before number/date k


# --------------------------------------------------------------------------- words

STOP_WORDS = frozenset(
    """a an the of in on at to for from by with and or as is are was were be been being
    am do does did has have had having what which who whom whose when where why how
    many much that this these those it its he she his her him they them their there
    i me my we our you your s than then if but so not any all each some other only
    same more most less least after before during between into over under up out
    about per can could will would should also did done get got""".split()
)

_DASHES = frozenset("-‐‑‒–—−")


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light suffix stemmer for matching names: plurals, ``-ing``, ``-ed``.

    >>> [stem(w) for w in ["years", "matches", "countries", "played", "goals", "class"]]
    ['year', 'match', 'country', 'play', 'goal', 'class']
    """
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


_ASCII_WORD = re.compile(r"[0-9a-z]+")


@lru_cache(maxsize=1 << 18)
def match_words(text: str) -> tuple[str, ...]:
    """The words ``text`` is matched by: those of :func:`npqa.text.match_text`
    (with a fast path for ASCII text, where that is the runs of ``[0-9a-z]``)."""
    if text.isascii():
        return tuple(_ASCII_WORD.findall(text.lower()))
    return tuple(match_text(text).split())


def _content(words: Iterable[str]) -> list[str]:
    return [w for w in words if w not in STOP_WORDS]


@lru_cache(maxsize=1 << 18)
def _counted(words: tuple[str, ...]) -> tuple[str, ...]:
    """The distinct content words of ``words``, or all distinct words if none is content."""
    return tuple(dict.fromkeys([w for w in words if w not in STOP_WORDS] or words))


@lru_cache(maxsize=1 << 16)
def _token_info(token: str) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]:
    """A question token's match words, content match words and their stems."""
    words = match_words(token)
    content = tuple(_content(words))
    return words, content, frozenset(stem(w) for w in content)


# --------------------------------------------------------------------------- tokens

_TOKEN_RE = re.compile(
    r"""
      \d{4}-\d{1,2}-\d{1,2}(?![\w-])                      # ISO date
    | (?:(?<![\w.,])[-−])?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[^\W_]+)?  # number (+suffix)
    | ['’]s(?![^\W_])                                     # possessive 's
    | [^\W\d_][^\W_]*(?:['’](?!s(?![^\W_]))[^\W_]+)*        # word
    | \S                                                  # any other character
    """,
    re.VERBOSE,
)
_NUMBER_TOKEN = re.compile(r"([-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)([^\W_]*)")
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
      "(?P<a>[^"]+)"
    | “(?P<b>[^”"]+)[”"]
    | ``(?P<c>[^'`]+)''
    | (?<![\w'])''(?P<d>[^']+)''(?![\w'])
    | (?<![\w'])['‘](?P<e>[^'‘’]+?)['’](?![\w'])
    """,
    re.VERBOSE,
)


def _quoted_constants(text: str, offsets: list[tuple[int, int]]) -> list[Constant]:
    """String constants for text in double, single, smart or TeX-style quotes."""
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
    found.append(Constant("number", value, i, end, question.span_text(i, end), ordinal=ordinal))
    if end == i + 1 and _is_year_token(tokens[i]):
        found.append(Constant("date", Date(int(tokens[i]), None, None), i, end, question.span_text(i, end)))
    return end


# --------------------------------------------------------------------------- table index

_LINE_BYTES = bytes(
    b if (48 <= b <= 57 or 97 <= b <= 122 or b == 10) else b + 32 if 65 <= b <= 90 else 32 for b in range(256)
)  # ASCII letters lowered, digits and newlines kept, every other byte a space


def match_lines(texts: list[str]) -> bytes:
    """The match words of many texts at once, as one ASCII byte string.

    ``b"\\n" + line_0 + b"\\n" + line_1 + … + b"\\n"`` where ``line_i`` is
    ``b" w1 w2 "`` for the :func:`match_words` of ``texts[i]`` (``b" "`` when it
    has none), so that word and n-gram containment is substring search
    (``b" los angeles "``) and a whole text is ``b"\\n los angeles \\n"``.
    Built with C-speed string operations; only non-ASCII texts go through
    :func:`npqa.text.match_text` one by one.
    """
    if not texts:
        return b"\n"
    joined = "\n".join(texts)
    if not joined.isascii() or joined.count("\n") != max(len(texts) - 1, 0):
        joined = "\n".join(
            (t if t.isascii() else match_text(t)).replace("\n", " ") for t in texts
        )
    return normalise_lines(joined.encode("ascii"))


def normalise_lines(joined: bytes) -> bytes:
    """:func:`match_lines` of ASCII texts already joined by newlines (none inside a text)."""
    data = b"\n " + joined.translate(_LINE_BYTES).replace(b"\n", b" \n ") + b" \n"
    while b"  " in data:  # collapse runs of spaces (each pass halves them)
        data = data.replace(b"  ", b" ")
    return data


def _stop_key(word: bytes) -> int:
    return int.from_bytes(word.ljust(8, b"\0"), "little")


_MAX_STOP_LEN = max(len(w) for w in STOP_WORDS)
assert _MAX_STOP_LEN <= 7  # stop words are recognised by their bytes packed into a uint64
_STOP_KEYS = np.array(sorted(_stop_key(w.encode()) for w in STOP_WORDS), dtype=np.uint64)
_LOW_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(8)], dtype=np.uint64)  # (8,) masks of n low bytes


class ColumnWords:
    """One column's distinct texts as match words (one *line* per distinct text).

    ``blob`` is :func:`match_lines` of the distinct texts and ``codes`` (R,)
    gives each row's line. The column's texts are never read word by word up
    front: a question's words and n-grams are found by substring search, and
    only the lines they hit are split in Python.
    """

    def __init__(
        self, distinct: Sequence[str], codes: np.ndarray, blob: bytes | None = None, letters: bool | None = None
    ) -> None:
        self.distinct = distinct  # (U,) display text of each line (repeats possible)
        self.codes = codes  # (R,) int line of each row
        self.blob = match_lines(list(distinct)) if blob is None else blob  # given: match_lines(distinct)
        if letters is not None:  # given: whether some line has a letter
            self.__dict__["_letters"] = letters
        self.newlines = np.flatnonzero(np.frombuffer(self.blob, dtype=np.uint8) == 10)  # (U+1,)
        self._lines_of: dict[bytes, np.ndarray] = {}
        self._all_stop: np.ndarray | None = None
        self._stop_lines: np.ndarray | None = None
        self._counted: dict[int, tuple[str, ...]] = {}

    @property
    def n_lines(self) -> int:
        return len(self.newlines) - 1

    @functools.cached_property
    def _letters(self) -> bool:
        """Some line has a word with a letter (a column of numbers has none)."""
        return bool(self.blob.translate(None, b"0123456789 \n"))

    def has(self, words: tuple[str, ...]) -> bool:
        """``words`` is a run of some line's words."""
        if not self._letters and not all(w.isdigit() for w in words):
            return False
        return f" {' '.join(words)} ".encode() in self.blob

    def has_exact(self, words: tuple[str, ...]) -> bool:
        """Some line's words are exactly ``words``."""
        return f"\n {' '.join(words)} \n".encode() in self.blob

    def lines_with(self, words: tuple[str, ...], exact: bool = False) -> np.ndarray:
        """(H,) int64 sorted lines holding ``words`` as a run (``exact``: as all their words)."""
        key = (b"\n " if exact else b" ") + " ".join(words).encode()
        hit = self._lines_of.get(key)
        if hit is None:
            if key + (b" \n" if exact else b" ") not in self.blob:
                hit = np.zeros(0, dtype=np.int64)
            else:
                ahead = rb"(?= \n)" if exact else rb"(?= )"
                pattern = re.compile(re.escape(key) + ahead)
                starts = np.fromiter((m.start() for m in pattern.finditer(self.blob)), dtype=np.int64)
                hit = np.searchsorted(self.newlines, starts, side="right") - 1  # (H,) sorted
                hit = hit[np.r_[True, hit[1:] != hit[:-1]]] if len(hit) else hit
            self._lines_of[key] = hit
        return hit

    def line_words(self, line: int) -> list[str]:
        return self.blob[self.newlines[line] + 1 : self.newlines[line + 1]].decode("ascii").split()

    def counted(self, line: int) -> tuple[str, ...]:
        """The line's counted words (:func:`_counted`)."""
        words = self._counted.get(line)
        if words is None:
            words = self._counted[line] = _counted(tuple(self.line_words(line)))
        return words

    def stop_lines_with(self, word: str) -> np.ndarray:
        """(H,) int64 sorted lines made of stop words alone that hold the stop word ``word``."""
        if self._stop_lines is None:
            self._stop_lines = np.flatnonzero(self.all_stop)
        if len(self._stop_lines) > 4096:
            lines = self.lines_with((word,))
            return lines[self.all_stop[lines]]
        return np.array([t for t in self._stop_lines if word in self.counted(int(t))], dtype=np.int64)

    @property
    def all_stop(self) -> np.ndarray:
        """bool (U,): the line has words, all of them stop words (numpy over every word).

        A line of more than :data:`STOP_LINE_MAX_BYTES` is never counted as stop
        words alone (no WTQ cell is; long free text would otherwise cost a pass
        over every word of a big column). Mostly-long columns are read only in
        their short lines.
        """
        if self._all_stop is None:
            length = np.diff(self.newlines) - 1  # (U,) bytes of each line's " w1 w2 "
            short = length <= STOP_LINE_MAX_BYTES  # (U,)
            if short.all():
                self._all_stop = _all_stop_lines(self.blob, self.newlines)
            elif short.sum() * 2 < len(short):
                keep = np.flatnonzero(short)
                starts, ends = self.newlines[keep] + 1, self.newlines[keep + 1]
                blob = b"\n" + b"\n".join(self.blob[a:b] for a, b in zip(starts.tolist(), ends.tolist())) + b"\n"
                out = np.zeros(len(short), dtype=bool)
                if len(keep):
                    newlines = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == 10)
                    out[keep] = _all_stop_lines(blob, newlines)
                self._all_stop = out
            else:
                self._all_stop = _all_stop_lines(self.blob, self.newlines) & short
        return self._all_stop


STOP_LINE_MAX_BYTES = 64
"""Longest line (match words with their spaces) that can count as stop words alone."""


def _all_stop_lines(blob: bytes, newlines: np.ndarray) -> np.ndarray:
    """bool (U,): which lines of ``blob`` (:func:`match_lines`) have words, all of them stop words."""
    data = np.frombuffer(blob, dtype=np.uint8)  # (N,)
    gap = (data == 32) | (data == 10)  # (N,)
    starts = np.flatnonzero(gap[:-1] & ~gap[1:]) + 1  # (W,)
    ends = np.flatnonzero(~gap[:-1] & gap[1:]) + 1  # (W,)
    del gap
    length = ends - starts  # (W,)
    del ends
    short = np.flatnonzero(length <= _MAX_STOP_LEN)  # (W',)
    padded = np.frombuffer(blob + bytes(8), dtype=np.uint8)
    windows = np.ndarray((len(data),), dtype="<u8", buffer=padded, strides=(1,))  # (N,) 8 bytes from each offset
    keys = windows[starts[short]] & _LOW_BYTES[length[short]]  # (W',)
    at = np.minimum(np.searchsorted(_STOP_KEYS, keys), len(_STOP_KEYS) - 1)  # (W',)
    is_stop = np.zeros(len(starts), dtype=bool)  # (W,)
    is_stop[short] = _STOP_KEYS[at] == keys
    bounds = np.searchsorted(starts, newlines)  # (U+1,) first word at or after each newline
    content = np.concatenate([[0], np.cumsum(~is_stop)])[bounds]  # (U+1,) content words before each newline
    return (np.diff(bounds) > 0) & (np.diff(content) == 0)  # (U,)


class TableIndex:
    """What linking needs from a table, built lazily and kept with the table.

    Work is per *distinct text* of a column, never per cell, and per question
    word rather than per cell word: each column's distinct texts become one
    byte string of match words (:class:`ColumnWords`) in which a question's
    words and n-grams are searched. A text's *counted* words are its distinct
    content words (all its words if it has only stop words); cell_match is the
    share of them found in the question.
    """

    def __init__(self, table: Table) -> None:
        self.n_rows = table.n_rows
        self.n_cols = len(table.columns)
        self.name_stems = [_name_stems(c.name) for c in table.columns]  # (C,)
        self._columns = list(table.columns)  # not the Table: the cache must not keep it alive
        self._words: list[ColumnWords | None] = [None] * self.n_cols
        self._dates: list[list[Date] | None] = [None] * self.n_cols
        self._date_keys: list[dict] = [{} for _ in range(self.n_cols)]
        self._word_masks: dict[tuple[str, ...], int] = {}

    def words(self, j: int) -> ColumnWords:
        cw = self._words[j]
        if cw is None:
            col = self._columns[j]
            distinct, codes, blob = col.lines() if hasattr(col, "lines") else (*column_codes(col), None)
            cw = self._words[j] = ColumnWords(distinct, codes, blob, getattr(col, "has_letters", None))
        return cw

    def run_columns(self, words: tuple[str, ...]) -> int:
        """Bitmask of the columns where ``words`` is a contiguous run of some cell's words
        (the word-match op's test)."""
        mask = self._word_masks.get(words)
        if mask is None:
            if len(words) == 1:
                mask = sum(1 << j for j in range(self.n_cols) if self.words(j).has(words))
            else:
                mask = -1
                for w in words:
                    mask &= self.run_columns((w,))
                mask = sum(1 << j for j in range(self.n_cols) if mask >> j & 1 and self.words(j).has(words))
            self._word_masks[words] = mask
        return mask

    def has_exact(self, words: tuple[str, ...]) -> bool:
        """Some cell's words are exactly ``words``."""
        return any(self.words(j).has_exact(words) for j in range(self.n_cols))

    def has_number(self, j: int, value: float) -> bool:
        """Some cell of column j holds ``value`` (within 1e-6) as its number."""
        return self._columns[j].has_number(value)

    def date_keys(self, j: int, mask: tuple[bool, bool, bool]) -> set[tuple[int, ...]]:
        """The known parts (``mask``: year, month, day) of column j's dates that have them."""
        keys = self._date_keys[j].get(mask)
        if keys is None:
            dates = self._dates[j]
            if dates is None:
                col = self._columns[j]
                values = col.date_values()
                dates = self._dates[j] = list(values if values is not None else set(_distinct_dates(col)) - {None})
            keys = self._date_keys[j][mask] = _date_keys(dates, mask)
        return keys


def column_codes(column: Column) -> tuple[list[str], np.ndarray]:
    """(distinct texts (U,), codes (R,)) of a column: ``texts[r] == distinct[codes[r]]``.

    Uses the column's own ``distinct``/``codes`` when it has them (repeats in
    ``distinct`` are allowed), else factorises ``texts`` in order of first appearance.
    """
    if column.distinct is not None and column.codes is not None and len(column.codes) == len(column.texts):
        return list(column.distinct), np.asarray(column.codes)
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(column.texts, dtype=object))  # (R,), (U,)
    return list(uniques), codes


def _distinct_dates(column: Column) -> list[Date | None]:
    """The column's dates, one per distinct text when the column was read by
    :func:`npqa.table.make_column` (where a date is a function of the text)."""
    if column.distinct is None or column.codes is None or len(column.codes) != len(column.dates):
        return column.dates
    first = first_rows(np.asarray(column.codes), len(column.distinct)).tolist()
    return list(operator.itemgetter(*first)(column.dates)) if len(first) > 1 else [column.dates[i] for i in first]


def first_rows(codes: np.ndarray, n: int) -> np.ndarray:
    """intp (n,): the first row holding each code 0..n-1 (0 for a code no row holds).

    O(R) when codes are numbered by first appearance (as ``pandas.factorize``
    numbers them), else by sorting."""
    first = np.zeros(n, dtype=np.intp)
    if not len(codes):
        return first
    before = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))  # (R,) largest code in earlier rows
    new = np.flatnonzero(codes > before)  # (U',) rows where a new largest code appears
    if len(new) == n and np.array_equal(codes[new], np.arange(n)):
        return new.astype(np.intp)
    seen, where = np.unique(codes, return_index=True)
    first[seen] = where
    return first


def index_table(table: Table) -> TableIndex:
    """The :class:`TableIndex` of ``table`` (each column is read on first use)."""
    return TableIndex(table)


def _name_stems(name: str) -> frozenset[str]:
    words = match_words(name)
    return frozenset(stem(w) for w in (_content(words) or words))


def _date_keys(dates: list[Date], mask: tuple[bool, bool, bool]) -> set[tuple[int, ...]]:
    """The ``mask``-ed parts of every date that has all of them (what a date constant
    with those known parts is compared with)."""
    keys = set()
    for date in dates:
        parts = tuple(p for p, m in zip((date.year, date.month, date.day), mask) if m)
        if None not in parts:
            keys.add(parts)
    return keys  # type: ignore[return-value]



_INDEX_CACHE: dict[int, tuple[weakref.ref[Table], TableIndex]] = {}


def cached_index(table: Table) -> TableIndex:
    """The index of ``table``, built on first use and kept while the table lives.

    Keyed by object identity (a weak reference, so the cache never keeps a
    table alive); a table changed after linking needs :func:`index_table`.
    """
    key = id(table)
    hit = _INDEX_CACHE.get(key)
    if hit is not None and hit[0]() is table:
        return hit[1]
    index = index_table(table)
    _INDEX_CACHE[key] = (weakref.ref(table, lambda _ref, key=key: _forget(key, _ref)), index)
    return index


def _forget(key: int, ref: weakref.ref[Table]) -> None:
    hit = _INDEX_CACHE.get(key)
    if hit is not None and hit[0] is ref:
        del _INDEX_CACHE[key]


def clear_caches() -> None:
    """Forget every cached table index and word reading (benchmarks start cold)."""
    _INDEX_CACHE.clear()
    for cached in (match_words, stem, _counted, _token_info):
        cached.cache_clear()


# --------------------------------------------------------------------------- link


@dataclass
class _QuestionWords:
    """The question's match words, each tied to the question token it came from."""

    words: list[str]  # match words in order
    token_of: list[int]  # (len(words),) question token of each word
    first: list[bool]  # (len(words),) word is the first of its token
    last: list[bool]  # (len(words),) word is the last of its token
    token_content: list[tuple[str, ...]]  # (Q,) content match words of each token
    token_stems: list[frozenset[str]]  # (Q,) their stems


def _question_words(question: Question) -> _QuestionWords:
    qw = _QuestionWords([], [], [], [], [], [])
    for i, token in enumerate(question.tokens):
        words, content, stems = _token_info(token)
        for k, w in enumerate(words):
            qw.words.append(w)
            qw.token_of.append(i)
            qw.first.append(k == 0)
            qw.last.append(k == len(words) - 1)
        qw.token_content.append(content)
        qw.token_stems.append(stems)
    return qw


_NGram = tuple[tuple[str, ...], int, int, int]  # (match words, token start, token end, column bitmask)


def _matching_ngrams(qw: _QuestionWords, index: TableIndex) -> list[_NGram]:
    """Every n-gram covering whole tokens whose words are a run of some cell's words."""
    n, found = len(qw.words), []
    for a in range(n):
        if not qw.first[a]:
            continue
        for b in range(a, min(a + MAX_NGRAM, n)):
            if not qw.last[b]:
                continue
            words = tuple(qw.words[a : b + 1])
            columns = index.run_columns(words)
            if not columns:
                break  # a longer n-gram from ``a`` cannot be a run either
            found.append((words, qw.token_of[a], qw.token_of[b] + 1, columns))
    return found


@dataclass
class _Candidate:
    start: int
    end: int
    match: str  # "exact" | "contained" | "partial"
    columns: int  # bitmask
    n_content: int

    def rank(self) -> tuple[int, int, int]:
        return (-self.n_content, -_MATCH_RANK[self.match], self.start)


_MATCH_RANK = {"exact": 2, "contained": 1, "partial": 0}


def link_question(
    question: Question,
    table: Table,
    *,
    index: TableIndex | None = None,
    max_strings: int = MAX_STRING_CONSTANTS,
) -> LinkedQuestion:
    """Read ``question`` against ``table``: add string constants and match features.

    ``index`` defaults to a cached :func:`index_table` of ``table``. At most
    ``max_strings`` linked string constants are kept, longest (in content
    words) first, then exact before contained before partial matches, never
    one inside another; quoted strings are always kept.
    """
    index = index if index is not None else cached_index(table)
    qw = _question_words(question)
    ngrams = _matching_ngrams(qw, index)
    hits = _text_word_counts(index, qw.words)
    cell_match = _cell_match(index, ngrams, hits)  # (R, C)
    quoted = [c for c in question.constants if c.kind == "string"]
    candidates = _string_candidates(index, qw, ngrams, hits, quoted)
    strings = _select_strings(question, candidates, max_strings)
    constants = question.constants + [s for s, _ in strings]
    string_columns = {id(s): cols for s, cols in strings}
    name_exact, name_partial = _name_match(index, {stem(w) for w in qw.words})
    return LinkedQuestion(
        question=question,
        constants=constants,
        column_name_match=name_exact,
        column_name_partial=name_partial,
        cell_match=cell_match,
        column_cell_match=cell_match.max(axis=0) if index.n_rows else np.zeros(index.n_cols, np.float32),
        token_column_match=_token_column_match(qw, index),
        token_cell_match=_token_cell_match(qw, index),
        constant_column_match=_constant_column_match(constants, index, string_columns),
        constant_context_column=_context_columns(qw, constants, index),
    )


@dataclass
class _Hits:
    """Per column, the lines (distinct texts) with some counted word in the question."""

    lines: list[np.ndarray]  # (C,) each (H_j,) int64 sorted lines
    counts: list[np.ndarray]  # (C,) each (H_j,) int64 the line's counted words found in the question
    sizes: list[np.ndarray]  # (C,) each (H_j,) int64 the line's counted words


def _text_word_counts(index: TableIndex, words: list[str]) -> _Hits:
    """Per column, how many of each line's counted words occur in the question.

    A content word counts in every line holding it; a stop word only in lines
    made of stop words alone (where it is counted)."""
    hits = _Hits([], [], [])
    distinct_words = list(dict.fromkeys(words))
    for j in range(index.n_cols):
        cw = index.words(j)
        found = []
        for w in distinct_words:
            if not index.run_columns((w,)) >> j & 1:
                continue
            if w in STOP_WORDS:
                found.append(cw.stop_lines_with(w))
            else:
                found.append(cw.lines_with((w,)))
        lines, counts = np.unique(np.concatenate(found) if found else np.zeros(0, np.int64), return_counts=True)
        hits.lines.append(lines.astype(np.int64))
        hits.counts.append(counts.astype(np.int64))
        hits.sizes.append(np.array([len(cw.counted(int(t))) for t in lines], dtype=np.int64))
    return hits


def _cell_match(index: TableIndex, ngrams: list[_NGram], hits: _Hits) -> np.ndarray:
    out = np.zeros((index.n_rows, index.n_cols), dtype=np.float32)  # (R, C)
    for j in range(index.n_cols):
        cw = index.words(j)
        share = np.zeros(cw.n_lines, dtype=np.float32)  # (U,)
        share[hits.lines[j]] = hits.counts[j] / np.maximum(hits.sizes[j], 1)
        for words, _, _, columns in ngrams:
            if columns >> j & 1:
                share[cw.lines_with(words, exact=True)] = 1.0
        if share.any():
            out[:, j] = share[cw.codes]
    return out


def _string_candidates(
    index: TableIndex,
    qw: _QuestionWords,
    ngrams: list[_NGram],
    hits: _Hits,
    quoted: list[Constant],
) -> list[_Candidate]:
    """Question spans that match cells, one candidate per span (its best match)."""
    best: dict[tuple[int, int], _Candidate] = {}

    def offer(cand: _Candidate) -> None:
        if any(q.start <= cand.start and cand.end <= q.end for q in quoted):
            return
        old = best.get((cand.start, cand.end))
        if old is None or _MATCH_RANK[cand.match] > _MATCH_RANK[old.match]:
            best[(cand.start, cand.end)] = cand
        elif _MATCH_RANK[cand.match] == _MATCH_RANK[old.match]:
            old.columns |= cand.columns

    for words, start, end, columns in ngrams:
        content = _content(words)
        if not content or all(w.isdigit() for w in words):
            continue
        if index.has_exact(words):
            offer(_Candidate(start, end, "exact", columns, len(content)))
        elif words[0] not in STOP_WORDS and words[-1] not in STOP_WORDS:
            offer(_Candidate(start, end, "partial", columns, len(content)))
    for cand in _contained_candidates(index, qw, hits):
        offer(cand)
    return sorted(best.values(), key=_Candidate.rank)


MAX_CONTAINED = 64  # texts tried as "contained" candidates, in column then first-appearance order


def _contained_candidates(index: TableIndex, qw: _QuestionWords, hits: _Hits) -> list[_Candidate]:
    """Texts of two or more content words all found in the question, close together
    (within two extra tokens): the span from their first to their last word."""
    position: dict[str, int] = {}
    for k, w in enumerate(qw.words):
        position.setdefault(w, k)
    found: list[_Candidate] = []
    tried = 0
    for j in range(index.n_cols):
        full = hits.lines[j][(hits.counts[j] == hits.sizes[j]) & (hits.sizes[j] >= 2)]  # (T',)
        if not len(full):
            continue
        cw = index.words(j)
        seen: set[str] = set()
        for t in full:
            text = cw.distinct[t]
            if text in seen:  # the same text again (two raw spellings of one display text)
                continue
            seen.add(text)
            if tried >= MAX_CONTAINED:
                return found
            tried += 1
            words = cw.counted(int(t))
            if any(w in STOP_WORDS for w in words):
                continue
            where = [position[w] for w in words]
            start, end = qw.token_of[min(where)], qw.token_of[max(where)] + 1
            if end - start <= len(words) + 2:
                found.append(_Candidate(start, end, "contained", 1 << j, len(words)))
    return found


def _select_strings(question: Question, candidates: list[_Candidate], limit: int) -> list[tuple[Constant, int]]:
    """The best ``limit`` candidates, skipping spans inside an already chosen span."""
    chosen: list[tuple[Constant, int]] = []
    for cand in candidates:
        if len(chosen) >= limit:
            break
        if any(c.start <= cand.start and cand.end <= c.end for c, _ in chosen):
            continue
        text = question.span_text(cand.start, cand.end)
        chosen.append((Constant("string", text, cand.start, cand.end, text, match=cand.match), cand.columns))
    return chosen


def _name_match(index: TableIndex, q_stems: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """(C,), (C,): share of each column name's stems found among the question's
    stems, and the same share when a shared 4-letter prefix also counts."""
    prefixes = {s[:4] for s in q_stems if len(s) >= 4}
    exact = np.zeros(index.n_cols, dtype=np.float32)  # (C,)
    partial = np.zeros(index.n_cols, dtype=np.float32)  # (C,)
    for j, names in enumerate(index.name_stems):
        if names:
            exact[j] = len(names & q_stems) / len(names)
            partial[j] = sum(1 for s in names if s in q_stems or s[:4] in prefixes and len(s) >= 4) / len(names)
    return exact, partial


def _token_column_match(qw: _QuestionWords, index: TableIndex) -> np.ndarray:
    masks = [
        sum(1 << j for j, names in enumerate(index.name_stems) if stems & names) if stems else 0
        for stems in qw.token_stems
    ]
    return _bit_rows(masks, index.n_cols)  # (Q, C)


def _token_cell_match(qw: _QuestionWords, index: TableIndex) -> np.ndarray:
    masks = []
    for words in qw.token_content:
        mask = 0
        for w in words:
            mask |= index.run_columns((w,))
        masks.append(mask)
    return _bit_rows(masks, index.n_cols)  # (Q, C)


def _bit_rows(masks: list[int], n: int) -> np.ndarray:
    """(len(masks), n) float32 0/1: bit j of mask i at [i, j]."""
    if n <= 63:
        shifts = np.arange(n, dtype=np.int64)
        return ((np.asarray(masks, dtype=np.int64)[:, None] >> shifts) & 1).astype(np.float32).reshape(len(masks), n)
    return np.array([[(m >> j) & 1 for j in range(n)] for m in masks], dtype=np.float32).reshape(len(masks), n)


def _bits(mask: int, n: int) -> np.ndarray:
    """(n,) float32 0/1 of the low ``n`` bits of ``mask``."""
    return _bit_rows([mask], n)[0]


def _constant_column_match(constants: list[Constant], index: TableIndex, string_columns: dict[int, int]) -> np.ndarray:
    """(K, C) constant k matches some cell of column j: an equal number, a date equal
    in its known parts, or (strings) a run of the cell's words; a linked string
    brings its columns from linking (``string_columns``, keyed by ``id``)."""
    out = np.zeros((len(constants), index.n_cols), dtype=np.float32)  # (K, C)
    for k, c in enumerate(constants):
        if c.kind == "number":
            out[k] = _number_columns(index, float(c.value))  # type: ignore[arg-type]
        elif c.kind == "date":
            out[k] = _date_columns(index, c.value)  # type: ignore[arg-type]
        else:
            mask = string_columns.get(id(c))
            out[k] = _bits(mask if mask is not None else _text_columns(index, str(c.value)), index.n_cols)
    return out


def _number_columns(index: TableIndex, value: float) -> np.ndarray:
    if not math.isfinite(value) or index.n_rows == 0:
        return np.zeros(index.n_cols, dtype=np.float32)
    return np.array([index.has_number(j, value) for j in range(index.n_cols)], dtype=np.float32)


def _date_columns(index: TableIndex, date: Date) -> np.ndarray:
    """(C,) the column has a cell date equal to ``date`` in its known parts; a year
    alone also matches a cell number equal to the year."""
    parts = (date.year, date.month, date.day)
    mask = (date.year is not None, date.month is not None, date.day is not None)
    if not any(mask):
        return np.zeros(index.n_cols, dtype=np.float32)
    known = tuple(p for p in parts if p is not None)
    out = np.array([known in index.date_keys(j, mask) for j in range(index.n_cols)], dtype=np.float32)  # (C,)
    if mask == (True, False, False):
        out = np.maximum(out, _number_columns(index, float(date.year)))  # type: ignore[arg-type]
    return out


def _text_columns(index: TableIndex, text: str) -> int:
    """Bitmask of the columns where ``text``'s words are a run of some cell's words."""
    words = match_words(text)
    return index.run_columns(words) if words else 0


def _context_columns(qw: _QuestionWords, constants: list[Constant], index: TableIndex) -> np.ndarray:
    """(K, C) for each number/date constant, the share of column j's name stems
    among the content words of the CONTEXT_WINDOW tokens before it."""
    out = np.zeros((len(constants), index.n_cols), dtype=np.float32)  # (K, C)
    for k, c in enumerate(constants):
        if c.kind == "string":
            continue
        window = frozenset().union(*qw.token_stems[max(0, c.start - CONTEXT_WINDOW) : c.start])
        if not window:
            continue
        for j, names in enumerate(index.name_stems):
            if names:
                out[k, j] = len(names & window) / len(names)
    return out
