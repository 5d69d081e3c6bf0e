"""``sj.summary``: a table of a model's layers, output shapes and parameter counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from shenjing.autograd.grad_mode import no_grad
from shenjing.creation import zeros
from shenjing.nn.modules.module import Module
from shenjing.ops.checks import extent, pair


@dataclass
class LayerRow:
    """One layer of a summary."""

    name: str  # the module's path, e.g. "0" or "encoder.fc1"
    kind: str  # the class name
    output_shape: tuple  # with -1 for the batch dim
    parameters: int
    receptive_field: tuple | None = None  # (height, width) or (length,) one output sees


@dataclass
class ModelSummary:
    """What ``summary`` found; printing it gives the table."""

    rows: list[LayerRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0

    def __str__(self) -> str:
        spatial = any(r.receptive_field for r in self.rows)
        header = ("Layer (type)", "Output Shape", "Param #") + (("Receptive field",)
                                                                if spatial else ())
        cells = [(f"{r.name} ({r.kind})", str(r.output_shape), f"{r.parameters:,}")
                 + (("x".join(map(str, r.receptive_field or ())),) if spatial else ())
                 for r in self.rows]
        widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
        line = "-" * (sum(widths) + 3 * (len(header) - 1))

        def fmt(row):
            text = f"{row[0]:<{widths[0]}}   {row[1]:<{widths[1]}}   {row[2]:>{widths[2]}}"
            return text + (f"   {row[3]:>{widths[3]}}" if spatial else "")

        body = [line, fmt(header), "=" * len(line), *map(fmt, cells), "=" * len(line)]
        body += [f"Total params: {self.total_params:,}",
                 f"Trainable params: {self.trainable_params:,}",
                 f"Non-trainable params: {self.total_params - self.trainable_params:,}", line]
        return "\n".join(body)

    __repr__ = __str__


def summary(model: Module, input_shape, *, batch_size: int = 2, dtype=None,
            device=None) -> ModelSummary:
    """Run ``model`` once on zeros of shape (batch_size, *input_shape) and list its layers.

    Each layer without sublayers (or with parameters of its own) gets a row with its output
    shape (batch dim shown as -1) and parameter count, and convolution and pooling layers their
    receptive field (the input pixels one output sees) when each of them takes the previous
    layer's output. A residual block whose shortcut has no layer of its own (ResNet-20's) keeps
    that chain: the field shown is the main path's, the widest. A shortcut with a layer (a 1x1
    convolution of the block's input) or an upsampling layer leaves the fields out rather than
    show them wrong. The totals count shared parameters once. The model runs in eval mode under
    no_grad and is left as it was. Like ``torchsummary``.

    >>> import shenjing as sj
    >>> net = sj.nn.Sequential(sj.nn.Linear(784, 16), sj.nn.Sigmoid(), sj.nn.Linear(16, 16),
    ...                        sj.nn.Sigmoid(), sj.nn.Linear(16, 10))
    >>> print(sj.summary(net, (784,)))
    -------------------------------------
    Layer (type)   Output Shape   Param #
    =====================================
    0 (Linear)     (-1, 16)        12,560
    1 (Sigmoid)    (-1, 16)             0
    2 (Linear)     (-1, 16)           272
    3 (Sigmoid)    (-1, 16)             0
    4 (Linear)     (-1, 10)           170
    =====================================
    Total params: 13,002
    Trainable params: 13,002
    Non-trainable params: 0
    -------------------------------------
    """
    input_shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    result = ModelSummary()
    removers = []
    # Receptive field along the layers in the order they run: each kernel (dilated to its
    # extent) widens it by (extent - 1) * jump, where jump is the product of the strides so far.
    # That is only true of a chain: a layer fed by anything but the previous layer's output (a
    # residual shortcut) breaks it, and the fields are then left out rather than shown wrong.
    field_state = {"field": None, "jump": None, "last": None, "chain": True}
    for name, module in model.named_modules():
        own = sum(p.numel() for p in module.parameters(recurse=False))
        if next(module.children(), None) is not None and not own:
            continue

        def record(module, inputs, output, name=name, own=own):
            shape = tuple(getattr(output, "shape", ()))
            spatial = getattr(module, "kernel_size", None) is not None
            last = field_state["last"]
            if spatial and last is not None and not (inputs and inputs[0] is last):
                field_state["chain"] = False
            field_state["last"] = output
            result.rows.append(LayerRow(name or type(module).__name__, type(module).__name__,
                                        (-1,) + shape[1:] if shape else (), own,
                                        _receptive_field(module, field_state)))

        removers.append(module.register_forward_hook(record))
    was_training = model.training
    try:
        model.eval()
        with no_grad():
            model(zeros((batch_size,) + input_shape, dtype=dtype, device=device))
    finally:
        for remove in removers:
            remove()
        model.train(was_training)
    if not field_state["chain"]:
        for row in result.rows:
            row.receptive_field = None
    field_state["last"] = None
    parameters = list(model.parameters())
    result.total_params = sum(p.numel() for p in parameters)
    result.trainable_params = sum(p.numel() for p in parameters if p.requires_grad)
    return result


def _receptive_field(module, state: dict) -> tuple | None:
    """Update and return the receptive field after a convolution or pooling layer (None for
    other layers, which do not change it or, like Linear, see everything).

    (height, width) after 2-d layers, (length,) after 1-d ones. Upsampling layers (transposed
    convolutions, unpooling) spread one input pixel over several outputs: past them the field
    is not a window of the input, so the fields are left out, as for branches.
    """
    kernel = getattr(module, "kernel_size", None)
    if kernel is None or isinstance(kernel, str):
        return None
    if getattr(module, "_transposed", False) or "Unpool" in type(module).__name__:
        state["chain"] = False
        return None
    dims = 1 if type(module).__name__.endswith("1d") else 2
    kernel = pair("summary", "kernel_size", kernel)[-dims:]
    stride = pair("summary", "stride", getattr(module, "stride", None) or kernel)[-dims:]
    dilation = pair("summary", "dilation", getattr(module, "dilation", 1))[-dims:]
    if state["field"] is None:
        state["field"], state["jump"] = [1] * dims, [1] * dims
    if len(state["field"]) != dims:  # 1-d and 2-d layers in one chain: no common field
        state["chain"] = False
        return None
    for axis in range(dims):
        state["field"][axis] += (extent(kernel[axis], dilation[axis]) - 1) * state["jump"][axis]
        state["jump"][axis] *= stride[axis]
    return tuple(state["field"])
