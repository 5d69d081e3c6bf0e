"""detect_anomaly names the first forward operation that makes NaN or Inf, and its module."""

import warnings

import pytest

import shenjing as sj


class Encoder(sj.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = sj.nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x).log()  # log of a negative number makes NaN


class Model(sj.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.head = sj.nn.Linear(2, 1)

    def forward(self, x):
        return self.head(self.encoder(x))


def test_names_operation_module_and_input_ranges():
    model = Model()
    with sj.no_grad():
        model.encoder.fc.weight.fill_(-1.0)
        model.encoder.fc.bias.fill_(0.0)
    x = sj.tensor([[1.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert sj.isnan(model(x)).all()  # without detection the NaN just flows on
        with pytest.raises(sj.autograd.AnomalyError,
                           match=r"log produced NaN \(in module encoder \(Encoder\)\); "
                                 r"input 0: shape \(1, 2\), range \[-3, -3\]"):
            with sj.autograd.detect_anomaly():
                model(x)


def test_infinity_and_decorator_form():
    @sj.autograd.detect_anomaly()
    def blow_up(x):
        return x * 1e30 * 1e30

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(sj.autograd.AnomalyError, match="mul produced Inf"):
            blow_up(sj.ones(2))
    assert not sj.autograd.is_anomaly_enabled()


def test_finite_training_step_is_unaffected():
    model = Model()
    with sj.autograd.detect_anomaly():
        loss = model.head(model.encoder.fc(sj.randn(4, 2)).relu()).sum()
        loss.backward()
    assert model.head.weight.grad is not None
