"""The computational graph: DOT text, gradient norms, Graphviz and the matplotlib fallback."""

import math

import numpy as np
import pytest

import shenjing as sj
from shenjing.viz import graph as graph_module
from shenjing.viz.graph import count_crossings, layered_layout, model_graph, trace
from tests.viz import check_png, check_svg

requires_dot = pytest.mark.skipif(graph_module.find_dot() is None,
                                  reason="Graphviz's dot is not installed")


def _expression():
    x = sj.randn(3, 4, dtype=sj.float64, requires_grad=True)
    w = sj.randn(4, 4, dtype=sj.float64, requires_grad=True)
    return x, w, (sj.sigmoid(x @ w) * sj.log1p(x ** 2)).sum()


def _ops(graph):
    return sorted(n.op for n in graph.nodes if n.kind in ("op", "output"))


def test_dot_text_names_every_operation_with_its_shape():
    x, w, y = _expression()
    graph = trace(y, {"x": x, "w": w})
    assert _ops(graph) == ["Log1p", "MatMul", "Mul", "Pow", "Sigmoid", "Sum"]
    dot = graph.to_dot()
    assert dot.startswith("digraph shenjing {") and dot.rstrip().endswith("}")
    for label in ('"x\\n(3, 4)"', '"w\\n(4, 4)"', '"MatMul\\n(3, 4)"', '"Sum\\n()"'):
        assert label in dot, label
    assert dot.count("->") == len(graph.edges) == 8
    assert graph.node(graph.edges[-1][1]).kind == "output"
    assert "grad norm" not in dot  # no backward yet


def test_gradient_norms_of_every_node_are_right():
    x = sj.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    y = sj.tanh(x * 3.0).sum()
    graph = trace(y, {"x": x}, gradients=True)
    by_op = {n.op: n for n in graph.nodes}
    assert by_op["Sum"].grad_norm == pytest.approx(1.0)
    assert by_op["Tanh"].grad_norm == pytest.approx(2.0)  # d sum / d each of 4 values = 1
    t = np.tanh(3 * x.detach().numpy())
    assert by_op["Mul"].grad_norm == pytest.approx(np.linalg.norm(1 - t ** 2), rel=1e-6)
    assert by_op["x"].grad_norm == pytest.approx(np.linalg.norm(3 * (1 - t ** 2)), rel=1e-6)
    assert x.grad is None  # asking for the norms leaves .grad alone
    y.backward()  # and the graph is still whole
    assert np.linalg.norm(x.grad.numpy()) == pytest.approx(by_op["x"].grad_norm, rel=1e-6)


def test_after_backward_leaves_show_their_grad():
    x, w, y = _expression()
    y.backward()
    graph = trace(y, {"x": x, "w": w})
    shown = {n.op: n.grad_norm for n in graph.nodes}
    assert shown["w"] == pytest.approx(float(np.linalg.norm(w.grad.numpy())))
    assert shown["MatMul"] is None  # intermediate gradients were not kept
    with pytest.raises(RuntimeError, match="trace before calling backward"):
        trace(y, {"x": x, "w": w}, gradients=True)


def test_model_graph_names_parameters_and_input():
    sj.manual_seed(0)
    model = sj.models.quadrants_net()
    x, y = sj.datasets.quadrants(8)
    graph = model_graph(model, x, y)
    assert _ops(graph) == ["CrossEntropy", "Linear", "Linear", "Reshape", "Tanh"]
    leaves = {n.op: n for n in graph.nodes if n.kind in ("parameter", "leaf")}
    assert set(leaves) == {"input", "1.weight", "1.bias", "3.weight", "3.bias"}
    assert leaves["input"].kind == "leaf" and leaves["1.weight"].kind == "parameter"
    assert leaves["1.weight"].shape == (6, 2) and leaves["3.bias"].shape == (4,)
    assert {n.shape for n in graph.nodes if n.op == "Linear"} == {(8, 6), (8, 4)}
    # the norms shown are those backward gives
    loss = sj.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    for name, p in model.named_parameters():
        assert leaves[name].grad_norm == pytest.approx(np.linalg.norm(p.grad.numpy()), rel=1e-5)


@requires_dot
def test_graphviz_draws_png_and_svg(tmp_path):
    x, w, y = _expression()
    graph = trace(y, {"x": x, "w": w}, gradients=True)
    assert graph.render(tmp_path / "g.png") == "dot"
    check_png(tmp_path / "g.png")
    assert graph.render(tmp_path / "g.svg", engine="dot") == "dot"
    svg = check_svg(tmp_path / "g.svg")
    texts = " ".join(e.text or "" for e in svg.iter() if e.tag.endswith("text"))
    assert "MatMul" in texts and "grad norm" in texts


def test_without_graphviz_matplotlib_draws_it(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_module, "find_dot", lambda: None)  # as on a machine without it
    sj.manual_seed(0)
    x, y = sj.datasets.quadrants(8)
    graph = model_graph(sj.models.quadrants_net(), x, y)
    assert graph.render(tmp_path / "g.png") == "matplotlib"
    check_png(tmp_path / "g.png")
    assert graph.render(tmp_path / "g.svg") == "matplotlib"
    check_svg(tmp_path / "g.svg")
    with pytest.raises(FileNotFoundError, match="dot` program was not found"):
        graph.render(tmp_path / "h.png", engine="dot")
    figure = graph_module.draw_layered(graph)
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert texts == [n.label() for n in graph.nodes]
    assert any(t.startswith("CrossEntropy\n()\ngrad norm") for t in texts)


def test_layering_puts_every_edge_downward_and_routes_long_ones():
    nodes = ["a", "b", "c", "d", "out"]
    edges = [("a", "c"), ("b", "c"), ("c", "d"), ("d", "out"), ("a", "out")]
    rows, routes = layered_layout(nodes, edges)
    row_of = {v: r for r, row in enumerate(rows) for v in row}
    assert row_of["out"] == len(rows) - 1  # the output at the bottom
    assert row_of["b"] == row_of["c"] - 1  # a leaf sits just above its consumer
    for a, b in edges:
        route = routes[(a, b)]
        assert [row_of[v] for v in route] == list(range(row_of[a], row_of[b] + 1))
    assert len(routes[("a", "out")]) == 4  # a -> two dummies -> out


def test_barycentre_sweeps_remove_crossings():
    # Two chains whose first rows start crossed: u1 feeds the right node, u2 the left.
    nodes = ["u1", "u2", "m1", "m2", "l1", "l2"]
    edges = [("u1", "m2"), ("u2", "m1"), ("m1", "l1"), ("m2", "l2")]
    down = {}
    for a, b in edges:
        down.setdefault(a, []).append(b)
    assert count_crossings([["u1", "u2"], ["m1", "m2"], ["l1", "l2"]], down) == 1
    rows, routes = layered_layout(nodes, edges)
    assert count_crossings(rows, {a: [b] for a, b in edges}) == 0


def test_a_tensor_without_a_graph_is_explained():
    with pytest.raises(ValueError, match="no grad_fn"):
        trace(sj.ones(3))
    with pytest.raises(TypeError, match="must be a Tensor"):
        trace(np.ones(3))
    leaf = sj.ones(2, requires_grad=True)
    assert trace(leaf.sum(), gradients=True).nodes[0].grad_norm == pytest.approx(math.sqrt(2))
    # a leaf nobody holds any more is gone from the graph's weak reference: said so
    assert trace(sj.ones(2, requires_grad=True).sum()).nodes[0].op == "leaf (freed)"


def test_drawing_a_model_leaves_its_batch_norm_statistics_and_mode_alone():
    model = sj.nn.Sequential(sj.nn.Linear(3, 4), sj.nn.BatchNorm1d(4), sj.nn.ReLU())
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    sj.viz.model_graph(model, sj.randn(8, 3))
    assert model.training
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])


def test_names_with_dollar_signs_draw_without_mathtext(tmp_path):
    w = sj.randn(3, requires_grad=True)
    graph = trace((w * w).sum(), {"w_$a_b_c$": w})
    figure = graph_module.draw_layered(graph)
    path = tmp_path / "graph.png"
    figure.savefig(path)  # mathtext would fail on the double subscript
    check_png(path)
