"""Lexical triggers: which ops a question's words make plausible (a training prior).

Many consistent programs reach a gold answer by accident (a median of about
2,200 per dev question). MAPO (Liang et al. 2018) and Pasupat & Liang (2015)
pruned such programs with simple lexical rules: an op is used only when some
word that can trigger it is in the question. The table below was written from
reading questions of ``random-split-1-train`` (never from the hand-written dev
programs, which are evaluation only). Ops it does not list (``reset``,
``keep``, ``word_match``, ``equal``, ``print``) need no trigger.

>>> untriggered_ops(("count", "argmax"), "how many teams scored the most goals?".split())
0
>>> untriggered_ops(("count", "first"), "how many teams scored goals?".split())
1
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

_COMPARE_MORE = "more over above greater larger higher bigger exceed exceeded exceeding exceeds after since least beyond later older longer plus".split()
_COMPARE_LESS = "less under below fewer lower smaller before prior most earlier younger shorter within until".split()
_SUPERLATIVE = """most least highest lowest largest smallest biggest longest shortest greatest top best worst
    max min maximum minimum latest earliest first last newest oldest youngest recent fewest fastest slowest tallest
    heaviest lightest more less fewer higher lower larger smaller bigger longer shorter greater better worse older
    younger earlier later faster slower farther further closer deepest lead leading record peak""".split()
_ORDER = """first last top bottom listed list beginning end final initial earliest latest before after next
    previous preceding following above below prior then subsequent succeeded succeeding followed follows follow
    came come comes preceded precedes precede immediately directly consecutive row order""".split()
_NEIGHBOUR = """before after next previous preceding following above below prior then subsequent succeeded
    succeeding followed follows follow preceded precedes precede immediately directly later earlier behind ahead
    between""".split()

TRIGGERS: dict[str, frozenset[str]] = {
    name: frozenset(words)
    for name, words in {
        "count": "how many number count times often total amount".split(),
        "sum": "total sum combined altogether all overall cumulative together both".split(),
        "average": "average mean per typical".split(),
        "difference": """difference more less fewer than between apart longer shorter margin after before higher
            lower bigger larger smaller older younger gap increase decrease separate separated differ far long many
            much""".split(),
        "argmax": _SUPERLATIVE,
        "argmin": _SUPERLATIVE,
        "mode": "most often frequent frequently common commonly majority popular times usually mostly".split(),
        "first": _ORDER,
        "last": _ORDER,
        "previous": _NEIGHBOUR,
        "next": _NEIGHBOUR,
        "greater": _COMPARE_MORE,
        "geq": _COMPARE_MORE + ["least"],
        "less": _COMPARE_LESS,
        "leq": _COMPARE_LESS + ["most"],
        "also_match": "or and both either combined together between than compared vs versus total respectively".split(),
        "not_match": "not other than besides except excluding without apart non neither nor but aside outside".split(),
        "nonempty": "listed known recorded have has had with any given available a an".split(),
        "same_as": "same as also equal too likewise identical shared share both".split(),
        "more_than": _COMPARE_MORE + ["than"],
        "less_than": _COMPARE_LESS + ["than"],
        "count_distinct": "different distinct unique various kinds types separate individual".split(),
        "exists": "did does do ever any yes no true false whether".split(),
        "longest_run": "consecutive consecutively consective successive streak straight row".split(),
    }.items()
}


def _suffix_superlative(word: str) -> bool:
    return len(word) > 4 and word.endswith("est")


def triggered(op: str, words: Iterable[str]) -> bool:
    """Whether ``op`` is plausible for a question with these (lower-case) words."""
    want = TRIGGERS.get(op)
    if want is None:
        return True
    words = list(words)
    if any(w in want for w in words):
        return True
    return op in ("argmax", "argmin") and any(_suffix_superlative(w) for w in words)


def untriggered_ops(ops: Sequence[str], words: Sequence[str]) -> int:
    """How many of a program's ``ops`` no word of the question triggers."""
    return sum(not triggered(op, words) for op in ops)
