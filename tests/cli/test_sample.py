"""`shenjing train charlm` and `shenjing sample`, end to end on a small text file."""

import json

import pytest

import shenjing as sj
from shenjing.cli import main

TEXT = ("ROMEO:\nBut soft, what light through yonder window breaks?\n"
        "JULIET:\nO Romeo, Romeo, wherefore art thou Romeo?\n") * 6


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny character model trained by the command line on a few hundred characters."""
    folder = tmp_path_factory.mktemp("charlm")
    corpus = folder / "plays.txt"
    corpus.write_text(TEXT)
    out = folder / "run"
    code = main(["train", "charlm", "--text", str(corpus), "--model", "lstm", "--hidden", "48",
                 "--layers", "1", "--embedding", "12", "--seq-len", "16", "--batch-size", "4",
                 "--epochs", "12", "--lr", "1e-2", "--clip", "5", "--dropout", "0",
                 "--out", str(out), "--quiet"])
    assert code == 0
    return out


def test_train_writes_the_run_folder(run):
    assert sorted(p.name for p in run.iterdir()) == [
        "best.safetensors", "config.json", "history.json", "last.safetensors", "metrics.json",
        "model.safetensors",
        "vocab.json"]
    config = json.loads((run / "config.json").read_text())
    vocab = sj.data.CharVocab.load(run / "vocab.json")
    assert config["dataset"] == "charlm" and config["model"] == "lstm"
    assert config["vocab_size"] == len(vocab) == len(set(TEXT))
    assert (config["hidden_size"], config["num_layers"], config["embedding_dim"]) == (48, 1, 12)
    assert config["corpus"].endswith("plays.txt") and config["train"]["seq_len"] == 16
    metrics = json.loads((run / "metrics.json").read_text())
    history = sj.train.History.load(run / "history.json")
    assert len(history["val_loss"]) == 12 == metrics["epochs"]
    assert metrics["val_loss"] == pytest.approx(min(history["val_loss"]), rel=1e-6)
    assert metrics["val_bpc"] == pytest.approx(metrics["val_loss"] / 0.6931471805599453)
    assert metrics["val_loss"] < 0.5 * history["val_loss"][0]  # it learned something
    assert metrics["train_characters"] + metrics["val_characters"] == len(TEXT)
    assert metrics["val_characters"] == len(TEXT) // 10


def test_sample_prints_text_that_starts_with_the_prime(run, capsys):
    assert main(["sample", str(run), "--prime", "ROMEO:", "--length", "120",
                 "--temperature", "0.8", "--seed", "0"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("ROMEO:") and len(first) == len("ROMEO:") + 120 + 1  # + newline
    assert set(first) <= set(TEXT) | {"\n"}
    assert main(["sample", str(run), "--prime", "ROMEO:", "--length", "120",
                 "--temperature", "0.8", "--seed", "0"]) == 0
    assert capsys.readouterr().out == first  # the same seed, the same text
    assert main(["sample", str(run), "--length", "30", "--temperature", "0"]) == 0
    assert capsys.readouterr().out.startswith("\n")  # the default prime


def test_sample_errors_are_one_line(run, tmp_path, capsys):
    assert main(["sample", str(run), "--prime", "ROMEO@"]) == 2
    assert "'@' not in the vocabulary" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "nothing")]) == 2
    assert "config.json is missing" in capsys.readouterr().err
    assert main(["eval", str(run)]) == 0  # a charlm run: its validation loss per character
    assert "nats/char" in capsys.readouterr().out


def test_sample_falls_back_to_the_best_checkpoint(run, tmp_path, capsys):
    import shutil

    stopped = tmp_path / "stopped"
    shutil.copytree(run, stopped)
    (stopped / "model.safetensors").unlink()  # as if training had been interrupted
    assert main(["sample", str(stopped), "--prime", "JULIET:", "--length", "20",
                 "--seed", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("JULIET:") and "best.safetensors" not in captured.out
    assert "using the checkpoint of epoch" in captured.err


def test_train_charlm_errors_name_the_argument(tmp_path, capsys):
    corpus = tmp_path / "t.txt"
    corpus.write_text(TEXT)
    assert main(["train", "charlm", "--text", str(corpus), "--model", "mlp"]) == 2
    assert "--model mlp" in capsys.readouterr().err
    assert main(["train", "charlm", "--text", str(corpus), "--hidden", "8", "8"]) == 2
    assert "--hidden" in capsys.readouterr().err
    assert main(["train", "charlm", "--text", str(tmp_path / "none.txt")]) == 2
    assert "none.txt" in capsys.readouterr().err
    assert main(["train", "charlm", "--text", str(corpus), "--data", str(tmp_path)]) == 2
    assert "--text and --data" in capsys.readouterr().err
    assert main(["train", "charlm", "--text", str(corpus), "--batch-size", "4000"]) == 2
    assert "--batch-size 4000" in capsys.readouterr().err
    assert main(["train", "quadrants", "--seq-len", "8"]) == 2
    assert "--seq-len: only for `shenjing train charlm`" in capsys.readouterr().err
    assert main(["train", "quadrants", "--model", "gru"]) == 2
    assert "shenjing train charlm" in capsys.readouterr().err


def test_train_charlm_reads_tiny_shakespeare_from_a_data_folder(tmp_path):
    from tests.datasets.test_shakespeare import SHAKESPEARE_DIR, requires_shakespeare

    if requires_shakespeare.args[0]:
        pytest.skip(requires_shakespeare.kwargs["reason"])
    out = tmp_path / "run"
    assert main(["train", "charlm", "--data", str(SHAKESPEARE_DIR.parent), "--limit", "3000",
                 "--hidden", "16", "--layers", "1", "--embedding", "8", "--seq-len", "32",
                 "--batch-size", "8", "--epochs", "1", "--out", str(out), "--quiet"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["corpus"] == str((SHAKESPEARE_DIR / "input.txt").resolve())
    assert json.loads((out / "metrics.json").read_text())["train_characters"] == 2700


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")  # the second run diverges
def test_an_overwriting_run_never_mixes_with_the_old_one(tmp_path, capsys):
    """A run that replaces another and stops early leaves the old weights on disk (nothing is
    lost before the new run has something), but sample never takes them for the new run's."""
    first, second = tmp_path / "ab.txt", tmp_path / "xy.txt"
    first.write_text("abab" * 60)
    second.write_text("xyxy" * 60)
    out = tmp_path / "run"
    common = ["--hidden", "8", "--layers", "1", "--embedding", "4", "--seq-len", "8",
              "--batch-size", "2", "--out", str(out), "--quiet"]
    assert main(["train", "charlm", "--text", str(first), "--epochs", "1", *common]) == 0
    old_weights = (out / "model.safetensors").read_bytes()
    # The second run diverges at once: one line; the first run's files stay until replaced.
    code = main(["train", "charlm", "--text", str(second), "--epochs", "2", "--optimizer", "sgd",
                 "--momentum", "0", "--lr", "1e38", "--overwrite", *common])
    assert code == 2
    assert "the loss became" in capsys.readouterr().err
    assert (out / "model.safetensors").read_bytes() == old_weights
    assert sj.data.CharVocab.load(out / "vocab.json").chars == ["x", "y"]
    assert main(["sample", str(out), "--length", "5"]) == 2
    assert "no weights of this run yet" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--clip", "-0.5"], ["--clip", "0"], ["--lr", "0"],
                                    ["--lr", "nan"]])
def test_non_positive_clip_and_learning_rate_are_refused(option, capsys):
    with pytest.raises(SystemExit):
        main(["train", "charlm", *option])
    assert "must be above 0" in capsys.readouterr().err


def test_sampling_refuses_a_nan_temperature_and_a_diverged_model():
    import math

    charlm = sj.models.CharLM(3, 2, 4)
    with pytest.raises(ValueError, match="temperature"):
        charlm.sample([0], 5, temperature=math.nan)
    with sj.no_grad():
        charlm.decoder.bias.fill_(math.nan)
    with pytest.raises(FloatingPointError, match="not finite"):
        charlm.sample([0], 5, temperature=1.0, generator=0)
