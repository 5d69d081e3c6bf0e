"""The command line: train, eval and predict, end to end, on real data."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import shenjing as sj
from shenjing.cli import main
from tests.datasets import SHARED_DATA, requires_mnist


def test_train_then_eval_a_2d_set(tmp_path, capsys):
    out = tmp_path / "quadrants"
    assert main(["train", "quadrants", "--epochs", "20", "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "best.safetensors", "config.json", "history.json", "last.safetensors", "metrics.json",
        "model.safetensors"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.95 and metrics["epochs"] == 20
    config = json.loads((out / "config.json").read_text())
    assert config["hidden"] == [6] and config["in_features"] == 2
    history = sj.train.History.load(out / "history.json")
    assert len(history["val_loss"]) == 20
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"accuracy {100 * metrics['test_accuracy']:.2f} %" in printed


@pytest.mark.parametrize("task", [["quadrants", "--epochs", "5"],
                                  ["charlm", "--text", str(SHARED_DATA / "tinyshakespeare" /
                                                          "input.txt"),
                                   "--limit", "3000", "--epochs", "2", "--hidden", "16",
                                   "--seq-len", "16", "--clip", "1.0"]],
                         ids=["mlp", "charlm"])
def test_compiled_and_eager_training_write_the_same_history(tmp_path, task):
    histories = []
    for flag in ("--compile", "--no-compile"):
        out = tmp_path / flag.strip("-")
        assert main(["train", *task, "--out", str(out), "--quiet", flag]) == 0
        histories.append(json.loads((out / "history.json").read_text()))
    assert histories[0] == histories[1]


@requires_mnist
def test_train_mnist_subset_then_predict_an_image_file(tmp_path, capsys, monkeypatch):
    from PIL import Image

    monkeypatch.delenv("SHENJING_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "mnist"
    code = main(["train", "mnist", "--limit", "4000", "--epochs", "3", "--val-size", "500",
                 "--data", os.path.relpath(SHARED_DATA), "--out", "mnist", "--quiet"])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.85
    capsys.readouterr()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # eval finds the run's data from anywhere
    assert main(["eval", str(out)]) == 0
    assert f"accuracy {100 * metrics['test_accuracy']:.2f} %" in capsys.readouterr().out
    test = sj.datasets.MNIST(SHARED_DATA, train=False)
    hits = 0
    for i in range(10):
        digit = test.data[i].numpy()
        # As a photo of ink on paper: dark on light, and larger than 28x28.
        picture = 255 - np.kron(digit, np.ones((3, 3), dtype=np.uint8))
        path = tmp_path / f"digit{i}.png"
        Image.fromarray(picture).save(path)
        capsys.readouterr()
        assert main(["predict", str(out), str(path)]) == 0
        first = capsys.readouterr().out.splitlines()[0]
        hits += first.split(": ")[1].startswith(str(int(test.targets[i])))
    assert hits >= 8


def test_errors_are_short_and_named(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "nothing")]) == 2
    assert "config.json is missing" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "imagenet"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("command", [[], ["train"], ["eval"], ["predict"]])
def test_help_everywhere(command):
    result = subprocess.run([sys.executable, "-m", "shenjing", *command, "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("usage: shenjing")


def test_offline_download_lists_the_files_to_put_where(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sj.datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])  # refuses
    code = main(["train", "mnist", "--data", str(tmp_path), "--quiet"])
    error = capsys.readouterr().err
    assert code == 2
    assert "train-images-idx3-ubyte.gz" in error and "train-labels-idx1-ubyte.gz" in error
    assert str(tmp_path / "mnist") in error and "offline" in error


@pytest.mark.parametrize("arguments", [["train", "quadrants", "--epochs", "0"],
                                       ["train", "quadrants", "--hidden", "0"],
                                       ["train", "quadrants", "--limit", "-3"],
                                       ["predict", "run", "x.png", "--top", "0"]])
def test_impossible_numbers_are_refused(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2 and "must be at least" in capsys.readouterr().err


def test_train_resnet20_on_cifar10_files_in_the_canonical_format(tmp_path, monkeypatch, capsys):
    import hashlib

    from tests.datasets.test_cifar import write_cifar

    write_cifar(tmp_path)
    folder = tmp_path / "cifar-10-batches-py"

    def md5(name):
        return hashlib.md5((folder / name).read_bytes()).hexdigest()

    # The miniature files are real CIFAR-10 format but not the published files: their md5s.
    cifar = sj.datasets.CIFAR10
    monkeypatch.setattr(cifar, "train_list", [(n, md5(n)) for n, _ in cifar.train_list])
    monkeypatch.setattr(cifar, "test_list", [(n, md5(n)) for n, _ in cifar.test_list])
    monkeypatch.setattr(cifar, "meta", (cifar.meta[0], md5(cifar.meta[0])))
    out = tmp_path / "run"
    code = main(["train", "cifar10", "--model", "resnet20", "--data", str(tmp_path),
                 "--epochs", "2", "--val-size", "4", "--batch-size", "8", "--out", str(out),
                 "--quiet"])
    assert code == 0
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == "resnet20" and config["in_channels"] == 3
    assert len(config["mean"]) == 3 and config["train"]["augment"] is True
    capsys.readouterr()
    assert main(["eval", str(out)]) == 0
    assert "cifar10 test set" in capsys.readouterr().out


@requires_mnist
def test_train_a_cnn_on_an_mnist_subset(tmp_path):
    out = tmp_path / "cnn"
    code = main(["train", "mnist", "--model", "cnn", "--limit", "2000", "--epochs", "3",
                 "--val-size", "300", "--data", str(SHARED_DATA), "--out", str(out), "--quiet"])
    assert code == 0
    assert json.loads((out / "metrics.json").read_text())["test_accuracy"] > 0.85


def test_augmented_training_images_pad_with_black():
    """Normalised images shift within a frame of black, (0 - mean) / std, not of the mean."""
    from shenjing.cli.tasks import Config, ImageSet

    config = Config("cifar10", mean=[0.5, 0.4, 0.3], std=[0.25, 0.2, 0.1])
    images = sj.full((32, 3, 8, 8), 255, dtype=sj.uint8)  # white images, stored as uint8
    sj.manual_seed(0)
    batch, _ = ImageSet(images, sj.zeros(32, dtype=sj.int64), config,
                        augment=True).get_batch(list(range(32)))
    assert batch.dtype == sj.float32
    pixels = batch * sj.tensor(config.std).reshape(1, 3, 1, 1) + sj.tensor(
        config.mean).reshape(1, 3, 1, 1)  # back to [0, 1]
    values = np.unique(np.round(pixels.numpy(), 5))
    assert set(values) == {0.0, 1.0}  # white image, black frame, nothing else


def test_image_statistics_are_those_of_the_float_images():
    from shenjing.cli.tasks import channel_statistics

    sj.manual_seed(0)
    images = (sj.rand(50, 3, 5, 5) * 255).to(sj.uint8)
    mean, std = channel_statistics(images, chunk=7)
    floats = images.numpy().astype(np.float64) / 255
    np.testing.assert_allclose(mean, floats.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(std, floats.std(axis=(0, 2, 3), ddof=1), rtol=1e-12)


def test_a_runs_data_folder_is_the_option_then_the_environment_then_the_recorded_one(
        monkeypatch):
    from shenjing.cli.tasks import data_folder

    monkeypatch.delenv("SHENJING_DATA", raising=False)
    assert data_folder(None, "/recorded") == "/recorded"
    assert data_folder("/given", "/recorded") == "/given"
    monkeypatch.setenv("SHENJING_DATA", "/environment")
    assert data_folder(None, "/recorded") == "/environment"
    assert data_folder("/given", "/recorded") == "/given"


@requires_mnist
def test_image_sets_stay_uint8_in_memory_and_become_floats_a_batch_at_a_time():
    """60,000 MNIST images as float32 are 188 MB, as stored (uint8) 47 MB."""
    from shenjing.cli.tasks import prepare

    splits, config = prepare("mnist", SHARED_DATA, val_size=500, limit=2000)
    assert splits.train.images.dtype == sj.uint8 and len(splits.train) == 1600  # 400 held out
    assert splits.val.images.dtype == sj.uint8 and splits.test.images.dtype == sj.uint8
    images, labels = splits.train.get_batch([0, 5, 7])
    assert images.dtype == sj.float32 and images.shape == (3, 1, 28, 28)
    expected = (splits.train.images[[0, 5, 7]].numpy() / 255.0 - config.mean[0]) / config.std[0]
    np.testing.assert_allclose(images.numpy(), expected, rtol=1e-5, atol=1e-6)
