"""The note's math: change matrices against finite differences, a sigmoid safe at the edges."""

import warnings

import numpy as np
import pytest

from sheetnet.math.network import A, backprop, changes, cost, forward, iterate, sigmoid, train, update
from sheetnet.math.template import ORIGINAL_2_2_2, random_problem


def central_difference(W, inputs, T, l, j, i, h=1e-6):
    """dC/dw_ji^(l) by central differences of the cost."""
    plus = [w if w is None else w.copy() for w in W]
    minus = [w if w is None else w.copy() for w in W]
    plus[l][j, i] += h
    minus[l][j, i] -= h
    return (cost(forward(plus, inputs)[-1], T) - cost(forward(minus, inputs)[-1], T)) / (2 * h)


@pytest.mark.parametrize("sizes", [(1, 1, 1), (2, 2, 2), (3, 5, 4, 2), (4, 3), (2, 6, 6, 6, 3)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_change_matrices_are_the_gradient_of_the_cost(sizes, seed):
    p = random_problem(sizes, seed)
    # Larger weights than the template's, so that the gradient is far from zero and far from flat.
    W = [None] + [w * 2 for w in p.network.W[1:]]
    it = iterate(W, p.inputs, p.T)
    for l in range(1, len(sizes)):
        assert it.change[l].shape == W[l].shape
        for j in range(W[l].shape[0]):
            for i in range(W[l].shape[1]):
                fd = central_difference(W, p.inputs, p.T, l, j, i)
                assert abs(it.change[l][j, i] - fd) <= 1e-8 * max(1, abs(fd)), (l, j, i)


def test_first_iteration_of_the_original_by_hand():
    """Row 8 of the original's Sheet1, cell by cell (values LibreOffice cached, 15 digits)."""
    it = iterate(ORIGINAL_2_2_2.network.W, ORIGINAL_2_2_2.inputs, ORIGINAL_2_2_2.T)
    assert it.a[1] == pytest.approx([0.542397940774351, 0.519989340155582], abs=1e-15)
    assert it.a[2] == pytest.approx([0.503558555952801, 0.682324816594471], abs=1e-15)
    assert it.delta[2] == pytest.approx([0.050887061260972, 0.0611960669589235], abs=1e-15)
    assert it.delta[1] == pytest.approx([0.0043008314646463, 0.0109330854113259], abs=1e-15)
    assert it.C == pytest.approx(0.0605716938833457, abs=1e-15)
    W = update(it.W, it.change, 0.5)
    assert W[1][0] == pytest.approx([0.499784958426768, -0.201935374159091, 0.297849584267677], abs=1e-15)


def test_deltas_follow_the_note_with_the_transpose():
    """δ^(1) = D^(1) (w^(2))ᵀ δ^(2): the note's expanded product, written out for 2-2-2."""
    p = random_problem((2, 2, 2), 5)
    W = p.network.W
    a = forward(W, p.inputs)
    delta = backprop(W, a, p.T)
    d2 = (a[2] - p.T) * a[2] * (1 - a[2])
    expected = [a[1][0] * (1 - a[1][0]) * (d2[0] * W[2][0, 0] + d2[1] * W[2][1, 0]),
                a[1][1] * (1 - a[1][1]) * (d2[0] * W[2][0, 1] + d2[1] * W[2][1, 1])]
    assert delta[1] == pytest.approx(expected, abs=1e-17)
    assert changes(delta, a)[1][1, 2] == delta[1][1]  # the bias entry is δ_1^(1)·1 (the note has δ^(2))


def test_every_derivative_comes_before_any_weight_changes():
    p = random_problem((2, 3, 2), 3)
    first, second = list(train(p, 2))
    for l in (1, 2):
        np.testing.assert_array_equal(second.W[l], first.W[l] - p.network.lr * np.outer(first.delta[l], A(first.a[l - 1])))


def test_sigmoid_is_finite_and_silent_at_the_edges():
    z = np.array([-1e308, -1e6, -1000.0, -745.0, -30.0, 0.0, 30.0, 745.0, 1000.0, 1e6, 1e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(z)
    assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= 1))
    assert s[5] == 0.5 and s[-1] == 1.0 and s[0] == 0.0
    mid = np.linspace(-30, 30, 121)
    np.testing.assert_allclose(sigmoid(mid), 1 / (1 + np.exp(-mid)), rtol=1e-15)


def test_large_weights_and_inputs_train_without_warnings():
    p = random_problem((2, 3, 2), 0)
    p.network.W[1][:] = 1000.0
    p.inputs[:] = 1e6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = list(train(p, 50))
    assert all(np.isfinite(r.C) for r in rows)
