"""The take-away: the script trains to the session's result, and loads the session's weights."""

import io
import subprocess
import sys

import pytest

import shenjing as sj
from shenjing.playground.config import Config
from shenjing.playground.engine import Session, build_model

CSV = "x1,x2,label\n" + "\n".join(
    f"{x / 4},{y / 4},{'in' if x * x + y * y < 5 else 'out'}"
    for x in range(-4, 5) for y in range(-4, 5))


def run(path, *args) -> dict:
    result = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True,
                            timeout=120, check=True)
    # "test loss 0.123" -> {"test loss": "0.123"}
    return dict(line.rsplit(" ", 1) for line in result.stdout.splitlines())


def printed(output: dict, name: str) -> float:
    return float(output[f"{name} loss"])


@pytest.mark.parametrize("query, csv, steps", [
    ("", None, 37),
    ("dataset=csv&features=x1,x2,x1^2,x2^2&hidden=6,5&act=elu,swish&loss=mse&opt=adam"
     "&dropout=0.3&l1=0.001&l2=0.01&batch=7&seed=3", CSV, 40),
    ("dataset=spirals&classes=3&noise=0.1&hidden=16,16,16&act=relu,leaky_relu,gelu&loss=hinge"
     "&opt=rmsprop&lr=0.01&features=x1,x2,sin_x1,sin_x2,x1*x2&seed=11&train=0.7", None, 45),
    ("dataset=blobs&classes=6&hidden=3&act=sigmoid&opt=momentum&batch=1000&seed=2", None, 5),
    ("dataset=moons&hidden=&opt=sgd&lr=0.5", None, 25),
])
def test_script_reproduces_the_session(tmp_path, query, csv, steps):
    session = Session(Config.from_query(query), csv)
    session.step(steps)
    frame = session.frame()
    path = tmp_path / "playground.py"
    path.write_text(session.script())
    output = run(path)
    assert output["epoch"] == f"{frame['epoch']:.2f}"
    assert printed(output, "train") == pytest.approx(frame["train_loss"], rel=1e-6, abs=1e-7)
    assert printed(output, "test") == pytest.approx(frame["test_loss"], rel=1e-6, abs=1e-7)

    weights = tmp_path / "playground.safetensors"
    weights.write_bytes(session.weights_safetensors())
    loaded = run(path, "--weights", str(weights))
    assert printed(loaded, "test") == pytest.approx(frame["test_loss"], rel=1e-6, abs=1e-7)


def test_script_trains_longer(tmp_path):
    session = Session(Config.from_query("opt=adam"))
    path = tmp_path / "playground.py"
    path.write_text(session.script())
    assert printed(run(path, "--steps", "300"), "test") < 0.3


def test_weights_load_into_the_same_network():
    session = Session(Config.from_query("hidden=4,4&dropout=0.1"))
    session.step(3)
    state = sj.load(io.BytesIO(session.weights_safetensors()))
    model = build_model(session.config, session.classes)
    model.load_state_dict(state)
    for a, b in zip(model.parameters(), session.model.parameters()):
        assert a.tolist() == b.tolist()
