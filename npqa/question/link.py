"""Reading a question against one table: string constants and match features.

:func:`link_question` adds to a parsed question (:mod:`npqa.question.parse`)
the table-aware part: *string constants* (question n-grams that match cells)
and the Neural Programmer's word-match features (question/column-name overlap,
question/cell overlap, constant/column agreement, the column names around each
number). :func:`read_question` is the whole chain from text to linked question.

"Matching words" means the words of :func:`npqa.table.text.match_text`
(lower-case ASCII, every other character a separator), the same test the
word-match op and its SQL use: a string constant matches a cell exactly when
the constant's words are a contiguous run of the cell's words.

Linking forgives the question's wording: a content word found in no cell is
read as the cell word it stands for (:meth:`npqa.table.index.TableIndex.forgiven`:
an inflection, abbreviation or nationality word, ``singles`` → ``single``,
``saint`` → ``st``, ``canadian`` → ``canada``; else
a typo one edit away, ``lodon`` → ``london``), and a string constant over it
holds the cell's words, so the word-match op and its SQL match them as they
are. A typo's constant gets a weaker column match (:data:`TYPO_MATCH`) in the
features the model reads. Column names are compared word by word
(:func:`npqa.table.text.name_words`) by :func:`npqa.table.text.word_keys`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from npqa.question.parse import Constant, Question, parse_question
from npqa.table.column import Table
from npqa.table.conventions import is_height
from npqa.table.index import TableIndex, cached_index, clear_index_cache
from npqa.table.text import STOP_WORDS, content_words, counted_words, match_words, name_words, stem, word_keys
from npqa.table.values import Date, read_height

MAX_NGRAM = 6  # longest question n-gram (in match words) tried against cells
TYPO_MATCH = 0.5  # constant/column match of a string linked through a typo (an exact link is 1)
MAX_STRING_CONSTANTS = 10  # linked string constants kept (quoted strings come on top)
CONTEXT_WINDOW = 3  # question tokens before a number/date read as its context


@dataclass
class LinkedQuestion:
    """A question read against one table: all constants and the match features.

    Q question tokens, R rows, C columns, K constants. Features are float32
    in [0, 1].
    """

    question: Question
    constants: list[Constant]  # (K,) question constants, then linked strings best first
    column_name_match: np.ndarray  # (C,) share of the column name's words in the question
    column_name_partial: np.ndarray  # (C,) same, counting 4-letter prefix matches too
    cell_match: np.ndarray  # (R, C) 1 if the cell equals a question n-gram, else share of its words in the question
    column_cell_match: np.ndarray  # (C,) max over rows of cell_match
    token_column_match: np.ndarray  # (Q, C) question token i is a word of column j's name
    token_cell_match: np.ndarray  # (Q, C) question token i is a word of some cell of column j
    constant_column_match: np.ndarray  # (K, C) constant k matches some cell of column j
    constant_context_column: np.ndarray  # (K, C) share of column j's name words just before number/date k


@lru_cache(maxsize=1 << 16)
def _token_info(token: str) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]:
    """A question token's match words, content match words and their keys (:func:`word_keys`)."""
    words = match_words(token)
    content = tuple(content_words(words))
    return words, content, frozenset(k for w in content for k in word_keys(w))


def clear_caches() -> None:
    """Forget every cached table index and word reading (benchmarks start cold)."""
    clear_index_cache()
    for cached in (match_words, stem, word_keys, name_words, counted_words, _token_info):
        cached.cache_clear()


@dataclass
class _QuestionWords:
    """The question's match words, each tied to the question token it came from."""

    words: list[str]  # match words in order
    token_of: list[int]  # (len(words),) question token of each word
    first: list[bool]  # (len(words),) word is the first of its token
    last: list[bool]  # (len(words),) word is the last of its token
    token_content: list[tuple[str, ...]]  # (Q,) content match words of each token
    token_keys: list[frozenset[str]]  # (Q,) their keys (word_keys)
    tokens: list[str]  # (Q,) the question's tokens
    via: list[str] = field(default_factory=list)  # (len(words),) "" or how a word was forgiven ("key", "typo")


def _question_words(question: Question) -> _QuestionWords:
    qw = _QuestionWords([], [], [], [], [], [], question.tokens)
    for i, token in enumerate(question.tokens):
        words, content, keys = _token_info(token)
        for k, w in enumerate(words):
            qw.words.append(w)
            qw.token_of.append(i)
            qw.first.append(k == 0)
            qw.last.append(k == len(words) - 1)
        qw.token_content.append(content)
        qw.token_keys.append(keys)
    qw.via = [""] * len(qw.words)
    return qw


def _forgive(qw: _QuestionWords, index: TableIndex, taken: set[int]) -> _QuestionWords:
    """``qw`` with each content word that no cell holds replaced by the cell word it
    stands for (:meth:`TableIndex.forgiven`), noting how in ``via``; words of tokens
    in ``taken`` (numbers, dates, quotes) are kept."""
    words, via = list(qw.words), list(qw.via)
    for k, w in enumerate(qw.words):
        if w in STOP_WORDS or w.isdigit() or qw.token_of[k] in taken or index.run_columns((w,)):
            continue
        hit = index.forgiven(w)
        if hit is not None:
            words[k], via[k] = hit
    if words == qw.words:
        return qw
    return replace(qw, words=words, via=via)


_NGram = tuple[tuple[str, ...], int, int, int]  # (match words, token start, token end, column bitmask)


def _span_via(qw: _QuestionWords, start: int, end: int) -> str:
    """How the words of tokens [start, end) were forgiven: "typo" if any was, else "key" if any was."""
    kinds = {v for v, t in zip(qw.via, qw.token_of) if start <= t < end}
    return "typo" if "typo" in kinds else "key" if "key" in kinds else ""


def _matching_ngrams(qw: _QuestionWords, index: TableIndex) -> list[_NGram]:
    """Every n-gram covering whole tokens whose words are a run of some cell's words."""
    n, found = len(qw.words), []
    for a in range(n):
        if not qw.first[a]:
            continue
        for b in range(a, min(a + MAX_NGRAM, n)):
            if not qw.last[b]:
                continue
            words = tuple(qw.words[a : b + 1])
            columns = index.run_columns(words)
            if not columns:
                break  # a longer n-gram from ``a`` cannot be a run either
            found.append((words, qw.token_of[a], qw.token_of[b] + 1, columns))
    return found


@dataclass
class _Candidate:
    start: int
    end: int
    match: str  # "exact" | "contained" | "partial"
    columns: int  # bitmask
    n_content: int
    via: str = ""  # "" | "key" | "typo" (_span_via)
    cell: str = ""  # a contained candidate's cell text (its value when the span's words are no run of it)

    def rank(self) -> tuple[int, int, int, int]:
        return (-self.n_content, self.via == "typo", -_MATCH_RANK[self.match], self.start)


_MATCH_RANK = {"exact": 2, "contained": 1, "partial": 0}


def link_question(
    question: Question,
    table: Table,
    *,
    index: TableIndex | None = None,
    max_strings: int = MAX_STRING_CONSTANTS,
) -> LinkedQuestion:
    """Read ``question`` against ``table``: add string constants and match features.

    ``index`` defaults to a cached :func:`index_table` of ``table``. At most
    ``max_strings`` linked string constants are kept, longest (in content
    words) first, then exact before contained before partial matches, never
    one inside another; quoted strings are always kept.
    """
    index = index if index is not None else cached_index(table)
    question = _durations_in_seconds(question, table)
    question = _heights_in_inches(question, table)
    asked = _question_words(question)
    taken = {t for c in question.constants for t in range(c.start, c.end)}
    qw = _forgive(asked, index, taken)
    ngrams = _matching_ngrams(qw, index)
    hits = _text_word_counts(index, qw.words)
    cell_match = _cell_match(index, ngrams, hits)  # (R, C)
    quoted = [c for c in question.constants if c.kind == "string"]
    candidates = _string_candidates(index, qw, ngrams, hits, quoted)
    strings = _select_strings(question, qw, index, candidates, max_strings)
    constants = question.constants + [s for s, _ in strings]
    string_columns = {id(s): cols for s, cols in strings}
    name_exact, name_partial = _name_match(index, frozenset(k for w in asked.words for k in word_keys(w)))
    return LinkedQuestion(
        question=question,
        constants=constants,
        column_name_match=name_exact,
        column_name_partial=name_partial,
        cell_match=cell_match,
        column_cell_match=cell_match.max(axis=0) if index.n_rows else np.zeros(index.n_cols, np.float32),
        token_column_match=_token_column_match(asked, index),
        token_cell_match=_token_cell_match(qw, index),
        constant_column_match=_constant_column_match(constants, index, string_columns),
        constant_context_column=_context_columns(asked, constants, index),
    )


SECONDS_PER_UNIT = {
    "second": 1.0, "seconds": 1.0, "sec": 1.0, "secs": 1.0,
    "minute": 60.0, "minutes": 60.0, "min": 60.0, "mins": 60.0,
    "hour": 3600.0, "hours": 3600.0, "hr": 3600.0, "hrs": 3600.0,
}  # fmt: skip


def _durations_in_seconds(question: Question, table: Table) -> Question:
    """``4 minutes`` as 240 when the table has a column of durations (whose numbers
    are seconds, :attr:`npqa.table.column.Column.duration_numbers`); else ``question``."""
    timed = [
        k
        for k, c in enumerate(question.constants)
        if c.kind == "number" and not c.ordinal and c.end < len(question.tokens) and question.tokens[c.end] in SECONDS_PER_UNIT
    ]
    if not timed or not any(col.duration_numbers for col in table.columns):
        return question
    constants = list(question.constants)
    for k in timed:
        c = constants[k]
        constants[k] = replace(c, value=float(c.value) * SECONDS_PER_UNIT[question.tokens[c.end]])  # type: ignore[arg-type]
    return replace(question, constants=constants)


def _heights_in_inches(question: Question, table: Table) -> Question:
    """``6' 3"`` (or ``6-3``) as one constant, 75, when the table has a column named
    for heights, whose feet and inches read as inches (:mod:`npqa.table.conventions`);
    else ``question``. Two number constants one token apart make a height when their
    text (with an inch mark after them) reads as one (:func:`npqa.table.values.read_height`:
    4 to 8 feet, a foot mark or a dash, then under 12 inches)."""
    if not any(is_height(col.name) for col in table.columns):
        return question
    tokens, old = question.tokens, question.constants
    constants: list[Constant] = []
    k = 0
    while k < len(old):
        feet, inches = old[k], old[k + 1] if k + 1 < len(old) else None
        if (
            inches is not None and feet.kind == inches.kind == "number" and not feet.ordinal and not inches.ordinal
            and inches.start == feet.end + 1
        ):  # fmt: skip
            end = inches.end + (inches.end < len(tokens) and tokens[inches.end] in INCH_MARKS)
            value = read_height(question.span_text(feet.start, end))
            if value is not None:
                constants.append(replace(feet, value=value, end=end, text=question.span_text(feet.start, end)))
                k += 2
                continue
        constants.append(feet)
        k += 1
    return question if len(constants) == len(old) else replace(question, constants=constants)


INCH_MARKS = frozenset({'"', "”", "″", "in"})


@dataclass
class _Hits:
    """Per column, the lines (distinct texts) with some counted word in the question."""

    lines: list[np.ndarray]  # (C,) each (H_j,) int64 sorted lines
    counts: list[np.ndarray]  # (C,) each (H_j,) int64 the line's counted words found in the question
    sizes: list[np.ndarray]  # (C,) each (H_j,) int64 the line's counted words


def _text_word_counts(index: TableIndex, words: list[str]) -> _Hits:
    """Per column, how many of each line's counted words occur in the question.

    A content word counts in every line holding it; a stop word only in lines
    made of stop words alone (where it is counted)."""
    hits = _Hits([], [], [])
    distinct_words = list(dict.fromkeys(words))
    for j in range(index.n_cols):
        cw = index.words(j)
        found = []
        for w in distinct_words:
            if not index.run_columns((w,)) >> j & 1:
                continue
            if w in STOP_WORDS:
                found.append(cw.stop_lines_with(w))
            else:
                found.append(cw.lines_with((w,)))
        lines, counts = np.unique(np.concatenate(found) if found else np.zeros(0, np.int64), return_counts=True)
        hits.lines.append(lines.astype(np.int64))
        hits.counts.append(counts.astype(np.int64))
        hits.sizes.append(np.array([len(cw.counted(int(t))) for t in lines], dtype=np.int64))
    return hits


def _cell_match(index: TableIndex, ngrams: list[_NGram], hits: _Hits) -> np.ndarray:
    out = np.zeros((index.n_rows, index.n_cols), dtype=np.float32)  # (R, C)
    for j in range(index.n_cols):
        cw = index.words(j)
        share = np.zeros(cw.n_lines, dtype=np.float32)  # (U,)
        share[hits.lines[j]] = hits.counts[j] / np.maximum(hits.sizes[j], 1)
        for words, _, _, columns in ngrams:
            if columns >> j & 1:
                share[cw.lines_with(words, exact=True)] = 1.0
        if share.any():
            out[:, j] = share[cw.codes]
    return out


def _string_candidates(
    index: TableIndex,
    qw: _QuestionWords,
    ngrams: list[_NGram],
    hits: _Hits,
    quoted: list[Constant],
) -> list[_Candidate]:
    """Question spans that match cells, one candidate per span (its best match)."""
    best: dict[tuple[int, int], _Candidate] = {}

    def offer(cand: _Candidate) -> None:
        if any(q.start <= cand.start and cand.end <= q.end for q in quoted):
            return
        old = best.get((cand.start, cand.end))
        if old is None or _MATCH_RANK[cand.match] > _MATCH_RANK[old.match]:
            best[(cand.start, cand.end)] = cand
        elif _MATCH_RANK[cand.match] == _MATCH_RANK[old.match]:
            old.columns |= cand.columns

    for words, start, end, columns in ngrams:
        content = content_words(words)
        if not content or all(w.isdigit() for w in words) and not any(":" in qw.tokens[t] for t in range(start, end)):
            continue  # digits alone are number constants; a time such as 1:57.08 also links as a string
        via = _span_via(qw, start, end)
        if index.has_exact(words):
            offer(_Candidate(start, end, "exact", columns, len(content), via))
        elif words[0] not in STOP_WORDS and words[-1] not in STOP_WORDS and (not via or len(content) >= 2):
            # a forgiven word alone links only to a whole cell: "cities" is no constant for "Mexico City"
            offer(_Candidate(start, end, "partial", columns, len(content), via))
    for cand in _contained_candidates(index, qw, hits):
        offer(cand)
    return sorted(best.values(), key=_Candidate.rank)


MAX_CONTAINED = 64  # texts tried as "contained" candidates, in column then first-appearance order


def _contained_candidates(index: TableIndex, qw: _QuestionWords, hits: _Hits) -> list[_Candidate]:
    """Texts of two or more content words all found in the question, close together
    (within two extra tokens): the span from their first to their last word."""
    position: dict[str, int] = {}
    for k, w in enumerate(qw.words):
        position.setdefault(w, k)
    found: list[_Candidate] = []
    tried = 0
    for j in range(index.n_cols):
        full = hits.lines[j][(hits.counts[j] == hits.sizes[j]) & (hits.sizes[j] >= 2)]  # (T',)
        if not len(full):
            continue
        cw = index.words(j)
        seen: set[str] = set()
        for t in full:
            text = cw.distinct[t]
            if text in seen:  # the same text again (two raw spellings of one display text)
                continue
            seen.add(text)
            if tried >= MAX_CONTAINED:
                return found
            tried += 1
            words = cw.counted(int(t))
            if any(w in STOP_WORDS for w in words):
                continue
            where = [position[w] for w in words]
            start, end = qw.token_of[min(where)], qw.token_of[max(where)] + 1
            if end - start <= len(words) + 2:
                found.append(_Candidate(start, end, "contained", 1 << j, len(words), _span_via(qw, start, end), text))
    return found


def _select_strings(
    question: Question, qw: _QuestionWords, index: TableIndex, candidates: list[_Candidate], limit: int
) -> list[tuple[Constant, int]]:
    """The best ``limit`` candidates, skipping spans inside an already chosen span. A
    candidate's value is the question's text, or, when a word of it was forgiven,
    the (cell) words it was read as (for a contained candidate whose words are no
    run of a cell, that cell's text)."""
    chosen: list[tuple[Constant, int]] = []
    for cand in candidates:
        if len(chosen) >= limit:
            break
        if any(c.start <= cand.start and cand.end <= c.end for c, _ in chosen):
            continue
        text = question.span_text(cand.start, cand.end)
        value = text
        if cand.via:
            value = " ".join(w for w, t in zip(qw.words, qw.token_of) if cand.start <= t < cand.end)
            if cand.match == "contained" and not index.run_columns(match_words(value)):
                value = cand.cell  # the cell's words, all in the question but not in its order
        constant = Constant("string", value, cand.start, cand.end, text, match=cand.match, via=cand.via)
        chosen.append((constant, cand.columns))
    return chosen


def _name_match(index: TableIndex, q_keys: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    """(C,), (C,): share of each column name's words (:func:`name_words`) whose keys
    meet the question's keys, and the same share when a shared 4-letter prefix of a
    key also counts."""
    prefixes = {k[:4] for k in q_keys if len(k) >= 4}
    exact = np.zeros(index.n_cols, dtype=np.float32)  # (C,)
    partial = np.zeros(index.n_cols, dtype=np.float32)  # (C,)
    for j, names in enumerate(index.name_keys):
        if names:
            hit = [bool(keys & q_keys) for keys in names]
            exact[j] = sum(hit) / len(names)
            near = [h or any(len(k) >= 4 and k[:4] in prefixes for k in keys) for h, keys in zip(hit, names)]
            partial[j] = sum(near) / len(names)
    return exact, partial


def _token_column_match(qw: _QuestionWords, index: TableIndex) -> np.ndarray:
    masks = [
        sum(1 << j for j, names in enumerate(index.name_keys) if any(keys & n for n in names)) if keys else 0
        for keys in qw.token_keys
    ]
    return _bit_rows(masks, index.n_cols)  # (Q, C)


def _token_cell_match(qw: _QuestionWords, index: TableIndex) -> np.ndarray:
    masks = []
    for words in qw.token_content:
        mask = 0
        for w in words:
            mask |= index.run_columns((w,))
        masks.append(mask)
    return _bit_rows(masks, index.n_cols)  # (Q, C)


def _bit_rows(masks: list[int], n: int) -> np.ndarray:
    """(len(masks), n) float32 0/1: bit j of mask i at [i, j]."""
    if n <= 63:
        shifts = np.arange(n, dtype=np.int64)
        return ((np.asarray(masks, dtype=np.int64)[:, None] >> shifts) & 1).astype(np.float32).reshape(len(masks), n)
    return np.array([[(m >> j) & 1 for j in range(n)] for m in masks], dtype=np.float32).reshape(len(masks), n)


def _bits(mask: int, n: int) -> np.ndarray:
    """(n,) float32 0/1 of the low ``n`` bits of ``mask``."""
    return _bit_rows([mask], n)[0]


def _constant_column_match(constants: list[Constant], index: TableIndex, string_columns: dict[int, int]) -> np.ndarray:
    """(K, C) constant k matches some cell of column j: an equal number, a date equal
    in its known parts, or (strings) a run of the cell's words; a linked string
    brings its columns from linking (``string_columns``, keyed by ``id``)."""
    out = np.zeros((len(constants), index.n_cols), dtype=np.float32)  # (K, C)
    for k, c in enumerate(constants):
        if c.kind == "number":
            out[k] = _number_columns(index, float(c.value))  # type: ignore[arg-type]
        elif c.kind == "date":
            out[k] = _date_columns(index, c.value)  # type: ignore[arg-type]
        else:
            mask = string_columns.get(id(c))
            out[k] = _bits(mask if mask is not None else _text_columns(index, str(c.value)), index.n_cols)
            if c.via == "typo":
                out[k] *= TYPO_MATCH
    return out


def _number_columns(index: TableIndex, value: float) -> np.ndarray:
    if not math.isfinite(value) or index.n_rows == 0:
        return np.zeros(index.n_cols, dtype=np.float32)
    return np.array([index.has_number(j, value) for j in range(index.n_cols)], dtype=np.float32)


def _date_columns(index: TableIndex, date: Date) -> np.ndarray:
    """(C,) the column has a cell date equal to ``date`` in its known parts; a year
    alone also matches a cell number equal to the year."""
    parts = (date.year, date.month, date.day)
    mask = (date.year is not None, date.month is not None, date.day is not None)
    if not any(mask):
        return np.zeros(index.n_cols, dtype=np.float32)
    known = tuple(p for p in parts if p is not None)
    out = np.array([known in index.date_keys(j, mask) for j in range(index.n_cols)], dtype=np.float32)  # (C,)
    if mask == (True, False, False):
        out = np.maximum(out, _number_columns(index, float(date.year)))  # type: ignore[arg-type]
    return out


def _text_columns(index: TableIndex, text: str) -> int:
    """Bitmask of the columns where ``text``'s words are a run of some cell's words."""
    words = match_words(text)
    return index.run_columns(words) if words else 0


def _context_columns(qw: _QuestionWords, constants: list[Constant], index: TableIndex) -> np.ndarray:
    """(K, C) for each number/date constant, the share of column j's name stems
    among the content words of the CONTEXT_WINDOW tokens before it."""
    out = np.zeros((len(constants), index.n_cols), dtype=np.float32)  # (K, C)
    for k, c in enumerate(constants):
        if c.kind == "string":
            continue
        window = frozenset().union(*qw.token_keys[max(0, c.start - CONTEXT_WINDOW) : c.start])
        if not window:
            continue
        for j, names in enumerate(index.name_keys):
            if names:
                out[k, j] = sum(bool(keys & window) for keys in names) / len(names)
    return out


def read_question(text: str, table: Table) -> LinkedQuestion:
    """Parse ``text`` and link it to ``table`` (with the table's cached index):
    the one chain from a question's text to what the model reads."""
    return link_question(parse_question(text), table)
