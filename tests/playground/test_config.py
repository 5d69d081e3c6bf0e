"""Config: the URL query round-trips, and every bad value is named by its key."""

import math

import pytest

from shenjing.playground.config import (
    ACTIVATIONS,
    DATASETS,
    FEATURES,
    LOSSES,
    MAX_LAYERS,
    MAX_NEURONS,
    OPTIMIZERS,
    Config,
    ConfigError,
)


def test_defaults_round_trip():
    c = Config()
    assert Config.from_query(c.to_query()) == c
    assert Config.from_query("") == c
    assert Config.from_query({}) == c
    assert Config.from_query("?" + c.to_query()) == c


@pytest.mark.parametrize("query", [
    "dataset=spirals&classes=3&hidden=16,16,16&act=relu,tanh,gelu&lr=0.01&opt=adam",
    "dataset=blobs&classes=8&features=x1,x2,x1^2,x2^2,x1*x2,sin_x1,sin_x2&hidden=",
    "dataset=csv&loss=hinge&opt=rmsprop&l1=0.001&l2=0.01&dropout=0.25&seed=4294967295",
    "dataset=moons&noise=0.5&samples=2000&train=0.9&batch=1000&loss=mse&opt=momentum&lr=10",
])
def test_round_trip(query):
    c = Config.from_query(query)
    assert Config.from_query(c.to_query()) == c
    assert Config.from_query(c.to_query()).to_query() == c.to_query()


def test_every_choice_is_accepted():
    for name in DATASETS:
        assert Config.from_query(f"dataset={name}").dataset == name
    for name in ACTIVATIONS:
        assert Config.from_query(f"act={name}").activations == (name, name)
    for name in LOSSES:
        assert Config.from_query(f"loss={name}").loss == name
    for name in OPTIMIZERS:
        assert Config.from_query(f"opt={name}").optimizer == name
    assert Config.from_query("features=" + ",".join(FEATURES)).features == FEATURES


def test_normalisation():
    # one activation serves every layer; features take the checkboxes' order
    c = Config.from_query("hidden=4,5,6&act=relu&features=x2,x1")
    assert c.activations == ("relu",) * 3 and c.features == ("x1", "x2")
    assert Config.from_query("hidden=&act=relu").activations == ()
    assert Config(hidden=(3,)).activations == ("tanh",)  # the default's one activation
    assert Config(lr=1).lr == 1.0 and isinstance(Config(lr=1).lr, float)
    assert Config.from_query("lr= 0.5 ").lr == 0.5
    assert Config.from_query({"hidden": "3, 4", "act": "elu, gelu"}).hidden == (3, 4)
    assert MAX_LAYERS == 6 and MAX_NEURONS == 16


@pytest.mark.parametrize("query, message", [
    ("lr=nan", "lr: must be a finite number, got nan"),
    ("lr=inf", "lr: must be a finite number"),
    ("lr=-inf", "lr: must be a finite number"),
    ("lr=0", "lr: the learning rate must be > 0"),
    ("lr=-0.1", "lr: must be from 0 to 10"),
    ("lr=11", "lr: must be from 0 to 10, got 11.0"),
    ("lr=fast", "lr: expected a number, got 'fast'"),
    ("hidden=8,0", "hidden: a layer needs at least 1 neuron, got 0"),
    ("hidden=8,,8", "hidden: expected neurons per layer"),
    ("hidden=17", "hidden: at most 16 neurons per layer, got 17"),
    ("hidden=1,1,1,1,1,1,1&act=tanh", "hidden: at most 6 hidden layers, got 7"),
    ("hidden=2.5", "hidden: expected neurons per layer"),
    ("act=softsign", "act: unknown value 'softsign'"),
    ("hidden=2,2,2&act=relu,tanh", "act: 2 activations for 3 hidden layers"),
    ("dataset=mnist", "dataset: unknown value 'mnist'"),
    ("loss=nll", "loss: unknown value 'nll'"),
    ("opt=lbfgs", "opt: unknown value 'lbfgs'"),
    ("features=", "features: choose at least one"),
    ("features=x3", "features: unknown value 'x3'"),
    ("features=x1,x1", "features: a feature is given twice"),
    ("noise=0.6", "noise: must be from 0 to 0.5"),
    ("samples=19", "samples: must be from 20 to 2000, got 19"),
    ("samples=2001", "samples: must be from 20 to 2000"),
    ("samples=1e3", "samples: expected an integer, got '1e3'"),
    ("train=0.95", "train: must be from 0.1 to 0.9"),
    ("classes=1", "classes: must be from 2 to 8"),
    ("classes=9", "classes: must be from 2 to 8"),
    ("batch=0", "batch: must be from 1 to 1000"),
    ("l1=-1", "l1: must be from 0 to 10"),
    ("l2=nan", "l2: must be a finite number"),
    ("dropout=1", "dropout: the drop probability must be < 1"),
    ("seed=-1", "seed: must be from 0"),
    ("speed=3", "speed: unknown key"),
    ("activations=relu", "activations: unknown key"),
    ("lr=0.1&lr=0.2", "lr: given twice"),
])
def test_bad_values_are_named(query, message):
    with pytest.raises(ConfigError) as info:
        Config.from_query(query)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_bad_python_values():
    with pytest.raises(ConfigError, match="samples: expected an integer, got True"):
        Config(samples=True)
    with pytest.raises(ConfigError, match="lr: must be a finite number"):
        Config(lr=math.nan)
    with pytest.raises(ConfigError, match="hidden: expected a list"):
        Config(hidden=8)
    with pytest.raises(ConfigError, match="query: expected a query string"):
        Config.from_query(3)
    with pytest.raises(ConfigError, match="lr: expected a string"):
        Config.from_query({"lr": 0.1})


def test_n_classes():
    assert Config(dataset="quadrants", classes=3).n_classes == 4
    assert Config(dataset="xor").n_classes == 2
    assert Config(dataset="spirals", classes=5).n_classes == 5
    assert Config(dataset="csv").n_classes is None
