"""The official WTQ denotation metric (rules: ``../shared/wtq/DATA.md``).

Every gold and predicted item becomes a :data:`Value` — a number, a date or a
string — and a prediction is right when the two *sets* of values have the same
size and every gold value matches some predicted value
(:func:`values_match`: equal normalised strings, numbers within 1e-6, or dates
with equal year, month and day).

Gold items are canonicalised (:func:`canonicalise_gold`) the way CoreNLP made
WTQ's ``targetCanon``: ``17 years`` → 17, ``January 26, 1995`` → 1995-01-26.
Predicted items are not: only a whole int/float is a number and only
``yyyy-mm-dd`` (``xx`` parts allowed) is a date.

Prediction files (``../shared/INTERFACES.md``): no header, ``id<TAB>item…`` with
WTQ's escapes; an id alone is an unanswered example. ``answered`` counts the
examples of the data file whose line has at least one item field after the id
(``id<TAB>`` is one empty item, hence answered). When an id has several lines
the last one counts, as in the published script; lines whose id is not in the
data file are ignored. The denominator is every example of the data file.
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from npqa.errors import DataError
from npqa.table.values import CACHE_SIZE, parse_date, parse_number

NUMBER_TOLERANCE = 1e-6

# ----------------------------------------------------------------------------- TSV escapes

_UNESCAPES = {"n": "\n", "p": "|", "\\": "\\"}


def unescape_tsv(text: str) -> str:
    """Undo WTQ's TSV escapes: ``\\n`` → newline, ``\\p`` → ``|``, ``\\\\`` → ``\\``.

    Read left to right, so ``\\\\n`` is a backslash then ``n``; any other
    backslash is kept as written.
    """
    if "\\" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in _UNESCAPES:
            out.append(_UNESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def escape_tsv(text: str) -> str:
    """WTQ's TSV escapes (inverse of :func:`unescape_tsv`): ``\\`` ``newline`` ``|``.

    A tab, which the format cannot hold, becomes a space (the metric collapses
    whitespace, so this never changes a verdict).
    """
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("|", "\\p").replace("\t", " ")


# ----------------------------------------------------------------------------- normalisation

_QUOTES = re.compile("[\u2018\u2019\u00b4`]")  # ‘ ’ ´ `
_DOUBLE_QUOTES = re.compile("[\u201c\u201d]")  # “ ”
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2212]")  # ‐ ‑ ‒ – — −
_CITATIONS = re.compile(r"((?<!^)\[[^\]]*\]|\[\d+\]|[•♦†‡*#+])*$")
_PARENTHESES = re.compile(r"(?<!^)( \([^)]*\))*$")
_ENCLOSING_QUOTES = re.compile(r'^"([^"]*)"$')
_WHITESPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=CACHE_SIZE)
def normalize(text: str) -> str:
    """The official normalised string of an item.

    Diacritics dropped (NFKD, combining marks removed); ‘ ’ ´ ` → ', “ ” → ",
    the dashes ‐ ‑ ‒ – — − → -; then until nothing changes: strip trailing
    citations (``[…]`` not at the start, ``[n]``, ``•♦†‡*#+``), trailing `` (…)``
    groups not at the start, and one pair of enclosing double quotes; finally
    drop one final ``.``, collapse whitespace, lower-case and trim.

    >>> normalize("Café “Noir” (band)[1]")
    'cafe "noir"'
    """
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if unicodedata.category(c) != "Mn")
    text = _QUOTES.sub("'", text)
    text = _DOUBLE_QUOTES.sub('"', text)
    text = _DASHES.sub("-", text)
    while True:
        before = text
        text = _CITATIONS.sub("", text.strip())
        text = _PARENTHESES.sub("", text.strip())
        text = _ENCLOSING_QUOTES.sub(r"\1", text.strip())
        if text == before:
            break
    if text.endswith("."):
        text = text[:-1]
    return _WHITESPACE.sub(" ", text).lower().strip()


# ----------------------------------------------------------------------------- values


@dataclass(frozen=True)
class StringValue:
    """A string item; equal to another when the normalised strings are equal."""

    normalized: str


@dataclass(frozen=True)
class NumberValue:
    """A number item; set equality is by amount, ``normalized`` is the item's text."""

    amount: float  # integral amounts (within 1e-6) are stored rounded
    normalized: str = field(compare=False)


@dataclass(frozen=True)
class DateValue:
    """A date item with at least the month or the day known (``None`` = unknown)."""

    year: int | None
    month: int | None
    day: int | None
    normalized: str = field(compare=False)


Value = StringValue | NumberValue | DateValue


def _number_value(amount: float, original: str) -> NumberValue:
    rounded = round(amount)
    if abs(amount - rounded) < NUMBER_TOLERANCE:
        amount = float(rounded)
    return NumberValue(amount, normalize(original))


_PY_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*|\s*[-+]?(inf|infinity|nan)\s*", re.IGNORECASE)


def strict_number(text: str) -> float | None:
    """The number ``text`` is when it parses whole as an int or a float (finite), else ``None``.

    The published script's ``int(text)`` then ``float(text)`` (Python 2: no
    digit-group underscores). ``"2.0"`` → 2.0, ``"1e3"`` → 1000, ``"1,000"``,
    ``"nan"`` and ``"inf"`` → ``None``.
    """
    if _PY_NUMBER.fullmatch(text) is None:
        return None
    amount = float(text)
    return amount if math.isfinite(amount) else None


def strict_date(text: str) -> tuple[int | None, int | None, int | None] | None:
    """``(year, month, day)`` when ``text`` is ``yyyy-mm-dd`` with ``xx``/``xxxx`` parts.

    Month 1–12 and day 1–31 when known, not every part unknown; else ``None``.
    """
    parts = text.lower().split("-")
    if len(parts) != 3:
        return None
    try:
        year = None if parts[0] in ("xx", "xxxx") else int(parts[0])
        month = None if parts[1] == "xx" else int(parts[1])
        day = None if parts[2] == "xx" else int(parts[2])
    except ValueError:
        return None
    if year is None and month is None and day is None:
        return None
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= day <= 31:
        return None
    return year, month, day


def to_value(original: str, canonical: str | None = None) -> Value:
    """The value of an item whose canonical form is ``canonical`` (default: itself).

    The canonical text decides the type (strict number, then ``yyyy-mm-dd`` date,
    a year-only date becoming a number); the original text gives the normalised
    string used for string matching.
    """
    canonical = original if canonical is None else canonical
    amount = strict_number(canonical)
    if amount is not None:
        return _number_value(amount, original)
    ymd = strict_date(canonical)
    if ymd is not None:
        year, month, day = ymd
        if month is None and day is None and year is not None:
            return _number_value(float(year), original)
        return DateValue(year, month, day, normalize(original))
    return StringValue(normalize(original))


# ----------------------------------------------------------------------------- gold canonicalisation

_STRICT_GOLD_NUMBER = re.compile(r"[-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)")
_NUMBER_AND_UNIT = re.compile(r"(?P<number>[-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)) [^ ]+")
_QUANTITY = re.compile(
    r"""
    (?:[$£€¥]\s?)?                                  # money
    (?P<number>[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+)
    (?:\s?%                                          # percent
      | (?:st|nd|rd|th)                              # ordinal
      | \s(?:thousand|million|billion|trillion)     # scale word
    )?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_NUMERIC_DATE_DASHES = re.compile(r"\d{4}-\d{2}")  # "2005-06" is a season in an answer, not a month


def _plain_float(text: str) -> float:
    return float(text.replace(",", ""))


@functools.lru_cache(maxsize=CACHE_SIZE)
def canonicalise_gold(item: str) -> str:
    """The canonical text of a gold item, as CoreNLP's ``targetCanon`` gives it.

    In order: a whole number (``100,000`` → ``100000``, ``.25``, ``+3.9``); a
    whole date (:func:`npqa.table.values.parse_date`, except ``yyyy-mm``, which in
    an answer is a season such as ``2005-06``) as ``yyyy-mm-dd`` with ``xx``;
    a number with a currency, percent sign, ordinal suffix or scale word
    (``$1.56 billion`` → ``1560000000``, ``48.4%`` → ``48.4``, ``2nd`` → ``2``);
    a number followed by one unit word (``17 years`` → ``17``); otherwise the
    item itself (a string).
    """
    text = item.strip()
    if _STRICT_GOLD_NUMBER.fullmatch(text):
        return repr(_plain_float(text))
    if not _NUMERIC_DATE_DASHES.fullmatch(text):
        date = parse_date(text)
        if date is not None:
            return date.iso()
    quantity = _QUANTITY.fullmatch(text)
    if quantity is not None:
        amount = parse_number(text.lstrip("$£€¥ ").lstrip("+"))
        if amount is not None:
            return repr(amount)
    with_unit = _NUMBER_AND_UNIT.fullmatch(text)
    if with_unit is not None:
        return repr(_plain_float(with_unit.group("number")))
    return item


def to_gold_values(items: Sequence[str]) -> list[Value]:
    """The set of values of gold items, each canonicalised (:func:`canonicalise_gold`)."""
    return _dedup(to_value(item, canonicalise_gold(item)) for item in items)


@functools.lru_cache(maxsize=CACHE_SIZE)
def pred_value(item: str) -> Value:
    """The value of one predicted item, read strictly (memoised: values are frozen)."""
    return to_value(item)


def to_pred_values(items: Sequence[str]) -> list[Value]:
    """The set of values of predicted items, each read strictly (no canonicalisation)."""
    return _dedup(pred_value(item) for item in items)


def _dedup(values: Iterable[Value]) -> list[Value]:
    """Distinct values, first occurrence kept (the order never matters to :func:`check`)."""
    return list(dict.fromkeys(values))


def values_match(gold: Value, pred: Value) -> bool:
    """Whether one gold value matches one predicted value.

    Equal normalised strings, or two numbers within 1e-6, or two dates with
    equal year, month and day (an unknown part matches only an unknown part).
    """
    if gold.normalized == pred.normalized:
        return True
    if isinstance(gold, NumberValue) and isinstance(pred, NumberValue):
        return abs(gold.amount - pred.amount) < NUMBER_TOLERANCE
    if isinstance(gold, DateValue) and isinstance(pred, DateValue):
        return (gold.year, gold.month, gold.day) == (pred.year, pred.month, pred.day)
    return False


def check_values(gold: Sequence[Value], pred: Sequence[Value]) -> bool:
    """The official verdict on two value sets: same size, every gold value matched."""
    if len(gold) != len(pred):
        return False
    return all(any(values_match(g, p) for p in pred) for g in gold)


def check(gold_items: Sequence[str], pred_items: Sequence[str]) -> bool:
    """Whether predicted items are right for gold items under the official metric.

    >>> check(["17 years"], ["17"]), check(["a", "b"], ["B", "a", "a"]), check(["2"], ["2", "3"])
    (True, True, False)
    """
    return check_values(to_gold_values(gold_items), to_pred_values(pred_items))


# ----------------------------------------------------------------------------- files


@dataclass
class ScoreResult:
    """Accuracy over every example of a data file."""

    accuracy: float  # correct / examples (0.0 for an empty data file)
    correct: int
    examples: int  # every example in the data file
    answered: int  # examples whose prediction line has at least one item


def read_gold(data_tsv: Path) -> dict[str, list[str]]:
    """Gold items per example id of a WTQ-style TSV (``id``, ``targetValue`` columns).

    ``targetValue`` is split on ``|`` first, then each item is unescaped.
    """
    lines = _read_lines(data_tsv)
    if not lines:
        raise DataError(str(data_tsv), "empty file (expected a header id, utterance, context, targetValue)")
    header = lines[0].split("\t")
    missing = [name for name in ("id", "targetValue") if name not in header]
    if missing:
        raise DataError(str(data_tsv), f"missing column(s) {', '.join(missing)} in the header")
    id_at, target_at = header.index("id"), header.index("targetValue")
    gold: dict[str, list[str]] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != len(header):
            raise DataError(str(data_tsv), f"line {number}: {len(fields)} fields, the header has {len(header)}")
        gold[unescape_tsv(fields[id_at])] = [unescape_tsv(item) for item in fields[target_at].split("|")]
    return gold


def read_predictions(preds_tsv: Path) -> dict[str, list[str]]:
    """Predicted items per id of a prediction file (no header, ``id<TAB>item…``)."""
    predictions: dict[str, list[str]] = {}
    for line in _read_lines(preds_tsv):
        if not line.strip():
            continue
        fields = line.split("\t")
        predictions[unescape_tsv(fields[0].strip())] = [unescape_tsv(item) for item in fields[1:]]
    return predictions


def _read_lines(path: Path) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(str(path), "no such file") from None
    except IsADirectoryError:
        raise DataError(str(path), "is a directory, not a file") from None
    except UnicodeDecodeError as error:
        raise DataError(str(path), f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise DataError(str(path), error.strerror or "cannot be read") from None
    return [line.rstrip("\r") for line in text.split("\n")]


def score_files(data_tsv: Path, preds_tsv: Path) -> ScoreResult:
    """Official accuracy of a prediction file against a WTQ-style data file.

    Every example of ``data_tsv`` counts; a missing prediction is wrong.
    """
    gold = read_gold(Path(data_tsv))
    predictions = read_predictions(Path(preds_tsv))
    correct = answered = 0
    for example_id, gold_items in gold.items():
        pred_items = predictions.get(example_id)
        if pred_items is None:
            continue
        answered += bool(pred_items)
        correct += check(gold_items, pred_items)
    examples = len(gold)
    return ScoreResult(correct / examples if examples else 0.0, correct, examples, answered)
