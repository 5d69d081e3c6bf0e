"""Session: training, frames, divergence, the data sets and losses, CSV files, isolation."""

import base64
import json
import math
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.playground.config import Config
from shenjing.playground.data import CSVError, parse_csv
from shenjing.playground.engine import HISTORY_POINTS, Session


def q(query: str, csv: str | None = None) -> Session:
    return Session(Config.from_query(query), csv)


def pixels(text: str, n: int) -> np.ndarray:
    out = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    assert out.shape == (n,)
    return out


def test_frame_shape_and_json():
    s = q("hidden=8,8&act=tanh")
    s.step(5)
    f = s.frame(grid=48, neuron_grid=20)
    json.loads(json.dumps(f, allow_nan=False))  # no NaN sneaks into the page's JSON
    assert f["steps"] == 5 and f["samples_seen"] == 50 and f["epoch"] == 5 / 20
    assert f["grid"] == 48 and f["neuron_grid"] == 20 and f["inputs"] == ["x1", "x2"]
    assert pixels(f["surface"], 48 * 48).max() < 4
    pixels(f["confidence"], 48 * 48)
    assert [len(layer) for layer in f["neurons"]] == [8, 8]
    for layer in f["neurons"]:
        for neuron in layer:
            p = pixels(neuron, 400)
            assert p.min() == 0 and p.max() == 255  # each neuron scaled by its own range
    shapes = [(len(m["weight"]), len(m["weight"][0]), len(m["bias"])) for m in f["layers"]]
    assert shapes == [(8, 2, 8), (8, 8, 8), (4, 8, 4)]
    assert np.allclose(f["layers"][0]["weight"], s.model[0].weight.detach().numpy())
    assert f["error"] is None and math.isfinite(f["train_loss"]) and math.isfinite(f["test_loss"])
    assert f["history"] == {"epoch": [0.25], "train": [f["train_loss"]], "test": [f["test_loss"]]}


def test_data():
    s = q("samples=100&train=0.3")
    d = s.data()
    assert len(d["train"]) == 30 and len(d["test"]) == 70 and d["classes"] == 4
    xmin, xmax, ymin, ymax = d["bounds"]
    points = np.array([p[:2] for p in d["train"] + d["test"]])
    assert xmin < points[:, 0].min() and points[:, 0].max() < xmax
    assert ymin < points[:, 1].min() and points[:, 1].max() < ymax
    assert {p[2] for p in d["train"] + d["test"]} == {0, 1, 2, 3}
    json.dumps(d, allow_nan=False)
    for part, (X, y) in s.split.items():  # the public view of the same points
        assert tuple(X.shape) == (len(d[part]), 2) and y.tolist() == [p[2] for p in d[part]]
        assert np.allclose(X.numpy(), [p[:2] for p in d[part]], atol=1e-5)


def test_quadrants_learn_four_colours_in_four_quadrants():
    s = q("opt=adam&lr=0.03&hidden=8,8")
    s.step(400)
    f = s.frame(grid=48)
    assert f["test_loss"] < 0.2
    surface = pixels(f["surface"], 48 * 48).reshape(48, 48)  # rows from the top
    # quadrant I (class 0) is top right, II top left, III bottom left, IV bottom right
    assert np.bincount(surface[:20, 28:].ravel()).argmax() == 0
    assert np.bincount(surface[:20, :20].ravel()).argmax() == 1
    assert np.bincount(surface[28:, :20].ravel()).argmax() == 2
    assert np.bincount(surface[28:, 28:].ravel()).argmax() == 3


@pytest.mark.parametrize("dataset, classes", [("spirals", 3), ("blobs", 5), ("spirals", 8)])
def test_multi_class(dataset, classes):
    s = q(f"dataset={dataset}&classes={classes}&hidden=16,16&act=relu&opt=adam&lr=0.02")
    start = s.frame()["train_loss"]
    s.step(300)
    f = s.frame()
    assert s.classes == classes and len(f["layers"][-1]["bias"]) == classes
    assert f["train_loss"] < 0.75 * start
    assert pixels(f["surface"], 48 * 48).max() < classes


def test_fixed_class_counts():
    for dataset, k in (("quadrants", 4), ("xor", 2), ("circles", 2), ("moons", 2)):
        assert q(f"dataset={dataset}&classes=7").classes == k


def test_features_are_the_inputs():
    s = q("features=x1,x2,x1^2,x2^2,x1*x2,sin_x1,sin_x2&dataset=circles")
    assert s.model[0].in_features == 7
    X = s._points["train"].numpy()
    inputs = s._inputs["train"].numpy()
    x1, x2 = X[:, 0], X[:, 1]
    expected = np.stack([x1, x2, x1 * x1, x2 * x2, x1 * x2, np.sin(x1), np.sin(x2)], axis=1)
    np.testing.assert_allclose(inputs, expected, rtol=1e-6)
    assert q("features=x1^2").frame()["inputs"] == ["x1^2"]


def test_no_hidden_layer():
    s = q("hidden=&dataset=xor")
    s.step(3)
    f = s.frame()
    assert f["neurons"] == [] and len(f["layers"]) == 1


def test_divergence_stops_training_with_an_error():
    s = q("lr=10&act=linear&opt=momentum&hidden=16,16,16,16")
    s.step(300)
    assert s.error is not None and s.error.startswith("the loss diverged to")
    assert "lower the learning rate (10 now)" in s.error
    steps = s.steps
    s.step(10)
    assert s.steps == steps  # stopped for good
    f = s.frame()
    assert f["error"] == s.error
    json.dumps(f, allow_nan=False)


def test_history_is_capped_and_thinned():
    s = q("samples=20&batch=10&hidden=2")
    for _ in range(3 * HISTORY_POINTS):
        s.step(1)
        s.frame(grid=2, neuron_grid=2)
    history = s.frame(grid=2, neuron_grid=2)["history"]
    assert HISTORY_POINTS // 2 <= len(history["epoch"]) < HISTORY_POINTS
    assert history["epoch"] == sorted(history["epoch"]) and history["epoch"][0] == 1.0
    assert len(history["train"]) == len(history["test"]) == len(history["epoch"])
    s.frame(grid=2, neuron_grid=2)  # no progress, no point
    assert s.frame(grid=2, neuron_grid=2)["history"] == history


def test_losses_against_pytorch():
    logits = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    labels = np.array([0, 2, 1, 1, 0, 2])
    for loss, reference in [
        ("hinge", torch.nn.MultiMarginLoss()(torch.tensor(logits), torch.tensor(labels))),
        ("mse", torch.nn.MSELoss()(torch.tensor(logits).softmax(1),
                                   torch.nn.functional.one_hot(torch.tensor(labels), 3).float())),
        ("cross_entropy", torch.nn.CrossEntropyLoss()(torch.tensor(logits),
                                                      torch.tensor(labels))),
    ]:
        s = q(f"loss={loss}&dataset=spirals&classes=3")
        target = s._target(sj.tensor(labels))
        got = s.data_loss(sj.tensor(logits), target).item()
        assert got == pytest.approx(reference.item(), rel=1e-5), loss


@pytest.mark.parametrize("loss", ["hinge", "mse"])
def test_other_losses_train(loss):
    s = q(f"loss={loss}&opt=adam&lr=0.03")
    start = s.frame()["train_loss"]
    s.step(200)
    assert s.frame()["train_loss"] < 0.5 * start


def weight_size(s: Session) -> float:
    return sum(float(np.abs(m.weight.detach().numpy()).sum()) for m in s.model
               if isinstance(m, sj.nn.Linear))


def test_l1_and_l2_shrink_the_weights():
    base = q("opt=adam&lr=0.03")
    l1 = q("opt=adam&lr=0.03&l1=0.01")
    l2 = q("opt=adam&lr=0.03&l2=0.1")
    for s in (base, l1, l2):
        s.step(300)
    assert weight_size(l1) < 0.7 * weight_size(base)
    assert weight_size(l2) < 0.7 * weight_size(base)
    # L2 is the optimizer's weight decay, on the weights only
    groups = l2.optimizer.param_groups
    assert [g["weight_decay"] for g in groups] == [0.1, 0.0]
    assert all(p.ndim == 2 for p in groups[0]["params"])
    assert all(p.ndim == 1 for p in groups[1]["params"])
    # L1 is a penalty added to the loss
    logits, target = l1.model(l1._inputs["train"]), l1._targets["train"]
    penalty = 0.01 * sum(float(np.abs(w.detach().numpy()).sum()) for w in l1._weights)
    assert l1.total_loss(logits, target).item() == pytest.approx(
        l1.data_loss(logits, target).item() + penalty, rel=1e-5)


def test_dropout_in_training_not_in_frames():
    s = q("dropout=0.5&hidden=16,16")
    assert sum(isinstance(m, sj.nn.Dropout) for m in s.model) == 2
    s.step(20)
    a, b = s.frame(), s.frame()
    assert a["surface"] == b["surface"] and a["neurons"] == b["neurons"]
    s.model.train()
    x = s._inputs["train"]
    assert not np.array_equal(s.model(x).detach().numpy(), s.model(x).detach().numpy())


def test_same_seed_same_training_whatever_the_threads():
    query = "dropout=0.2&opt=adam&seed=7"
    alone = q(query)
    alone.step(60)
    expected = alone.frame()["test_loss"]

    sessions = [q(query) for _ in range(4)]

    def train(s):
        for _ in range(12):
            s.step(5)
            s.frame(grid=8)

    threads = [threading.Thread(target=train, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s.frame()["test_loss"] for s in sessions] == [expected] * 4
    assert q("seed=8").frame()["test_loss"] != q("seed=7").frame()["test_loss"]


def test_only_dropout_holds_the_global_generator_while_training():
    # The process-wide lock guards shenjing's global generator: a session without dropout
    # draws nothing from it while training, so it trains while another thread holds it.
    from shenjing.playground.engine import _RNG_LOCK

    plain, dropout = q("seed=3"), q("dropout=0.3&seed=3")
    expected = q("seed=3")
    expected.step(10)
    threads = [threading.Thread(target=s.step, args=(10,)) for s in (plain, dropout)]
    with _RNG_LOCK:
        for t in threads:
            t.start()
        threads[0].join(30)
        assert not threads[0].is_alive()  # trained although the lock was held
        assert threads[1].is_alive() and dropout.steps == 0  # waits: its masks draw from it
    threads[1].join(30)
    assert dropout.steps == 10
    assert plain.frame()["test_loss"] == expected.frame()["test_loss"]


def test_sessions_leave_the_global_generator_alone():
    sj.manual_seed(5)
    expected = sj.rand(3).tolist()
    sj.manual_seed(5)
    s = q("dropout=0.5")
    s.step(5)
    assert sj.rand(3).tolist() == expected


def test_bad_arguments():
    s = q("")
    with pytest.raises(ValueError, match="step: batches"):
        s.step(-1)
    with pytest.raises(ValueError, match="frame: grid"):
        s.frame(grid=1)
    with pytest.raises(ValueError, match="frame: neuron_grid"):
        s.frame(neuron_grid=1000)


CSV = "x1,x2,label\n" + "\n".join(
    f"{x},{y},{'red' if x * y > 0 else 'blue'}" for x in (-1, -0.5, 0.5, 1) for y in (-1, 0.5, 1))


def test_csv_session():
    s = q("dataset=csv&hidden=4", CSV)
    assert s.classes == 2 and s.n_train == 6
    s.step(4)
    assert s.frame()["steps"] == 4
    d = s.data()
    assert len(d["train"]) + len(d["test"]) == 12
    with pytest.raises(CSVError, match="needs a file"):
        q("dataset=csv")


def test_parse_csv():
    X, y = parse_csv("0,0,3\n1,1,10\n\n2,2,3\n3,3,10\n")
    assert X.dtype == np.float32 and X.shape == (4, 2) and y.tolist() == [0, 1, 0, 1]
    assert parse_csv(" x , y , c \n0,0,b\n1,1,a\n2,2,b\n3,3,c")[1].tolist() == [1, 0, 1, 2]


@pytest.mark.parametrize("text, message", [
    ("x1,x2,label\n0,0,0\na,b,1\n", "line 3: x1 and x2 must be numbers, got 'a,b,1'"),
    ("0,0,0\n1,1\n", "line 2: expected x1,x2,label, got '1,1'"),
    ("0,0,0\n1,1,1,1\n", "line 2: expected x1,x2,label"),
    ("0,0,0\n1,,1\n", "line 2: expected x1,x2,label"),
    ("0,0,0\nnan,1,1\n", "line 2: x1 and x2 must be finite"),
    ("0,0,0\n1,inf,1\n", "line 2: x1 and x2 must be finite"),
    ("0,0,0\n1,2e6,1\n", "line 2: x1 and x2 must be within +-1e+06"),
    ("0,0,0\n1,1,1\n", "at least 4 rows"),
    ("0,0,a\n1,1,a\n2,2,a\n3,3,a\n", "2 to 16 classes, got 1"),
    ("".join(f"{i},{i},{i}\n" for i in range(17)), "2 to 16 classes, got 17"),
    ("".join(f"{i},{i},{i % 2}\n" for i in range(5001)), "line 5001: more than 5000 rows"),
    ("0,0,0\n" * 200_000, "characters, more than"),
    ("", "at least 4 rows"),
])
def test_bad_csv_is_named(text, message):
    with pytest.raises(CSVError) as info:
        parse_csv(text)
    assert message in str(info.value)
    with pytest.raises(ValueError):  # what the server catches
        q("dataset=csv", text)


def test_importable_without_starlette():
    code = ("import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None\n"
            "import shenjing.playground as p, shenjing.playground.export\n"
            "s = p.Session(p.Config(samples=40)); s.step(1); s.frame(); s.script()\n"
            "s.weights_safetensors()")
    subprocess.run([sys.executable, "-c", code], check=True)
