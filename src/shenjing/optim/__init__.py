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
from shenjing.optim.adagrad import Adagrad
from shenjing.optim.adam import Adam
from shenjing.optim.adamw import AdamW
from shenjing.optim.optimizer import Optimizer
from shenjing.optim.rmsprop import RMSprop
from shenjing.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
