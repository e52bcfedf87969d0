"""Text normalisation: every place that decides what "the same words" means.

* :func:`collapse_whitespace` makes a cell's display text;
* :func:`match_text` gives the words the word-match op, the question linker and
  the SQL of word-match compare (lower-case ASCII, diacritics dropped), so the
  three can never disagree; :func:`match_words`, :func:`padded`,
  :func:`stem` and the stop words build on it;
* linking that forgives compares *keys* rather than words: :func:`word_keys`
  (abbreviations such as ``dept``/``st``/``jan``, irregular forms such as
  ``won``/``men``, then :func:`stem`), :func:`name_words` (a header's words:
  ``camelCase`` split, unit words such as ``(m)`` or ``_kg`` left out) and
  :func:`within_one_edit` (typos);
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
    """A light suffix stemmer for matching names: plurals, ``-ing``, ``-ed`` (a doubled
    final consonant undoubled: ``scrapped`` → ``scrap``), ``-men`` → ``-man``.

    >>> [stem(w) for w in ["years", "matches", "countries", "played", "goals", "class", "scrapped", "freshmen"]]
    ['year', 'match', 'country', 'play', 'goal', 'class', 'scrap', 'freshman']
    """
    if len(word) > 4 and word.endswith("men"):
        return word[:-3] + "man"
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            if word[-1] == word[-2] and word[-1] in "bdgmnprt":
                word = word[:-1]
            return word
    return word


ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    **{m[:3]: (m,) for m in "january february march april june july august september october november december".split()},
    "sept": ("september",),
    **{d[:3]: (d,) for d in "monday tuesday wednesday thursday friday saturday sunday".split()},
    "tues": ("tuesday",), "thur": ("thursday",), "thurs": ("thursday",),
    "st": ("saint", "street"), "ste": ("sainte",), "mt": ("mount",), "ft": ("fort", "feet"), "pt": ("point",),
    "ave": ("avenue",), "av": ("avenue",), "rd": ("road",), "blvd": ("boulevard",), "hwy": ("highway",),
    "dept": ("department",), "univ": ("university",), "intl": ("international",), "natl": ("national",),
    "govt": ("government",), "assn": ("association",), "dist": ("district",), "co": ("company", "county"),
    "corp": ("corporation",), "inc": ("incorporated",), "ltd": ("limited",), "bros": ("brothers",),
    "jr": ("junior",), "sr": ("senior",), "dr": ("doctor", "drive"), "gen": ("general",), "lt": ("lieutenant",),
    "capt": ("captain",), "col": ("colonel",), "sgt": ("sergeant",), "pres": ("president",), "gov": ("governor",),
    "sen": ("senator",), "rep": ("representative",), "dem": ("democrat", "democratic"), "ind": ("independent",),
    "no": ("number",), "nos": ("number",), "num": ("number",), "pos": ("position",), "pts": ("points",),
    "pop": ("population",), "avg": ("average",), "yr": ("year",), "yrs": ("year",), "hr": ("hour",),
    "hrs": ("hour",), "min": ("minute",), "mins": ("minute",), "sec": ("second",), "secs": ("second",),
    "apps": ("appearances",), "gls": ("goals",), "att": ("attendance",), "pct": ("percent",),
    "elev": ("elevation",), "est": ("established",), "vs": ("versus",),
}  # fmt: skip
"""Short forms and the words they stand for (lower-case match words, no dots):
day and month names, place and title words, usual header abbreviations."""

DEMONYMS: dict[str, tuple[str, ...]] = {
    "american": ("usa", "america"), "canadian": ("canada",), "british": ("uk", "gbr", "britain"),
    "english": ("england",), "scottish": ("scotland",), "welsh": ("wales",), "irish": ("ireland", "irl"),
    "german": ("germany", "ger"), "french": ("france", "fra"), "italian": ("italy", "ita"),
    "spanish": ("spain", "esp"), "portuguese": ("portugal",), "dutch": ("netherlands", "ned"),
    "belgian": ("belgium",), "swiss": ("switzerland", "sui"), "austrian": ("austria", "aut"),
    "swedish": ("sweden", "swe"), "norwegian": ("norway",), "danish": ("denmark",),
    "finnish": ("finland",), "icelandic": ("iceland", "isl"), "polish": ("poland", "pol"),
    "czech": ("czechoslovakia", "cze"), "slovak": ("slovakia", "svk"), "hungarian": ("hungary", "hun"),
    "romanian": ("romania", "rou"), "bulgarian": ("bulgaria", "bul"), "greek": ("greece", "gre"),
    "turkish": ("turkey", "tur"), "russian": ("russia", "rus"), "ukrainian": ("ukraine", "ukr"),
    "serbian": ("serbia", "srb"), "croatian": ("croatia", "cro"), "slovenian": ("slovenia", "slo"),
    "estonian": ("estonia",), "latvian": ("latvia",), "lithuanian": ("lithuania", "ltu"),
    "japanese": ("japan", "jpn"), "chinese": ("china", "chn"), "korean": ("korea", "kor"),
    "indian": ("india",), "thai": ("thailand", "tha"), "vietnamese": ("vietnam",),
    "filipino": ("philippines", "phi"), "indonesian": ("indonesia",), "australian": ("australia", "aus"),
    "brazilian": ("brazil", "bra"), "mexican": ("mexico", "mex"), "argentine": ("argentina",),
    "argentinian": ("argentina",), "chilean": ("chile",), "colombian": ("colombia",),
    "peruvian": ("peru",), "venezuelan": ("venezuela",), "cuban": ("cuba", "cub"),
    "jamaican": ("jamaica",), "kenyan": ("kenya",), "ethiopian": ("ethiopia", "eth"),
    "nigerian": ("nigeria", "ngr"), "egyptian": ("egypt", "egy"), "moroccan": ("morocco",),
    "israeli": ("israel", "isr"), "iranian": ("iran", "iri"), "pakistani": ("pakistan", "pak"),
}  # fmt: skip
"""Nationality words and the country names and codes they stand for ("how many
canadian players" links to ``Canada``, "american" to ``USA``): one-word names only,
since a question word stands for one cell word; a country's three-letter code
only when it is no English word or abbreviation (``GER``, not ``NOR`` or ``PER``)."""

IRREGULAR: dict[str, str] = {
    "won": "win", "lost": "lose", "ran": "run", "led": "lead", "held": "hold", "began": "begin", "begun": "begin",
    "gave": "give", "given": "give", "took": "take", "taken": "take", "went": "go", "gone": "go", "came": "come",
    "made": "make", "built": "build", "wrote": "write", "written": "write", "sang": "sing", "sung": "sing",
    "drove": "drive", "driven": "drive", "chose": "choose", "chosen": "choose", "became": "become", "did": "do",
    "done": "do", "had": "have", "has": "have", "got": "get", "beat": "beat", "beaten": "beat", "fought": "fight",
    "sold": "sell", "bought": "buy", "told": "tell", "left": "leave", "met": "meet", "paid": "pay", "fell": "fall",
    "fallen": "fall", "flew": "fly", "flown": "fly", "grew": "grow", "grown": "grow", "knew": "know",
    "known": "know", "rode": "ride", "ridden": "ride", "rose": "rise", "risen": "rise", "saw": "see", "seen": "see",
    "spoke": "speak", "spoken": "speak", "stood": "stand", "struck": "strike", "swam": "swim", "swum": "swim",
    "threw": "throw", "thrown": "throw", "wore": "wear", "worn": "wear", "children": "child", "people": "person",
    "feet": "foot", "teeth": "tooth", "mice": "mouse", "geese": "goose", "lives": "life", "wives": "wife",
    "leaves": "leaf", "halves": "half", "wolves": "wolf", "knives": "knife", "shelves": "shelf", "indices": "index",
    "criteria": "criterion", "phenomena": "phenomenon", "media": "medium", "alumni": "alumnus",
}  # fmt: skip
"""Irregular forms and their dictionary word (what :func:`stem` cannot undo)."""


@lru_cache(maxsize=1 << 16)
def word_keys(word: str) -> frozenset[str]:
    """The keys a match word is compared by when linking forgives: its :func:`stem`
    (after :data:`IRREGULAR`), and the stems of the words it may abbreviate
    (:data:`ABBREVIATIONS`) or the countries a nationality word names
    (:data:`DEMONYMS`); a final ``e`` is dropped from each so ``produce`` and
    ``produced`` meet. Two words are the same word for linking when their keys meet.

    >>> sorted(word_keys("st")), sorted(word_keys("saint")), sorted(word_keys("won"))
    (['saint', 'st', 'street'], ['saint'], ['win'])
    """
    forms = (word, *ABBREVIATIONS.get(word, ()), *DEMONYMS.get(word, DEMONYMS.get(stem(word), ())))
    keys = set()
    for form in forms:
        key = stem(IRREGULAR.get(form, form))
        keys.add(key[:-1] if len(key) > 4 and key.endswith("e") else key)
    return frozenset(keys)


UNIT_WORDS = frozenset(
    """m km cm mm kg g lb lbs ft mi mph kmh km2 m2 sq h s sec secs min mins hr hrs usd eur gbp pct kw hp ps cc
    l ml cm3 mw gw kwh""".split()
)
"""Unit words a header may carry (``Height (m)``, ``weight_kg``): left out of its name words."""

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@lru_cache(maxsize=1 << 16)
def name_words(name: str) -> tuple[str, ...]:
    """The words a header is matched by, word by word: ``camelCase`` and
    ``HTTPServer`` split, then its match words (so ``snake_case`` and ``ALL_CAPS``
    split too), stop words and unit words left out when other words remain.

    >>> name_words("totalPoints"), name_words("HEIGHT_M"), name_words("Weight (kg)"), name_words("No.")
    (('total', 'points'), ('height',), ('weight',), ('no',))
    """
    words = match_words(_CAMEL.sub(" ", name))
    content = tuple(w for w in words if w not in STOP_WORDS) or words
    return tuple(w for w in content if w not in UNIT_WORDS) or content


def within_one_edit(a: str, b: str) -> bool:
    """``a`` becomes ``b`` by at most one insertion, deletion, substitution or swap of
    two neighbouring letters."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True  # one substitution
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]  # a swap
    return a[i:] == b[i + 1 :]  # one insertion into a


def one_edit_deletes(word: str) -> set[str]:
    """``word`` and every string one deletion away: two words within one edit
    share one of these (how a column's words are indexed for typos)."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


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
