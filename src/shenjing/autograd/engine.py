"""The backward engine: walks the graph from outputs to leaves and hands gradients along.

Nodes are visited in decreasing order of creation, kept in a heap: a node is created after all of
its inputs' nodes, so by the time it is visited every gradient that flows into it has arrived,
and each node runs once however many paths lead to it. No recursion, so a graph of any depth
works. Gradients of broadcast inputs are summed back to the input's shape here, in one place.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from shenjing import backend
from shenjing.autograd import tracing
from shenjing.autograd.broadcast import sum_to
from shenjing.autograd.function import AccumulateGrad, Function, Node, ShapeError
from shenjing.autograd.grad_mode import set_grad_enabled
from shenjing.autograd.tensor import Tensor


def backward(tensor: Tensor, gradient=None, retain_graph=None, create_graph: bool = False):
    """Accumulate d(tensor)/d(leaf) into the ``.grad`` of every leaf that requires grad."""
    roots, grads = _roots_and_gradients("backward", [tensor], [gradient])
    _run(roots, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated.

    ``grad_outputs`` weighs each output (needed for non-scalar outputs). With
    ``create_graph=True`` the returned gradients are themselves differentiable: gradients of
    gradients, Hessian-vector products, gradient penalties. Leaves' ``.grad`` stay untouched.
    Equivalent of ``torch.autograd.grad``.

    >>> import shenjing as sj
    >>> x = sj.tensor(3.0, requires_grad=True)
    >>> (dy,) = sj.autograd.grad(x ** 3, x, create_graph=True)
    >>> dy, sj.autograd.grad(dy, x)
    (tensor(27., grad_fn=<MulBackward>), (tensor(18.),))
    """
    outputs = _as_sequence(outputs)
    inputs = _as_sequence(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = _as_sequence(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(grad_outputs)} grad_outputs given for {len(outputs)} outputs")
    targets: dict[tuple[Node, int], list[int]] = {}
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"grad: input {i} is a {type(x).__name__}, not a Tensor")
        if not x.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {x.shape}) does not require grad")
        targets.setdefault(x._gradient_edge(), []).append(i)
    roots, grads = _roots_and_gradients("grad", outputs, grad_outputs)
    captured = _run(roots, grads, retain_graph, create_graph, targets)
    results = []
    for i, x in enumerate(inputs):
        g = captured.get(i)
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {x.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        results.append(g)
    return tuple(results)


def _as_sequence(value) -> list:
    return list(value) if isinstance(value, Sequence) else [value]


def _roots_and_gradients(op: str, outputs, gradients):
    roots, grads = [], []
    for i, (y, g) in enumerate(zip(outputs, gradients)):
        if not isinstance(y, Tensor):
            raise TypeError(f"{op}: output {i} is a {type(y).__name__}, not a Tensor")
        if not y.requires_grad:
            raise RuntimeError(
                f"{op}: output {i} does not require grad and has no grad_fn: nothing it was "
                "computed from requires grad (or it was computed under no_grad)"
            )
        if g is None:
            if y.numel() != 1:
                raise RuntimeError(
                    f"{op}: the gradient can be implied only for scalar outputs, but output {i} "
                    f"has shape {y.shape}; pass gradient= (d loss / d output) explicitly"
                )
            g = Tensor._make(tracing.kernel(_ones_like, y))
        else:
            if not isinstance(g, Tensor):
                g = Tensor(g, dtype=y.dtype, device=y.device)
            if g.shape != y.shape:
                raise ShapeError(f"{op}: gradient of shape {g.shape} given for output {i} of "
                                 f"shape {y.shape}")
            if g.dtype != y.dtype:
                g = g.to(y.dtype)
        roots.append(y)
        grads.append(g)
    return roots, grads


def _run(roots, grads, retain_graph, create_graph, targets=None) -> dict[int, Tensor]:
    """Propagate ``grads`` from ``roots``; with ``targets``, capture those gradients instead."""
    if retain_graph is None:
        retain_graph = create_graph
    heap: list = []
    buffers: dict[Node, list] = {}
    needed = _nodes_leading_to(roots, targets) if targets is not None else None
    captured: dict[int, Tensor] = {}

    def send(node: Node, output_nr: int, g: Tensor) -> None:
        if needed is not None and node not in needed:
            return
        buffer = buffers.get(node)
        if buffer is None:
            buffer = buffers[node] = [None] * max(len(getattr(node, "output_meta", ())), 1)
            heapq.heappush(heap, (-node.sequence_nr, id(node), node))
        buffer[output_nr] = g if buffer[output_nr] is None else _add(buffer[output_nr], g,
                                                                    create_graph)

    with set_grad_enabled(create_graph):
        for y, g in zip(roots, grads):
            send(*y._gradient_edge(), g)
        while heap:
            node = heapq.heappop(heap)[2]
            gys = buffers.pop(node)
            if targets is not None:
                for output_nr, g in enumerate(gys):
                    for i in targets.get((node, output_nr), ()):
                        captured[i] = g
            if isinstance(node, AccumulateGrad):
                if targets is None:
                    _accumulate_into_leaf(node.variable(), gys[0], create_graph)
                continue
            if needed is not None and not any(
                edge is not None and edge[0] in needed for edge in node.next_edges
            ):
                if not retain_graph:
                    _release(node)
                continue  # a target past which no other target lies
            if node.retained and targets is None:
                for output_nr, ref in node.retained.items():
                    _accumulate_into_leaf(ref(), gys[output_nr], create_graph)
            for g_in, (edge, meta) in zip(_call_backward(node, gys),
                                          zip(node.next_edges, node.input_meta)):
                if edge is not None and g_in is not None:
                    send(edge[0], edge[1], _fit(node, g_in, meta))
            if not retain_graph:
                _release(node)
    return captured


def _release(node) -> None:
    """Free a node's saved tensors; recorded when the node frees more (a recurrent layer's
    buffers), so that a compiled step frees them on every replay too."""
    if tracing._active is not None and type(node).release is not Function.release:
        tracing.kernel(type(node).release, node, name=f"release {node.name()}")
    else:
        node.release()


def _call_backward(node, gys) -> tuple:
    if node._released:
        raise RuntimeError(
            f"{node.name()}: trying to backward through the graph a second time; its saved "
            "tensors were freed by the first backward. Pass retain_graph=True to the first "
            "backward() (or autograd.grad) if you need to backward through it again"
        )
    if len(gys) > 1:
        # A multi-output node whose outputs did not all get a gradient: those are zeros.
        like = next(g for g in gys if g is not None)
        gys = [g if g is not None else Tensor._make(tracing.kernel(_zeros, like, shape=shape,
                                                                   dtype=dtype))
               for g, (shape, dtype) in zip(gys, node.output_meta)]
    gxs = node.backward(*gys)
    if not isinstance(gxs, tuple):
        gxs = (gxs,)
    if len(gxs) != len(node.next_edges):
        raise RuntimeError(f"{node.name()} returned {len(gxs)} gradients for "
                           f"{len(node.next_edges)} inputs")
    return gxs


def _fit(node, g: Tensor, meta) -> Tensor:
    """The gradient ``g`` for an input of (shape, dtype) ``meta``: un-broadcast and cast."""
    shape, dtype = meta
    if g.shape != shape:
        lead = g.ndim - len(shape)
        if lead < 0 or any(n != 1 and n != g.shape[lead + i] for i, n in enumerate(shape)):
            raise ShapeError(f"{node.name()} returned a gradient of shape {g.shape} for an input "
                             f"of shape {shape}")
        g = sum_to(g, shape)
    if g.dtype != dtype:
        g = g.to(dtype)
    return g


def _add(a: Tensor, b: Tensor, create_graph: bool) -> Tensor:
    if create_graph:
        return a + b
    return Tensor._make(tracing.kernel(_add_arrays, a, b, name="add_gradients"))


# Kernels: the engine's own array work, recorded when a step is traced (see tracing.kernel).
def _ones_like(y):
    g = y.copy()  # of y's kind and device, without asking which library owns it
    g.fill(1)  # ones_like is written in Python: this is a third of its time on a scalar
    return g


def _zeros(like, *, shape, dtype):
    return backend.array_module(like).zeros(shape, dtype=dtype)


def _add_arrays(a, b):
    return backend.array_module(a).asarray(a + b)


def _accumulate_grad(g, *, leaf):
    """Add ``g`` into ``leaf.grad`` in place (a copy when it is None); returns the grad's array."""
    if leaf.grad is None:
        # A copy, so that no two leaves share one gradient array (Add passes gy to both inputs)
        # and .grad is never a read-only broadcast view.
        leaf.grad = Tensor._make(g.copy())
    else:
        if leaf.grad.shape != g.shape:
            raise ShapeError(f"backward: cannot accumulate a gradient of shape {g.shape} into "
                             f".grad of shape {leaf.grad.shape}")
        leaf.grad._data += g
    return leaf.grad._data


def _accumulate_into_leaf(leaf: Tensor | None, g: Tensor | None, create_graph: bool) -> None:
    """Add ``g`` into ``leaf.grad``, as PyTorch does: in place unless building a graph."""
    if leaf is None or g is None:
        return
    if create_graph and leaf.grad is None:
        leaf.grad = g.clone()  # recorded, so the gradient can be differentiated
    elif leaf.grad is not None and (create_graph or leaf.grad.requires_grad):
        leaf.grad = leaf.grad + g
    else:
        tracing.kernel(_accumulate_grad, g, leaf=leaf, name="accumulate_grad")


def _nodes_leading_to(roots, targets) -> set:
    """The nodes from which a target node can be reached: the only ones ``grad`` must visit."""
    target_nodes = {node for node, _ in targets}
    needed: set = set()
    visited: set = set()
    stack = [(y._gradient_edge()[0], False) for y in roots]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            if node in target_nodes or any(
                edge is not None and edge[0] in needed for edge in node.next_edges
            ):
                needed.add(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        stack.extend((edge[0], False) for edge in node.next_edges
                     if edge is not None and edge[0] not in visited)
    return needed

