"""Every activation function with its derivative, the derivative from autograd."""

import numpy as np

import shenjing as sj
from shenjing.nn.modules import activation
from shenjing.viz import activations
from tests.viz import check_png


def test_every_elementwise_activation_module_is_drawn():
    modules = {name for name in dir(activation)
               if isinstance(getattr(activation, name), type)
               and issubclass(getattr(activation, name), sj.nn.Module)
               and getattr(activation, name).__module__ == activation.__name__}
    drawn = set(activations.elementwise_activations())
    assert drawn == modules - set(activations.NOT_ELEMENTWISE)
    assert {"ReLU", "Sigmoid", "Tanh", "GELU", "SiLU"} <= drawn


def test_the_derivative_is_autograd_s_and_right():
    x, y, dy = activations.curve_and_derivative(sj.nn.Sigmoid(), -3, 3, 61)
    np.testing.assert_allclose(dy, y * (1 - y), rtol=1e-12)
    x, y, dy = activations.curve_and_derivative(sj.nn.Tanh(), -3, 3, 61)
    np.testing.assert_allclose(dy, 1 - y ** 2, rtol=1e-12, atol=1e-15)
    x, y, dy = activations.curve_and_derivative(sj.nn.GELU(), -3, 3, 61)
    h = 1e-6
    numeric = (sj.nn.functional.gelu(sj.tensor(x + h)).numpy()
               - sj.nn.functional.gelu(sj.tensor(x - h)).numpy()) / (2 * h)
    np.testing.assert_allclose(dy, numeric, atol=1e-7)


def test_one_panel_per_activation(tmp_path):
    figure = activations.activation_functions(tmp_path / "a.png")
    check_png(tmp_path / "a.png", figure)
    names = list(activations.elementwise_activations())
    assert [ax.get_title() for ax in figure.axes] == names
    assert all(len(ax.get_lines()) >= 2 + 2 for ax in figure.axes)  # axes lines, f and f'
