"""Grad mode: no_grad, enable_grad, set_grad_enabled as contexts, decorators and calls."""

import threading

import shenjing as sj


def test_no_grad_context_and_decorator():
    x = sj.ones(2, requires_grad=True)
    with sj.no_grad():
        assert not (x * 2).requires_grad
        assert not sj.is_grad_enabled()
    assert (x * 2).requires_grad

    @sj.no_grad()
    def evaluate(t):
        return t * 2

    assert not evaluate(x).requires_grad
    assert sj.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = sj.ones(2, requires_grad=True)
    with sj.no_grad():
        with sj.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad


def test_set_grad_enabled_forms():
    x = sj.ones(2, requires_grad=True)
    with sj.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert sj.is_grad_enabled()
    sj.set_grad_enabled(False)
    try:
        assert not sj.is_grad_enabled()
    finally:
        sj.set_grad_enabled(True)
    assert sj.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with sj.no_grad():
        worker = threading.Thread(target=lambda: seen.append(sj.is_grad_enabled()))
        worker.start()
        worker.join()
    assert seen == [True]


def test_no_grad_restores_on_exception():
    try:
        with sj.no_grad():
            raise ValueError("boom")
    except ValueError:
        pass
    assert sj.is_grad_enabled()
