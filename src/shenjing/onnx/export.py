"""``sj.onnx.export``: a model's forward as an ONNX file, made from its static graph.

The model runs once in eval mode under ``sj.no_grad()`` inside ``sj.compile``; the ``Program``
that records (inputs, parameters and buffers as labelled state, one call per operation) is
translated call by call through ``CONVERTERS``, {Function class: converter}, each a few ONNX
nodes. Parameters and buffers become initializers named as in ``state_dict()``. There is no
second tracer: what ``sj.compile`` replays is what is exported.
"""

from __future__ import annotations

import math

from shenjing.onnx import recurrent  # noqa: F401  (registers its converters)
from shenjing.onnx.registry import CONVERTERS, converts
from shenjing.ops import (
    activation,
    elementwise,
    embedding,
    indexing,
    linalg,
    normalization,
    pooling,
    reduce,
    shape,
)
from shenjing.ops import conv as conv_ops
from shenjing.ops.rnn import _zero_state


def export(model, example_input, path, dynamic_batch: bool = True, opset: int = 17,
           input_names=None, output_names=None, batch_dim=0):
    """Write ``model``'s forward on inputs like ``example_input`` to the ONNX file ``path``.

    The model is traced in eval mode (its mode is restored afterwards). With ``dynamic_batch``,
    the batch dimension of every input and output is the symbolic ``batch``: trace with a
    batch of at least 2, so that the batch dimension can be told from the others.
    ``batch_dim`` says which dimension of the inputs is the batch: an int for all, or one per
    input tensor, nested inputs flattened (an RNN's ``(x (T, N, I), h_0 (L, N, H))`` is
    ``(1, 1)``); every other dimension (a sequence length too) is fixed. Returns the
    ``onnx.ModelProto``, after ``onnx.checker.check_model``. An operation with no export raises
    ``NotImplementedError`` naming it and the layer that ran it. Equivalent of
    ``torch.onnx.export``.

    >>> import os, tempfile
    >>> import shenjing as sj
    >>> net = sj.nn.Sequential(sj.nn.Linear(4, 3), sj.nn.ReLU())
    >>> path = os.path.join(tempfile.mkdtemp(), "net.onnx")
    >>> [n.op_type for n in sj.onnx.export(net, sj.randn(2, 4), path).graph.node]
    ['Gemm', 'Relu', 'Identity']
    """
    import onnx
    from shenjing.autograd.grad_mode import no_grad
    from shenjing.autograd.tensor import Tensor
    from shenjing.static import compile as compile_static

    if opset < 17:
        raise ValueError(f"onnx export: opset {opset} is not supported; use 17 or later")
    inputs = example_input if isinstance(example_input, (tuple, list)) else (example_input,)

    def tensors(a) -> bool:
        return isinstance(a, Tensor) or (type(a) in (tuple, list) and bool(a)
                                         and all(tensors(t) for t in a))

    if not inputs or not all(tensors(t) for t in inputs):
        raise TypeError("onnx export: example_input must be a tensor or a tuple of tensors "
                        "(nested tuples of tensors too)")
    was_training = model.training
    model.eval()
    try:
        compiled = compile_static(model)
        with no_grad():
            compiled(*inputs)
        program = compiled.graph
    finally:
        model.train(was_training)
    graph = _Graph(program, model, dynamic_batch, opset, batch_dim)
    proto = graph.build(input_names, output_names)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return proto


# -- building the graph ---------------------------------------------------------------------------
class _Graph:
    """ONNX nodes, initializers and names for the values of one ``Program``."""

    def __init__(self, program, model, dynamic_batch: bool, opset: int, batch_dim=0) -> None:
        self.program, self.model = program, model
        self.dynamic_batch, self.opset = dynamic_batch, opset
        self.nodes: list = []
        self.initializers: list = []
        self.names: dict[int, str] = {}  # value index -> ONNX name
        self.batched: dict[int, int] = {}  # value index -> its dim that is the symbolic batch
        self.zeros: set[int] = set()  # values that are all zeros (a recurrent layer's h_0 = None)
        self.unbatched: set[int] = set()  # outputs a converter said have no batch dim
        count = len(program.inputs)
        dims = [batch_dim] * count if isinstance(batch_dim, int) else list(batch_dim)
        if len(dims) != count:
            raise ValueError(f"onnx export: batch_dim {batch_dim!r} names {len(dims)} "
                             f"dimension(s) for {count} input tensor(s)")
        for v, d in zip(program.inputs, dims):
            if v.shape is not None and not -len(v.shape) <= d < len(v.shape):
                raise ValueError(f"onnx export: batch_dim {d} is out of range for an input "
                                 f"of shape {tuple(v.shape)}")
        self.input_batch_dims = [d % len(v.shape) if v.shape else 0
                                 for v, d in zip(program.inputs, dims)]
        first = program.inputs[0] if program.inputs else None
        self.batch = first.shape[self.input_batch_dims[0]] if first is not None and \
            first.shape else None
        self._count = 0

    # -- names and constants ------------------------------------------------------------------
    def fresh(self, hint: str = "t") -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, array, hint: str = "const") -> str:
        import numpy as np

        from onnx import numpy_helper

        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def ints(self, values, hint: str = "ints") -> str:
        import numpy as np

        return self.const(np.asarray(list(values), dtype=np.int64), hint)

    def name(self, a, like=None) -> str:
        """The ONNX name of an argument: a value, or a Python number made a constant of the
        dtype of ``like`` (the other operand)."""
        import numpy as np

        from shenjing.autograd.tracing import Value

        if isinstance(a, Value):
            name = self.names.get(a.index)
            if name is None:
                raise NotImplementedError(f"onnx export: value %{a.label or a.index} is used "
                                          "but was never exported")
            return name
        dtype = like.dtype if isinstance(like, Value) and like.dtype is not None else None
        return self.const(np.asarray(a, dtype=dtype))

    def node(self, op: str, inputs, n_out: int = 1, **attrs) -> list[str]:
        from onnx import helper

        outs = [self.fresh(op.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, **attrs))
        return outs

    def one(self, op: str, inputs, **attrs) -> str:
        return self.node(op, inputs, **attrs)[0]

    def reduce(self, op: str, x: str, axes, keepdims: bool) -> str:
        """A ReduceX over ``axes`` (None: all), axes as an input from opset 18 (13 for Sum)."""
        if axes is None:
            return self.one(op, [x], keepdims=int(keepdims))
        axes = [axes] if isinstance(axes, int) else list(axes)
        if op == "ReduceSum" or self.opset >= 18:
            return self.one(op, [x, self.ints(axes, "axes")], keepdims=int(keepdims))
        return self.one(op, [x], axes=axes, keepdims=int(keepdims))

    def is_batched(self, v) -> bool:
        """Whether dim 0 of ``v`` is the symbolic batch."""
        return self.batch_axis(v) == 0

    def batch_axis(self, v) -> int | None:
        """The dim of ``v`` that is the symbolic batch, or None."""
        from shenjing.autograd.tracing import Value

        return self.batched.get(v.index) if isinstance(v, Value) else None

    def mark(self, v, axis: int | None) -> None:
        """Say which dim of the output ``v`` is the batch (None: none), before ``_bind``
        guesses."""
        if v is not None and self.dynamic_batch and axis is not None:
            self.batched[v.index] = axis
        elif v is not None:
            self.batched.pop(v.index, None)
            self.unbatched.add(v.index)

    # -- the whole program -------------------------------------------------------------------
    def build(self, input_names=None, output_names=None):
        from onnx import helper

        program = self.program
        _refuse_unsupported(program, self.model)
        graph_inputs, graph_outputs = [], []
        for i, v in enumerate(program.inputs):
            name = input_names[i] if input_names else (v.label or f"input_{i}")
            self.names[v.index] = name
            if self.dynamic_batch and v.shape:
                self.batched[v.index] = self.input_batch_dims[i]
            graph_inputs.append(self._info(name, v, self.batch_axis(v)))
        for v in program.state:
            self.names[v.index] = v.label
            self.initializers.append(_tensor_proto(v.source._data, v.label))
        for v in program.values:
            if v.kind == "constant" and v.index not in self.names:
                self.names[v.index] = self.const(v.source, "constant")
        for call in program.calls:
            if call.kind == "kernel":
                if call.name.endswith(": check") or ": check " in call.name:
                    continue
                if call.name == "_copy":  # a defensive copy of integer indices
                    out = self.one("Identity", [self.name(call.args[0])])
                    self._bind(call, [out])
                    continue
                if call.target is _zero_state:  # a recurrent layer's h_0 = None: ONNX's default
                    self.zeros.update(v.index for v in call.outputs if v is not None)
                    continue
                raise _no_export(call, self.model)
            if call.kind == "attr":
                raise _no_export(call, self.model)
            convert = CONVERTERS.get(call.target)
            if convert is None:
                raise _no_export(call, self.model)
            self._bind(call, convert(self, call))
        for i, v in enumerate(program.outputs):
            name = output_names[i] if output_names else \
                ("output" if len(program.outputs) == 1 else f"output_{i}")
            self.nodes.append(helper.make_node("Identity", [self.name(v)], [name]))
            graph_outputs.append(self._info(name, v, self.batch_axis(v)))
        # Parameters that converters replaced (a recurrent layer's reordered gates) go unused.
        used = {name for node in self.nodes for name in node.input}
        initializers = [t for t in self.initializers if t.name in used]
        graph = helper.make_graph(self.nodes, type(self.model).__name__, graph_inputs,
                                  graph_outputs, initializers)
        model = helper.make_model(graph, producer_name="shenjing",
                                  opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = min(model.ir_version, 10)  # readable by onnxruntime releases
        return model

    def _bind(self, call, outs) -> None:
        """Name the outputs; those that the converter did not ``mark`` are batched at the
        batch dim of the first batched input, where they have the batch's size."""
        axes = [self.batch_axis(a) for a in _values_in(call)]
        axis = next((a for a in axes if a is not None), None)
        for v, name in zip(call.outputs, outs):
            if v is None or name is None:
                continue
            self.names[v.index] = name
            if v.index in self.batched or v.index in self.unbatched:
                continue
            if axis is not None and v.shape and len(v.shape) > axis and \
                    v.shape[axis] == self.batch:
                self.batched[v.index] = axis

    def _info(self, name: str, v, axis: int | None = 0):
        from onnx import helper

        dims = list(v.shape)
        if self.dynamic_batch and axis is not None and dims:
            dims[axis] = "batch"
        return helper.make_tensor_value_info(name, _elem_type(v.dtype), dims)


def _tensor_proto(array, name: str):
    import numpy as np

    from onnx import numpy_helper

    if hasattr(array, "get"):  # CuPy
        array = array.get()
    return numpy_helper.from_array(np.ascontiguousarray(array), name)


def _elem_type(dtype):
    import numpy as np

    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def _values_in(call):
    from shenjing.autograd.tracing import Value

    found = []

    def walk(a):
        if isinstance(a, Value):
            found.append(a)
        elif type(a) in (tuple, list):
            for x in a:
                walk(x)

    walk(call.args)
    walk(tuple(call.params.values()))
    return found


# -- errors ----------------------------------------------------------------------------------------
def _module_path(call, model) -> str | None:
    """The layer that ran ``call``, from the names of the parameters it reads."""
    for v in _values_in(call):
        if v.kind == "state" and v.label:
            path = v.label.rpartition(".")[0]
            return path or type(model).__name__
    return None


def _no_export(call, model) -> NotImplementedError:
    target = call.target
    what = f"{target.__module__}.{target.__name__}" if isinstance(target, type) else call.name
    path = _module_path(call, model)
    layer = f" run by the layer {path!r}" if path else ""
    reason = ": no ONNX converter for it"
    return NotImplementedError(f"onnx export: the operation {call.name} ({what}){layer}, "
                               f"recorded at {call.location}, cannot be exported{reason}")


def _refuse_unsupported(program, model) -> None:
    """Name the first operation with no converter before any kernel that merely feeds it (an
    LSTM's zero initial state is made before its recurrent op)."""
    for call in program.calls:
        if call.kind == "op" and call.target not in CONVERTERS:
            raise _no_export(call, model)


# -- converters ------------------------------------------------------------------------------------
def _unary(onnx_op: str):
    def convert(g, call):
        return [g.one(onnx_op, [g.name(call.args[0])])]
    return convert


for _cls, _op in ((activation.Sigmoid, "Sigmoid"), (activation.Tanh, "Tanh"),
                  (activation.ReLU, "Relu"), (elementwise.Neg, "Neg"), (elementwise.Exp, "Exp"),
                  (elementwise.Log, "Log"), (elementwise.Sqrt, "Sqrt"), (elementwise.Abs, "Abs"),
                  (elementwise.Sign, "Sign"), (elementwise.Erf, "Erf"), (elementwise.Sin, "Sin"),
                  (elementwise.Cos, "Cos"), (elementwise.Clone, "Identity"),
                  (elementwise.ToDevice, "Identity")):
    CONVERTERS[_cls] = _unary(_op)


def _binary(onnx_op: str):
    def convert(g, call):
        a, b = call.args[:2]
        return [g.one(onnx_op, [g.name(a, like=b), g.name(b, like=a)])]
    return convert


for _cls, _op in ((elementwise.Add, "Add"), (elementwise.Sub, "Sub"), (elementwise.Mul, "Mul"),
                  (elementwise.Div, "Div"), (elementwise.Pow, "Pow"),
                  (elementwise.Maximum, "Max"), (elementwise.Minimum, "Min"),
                  (linalg.MatMul, "MatMul")):
    CONVERTERS[_cls] = _binary(_op)


@converts(elementwise.Log1p)
def _log1p(g, call):
    (x,) = call.args
    return [g.one("Log", [g.one("Add", [g.name(x), g.name(1.0, like=x)])])]


@converts(elementwise.Clamp)
def _clamp(g, call):
    x = call.args[0]
    low = call.params.get("min", call.args[1] if len(call.args) > 1 else None)
    high = call.params.get("max", call.args[2] if len(call.args) > 2 else None)
    inputs = [g.name(x), g.name(low, like=x) if low is not None else "",
              g.name(high, like=x) if high is not None else ""]
    return [g.one("Clip", inputs)]


@converts(elementwise.Where)
def _where(g, call):
    cond, a, b = call.args
    return [g.one("Where", [g.name(cond), g.name(a, like=b), g.name(b, like=a)])]


@converts(elementwise.Cast)
def _cast(g, call):
    return [g.one("Cast", [g.name(call.args[0])], to=_elem_type(call.outputs[0].dtype))]


@converts(activation.LeakyReLU)
def _leaky_relu(g, call):
    return [g.one("LeakyRelu", [g.name(call.args[0])],
                  alpha=float(call.params["negative_slope"]))]


@converts(activation.PReLU)
def _prelu(g, call):
    x, weight = call.args
    return [g.one("PRelu", [g.name(x), g.name(weight)])]


@converts(activation.ELU)
def _elu(g, call):
    x = g.name(call.args[0])
    alpha, scale = float(call.params["alpha"]), float(call.params["scale"])
    if scale == 1.0:
        return [g.one("Elu", [x], alpha=alpha)]
    return [g.one("Selu", [x], alpha=alpha, gamma=scale)]  # scale * elu(x, alpha)


@converts(activation.GELU)
def _gelu(g, call):
    (v,) = call.args
    x = g.name(v)
    if call.params["approximate"] == "tanh":
        # 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
        cube = g.one("Mul", [g.one("Mul", [x, x]), x])
        inner = g.one("Add", [x, g.one("Mul", [cube, g.name(0.044715, like=v)])])
        t = g.one("Tanh", [g.one("Mul", [inner, g.name(math.sqrt(2 / math.pi), like=v)])])
    else:  # 0.5 x (1 + erf(x / sqrt(2)))
        t = g.one("Erf", [g.one("Mul", [x, g.name(1 / math.sqrt(2), like=v)])])
    half = g.one("Mul", [x, g.name(0.5, like=v)])
    return [g.one("Mul", [half, g.one("Add", [t, g.name(1.0, like=v)])])]


@converts(activation.Softplus)
def _softplus(g, call):
    (v,) = call.args
    x = g.name(v)
    beta, threshold = float(call.params["beta"]), float(call.params["threshold"])
    bx = g.one("Mul", [x, g.name(beta, like=v)])
    soft = g.one("Div", [g.one("Softplus", [bx]), g.name(beta, like=v)])
    # Above the threshold PyTorch returns x itself (log(1 + e^bx) / b is x to float precision).
    above = g.one("Greater", [bx, g.name(threshold, like=v)])
    return [g.one("Where", [above, x, soft])]


@converts(activation.Softmax)
def _softmax(g, call):
    return [g.one("Softmax", [g.name(call.args[0])], axis=int(call.params["dim"]))]


@converts(activation.LogSoftmax)
def _log_softmax(g, call):
    return [g.one("LogSoftmax", [g.name(call.args[0])], axis=int(call.params["dim"]))]


@converts(linalg.Linear)
def _linear(g, call):
    x, weight, bias = call.args
    inputs = [g.name(x), g.name(weight)] + ([g.name(bias)] if bias is not None else [])
    if len(x.shape) == 2:
        return [g.one("Gemm", inputs, transB=1)]
    # (..., in) @ (in, out) + (out,)
    y = g.one("MatMul", [inputs[0], g.one("Transpose", [inputs[1]], perm=[1, 0])])
    return [g.one("Add", [y, inputs[2]]) if bias is not None else y]


@converts(shape.Reshape)
def _reshape(g, call):
    (x,) = call.args
    target = list(call.params["shape"])
    axis = g.batch_axis(x) if g.dynamic_batch else None
    if axis is not None:
        # The batch must stay one whole dimension, with the same sizes before and after it.
        before, after = math.prod(x.shape[:axis]), math.prod(x.shape[axis + 1:])
        found = [j for j in range(len(target)) if target[j] == g.batch
                 and math.prod(target[:j]) == before and math.prod(target[j + 1:]) == after]
        if not found:
            raise NotImplementedError(
                f"onnx export: reshape {tuple(x.shape)} -> {tuple(target)} at {call.location} "
                "mixes the batch dimension with others, so it cannot be exported with "
                "dynamic_batch=True; export with dynamic_batch=False")
        j = found[0]
        # ONNX Reshape: 0 copies the input's (symbolic) dim at the same place, -1 is inferred.
        target[j] = 0 if j == axis else -1
        g.mark(call.outputs[0], j)
    return [g.one("Reshape", [g.name(x), g.ints(target, "shape")])]


@converts(shape.Permute)
def _permute(g, call):
    (x,) = call.args
    dims = [int(d) % max(len(x.shape), 1) for d in call.params["dims"]]
    axis = g.batch_axis(x)
    if axis is not None:
        g.mark(call.outputs[0], dims.index(axis))
    return [g.one("Transpose", [g.name(x)], perm=dims)]


@converts(shape.Cat)
def _cat(g, call):
    return [g.one("Concat", [g.name(x) for x in call.args], axis=int(call.params["dim"]))]


@converts(shape.Split)
def _split(g, call):
    (x,) = call.args
    sizes = [int(s) for s in call.params["sizes"]]
    return g.node("Split", [g.name(x), g.ints(sizes, "split")], n_out=len(sizes),
                  axis=int(call.params["dim"]))


@converts(shape.ConstantPad)
def _pad(g, call):
    (x,) = call.args
    widths = call.params["widths"]
    pads = [int(b) for b, _ in widths] + [int(a) for _, a in widths]
    return [g.one("Pad", [g.name(x), g.ints(pads, "pads"),
                          g.name(call.params["value"], like=x)], mode="constant")]


@converts(indexing.GetItem, indexing.GetItemView)
def _getitem(g, call):
    """Basic indexing: ints, slices, None and one Ellipsis."""
    (x,) = call.args
    key = call.params["key"]
    key = key if type(key) is tuple else (key,)
    if any(not (k is None or k is Ellipsis or type(k) in (int, slice)) for k in key):
        raise NotImplementedError(f"onnx export: indexing with {key!r} at {call.location} is "
                                  "not exported (only ints, slices, None and ...)")
    ndim = len(x.shape)
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    full: list = []
    for k in key:
        full += [slice(None)] * (ndim - used) if k is Ellipsis else [k]
    if Ellipsis not in key:
        full += [slice(None)] * (ndim - used)
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim, out_dim = 0, 0
    batch, moved = g.batch_axis(x) if g.dynamic_batch else None, None
    for k in full:
        if k is None:
            unsqueeze.append(out_dim)
            out_dim += 1
            continue
        if dim == batch:
            if k != slice(None):
                raise NotImplementedError(f"onnx export: indexing {key!r} at {call.location} "
                                          "indexes the batch dimension; export with "
                                          "dynamic_batch=False")
            moved = out_dim
        if type(k) is int:
            start = k + x.shape[dim] if k < 0 else k
            starts.append(start), ends.append(start + 1), axes.append(dim), steps.append(1)
            squeeze.append(dim)
        elif k != slice(None):
            start, stop, step = k.indices(x.shape[dim])
            if step < 0 and stop < 0:
                stop = -(2 ** 63)  # past the front, which Python writes as -1 after indices()
            starts.append(start), ends.append(stop), axes.append(dim), steps.append(step)
            out_dim += 1
        else:
            out_dim += 1
        dim += 1
    y = g.name(x)
    if axes:
        y = g.one("Slice", [y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        y = g.one("Squeeze", [y, g.ints(squeeze, "axes")])
    if unsqueeze:
        y = g.one("Unsqueeze", [y, g.ints(unsqueeze, "axes")])
    g.mark(call.outputs[0], moved)
    return [y]


def _reduction(onnx_op: str):
    def convert(g, call):
        (x,) = call.args
        return [g.reduce(onnx_op, g.name(x), call.params["dims"], call.params["keepdim"])]
    return convert


for _cls, _op in ((reduce.Sum, "ReduceSum"), (reduce.Mean, "ReduceMean"),
                  (reduce.Amax, "ReduceMax"), (reduce.Amin, "ReduceMin"),
                  (reduce.Prod, "ReduceProd"), (reduce.LogSumExp, "ReduceLogSumExp")):
    CONVERTERS[_cls] = _reduction(_op)


@converts(reduce.ArgMax, reduce.ArgMin)
def _argmax(g, call):
    (x,) = call.args
    dim = call.params["dim"]
    y = g.name(x)
    if dim is None:
        y, dim = g.one("Reshape", [y, g.ints([-1], "shape")]), 0
    op = "ArgMax" if call.target is reduce.ArgMax else "ArgMin"
    return [g.one(op, [y], axis=int(dim), keepdims=int(bool(call.params["keepdim"])))]


@converts(normalization.Normalize)
def _normalize(g, call):
    """(y, mean, var, s): y = (x - mean) * s, s = 1 / sqrt(var + eps), as the op computes."""
    (v,) = call.args
    x = g.name(v)
    dims = call.params["dims"]
    mean = g.reduce("ReduceMean", x, dims, True)
    d = g.one("Sub", [x, mean])
    var = g.reduce("ReduceMean", g.one("Mul", [d, d]), dims, True)
    s = g.one("Reciprocal", [g.one("Sqrt", [g.one("Add", [var, g.name(call.params["eps"],
                                                                       like=v)])])])
    return [g.one("Mul", [d, s]), mean, var, s]


@converts(embedding.Embedding)
def _embedding(g, call):
    (weight,) = call.args
    return [g.one("Gather", [g.name(weight), g.name(call.params["indices"])], axis=0)]


@converts(conv_ops.Conv2d)
def _conv2d(g, call):
    x, weight, bias = call.args
    geometry = call.params["geometry"]
    top, bottom, left, right = geometry.padding
    inputs = [g.name(x), g.name(weight)] + ([g.name(bias)] if bias is not None else [])
    return [g.one("Conv", inputs, kernel_shape=list(weight.shape[2:]),
                  strides=list(geometry.stride), pads=[top, left, bottom, right],
                  dilations=list(geometry.dilation), group=int(geometry.groups))]


def _end_padding(geometry) -> list[int]:
    """Padding after the input that makes every window of the op (ceil_mode too) fit."""
    return [p_total - n - p for p_total, n, p in zip(geometry.padded_size, geometry.input_size,
                                                     geometry.padding)]


@converts(pooling.MaxPool2d)
def _max_pool2d(g, call):
    (x,) = call.args
    geometry = call.params["geometry"]
    ph, pw = geometry.padding
    end = _end_padding(geometry)
    # Windows running into the end padding are the ceil_mode ones: ONNX's ceil_mode keeps them.
    ceil = int(end[0] > ph or end[1] > pw)
    return [g.one("MaxPool", [g.name(x)], kernel_shape=list(geometry.kernel),
                  strides=list(geometry.stride), pads=[ph, pw, ph, pw],
                  dilations=list(geometry.dilation), ceil_mode=ceil)]


@converts(pooling.AvgPool2d)
def _avg_pool2d(g, call):
    """Each window's sum as a depthwise convolution with a kernel of ones (zero padding, the
    ceil_mode windows too), divided by the op's own divisors: exact for every mode."""
    import numpy as np

    (x,) = call.args
    geometry, divisor = call.params["geometry"], call.params["divisor"]
    channels = x.shape[1]
    ph, pw = geometry.padding
    eh, ew = _end_padding(geometry)
    ones = np.ones((channels, 1, *geometry.kernel), dtype=np.dtype(x.dtype))
    total = g.one("Conv", [g.name(x), g.const(ones, "ones")],
                  kernel_shape=list(geometry.kernel), strides=list(geometry.stride),
                  pads=[ph, pw, max(eh, 0), max(ew, 0)], dilations=list(geometry.dilation),
                  group=int(channels))
    return [g.one("Div", [total, g.name(divisor, like=x)])]


@converts(pooling.AdaptiveAvgPool2d)
def _adaptive_avg_pool2d(g, call):
    """Windows that do not tile the input: each window's mean, concatenated."""
    (x,) = call.args
    rows, cols = call.params["rows"], call.params["cols"]
    name = g.name(x)
    lines = []
    for r in rows:
        cells = []
        for c in cols:
            window = g.one("Slice", [name, g.ints([r.start, c.start]), g.ints([r.stop, c.stop]),
                                     g.ints([2, 3])])
            cells.append(g.reduce("ReduceMean", window, (2, 3), True))
        lines.append(g.one("Concat", cells, axis=3))
    return [g.one("Concat", lines, axis=2)]



__all__ = ["export", "CONVERTERS"]
