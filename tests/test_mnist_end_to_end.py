"""A small network trained on real MNIST: the loss falls, the accuracy rises above a floor."""

import shenjing as sj
from shenjing.data import DataLoader, TensorDataset
from tests.datasets import SHARED_DATA, requires_mnist


@requires_mnist
def test_mlp_learns_real_mnist():
    sj.manual_seed(0)
    train = sj.datasets.MNIST(SHARED_DATA, train=True)
    test = sj.datasets.MNIST(SHARED_DATA, train=False)
    x = train.data[:10000].float() / 255.0
    xt = test.data[:2000].float() / 255.0
    model = sj.models.MLP(784, [64], 10)
    optimizer = sj.optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(TensorDataset(x, train.targets[:10000]), batch_size=100, shuffle=True)
    before = sj.train.evaluate(model, [(xt, test.targets[:2000])],
                               loss=sj.nn.functional.cross_entropy)
    history = sj.train.fit(model, loader, loss=sj.nn.CrossEntropyLoss(), optimizer=optimizer,
                           epochs=2, verbose=False)
    after = sj.train.evaluate(model, [(xt, test.targets[:2000])],
                              loss=sj.nn.functional.cross_entropy)
    assert history["loss"][1] < history["loss"][0] < before["loss"]
    assert before["accuracy"] < 0.3 and after["accuracy"] > 0.85  # PyTorch: 0.885 here
