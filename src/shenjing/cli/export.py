"""``shenjing export``: a trained run's model as an ONNX file, for onnxruntime and friends."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("run", help="a run folder written by `shenjing train`")
    parser.add_argument("--format", choices=("onnx",), default="onnx",
                        help="the file format (default: onnx)")
    parser.add_argument("--out", default=None,
                        help="the file to write (default: RUN/model.onnx)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (default: 17)")
    parser.add_argument("--static-batch", action="store_true",
                        help="fix the batch size at 1 instead of leaving it symbolic")


def example_input(config):
    """A batch of two zero inputs of the shape a run's model takes (normalised images, points)."""
    import shenjing as sj
    from shenjing.cli.tasks import IMAGE_SETS

    if config.dataset in IMAGE_SETS:
        return sj.zeros(2, config.in_channels, config.image_size, config.image_size)
    return sj.zeros(2, config.in_features)


def run(args) -> int:
    import shenjing.onnx
    from shenjing.cli.tasks import TEXT_TASKS

    folder = Path(args.run)
    out = Path(args.out) if args.out else folder / "model.onnx"
    config_path = folder / "config.json"
    dataset = json.loads(config_path.read_text()).get("dataset") if config_path.exists() else None
    if dataset in TEXT_TASKS:
        import shenjing as sj
        from shenjing.cli.tasks import load_charlm

        model, _ = load_charlm(folder)
        example, props = sj.zeros(2, 8, dtype="int64"), {}
    else:
        from shenjing.cli.evaluate import load_run

        model, config = load_run(folder)
        example = example_input(config)
        # The file takes normalised inputs: say with what, so a client can prepare them.
        props = {"dataset": config.dataset, "mean": json.dumps(config.mean),
                 "std": json.dumps(config.std), "classes": json.dumps(config.classes)}
    batch = not args.static_batch
    if not batch:
        example = example[:1]
    try:
        proto = shenjing.onnx.export(model, example, out, dynamic_batch=batch, opset=args.opset)
    except NotImplementedError as exc:
        print(f"shenjing export: {exc}", file=sys.stderr)
        return 2
    if props:
        import onnx

        onnx.helper.set_model_props(proto, props)
        onnx.save(proto, str(out))
    print(f"wrote {out} (ONNX opset {args.opset}, input {list(example.shape)}"
          f"{' with a symbolic batch' if batch else ''})")
    return 0
