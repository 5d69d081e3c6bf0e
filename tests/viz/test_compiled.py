"""The static graph of a compiled step: its boxes and phases, the back edges that close the
training loop, and the picture beside the dynamic graph (matplotlib's layout and Graphviz's)."""

import pytest

import shenjing as sj
from shenjing.viz import graph as graph_module
from shenjing.viz.compiled import DYNAMIC_TITLE, STATIC_TITLE, compare_graphs, static_graph
from shenjing.viz.graph import draw_layered, layered_layout, model_graph
from tests.viz import check_png, check_svg

requires_dot = pytest.mark.skipif(graph_module.find_dot() is None,
                                  reason="Graphviz's dot is not installed")
PARAMETERS = ["0.weight", "0.bias", "2.weight", "2.bias"]


def _mlp_step(activation=sj.nn.Sigmoid, clip: bool = False, momentum: float = 0.0):
    """A 2-layer MLP's training step, compiled and called once; returns (step, model, x, y)."""
    sj.manual_seed(0)
    model = sj.nn.Sequential(sj.nn.Linear(4, 5), activation(), sj.nn.Linear(5, 3))
    optimizer = sj.optim.SGD(model.parameters(), lr=0.1, momentum=momentum)

    @sj.compile
    def step(x, y):
        optimizer.zero_grad()
        loss = sj.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        if clip:
            sj.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss

    x, y = sj.randn(6, 4), sj.randint(0, 3, (6,))
    step(x, y)
    return step, model, x, y


def _by_kind(graph) -> dict:
    found: dict = {}
    for node in graph.nodes:
        found.setdefault(node.kind, []).append(node.op)
    return found


@pytest.mark.parametrize("activation", [sj.nn.Sigmoid, sj.nn.ReLU])
def test_a_compiled_mlp_step_has_every_phase(activation):
    step, _, _, _ = _mlp_step(activation)
    graph = static_graph(step)
    kinds = _by_kind(graph)
    name = activation.__name__
    # the forward operations (CrossEntropy checks the targets itself, on every replay)
    assert kinds["forward"] == ["Linear", name, "Linear"]
    assert kinds["output"] == ["CrossEntropy"]  # the step returns the loss
    # the seed, then backward: cross-entropy's gradient scales by the mean's count itself
    assert kinds["backward"][:2] == ["ones_like", "CrossEntropyClassGradient"]
    assert {"CrossEntropyClassGradient", "MatMul", "TransposedMatMul", "Sum"} <= set(
        kinds["backward"])
    # zero_grad, where the tree records it as a kernel, then one accumulation per parameter
    assert [op for op in kinds["gradient"] if op != "zero_grad"] == ["accumulate_grad"] * 4
    # Updates show once the optimizers write parameters through a recorded kernel.
    assert kinds["update"] == ["sgd.update"] * 4, "no optimizer updates in the compiled graph"
    assert sorted(kinds["parameter"]) == sorted(PARAMETERS)
    assert kinds["leaf"] == ["x", "y"]
    # one box per call the program prints, in its order; values kept for backward are edges
    assert len(graph.nodes) == 6 + len(step.graph)
    calls = [n for n in graph.nodes if n.kind not in ("parameter", "leaf")]
    assert [n.id for n in calls] == sorted((n.id for n in calls), key=lambda i: int(i[1:]))
    ops = {n.op: n.id for n in calls}
    assert (ops["CrossEntropy"], ops["CrossEntropyClassGradient"]) in graph.edges
    layered_layout([n.id for n in graph.nodes], graph.edges)  # the forward edges: a DAG


def test_updates_read_the_accumulated_gradient_and_write_back_their_parameter():
    step, _, _, _ = _mlp_step(momentum=0.9)
    graph = static_graph(step)
    by_id = {n.id: n for n in graph.nodes}
    updates = [n for n in graph.nodes if n.kind == "update"]
    assert sorted(n.note for n in updates) == sorted(PARAMETERS)
    for update in updates:
        (source,) = [by_id[a] for a, b in graph.edges if b == update.id]
        assert source.op == "accumulate_grad" and source.note == f"{update.note}.grad"
        assert source.shape == update.shape
    back = {(by_id[a].note, by_id[b].op) for a, b in graph.back_edges}
    assert back == {(name, name) for name in PARAMETERS}  # the loop a training step closes
    assert not any(by_id[b].kind == "update" for a, b in graph.edges if by_id[a].kind ==
                   "parameter")  # a parameter an update writes is drawn by its back edge only
    dot = graph.to_dot()
    assert dot.count("style=dashed") == 4 and dot.count("constraint=false") == 4


def test_clipping_sits_between_accumulation_and_update():
    step, _, _, _ = _mlp_step(clip=True)
    graph = static_graph(step)
    by_id = {n.id: n for n in graph.nodes}
    clips = [n for n in graph.nodes if n.op == "clip_grads_with_norm_"]
    assert len(clips) == 4 and {n.kind for n in clips} == {"gradient"}
    assert sorted(n.note for n in clips) == sorted(f"{p}.grad" for p in PARAMETERS)
    for update in (n for n in graph.nodes if n.kind == "update"):
        (source,) = [by_id[a] for a, b in graph.edges if b == update.id]
        assert source.op == "clip_grads_with_norm_"  # it reads the clipped gradient


def test_a_compiled_forward_is_all_forward_and_takes_a_program():
    sj.manual_seed(0)
    model = sj.nn.Sequential(sj.nn.Linear(4, 5), sj.nn.Tanh())
    forward = sj.compile(model)
    with sj.no_grad():
        forward(sj.randn(2, 4))
    graph = static_graph(forward.graph)
    kinds = _by_kind(graph)
    assert len(kinds.pop("leaf")) == 1  # the input, named as sj.compile names it
    assert kinds == {"parameter": ["0.weight", "0.bias"], "forward": ["Linear"],
                     "output": ["Tanh"]}
    assert graph.back_edges == []
    with pytest.raises(TypeError, match="compiled function"):
        static_graph(model)
    with pytest.raises(RuntimeError, match="not been called yet"):
        static_graph(sj.compile(model))


def _both():
    sj.manual_seed(0)
    step, model, x, y = _mlp_step()
    return model_graph(model, x, y), static_graph(step)


def test_without_graphviz_both_graphs_are_drawn_side_by_side(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_module, "find_dot", lambda: None)
    dynamic, static = _both()
    figure = compare_graphs(dynamic, static, tmp_path / "graphs.png")
    check_png(tmp_path / "graphs.png", figure)
    assert [t.get_text() for t in figure.texts] == [DYNAMIC_TITLE, STATIC_TITLE]
    left, right = figure.axes
    labels = [t.get_text() for t in right.texts]
    assert labels == [n.label() for n in static.nodes]
    assert [t.get_text() for t in left.texts] == [n.label() for n in dynamic.nodes]
    # one scale for both: the static graph, forward and backward and updates, is the taller
    assert right.get_position().height > left.get_position().height
    dashed = [line for line in right.lines if line.get_linestyle() == "--"]
    assert len(dashed) == 4 * 4  # each back edge: four straight runs, then its arrow
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend[-1] == "writes in place" and "parameter updates" in legend
    compare_graphs(dynamic, static, tmp_path / "graphs.svg")
    check_svg(tmp_path / "graphs.svg")
    with pytest.raises(FileNotFoundError, match="dot` program was not found"):
        compare_graphs(dynamic, static, engine="dot")
    with pytest.raises(ValueError, match="engine must be"):
        compare_graphs(dynamic, static, engine="neato")
    with pytest.raises(ValueError, match="suffix"):
        compare_graphs(dynamic, static, tmp_path / "graphs.jpg")


def test_a_static_graph_alone_draws_its_back_edges_with_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_module, "find_dot", lambda: None)
    _, static = _both()
    assert static.render(tmp_path / "static.png") == "matplotlib"
    check_png(tmp_path / "static.png")
    figure = draw_layered(static)
    assert [t.get_text() for t in figure.axes[0].texts] == [n.label() for n in static.nodes]
    # the boxes widen to the longest name ("CrossEntropyClassGradient"), so that it fits
    placed = graph_module.place(static)
    assert placed.box_w > graph_module.BOX_W
    assert figure.get_size_inches() == pytest.approx(placed.size)
    # back edges run below the last row and right of every box, never through one
    lowest = min(y for x, y in placed.where.values()) - graph_module.BOX_H / 2
    rightmost = max(x for x, y in placed.where.values()) + placed.box_w / 2
    for route in placed.back_routes:
        assert route[1][1] < lowest and route[2][0] > rightmost


@requires_dot
def test_graphviz_draws_both_side_by_side(tmp_path):
    dynamic, static = _both()
    figure = compare_graphs(dynamic, static, tmp_path / "graphs.png")
    check_png(tmp_path / "graphs.png", figure)
    assert [len(ax.images) for ax in figure.axes] == [1, 1]
    assert static.render(tmp_path / "static.svg") == "dot"
    svg = check_svg(tmp_path / "static.svg")
    texts = " ".join(e.text or "" for e in svg.iter() if e.tag.endswith("text"))
    assert "sgd.update" in texts and "accumulate_grad" in texts


def test_a_kernel_that_reads_nothing_is_drawn_first():
    step, _, _, _ = _mlp_step()
    graph = static_graph(step)
    rows, _ = layered_layout([n.id for n in graph.nodes], graph.edges)
    alone = [n for n in graph.nodes
             if not any(n.id in edge for edge in graph.edges + graph.back_edges)]
    if not alone:
        pytest.skip("zero_grad is not a recorded kernel in this tree")
    assert {n.op for n in alone} == {"zero_grad"} and alone[0].kind == "gradient"
    assert alone[0].id in rows[0]  # at the top, as the step begins with it
