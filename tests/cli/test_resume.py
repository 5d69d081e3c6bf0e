"""`shenjing train --resume` and `--overwrite`: a run killed at random moments and resumed ends
exactly as the same run left alone; a folder that holds a run is never lost to a new one."""

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import shenjing as sj
from shenjing.cli import main

# A run of about two seconds: dropout, shuffling, a cosine schedule and early stopping's
# patience all carry state from epoch to epoch.
OPTIONS = ["train", "quadrants", "--epochs", "30", "--limit", "4000", "--dropout", "0.1",
           "--scheduler", "cosine", "--patience", "50", "--seed", "3", "--quiet"]


def _command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "shenjing", *OPTIONS, *extra, "--out", str(out)]


def _same_run(a: Path, b: Path) -> None:
    assert (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()
    ours, theirs = (sj.load(f / "best.safetensors") for f in (a, b))
    assert ours.pop("metadata")["run_id"] != theirs.pop("metadata")["run_id"]
    assert ours["epoch"] == theirs["epoch"] and ours["val_loss"] == theirs["val_loss"]
    for key, value in ours["model"].items():
        assert np.array_equal(value.numpy(), theirs["model"][key].numpy()), key
    assert json.loads((a / "history.json").read_text()) == \
        json.loads((b / "history.json").read_text())
    ours, theirs = (json.loads((f / "metrics.json").read_text()) for f in (a, b))
    for varies in ("train_seconds", "run_id"):
        ours.pop(varies), theirs.pop(varies)
    assert ours == theirs


def test_a_run_killed_at_random_moments_and_resumed_ends_as_one_left_alone(tmp_path):
    long = ["--epochs", "160"]  # about four seconds of compiled training
    reference = tmp_path / "alone"
    subprocess.run(_command(reference, *long), check=True, capture_output=True, timeout=120)
    rng = random.Random(11)
    killed = tmp_path / "killed"
    kills, resumed_kills = 0, 0
    deadline = time.monotonic() + 180
    while not (killed / "metrics.json").exists() and time.monotonic() < deadline:
        # --resume once the run has a config; before that there is nothing to resume
        extra = ["--resume"] if (killed / "config.json").exists() else []
        errors = tmp_path / f"stderr-{kills}.txt"
        with open(errors, "wb") as stderr:
            process = subprocess.Popen(_command(killed, *long, *extra),
                                       stdout=subprocess.DEVNULL, stderr=stderr)
            try:
                process.wait(timeout=rng.uniform(0.5, 1.5) if kills < 6 else 120)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
                resumed_kills += bool(extra)
        assert process.returncode in (0, -signal.SIGKILL), errors.read_text()
    assert kills >= 3 and resumed_kills >= 2, (kills, resumed_kills)
    assert not [p.name for p in killed.iterdir() if p.name.endswith(".tmp")]
    _same_run(reference, killed)


def test_ctrl_c_stops_after_a_step_and_says_how_to_resume(tmp_path):
    out = tmp_path / "run"
    slow = [*OPTIONS, "--epochs", "400"]
    # SIGINT as a terminal sends it, even where this test runs as a background job (which
    # starts its children ignoring SIGINT)
    process = subprocess.Popen([sys.executable, "-m", "shenjing", *slow, "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not (out / "last.safetensors").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "interrupted at epoch" in lines[0] and "--resume" in lines[0]
    state = sj.load(out / "last.safetensors")  # still valid
    assert state["kind"] == "shenjing.training" and state["epoch"] >= 1


def test_rerunning_into_a_finished_run_refuses_and_keeps_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "quadrants", "--epochs", "2", "--out", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert main(["train", "quadrants", "--epochs", "3", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "already holds a finished run" in err
    assert "--resume" in err and "--overwrite" in err and "--out" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # --resume of a finished run has nothing to do, and says so
    assert main(["train", "quadrants", "--out", str(out), "--resume", "--quiet"]) == 0
    assert "nothing to resume" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_overwrite_replaces_only_the_runs_own_files(tmp_path):
    out = tmp_path / "run"
    text = tmp_path / "plays.txt"
    text.write_text("to be or not to be, that is the question\n" * 30)
    assert main(["train", "charlm", "--text", str(text), "--hidden", "8", "--embedding", "4",
                 "--seq-len", "8", "--batch-size", "2", "--epochs", "1", "--out", str(out),
                 "--quiet"]) == 0
    (out / "notes.txt").write_text("mine")
    (out / ".model.safetensors.abc123.tmp").write_bytes(b"half a file")  # a killed write
    assert main(["train", "quadrants", "--epochs", "2", "--out", str(out), "--overwrite",
                 "--quiet"]) == 0
    names = sorted(p.name for p in out.iterdir())
    # charlm's vocab.json is gone with the old run; the user's file stays; no leftovers
    assert names == ["best.safetensors", "config.json", "history.json", "last.safetensors",
                     "metrics.json", "model.safetensors", "notes.txt"]
    assert (out / "notes.txt").read_text() == "mine"
    assert json.loads((out / "config.json").read_text())["dataset"] == "quadrants"
    assert main(["eval", str(out)]) == 0


def test_a_config_json_of_the_users_own_is_never_overwritten(tmp_path, capsys):
    (tmp_path / "config.json").write_text('{"learning_rate": 0.1}')
    for extra in ([], ["--overwrite"]):
        code = main(["train", "quadrants", "--epochs", "1", "--out", str(tmp_path), "--quiet",
                     *extra])
        assert code == 2
        assert "not written by `shenjing train`" in capsys.readouterr().err
    assert (tmp_path / "config.json").read_text() == '{"learning_rate": 0.1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_an_unfinished_run_is_named_so_by_eval_and_resume_refuses_other_options(
        tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    subprocess.run(_command(out), check=True, capture_output=True, timeout=120)
    (out / "metrics.json").unlink()  # as if killed after its last epoch
    assert main(["eval", str(out)]) == 2
    err = capsys.readouterr().err
    assert "has not finished" in err and "--resume" in err
    assert main([*OPTIONS, "--out", str(out), "--resume", "--lr", "0.5"]) == 2
    assert "--lr would change them" in capsys.readouterr().err
    # the same options (or none) are fine, from any working directory
    monkeypatch.chdir(tmp_path)
    assert main(["train", "quadrants", "--out", "run", "--resume", "--quiet"]) == 0
    assert (out / "metrics.json").exists()
    assert main(["eval", str(out)]) == 0


def test_resume_without_a_run_is_a_clear_error(tmp_path, capsys):
    assert main(["train", "quadrants", "--out", str(tmp_path / "none"), "--resume"]) == 2
    assert "no run to resume" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


def test_resume_and_overwrite_together_are_refused(tmp_path, capsys):
    assert main(["train", "quadrants", "--out", str(tmp_path), "--resume", "--overwrite"]) == 2
    assert "choose one" in capsys.readouterr().err


def test_eval_of_weights_that_are_not_a_state_dict_is_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "quadrants", "--epochs", "1", "--out", str(out), "--quiet"]) == 0
    sj.save([1, 2], out / "model.safetensors")
    capsys.readouterr()
    assert main(["eval", str(out)]) == 2
    assert "holds a list, not a state dict" in capsys.readouterr().err


def _wait_for(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition()


def test_a_killed_overwrite_resumes_its_own_run_not_the_old_ones(tmp_path):
    old, fresh = ["--lr", "0.05"], ["--lr", "0.01", "--hidden", "9"]
    reference = tmp_path / "fresh"
    subprocess.run(_command(reference, *fresh), check=True, capture_output=True, timeout=120)
    out = tmp_path / "run"
    subprocess.run(_command(out, *old), check=True, capture_output=True, timeout=120)
    old_id = json.loads((out / "config.json").read_text())["run_id"]
    process = subprocess.Popen(_command(out, *fresh, "--overwrite"), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _wait_for(lambda: json.loads((out / "config.json").read_text())["run_id"] != old_id)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # the old run's last.safetensors (if still there) is not this run's to continue
    done = subprocess.run(_command(out, *fresh, "--resume"), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    _same_run(reference, out)


def test_resume_with_the_same_relative_options_and_a_missing_vocabulary(tmp_path, capsys,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("plays.txt").write_text("to be or not to be, that is the question\n" * 30)
    command = ["train", "charlm", "--text", "plays.txt", "--hidden", "8", "--embedding", "4",
               "--seq-len", "8", "--batch-size", "2", "--epochs", "2", "--out", "run",
               "--quiet"]
    assert main(command) == 0
    # as if killed between config.json and vocab.json, or after the last epoch
    Path("run/metrics.json").unlink()
    Path("run/vocab.json").unlink()
    assert main([*command, "--resume"]) == 0
    assert main(["sample", "run", "--length", "5", "--seed", "1"]) == 0


def test_resume_of_a_run_recorded_before_runs_had_ids(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "quadrants", "--epochs", "2", "--out", str(out), "--quiet"]) == 0
    config = json.loads((out / "config.json").read_text())
    del config["run_id"]
    (out / "config.json").write_text(json.dumps(config))
    (out / "metrics.json").unlink()
    assert main(["train", "quadrants", "--out", str(out), "--resume", "--quiet"]) == 0
    assert json.loads((out / "config.json").read_text())["run_id"] == \
        json.loads((out / "metrics.json").read_text())["run_id"]
    assert main(["eval", str(out)]) == 0


def test_resume_compares_the_options_given_not_their_defaults(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "quadrants", "--epochs", "2", "--seed", "3", "--out", str(out),
                 "--quiet"]) == 0
    (out / "metrics.json").unlink()
    capsys.readouterr()
    # --seed 0 is the default, and still not the seed this run was started with
    assert main(["train", "quadrants", "--out", str(out), "--resume", "--seed", "0"]) == 2
    assert "--seed would change them" in capsys.readouterr().err
    # --hidden 6 and --activation tanh are what the run used, though not given at its start
    assert main(["train", "quadrants", "--out", str(out), "--resume", "--hidden", "6",
                 "--activation", "tanh", "--quiet"]) == 0


def test_files_named_like_a_runs_without_its_config_are_left_alone(tmp_path, capsys):
    (tmp_path / "vocab.json").write_text("mine")
    (tmp_path / "history.json").write_text("mine too")
    for extra in ([], ["--overwrite"]):
        code = main(["train", "quadrants", "--epochs", "1", "--out", str(tmp_path), "--quiet",
                     *extra])
        assert code == 2
        assert "left alone" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json", "vocab.json"]
    assert (tmp_path / "vocab.json").read_text() == "mine"


def test_a_refused_command_makes_no_run_folder(tmp_path, capsys):
    assert main(["train", "charlm", "--text", str(tmp_path / "none.txt"), "--out",
                 str(tmp_path / "run")]) == 2
    assert not (tmp_path / "run").exists()


def test_plot_curves_of_an_unfinished_run_draws_its_epochs_so_far(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "quadrants", "--epochs", "3", "--out", str(out), "--quiet"]) == 0
    (out / "metrics.json").unlink()
    (out / "history.json").write_text('{"epoch": [1], "loss": [9.0]}')  # not this run's
    capsys.readouterr()
    assert main(["plot", "curves", str(out)]) == 0
    assert "unfinished: its epochs so far" in capsys.readouterr().out
    (out / "last.safetensors").unlink()
    assert main(["plot", "curves", str(out)]) == 2
    assert "has not finished" in capsys.readouterr().err
