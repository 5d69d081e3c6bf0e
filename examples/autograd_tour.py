"""A tour of shenjing's autograd: build y = f(x), backpropagate, check, then learn something.

1. a small expression, its gradients, and gradcheck against finite differences;
2. a Hessian-vector product (gradients of gradients);
3. a two-layer tanh network fitted to sin(x) with nothing but tensors and autograd.

    python examples/autograd_tour.py
"""

import math

import shenjing as sj


def expression() -> None:
    print("1. y = sum(sigmoid(x @ w) * log1p(x ** 2)) and its gradients")
    sj.manual_seed(0)
    x = sj.randn(3, 4, dtype=sj.float64, requires_grad=True)
    w = sj.randn(4, 4, dtype=sj.float64, requires_grad=True)

    def f(x, w):
        return (sj.sigmoid(x @ w) * sj.log1p(x**2)).sum()

    y = f(x, w)
    y.backward()
    print("   y      =", y)
    print("   dy/dx  =", x.grad)
    print("   dy/dw has shape", w.grad.shape)
    print("   gradcheck (central differences, float64):", sj.autograd.gradcheck(f, [x, w]))


def hessian_vector_product() -> None:
    print("\n2. Hessian-vector product of f(x) = sum(x ** 3) at x = (1, 2, 3), v = (1, 0, 1)")
    x = sj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = sj.autograd.grad((x**3).sum(), x, create_graph=True)  # 3 x^2, still differentiable
    (hv,) = sj.autograd.grad((g * sj.tensor([1.0, 0.0, 1.0])).sum(), x)  # 6 x * v
    print("   gradient =", g.detach(), " H v =", hv)


def fit_sine() -> None:
    print("\n3. Fitting sin(x) on [-pi, pi] with a 1-32-1 tanh network (momentum descent)")
    sj.manual_seed(0)
    x = sj.linspace(-math.pi, math.pi, 256).reshape(-1, 1)
    target = x.sin()
    w1 = (sj.randn(1, 32) * 1.0).requires_grad_()
    b1 = sj.zeros(32, requires_grad=True)
    w2 = (sj.randn(32, 1) * 0.2).requires_grad_()
    b2 = sj.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    velocities = [sj.zeros_like(p) for p in params]
    for step in range(3001):
        prediction = (x @ w1 + b1).tanh() @ w2 + b2
        loss = ((prediction - target) ** 2).mean()
        loss.backward()
        with sj.no_grad():  # v <- 0.9 v + g;  p <- p - 0.05 v
            for p, v in zip(params, velocities):
                v.mul_(0.9).add_(p.grad)
                p -= 0.05 * v
                p.grad = None
        if step % 1000 == 0:
            print(f"   step {step:4d}  mean squared error {loss.item():.6f}")
    if loss.item() > 1e-3:  # the README promises this example learns
        raise SystemExit(f"the network did not learn sin(x): final loss {loss.item():.4f}")


if __name__ == "__main__":
    expression()
    hessian_vector_product()
    fit_sine()
