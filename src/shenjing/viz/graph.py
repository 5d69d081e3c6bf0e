"""The computational graph of an expression, or of one forward pass of a model.

``trace`` walks the backward graph that shenjing records (``grad_fn`` and ``next_edges``) from an
output to the leaves: one box per operation with the shape of what it computed, one oval per
leaf (parameters and inputs by name), arrows in the direction data flowed. With
``gradients=True`` every box also shows the norm of the gradient of the output with respect to
what it computed. ``Graph.to_dot`` gives Graphviz's DOT text; ``Graph.render`` draws it with
Graphviz's ``dot`` program when it is installed, else with matplotlib and a layered layout
(``layered_layout``), so the picture needs nothing beyond the ``plots`` extra. A graph may also
have back edges, drawn dashed and left out of the layout: a compiled training step's parameter
updates write back into the parameters it started from (``shenjing.viz.compiled``).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from shenjing.autograd.function import AccumulateGrad
from shenjing.autograd.tensor import Tensor
from shenjing.viz.canvas import DPI, check_suffix, new_figure

# A dynamic graph's operations are "op"; a static graph's calls are coloured by the phase of the
# step they belong to: "forward" as "op", then "backward", "gradient" (accumulating, clipping
# and zeroing .grad) and "update" (the optimizer writing the parameters).
FILL = {"op": "#dbe9f6", "output": "#fddbc7", "parameter": "#d9f0d3", "leaf": "#eeeeee",
        "forward": "#dbe9f6", "backward": "#fff1b3", "gradient": "#e6dcf2", "update": "#f7c8d9"}
LEAVES = ("parameter", "leaf")
BACK_EDGE = "#8c2d5a"  # the colour of back edges: an update writing a parameter


@dataclass
class GraphNode:
    """One node: an operation (``kind`` 'op' or 'output', or a static graph's phase: 'forward',
    'backward', 'gradient', 'update') or a leaf ('parameter', 'leaf')."""

    id: str
    kind: str
    op: str  # the operation ("Linear", "Tanh"), or the leaf's name
    shape: tuple | None = None
    grad_norm: float | None = None
    note: str | None = None  # a line under the name: what a kernel works on ("0.weight")

    def label(self) -> str:
        """The text in the node's box: what it is, its shape, its gradient's norm."""
        lines = [self.op]
        if self.note is not None:
            lines.append(self.note)
        if self.shape is not None:
            lines.append(str(tuple(self.shape)))
        if self.grad_norm is not None:
            lines.append(f"grad norm {self.grad_norm:.3g}")
        return "\n".join(lines)


@dataclass
class Graph:
    """Nodes (inputs first, the output last) and edges ``(from, to)`` in the data's direction;
    ``back_edges`` go against it (an update writing back a parameter) and are drawn dashed."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    back_edges: list[tuple[str, str]] = field(default_factory=list)

    def node(self, node_id: str) -> GraphNode:
        return next(n for n in self.nodes if n.id == node_id)

    def to_dot(self) -> str:
        r"""The graph as Graphviz DOT text (top to bottom, leaves as ovals, operations as boxes,
        the output's box doubled); one edge per input, so ``x * x`` has two from ``x``.

        >>> import shenjing as sj
        >>> x = sj.tensor([1.0, 2.0], requires_grad=True)
        >>> dot = trace((x * x).sum(), {"x": x}).to_dot()
        >>> print("\n".join(line for line in dot.splitlines() if line[2:4] in ("n0", "n1", "n2")))
          n0 [label="x\n(2,)", shape=ellipse, fillcolor="#eeeeee"];
          n1 [label="Mul\n(2,)", shape=box, fillcolor="#dbe9f6"];
          n2 [label="Sum\n()", shape=box, fillcolor="#fddbc7", peripheries=2];
          n0 -> n1;
          n0 -> n1;
          n1 -> n2;
        """
        lines = ["digraph shenjing {",
                 '  graph [rankdir=TB, nodesep=0.25, ranksep=0.35];',
                 '  node [fontname="Helvetica", fontsize=10, style="filled,rounded"];',
                 '  edge [arrowsize=0.7];']
        for n in self.nodes:
            label = n.label().replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            shape = "ellipse" if n.kind in LEAVES else "box"
            extra = ", peripheries=2" if n.kind == "output" else ""
            lines.append(f'  {n.id} [label="{label}", shape={shape}, '
                         f'fillcolor="{FILL[n.kind]}"{extra}];')
        lines += [f"  {a} -> {b};" for a, b in self.edges]
        # constraint=false: a back edge does not rank its ends, so the loop stays a loop
        lines += [f'  {a} -> {b} [style=dashed, color="{BACK_EDGE}", constraint=false];'
                  for a, b in self.back_edges]
        lines.append("}")
        return "\n".join(lines) + "\n"

    def render(self, path: str | Path, engine: str = "auto") -> str:
        """Draw the graph to ``path`` (PNG or SVG by the suffix); returns the engine used.

        ``engine``: 'dot' (Graphviz, must be installed), 'matplotlib' (the layered drawing), or
        'auto' (Graphviz when ``dot`` is found, else matplotlib).
        """
        path = check_suffix(path)
        if engine not in ("auto", "dot", "matplotlib"):
            raise ValueError(f"render: engine must be 'auto', 'dot' or 'matplotlib', got "
                             f"{engine!r}")
        dot = find_dot()
        if engine == "dot" and dot is None:
            raise FileNotFoundError("render: Graphviz's `dot` program was not found; install "
                                    "Graphviz (apt-get install graphviz) or use "
                                    "engine='matplotlib'")
        path.parent.mkdir(parents=True, exist_ok=True)
        if engine != "matplotlib" and dot is not None:
            fmt = path.suffix.lower()[1:]
            result = subprocess.run([dot, f"-T{fmt}", f"-Gdpi={DPI}", "-o", str(path)],
                                    input=self.to_dot(), capture_output=True, text=True)
            if result.returncode:
                raise RuntimeError(f"render: {dot} failed to draw {path}: "
                                   f"{result.stderr.strip()}")
            return "dot"
        draw_layered(self, path)
        return "matplotlib"


def find_dot() -> str | None:
    """The path of Graphviz's ``dot`` program, or None when Graphviz is not installed."""
    return shutil.which("dot")


def _names_by_id(names) -> dict[int, str]:
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):  # a Module
        names = dict(names.named_parameters())
    return {id(t): name for name, t in names.items()}


def trace(output: Tensor, names=None, gradients: bool = False) -> Graph:
    """The graph that computed ``output``, read from its ``grad_fn`` back to the leaves.

    ``names``: a dict ``{name: tensor}`` or a Module (its ``named_parameters``) naming leaves;
    other leaves are called 'leaf'. ``Parameter`` leaves are drawn green, other leaves grey. With
    ``gradients=True`` the norm of d output / d (each node's value) is computed (by
    ``sj.autograd.grad`` with ``retain_graph=True``, so the graph stays usable; a non-scalar
    output is weighted by ones) and shown; otherwise leaves show the norm of their ``.grad``
    if a backward pass left one. Like the pictures of torchviz's ``make_dot``.
    """
    from shenjing.nn.parameter import Parameter

    if not isinstance(output, Tensor):
        raise TypeError(f"trace: output must be a Tensor, got {type(output).__name__}")
    if output.grad_fn is None:
        raise ValueError("trace: the output has no grad_fn: no input of it requires grad (or it "
                         "was computed under no_grad), so no graph was recorded")
    by_id = _names_by_id(names)
    # Walk from the output; order[i] is a node, shapes come from the consumers' input_meta.
    order, index, shapes = [], {}, {}
    stack = [output.grad_fn]
    while stack:
        node = stack.pop()
        if node in index:
            continue
        index[node] = len(order)
        order.append(node)
        for edge, meta in zip(node.next_edges, getattr(node, "input_meta", ()) or ()):
            if edge is None:
                continue
            if meta is not None:
                shapes.setdefault(edge, meta[0])
            stack.append(edge[0])
    shapes.setdefault((output.grad_fn, output._output_nr), output.shape)
    norms = _gradient_norms(output, order) if gradients else {}
    # Ids number the nodes from the leaves: creation order (sequence_nr) is topological.
    order.sort(key=lambda node: node.sequence_nr)
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    graph = Graph()
    for node in order:
        if isinstance(node, AccumulateGrad):
            tensor = node.variable()
            name = by_id.get(id(tensor), "leaf") if tensor is not None else "leaf (freed)"
            kind = "parameter" if isinstance(tensor, Parameter) else "leaf"
            grad = norms.get((node, 0))
            if grad is None and tensor is not None and tensor.grad is not None:
                grad = _norm(tensor.grad)
            graph.nodes.append(GraphNode(ids[node], kind, name,
                                         tensor.shape if tensor is not None else None, grad))
            continue
        outputs = len(node.output_meta) if node.output_meta else 1
        shape = shapes.get((node, 0)) if outputs == 1 else tuple(
            meta[0] for meta in node.output_meta)
        kind = "output" if node is output.grad_fn else "op"
        op = node.name().removesuffix("Backward")
        graph.nodes.append(GraphNode(ids[node], kind, op, shape, norms.get((node, 0))))
        for edge in node.next_edges:
            if edge is not None:
                graph.edges.append((ids[edge[0]], ids[node]))
    graph.edges.sort(key=lambda e: (int(e[1][1:]), int(e[0][1:])))
    return graph


def _norm(tensor: Tensor) -> float:
    return float((tensor.detach().double() ** 2).sum().item() ** 0.5)


def _gradient_norms(output: Tensor, nodes) -> dict:
    """``{(node, 0): |d output / d value|}`` for every node's (first) output value."""
    from shenjing.autograd.engine import grad
    from shenjing.backend import array_module
    from shenjing.creation import ones_like

    xp = array_module(output._data)
    targets, keys = [], []
    for node in nodes:
        if isinstance(node, AccumulateGrad):
            tensor = node.variable()
            if tensor is None:
                continue
            targets.append(tensor)
        else:
            # grad() captures the gradient arriving at a tensor's (grad_fn, output_nr); an
            # intermediate value is gone, so a stand-in that names the same edge asks for it.
            targets.append(Tensor._make(xp.empty(0), True, node, 0))
        keys.append((node, 0))
    weight = None if output.numel() == 1 else ones_like(output)
    try:
        found = grad(output, targets, grad_outputs=weight, retain_graph=True, allow_unused=True)
    except RuntimeError as exc:
        raise RuntimeError(f"trace: cannot compute gradients through this graph ({exc}); "
                           "trace before calling backward(), or pass gradients=False") from None
    return {key: _norm(g) for key, g in zip(keys, found) if g is not None}


def model_graph(model, inputs: Tensor, target: Tensor | None = None, loss=None,
                gradients: bool = True) -> Graph:
    """The graph of one forward pass of ``model`` on ``inputs`` (and of ``loss(output,
    target)`` when a target is given; cross-entropy by default), parameters named as in
    ``model.named_parameters()``, the input as 'input', gradient norms shown.

    The pass runs in eval mode (then the model's mode is restored), so drawing a model never
    updates its batch-norm statistics.
    """
    from shenjing.autograd.grad_mode import enable_grad

    was_training = model.training
    model.eval()
    try:
        with enable_grad():
            x = inputs.detach().requires_grad_() if inputs.dtype.kind == "f" else inputs
            output = model(x)
            if target is not None:
                if loss is None:
                    from shenjing.ops.loss import cross_entropy as loss
                output = loss(output, target)
            names = {"input": x, **dict(model.named_parameters())}
            return trace(output, names, gradients=gradients)
    finally:
        model.train(was_training)


# -- the drawing without Graphviz ---------------------------------------------------------------

def layered_layout(nodes: list[str], edges: list[tuple[str, str]], sweeps: int = 4):
    """Sugiyama-style layers for a DAG: ``(layers, routes)``.

    Layering is by longest path to a sink, so a leaf sits just above the operation that uses
    it and the output at the bottom; a node without edges goes to the top row. ``layers[0]``
    is the top row, a list of node ids, where edges that skip rows pass through dummy ids
    ``('dummy', k)``. Then ``sweeps`` barycentre
    sweeps (down, up, down, ...) reorder each row by the mean position of its neighbours in the
    row before, which removes most edge crossings. ``routes[(a, b)]`` is the list of ids, dummies
    included, that the edge from a to b passes through.

    >>> rows, routes = layered_layout(["x", "w", "mul", "out"],
    ...                               [("x", "mul"), ("w", "mul"), ("mul", "out"), ("x", "out")])
    >>> rows  # the dummy went left of mul: x's two edges no longer cross w's
    [['x', 'w'], [('dummy', 0), 'mul'], ['out']]
    >>> routes[("x", "out")]
    ['x', ('dummy', 0), 'out']
    """
    successors = {v: [] for v in nodes}
    for a, b in edges:
        successors[a].append(b)
    depth: dict = {}
    for v in reversed(_topological(nodes, edges)):  # sinks first
        depth[v] = max((depth[w] + 1 for w in successors[v]), default=0)
    top = max(depth.values(), default=0)
    linked = {v for edge in edges for v in edge}
    for v in nodes:
        if v not in linked:  # a node on its own (a kernel that reads nothing) starts the picture
            depth[v] = top
    rows: list[list] = [[] for _ in range(top + 1)]
    for v in nodes:  # discovery order as the first ordering
        rows[top - depth[v]].append(v)
    row_of = {v: top - depth[v] for v in nodes}
    up: dict = {}  # neighbours in the row above
    down: dict = {}  # neighbours in the row below
    routes = {}
    dummies = 0
    for a, b in edges:
        route = [a]
        for r in range(row_of[a] + 1, row_of[b]):
            dummy = ("dummy", dummies)
            dummies += 1
            rows[r].append(dummy)
            row_of[dummy] = r
            route.append(dummy)
        route.append(b)
        routes[(a, b)] = route
        for u, w in zip(route, route[1:]):
            down.setdefault(u, []).append(w)
            up.setdefault(w, []).append(u)
    best, best_crossings = [list(r) for r in rows], count_crossings(rows, down)
    for sweep in range(sweeps):
        order = range(1, len(rows)) if sweep % 2 == 0 else range(len(rows) - 2, -1, -1)
        neighbours = up if sweep % 2 == 0 else down
        for r in order:
            ref = rows[r - 1] if sweep % 2 == 0 else rows[r + 1]
            position = {v: i for i, v in enumerate(ref)}
            current = {v: i for i, v in enumerate(rows[r])}

            def barycentre(v, position=position, current=current, neighbours=neighbours):
                linked = [position[u] for u in neighbours.get(v, ()) if u in position]
                return sum(linked) / len(linked) if linked else current[v]

            rows[r].sort(key=barycentre)
        crossings = count_crossings(rows, down)
        if crossings < best_crossings:
            best, best_crossings = [list(r) for r in rows], crossings
    return best, routes


def _topological(nodes, edges) -> list:
    indegree = {v: 0 for v in nodes}
    successors = {v: [] for v in nodes}
    for a, b in edges:
        indegree[b] += 1
        successors[a].append(b)
    ready = [v for v in nodes if indegree[v] == 0]
    order = []
    while ready:
        v = ready.pop()
        order.append(v)
        for w in successors[v]:
            indegree[w] -= 1
            if indegree[w] == 0:
                ready.append(w)
    if len(order) != len(nodes):
        raise ValueError("layered_layout: the graph has a cycle")
    return order


def count_crossings(rows, down) -> int:
    """How many pairs of edges cross between consecutive rows (``down``: id -> ids below).

    >>> count_crossings([["a", "b"], ["c", "d"]], {"a": ["d"], "b": ["c"]})
    1
    """
    total = 0
    for upper, lower in zip(rows, rows[1:]):
        position = {v: i for i, v in enumerate(lower)}
        segments = [(i, position[w]) for i, v in enumerate(upper) for w in down.get(v, ())
                    if w in position]
        total += sum(1 for k, (a, b) in enumerate(segments) for c, d in segments[k + 1:]
                     if (a - c) * (b - d) < 0)
    return total


def _columns(rows, routes, step: float, passes: int = 4) -> dict:
    """x of every id: rows keep their order, nodes move toward the mean x of their neighbours
    (alternately above and below) but stay at least ``step`` apart."""
    above, below = {}, {}
    for route in routes.values():
        for u, w in zip(route, route[1:]):
            below.setdefault(u, []).append(w)
            above.setdefault(w, []).append(u)
    x = {v: (i - (len(row) - 1) / 2) * step for row in rows for i, v in enumerate(row)}
    for k in range(passes):
        neighbours = above if k % 2 == 0 else below
        for row in rows:
            wanted = [sum(x[u] for u in neighbours[v]) / len(neighbours[v])
                      if neighbours.get(v) else x[v] for v in row]
            placed = []
            for want in wanted:
                placed.append(max(want, placed[-1] + step) if placed else want)
            shift = sum(w - p for w, p in zip(wanted, placed)) / len(row)
            for v, p in zip(row, placed):
                x[v] = p + shift
    return x


# Layout units: a row every Y_STEP, boxes BOX_H high and at least BOX_W wide; INCH per unit.
Y_STEP, BOX_W, BOX_H, INCH = 1.1, 1.75, 0.62, 0.85


@dataclass
class Placement:
    """Where ``draw_on`` puts a graph: node centres, edge polylines, box width, and the extent
    ``(left, right, bottom, top)`` in layout units."""

    where: dict
    routes: list  # forward edges: lists of points, arrow at the last
    back_routes: list  # back edges, likewise, drawn dashed
    box_w: float
    extent: tuple

    @property
    def size(self) -> tuple[float, float]:
        """Width and height in inches."""
        left, right, bottom, top = self.extent
        return INCH * (right - left), INCH * (top - bottom)


def place(graph: Graph) -> Placement:
    """Lay ``graph`` out in layered rows (``layered_layout``); boxes widen for long labels.

    Back edges leave the bottom of their box, run below the last row to lanes right of the
    graph, climb, and enter the top of their target: they cross edges but never a box.
    """
    rows, routes = layered_layout([n.id for n in graph.nodes], graph.edges)
    longest = max((len(line) for n in graph.nodes for line in n.label().splitlines()), default=0)
    box_w = max(BOX_W, 0.075 * longest + 0.2)  # about 0.075 units a character at 8 points
    x = _columns(rows, routes, box_w + 0.25)
    where = {v: (x[v], -r * Y_STEP) for r, row in enumerate(rows) for v in row}
    left = min(x.values(), default=0.0) - box_w / 2 - 0.1
    right = max(x.values(), default=0.0) + box_w / 2 + 0.1
    bottom, top = -(len(rows) - 1) * Y_STEP - BOX_H / 2 - 0.1, BOX_H / 2 + 0.1
    lines = []
    for route in routes.values():
        points = [where[v] for v in route]
        # from the bottom of the first box to the top of the last one
        points[0] = (points[0][0], points[0][1] - BOX_H / 2)
        points[-1] = (points[-1][0], points[-1][1] + BOX_H / 2)
        lines.append(points)
    back = []
    floor = bottom
    for k, (a, b) in enumerate(graph.back_edges):
        (xa, ya), (xb, yb) = where[a], where[b]
        lane_x = right + 0.15 + 0.18 * k
        low = floor - 0.1 - 0.08 * k
        high = yb + BOX_H / 2 + 0.12 + 0.06 * (k % 4)
        back.append([(xa, ya - BOX_H / 2), (xa, low), (lane_x, low), (lane_x, high), (xb, high),
                     (xb, yb + BOX_H / 2)])
    if graph.back_edges:
        right += 0.15 + 0.18 * len(graph.back_edges)
        bottom = floor - 0.2 - 0.08 * len(graph.back_edges)
        top += 0.12 + 0.06 * min(4, len(graph.back_edges))
    return Placement(where, lines, back, box_w, (left, right, bottom, top))


def draw_on(ax, graph: Graph, placed: Placement | None = None) -> Placement:
    """Draw ``graph`` on the matplotlib axes ``ax`` (limits set to its extent, axis hidden)."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    placed = placed or place(graph)
    left, right, bottom, top = placed.extent
    ax.set_axis_off()
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    box_w = placed.box_w
    for node in graph.nodes:
        cx, cy = placed.where[node.id]
        style = "round,pad=0.02,rounding_size=0.3" if node.kind in LEAVES \
            else "round,pad=0.02,rounding_size=0.08"
        ax.add_patch(FancyBboxPatch((cx - box_w / 2, cy - BOX_H / 2), box_w, BOX_H,
                                    boxstyle=style, facecolor=FILL[node.kind],
                                    edgecolor="0.2",
                                    linewidth=1.6 if node.kind == "output" else 0.8))
        # Names are plain text: a '$' must not start matplotlib's mathtext.
        ax.text(cx, cy, node.label().replace("$", r"\$"), ha="center", va="center", fontsize=8)
    for points, color, dashes in [(p, "0.3", "-") for p in placed.routes] + \
            [(p, BACK_EDGE, "--") for p in placed.back_routes]:
        for (x0, y0), (x1, y1) in zip(points[:-2], points[1:-1]):
            ax.plot([x0, x1], [y0, y1], color=color, linewidth=0.8, linestyle=dashes)
        ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>",
                                     mutation_scale=9, color=color, linewidth=0.8,
                                     linestyle=dashes, shrinkA=0, shrinkB=0))
    return placed


def draw_layered(graph: Graph, path: str | Path | None = None):
    """Draw ``graph`` with matplotlib in layered rows (no Graphviz needed); returns the
    Figure. Each node is a rounded box (an oval-ish one for leaves) labelled as in DOT."""
    from shenjing.viz.canvas import save

    placed = place(graph)
    figure = new_figure(*placed.size, layout=None)
    draw_on(figure.add_axes((0, 0, 1, 1)), graph, placed)
    if path is not None:
        save(figure, path)
    return figure
