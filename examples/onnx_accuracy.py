"""onnxruntime's accuracy on a run's test set, from the file `shenjing export` wrote for it.

    shenjing train mnist --model cnn --data ../shared/data --epochs 1 --out runs/cnn
    shenjing export runs/cnn --format onnx --out runs/cnn.onnx
    python examples/onnx_accuracy.py runs/cnn runs/cnn.onnx     # compare: shenjing eval runs/cnn

The test images are normalised as `shenjing eval` normalises them (the run's mean and std), since
the exported graph takes normalised inputs. Needs onnxruntime (`pip install -e '.[test]'`).
"""

import sys
from pathlib import Path

import onnxruntime as ort

from shenjing.cli.evaluate import load_run
from shenjing.cli.tasks import data_folder, load_images


def main(run: Path, model_file: str) -> None:
    _, config = load_run(run)
    images, labels, _ = load_images(config.dataset, data_folder(None, config.train.get("data")),
                                    train=False)
    session = ort.InferenceSession(model_file, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    correct = 0
    for i in range(0, len(labels), 1000):
        x = config.normalise(images[i:i + 1000]).numpy()
        scores = session.run(None, {name: x})[0]
        correct += int((scores.argmax(1) == labels[i:i + 1000].numpy()).sum())
    print(f"onnxruntime: {config.dataset} test set ({len(labels):,} samples): accuracy "
          f"{100 * correct / len(labels):.2f} %")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
