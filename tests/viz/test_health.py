"""Pictures of training health, and the vanishing-gradients comparison."""

import shenjing as sj
from shenjing.viz import health
from tests.viz import check_png


def test_vanishing_gradients_sigmoid_first_layer_far_below_relu(tmp_path):
    figure, records = health.vanishing_gradients(tmp_path / "v.png", depth=6, width=16, steps=4)
    check_png(tmp_path / "v.png", figure)
    sigmoid, relu = records["sigmoid"], records["relu"]
    assert len(sigmoid.grad_norm) == 7 and sigmoid.steps == [1, 2, 3, 4]
    first = lambda h: sum(next(iter(h.grad_norm.values()))) / len(h.steps)  # noqa: E731
    assert first(sigmoid) < 1e-2 * first(relu)
    assert any(w.startswith("warning: vanishing gradients") for w in sigmoid.warnings)
    assert not any(w.startswith("warning: vanishing") for w in relu.warnings)
    by_layer, over_steps = figure.axes
    assert by_layer.get_label() == "by_layer" and len(by_layer.get_lines()) == 2
    assert len(over_steps.get_lines()) == 4
    sigmoid_line = by_layer.get_lines()[0].get_ydata()
    assert list(sigmoid_line) == sorted(sigmoid_line)  # growing from the input to the output


def test_deep_mlp_uses_each_activation_s_initialisation():
    sj.manual_seed(0)
    relu = health.deep_mlp("relu", depth=2, width=400, in_features=400)
    sigmoid = health.deep_mlp("sigmoid", depth=2, width=400, in_features=400)
    # He: std sqrt(2 / fan_in); Xavier: std sqrt(2 / (fan_in + fan_out))
    assert abs(relu[1].weight.std().item() - (2 / 400) ** 0.5) < 0.003
    assert abs(sigmoid[1].weight.std().item() - (2 / 800) ** 0.5) < 0.003
    assert float(relu[1].bias.abs().max()) == 0.0


def test_training_health_draws_three_panels(tmp_path):
    sj.manual_seed(0)
    model = sj.nn.Sequential(sj.nn.Linear(2, 8), sj.nn.ReLU(), sj.nn.Linear(8, 8), sj.nn.ReLU(),
                             sj.nn.Linear(8, 2))
    x, y = sj.datasets.moons(64)
    record = health.gradient_flow({"net": model}, x, y, steps=6, batch_size=16)["net"]
    figure = health.training_health(record, tmp_path / "h.png", title="health")
    check_png(tmp_path / "h.png", figure)
    assert [ax.get_label() for ax in figure.axes] == ["grad_norm", "update_ratio",
                                                       "dead_fraction"]
    grad, ratio, dead = figure.axes
    assert len(grad.get_lines()) == 3 and len(dead.get_lines()) == 2
    assert len(ratio.get_lines()) == 3 + 1  # and the 1e-3 guide
