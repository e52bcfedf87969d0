"""The file kinds people have, beside CSV/TSV text: what a file is, and its cells.

:func:`open_table` looks at a file's first bytes (and, when they say nothing,
at its name) and returns either the cells of a typed table (an Excel ``.xlsx``
sheet, a Parquet file, JSON records) as a grid of display texts, or the bytes to
read as CSV/TSV text (plain, or unpacked from ``.gz`` or a ``.zip`` holding one
file). Content wins over the name, so a table on stdin is read as well as a file.
:func:`npqa.table.read.load_table` turns either into a :class:`Table`.

Typed cells become the text a person saw: an Excel date ``2012-01-31`` (not
``2012-01-31 00:00:00``), an Excel integer ``3`` (not ``3.0``), a percentage or a
thousands separator as its number format shows it; a Parquet timestamp column
whose times are all midnight as dates; JSON numbers as written in the file.
Excel sheets are read by openpyxl, Parquet by pyarrow (the libraries pandas uses).
A SQLite or DuckDB file is told by its first bytes too (:func:`file_database_kind`)
and read from its path by :mod:`npqa.table.database`; on stdin or in an archive it
is refused with a line saying so.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from npqa.errors import TableError

KINDS = (
    "CSV/TSV text, Excel .xlsx, Parquet, JSON records, one of these in .gz or a .zip holding one file, "
    "or a table in a SQLite or DuckDB database file"
)
"""What npqa reads, for the line that refuses anything else."""

MAX_NESTING = 2  # a .zip holding a .csv.gz is read; an archive deeper than that is refused

_MAGIC_REFUSED = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 .xls workbook or a password-protected Office file"),
    (b"%PDF", "a PDF document"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"\x28\xb5\x2f\xfd", "a zstd archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
)
_ZIP_REFUSED = (
    ("word/document.xml", "a Word .docx document"),
    ("ppt/presentation.xml", "a PowerPoint .pptx presentation"),
    ("content.xml", "an OpenDocument file (.ods/.odt)"),
)
_NAME_KINDS = {
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet", ".pq": "parquet",
    ".json": "json", ".jsonl": "json", ".ndjson": "json", ".gz": "gzip", ".zip": "zip",
}  # fmt: skip
_BROKEN = {
    "xlsx": ".xlsx workbook (not a zip file)", "zip": "zip archive (not a zip file)",
    "parquet": "Parquet file (no PAR1 magic bytes)", "gzip": "gzip file (no gzip magic bytes)",
}  # fmt: skip
_LABELS = {"xlsx": "an .xlsx workbook", "parquet": "a Parquet file", "json": "JSON records", "csv": "CSV/TSV text"}


SQLITE_MAGIC = b"SQLite format 3\x00"
DUCKDB_MAGIC = b"DUCK"  # at byte 8 of a DuckDB file
DB_SUFFIXES = {".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite", ".db3": "sqlite", ".duckdb": "duckdb"}
_DB_LABELS = {"sqlite": "a SQLite database", "duckdb": "a DuckDB database"}


def database_kind(head: bytes) -> str | None:
    """``"sqlite"`` or ``"duckdb"`` from a file's first 16 bytes, else None.

    >>> database_kind(b"SQLite format 3\\x00"), database_kind(b"\\x15\\x1e#\\x01\\xd5@k]DUCK\\xe7\\x03"), database_kind(b"a,b")
    ('sqlite', 'duckdb', None)
    """
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head[8:12] == DUCKDB_MAGIC:
        return "duckdb"
    return None


def file_database_kind(path: Path) -> str | None:
    """The database kind of the file at ``path`` by its first bytes; None when it is no
    database, or no readable file (reading it then says why). A file named like a
    database (``.sqlite``, ``.db``, ``.duckdb``…) that is none is a :class:`TableError`;
    an empty one is an empty SQLite database, as SQLite reads it."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    kind = database_kind(head)
    by_name = DB_SUFFIXES.get(path.suffix.lower())
    if kind is None and by_name is not None:
        if not head and by_name == "sqlite":
            return "sqlite"
        raise TableError(str(path), f"not a SQLite or DuckDB database (its first bytes are neither's), though named {path.suffix}")
    return kind


@dataclass(frozen=True)
class Opened:
    """What :func:`open_table` found: a typed table's cells, or bytes to read as CSV/TSV text."""

    what: str  # the source named in errors (``archive.zip:inner.csv`` for a file in a zip)
    grid: np.ndarray | None  # object (rows, columns) of display texts, first row the header; None for text
    text: bytes = b""  # the CSV/TSV bytes when ``grid`` is None
    header: bool = True  # whether the grid's first row names the columns


def open_table(
    data: bytes,
    what: str,
    name: str = "",
    *,
    sep: str | None = None,
    encoding: str | None = None,
    header: bool = True,
    sheet: str | None = None,
    depth: int = 0,
) -> Opened:
    """The table in ``data``: an Excel sheet (the first, or ``sheet``), a Parquet
    file, JSON records, or CSV/TSV bytes (after unpacking ``.gz`` and ``.zip``).

    ``name`` is the file's name (empty for stdin), used only when the bytes do
    not say what they are. Raises :class:`TableError` for a kind npqa cannot
    read (naming the kinds it can), a broken file of a kind it can, and an
    option that does not apply to the kind (``sep``/``encoding`` on a binary
    format, ``sheet`` on anything but a workbook, ``header=False`` where the
    format names its columns).
    """
    kind = detect_kind(data, name, what)
    grid = None
    if kind == "json":
        grid = read_json_records(data, what, encoding, guessed=_kind_by_name(name) != "json")
        kind = "json" if grid is not None else "csv"  # text that opens like JSON but is not: CSV
    if kind in ("gzip", "zip"):
        if depth >= MAX_NESTING:
            raise TableError(what, f"archives nested more than {MAX_NESTING} deep; npqa reads {KINDS}")
        inner_what, inner_name, inner = _unpack_gzip(data, what, name) if kind == "gzip" else _unpack_zip(data, what)
        return open_table(inner, inner_what, inner_name, sep=sep, encoding=encoding, header=header, sheet=sheet,
                          depth=depth + 1)  # fmt: skip
    _check_options(kind, what, sep, encoding, header, sheet)
    if kind == "xlsx":
        return Opened(what, read_xlsx(data, what, sheet), header=header)
    if kind == "parquet":
        return Opened(what, read_parquet(data, what))
    if kind == "json":
        return Opened(what, grid)
    return Opened(what, None, text=data)


# --------------------------------------------------------------------------- what a file is


def detect_kind(data: bytes, name: str, what: str) -> str:
    """``"xlsx"``, ``"parquet"``, ``"json"``, ``"gzip"``, ``"zip"`` or ``"csv"``, from the
    first bytes, else from the name's suffix; :class:`TableError` for a kind npqa
    does not read.

    >>> detect_kind(b"PAR1...", "", "-"), detect_kind(b'[{"a": 1}]', "", "-"), detect_kind(b"a,b\\n1,2", "x.txt", "-")
    ('parquet', 'json', 'csv')
    """
    if data.startswith(b"PAR1"):
        return "parquet"
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data, what, name)
    db = database_kind(data[:16])
    if db is not None:
        raise TableError(what, f"{_DB_LABELS[db]}, which npqa reads from its path: npqa ask FILE --table NAME (not from stdin or an archive)")
    for magic, label in _MAGIC_REFUSED:
        if data.startswith(magic):
            raise TableError(what, f"{label}, which npqa does not read; it reads {KINDS}")
    by_name = _kind_by_name(name)
    if by_name in _BROKEN:
        raise TableError(what, f"not a readable {_BROKEN[by_name]}")
    if by_name == "json" or data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"[", b"{")):
        return "json"
    return "csv"


def _kind_by_name(name: str) -> str | None:
    lower = name.lower()
    return next((kind for suffix, kind in _NAME_KINDS.items() if lower.endswith(suffix)), None)


def _zip_kind(data: bytes, what: str, name: str) -> str:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        label = ".xlsx workbook" if _kind_by_name(name) == "xlsx" else "zip archive"
        raise TableError(what, f"not a readable {label} (broken zip: {err})") from None
    if "xl/workbook.xml" in names:
        return "xlsx"
    for member, label in _ZIP_REFUSED:
        if member in names:
            raise TableError(what, f"{label}, which npqa does not read; it reads {KINDS}")
    if _kind_by_name(name) == "xlsx":
        raise TableError(what, "not a readable .xlsx workbook (the zip holds no xl/workbook.xml)")
    return "zip"


def _check_options(kind: str, what: str, sep: str | None, encoding: str | None, header: bool, sheet: str | None) -> None:
    label = _LABELS[kind]
    if sep is not None and kind != "csv":
        raise TableError(what, f"--sep applies to CSV/TSV text, and this is {label}")
    if encoding is not None and kind in ("xlsx", "parquet"):
        raise TableError(what, f"--encoding applies to text, and this is {label}")
    if sheet is not None and kind != "xlsx":
        raise TableError(what, f"--sheet applies to .xlsx workbooks, and this is {label}")
    if not header and kind in ("parquet", "json"):
        raise TableError(what, f"--no-header applies to CSV/TSV text and sheets: {label} names its columns")


# --------------------------------------------------------------------------- archives


def _unpack_gzip(data: bytes, what: str, name: str) -> tuple[str, str, bytes]:
    import gzip
    import zlib

    try:
        inner = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise TableError(what, f"not a readable gzip file ({err})") from None
    inner_name = name[:-3] if name.lower().endswith(".gz") else ""
    return what, inner_name, inner


def _unpack_zip(data: bytes, what: str) -> tuple[str, str, bytes]:
    """The one file a zip holds (folders and macOS ``__MACOSX``/dot files aside)."""
    import zipfile
    import zlib

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [
                info for info in archive.infolist()
                if not info.is_dir() and not info.filename.startswith("__MACOSX/")
                and not info.filename.rsplit("/", 1)[-1].startswith(".")
            ]  # fmt: skip
            if not members:
                raise TableError(what, "the zip archive holds no file")
            if len(members) > 1:
                listed = ", ".join(m.filename for m in members[:5]) + (", …" if len(members) > 5 else "")
                raise TableError(what, f"the zip archive holds {len(members)} files ({listed}); npqa reads a zip holding one table")
            member = members[0]
            try:
                inner = archive.read(member)
            except RuntimeError as err:  # encrypted
                raise TableError(what, f"cannot read {member.filename} in the zip ({err})") from None
    except TableError:
        raise
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError, zlib.error) as err:
        raise TableError(what, f"not a readable zip archive ({err})") from None
    return f"{what}:{member.filename}", member.filename, inner


# --------------------------------------------------------------------------- Excel


def read_xlsx(data: bytes, what: str, sheet: str | None = None) -> np.ndarray:
    """The cells of one sheet (the first, or ``sheet``) as display texts, blank rows
    and blank trailing columns dropped."""
    import zipfile
    import zlib

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError, zlib.error,
            SyntaxError) as err:  # fmt: skip - SyntaxError: the XML parser's errors
        raise TableError(what, f"not a readable .xlsx workbook ({type(err).__name__}: {err})") from None
    try:
        if sheet is None:
            if not book.worksheets:
                raise TableError(what, "the workbook has no worksheet")
            ws = book.worksheets[0]
        elif sheet not in book.sheetnames:
            raise TableError(what, f"no sheet named {sheet!r} (sheets: {', '.join(book.sheetnames)})")
        else:
            ws = book[sheet]
            if not hasattr(ws, "iter_rows"):
                raise TableError(what, f"sheet {sheet!r} is a chart, not a worksheet")
        try:
            rows = [[excel_text(c.value, getattr(c, "number_format", "General")) for c in row] for row in ws.iter_rows()]
        except (KeyError, ValueError, TypeError, OverflowError, zipfile.BadZipFile, OSError, EOFError, zlib.error,
                SyntaxError) as err:  # fmt: skip
            raise TableError(what, f"not a readable .xlsx workbook ({type(err).__name__}: {err})") from None
        title = ws.title
    finally:
        book.close()
    grid = _grid(rows)
    if grid is None:
        raise TableError(what, f"sheet {title!r} is empty")
    return grid


def _grid(rows: list[list[str]]) -> np.ndarray | None:
    """Rows of texts as a 2-D object array: blank rows dropped, short rows padded, and
    columns blank in every row past the last filled one dropped; None when nothing is left."""
    rows = [r for r in rows if any(r)]
    if not rows:
        return None
    width = max(max((j + 1 for j, t in enumerate(r) if t), default=0) for r in rows)
    grid = np.full((len(rows), width), "", dtype=object)
    for i, r in enumerate(rows):
        cells = r[:width]
        grid[i, : len(cells)] = cells
    return grid


_QUOTED = re.compile(r'"([^"]*)"')
_CURRENCY = re.compile(r"\[\$([^\]-]*)(?:-[^\]]*)?\]")
_BRACKETS = re.compile(r"\[[^\]]*\]")
_PLACEHOLDERS = re.compile(r"[#0?,]*[0#?](?:\.[0#?]*)?|\.[0#?]+")


def excel_text(value: Any, number_format: str | None = "General") -> str:
    """The text Excel shows for a cell's ``value`` under its ``number_format`` (the
    common formats: General, integers, fixed decimals, thousands separators,
    percentages, currency symbols, dates and times; others as General).

    >>> [excel_text(v, f) for v, f in [(3, "General"), (2.5, "0.00"), (1234567, "#,##0"), (0.256, "0.0%")]]
    ['3', '2.50', '1,234,567', '25.6%']
    >>> excel_text(dt.datetime(2012, 1, 31), "yyyy-mm-dd h:mm"), excel_text(dt.datetime(2012, 1, 31), "mm-dd-yy")
    ('2012-01-31', '2012-01-31')
    """
    fmt = number_format or "General"
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) or not _shows_time(fmt):
            return value.date().isoformat()
        return f"{value.date().isoformat()} {_time_text(value.time())}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _time_text(value)
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (int, float)):
        return _number_text(value, fmt)
    return str(value)


def _shows_time(fmt: str) -> bool:
    core = _BRACKETS.sub("", _QUOTED.sub("", fmt)).lower()
    return "h" in core or "s" in core


def _time_text(t: dt.time) -> str:
    return t.strftime("%H:%M" if t.second == 0 and t.microsecond == 0 else "%H:%M:%S")


def _general_number(value: int | float) -> str:
    if isinstance(value, int) or (value == value and abs(value) < 1e15 and float(value).is_integer()):
        return str(int(value))
    return f"{value:.15g}"  # Excel shows at most 15 significant digits


def _number_text(value: int | float, fmt: str) -> str:
    section = fmt.split(";")[0]
    if section.strip().lower() in ("general", "@", ""):
        return _general_number(value)
    literal = _CURRENCY.sub(lambda m: m.group(1), section)
    literal = _QUOTED.sub(lambda m: m.group(1).replace("0", "\x00"), literal)  # quoted text is shown as is
    literal = _BRACKETS.sub("", literal)
    literal = re.sub(r"\\(.)", lambda m: "\x00" if m.group(1) == "0" else m.group(1), literal)
    literal = re.sub(r"_.", " ", literal).replace("*", "")
    if re.search(r"[eE][+-]|/|[ymdhsYMDHS]", _QUOTED.sub("", _BRACKETS.sub("", section))):
        return _general_number(value)  # scientific, fractions, dates: General
    match = _PLACEHOLDERS.search(literal)
    if match is None:
        return _general_number(value)
    pattern = match.group(0)
    decimals = len(pattern.split(".", 1)[1]) if "." in pattern else 0
    x = float(value) * (100 if "%" in literal else 1)
    comma = "," if "," in pattern.split(".")[0].strip(",") else ""
    text = f"{x:{comma}.{decimals}f}"
    out = literal[: match.start()] + text + literal[match.end() :]
    return out.replace("\x00", "0").strip()


# --------------------------------------------------------------------------- Parquet


def read_parquet(data: bytes, what: str) -> np.ndarray:
    """A Parquet file's columns as display texts (header row first); :class:`TableError`
    for a broken file, no columns, no rows, or a nested column (list, struct, map)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError, EOFError) as err:
        raise TableError(what, f"not a readable Parquet file ({err})") from None
    if table.num_columns == 0:
        raise TableError(what, "no columns")
    if table.num_rows == 0:
        raise TableError(what, "no rows (an empty Parquet file)")
    grid = np.empty((table.num_rows + 1, table.num_columns), dtype=object)
    grid[0] = [str(n) for n in table.column_names]
    for j, (name, column) in enumerate(zip(table.column_names, table.columns)):
        grid[1:, j] = arrow_texts(column, what, str(name))
    return grid


def arrow_texts(column: Any, what: str, name: str) -> np.ndarray:
    """A pyarrow column as display texts (object array, nulls as ""): numbers in
    their shortest form (``3``, ``2.5``), timestamps as dates when every time is
    midnight, booleans ``true``/``false``; nested types are refused."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = kind.value_type
    if pa.types.is_nested(kind):
        raise TableError(what, f"column {name!r} is nested ({kind}); npqa reads flat columns of numbers, text and dates")
    if pa.types.is_null(kind):
        return np.full(len(column), "", dtype=object)
    if pa.types.is_timestamp(kind):
        local = pc.local_timestamp(column) if kind.tz is not None else column  # the wall-clock time
        dates = pc.cast(local, pa.date32())
        midnight = pc.all(pc.equal(pc.cast(pc.cast(dates, local.type), pa.int64()), pc.cast(local, pa.int64()))).as_py()
        whole_minutes = pc.all(pc.equal(pc.cast(local, pa.int64()), pc.cast(pc.floor_temporal(local, unit="minute"), pa.int64()))).as_py()
        if midnight is not False:
            column = pc.cast(dates, pa.string())
        else:
            column = pc.strftime(local, format="%Y-%m-%d %H:%M" if whole_minutes is not False else "%Y-%m-%d %H:%M:%S")
    elif pa.types.is_time(kind) or pa.types.is_duration(kind):
        return np.array(["" if v is None else _scalar_text(v) for v in column.to_pylist()] or [], dtype=object)
    elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return np.array(["" if v is None else v.decode("utf-8", "replace") for v in column.to_pylist()], dtype=object)
    elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        try:
            column = pc.cast(column, pa.string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            return np.array(["" if v is None else _scalar_text(v) for v in column.to_pylist()], dtype=object)
    texts = pc.fill_null(column, "").to_numpy(zero_copy_only=False)
    return np.asarray(texts, dtype=object)


def _scalar_text(value: Any) -> str:
    if isinstance(value, dt.time):
        return _time_text(value)
    return str(value)


# --------------------------------------------------------------------------- JSON


def read_json_records(data: bytes, what: str, encoding: str | None = None, guessed: bool = False) -> np.ndarray | None:
    """JSON records (a list of objects, or JSON lines) as a grid: one column per key
    in first-seen order, numbers as written, ``true``/``false``, null as "".

    ``guessed``: the kind was guessed from a leading ``[`` or ``{``; text that does
    not decode or parse as JSON then gives None (it is read as CSV) instead of an error.
    """
    try:
        text = data.decode(encoding) if encoding else _json_text(data)
    except LookupError:
        raise TableError(what, f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as err:
        if guessed:
            return None
        raise TableError(what, f"JSON that is not {encoding or 'UTF-8'} (byte {err.start}); pass --encoding") from None
    try:
        records = _parse_json(text.removeprefix("\ufeff"))
    except (ValueError, RecursionError) as err:
        if guessed:
            return None
        raise TableError(what, f"not valid JSON ({err})") from None
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise TableError(what, "JSON that is not a list of records (objects such as {\"City\": \"Oslo\"})")
    if not records:
        raise TableError(what, "no rows (an empty list of records)")
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    if not keys:
        raise TableError(what, "no columns (every record is empty)")
    grid = np.full((len(records) + 1, len(keys)), "", dtype=object)
    grid[0] = list(keys)
    index = {k: j for j, k in enumerate(keys)}
    for i, record in enumerate(records, start=1):
        for key, value in record.items():
            grid[i, index[key]] = _json_text_of(value, what, i, key)
    return grid


def _json_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


class _Number(str):
    """A JSON number kept as written (``2.50`` stays ``2.50``)."""


def _parse_json(text: str) -> Any:
    """A JSON document, or JSON lines (one value per non-blank line) as a list."""
    try:
        return json.loads(text, parse_float=_Number, parse_int=_Number, parse_constant=_Number)
    except json.JSONDecodeError as err:
        if not err.msg.startswith("Extra data"):
            raise
    return [json.loads(line, parse_float=_Number, parse_int=_Number, parse_constant=_Number)
            for line in text.splitlines() if line.strip()]  # fmt: skip


def _json_text_of(value: Any, what: str, row: int, key: str) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        raise TableError(what, f"record {row}, key {key!r} holds a nested {'object' if isinstance(value, dict) else 'list'}; npqa reads flat records")
    return str(value)
