"""The take-away script: a session's data set, network and training as a plain shenjing program.

The script makes the same calls in the same order as ``engine.Session`` (the data set from the
seed, the split and batch order from an ``sj.Generator``, the weights and dropout masks from
``sj.manual_seed``), so after the same number of steps it prints the same test loss.
"""

from __future__ import annotations

from shenjing.playground import data as _data
from shenjing.playground.layers import ACTIVATIONS, MOMENTUM

_OPTIMIZERS = {
    "sgd": "sj.optim.SGD(groups, lr={lr!r})",
    "momentum": "sj.optim.SGD(groups, lr={lr!r}, momentum=" + repr(MOMENTUM) + ")",
    "adam": "sj.optim.Adam(groups, lr={lr!r})",
    "rmsprop": "sj.optim.RMSprop(groups, lr={lr!r})",
}
_LOSSES = {
    "cross_entropy": "F.cross_entropy(logits, target)",
    "hinge": "F.multi_margin_loss(logits, target)  # multiclass hinge, nn.MultiMarginLoss",
    "mse": "F.mse_loss(F.softmax(logits, dim=1), target)  # on one-hot targets",
}


def script(session) -> str:
    """The program for ``session`` (an ``engine.Session``), trained for its steps so far."""
    c = session.config
    if c.dataset == "csv":
        (train, train_labels), (test, test_labels) = session.split.values()
        X = train.numpy().tolist() + test.numpy().tolist()
        y = train_labels.tolist() + test_labels.tolist()
        # the file's points, already split: the first N_TRAIN rows are the train set
        points = f"POINTS = {X!r}\nLABELS = {y!r}\n"
        make = ("    return sj.tensor(POINTS, dtype=sj.float32), sj.tensor(LABELS)")
        split = ("    order = sj.arange(len(y))  # the rows are in the session's order already\n"
                 "    sj.randperm(len(y), generator=g)  # the draw the session split with\n")
    else:
        points = ""
        make = f"    return {_data.points_source(c)}"
        split = "    order = sj.randperm(len(y), generator=g)\n"
    columns = ", ".join(_data.FEATURE_FORMULAS[name][1] for name in c.features)
    layers, width = [], len(c.features)
    for neurons, activation in zip(c.hidden, c.activations):
        layers.append(f"nn.Linear({width}, {neurons}), {ACTIVATIONS[activation][1]},")
        if c.dropout:
            layers.append(f"nn.Dropout({c.dropout!r}),")
        width = neurons
    layers.append(f"nn.Linear({width}, {session.classes}),")
    model = "\n".join("        " + line for line in layers)
    target = "F.one_hot(labels, CLASSES).float()" if c.loss == "mse" else "labels"
    penalty = ""
    if c.l1:  # L1 is a penalty on the loss; L2 is the optimizer's weight decay
        penalty = "            loss = loss + L1 * sum(w.abs().sum() for w in weights)\n"
    return _TEMPLATE.format(
        query=c.to_query(), seed=c.seed, steps=session.steps, classes=session.classes,
        train=c.train, batch=c.batch, l1=c.l1, l2=c.l2, points=points, make=make, split=split,
        columns=columns, model=model, loss=_LOSSES[c.loss], target=target, penalty=penalty,
        optimizer=_OPTIMIZERS[c.optimizer].format(lr=c.lr),
    )


_TEMPLATE = '''\
"""A network from the shenjing Playground, as a program: the same data, network and training.

Playground link query: {query}

    python playground.py                  # train {steps} mini-batches, print the losses
    python playground.py --steps 2000     # train longer
    python playground.py --weights playground.safetensors   # evaluate downloaded weights
"""

import argparse
import math

import shenjing as sj
from shenjing import datasets, nn
from shenjing.nn import functional as F

SEED = {seed}
STEPS = {steps}  # mini-batches the Playground had trained when this script was saved
CLASSES = {classes}
TRAIN_RATIO, BATCH = {train!r}, {batch}
L1, L2 = {l1!r}, {l2!r}
{points}

def points():
    """The data set: points (N, 2) and labels (N,)."""
{make}


def features(X):
    """Points (N, 2) -> the network's inputs."""
    x1, x2 = X[:, 0], X[:, 1]
    return sj.stack([{columns}], dim=1)


def build_model():
    return nn.Sequential(
{model}
    )


def target(labels):
    """Class indices -> what the loss compares the network's output with."""
    return {target}


def data_loss(logits, target):
    return {loss}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS, help="mini-batches to train")
    parser.add_argument("--weights", help="a .safetensors file to evaluate instead of training")
    args = parser.parse_args()

    sj.manual_seed(SEED)  # the weights' initialisation and the dropout masks
    g = sj.Generator().manual_seed(SEED)  # the split and the batch order
    X, y = points()
{split}    n_train = min(max(1, round(TRAIN_RATIO * len(y))), len(y) - 1)
    parts = {{"train": order[:n_train], "test": order[n_train:]}}
    inputs = {{p: features(X[i]) for p, i in parts.items()}}
    targets = {{p: target(y[i]) for p, i in parts.items()}}

    model = build_model()
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    biases = [m.bias for m in model if isinstance(m, nn.Linear)]
    # L2 is weight decay on the weights (not the biases): d/dw of L2 / 2 * w**2
    groups = [{{"params": weights, "weight_decay": L2}}, {{"params": biases, "weight_decay": 0.0}}]
    optimizer = {optimizer}

    batch = min(BATCH, n_train)
    per_epoch = math.ceil(n_train / batch)
    steps = 0
    if args.weights:
        model.load_state_dict(sj.load(args.weights))
    else:
        model.train()
        for steps in range(1, args.steps + 1):
            position = (steps - 1) % per_epoch
            if position == 0:  # a new epoch, a new order
                shuffled = sj.randperm(n_train, generator=g)
            index = shuffled[position * batch:(position + 1) * batch]
            loss = data_loss(model(inputs["train"][index]), targets["train"][index])
{penalty}            if not math.isfinite(loss.item()):
                print(f"the loss diverged to {{loss.item()}} at step {{steps}}")
                break
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    model.eval()
    with sj.no_grad():
        losses = {{p: data_loss(model(inputs[p]), targets[p]).item() for p in parts}}
        correct = (model(inputs["test"]).argmax(dim=1) == y[parts["test"]]).float().mean()
    print(f"weights {{args.weights}}" if args.weights else f"epoch {{steps / per_epoch:.2f}}")
    print(f"train loss {{losses['train']!r}}")
    print(f"test loss {{losses['test']!r}}")
    print(f"test accuracy {{correct.item():.4f}}")


if __name__ == "__main__":
    main()
'''
