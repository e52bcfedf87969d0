"""SQL expressions that read cell texts inside DuckDB the way the value parser reads them.

Each function returns a DuckDB SQL expression over a text expression ``x``
(a column of display texts). They recognise only the shapes whose reading is
certain without the parser, and say which texts the parser must read:

* ``plain`` decimals (``-12``, ``3.5``, ``7,753,175``; with a decimal point) are
  numbers, four-digit ones in range also years (as
  :func:`npqa.table.values.parse_cells` reads them);
* ISO days (``2004-05-03``: number 2004, second number 5, a date when the day
  exists) and ``May 3, 2004`` (number 3, second number 2004, a date) are read
  as :func:`npqa.table.arrow.parse_distinct` reads them;
* empty texts, and texts with no digit that are long or lack a month word, hold
  no number and no date;
* every other text is *complex*: only the parser reads it.

The regular expressions are RE2 (DuckDB's), shared with the pyarrow path
(:mod:`npqa.table.arrow`). ``tests/test_duck.py`` checks the readings against
the parser on generated texts.
"""
from __future__ import annotations

from npqa.table.arrow import may_hold_pattern, _MAYBE_DIGIT, _MONTH_DAY_YEAR, _MONTH_NAMES, _MONTH_START, _PLAIN, _UNCLEAN, _ISO_DAY
from npqa.table.conventions import CANDIDATE
from npqa.table.values import MAX_DATE_CHARS, YEAR_MAX, YEAR_MIN


WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
"""Every character ``str.split()`` splits on (``tests/test_duck.py`` checks the list against ``str.isspace``)."""

_WS_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]+"
_DAYS = "[31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]"
_MONTH_LIST = "[" + ", ".join(f"'{m}'" for m in _MONTH_NAMES) + "]"


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def empty(x: str) -> str:
    return f"({x} = '')"


def unclean(x: str) -> str:
    """Texts :func:`npqa.table.text.collapse_whitespace` may change."""
    return f"regexp_matches({x}, {lit(_UNCLEAN)})"


def collapsed(x: str) -> str:
    """:func:`npqa.table.text.collapse_whitespace` of ``x``: whitespace runs to one space, ends trimmed."""
    return f"trim(regexp_replace({x}, {lit(_WS_CLASS)}, ' ', 'g'), ' ')"


def plain(x: str, point: bool = True) -> str:
    """A plain decimal (with a decimal point; none with a decimal comma). Texts of ASCII
    digits alone are told by two globs, the others by the regular expression."""
    if not point:
        return "FALSE"
    digits = f"({x} GLOB '[0-9]*' AND NOT {x} GLOB '*[!0-9]*')"
    return f"(CASE WHEN {digits} THEN TRUE ELSE regexp_full_match({x}, {lit(_PLAIN)}) END)"


def plain_number(x: str) -> str:
    return f"TRY_CAST(replace({x}, ',', '') AS DOUBLE)"


def _iso_shape(x: str) -> str:
    return f"regexp_full_match({x}, {lit(_ISO_DAY)})"


def _iso_month(x: str) -> str:
    return f"TRY_CAST(substr({x}, 6, 2) AS INTEGER)"


_GROUPS = {"month": 1, "day": 2, "year": 3}  # of _MONTH_DAY_YEAR


def _mdy_part(x: str, group: str) -> str:
    return f"regexp_extract({x}, {lit(_MONTH_DAY_YEAR)}, {_GROUPS[group]})"


def votes_in_python(x: str) -> str:
    """Of the complex texts (plain decimals vote in SQL, ISO days never vote: their first
    number has no mark and they are no ``a/b/yyyy``), those that may vote on the conventions."""
    return f"regexp_matches({x}, {lit(CANDIDATE)})"


def plain_votes(x: str, source: str, distinct: bool = False) -> str:
    """One row: for the plain decimals' votes :data:`~npqa.table.conventions.COMMA`,
    ``EITHER`` and ``POINT`` (as :func:`npqa.table.conventions.number_vote` gives them),
    each a count (of texts, of distinct texts with ``distinct``) and the smallest text."""
    one = "(commas = 1 AND dot = 0)"
    zero_head = f"(starts_with({x}, '0,') OR starts_with({x}, '-0,'))"
    kinds = (
        f"{one} AND {zero_head}",
        f"{one} AND NOT {zero_head}",
        f"commas >= 2 OR (commas = 1 AND dot > 0) OR (commas = 0 AND dot > 0 AND length({x}) - dot <> 3)",
    )
    count = "count(DISTINCT x)" if distinct else "count(*)"
    parts = [f"{count} FILTER (WHERE {k}), min({x}) FILTER (WHERE {k})" for k in kinds]
    # a plain decimal's integer part is d{1,3}(,ddd)*: its commas are (its length - 1) // 4
    whole = f"(CASE WHEN strpos({x}, '.') > 0 THEN strpos({x}, '.') - 1 ELSE length({x}) END - starts_with({x}, '-')::INTEGER)"
    marked = (
        f"SELECT {x}, CASE WHEN contains({x}, ',') THEN ({whole} - 1) // 4 ELSE 0 END AS commas, strpos({x}, '.') AS dot "
        f"FROM {source} WHERE p AND (contains({x}, ',') OR contains({x}, '.'))"
    )
    return f"SELECT {', '.join(parts)} FROM ({marked})"


_GROUP_SPACES = (" ", "\u00a0", "\u202f", "\u2009", ".")


def may_hold(x: str, value: float) -> str:
    """Texts that could read as a number within 1e-6 of ``value``: their integer part's
    digits plain or grouped, a scale word, or a character beyond ASCII (as
    :meth:`npqa.table.arrow.ArrowColumn._may_hold`; grouping by dots too)."""
    return f"regexp_matches({x}, {lit(may_hold_pattern(value, _GROUP_SPACES))})"


def day_is(x: str, day: int) -> str:
    """A ``May 3, 2004`` text's day is ``day``."""
    return f"TRY_CAST({_mdy_part(x, 'day')} AS INTEGER) = {int(day)}"


def flagged(source: str, weight: str, point: bool = True, check_unclean: bool = False) -> str:
    """A subquery over ``source`` (columns ``line``, ``x``) giving each unit's flags once:
    ``w`` (its rows), ``e`` empty, ``p`` plain, ``py`` plain year, ``iso`` ISO-shaped,
    ``iv`` a valid ISO day, ``md`` a known ``May 3, 2004``, ``cx`` complex (see the module
    docstring), and with ``check_unclean`` ``u``: the text needs collapsing (:func:`unclean`;
    plain, ISO and ``May 3, 2004`` texts never do); the costlier tests run only on the units
    the cheaper ones leave open."""
    x = "x"
    iso_first = f"length({x}) = 10 AND {x}[5] = '-'"
    mdy_first = f"{x}[1] IN ('J', 'F', 'M', 'A', 'S', 'O', 'N', 'D') AND contains({x}, ', ')"
    shapes = (
        f"SELECT line, {weight} AS w, x, {empty(x)} AS e, {plain(x, point)} AS p, "
        f"CASE WHEN {iso_first} THEN {_iso_shape(x)} ELSE FALSE END AS iso, "
        f"CASE WHEN {mdy_first} THEN regexp_full_match({x}, {lit(_MONTH_DAY_YEAR)}) ELSE FALSE END AS mds FROM {source}"
    )
    month = f"list_position({_MONTH_LIST}, {_mdy_part(x, 'month')})"
    day, year = f"TRY_CAST({_mdy_part(x, 'day')} AS INTEGER)", f"TRY_CAST({_mdy_part(x, 'year')} AS INTEGER)"
    m, d = _iso_month(x), f"TRY_CAST(substr({x}, 9, 2) AS INTEGER)"
    known = (
        f"SELECT line, w, x, e, p, iso, mds, "
        f"CASE WHEN p AND length(x) = 4 THEN {plain_number(x)} BETWEEN {YEAR_MIN} AND {YEAR_MAX} ELSE FALSE END AS py, "
        f"CASE WHEN iso THEN {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {_DAYS}[greatest(least({m}, 12), 1)] ELSE FALSE END AS iv, "
        f"CASE WHEN mds THEN {year} BETWEEN {YEAR_MIN} AND {YEAR_MAX} AND {day} BETWEEN 1 AND {_DAYS}[{month}] ELSE FALSE END AS md "
        f"FROM ({shapes})"
    )
    rest = (
        f"CASE WHEN e OR p OR iso OR md THEN FALSE ELSE regexp_matches(x, {lit(_MAYBE_DIGIT)}) OR "
        f"(length(x) <= {MAX_DATE_CHARS} AND regexp_matches(x, {lit(_MONTH_START)})) END"
    )
    u = f", CASE WHEN p OR iso OR mds THEN FALSE ELSE {unclean(x)} END AS u" if check_unclean else ""
    return f"(SELECT line, w, x, e, p, py, iso, iv, md, {rest} AS cx{u} FROM ({known}))"


def flag_values() -> str:
    """``number, number2, year, month, day, date_kind`` from :func:`flagged` columns (NULL where
    SQL reads none; date_kind 0/1/2 as :data:`npqa.table.values.DATE_NONE` / ``DATE_YEAR`` / ``DATE_FULL``)."""
    x = "x"
    iso_y, iso_m, iso_d = (f"TRY_CAST(substr({x}, {a}, {b}) AS DOUBLE)" for a, b in ((1, 4), (6, 2), (9, 2)))
    m_day, m_year = f"TRY_CAST({_mdy_part(x, 'day')} AS DOUBLE)", f"TRY_CAST({_mdy_part(x, 'year')} AS DOUBLE)"
    m_month = f"TRY_CAST(list_position({_MONTH_LIST}, {_mdy_part(x, 'month')}) AS DOUBLE)"
    return (
        f"CASE WHEN p THEN {plain_number(x)} WHEN iso THEN {iso_y} WHEN md THEN {m_day} END AS number, "
        f"CASE WHEN iso THEN {iso_m} WHEN md THEN {m_year} END AS number2, "
        f"CASE WHEN py THEN {plain_number(x)} WHEN iv THEN {iso_y} WHEN md THEN {m_year} END AS year, "
        f"CASE WHEN iv THEN {iso_m} WHEN md THEN {m_month} END AS month, "
        f"CASE WHEN iv THEN {iso_d} WHEN md THEN {m_day} END AS day, "
        f"CASE WHEN py THEN 1 WHEN iv OR md THEN 2 ELSE 0 END AS date_kind"
    )
