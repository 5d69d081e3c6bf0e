"""`shenjing train charlm --model transformer`, then `sample`, `eval` and `--resume` of its run
folder, on the first characters of tiny-shakespeare."""

import json

import numpy as np
import pytest

import shenjing as sj
from shenjing.cli import main
from shenjing.cli.tasks import evaluate_charlm
from tests.datasets import SHARED_DATA

# A few dozen steps: 5,400 training characters in windows of 32, batches of 8.
OPTIONS = ["train", "charlm", "--model", "transformer", "--data", str(SHARED_DATA),
           "--limit", "6000", "--d-model", "32", "--heads", "2", "--layers", "2",
           "--seq-len", "32", "--batch-size", "8", "--epochs", "3", "--lr", "3e-3",
           "--dropout", "0.1", "--seed", "1", "--quiet"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("transformer") / "run"
    assert main([*OPTIONS, "--out", str(out)]) == 0
    return out


def test_train_writes_a_transformer_run_folder(run):
    assert sorted(p.name for p in run.iterdir()) == [
        "best.safetensors", "config.json", "history.json", "last.safetensors", "metrics.json",
        "model.safetensors", "vocab.json"]
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == "transformer" and config["dataset"] == "charlm"
    assert (config["embedding_dim"], config["heads"], config["num_layers"],
            config["context"], config["hidden_size"]) == (32, 2, 2, 32, 128)
    assert config["train"]["d_model"] == 32 and config["train"]["seq_len"] == 32
    assert config["corpus"].endswith("input.txt")
    history = sj.train.History.load(run / "history.json")
    assert sorted(history.keys()) == ["bpc", "loss", "lr", "val_bpc", "val_loss"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs"] == 3 and metrics["val_characters"] == 600
    assert metrics["val_loss"] == pytest.approx(min(history["val_loss"]), rel=1e-6)
    assert metrics["val_bpc"] == pytest.approx(metrics["val_loss"] / np.log(2))
    assert metrics["val_loss"] < history["val_loss"][0] < np.log(config["vocab_size"])


def test_sample_writes_repeatable_text_from_the_prime(run, capsys):
    command = ["sample", str(run), "--prime", "First", "--length", "60", "--seed", "0"]
    assert main(command) == 0
    first = capsys.readouterr().out
    assert first.startswith("First") and len(first) == len("First") + 60 + 1
    assert main(command) == 0
    assert capsys.readouterr().out == first
    # A prime longer than the context (32): the model reads its last 32 characters.
    assert main(["sample", str(run), "--prime", "First Citizen:\n" * 4, "--length", "10",
                 "--temperature", "0"]) == 0


def test_the_validation_loss_can_be_measured_again(run):
    metrics = json.loads((run / "metrics.json").read_text())
    scores = evaluate_charlm(run)
    assert scores["loss"] == pytest.approx(metrics["val_loss"], rel=1e-6)
    assert scores["characters"] == metrics["val_characters"]
    assert evaluate_charlm(run, str(SHARED_DATA))["loss"] == scores["loss"]


def test_eval_prints_the_validation_loss(run, capsys):
    metrics = json.loads((run / "metrics.json").read_text())
    assert main(["eval", str(run)]) == 0
    assert f"{metrics['val_loss']:.4f} nats/char" in capsys.readouterr().out


def test_an_interrupted_run_resumes_to_the_same_end(run, tmp_path, monkeypatch):
    import shenjing.train.loop as loop

    save_training = loop.save_training

    def stop_after_two_epochs(path, state, *rest):
        save_training(path, state, *rest)
        if state.epoch == 2:
            raise KeyboardInterrupt  # as a Ctrl-C right after the checkpoint

    out = tmp_path / "stopped"
    with monkeypatch.context() as patch:
        patch.setattr(loop, "save_training", stop_after_two_epochs)
        assert main([*OPTIONS, "--out", str(out)]) == 130
    assert not (out / "metrics.json").exists()
    assert main([*OPTIONS, "--out", str(out), "--resume"]) == 0
    assert (out / "model.safetensors").read_bytes() == (run / "model.safetensors").read_bytes()
    assert json.loads((out / "history.json").read_text()) == \
        json.loads((run / "history.json").read_text())


def test_options_that_do_not_fit_the_model_are_refused(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text("abcdefgh" * 40)
    base = ["train", "charlm", "--text", str(text), "--quiet"]
    assert main([*base, "--heads", "2", "--out", str(tmp_path / "a")]) == 2
    assert "--heads: only for --model transformer, not lstm" in capsys.readouterr().err
    assert main([*base, "--model", "transformer", "--embedding", "8",
                 "--out", str(tmp_path / "b")]) == 2
    assert "--embedding: the transformer's embedding width is --d-model" in \
        capsys.readouterr().err
    assert main([*base, "--model", "transformer", "--d-model", "10", "--heads", "4",
                 "--out", str(tmp_path / "c")]) == 2
    assert "not divisible by --heads 4" in capsys.readouterr().err
    assert main([*base, "--model", "transformer", "--seq-len", "400",
                 "--out", str(tmp_path / "d")]) == 2
    assert "too few for a window of --seq-len 400" in capsys.readouterr().err
    assert main(["train", "quadrants", "--d-model", "8", "--out", str(tmp_path / "e")]) == 2
    assert "--d-model: only for `shenjing train charlm`" in capsys.readouterr().err


def test_compiled_and_eager_training_write_the_same_history(tmp_path):
    histories = []
    for flag in ("--compile", "--no-compile"):
        out = tmp_path / flag.strip("-")
        quick = [*OPTIONS, "--limit", "3000", "--epochs", "2"]  # the last --limit counts
        assert main([*quick, "--out", str(out), flag]) == 0
        histories.append(json.loads((out / "history.json").read_text()))
    assert histories[0] == histories[1]
