"""ONNX export of recurrent layers: each ``RecurrentLayer`` call is one RNN, LSTM or GRU node.

A call is one layer in one direction; stacked layers, both directions and the batch-first
transposes are ordinary operations around it, exported by their own converters. The node runs
in the direction ``forward`` or ``reverse``, with ``num_directions`` 1, so its outputs
``Y (T, 1, N, H)``, ``Y_h (1, N, H)`` and ``Y_c`` are squeezed back to shenjing's ``(T, N, H)``
and ``(N, H)``. ONNX orders the gates differently: its LSTM is (i, o, f, c) where shenjing and
PyTorch have (i, f, g, o), its GRU (z, r, h) where they have (r, z, n), and a GRU that applies
the reset gate after the recurrent product, as PyTorch's does, is ``linear_before_reset=1``.
"""

from __future__ import annotations

from shenjing.onnx.registry import converts
from shenjing.ops.rnn import RecurrentLayer

# mode -> (ONNX op, shenjing's gate blocks in ONNX's order, attributes)
_NODES = {
    "RNN_TANH": ("RNN", (0,), {"activations": ["Tanh"]}),
    "RNN_RELU": ("RNN", (0,), {"activations": ["Relu"]}),
    "LSTM": ("LSTM", (0, 3, 1, 2), {}),  # (i, f, g, o) -> (i, o, f, c)
    "GRU": ("GRU", (1, 0, 2), {"linear_before_reset": 1}),  # (r, z, n) -> (z, r, h)
}


def _reordered(g, values, order, hint: str) -> str:
    """The gate blocks of the (G*H, ...) arrays ``values``, each put in ``order``, concatenated
    along dim 0 and given a leading direction dim of 1: an initializer from parameters, nodes
    otherwise."""
    import numpy as np

    if all(v.kind == "state" for v in values):
        parts = []
        for v in values:
            array = v.source._data
            array = np.asarray(array.get() if hasattr(array, "get") else array)
            blocks = np.split(array, len(order), axis=0)
            parts.append(np.concatenate([blocks[k] for k in order], axis=0))
        label = values[0].label or hint
        return g.const(np.concatenate(parts, axis=0)[None], f"{label}_onnx")
    parts = []
    for v in values:
        # Equal blocks: Split with no sizes (opset 18 also wants their number).
        extra = {"num_outputs": len(order)} if g.opset >= 18 else {}
        blocks = g.node("Split", [g.name(v)], n_out=len(order), axis=0, **extra) \
            if len(order) > 1 else [g.name(v)]
        parts += [blocks[k] for k in order]
    joined = g.one("Concat", parts, axis=0) if len(parts) > 1 else parts[0]
    return g.one("Unsqueeze", [joined, g.ints([0], "axes")])


@converts(RecurrentLayer)
def _recurrent_layer(g, call):
    """(x (T, N, I), h0, c0, W_ih, W_hh, b_ih, b_hh) -> (y (T, N, H), h_n, c_n for an LSTM)."""
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = call.args
    mode, reverse = call.params["mode"], call.params["reverse"]
    if mode not in _NODES:
        raise NotImplementedError(f"onnx export: recurrent layer mode {mode!r} at "
                                  f"{call.location} has no ONNX node")
    op, order, attrs = _NODES[mode]
    hidden = w_hh.shape[-1]
    inputs = [g.name(x), _reordered(g, [w_ih], order, "W"), _reordered(g, [w_hh], order, "R")]
    inputs.append(_reordered(g, [b_ih, b_hh], order, "B") if b_ih is not None else "")
    inputs.append("")  # sequence_lens: every sequence is whole

    def state(v) -> str:
        if v is None or v.index in g.zeros:
            return ""  # ONNX's default initial state is zeros
        return g.one("Unsqueeze", [g.name(v), g.ints([0], "axes")])  # (N, H) -> (1, N, H)

    inputs.append(state(h0))
    if mode == "LSTM":
        inputs.append(state(c0))
    while inputs[-1] == "":
        inputs.pop()
    n_out = 3 if mode == "LSTM" else 2
    outs = g.node(op, inputs, n_out=n_out, hidden_size=int(hidden),
                  direction="reverse" if reverse else "forward", **attrs)
    # Y (T, 1, N, H) -> (T, N, H); Y_h, Y_c (1, N, H) -> (N, H)
    y = g.one("Squeeze", [outs[0], g.ints([1], "axes")])
    finals = [g.one("Squeeze", [o, g.ints([0], "axes")]) for o in outs[1:]]
    batched = g.batch_axis(x) == 1
    for v, axis in zip(call.outputs, (1, 0, 0)):
        g.mark(v, axis if batched else None)
    return [y, *finals]
