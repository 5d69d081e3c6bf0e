"""Optimizers and learning-rate schedules, as ``torch.optim``.

>>> import shenjing as sj
>>> from shenjing import optim
>>> w = sj.tensor([3.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.25)
>>> for _ in range(3):
...     opt.zero_grad()
...     (w * w).sum().backward()
...     opt.step()
>>> w
tensor([0.3750], requires_grad=True)
"""

from shenjing.optim import lr_scheduler
from shenjing.optim.adadelta import Adadelta
from shenjing.optim.adagrad import Adagrad
from shenjing.optim.adam import Adam
from shenjing.optim.adamax import Adamax
from shenjing.optim.adamw import AdamW
from shenjing.optim.asgd import ASGD
from shenjing.optim.lbfgs import LBFGS
from shenjing.optim.nadam import NAdam
from shenjing.optim.optimizer import Optimizer
from shenjing.optim.radam import RAdam
from shenjing.optim.rmsprop import RMSprop
from shenjing.optim.sgd import SGD

__all__ = [
    "ASGD",
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "lr_scheduler",
]
