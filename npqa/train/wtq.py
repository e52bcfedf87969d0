"""Reading WikiTableQuestions-style TSVs (:class:`Example`) and the tables they refer to.

A data file has a header line naming at least ``id``, ``utterance``, ``context``
and ``targetValue`` (in any order; other columns are ignored) and one example per
line. Fields use WTQ's TSV escapes (``\\n`` newline, ``\\\\`` backslash, ``\\p``
pipe); ``targetValue`` joins several answers with ``|``, so it is split on ``|``
first and each item unescaped after. ``context`` is a table path relative to the
tables root, the folder that holds ``csv/``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from npqa.errors import DataError
from npqa.train.metric import unescape_tsv
from npqa.table.column import Table
from npqa.table.read import load_table

REQUIRED_COLUMNS = ("id", "utterance", "context", "targetValue")
__all__ = ["Example", "TableCache", "load_examples_with_tables", "read_examples", "split_answers", "unescape_tsv"]


@dataclass
class Example:
    """One question: its id, text, table path (``context`` as given) and gold answers."""

    id: str
    question: str
    table_path: str
    answers: list[str]


def split_answers(target_value: str) -> list[str]:
    """The gold items of a raw ``targetValue`` field: split on ``|``, then unescape each."""
    return [unescape_tsv(item) for item in target_value.split("|")]


def group_by_table(examples: list[Example]) -> dict[str, list[Example]]:
    """The examples grouped by their table (``table_path``), groups in order of first use,
    examples in file order: what asking table by table reads."""
    groups: dict[str, list[Example]] = {}
    for ex in examples:
        groups.setdefault(ex.table_path, []).append(ex)
    return groups


def read_examples(tsv_path: str | Path) -> list[Example]:
    """All examples of a WTQ-style TSV, in file order.

    Raises :class:`DataError` naming the file when it is missing, empty, lacks
    one of the required header columns, or has a line with the wrong number of
    fields.
    """
    what = str(tsv_path)
    lines = _read_lines(Path(tsv_path))
    header = lines[0].split("\t")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DataError(what, f"header lacks column(s) {', '.join(missing)} (expected {' '.join(REQUIRED_COLUMNS)})")
    at = {name: header.index(name) for name in REQUIRED_COLUMNS}
    examples: list[Example] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != len(header):
            raise DataError(what, f"line {number}: expected {len(header)} tab-separated fields, got {len(fields)}")
        examples.append(
            Example(
                id=fields[at["id"]],
                question=unescape_tsv(fields[at["utterance"]]),
                table_path=unescape_tsv(fields[at["context"]]),
                answers=split_answers(fields[at["targetValue"]]),
            )
        )
    return examples


def _read_lines(path: Path) -> list[str]:
    what = str(path)
    if not path.is_file():
        raise DataError(what, "is a directory, not a data file" if path.is_dir() else "no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(what, f"not UTF-8 text (byte {err.start})") from err
    except OSError as err:
        raise DataError(what, f"cannot read ({err.strerror or err})") from err
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DataError(what, "empty file (no header line)")
    return lines


@dataclass
class TableCache:
    """Loads each table of a tables root at most once, keyed by its ``context`` path."""

    tables_root: Path
    tables: dict[str, Table] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tables_root = Path(self.tables_root)

    def get(self, table_path: str, example_id: str | None = None) -> Table:
        """The table at ``tables_root / table_path``; :class:`DataError` if the file is missing."""
        table = self.tables.get(table_path)
        if table is None:
            full = self.tables_root / table_path
            if not full.is_file():
                used_by = f" (used by example {example_id})" if example_id else ""
                raise DataError(str(full), f"table file not found{used_by}")
            table = load_table(full)
            self.tables[table_path] = table
        return table


def load_examples_with_tables(tsv_path: str | Path, tables_root: str | Path) -> tuple[list[Example], dict[str, Table]]:
    """The examples of a TSV and every table they use, each table loaded once.

    The dict maps each example's ``table_path`` to its :class:`Table`.
    """
    examples = read_examples(tsv_path)
    cache = TableCache(Path(tables_root))
    for example in examples:
        cache.get(example.table_path, example.id)
    return examples, cache.tables
