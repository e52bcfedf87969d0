"""The ops' soft (differentiable, batched torch) forms, declared with the ops in
``ops.py``. Each takes the carried rows ``rows`` (B, R) as probabilities, the
batch's table tensors ``cols`` (:class:`npqa.model.controller.SoftColumns`) and
the column weights ``alpha`` (B, C); a row op returns rows (B, R), a number op a
scalar (B,), ``print`` a cell lookup (B, R, C). For 0/1 rows and a one-hot
``alpha`` each equals its op's ``hard`` form (``tests/test_soft_executor.py``).
torch is imported inside each function: asking never imports it.
"""
from __future__ import annotations

from typing import Any

def first_soft(rows: Any, cols: Any, alpha: Any) -> Any:
    before = (1 - rows).cumprod(dim=1)  # (B, R): no row selected up to and including i
    before = before.roll(1, dims=1)
    before[:, 0] = 1.0
    return rows * before  # (B, R)


def shifted_soft(rows: Any, cols: Any, by: int) -> Any:
    """(B, R): ``previous`` (``by=-1``) and ``next`` (``by=+1``) of the carried rows."""
    return _shift(rows, by) * cols.valid


def _shift(rows: Any, by: int) -> Any:
    """(B, R) -> (B, R): ``out[:, i] = rows[:, i - by]``, zero-filled."""
    out = rows.roll(by, dims=1)
    if by > 0:
        out[:, :by] = 0.0
    else:
        out[:, by:] = 0.0
    return out


def extreme_soft(rows: Any, cols: Any, alpha: Any, largest: bool, key: str = "order") -> Any:
    """(B, R) probability that each row holds the carried rows' extreme,
    averaged over columns by ``alpha`` (B, C); exact for 0/1 rows."""
    return (_extreme_per_column(rows, cols, largest, key) * alpha[:, :, None]).sum(1)  # (B, R)


def _extreme_per_column(rows: Any, cols: Any, largest: bool, key: str) -> Any:
    """(B, C, R): row i holds the extreme of column c among the carried rows."""
    value = getattr(cols, key).transpose(1, 2)  # (B, C, R)
    has = getattr(cols, "has_" + key).transpose(1, 2)  # (B, C, R)
    live = rows[:, None, :] * has  # (B, C, R)
    return live * _unbeaten(value, live, largest)  # (B, C, R)


def _unbeaten(value: Any, live: Any, largest: bool) -> Any:
    """(B, C, R): the product over rows j strictly better than row i of (1 - live_j).

    Exact for 0/1 ``live``; O(R log R) by sorting instead of comparing all pairs:
    in best-first order the product is an exclusive cumulative product, taken at
    the first row of each group of equal values so that ties do not beat each other.
    """
    import torch

    order = torch.argsort(value, dim=-1, descending=largest)  # (B, C, R)
    v = value.gather(-1, order)  # (B, C, R) best first
    keep = (1 - live).gather(-1, order)  # (B, C, R)
    excl = torch.cumprod(torch.cat([torch.ones_like(keep[..., :1]), keep[..., :-1]], -1), -1)  # (B, C, R)
    pos = torch.arange(v.shape[-1]).expand_as(v)
    new_group = torch.ones_like(v, dtype=torch.bool)
    new_group[..., 1:] = v[..., 1:] != v[..., :-1]
    start = torch.cummax(torch.where(new_group, pos, torch.zeros_like(pos)), -1).values  # (B, C, R)
    sorted_unbeaten = excl.gather(-1, start)  # (B, C, R)
    return torch.empty_like(sorted_unbeaten).scatter_(-1, order, sorted_unbeaten)


def mode_soft(rows: Any, cols: Any, alpha: Any) -> Any:
    live = rows[:, None, :] * cols.nonempty.transpose(1, 2)  # (B, C, R)
    ids = cols.text_id.transpose(1, 2).clamp_min(0)  # (B, C, R) padding rows have live = 0
    per_text = live.new_zeros(live.shape).scatter_add_(-1, ids, live)  # (B, C, R): carried rows per text id
    count = per_text.gather(-1, ids)  # (B, C, R): carried rows sharing row i's text
    unbeaten = _unbeaten(count.detach(), live, largest=True)  # (B, C, R)
    return (live * unbeaten * alpha[:, :, None]).sum(1)  # (B, R)


def soft_sum(rows: Any, cols: Any, alpha: Any) -> Any:
    per_col = (rows[:, :, None] * cols.num * cols.has_num).sum(1)  # (B, C)
    return (per_col * alpha).sum(1)  # (B,)


def soft_average(rows: Any, cols: Any, alpha: Any) -> Any:
    total = (rows[:, :, None] * cols.num * cols.has_num).sum(1)  # (B, C)
    n = (rows[:, :, None] * cols.has_num).sum(1)  # (B, C)
    return (total / n.clamp_min(1e-6) * alpha).sum(1)  # (B,)


def _soft_extreme_value(rows: Any, cols: Any, largest: bool) -> Any:
    """(B, C): the carried rows' largest (smallest) number in each column."""
    p = _extreme_per_column(rows, cols, largest, "num")  # (B, C, R)
    return (p * cols.num.transpose(1, 2)).sum(-1) / p.sum(-1).clamp_min(1e-6)  # (B, C)


def soft_difference(rows: Any, cols: Any, alpha: Any) -> Any:
    spread = _soft_extreme_value(rows, cols, True) - _soft_extreme_value(rows, cols, False)  # (B, C)
    return (spread * alpha).sum(1)  # (B,)


def print_soft(rows: Any, cols: Any, alpha: Any) -> Any:
    return rows[:, :, None] * alpha[:, None, :] * cols.nonempty  # (B, R, C)


def _texts_present(rows: Any, cols: Any) -> Any:
    """(B, C, R): the probability that a carried non-empty row holds row i's text,
    1 - prod over rows j sharing it of (1 - rows_j); exact for 0/1 rows."""
    import torch

    live = rows[:, None, :] * cols.nonempty.transpose(1, 2)  # (B, C, R)
    ids = cols.text_id.transpose(1, 2).clamp_min(0)  # (B, C, R) padding rows have live = 0
    none = torch.ones_like(live).scatter_reduce(-1, ids, 1 - live, reduce="prod")  # (B, C, R): per text id
    return 1 - none.gather(-1, ids)  # (B, C, R)


def same_as_soft(rows: Any, cols: Any, alpha: Any) -> Any:
    present = _texts_present(rows, cols) * cols.nonempty.transpose(1, 2)  # (B, C, R)
    return cols.start * (1 - rows) * (present * alpha[:, :, None]).sum(1)  # (B, R)


def beyond_soft(rows: Any, cols: Any, alpha: Any, largest: bool) -> Any:
    """(B, R): row i's key is beyond every carried key: the product over rows j
    whose key is at least as far (ties included) of (1 - live_j), times the
    chance that some row is carried; exact for 0/1 rows."""
    import torch

    value = cols.order.transpose(1, 2)  # (B, C, R)
    has = cols.has_order.transpose(1, 2)  # (B, C, R)
    live = rows[:, None, :] * has  # (B, C, R)
    order = torch.argsort(value, dim=-1, descending=largest)  # (B, C, R) farthest first
    v = value.gather(-1, order)
    upto = torch.cumprod((1 - live).gather(-1, order), -1)  # (B, C, R): none carried up to here, inclusive
    R = v.shape[-1]
    pos = torch.arange(R).expand_as(v)
    group_end = torch.ones_like(v, dtype=torch.bool)
    group_end[..., :-1] = v[..., :-1] != v[..., 1:]
    last = torch.where(group_end, pos, torch.full_like(pos, R))  # (B, C, R)
    end = torch.flip(torch.cummin(torch.flip(last, [-1]), -1).values, [-1])  # last index of each tie group
    sorted_beyond = upto.gather(-1, end)  # (B, C, R)
    beyond = torch.empty_like(sorted_beyond).scatter_(-1, order, sorted_beyond)  # (B, C, R)
    some = 1 - torch.prod(1 - live, -1, keepdim=True)  # (B, C, 1)
    return cols.start * ((beyond * has * some) * alpha[:, :, None]).sum(1)  # (B, R)


def count_distinct_soft(rows: Any, cols: Any, alpha: Any) -> Any:
    """(B,): the expected number of distinct texts: over the text ids in use, the
    chance that some carried non-empty row holds it; exact for 0/1 rows."""
    import torch

    live = rows[:, None, :] * cols.nonempty.transpose(1, 2)  # (B, C, R)
    ids = cols.text_id.transpose(1, 2).clamp_min(0)  # (B, C, R)
    none = torch.ones_like(live).scatter_reduce(-1, ids, 1 - live, reduce="prod")  # (B, C, R) per text id
    present = 1 - none  # (B, C, U=R): some live row holds text u
    slots = torch.zeros_like(live).scatter_(-1, ids, 1.0)  # (B, C, R): 1 for text ids in use
    return ((present * slots).sum(-1) * alpha).sum(1)  # (B,)
