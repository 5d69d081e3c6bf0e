"""Every elementwise activation function of ``sj.nn`` with its derivative, from autograd.

The derivative is not written by hand: each curve is ``sj.autograd.grad`` of the function's sum
with respect to its input, so the picture shows what backpropagation really uses.
"""

from __future__ import annotations

from pathlib import Path

from shenjing.nn.modules import activation as activation_modules
from shenjing.nn.modules.module import Module
from shenjing.viz.canvas import CLASS_COLORS, finish, new_figure, to_numpy

# These map a vector to a vector (GLU halves it): no single curve shows them.
NOT_ELEMENTWISE = ("Softmax", "LogSoftmax", "Softmin", "GLU")
# Modules with no default for their arguments, drawn with these.
ARGUMENTS = {"Threshold": (0.5, -1.0)}
# The order of the notes, oldest first; activations added later follow alphabetically.
ORDER = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "SiLU",
         "Softplus")


def elementwise_activations() -> dict[str, Module]:
    """Each activation module of ``sj.nn`` that acts number by number, with its defaults (or
    the arguments in ``ARGUMENTS``).

    >>> list(elementwise_activations())[:4]
    ['Sigmoid', 'Tanh', 'ReLU', 'LeakyReLU']
    """
    found = {}
    names = sorted(dir(activation_modules), key=lambda n: (n not in ORDER, ORDER.index(n)
                                                          if n in ORDER else 0, n))
    for name in names:
        cls = getattr(activation_modules, name)
        if (isinstance(cls, type) and issubclass(cls, Module) and cls is not Module
                and cls.__module__ == activation_modules.__name__
                and name not in NOT_ELEMENTWISE):
            found[name] = cls(*ARGUMENTS.get(name, ()))
    return found


def curve_and_derivative(module: Module, low: float = -4.0, high: float = 4.0,
                         points: int = 401):
    """``(x, f(x), f'(x))`` as NumPy arrays, with f' from shenjing's autograd.

    >>> import shenjing as sj
    >>> x, y, dy = curve_and_derivative(sj.nn.ReLU(), -1.0, 1.0, 5)
    >>> x.tolist(), dy.tolist()
    ([-1.0, -0.5, 0.0, 0.5, 1.0], [0.0, 0.0, 0.0, 1.0, 1.0])
    """
    from shenjing.autograd.engine import grad
    from shenjing.backend import dtype
    from shenjing.creation import linspace

    x = linspace(low, high, points, dtype=dtype.float64).requires_grad_()
    module = module.double()
    y = module(x)
    (dy,) = grad(y.sum(), x)  # the sum's gradient is each f'(x_i): f acts elementwise
    return to_numpy(x), to_numpy(y), to_numpy(dy)


def activation_functions(path: str | Path | None = None, *, low: float = -4.0,
                         high: float = 4.0, columns: int = 5):
    """A panel per elementwise activation function: f(x) solid, f'(x) (by autograd) dashed.

    Returns the Figure; one axes per activation, titled with its name.
    """
    modules = elementwise_activations()
    columns = min(columns, len(modules))
    rows = -(-len(modules) // columns)
    figure = new_figure(2.6 * columns, 2.3 * rows + 0.4)
    for i, (name, module) in enumerate(modules.items()):
        x, y, dy = curve_and_derivative(module, low, high)
        ax = figure.add_subplot(rows, columns, i + 1)
        ax.axhline(0, color="0.8", linewidth=0.8)
        ax.axvline(0, color="0.8", linewidth=0.8)
        ax.plot(x, y, color=CLASS_COLORS[0], linewidth=2, label="f(x)")
        ax.plot(x, dy, color=CLASS_COLORS[1], linewidth=1.6, linestyle="--", label="f'(x)")
        ax.set_title(name, fontsize=10)
        ax.set_xlim(low, high)
        ax.set_ylim(-1.5, 2.5)
        ax.tick_params(labelsize=7)
        if i == 0:
            ax.legend(fontsize=7, loc="upper left")
    figure.suptitle("Activation functions (solid) and their derivatives by autograd (dashed)")
    return finish(figure, path)
