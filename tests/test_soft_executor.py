"""The law: with one-hot op, column and constant weights and 0/1 rows, the soft
executor gives exactly what the reference executor gives, op by op (each op
drawn on its own tables, so that every op is checked however many there are)."""
from __future__ import annotations

import numpy as np
import torch
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from npqa.model.features import table_arrays
from npqa.grammars.ops import LANGUAGE
from npqa.lang.executor import constant_argument
from npqa.lang.language import Role
from npqa.table.column import Table
from npqa.model.config import ModelConfig
from npqa.model.controller import NeuralProgrammer, SoftColumns
from test_sql_agreement import constants_of, tables

MODEL = NeuralProgrammer(ModelConfig(vocab_size=4, hidden=8, embed_dim=4), LANGUAGE)
OPS = list(LANGUAGE)


def soft_table(data: Table) -> SoftColumns:
    arrays = {k: torch.from_numpy(v)[None] for k, v in table_arrays(data).items()}  # "start": the start rows
    arrays["valid"] = torch.ones(1, data.n_rows)
    return SoftColumns(arrays)


def one_hot(n: int, i: int) -> torch.Tensor:
    out = torch.zeros(1, n)
    out[0, i] = 1.0
    return out


@pytest.mark.parametrize("name", [op.name for op in OPS])
@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(draw=st.data())
def test_soft_op_with_one_hot_weights_equals_the_reference(name: str, draw: st.DataObject) -> None:
    spec = LANGUAGE[name]
    data = draw.draw(tables())
    consts = constants_of(data)
    R, C = data.n_rows, len(data.columns)
    rows = np.array(draw.draw(st.lists(st.booleans(), min_size=R, max_size=R)))
    arguments = LANGUAGE.arguments(spec, data.column_kinds, consts)
    assume(arguments)  # a table with a column and a constant this op takes
    column, constant = draw.draw(st.sampled_from(arguments))
    col = data[column] if column is not None else None
    j = [c.name for c in data.columns].index(column) if column is not None else 0
    table = soft_table(data)
    soft_rows = torch.from_numpy(rows.astype(np.float32))[None]  # (1, R)
    o = OPS.index(spec)
    p_op = one_hot(len(OPS), o)  # (1, O)
    p_col = one_hot(C, j)[:, None, :].expand(1, len(OPS), C)  # (1, O, C)
    if spec.role is Role.ROWS:
        if spec.condition:
            passing = spec.hard(col, constant_argument(spec, constant, data))  # (R,)
            cond = torch.from_numpy(passing[None, None, :, None, None].repeat(C, 3))  # (1, 1, R, C, 1)
            cond = cond.expand(1, len(MODEL.filters), R, C, 1)
            p_const = torch.ones(1, len(OPS), 1)  # (1, O, 1)
            got = MODEL._row_step(soft_rows, table, cond, p_op, p_col, p_const)
            want = spec.combine(rows, passing, data.summary_rows)
        else:
            got = MODEL._row_step(soft_rows, table, torch.zeros(1, len(MODEL.filters), R, C, 1), p_op, p_col, torch.zeros(1, len(OPS), 1))
            want = spec.hard(rows, col) & (data.start_rows if spec.from_start else True)
        assert got.shape == (1, R)
        assert torch.equal(got[0], torch.from_numpy(want.astype(np.float32))), (spec.name, rows, got, want)
        return
    scalar, lookup, _ = MODEL._terminal(soft_rows, table, p_op, p_col)
    if spec.soft is None:  # no soft form (exists, longest_run, span…): nothing soft to add
        assert float(scalar[0]) == 0.0 and float(lookup.abs().sum()) == 0.0, spec.name
        return
    want = spec.hard(rows, col)
    if spec.name == "print":
        texts = [col.texts[r] for r, c in zip(*np.nonzero(lookup[0].numpy())) if c == j]
        assert list(dict.fromkeys(texts)) == want
        assert float(scalar[0]) == 0.0
    elif not np.isnan(want):
        assert abs(float(scalar[0]) - float(want)) <= 1e-4 * max(1.0, abs(float(want))), (spec.name, scalar, want)
