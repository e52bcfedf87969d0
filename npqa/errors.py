"""Named errors. Each is an *input* problem the user can fix; the CLI turns
them into one line ``error: <what>: <problem>`` and exit status 2.

Anything that is not an :class:`NpqaError` is a bug and exits 1.
"""
from __future__ import annotations


class NpqaError(Exception):
    """Base of every named input error.

    ``what`` names the thing at fault (a file path, "question", "program"),
    ``problem`` says what is wrong with it.
    """

    def __init__(self, what: str, problem: str) -> None:
        super().__init__(f"{what}: {problem}")
        self.what = what
        self.problem = problem


class TableError(NpqaError):
    """A table that cannot be read: missing, empty, binary, no rows/columns."""


class QuestionError(NpqaError):
    """A question that cannot be used (empty, no words)."""


class DataError(NpqaError):
    """A data set file (WTQ-style TSV, prediction file) with the wrong shape."""


class ProgramError(NpqaError):
    """A program that does not parse or does not type-check."""


class ModelError(NpqaError):
    """A model directory that is not a usable npqa model."""


class OutputError(NpqaError):
    """An output file (predictions, HTML, database) that cannot be written."""


class OptionError(NpqaError):
    """A command-line option whose value npqa does not know."""


class DependencyError(NpqaError):
    """A command that needs an optional library which is not installed (PyTorch to train)."""
