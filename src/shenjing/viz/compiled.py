"""The static graph of a compiled step, drawn beside the dynamic graph of the same step.

shenjing's autograd is define-by-run: every step builds its graph anew while the forward code
runs, and backward walks it (``shenjing.viz.graph.trace`` draws that graph). ``sj.compile`` is
define-and-run: it traces the step once into a flat program of array calls (forward, backward,
gradient accumulation, parameter updates) and replays that program on every later step.
``static_graph`` turns such a program into a ``Graph``: one box per call in program order,
coloured by the phase of the step it belongs to, one oval per input and parameter, and a dashed
edge from each update back to the parameter it writes, which is what makes training a loop.
``compare_graphs`` draws the two side by side.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from shenjing.viz import graph as graph_module
from shenjing.viz.canvas import DPI, check_suffix, new_figure, save
from shenjing.viz.graph import FILL, Graph, GraphNode

DYNAMIC_TITLE = "define-by-run (dynamic graph, built every step)"
STATIC_TITLE = "define-and-run (static graph, traced once)"
PHASES = {"forward": "forward", "backward": "backward",
          "gradient": "gradients (accumulate, clip, zero)", "update": "parameter updates"}

# Kernels that work on .grad rather than compute it; and the seed kernel, the gradient of the
# loss with respect to itself, with which backward begins.
_GRADIENT_KERNELS = ("accumulate_grad", "add_gradients", "zero_grad", "clip_grads_with_norm_",
                     "clip_grad_value_", "get_total_norm", "clip_coef")
_SEED = "_ones_like"


def static_graph(step) -> Graph:
    """The static graph of a compiled step (``sj.compile(fn)`` after one call, or its
    ``Program``) as a ``Graph`` to render or print as DOT.

    Each call of the program is a box in program order, named as in the dynamic graph (the
    operation's class, or the kernel's name), with the shape it computed and its phase as a
    colour: 'forward' until backward's seed, then 'backward', 'gradient' for work on ``.grad``
    (``accumulate_grad``, clipping), 'update' for the optimizer's updates; the call that gives
    the step's result is the 'output'. Inputs and state (parameters by name) are ovals. Edges
    run from the values a call reads; values an operation keeps for its backward are edges from
    that operation. An update that writes a parameter in place gets a back edge to it. No
    PyTorch equivalent (``torch.fx``'s ``GraphModule.graph`` prints, but does not draw).

    >>> import shenjing as sj
    >>> net = sj.nn.Linear(3, 2)
    >>> opt = sj.optim.SGD(net.parameters(), lr=0.1)
    >>> @sj.compile
    ... def step(x):
    ...     opt.zero_grad()
    ...     loss = net(x).sum()
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
    >>> _ = step(sj.ones(4, 3))
    >>> graph = static_graph(step)
    >>> [(n.op, n.kind) for n in graph.nodes][:3]
    [('x', 'leaf'), ('weight', 'parameter'), ('bias', 'parameter')]
    >>> [n.op for n in graph.nodes if n.kind in ("forward", "output", "update")]
    ['Linear', 'Sum', 'sgd.update', 'sgd.update']
    >>> [graph.node(b).op for a, b in graph.back_edges]  # each update writes its parameter
    ['weight', 'bias']
    """
    from shenjing.nn.parameter import Parameter
    from shenjing.static.program import Program

    program = step if isinstance(step, Program) else getattr(step, "graph", None)
    if not isinstance(program, Program):
        raise TypeError(f"static_graph: expected a compiled function (sj.compile) or its "
                        f"Program, got {type(step).__name__}")
    graph = Graph()
    producer: dict[int, str] = {}  # value index -> the node it comes from
    # id(tensor), or ("value", index) of an accumulated gradient -> its name, to say what a
    # kernel works on
    names: dict = {}
    for v in program.inputs + program.state:
        node_id = f"v{v.index}"
        kind = "parameter" if isinstance(v.source, Parameter) else "leaf"
        graph.nodes.append(GraphNode(node_id, kind, v.label or f"%{v.index}", v.shape))
        producer[v.index] = node_id
        if v.source is not None and v.label:
            names[id(v.source)] = v.label
    results = {v.index for v in program.outputs}
    phase = "forward"
    for n, call in enumerate(program.calls):
        if call.kind == "attr":  # a value kept by an earlier operation: an edge from it
            (instance,) = call.args
            if instance.index in producer:
                producer[call.outputs[0].index] = producer[instance.index]
            continue
        if call.kind == "kernel" and call.name.startswith("release "):
            continue  # freeing saved buffers: memory, not computation
        if call.kind == "kernel" and call.name == _SEED:
            phase = "backward"
        node_id = f"c{n}"
        outputs = [v for v in call.outputs if v is not None]
        target = call.mutates if _is_value(call.mutates) else None
        shape = outputs[0].shape if outputs else getattr(target, "shape", None)
        if any(v.index in results for v in outputs):
            kind = "output"
        elif call.kind == "kernel" and call.name.endswith(".update"):
            kind = "update"
        elif call.kind == "kernel" and call.name in _GRADIENT_KERNELS:
            kind = "gradient"
        else:
            kind = phase
        note = _note(call, target, names)
        graph.nodes.append(GraphNode(node_id, kind, _call_name(call), shape, note=note))
        if call.name == "accumulate_grad" and note is not None:
            for v in outputs:  # the gradient that clipping and the update will read
                names[("value", v.index)] = note
        edges = []
        reads = list(call.args) + (list(call.params.values()) if call.kind == "op" else [])
        for v in _values_in(reads):
            if v is target and v.kind in ("input", "state"):
                continue  # read and written back: the back edge below says both
            source = producer.get(v.index)
            if source is not None and (source, node_id) not in edges:
                edges.append((source, node_id))
        graph.edges += edges
        for v in outputs:
            producer[v.index] = node_id
        if call.instance is not None:
            producer[call.instance.index] = node_id
        if target is not None:
            if target.kind in ("input", "state"):
                graph.back_edges.append((node_id, producer[target.index]))
            else:
                producer[target.index] = node_id  # later readers see the changed value
    return graph


def _is_value(a) -> bool:
    from shenjing.autograd.tracing import Value

    return isinstance(a, Value)


def _values_in(args):
    """The Values in ``args``, nested tuples and lists included, in order."""
    for a in args:
        if _is_value(a):
            yield a
        elif type(a) in (tuple, list):
            yield from _values_in(a)


def _call_name(call) -> str:
    """An operation by its class, as the dynamic graph names it; a kernel by its name."""
    if call.kind == "op":
        return getattr(call.target, "__name__", call.name)
    return call.name.lstrip("_")


def _note(call, target, names: dict) -> str | None:
    """What a kernel works on, by name: the parameter an update writes, the ``.grad`` that
    ``accumulate_grad`` adds to. Kernel parameters are shown by name only, never by repr."""
    if target is not None:
        return target.label or names.get(("value", target.index))
    if call.kind == "kernel" and call.name == _SEED:
        return "seed: dloss/dloss"
    if call.kind == "kernel":
        for value in call.params.values():
            if id(value) in names:
                return f"{names[id(value)]}.grad" if call.name == "accumulate_grad" \
                    else names[id(value)]
    return None


def compare_graphs(dynamic: Graph, static: Graph, path: str | Path | None = None,
                   engine: str = "auto", titles: tuple[str, str] = (DYNAMIC_TITLE, STATIC_TITLE)):
    """Draw the dynamic graph of a step beside its static graph, with titles and a key to the
    static graph's colours; returns the Figure (and writes PNG or SVG when given ``path``).

    ``dynamic``: e.g. ``sj.viz.model_graph(model, x, y)``; ``static``: ``static_graph(step)``
    of the compiled training step on the same model. ``engine`` as for ``Graph.render``: 'dot'
    lays each graph out with Graphviz, 'matplotlib' with ``layered_layout``, 'auto' Graphviz
    when installed. Both are drawn at one scale, so the same operation is the same size.

    >>> import shenjing as sj
    >>> x = sj.ones(2, requires_grad=True)
    >>> dynamic = sj.viz.trace((x * x).sum(), {"x": x})
    >>> figure = compare_graphs(dynamic, dynamic, engine="matplotlib")
    >>> for text in figure.texts:
    ...     print(text.get_text())
    define-by-run (dynamic graph, built every step)
    define-and-run (static graph, traced once)
    """
    if engine not in ("auto", "dot", "matplotlib"):
        raise ValueError(f"compare_graphs: engine must be 'auto', 'dot' or 'matplotlib', got "
                         f"{engine!r}")
    if path is not None:
        check_suffix(path)
    dot = graph_module.find_dot()
    if engine == "dot" and dot is None:
        raise FileNotFoundError("compare_graphs: Graphviz's `dot` program was not found; "
                                "install Graphviz (apt-get install graphviz) or use "
                                "engine='matplotlib'")
    if engine != "matplotlib" and dot is not None:
        figure = _side_by_side_dot(dynamic, static, titles)
    else:
        figure = _side_by_side_layered(dynamic, static, titles)
    if path is not None:
        save(figure, path)
    return figure


# Inches: the gap between the two graphs, the band for titles and key above them, the margin.
GAP, HEADER, MARGIN = 0.6, 0.8, 0.15
KEY_WIDTH = 7.2  # the key to the colours in one row


def _frame(sizes: list[tuple[float, float]], titles):
    """A figure holding panels of ``sizes`` (inches) side by side, top-aligned under a header
    with each panel's title; returns the figure and one axes per panel, each exactly its
    panel's size, centred in a slot wide enough for its title (and the last one's key)."""
    slots = [max(w, 0.09 * len(title) + 0.3) for (w, _), title in zip(sizes, titles)]
    slots[-1] = max(slots[-1], KEY_WIDTH)
    width = 2 * MARGIN + sum(slots) + GAP * (len(sizes) - 1)
    height = HEADER + MARGIN + max(h for _, h in sizes)
    figure = new_figure(width, height, layout=None)
    axes, left = [], MARGIN
    for (w, h), slot, title in zip(sizes, slots, titles):
        x = left + (slot - w) / 2
        axes.append(figure.add_axes((x / width, (height - HEADER - h) / height, w / width,
                                     h / height)))
        figure.text((left + slot / 2) / width, 1 - 0.25 / height, title, fontsize=11,
                    ha="center", va="center")
        left += slot + GAP
    return figure, axes, (left - GAP - slots[-1] / 2) / width


def _key(figure, centre: float) -> None:
    """The key to the static graph's colours, in one row under its title."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=FILL[kind], edgecolor="0.2", linewidth=0.6, label=text)
               for kind, text in PHASES.items()]
    handles.append(Line2D([], [], color=graph_module.BACK_EDGE, linestyle="--", linewidth=1.0,
                          label="writes in place"))
    height = figure.get_size_inches()[1]
    figure.legend(handles=handles, loc="center", bbox_to_anchor=(centre, 1 - 0.58 / height),
                  ncol=len(handles), frameon=False, fontsize=8, handlelength=1.4,
                  handleheight=0.9, columnspacing=1.0, handletextpad=0.4)


def _side_by_side_layered(dynamic: Graph, static: Graph, titles):
    placed = [graph_module.place(g) for g in (dynamic, static)]
    figure, axes, centre = _frame([p.size for p in placed], titles)
    for ax, graph, p in zip(axes, (dynamic, static), placed):
        graph_module.draw_on(ax, graph, p)
    _key(figure, centre)
    return figure


def _side_by_side_dot(dynamic: Graph, static: Graph, titles):
    from matplotlib.image import imread

    images = []
    with tempfile.TemporaryDirectory() as folder:
        for k, graph in enumerate((dynamic, static)):
            png = Path(folder) / f"graph{k}.png"
            graph.render(png, engine="dot")
            images.append(imread(png))
    # Graphviz drew at the dpi the figure is saved at: one pixel of its drawing is one here.
    figure, axes, centre = _frame([(a.shape[1] / DPI, a.shape[0] / DPI) for a in images],
                                  titles)
    for ax, image in zip(axes, images):
        ax.imshow(image, interpolation="none")
        ax.set_axis_off()
    _key(figure, centre)
    return figure


__all__ = ["DYNAMIC_TITLE", "STATIC_TITLE", "compare_graphs", "static_graph"]
