"""Adaptive computation time (ModelConfig.act): the halting budget, where programs halt,
how a halting program's probability is read by the loss and the decoder, the soft answer
as a halting-weighted mix, and that ACT off leaves the model as it was."""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from npqa.grammars.ops import LANGUAGE
from npqa.model.batch import collate, collate_numpy
from npqa.model.config import ACT_EPSILON, ModelConfig
from npqa.model.controller import NeuralProgrammer, act_halting
from npqa.model.decode import decode_outputs, halting_step
from npqa.model.ensemble import NumpyEnsemble
from npqa.model.features import PAD_OP, step_roles, terminal_ops
from npqa.model.files import load_model, save_model
from npqa.model.npcontroller import NumpyProgrammer
from npqa.model.npcontroller import act_halting as np_act_halting
from npqa.train.loss import act_layout, compute_loss, program_log_prob
from npqa.train.prepare import load_split, prepare
from test_npmodel import TINY, numpy_of, tiny, torch_model

NAMES = [op.name for op in LANGUAGE]
PAD = NAMES.index(PAD_OP)
TERMINAL = terminal_ops(LANGUAGE)


def reference_halting(units: list[float]) -> tuple[list[float], int]:
    """ACT's halting distribution and N, step by step as Graves writes it."""
    spent, p = 0.0, []
    for t, h in enumerate(units):
        h = 1.0 if t == len(units) - 1 else h
        if spent + h >= 1 - ACT_EPSILON:
            p.append(1 - spent)
            return p + [0.0] * (len(units) - t - 1), t
        p.append(h)
        spent += h
    raise AssertionError("the last step always halts")


units_lists = st.lists(st.floats(0.0, 1.0, width=32), min_size=1, max_size=6)


# -- the halting budget ---------------------------------------------------------------


@settings(max_examples=200, deadline=None, derandomize=True)
@given(units=units_lists)
def test_the_halting_distribution_is_acts_budget(units: list[float]) -> None:
    want, n = reference_halting(units)
    p, lam, ponder = act_halting(torch.tensor([units]))
    np_p, np_lam = np_act_halting(np.array([units], dtype=np.float32))
    assert np.allclose(p[0].numpy(), want, atol=1e-6) and np.allclose(np_p[0], want, atol=1e-6)
    assert np.allclose(lam[0].numpy(), np_lam[0], atol=1e-6)
    assert math.isclose(float(ponder[0]), n + 1 + want[n], abs_tol=1e-6)  # N + 1 + R
    assert halting_step(np_p[0]) == n


@settings(max_examples=200, deadline=None, derandomize=True)
@given(units=units_lists)
def test_the_step_halting_chances_multiply_to_the_halting_distribution(units: list[float]) -> None:
    """λ_t is the chance of halting at t having not halted before: (1-λ_0)…(1-λ_{k-1}) λ_k = p_k."""
    p, lam = np_act_halting(np.array([units], dtype=np.float64))
    for k in range(len(units)):
        assert math.isclose(float(np.prod(1 - lam[0, :k]) * lam[0, k]), float(p[0, k]), abs_tol=1e-9)


def test_only_the_remainder_carries_the_ponder_costs_gradient() -> None:
    """dρ/dh_t = -1 for the steps before N (R = 1 - their sum), 0 from N on."""
    units = torch.tensor([[0.3, 0.2, 0.9, 0.4]], requires_grad=True)  # N = 2
    _, _, ponder = act_halting(units)
    ponder.sum().backward()
    assert torch.allclose(units.grad, torch.tensor([[-1.0, -1.0, 0.0, 0.0]]))
    assert math.isclose(float(ponder.detach()), 2 + 1 + 0.5, rel_tol=1e-6)


@pytest.mark.parametrize(
    "halt,spent,n",
    [
        ([1.0, 0, 0, 0], 1 - ACT_EPSILON, 0),
        ([0.25, 0.25, 0.25, 0.25], 1 - ACT_EPSILON, 3),
        ([0.5, 0.495, 0.005, 0], 1 - ACT_EPSILON, 1),
        ([0.5, 0.489, 0.011, 0], 1 - ACT_EPSILON, 2),
        ([1.0], 1 - ACT_EPSILON, 0),
        ([0.03, 0.69, 0.27, 0.01], 1 - ACT_EPSILON, 2),  # Graves' N: the longest length with real mass
        ([0.03, 0.69, 0.27, 0.01], 0.5, 1),  # the median
        ([0.25, 0.25, 0.25, 0.25], 0.5, 1),
        ([0.5, 0.5, 0, 0], 0.5, 0),
    ],
)
def test_halting_step_is_where_the_budget_is_spent(halt: list[float], spent: float, n: int) -> None:
    assert halting_step(np.array(halt, dtype=np.float32), spent) == n


def test_the_halting_distribution_starts_uniform_over_the_lengths() -> None:
    _, encs = tiny()
    model = torch_model(0, 0.0, steps=4, act=True)
    with torch.no_grad():
        model.halt.weight.zero_()
        halt = model(collate(list(encs[:3])), soft_execute=False).halt
    assert torch.allclose(halt, torch.full_like(halt, 0.25), atol=1e-6)


# -- what each step may choose ---------------------------------------------------------


def test_act_never_pads_with_keep_and_may_halt_at_any_step() -> None:
    fixed, act = step_roles(LANGUAGE, 4), step_roles(LANGUAGE, 4, act=True)
    assert fixed[:-1, PAD].all() and not act[:, PAD].any()
    assert np.array_equal(np.delete(fixed, PAD, 1), np.delete(act, PAD, 1))
    _, encs = tiny()
    out = numpy_of(torch_model(1, 0.5, act=True)).forward(collate_numpy(list(encs)))
    assert np.allclose(out.op_probs.sum(-1), 1.0, atol=1e-5)
    assert np.all(out.op_probs[:, :, PAD] == 0)
    assert np.all(out.op_probs[:, :-1, TERMINAL].sum(-1) > 0)  # halting is possible before the last step


def test_after_the_halting_step_only_terminals_remain() -> None:
    _, encs = tiny()
    out = numpy_of(torch_model(2, 0.5, act=True)).forward(collate_numpy(list(encs)))
    for b in range(len(encs)):
        n = halting_step(out.halt[b])
        steps = out.op_probs[b]  # (T, O)
        assert np.all(steps[n:][:, ~TERMINAL] == 0), b
        assert np.all(steps[:n][:, ~TERMINAL].sum(-1) > 0), b


# -- a halting program's probability ------------------------------------------------------


@pytest.mark.parametrize(
    "stored,want",
    [
        ([[0, 1, 2], [PAD, -1, -1], [PAD, -1, -1], [16, -1, -1]], [[0, 1, 2], [16, -1, -1], [-1, -1, -1], [-1, -1, -1]]),
        ([[PAD, -1, -1], [PAD, -1, -1], [PAD, -1, -1], [20, 3, -1]], [[20, 3, -1], [-1, -1, -1], [-1, -1, -1], [-1, -1, -1]]),
        ([[0, 1, 2], [9, -1, -1], [13, 2, -1], [17, 1, -1]], [[0, 1, 2], [9, -1, -1], [13, 2, -1], [17, 1, -1]]),
        ([[-1, -1, -1]] * 4, [[-1, -1, -1]] * 4),  # a padding program stays one
    ],
)
def test_act_layout_puts_the_terminal_where_the_program_halts(stored: list, want: list) -> None:
    got = act_layout(torch.tensor([[stored]]), PAD)
    assert got[0, 0].tolist() == want


def _choices(out: object, b: int, raw: list[tuple[int, int, int]]) -> float:
    """log of the op / column / constant probabilities of ``raw`` steps at steps 0, 1, …"""
    total = 0.0
    for t, (o, c, k) in enumerate(raw):
        total += math.log(float(out.op_probs[b, t, o]))
        total += math.log(float(out.col_probs[b, t, o, c])) if c >= 0 else 0.0
        total += math.log(float(out.const_probs[b, t, o, k])) if k >= 0 else 0.0
    return total


def test_a_programs_log_prob_is_log_p_k_plus_its_choices() -> None:
    """log P = log p_k + the row choices (renormalised over row ops) + the terminal chosen at step k."""
    _, encs = tiny()
    model = torch_model(3, 0.3, act=True)
    with torch.no_grad():
        out = model(collate(list(encs[:1])), soft_execute=False)
    count, print_, first = NAMES.index("count"), NAMES.index("print"), NAMES.index("first")
    stored = torch.tensor([[[[first, -1, -1], [PAD, -1, -1], [PAD, -1, -1], [count, -1, -1]],
                            [[PAD, -1, -1], [PAD, -1, -1], [PAD, -1, -1], [print_, 0, -1]]]])  # fmt: skip
    lp = program_log_prob(out, stored, PAD)[0]
    p = out.halt[0]
    assert float(p[1]) > 0  # this question may halt after one row step
    steps = out.op_probs[0]  # (T, O)
    row = steps[:, ~torch.from_numpy(TERMINAL)].sum(-1)  # (T,) the share of going on
    halting = steps[:, torch.from_numpy(TERMINAL)].sum(-1)  # (T,) the share of halting
    first_given_row = float(out.op_probs[0, 0, first] / row[0])
    count_at_1 = float(out.op_probs[0, 1, count] / halting[1])
    want1 = math.log(float(p[1])) + math.log(first_given_row) + math.log(count_at_1)
    print_at_0 = float(out.op_probs[0, 0, print_] / halting[0])
    want0 = math.log(float(p[0])) + math.log(print_at_0) + math.log(float(out.col_probs[0, 0, print_, 0]))
    assert math.isclose(float(lp[0]), want1, abs_tol=1e-4)
    assert math.isclose(float(lp[1]), want0, abs_tol=1e-4)
    assert math.isclose(float(lp[0]), _choices(out, 0, [(first, -1, -1), (count, -1, -1)]), abs_tol=1e-4)


def test_act_outputs_need_the_padding_op() -> None:
    _, encs = tiny()
    out = torch_model(0, 0.3, act=True)(collate(list(encs[:1])), soft_execute=False)
    with pytest.raises(ValueError, match="padding op"):
        program_log_prob(out, torch.full((1, 1, 4, 3), -1))


# -- decoding ---------------------------------------------------------------------------


@pytest.mark.parametrize("stop", [0.5, 1 - ACT_EPSILON])
def test_the_argmax_program_stops_where_the_budget_is_spent(stop: float) -> None:
    vocab, _ = tiny()
    examples, tables = load_split(TINY / "data" / "tiny.tsv", TINY)
    items, _ = prepare(examples, tables, vocab, LANGUAGE, 4, targets=False)
    # Graves' N is 0 to 3 row steps on these questions. The random model depends on the
    # number of declared ops; seed 17 (43 ops) gives N of 0-2 at stop 0.5 and 1-3 near 1.
    model = numpy_of(torch_model(17, 0.5, act=True))
    model.config = dataclasses.replace(model.config, act_stop=stop)
    out = model(collate_numpy([it.enc for it in items]))
    lengths = set()
    for b, cands in enumerate(decode_outputs(model, out, items, top_k=2)):
        n = halting_step(out.halt[b], stop)
        lengths.add(n)
        assert cands and all(len(d.choices) == n + 1 for d in cands)
        assert all(ch.step.op != PAD_OP for d in cands for ch in d.choices)
        best = cands[0]
        assert math.isclose(best.confidence, float(np.prod([c.prob for c in best.choices])), rel_tol=1e-6)
        assert best.confidence <= float(out.halt[b, n]) + 1e-6  # p_N times the choices
    assert lengths <= {0, 1, 2, 3} and len(lengths) >= 2, lengths  # the length varies by question


# -- soft execution ---------------------------------------------------------------------


def test_the_soft_answer_is_the_halting_weighted_mix_of_each_steps_terminal() -> None:
    vocab, _ = tiny()
    examples, tables = load_split(TINY / "data" / "tiny.tsv", TINY)
    items, _ = prepare(examples, tables, vocab, LANGUAGE, 4, targets=True)
    batch = collate([it.enc for it in items[:6]])
    model = torch_model(1, 0.3, act=True)
    with torch.no_grad():
        out = model(batch)
        from npqa.model.controller import SoftColumns

        table = SoftColumns(batch)
        scalar = torch.zeros_like(out.scalar)
        lookup = torch.zeros_like(out.lookup)
        for t in range(4):
            term = out.op_probs[:, t] * torch.from_numpy(TERMINAL)  # λ_t × the terminal distribution
            term = term / term.sum(-1, keepdim=True)
            s_t, l_t, _ = model._terminal(out.rows[:, t], table, term, out.col_probs[:, t])
            scalar += out.halt[:, t] * s_t
            lookup += out.halt[:, t, None, None] * l_t
    assert torch.allclose(out.scalar, scalar, rtol=1e-4, atol=1e-4)
    assert torch.allclose(out.lookup, lookup, atol=1e-5)


def test_the_ponder_cost_is_added_with_its_weight() -> None:
    vocab, _ = tiny()
    examples, tables = load_split(TINY / "data" / "tiny.tsv", TINY)
    items, _ = prepare(examples, tables, vocab, LANGUAGE, 4, targets=True)
    batch = collate([it.enc for it in items[:8]])
    model = torch_model(1, 0.3, act=True)
    with torch.no_grad():
        out = model(batch)
    plain = compute_loss(out, batch, 0.1, ponder_weight=0.0, pad=PAD)
    costly = compute_loss(out, batch, 0.1, ponder_weight=0.5, pad=PAD)
    assert plain.ponder is not None and 1.0 < float(plain.ponder) <= 5.0  # N + 1 + R, N <= T - 1, R <= 1
    assert math.isclose(float(costly.total - plain.total), 0.5 * float(plain.ponder), rel_tol=1e-5)


# -- ACT off, and model files -------------------------------------------------------------


def test_act_is_off_by_default_and_adds_nothing() -> None:
    assert ModelConfig(vocab_size=5).act is False
    model = torch_model(0, 0.3)
    assert not any(name.startswith("halt") for name in model.state_dict())
    _, encs = tiny()
    out = model(collate(list(encs[:2])))
    assert out.halt is None and out.ponder is None


def test_a_model_directory_without_the_act_setting_loads_as_fixed_steps(tmp_path: Path) -> None:
    vocab, encs = tiny()
    model = torch_model(5, 0.5)
    save_model(model, vocab.words, tmp_path / "m", {})
    config_path = tmp_path / "m" / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    del config["model"]["act"]  # as written before ACT existed
    config_path.write_text(json.dumps(config), encoding="utf-8")
    tm, _, _ = load_model(tmp_path / "m")
    npm, _, _ = NumpyProgrammer.load(tmp_path / "m")
    assert tm.config.act is False and npm.config.act is False
    batch = list(encs[:3])
    with torch.no_grad():
        want = model(collate(batch), soft_execute=False).op_probs
    assert torch.equal(tm(collate(batch), soft_execute=False).op_probs, want)


def test_an_act_model_round_trips_through_its_directory(tmp_path: Path) -> None:
    vocab, encs = tiny()
    model = torch_model(4, 0.5, act=True)
    save_model(model, vocab.words, tmp_path / "m", {})
    npm, _, _ = NumpyProgrammer.load(tmp_path / "m")
    tm, _, _ = load_model(tmp_path / "m")
    assert npm.config.act and tm.config.act
    batch = list(encs[:5])
    with torch.no_grad():
        want = model(collate(batch), soft_execute=False)
    assert np.allclose(npm.forward(collate_numpy(batch)).halt, want.halt.numpy(), atol=1e-5)
    assert torch.equal(tm(collate(batch), soft_execute=False).halt, want.halt)


def test_an_ensemble_refuses_members_that_halt_differently() -> None:
    with pytest.raises(ValueError, match="halting"):
        NumpyEnsemble([numpy_of(torch_model(0, 0.3)), numpy_of(torch_model(0, 0.3, act=True))])


def test_an_act_model_learns_the_tiny_questions(tmp_path: Path) -> None:
    from npqa.train.loop import TrainConfig, train

    cfg = TrainConfig(train=str(TINY / "data" / "tiny.tsv"), tables_root=str(TINY), out=str(tmp_path / "m"),
                      dev=str(TINY / "data" / "tiny.tsv"), hidden=32, embed_dim=16, threads=1, epochs=25, lr=2e-2,
                      dropout=0.0, word_dropout=0.0, act=True)  # fmt: skip
    logs = train(cfg)
    assert all(x.ponder is not None and 1.0 <= x.ponder <= 5.0 for x in logs)
    assert max(x.dev_accuracy for x in logs) >= 0.9, [x.dev_accuracy for x in logs]
    assert NumpyProgrammer.load(tmp_path / "m")[0].config.act
