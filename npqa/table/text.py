"""Text normalisation: every place that decides what "the same words" means.

* :func:`collapse_whitespace` makes a cell's display text;
* :func:`match_text` gives the words the word-match op, the question linker and
  the SQL of word-match compare (lower-case ASCII, diacritics dropped), so the
  three can never disagree; :func:`match_words`, :func:`padded`,
  :func:`stem` and the stop words build on it;
* the fast versions beside it compute the same for many texts at once:
  :func:`match_lines` (one byte string for a column), :func:`normalise_lines`,
  and, for pyarrow arrays, :func:`latin_match_text` and :func:`match_blob`.
  Tests check each against :func:`match_text`.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

def collapse_whitespace(text: str) -> str:
    """Runs of any whitespace (newlines, tabs, NBSP) become one space; ends trimmed."""
    return " ".join(text.split())


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """``text`` with its ASCII letters lower-cased and nothing else changed (what
    pyarrow's ``ascii_lower`` does, so both readers compare texts alike)."""
    return text.translate(_ASCII_LOWER)


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


STOP_WORDS = frozenset(
    """a an the of in on at to for from by with and or as is are was were be been being
    am do does did has have had having what which who whom whose when where why how
    many much that this these those it its he she his her him they them their there
    i me my we our you your s than then if but so not any all each some other only
    same more most less least after before during between into over under up out
    about per can could will would should also did done get got""".split()
)

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
    """The words ``text`` is matched by: those of :func:`match_text`
    (with a fast path for ASCII text, where that is the runs of ``[0-9a-z]``)."""
    if text.isascii():
        return tuple(_ASCII_WORD.findall(text.lower()))
    return tuple(match_text(text).split())


def content_words(words: Iterable[str]) -> list[str]:
    """The words that are not stop words."""
    return [w for w in words if w not in STOP_WORDS]


@lru_cache(maxsize=1 << 18)
def counted_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """The distinct content words of ``words``, or all distinct words if none is content."""
    return tuple(dict.fromkeys([w for w in words if w not in STOP_WORDS] or words))


# --------------------------------------------------------------------------- many texts at once

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
    :func:`match_text` one by one.
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


def latin_match_text(texts: "pa.StringArray") -> "pa.StringArray":
    """:func:`match_text` of texts whose characters all lie below U+0250
    (ASCII and accented Latin), by kernels: lower-case, NFKD, combining marks
    dropped (below U+0250 every mark NFKD makes is U+0300–U+036F, nonzero
    combining class), other characters to spaces. Tests compare it with
    ``match_text`` on random text of that range."""
    import pyarrow.compute as pc

    decomposed = pc.utf8_normalize(pc.utf8_lower(texts), "NFKD")
    bare = pc.replace_substring_regex(decomposed, r"[\x{300}-\x{36f}]", "")
    return pc.utf8_trim(pc.replace_substring_regex(bare, "[^0-9a-z]+", " "), " ")


def match_blob(arr: "pa.StringArray") -> bytes:
    """:func:`match_lines` of the array's (collapsed) texts, from its
    UTF-8 buffer: joined by one kernel, then the same C-speed bytes operations
    (only non-ASCII texts go through :func:`match_text` one by one)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    non_ascii = np.asarray(pc.invert(pc.string_is_ascii(arr)).to_numpy(zero_copy_only=False), dtype=bool)
    if non_ascii.any():
        latin = non_ascii & ~np.asarray(pc.match_substring_regex(arr, r"[^\x00-\x{24f}]").to_numpy(zero_copy_only=False))
        if latin.any():  # accented Latin text: match_text by kernels
            arr = pc.replace_with_mask(arr, pa.array(latin), latin_match_text(arr.filter(pa.array(latin))))
        other = non_ascii & ~latin
        if other.any():  # any other script: match_text once per distinct text
            encoded = arr.filter(pa.array(other)).dictionary_encode()
            fixed = [match_text(t).replace("\n", " ") for t in encoded.dictionary.to_pylist()]
            arr = pc.replace_with_mask(arr, pa.array(other), pa.array(fixed, type=pa.string()).take(encoded.indices))
    whole = pa.ListArray.from_arrays(pa.array([0, len(arr)], type=pa.int32()), arr)
    joined = pc.binary_join(whole, "\n")[0].as_buffer().to_pybytes()  # texts[0] + "\n" + texts[1] + …
    return normalise_lines(joined)
