"""Reading any CSV/TSV (or a pandas DataFrame, or WTQ's CSVs) into a typed :class:`Table`.

A table is a list of columns; each column keeps, per row, the display text
(whitespace collapsed), the first number the cell holds and the date it holds.
Parsing is done once per *distinct* cell string, so a million-row column with
few distinct values costs little more than pandas' own reading.

Two CSV dialects are told apart from the raw text:

* WTQ's tables escape inside quoted fields with a backslash (``\\"`` for a quote,
  ``\\\\`` for a backslash) and never double quotes;
* everything else is read as RFC 4180 (``""`` inside a quoted field).

The WTQ dialect is chosen only when the text starts with a quote, contains a
backslash escape, every backslash is part of an escape pair, and no RFC-style
doubled quote appears inside a field; otherwise backslashes are plain text.
"""
from __future__ import annotations

import contextlib
import csv
import io
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from npqa.errors import TableError
from npqa.table.column import KIND_THRESHOLD, MemoryColumn, Table, is_duration_column
from npqa.table.formats import KINDS, file_database_kind, open_table
from npqa.table.text import collapse_whitespace
from npqa.table.conventions import Decision, decide, file_note, follow_file
from npqa.table.values import DATE_FULL, DATE_NONE, ParsedCells, parse_cells

SNIFF_DELIMITERS = ",\t;|"
SNIFF_SAMPLE_CHARS = 32_768
BINARY_SAMPLE_BYTES = 65_536
MAX_CONTROL_SHARE = 0.10  # more control characters than this share of the sample → binary

_BACKSLASH_ESCAPE = re.compile(r'\\["\\]')
_DOUBLED_QUOTE = re.compile(r'[^\s",;|\t\\]""|""[^\s",;|\t]')
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # Cc minus \t \n \v \f \r
_SEP_ALIASES = {"\\t": "\t", "tab": "\t", "TAB": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


@dataclass(frozen=True)
class _Dialect:
    sep: str
    backslash_escapes: bool

    def pandas_options(self) -> dict[str, object]:
        if self.backslash_escapes:
            return {"sep": self.sep, "escapechar": "\\", "doublequote": False}
        return {"sep": self.sep}

    def csv_options(self) -> dict[str, object]:
        if self.backslash_escapes:
            return {"delimiter": self.sep, "escapechar": "\\", "doublequote": False}
        return {"delimiter": self.sep}


# --------------------------------------------------------------------------- loading


def load_table(
    source: str | Path | pd.DataFrame,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    header: bool = True,
    sheet: str | None = None,
    decimal: str | None = None,
    db_table: str | None = None,
) -> Table:
    """Read a table from a path, ``"-"`` (stdin bytes) or a DataFrame.

    Besides CSV/TSV text, a file (or stdin) may be an Excel ``.xlsx`` workbook
    (its first sheet, or ``sheet``), a Parquet file, JSON records, or one of
    these compressed by gzip or alone in a zip, told apart by content
    (:mod:`npqa.table.formats`).

    ``sep`` overrides delimiter sniffing (``"\\t"`` and ``"tab"`` mean a tab),
    ``encoding`` overrides UTF-8/cp1252 detection, ``header=False`` names the
    columns ``column_1``… and keeps the first line as data, ``decimal`` (``","``
    or ``"."``) overrides the per-column guess of the decimal mark
    (:mod:`npqa.table.conventions`). A DataFrame keeps its own column labels as
    the header. Raises :class:`TableError` naming the source for a missing,
    empty, binary or undecodable file, for a table with no rows or no columns and
    for a decimal mark other than ``,`` or ``.``.

    A SQLite or DuckDB database file gives its table ``db_table`` (or its only
    table): :func:`npqa.table.database.read_database`.
    """
    decimal = _normalise_decimal(decimal, str(source) if not _is_dataframe(source) else "<dataframe>")
    if _is_dataframe(source):
        return table_from_dataframe(source, decimal=decimal)  # type: ignore[arg-type]
    if str(source) != "-":
        kind = file_database_kind(Path(source))
        if kind is not None:
            return _database_table(Path(source), kind, db_table, sep, encoding, header, sheet, decimal)
    if db_table is not None:
        raise TableError(str(source) if str(source) != "-" else "<stdin>", "--table applies to SQLite and DuckDB database files, and this is not one")
    if str(source) == "-":
        what, data = "<stdin>", sys.stdin.buffer.read()
    else:
        what, data = str(source), _read_file(Path(source))
    name = "" if str(source) == "-" else Path(source).name
    file_data = data
    opened = open_table(data, what, name, sep=sep, encoding=encoding, header=header, sheet=sheet)
    if opened.grid is not None:  # a typed table: a sheet, Parquet, JSON records
        return table_from_grid(opened.grid, opened.what, header=opened.header, decimal=decimal)
    what, data = opened.what, opened.text  # CSV/TSV bytes, unpacked from .gz or .zip if need be
    if len(data) >= _engine_min_bytes() and encoding is None and data is file_data and str(source) != "-":
        table = _engine_table(str(source), data, sep, what, header, decimal)
        if table is not None:
            return table
    if len(data) >= _arrow_min_bytes() and encoding is None:
        table = _big_utf8_table(data, sep, what, header, decimal)
        if table is not None:
            return table
    text = _decode(data, encoding, what)
    dialect = _choose_dialect(text, _normalise_sep(sep, what))
    if len(data) >= _arrow_min_bytes() and not dialect.backslash_escapes:
        table = _arrow_table(text.encode("utf-8"), dialect.sep, what, header, decimal)
        if table is not None:
            return table
    grid = _parse_grid(text, dialect, what)
    return table_from_grid(grid, what, header=header, decimal=decimal, sep=dialect.sep)


def _database_table(
    path: Path, kind: str, db_table: str | None, sep: str | None, encoding: str | None, header: bool, sheet: str | None,
    decimal: str | None,
) -> Table:
    """A table of a database file, after refusing the options that apply to text and sheets."""
    from npqa.table.database import LABELS, read_database

    label = f"a {LABELS[kind]} database"
    for given, option, applies in [(sep, "--sep", "CSV/TSV text"), (encoding, "--encoding", "text"), (sheet, "--sheet", ".xlsx workbooks")]:
        if given is not None:
            raise TableError(str(path), f"{option} applies to {applies}, and this is {label}")
    if not header:
        raise TableError(str(path), f"--no-header applies to CSV/TSV text and sheets: {label} names its columns")
    return read_database(path, kind, db_table, decimal, make_column, unique_names)


def _normalise_decimal(decimal: str | None, what: str) -> str | None:
    aliases = {"comma": ",", "point": ".", "dot": "."}
    if decimal is None:
        return None
    decimal = aliases.get(decimal, decimal)
    if decimal not in (",", "."):
        raise TableError(what, f"decimal mark must be ',' or '.', got {decimal!r}")
    return decimal


def _big_utf8_table(data: bytes, sep: str | None, what: str, header: bool, decimal: str | None) -> Table | None:
    """A big RFC 4180 UTF-8 file read by pyarrow straight from its bytes, or ``None``
    (then the file takes the usual path, which decodes it first).

    Only the head is decoded, for the same checks and sniffing as the usual path
    (its first 65,536 characters); pyarrow checks that the rest is UTF-8. A file
    with a backslash, a NUL or a UTF-16 BOM is left to the usual path.
    """
    data = data.removeprefix(b"\xef\xbb\xbf")
    if b"\\" in data or b"\x00" in data or data.startswith((b"\xff\xfe", b"\xfe\xff")) or not data.strip():
        return None
    try:
        head = data[: 4 * BINARY_SAMPLE_BYTES].decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < 4 * BINARY_SAMPLE_BYTES - 3:  # a real error, not a character cut at the end
            return None
        head = data[: err.start].decode("utf-8")
    _refuse_binary(head, what)
    return _arrow_table(data, _normalise_sep(sep, what) or sniff_delimiter(head), what, header, decimal)


def _engine_min_bytes() -> int:
    from npqa.table import duck

    return duck.ENGINE_MIN_BYTES


def _engine_table(path: str, data: bytes, sep: str | None, what: str, header: bool, decimal: str | None) -> Table | None:
    """A big UTF-8 CSV file read by DuckDB (:mod:`npqa.table.duck`), or ``None`` (then the
    pyarrow path reads it). The same checks as :func:`_big_utf8_table` come first."""
    from npqa.table import duck

    if data.startswith(b"\xef\xbb\xbf") or b"\\" in data or b"\x00" in data or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        head = data[: 4 * BINARY_SAMPLE_BYTES].decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < 4 * BINARY_SAMPLE_BYTES - 3:
            return None
        head = data[: err.start].decode("utf-8")
    if not head.strip():
        return None
    lines = head.count("\n")
    if lines and len(data) * lines / len(head.encode("utf-8")) < duck.ENGINE_MIN_ROWS:  # few rows: pyarrow is quicker
        return None
    _refuse_binary(head, what)
    if not duck.available():  # imported only now: a file of few rows never pays for it
        return None
    return duck.read_table(path, head, _normalise_sep(sep, what) or sniff_delimiter(head), what, header, decimal, unique_names)


def _arrow_min_bytes() -> int:
    from npqa.table import arrow as arrowtable

    return arrowtable.ARROW_MIN_BYTES


def _arrow_table(data: bytes, sep: str, what: str, header: bool, decimal: str | None) -> Table | None:
    """The table read by pyarrow with lazily computed columns (:mod:`npqa.table.arrow`),
    or ``None`` when pyarrow is missing or refuses the text."""
    from npqa.table import arrow as arrowtable

    if not arrowtable.available():
        return None
    raw = arrowtable.read_columns(data, sep, header)
    if raw is None:
        return None
    raw_names = [name for name, _ in raw]
    for i, name in enumerate(raw_names):
        if "\x00" in name:
            raise TableError(what, f"column {i + 1}'s name contains a NUL character")
    names = unique_names(raw_names)
    from concurrent.futures import ThreadPoolExecutor

    cells = [c for _, c in raw]
    with ThreadPoolExecutor(max_workers=2) as pool:  # the kernels release the GIL: two cores, two columns
        columns = list(pool.map(arrowtable.ArrowColumn, names, cells, [decimal] * len(names)))
    if decimal is None:
        for j in follow_file([c.decision for c in columns], sep):
            example = columns[j].decision.either_example
            columns[j] = arrowtable.ArrowColumn(names[j], cells[j], ",", (file_note(names[j], example),))
    return Table(columns, what)


def _is_dataframe(source: object) -> bool:
    """``source`` is a pandas DataFrame (pandas is imported only when a table needs it)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(source, pandas.DataFrame)


def table_from_dataframe(frame: pd.DataFrame, source: str = "<dataframe>", *, decimal: str | None = None) -> Table:
    """A table from a DataFrame: labels become names, missing values become ""."""
    if frame.shape[1] == 0:
        raise TableError(source, "no columns")
    cells = np.empty((frame.shape[0] + 1, frame.shape[1]), dtype=object)
    cells[0] = [_label_text(c) for c in frame.columns]
    for j in range(frame.shape[1]):
        values = frame.iloc[:, j]
        cells[1:, j] = values.astype(object).where(values.notna(), "").map(str).to_numpy()
    return table_from_grid(cells, source, header=True, decimal=decimal)


def table_from_grid(
    grid: np.ndarray, source: str, *, header: bool = True, decimal: str | None = None, sep: str | None = None
) -> Table:
    """A table from a 2-D object array of raw cell strings (first row = header if ``header``);
    ``decimal`` as in :func:`load_table`; ``sep``, the file's separator, when it came from one."""
    if grid.ndim != 2 or grid.shape[1] == 0:
        raise TableError(source, "no columns")
    if header:
        raw_names, body = [str(x) for x in grid[0]], grid[1:]
    else:
        raw_names, body = [""] * grid.shape[1], grid
    if body.shape[0] == 0:
        raise TableError(source, "no rows")
    for i, raw in enumerate(raw_names):
        if "\x00" in raw:  # SQLite cannot name a column with a NUL (files with NUL never get here)
            raise TableError(source, f"column {i + 1}'s name contains a NUL character")
    names = unique_names(raw_names)
    made = [_make_column(name, body[:, j], decimal) for j, name in enumerate(names)]
    columns = [column for column, _ in made]
    if decimal is None:
        for j in follow_file([d for _, d in made], sep):
            note = file_note(names[j], made[j][1].either_example)
            columns[j] = _make_column(names[j], body[:, j], ",", (note,))[0]
    return Table(columns, source)


def table_to_dataframe(table: Table) -> pd.DataFrame:
    """The table's display texts as a DataFrame of strings, one column per column."""
    import pandas as pd

    return pd.DataFrame({c.name: c.texts for c in table.columns}, columns=table.names, dtype=object)


# --------------------------------------------------------------------------- columns


def unique_names(raw: list[str]) -> list[str]:
    """Header names with whitespace collapsed, empties named ``column_N`` (1-based
    position) and repeats made unique as ``Name_2``, ``Name_3``…"""
    names = [collapse_whitespace(r) or f"column_{i + 1}" for i, r in enumerate(raw)]
    taken = set(names)
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        if name in seen:
            k = 2
            while f"{name}_{k}" in taken:
                k += 1
            name = f"{name}_{k}"
            taken.add(name)
        seen.add(name)
        out.append(name)
    return out


def make_column(name: str, raw_cells: np.ndarray | list[str], decimal: str | None = None) -> MemoryColumn:
    """A column from raw cell strings; each distinct string is cleaned and parsed once,
    with the conventions (decimal mark, day/month order) its cells show
    (:func:`npqa.table.conventions.decide`; ``decimal`` overrides the mark)."""
    return _make_column(name, raw_cells, decimal)[0]


def _make_column(
    name: str, raw_cells: np.ndarray | list[str], decimal: str | None, notes: tuple[str, ...] = ()
) -> tuple[MemoryColumn, Decision]:
    """:func:`make_column` and how its conventions were decided (``notes`` replace the decision's)."""
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(raw_cells, dtype=object), use_na_sentinel=False)
    texts_u = _collapsed_texts(uniques)  # (U,) whitespace collapsed
    decision = decide(texts_u.tolist(), name, decimal)
    parsed = parse_cells(texts_u, decision.conventions)
    counts = np.bincount(codes, minlength=len(texts_u))  # (U,) rows per distinct text
    numbers = parsed.numbers
    nonempty = texts_u != ""  # (U,)
    durations = is_duration_column(int(counts[~np.isnan(parsed.durations) & nonempty].sum()), int(counts[nonempty].sum()))
    if durations:
        numbers = np.where(np.isnan(parsed.durations), parsed.numbers, parsed.durations)  # (U,)
    kind = _column_kind(codes, texts_u, parsed)
    column = MemoryColumn(
        name=name,
        texts=texts_u[codes].tolist(),
        numbers=numbers[codes],
        dates=parsed.dates[codes].tolist(),
        kind=kind,
        numbers2=parsed.numbers2[codes],
        distinct=texts_u,
        codes=codes,
        durations=parsed.durations[codes],
        notes=notes or decision.notes,
        duration_numbers=durations,
    )
    return column, decision



def _collapsed_texts(cells: np.ndarray) -> np.ndarray:
    """:func:`collapse_whitespace` of ``str(cell)`` for each cell, as an object array.

    Every whitespace character but the space is non-printable in Python, so when
    the joined column is printable and has no double space and no space at a cell's
    edge, there is nothing to collapse and the cells are kept as they are (one
    C-speed check per column instead of a split and a join per cell).
    """
    texts = cells.tolist()
    try:
        joined = "\x1f".join(texts)
    except TypeError:  # a cell that is not a string (from a DataFrame)
        texts = [c if isinstance(c, str) else str(c) for c in texts]
        joined = "\x1f".join(texts)
    if joined.replace("\x1f", "").isprintable() and "  " not in joined and " \x1f" not in joined and "\x1f " not in joined:
        if not texts or (texts[0][:1] != " " and texts[-1][-1:] != " "):
            out = np.empty(len(texts), dtype=object)
            out[:] = texts
            return out
    out = np.empty(len(texts), dtype=object)
    out[:] = [
        t if t.isprintable() and "  " not in t and t[:1] != " " and t[-1:] != " " else " ".join(t.split()) for t in texts
    ]
    return out


def _column_kind(codes: np.ndarray, texts_u: np.ndarray, parsed: ParsedCells) -> str:
    """"date" when most non-empty cells hold a date with a month or day, else "number"
    when most hold a number, else "date" when most hold any date (years alone), else "text"."""
    counts = np.bincount(codes, minlength=len(texts_u))  # (U,) rows per distinct text
    nonempty = texts_u != ""  # (U,)
    total = int(counts[nonempty].sum())
    if total == 0:
        return "text"
    full_date = parsed.date_kinds == DATE_FULL  # (U,)
    any_date = parsed.date_kinds != DATE_NONE  # (U,)
    has_number = ~np.isnan(parsed.numbers)  # (U,)

    def share(mask: np.ndarray) -> float:
        return int(counts[mask & nonempty].sum()) / total

    if share(full_date) >= KIND_THRESHOLD:
        return "date"
    if share(has_number) >= KIND_THRESHOLD:
        return "number"
    if share(any_date) >= KIND_THRESHOLD:
        return "date"
    return "text"


def _label_text(label: object) -> str:
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return ""
    return str(label)


# --------------------------------------------------------------------------- bytes and text


def _read_file(path: Path) -> bytes:
    what = str(path)
    if not path.exists():
        raise TableError(what, "no such file")
    if path.is_dir():
        raise TableError(what, "is a directory, not a table file")
    try:
        return path.read_bytes()
    except OSError as err:
        raise TableError(what, f"cannot read ({err.strerror or err})") from err


def _decode(data: bytes, encoding: str | None, what: str) -> str:
    """Bytes to text: the given encoding, else UTF-16 by BOM, UTF-8 (BOM optional),
    cp1252, Latin-1. Refuses empty and binary content."""
    if not data.strip():
        raise TableError(what, "empty file")
    if encoding is not None:
        return _decode_as(data, encoding, what)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_as(data, "utf-16", what)
    if b"\x00" in data:
        raise TableError(what, f"binary content (NUL bytes), not a kind of table npqa reads; it reads {KINDS}")
    for candidate in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(candidate)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = data.decode("latin-1")
    _refuse_binary(text, what)
    return text


def _decode_as(data: bytes, encoding: str, what: str) -> str:
    try:
        text = data.decode(encoding)
    except LookupError as err:
        raise TableError(what, f"unknown encoding {encoding!r}") from err
    except UnicodeDecodeError as err:
        raise TableError(what, f"cannot be decoded as {encoding} (byte {err.start})") from err
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise TableError(what, "empty file")
    if "\x00" in text:
        raise TableError(what, f"binary content (NUL characters), not a kind of table npqa reads; it reads {KINDS}")
    _refuse_binary(text, what)
    return text


def _refuse_binary(text: str, what: str) -> None:
    sample = text[:BINARY_SAMPLE_BYTES]
    controls = len(_CONTROL_CHARS.findall(sample))
    if controls > MAX_CONTROL_SHARE * len(sample):
        raise TableError(what, f"binary content (mostly control characters), not a kind of table npqa reads; it reads {KINDS}")


# --------------------------------------------------------------------------- dialect


def _normalise_sep(sep: str | None, what: str) -> str | None:
    if sep is None:
        return None
    sep = _SEP_ALIASES.get(sep, sep)
    if len(sep) != 1 or sep in '"\n\r':
        raise TableError(what, f"separator must be one character other than a quote or newline, got {sep!r}")
    return sep


def _choose_dialect(text: str, sep: str | None) -> _Dialect:
    return _Dialect(sep=sep or sniff_delimiter(text), backslash_escapes=uses_backslash_escapes(text))


def uses_backslash_escapes(text: str) -> bool:
    """True for WTQ-style CSV text (``\\"`` and ``\\\\`` inside quoted fields).

    Requires a leading quote, at least one escape pair, no lone backslash
    (every backslash pairs with a following quote or backslash) and no RFC
    doubled quote inside a field such as ``say ""hi""``.
    """
    if not text.startswith('"') or "\\" not in text or not _BACKSLASH_ESCAPE.search(text):
        return False
    if "\\" in _BACKSLASH_ESCAPE.sub("", text):
        return False
    return _DOUBLED_QUOTE.search(text) is None


def sniff_delimiter(text: str) -> str:
    """The delimiter among ``, TAB ; |`` that the text most likely uses (``,`` if unclear)."""
    sample = text[:SNIFF_SAMPLE_CHARS]
    if len(text) > SNIFF_SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=SNIFF_DELIMITERS).delimiter
    except csv.Error:
        delimiter = ""
    if delimiter in SNIFF_DELIMITERS and delimiter:
        return delimiter
    return _most_consistent_delimiter(sample)


def _most_consistent_delimiter(sample: str) -> str:
    """Fallback: the candidate whose smallest per-line count over the first lines is largest."""
    lines = [ln for ln in sample.splitlines()[:20] if ln.strip()]
    best, best_score = ",", 0
    for cand in SNIFF_DELIMITERS:
        score = min((ln.count(cand) for ln in lines), default=0)
        if score > best_score:
            best, best_score = cand, score
    return best


# --------------------------------------------------------------------------- parsing


def _parse_grid(text: str, dialect: _Dialect, what: str) -> np.ndarray:
    """All cells as a 2-D object array of strings.

    pandas' C reader does the work; when it refuses the text (a row longer than
    the first, a quote left open at the end) the csv module reads it instead,
    short rows are padded with "" and long rows widen the table (the extra cells
    become extra columns), so no cell is dropped.
    """
    import pandas as pd

    options = dict(
        header=None, dtype=str, na_filter=False, skip_blank_lines=True, encoding="utf-8", **dialect.pandas_options()
    )
    try:
        # pandas' C reader is about twice as fast on bytes as on a StringIO
        frame = pd.read_csv(io.BytesIO(text.encode("utf-8")), **options)
    except pd.errors.EmptyDataError as err:
        raise TableError(what, "no columns") from err
    except pd.errors.ParserError:
        return _grid_from_csv_module(text, dialect, what)
    if frame.shape[1] == 0:
        raise TableError(what, "no columns")
    return frame.to_numpy(dtype=object)


def _grid_from_csv_module(text: str, dialect: _Dialect, what: str) -> np.ndarray:
    with _field_size_limit(len(text) + 1):
        try:  # newline="": lines may end in \r, \n or \r\n, and a lone \r is a line end
            rows = [row for row in csv.reader(io.StringIO(text, newline=""), **dialect.csv_options()) if row]
        except csv.Error as err:
            raise TableError(what, f"not readable as CSV ({err})") from None
    width = max((len(row) for row in rows), default=0)
    if width == 0:
        raise TableError(what, "no columns")
    grid = np.full((len(rows), width), "", dtype=object)
    for i, row in enumerate(rows):
        grid[i, : len(row)] = row
    return grid


@contextlib.contextmanager
def _field_size_limit(limit: int) -> Iterator[None]:
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, min(limit, sys.maxsize)))
    try:
        yield
    finally:
        csv.field_size_limit(old)
