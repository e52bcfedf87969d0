"""Big CSV files read by pyarrow into columns whose per-row Python values are built on first use.

pyarrow reads a file with several threads and keeps each column as one UTF-8
buffer, so a million-row table costs a fraction of a second to read and
nothing more until a value is asked for. :class:`ArrowColumn` gives exactly
what :func:`npqa.table.read.make_column` gives for the same cells (the tests
compare every field on generated files), but

* ``kind`` is decided at once from vectorised tests over all rows (plain
  decimals, rows with no digit, short rows with a month word) and parses only
  the rows those tests leave open, and only when the bounds they give cannot
  decide the kind;
* ``texts``, ``numbers``, ``numbers2``, ``dates``, ``distinct`` and ``codes``
  are computed when first read (the executor reads them for the columns a
  program uses);
* :meth:`ArrowColumn.has_number` and :meth:`ArrowColumn.date_values` answer
  what question linking asks of every column without parsing every row.

Used by :func:`npqa.table.read.load_table` for files of at least
:data:`ARROW_MIN_BYTES` in the RFC 4180 dialect with two or more columns;
whatever pyarrow refuses (ragged rows, an open quote) is read by the pandas
path as before. pyarrow was added for this: a multi-threaded C++ CSV reader
plus vectorised string kernels (RE2 regexes, dictionary encoding), which no
hand-written Python comes near on a 160 MB file.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from npqa.table.column import KIND_THRESHOLD, Column, is_duration_column
from npqa.table.conventions import CANDIDATE, COMMA, EITHER, POINT, Decision, decide_votes, tally
from npqa.table.text import ascii_lower, collapse_whitespace, match_blob
from npqa.table.values import (
    DATE_FULL,
    DATE_NONE,
    DATE_YEAR,
    DEFAULT_CONVENTIONS,
    MAX_DATE_CHARS,
    YEAR_MAX,
    YEAR_MIN,
    Conventions,
    Date,
    ParsedCells,
    parse_cells,
)

if TYPE_CHECKING:
    import pyarrow as pa

ARROW_MIN_BYTES = 8 << 20
"""Files at least this big are read with pyarrow (below it pandas is as quick)."""

DISTINCT_SHARE = 0.5
"""A column whose first 10,000 cells are at most this share distinct is classified
per distinct text (dictionary encoding first), others row by row."""

ROW_LINES_SHARE = 0.9
"""Columns whose first 10,000 cells are more than this share distinct are linked
one line per row (see :meth:`ArrowColumn.lines`)."""

_PLAIN = r"^-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$"  # values._PLAIN_NUMBER, as RE2
_UNCLEAN = (
    r"[\x00-\x1f\x7f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]|  |^ | $"
)
"""Cells :func:`npqa.table.text.collapse_whitespace` may change: every character ``str.split``
splits on but the space (tests check the list against ``str.isspace``), two spaces, a
space at either end. Only these cells are collapsed in Python."""
_MONTH_START = r"(?i)(?:^| )(?:jan|feb|mar|apr|may|jun|jul|aug|[sſ]ep|oct|nov|dec)"  # values._MONTH_WORD on collapsed text
_MAYBE_DIGIT = r"[0-9]|[^\x00-\x{24f}]"
"""Texts that may hold a digit for Python's ``\\d`` (any Unicode decimal digit): an ASCII
digit, or a character beyond Latin Extended-B (no other decimal digit lies below
U+0250), so accented Latin text is never sent to :func:`npqa.table.values.read_cell` for one."""
_GROUP_SPACES = (" ", "\u00a0", "\u202f", "\u2009")
_DURATION_HINT = r"[0-9]\s*[:hHmM]"  # values._DURATION_HINT: every duration text matches it


def available() -> bool:
    """pyarrow can be imported here."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.compute  # noqa: F401
        import pyarrow.csv  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return False
    return True


def read_columns(data: bytes, sep: str, header: bool) -> list[tuple[str, "pa.StringArray"]] | None:
    """The raw columns of RFC 4180 CSV bytes: (raw header text, cells below it).

    ``None`` when pyarrow refuses the text (ragged rows, an open quote, fewer
    than two columns): the caller reads it the usual way. Empty lines are
    skipped, as pandas skips them.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        tbl = pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 22),
            # quoted line breaks allowed: on the 1,000,000-row table this costs about 0.1 s,
            # less than finding out whether the file has any
            parse_options=pcsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(data[: 1 << 20].count(sep.encode()) + 1)},
                check_utf8=True,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):  # whatever pyarrow refuses, the usual path reads
        return None
    if tbl.num_columns < 2 or tbl.num_rows < 2:
        return None
    if any(not pa.types.is_string(t) for t in tbl.schema.types):  # a column typed by inference: cells rewritten
        return None
    out = []
    for j in range(tbl.num_columns):
        col = tbl.column(j).combine_chunks()
        if col.null_count:  # never with strings_can_be_null=False; a guard
            return None
        name = col[0].as_py() if header else ""
        out.append((name, col.slice(1) if header else col))
    return out


def may_hold_pattern(value: float, groups: Sequence[str] = _GROUP_SPACES) -> str:
    """A regular expression found in every text that could read as a number within
    1e-6 of ``value``: its integer part's digits, plain or grouped by commas or
    ``groups``, a scale word, or a character beyond ASCII (see
    :meth:`ArrowColumn._may_hold`)."""
    if abs(value) < 1.5:
        core = "[01.]"
    else:
        forms: set[str] = set()
        for whole in {math.floor(abs(value) - 1e-6), math.floor(abs(value) + 1e-6)}:
            forms |= {str(whole), f"{whole:,}"} | {f"{whole:,}".replace(",", g) for g in groups}
        core = "|".join(sorted(f.replace(".", "\\.") for f in forms))
    return core + "|(?i:thousand|million|billion|trillion)|[^\\x00-\\x7f]"

class ArrowColumn(Column):
    """A :class:`npqa.table.column.Column` over a pyarrow string array, computed lazily.

    Every cell member reads as :func:`npqa.table.read.make_column` would give it;
    only ``kind`` is computed up front.
    """

    def __init__(  # noqa: D107 - no dataclass __init__
        self, name: str, raw: "pa.StringArray", decimal: str | None = None, notes: tuple[str, ...] = ()
    ) -> None:
        self.name = name
        self._n = len(raw)
        head = raw.slice(0, 10_000)
        if len(head) and len(head.unique()) <= DISTINCT_SHARE * len(head):
            # many repeats: classify the distinct texts and spread the result to the rows
            encoded = raw.dictionary_encode()
            distinct = _collapsed(encoded.dictionary)
            if distinct is encoded.dictionary:
                self.arr = raw
                self.__dict__["_encoded"] = encoded  # the cached_property, already known
            else:
                self.arr = distinct.take(encoded.indices)
            unit, spread = distinct, encoded.indices.to_numpy()  # (U,) texts, (R,) their index
        else:
            self.arr = _collapsed(raw)  # pa.StringArray (R,): display texts
            unit, spread = self.arr, None
        self._units = (unit, spread) if spread is not None else None  # texts are read per distinct text
        empty, plain, complex_, number, year = _classify(unit)  # each (U,)
        self.decision = _decide(unit, plain, name, decimal)
        self.conventions = self.decision.conventions
        self.notes = notes or self.decision.notes
        if self.conventions.decimal == ",":  # no text is a plain decimal: all are read by read_cell
            empty, plain, complex_, number, year = _classify(unit, point=False)
        if spread is not None:
            empty, plain, complex_, number, year = (a[spread] for a in (empty, plain, complex_, number, year))
        self._empty, self._plain, self._complex = empty, plain, complex_  # bool (R,): complex rows need read_cell
        self._plain_numbers = number[plain]  # float64 (P,): the plain-decimal rows' numbers, in row order
        self._plain_is_year = year[plain]  # bool (P,): … that are four-digit years (dates too)
        self._parsed: tuple[np.ndarray, ...] | None = None
        self._seen_dates: set[Date] = set()  # dates of every text read so far
        self._number_hits: dict[float, bool] = {}
        self.kind = self._decide_kind()

    # -- what make_column gives --------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return self._n

    @functools.cached_property
    def texts(self) -> list[str]:
        return self.arr.to_pylist()

    @property
    def numbers(self) -> np.ndarray:
        numbers = self._values()[0]
        if self._is_duration:
            durations = self._values()[4]
            return np.where(np.isnan(durations), numbers, durations)
        return numbers

    @property
    def durations(self) -> np.ndarray:
        return self._values()[4]

    @property
    def duration_numbers(self) -> bool:  # type: ignore[override]
        return self._is_duration

    @functools.cached_property
    def _is_duration(self) -> bool:
        """:func:`npqa.table.column.is_duration_column`, parsing only when enough rows look like one."""
        import pyarrow.compute as pc

        total = int((~self._empty).sum())
        if self.kind != "number" or not is_duration_column(int(self._complex.sum()), total):
            return False  # durations are numbers, and no plain decimal is one
        hint = pc.match_substring_regex(self.arr, _DURATION_HINT)
        if not is_duration_column(int(pc.sum(hint).as_py() or 0), total):
            return False
        durations = self._values()[4]
        return is_duration_column(int((~np.isnan(durations) & ~self._empty).sum()), total)

    @property
    def numbers2(self) -> np.ndarray:
        return self._values()[1]

    @functools.cached_property
    def dates(self) -> list[Date | None]:
        return self._values()[2].tolist()

    @property
    def distinct(self) -> np.ndarray:
        return self._factorized[0]

    @property
    def codes(self) -> np.ndarray:
        return self._factorized[1]

    @functools.cached_property
    def _encoded(self) -> "pa.DictionaryArray":
        return self.arr.dictionary_encode()

    @functools.cached_property
    def _factorized(self) -> tuple[np.ndarray, np.ndarray]:
        """(distinct (U,) object, codes (R,) intp), numbered by first appearance."""
        encoded = self._encoded
        distinct = np.empty(len(encoded.dictionary), dtype=object)
        distinct[:] = encoded.dictionary.to_pylist()
        return distinct, encoded.indices.to_numpy().astype(np.intp)

    # -- cheap answers for linking --------------------------------------------------------
    @property
    def has_letters(self) -> bool | None:
        """False when every cell is empty or a plain decimal (no match word has a letter);
        None when unknown."""
        return False if bool(np.all(self._plain | self._empty)) else None

    def lines(self) -> tuple["Sequence[str]", np.ndarray, bytes]:
        """(texts (U,), codes (R,), their :func:`npqa.table.text.match_lines`) for question
        linking, ``texts[codes[r]]`` being row r's text.

        Columns of nearly all distinct texts give one line per row (dictionary
        encoding a million distinct texts costs more than it saves); others
        their distinct texts. Either way the match lines are built from the
        UTF-8 buffer (:func:`match_blob`)."""
        if "_encoded" not in self.__dict__:
            head = self.arr.slice(0, 10_000)
            if len(head) and len(head.unique()) > ROW_LINES_SHARE * len(head):
                return _Cells(self.arr), np.arange(self._n), match_blob(self.arr)
        return _Cells(self._encoded.dictionary), self.codes, match_blob(self._encoded.dictionary)

    @functools.cached_property
    def nonempty(self) -> np.ndarray:
        """bool (R,): the cell has some text."""
        return ~self._empty

    def has_number(self, value: float) -> bool:
        """Some cell's (first) number is within 1e-6 of ``value`` (what linking asks of a column).

        Plain decimals are compared at once; of the other rows only those that
        could hold that number are read (:meth:`_may_hold`).
        """
        hit = self._number_hits.get(value)
        if hit is None:
            hit = self._number_hits[value] = self._has_number(value)
        return hit

    def _has_number(self, value: float) -> bool:
        if self._is_duration:
            return bool(np.any(np.abs(self.numbers - value) < 1e-6))
        if np.any(np.abs(self._plain_numbers - value) < 1e-6):
            return True
        if not self._complex.any():
            return False
        if self._parsed is not None:
            numbers = self._values()[0]
            return bool(np.any(np.abs(numbers[self._complex] - value) < 1e-6))
        rows = np.flatnonzero(self._complex)
        rows = rows[self._may_hold(rows, value)]
        if not len(rows):
            return False
        numbers = self._read_rows(rows)[0]
        return bool(np.any(np.abs(numbers - value) < 1e-6))

    def _may_hold(self, rows: np.ndarray, value: float) -> np.ndarray:
        """bool (len(rows),): which ``rows`` could read as a number within 1e-6 of ``value``.

        Such a number's integer part is ``floor(|value| ± 1e-6)``, so its text holds
        that digit run, plain or grouped by commas or spaces; below 1.5 the text
        holds a 0, a 1 or a point (``.5``). A scale word (``4.5 million``) or a
        non-ASCII character (Unicode digits) could make any number, so those rows
        are read too."""
        import pyarrow as pa
        import pyarrow.compute as pc

        hit = pc.match_substring_regex(self.arr.take(pa.array(rows)), may_hold_pattern(value))
        return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)

    def date_values(self) -> set[Date]:
        """The distinct dates the column's cells hold (what date linking asks).

        Only plain four-digit years and short rows can be dates, so long free
        text is never read."""
        out = {Date(int(y), None, None) for y in np.unique(self._plain_numbers[self._plain_is_year])}
        if self._parsed is None:
            rows = np.flatnonzero(self._complex & self._short)
            if len(rows):
                self._read_rows(rows)
        return out | self._seen_dates

    @functools.cached_property
    def _short(self) -> np.ndarray:
        import pyarrow.compute as pc

        return np.asarray(pc.less_equal(pc.utf8_length(self.arr), MAX_DATE_CHARS).to_numpy(zero_copy_only=False))

    # -- what finding summary rows asks -------------------------------------------------
    def rows_with(self, text: str) -> np.ndarray:
        """bool (R,): the rows whose display text equals ``text`` ignoring ASCII case."""
        import pyarrow.compute as pc

        hit = pc.equal(pc.ascii_lower(self.arr), ascii_lower(text))
        return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)

    def text_at(self, rows: Sequence[int]) -> list[str]:
        """The display texts of ``rows``."""
        import pyarrow as pa

        return self.arr.take(pa.array(list(rows), type=pa.int64())).to_pylist()

    # -- parsing ---------------------------------------------------------------------------
    def _read_rows(self, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """(numbers, numbers2, dates, date_kinds, durations) of ``rows``, each distinct text read once."""
        import pyarrow as pa

        if self._units is not None:
            texts, spread = self._units
            entries, idx = np.unique(spread[rows], return_inverse=True)  # (E,) distinct texts of the rows
            parsed = parse_distinct(texts.take(pa.array(entries)), self.conventions)
        else:
            encoded = self.arr.take(pa.array(rows)).dictionary_encode()
            parsed = parse_distinct(encoded.dictionary, self.conventions)
            idx = encoded.indices.to_numpy()
        self._seen_dates.update(d for d in parsed.dates.tolist() if d is not None)
        durations = parsed.durations[idx]  # type: ignore[index]
        return parsed.numbers[idx], parsed.numbers2[idx], parsed.dates[idx], parsed.date_kinds[idx], durations

    def _values(self) -> tuple[np.ndarray, ...]:
        """(numbers, numbers2, dates (object), date_kinds, durations) of every row, read on first use."""
        if self._parsed is None:
            n = self._n
            numbers, numbers2 = np.full(n, np.nan), np.full(n, np.nan)  # (R,), (R,)
            dates = np.empty(n, dtype=object)  # (R,)
            kinds = np.zeros(n, dtype=np.int8)  # (R,)
            durations = np.full(n, np.nan)  # (R,)
            plain = np.flatnonzero(self._plain)
            if len(plain):
                values = self._plain_numbers
                numbers[plain] = values
                is_year = self._plain_is_year
                year_rows = plain[is_year]
                if len(year_rows):
                    years, inverse = np.unique(values[is_year], return_inverse=True)
                    shared = np.empty(len(years), dtype=object)
                    shared[:] = [Date(int(y), None, None) for y in years]
                    dates[year_rows] = shared[inverse]
                    kinds[year_rows] = DATE_YEAR
            rows = np.flatnonzero(self._complex)
            if len(rows):
                numbers[rows], numbers2[rows], dates[rows], kinds[rows], durations[rows] = self._read_rows(rows)
            self._parsed = (numbers, numbers2, dates, kinds, durations)
        return self._parsed

    def _decide_kind(self) -> str:
        """:func:`npqa.table.read._column_kind` of the column, reading rows only when
        the vectorised bounds leave the answer open."""
        nonempty = ~self._empty
        total = int(nonempty.sum())
        if total == 0:
            return "text"
        plain = self._plain
        n_plain = int(plain.sum())
        n_complex = int(self._complex.sum())
        n_year = int(self._plain_is_year.sum())

        def reaches(count: int) -> bool:  # the same float test as _column_kind
            return count / total >= KIND_THRESHOLD

        # only "complex" rows can be full dates; plain rows are numbers (some years), the rest neither
        if reaches(n_complex):
            return self._kind_from_values(total)
        if reaches(n_plain):
            return "number"
        if reaches(n_plain + n_complex):
            return self._kind_from_values(total)
        if reaches(n_year):
            return "date"
        if reaches(n_year + n_complex):
            return self._kind_from_values(total)
        return "text"

    def _kind_from_values(self, total: int) -> str:
        numbers, _, _, kinds, _ = self._values()
        nonempty = ~self._empty

        def share(mask: np.ndarray) -> float:
            return int((mask & nonempty).sum()) / total

        if share(kinds == DATE_FULL) >= KIND_THRESHOLD:
            return "date"
        if share(~np.isnan(numbers)) >= KIND_THRESHOLD:
            return "number"
        if share(kinds != DATE_NONE) >= KIND_THRESHOLD:
            return "date"
        return "text"


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")  # fmt: skip
_ISO_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_MONTH_DAY_YEAR = r"^(?P<month>" + "|".join(_MONTH_NAMES) + r") (?P<day>[0-9]{1,2}), (?P<year>[0-9]{4})$"
_DAYS_IN_MONTH = np.array([31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def parse_distinct(texts: "pa.StringArray", conventions: Conventions = DEFAULT_CONVENTIONS) -> ParsedCells:
    """:func:`npqa.table.values.parse_cells` of distinct collapsed texts, with the two commonest
    date shapes read by vectorised kernels: ``2004-05-03`` (number 2004, number2 5)
    and ``May 3, 2004`` (number 3, number2 2004), which read alike under any
    conventions and are no durations; the rest go to ``parse_cells``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    iso = np.asarray(pc.match_substring_regex(texts, _ISO_DAY).to_numpy(zero_copy_only=False), dtype=bool)
    mdy = np.asarray(pc.match_substring_regex(texts, _MONTH_DAY_YEAR).to_numpy(zero_copy_only=False), dtype=bool)
    rest = np.flatnonzero(~(iso | mdy))
    if len(rest) == len(texts):
        return parse_cells(texts.to_pylist(), conventions)
    n = len(texts)
    out = ParsedCells(np.full(n, np.nan), np.full(n, np.nan), np.empty(n, dtype=object), np.zeros(n, dtype=np.int8))
    if len(rest):
        part = parse_cells(texts.take(pa.array(rest)).to_pylist(), conventions)
        out.numbers[rest], out.numbers2[rest], out.dates[rest], out.date_kinds[rest], out.durations[rest] = (  # type: ignore[index]
            part.numbers, part.numbers2, part.dates, part.date_kinds, part.durations
        )

    def ints(arr: "pa.Array") -> np.ndarray:
        return pc.cast(arr, pa.int64()).to_numpy(zero_copy_only=False)

    def put(rows: np.ndarray, year: np.ndarray, month: np.ndarray, day: np.ndarray) -> None:
        ok = (month >= 1) & (month <= 12)
        ok &= (day >= 1) & (day <= _DAYS_IN_MONTH[np.clip(month, 1, 12) - 1])
        out.dates[rows[ok]] = [Date(int(y), int(m), int(d)) for y, m, d in zip(year[ok], month[ok], day[ok])]
        out.date_kinds[rows[ok]] = DATE_FULL

    rows = np.flatnonzero(iso)
    if len(rows):
        sub = texts.take(pa.array(rows))
        year = ints(pc.utf8_slice_codeunits(sub, 0, 4))
        month = ints(pc.utf8_slice_codeunits(sub, 5, 7))
        day = ints(pc.utf8_slice_codeunits(sub, 8, 10))
        out.numbers[rows], out.numbers2[rows] = year, month
        put(rows, year, month, day)
    rows = np.flatnonzero(mdy)
    if len(rows):
        parts = pc.extract_regex(texts.take(pa.array(rows)), _MONTH_DAY_YEAR)
        names = parts.field("month").to_numpy(zero_copy_only=False)
        month = np.array([_MONTH_NAMES.index(m) + 1 for m in names], dtype=np.int64)
        year, day = ints(parts.field("year")), ints(parts.field("day"))
        out.numbers[rows], out.numbers2[rows] = day, year
        put(rows, year, month, day)
    return out


def _classify(texts: "pa.StringArray", point: bool = True) -> tuple[np.ndarray, ...]:
    """(empty, plain, complex, number, year) per collapsed text, each (N,):
    empty text; a plain decimal (its ``number``, and ``year`` when it is a
    four-digit year in range; only with a decimal ``point``); "complex", text only
    :func:`npqa.table.values.read_cell` can read (a digit or non-ASCII character,
    or short with a month word). The rest holds no number and no date."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def flags(arr: "pa.Array") -> np.ndarray:
        return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)

    n = len(texts)
    empty = flags(pc.equal(texts, ""))
    plain = flags(pc.match_substring_regex(texts, _PLAIN)) if point else np.zeros(n, dtype=bool)
    number = np.full(n, np.nan)
    year = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(plain)
    if len(rows):
        sub = texts.take(pa.array(rows)) if len(rows) < n else texts
        values = pc.cast(pc.replace_substring(sub, ",", ""), pa.float64()).to_numpy(zero_copy_only=False)
        lengths = pc.utf8_length(sub).to_numpy(zero_copy_only=False)
        number[rows] = values
        year[rows] = (lengths == 4) & (values >= YEAR_MIN) & (values <= YEAR_MAX) & (values == np.floor(values))
    complex_ = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(~plain & ~empty)
    if len(rows):
        sub = texts.take(pa.array(rows)) if len(rows) < n else texts
        hit = flags(pc.match_substring_regex(sub, _MAYBE_DIGIT))
        short = flags(pc.less_equal(pc.utf8_length(sub), MAX_DATE_CHARS)) & ~hit
        if short.any():  # no digit: a date only when short with a month word
            ask = np.flatnonzero(short)
            hit[ask] = flags(pc.match_substring_regex(sub.take(pa.array(ask)), _MONTH_START))
        complex_[rows] = hit
    return empty, plain, complex_, number, year


def _decide(texts: "pa.StringArray", plain: np.ndarray, name: str, decimal: str | None) -> Decision:
    """:func:`npqa.table.conventions.decide` of ``texts``: the ``plain`` decimals (most of a
    big numeric column; bool (N,)) are tallied by kernels, the other texts that can
    vote in Python (:func:`npqa.table.conventions.tally`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    other = texts.filter(pa.array(~plain))
    candidates = other.filter(pc.match_substring_regex(other, CANDIDATE))
    votes = tally(pc.unique(candidates).to_pylist() if len(candidates) else ())  # only these vote on dates
    if decimal is None and plain.any():
        numbers = texts.filter(pa.array(plain))  # _PLAIN: -?(d{1,3}(,ddd)+|d+)(.d+)?
        commas = pc.count_substring(numbers, ",").to_numpy(zero_copy_only=False)  # (P,)
        dot = pc.find_substring(numbers, ".").to_numpy(zero_copy_only=False)  # (P,) -1: none
        fraction = pc.utf8_length(numbers).to_numpy(zero_copy_only=False) - dot - 1  # (P,)
        zero_head = np.asarray(pc.match_substring_regex(numbers, "^-?0,").to_numpy(zero_copy_only=False), dtype=bool)
        one = (commas == 1) & (dot < 0)  # 1,234 or 0,123
        kinds = {  # conventions.number_vote of each plain decimal (the rest vote NONE)
            COMMA: one & zero_head,
            EITHER: one & ~zero_head,
            POINT: (commas >= 2) | ((commas == 1) & (dot >= 0)) | ((commas == 0) & (dot >= 0) & (fraction != 3)),
        }
        conflict = (votes.count[COMMA] or kinds[COMMA].any()) and (votes.count[POINT] or kinds[POINT].any())
        for kind, mask in kinds.items():
            if mask.any():
                hit = numbers.filter(pa.array(mask))
                # distinct texts are counted only when a comma and a point vote compete (pc.unique is slow)
                n = len(pc.unique(hit)) if conflict and kind != EITHER else int(mask.sum())
                votes.add(kind, pc.min_max(hit)["min"].as_py(), n)
    return decide_votes(votes, name, decimal)


class _Cells:
    """Read-only sequence view of a string array (each item made when read)."""

    def __init__(self, arr: "pa.StringArray") -> None:
        self.arr = arr

    def __len__(self) -> int:
        return len(self.arr)

    def __getitem__(self, i: int) -> str:
        return self.arr[int(i)].as_py()


def _collapsed(raw: "pa.StringArray") -> "pa.StringArray":
    """:func:`npqa.table.text.collapse_whitespace` of every cell; only cells it would
    change (found by one regex over the ASCII ones) go through Python."""
    import pyarrow as pa
    import pyarrow.compute as pc

    suspect = pc.match_substring_regex(raw, _UNCLEAN)
    rows = np.flatnonzero(np.asarray(suspect.to_numpy(zero_copy_only=False), dtype=bool))
    if not len(rows):
        return raw
    before = raw.take(pa.array(rows)).to_pylist()
    after = [collapse_whitespace(t) for t in before]
    changed = [i for i, (b, a) in enumerate(zip(before, after)) if a != b]
    if not changed:
        return raw
    mask = np.zeros(len(raw), dtype=bool)
    mask[rows[changed]] = True
    return pc.replace_with_mask(raw, pa.array(mask), pa.array([after[i] for i in changed], type=pa.string()))
