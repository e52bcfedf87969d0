"""Text normalisation for matching question words against cells.

One function decides what "the same words" means for the word-match op, the
question linker and the SQL that renders word-match, so the three can never
disagree.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_WORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1 << 18)
def match_text(text: str) -> str:
    """Lower-cased ASCII words of ``text`` joined by single spaces.

    Diacritics are dropped (NFKD), every run of characters other than
    ``[0-9a-z]`` becomes one space.

    >>> match_text("  Zürich–Los Angeles (CA) ")
    'zurich los angeles ca'
    """
    decomposed = unicodedata.normalize("NFKD", text.lower())
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", ascii_only).strip()


def padded(text: str) -> str:
    """``match_text`` with one space on each side, so that word containment is
    plain substring search: ``" los angeles "`` in ``" los angeles lakers "``."""
    return f" {match_text(text)} "
