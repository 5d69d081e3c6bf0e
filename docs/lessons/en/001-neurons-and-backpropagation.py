# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 2: neurons, activation functions and backpropagation
#
# This lesson follows study note 001 (the feedforward neural network) section by section:
#
# 1. **the neuron** (4.1): a weighted sum and an activation function; the three families of
#    activation functions (S-shaped, ramp, composite) and their derivatives;
# 2. **neural networks** (4.2) and **the feedforward network** (4.3): layers, the forward pass,
#    the cross-entropy loss;
# 3. **backpropagation** (4.4): the error term of each layer, computed from the layer above, and
#    stochastic gradient descent that uses it;
# 4. **computational graphs and automatic differentiation** (4.5): the graph of a small
#    expression, reverse mode, dynamic graphs and static graphs;
# 5. **optimisation problems** (4.6): non-convexity and vanishing gradients.
#
# Every formula of the note is computed twice: by hand with tensors, and with shenjing's layers
# and autograd; the two must agree. Run the cells in order from the top.

# %% tags=["setup"]
import math
import re
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display

import shenjing as sj
import shenjing.nn.functional as F

sj.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The neuron (4.1)
#
# An artificial neuron receives inputs $x_1, \dots, x_D$. Its first half **collects
# information**: the net input is a weighted sum plus a bias,
#
# $$z = \sum_{d=1}^{D} w_d x_d + b = \mathbf{w}^\top \mathbf{x} + b .$$
#
# Its second half is a **non-linear activation function** $f$ that maps what was collected to
# an activation state, $a = f(z)$. Up to $f$ the neuron is a simple linear model. The bias $b$
# sets the threshold: how strong the input must be before the neuron "fires".

# %% tags=["concept-neuron"]
x = sj.tensor([1.0, -2.0, 0.5])  # three inputs
w = sj.tensor([0.8, 0.1, -0.4])  # one weight per input
b = sj.tensor(0.2)

z = (w * x).sum() + b  # collect: the net input w^T x + b
a = sj.sigmoid(z)  # activate: a = f(z), here the logistic function
print(f"z = {z.item():.4f},  a = sigmoid(z) = {a.item():.4f}")

# the same inputs, a different bias: the bias decides how easily the neuron fires
for bias in (-2.0, 0.0, 2.0):
    print(f"b = {bias:+.1f}:  a = {sj.sigmoid((w * x).sum() + bias).item():.4f}")

# %% [markdown]
# Different kinds of neurons differ mainly in their activation function. The note sorts them
# into three families:
#
# 1. **S-shaped (sigmoid) functions**: the logistic function
#    $\sigma(x) = \frac{1}{1 + e^{-x}}$, with values in $(0, 1)$ (the two states of a neuron),
#    and $\tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}} = 2\sigma(2x) - 1$, with values in
#    $(-1, 1)$. Each can be turned into the other, so their power is about the same.
# 2. **Ramp functions**: $\mathrm{ReLU}(x) = \max(0, x)$, the leaky ReLU
#    $\max(0, x) + \gamma \min(0, x)$ with a small $\gamma$, PReLU (the same with a learnable
#    $\gamma$), $\mathrm{ELU}(x) = x$ for $x > 0$ and $\gamma(e^x - 1)$ otherwise.
# 3. **Composite functions**, S-shaped and ramp at once: swish, the *self-gated*
#    $\mathrm{swish}(x) = x\,\sigma(\beta x)$, and GELU,
#    $\mathrm{GELU}(x) = x\,P(X \le x) = x\,\Phi(x)$ with $\Phi$ the cumulative distribution of a
#    standard normal variable $X$.
#
# Backpropagation needs their derivatives:
#
# | function | derivative |
# |---|---|
# | $\sigma(x)$ | $\sigma(x)\,(1 - \sigma(x))$ |
# | $\tanh(x)$ | $1 - \tanh^2(x)$ |
# | $\mathrm{ReLU}(x)$ | $1$ for $x > 0$, else $0$ |
# | leaky ReLU | $1$ for $x > 0$, else $\gamma$ |
# | $\mathrm{ELU}(x)$ | $1$ for $x > 0$, else $\gamma e^x$ |
# | $x\,\sigma(\beta x)$ | $\sigma(\beta x) + \beta x\,\sigma(\beta x)(1 - \sigma(\beta x))$ |
# | $x\,\Phi(x)$ | $\Phi(x) + x\,\varphi(x)$, $\varphi$ the normal density |
#
# The cell below writes each function and each derivative from this table by hand, and compares
# them with shenjing's layer (`sj.nn.Sigmoid`, ...) and with the derivative that autograd
# computes: the largest difference over 801 points between $-4$ and $4$.

# %% tags=["concept-activations"]
x = sj.linspace(-4.0, 4.0, 801, dtype=sj.float64, requires_grad=True)
t = x.detach()  # the formulas by hand need no graph
s = 1 / (1 + sj.exp(-t))
th = (sj.exp(t) - sj.exp(-t)) / (sj.exp(t) + sj.exp(-t))
Phi = 0.5 * (1 + sj.erf(t / math.sqrt(2)))  # P(X <= x) for a standard normal X
phi = sj.exp(-t**2 / 2) / math.sqrt(2 * math.pi)
gamma = 0.01  # the leaky ReLU's slope on the left

by_hand = {  # name: (layer, f(x), f'(x)), the last two written from the table
    "Sigmoid": (sj.nn.Sigmoid(), s, s * (1 - s)),
    "Tanh": (sj.nn.Tanh(), th, 1 - th**2),
    "ReLU": (sj.nn.ReLU(), sj.clamp(t, min=0), (t > 0).double()),
    "LeakyReLU": (sj.nn.LeakyReLU(gamma), sj.where(t > 0, t, gamma * t),
                  sj.where(t > 0, 1.0, sj.full_like(t, gamma))),
    "ELU": (sj.nn.ELU(), sj.where(t > 0, t, sj.exp(t) - 1), sj.where(t > 0, 1.0, sj.exp(t))),
    "SiLU (swish, beta=1)": (sj.nn.SiLU(), t * s, s + t * s * (1 - s)),
    "GELU": (sj.nn.GELU(), t * Phi, Phi + t * phi),
}
print(f"{'activation':22s}{'max |f - layer|':>18s}{'max |df - autograd|':>22s}")
derivatives = {}
for name, (layer, f, df) in by_hand.items():
    y = layer(x)
    (dy,) = sj.autograd.grad(y.sum(), x)  # f acts elementwise: d sum / d x_i = f'(x_i)
    derivatives[name] = dy
    print(f"{name:22s}{(f - y).abs().max().item():18.1e}{(df - dy).abs().max().item():22.1e}")

print("tanh(x) = 2 sigmoid(2x) - 1, largest difference:",
      f"{(th - (2 * sj.sigmoid(2 * t) - 1)).abs().max().item():.1e}")
print(f"largest derivative: sigmoid {derivatives['Sigmoid'].max().item():.4f}, "
      f"tanh {derivatives['Tanh'].max().item():.4f}, ReLU {derivatives['ReLU'].max().item():.4f}")

# the picture: each function (solid) and its derivative by autograd (dashed)
fig, axes = plt.subplots(2, 4, figsize=(11, 5), sharex=True)
for ax, (name, (layer, _, _)) in zip(axes.flat, by_hand.items()):
    xs, ys, dys = sj.viz.activations.curve_and_derivative(layer)
    ax.axhline(0, color="0.85", linewidth=0.8)
    ax.plot(xs, ys, linewidth=2, label="f(x)")
    ax.plot(xs, dys, "--", linewidth=1.5, label="f'(x)")
    ax.set_title(name, fontsize=10)
    ax.set_ylim(-1.5, 2.5)
axes.flat[0].legend(fontsize=8)
axes.flat[-1].set_axis_off()
fig.suptitle("Activation functions and their derivatives (by autograd)")
plt.tight_layout()
plt.show()

# %% [markdown]
# The largest derivative of the logistic function is a quarter, at $x = 0$; that of $\tanh$ is
# one. Remember the quarter: it comes back in section 5 as vanishing gradients.
#
# **Why a logistic output is a poor input.** The logistic function's output is always positive:
# it is not zero-centred. If a neuron's inputs $x_d$ are all positive, the gradient of its
# weights, $\frac{\partial L}{\partial w_d} = \frac{\partial L}{\partial z}\, x_d$, has the same
# sign for every $d$: in one step all the weights go up or all go down, so gradient descent can
# only zig-zag towards a point that needs some to go up and others down. The note's remedies:
# normalise the inputs to zero mean, or add a learnable bias. The cell shows the signs.

# %%
inputs = sj.sigmoid(sj.randn(5))  # the outputs of logistic neurons: all positive
weights = sj.randn(5, requires_grad=True)
loss = (sj.sigmoid((weights * inputs).sum()) - 1.0) ** 2
loss.backward()
print("inputs (all > 0):        ", inputs)
print("signs of dL/dw:          ", sj.sign(weights.grad))
centred = inputs - inputs.mean()  # normalised to zero mean
weights.grad = None
((sj.sigmoid((weights * centred).sum()) - 1.0) ** 2).backward()
print("signs with centred input:", sj.sign(weights.grad))

# %% [markdown]
# **ReLU** is the usual first choice: it is cheap, it is biologically plausible (a real neuron
# can get very excited), and its derivative is exactly 1 on the right, neither too small nor too
# large. Its problem is the **dying ReLU**: a neuron whose net input is negative for every
# example gets a gradient of zero and never updates its weights again. The leaky ReLU keeps a
# small slope $\gamma$ on the left so that some gradient still flows.

# %%
inputs = sj.randn(100, 3)
w = sj.tensor([0.5, -0.3, 0.2], requires_grad=True)
b = sj.tensor(-10.0, requires_grad=True)  # a bias so negative that z < 0 for every example
for name, f in (("ReLU", F.relu), ("LeakyReLU", lambda z: F.leaky_relu(z, 0.01))):
    w.grad, b.grad = None, None
    f(inputs @ w + b).sum().backward()
    print(f"{name:10s} dL/dw = {w.grad},  dL/db = {b.grad.item():.2f}")

# %% [markdown]
# **Swish** gates itself: $\sigma(\beta x)$ decides how much of $x$ passes. With $\beta = 0$ it is
# the linear function $x/2$; as $\beta$ grows it approaches ReLU. GELU has the same shape, because
# $P(X \le x)$ is itself S-shaped; a common approximation is $x\,\sigma(1.702\,x)$.

# %%
t = sj.linspace(-4.0, 4.0, 201)
fig, ax = plt.subplots(figsize=(5.5, 3.5))
for beta in (0.0, 0.5, 1.0, 10.0):
    ax.plot(t.numpy(), F.swish(t, beta=beta).numpy(), label=f"swish, beta = {beta}")
ax.plot(t.numpy(), F.gelu(t).numpy(), "k--", label="GELU")
ax.legend(fontsize=8)
ax.set_title("swish moves from x/2 (beta = 0) towards ReLU (large beta)")
plt.show()
print("max |GELU(x) - x sigmoid(1.702 x)| on [-4, 4]:",
      f"{(F.gelu(t) - t * sj.sigmoid(1.702 * t)).abs().max().item():.4f}")

# %% [markdown]
# ## 2. Neural networks (4.2)
#
# A neural network is a **connectionist** model: knowledge is not held by symbols but spread
# over the connections between many simple units, and learning changes the strengths of those
# connections. The course meets three structures: feedforward networks (this lesson), memory
# (recurrent) networks, whose loops give them a state, and graph networks. A logistic output
# lies in $(0, 1)$; when all a layer needs is non-linearity, ReLU is preferred.
#
# ## 3. The feedforward network (4.3)
#
# Neurons are arranged in layers; neurons of neighbouring layers are all connected to each
# other (fully connected), information flows one way, and there are no connections inside a
# layer. The input layer is not counted: the network below has **3 layers** (two hidden, one
# output). Layer $l$ has $M_l$ neurons, a weight matrix $W^{(l)} \in \mathbb{R}^{M_l \times
# M_{l-1}}$ and a bias $\mathbf{b}^{(l)} \in \mathbb{R}^{M_l}$. For a classification into $C$
# classes the last layer has $C$ neurons.

# %% tags=["concept-feedforward-network"]
sj.manual_seed(0)
net = sj.nn.Sequential(  # 4 inputs -> 5 -> 5 -> 3 classes
    sj.nn.Linear(4, 5), sj.nn.Sigmoid(),
    sj.nn.Linear(5, 5), sj.nn.Sigmoid(),
    sj.nn.Linear(5, 3),
).double()  # float64, so that gradcheck below can check it
layers = [m for m in net if isinstance(m, sj.nn.Linear)]
print("number of layers (the input layer not counted):", len(layers))
for l, layer in enumerate(layers, start=1):
    print(f"W({l}): {tuple(layer.weight.shape)}  b({l}): {tuple(layer.bias.shape)}")
print(sj.summary(net, (4,), dtype=sj.float64))

# %% [markdown]
# Information passes from layer to layer:
#
# $$\mathbf{z}^{(l)} = W^{(l)} \mathbf{a}^{(l-1)} + \mathbf{b}^{(l)}, \qquad
# \mathbf{a}^{(l)} = f_l(\mathbf{z}^{(l)}), \qquad \mathbf{a}^{(0)} = \mathbf{x},$$
#
# and the last layer turns its $C$ net inputs into class probabilities with softmax,
# $\hat{y}_c = \frac{\exp(z^{(L)}_c)}{\sum_{k} \exp(z^{(L)}_k)}$. Softmax differs from the other
# activations: each output depends on the whole layer, not on one neuron.
#
# The note writes vectors as columns. In code a batch of $N$ examples is a matrix with one
# **row** per example, so the same formula reads $Z^{(l)} = A^{(l-1)} W^{(l)\top} +
# \mathbf{b}^{(l)}$. `forward_by_hand` keeps every $Z^{(l)}$ and $A^{(l)}$: backpropagation will
# need them.

# %% tags=["concept-forward-by-hand"]
def forward_by_hand(params, X):
    """Z(l) and A(l) of every layer (A(0) = X) for params = [(W1, b1), ..., (WL, bL)]."""
    A, Zs, As = X, [], [X]
    for l, (W, b) in enumerate(params, start=1):
        Z = A @ W.T + b  # z(l) = W(l) a(l-1) + b(l), one row per example
        if l < len(params):
            A = 1 / (1 + sj.exp(-Z))  # a(l) = sigmoid(z(l))
        else:  # softmax; subtracting the row's max changes nothing but avoids overflow
            E = sj.exp(Z - Z.max(dim=1, keepdim=True).values)
            A = E / E.sum(dim=1, keepdim=True)
        Zs.append(Z)
        As.append(A)
    return Zs, As


X = sj.randn(6, 4, dtype=sj.float64)  # 6 examples, 4 features
y = sj.tensor([0, 2, 1, 1, 0, 2])  # their classes
params = [(layer.weight.detach(), layer.bias.detach()) for layer in layers]
Zs, As = forward_by_hand(params, X)
probabilities = As[-1]
print("class probabilities, by hand:\n", probabilities)

# %% tags=["concept-forward-layer"]
logits = net(X)  # the same weights, through the layers
print("class probabilities, layers + softmax:\n", F.softmax(logits, dim=1))
print("largest difference:", (F.softmax(logits, dim=1) - probabilities).abs().max().item())

# %% [markdown]
# **Parameter learning.** With the label $\mathbf{y}$ as a one-hot vector, the loss of one
# example is the cross-entropy $\mathcal{L}(\mathbf{y}, \hat{\mathbf{y}}) = -\mathbf{y}^\top
# \log \hat{\mathbf{y}}$, and the risk to minimise is its mean over the training set (plus a
# regulariser, e.g. $\frac{\lambda}{2}\lVert W \rVert_F^2$). Gradient descent needs
# $\frac{\partial \mathcal{L}}{\partial W^{(l)}}$ and $\frac{\partial \mathcal{L}}{\partial
# \mathbf{b}^{(l)}}$ for every layer: the next section computes them.

# %%
Y = F.one_hot(y, 3).double()  # the labels as one-hot rows
loss_by_hand = -(Y * sj.log(probabilities)).sum(dim=1).mean()
print(f"cross-entropy by hand: {loss_by_hand.item():.6f}")
print(f"F.cross_entropy:       {F.cross_entropy(logits, y).item():.6f}")

# %% [markdown]
# ## 4. Backpropagation (4.4)
#
# By the chain rule, with $\mathbf{z}^{(l)}$ in the middle,
#
# $$\frac{\partial \mathcal{L}}{\partial w^{(l)}_{ij}} =
# \frac{\partial \mathbf{z}^{(l)}}{\partial w^{(l)}_{ij}}
# \frac{\partial \mathcal{L}}{\partial \mathbf{z}^{(l)}} .$$
#
# The first factor is easy (a vector whose only non-zero entry, the $i$-th, is $a^{(l-1)}_j$);
# the core is the second, the **error term** of layer $l$,
# $\delta^{(l)} = \frac{\partial \mathcal{L}}{\partial \mathbf{z}^{(l)}}$. The chain rule gives it
# from the layer above:
#
# $$\delta^{(l)} = f_l'(\mathbf{z}^{(l)}) \odot \left(W^{(l+1)}\right)^{\top} \delta^{(l+1)},$$
#
# and then
#
# $$\frac{\partial \mathcal{L}}{\partial W^{(l)}} = \delta^{(l)} \left(\mathbf{a}^{(l-1)}
# \right)^{\top}, \qquad \frac{\partial \mathcal{L}}{\partial \mathbf{b}^{(l)}} = \delta^{(l)} .$$
#
# The gradient of layer $l$ needs only the error of layer $l+1$ and the activation of layer $l-1$:
# starting from the last layer, the errors flow **backwards** one layer at a time. For softmax
# with cross-entropy the error of the last layer is simply $\delta^{(L)} = \hat{\mathbf{y}} -
# \mathbf{y}$, and for the logistic function $f'(\mathbf{z}) = \mathbf{a} \odot (1 - \mathbf{a})$.
# With one row per example (and the loss averaged over $N$ rows) the same formulas read
# $\Delta^{(l)} = (\Delta^{(l+1)} W^{(l+1)}) \odot f'(Z^{(l)})$ and
# $\partial \mathcal{L} / \partial W^{(l)} = \Delta^{(l)\top} A^{(l-1)}$.

# %% tags=["concept-gradient-by-hand"]
def backward_by_hand(params, As, Y):
    """[(dL/dW1, dL/db1), ...] for the mean cross-entropy, from the activations of the forward
    pass, by the backpropagation formulas."""
    delta = (As[-1] - Y) / Y.shape[0]  # delta(L) = y_hat - y (averaged over the N rows)
    grads = []
    for l in range(len(params), 0, -1):  # from the last layer to the first
        W, _ = params[l - 1]
        grads.append((delta.T @ As[l - 1], delta.sum(dim=0)))  # delta(l) a(l-1)^T,  delta(l)
        if l > 1:
            A = As[l - 1]  # f'(z) = a (1 - a) for the logistic function
            delta = (delta @ W) * A * (1 - A)  # delta(l-1) = f'(z(l-1)) * W(l)^T delta(l)
    return grads[::-1]


grads_by_hand = backward_by_hand(params, As, Y)
print("dL/dW(1) by hand:\n", grads_by_hand[0][0])

# %% tags=["concept-gradient-autograd"]
net.zero_grad()
F.cross_entropy(net(X), y).backward()  # autograd: reverse mode on the recorded graph
print(f"{'parameter':10s}{'max |by hand - autograd|':>28s}")
for l, (layer, (gW, gb)) in enumerate(zip(layers, grads_by_hand), start=1):
    print(f"{f'W({l})':10s}{(layer.weight.grad - gW).abs().max().item():28.1e}")
    print(f"{f'b({l})':10s}{(layer.bias.grad - gb).abs().max().item():28.1e}")

# %% [markdown]
# The third witness is **finite differences**, which need no calculus at all:
# $\frac{\partial \mathcal{L}}{\partial w} \approx \frac{\mathcal{L}(w + \epsilon) -
# \mathcal{L}(w - \epsilon)}{2\epsilon}$. `sj.autograd.gradcheck` does this for every element
# of every input in float64 and compares with autograd; the table shows four weights of
# $W^{(1)}$ computed all three ways.

# %% tags=["concept-gradcheck"]
def loss_of(W1, b1, W2, b2, W3, b3):
    h = sj.sigmoid(F.linear(X, W1, b1))
    h = sj.sigmoid(F.linear(h, W2, b2))
    return F.cross_entropy(F.linear(h, W3, b3), y)


weights = [p.detach().clone().requires_grad_() for p in net.parameters()]
print("gradcheck:", sj.autograd.gradcheck(loss_of, weights))

eps = 1e-6
print(f"{'weight':10s}{'by hand':>14s}{'autograd':>14s}{'finite diff':>14s}")
for j in range(4):
    plus = [p.detach().clone() for p in weights]
    minus = [p.detach().clone() for p in weights]
    plus[0][0, j] += eps
    minus[0][0, j] -= eps
    numeric = (loss_of(*plus) - loss_of(*minus)).item() / (2 * eps)
    print(f"{f'W1[0,{j}]':10s}{grads_by_hand[0][0][0, j].item():14.8f}"
          f"{layers[0].weight.grad[0, j].item():14.8f}{numeric:14.8f}")

# %% [markdown]
# **Training with backpropagation.** The note's algorithm, stochastic gradient descent with
# backpropagation: for each mini-batch, (1) the forward pass computes and keeps every $Z^{(l)}$
# and $A^{(l)}$; (2) the backward pass computes the error terms and the gradient of every
# parameter; (3) gradient descent updates the parameters. Stop when the error on a validation
# set $V$ no longer falls.
#
# Here, with nothing but `forward_by_hand` and `backward_by_hand` (no autograd), a 784-32-10
# sigmoid network learns handwritten digits. To keep the lesson fast it uses only the first
# 6,000 MNIST training images: 5,000 to train, 1,000 for validation; it stops after two epochs
# without a better validation error and keeps the best parameters.

# %% tags=["concept-backpropagation"]
mnist = sj.datasets.MNIST(train=True, download=True)
images = mnist.data[:6000].reshape(6000, 784).float() / 255
labels = mnist.targets[:6000]
X_train, y_train = images[:5000], labels[:5000]
X_val, y_val = images[5000:], labels[5000:]
Y_train = F.one_hot(y_train, 10).float()

sj.manual_seed(0)
sizes = [784, 32, 10]
mnist_params = []
for m_in, m_out in zip(sizes, sizes[1:]):  # uniform in +-1/sqrt(fan_in), as nn.Linear does
    bound = 1 / math.sqrt(m_in)
    mnist_params.append(((sj.rand(m_out, m_in) * 2 - 1) * bound, sj.zeros(m_out)))

lr, batch_size, patience = 0.5, 32, 2
best_error, best_params, waited = 1.0, mnist_params, 0
for epoch in range(1, 21):
    order = sj.randperm(5000)
    for start in range(0, 5000, batch_size):
        batch = order[start:start + batch_size]
        _, As_batch = forward_by_hand(mnist_params, X_train[batch])  # (1) forward
        grads = backward_by_hand(mnist_params, As_batch, Y_train[batch])  # (2) backward
        mnist_params = [(W - lr * gW, b - lr * gb)  # (3) gradient descent
                        for (W, b), (gW, gb) in zip(mnist_params, grads)]
    _, As_val = forward_by_hand(mnist_params, X_val)
    error = (As_val[-1].argmax(dim=1) != y_val).float().mean().item()
    print(f"epoch {epoch:2d}: validation error {error:.2%}")
    if error < best_error:
        best_error, best_params, waited = error, mnist_params, 0
    else:
        waited += 1
        if waited == patience:
            print(f"no better validation error for {patience} epochs: stop")
            break
mnist_params = best_params
print(f"best validation error: {best_error:.2%}")

# %% [markdown]
# ## 5. Computational graphs and automatic differentiation (4.5)
#
# Frameworks do not derive the formulas above by hand. They record the computation as a
# **computational graph** of elementary operations, each with a simple local derivative, and
# multiply the local derivatives along the graph by the chain rule. The note's example is
#
# $$f(x; w, b) = \frac{1}{\exp\left(-(wx + b)\right) + 1}$$
#
# at $x = 1$, $w = 0$, $b = 0$, split into $h_1 = xw$, $h_2 = h_1 + b$, $h_3 = -h_2$,
# $h_4 = \exp(h_3)$, $h_5 = h_4 + 1$, $h_6 = 1 / h_5$. Then
#
# $$\frac{\partial f}{\partial w} = \frac{\partial h_6}{\partial h_5}
# \frac{\partial h_5}{\partial h_4} \frac{\partial h_4}{\partial h_3}
# \frac{\partial h_3}{\partial h_2} \frac{\partial h_2}{\partial h_1}
# \frac{\partial h_1}{\partial w} .$$

# %% tags=["concept-computational-graph"]
x = sj.tensor(1.0, requires_grad=True)
w = sj.tensor(0.0, requires_grad=True)
b = sj.tensor(0.0, requires_grad=True)
h1 = x * w
h2 = h1 + b
h3 = -h2
h4 = sj.exp(h3)
h5 = h4 + 1
h6 = 1 / h5

local = {  # each operation's local derivative, at these values
    "dh6/dh5 = -1/h5^2": (-1 / h5**2).item(),
    "dh5/dh4 = 1": 1.0,
    "dh4/dh3 = exp(h3)": sj.exp(h3).item(),
    "dh3/dh2 = -1": -1.0,
    "dh2/dh1 = 1": 1.0,
    "dh1/dw = x": x.item(),
}
for name, value in local.items():
    print(f"{name:20s} {value:+.4f}")
print("df/dw by the chain rule:", math.prod(local.values()))

graph = sj.viz.trace(h6, {"x": x, "w": w, "b": b}, gradients=True)  # before backward
h6.backward()
print(f"autograd: df/dw = {w.grad.item():.4f}, df/db = {b.grad.item():.4f}, "
      f"df/dx = {x.grad.item():.4f}")

# the graph autograd recorded: each box shows |d f / d (its value)|
with tempfile.TemporaryDirectory() as folder:
    picture = Path(folder) / "graph.png"
    graph.render(picture)
    display(Image(picture.read_bytes()))

# %% [markdown]
# **Forward mode and reverse mode.** The product of local derivatives can be accumulated from
# the inputs forwards or from the output backwards. Forward mode carries the derivative with
# respect to *one* input along the whole chain, so a gradient with respect to $n$ parameters
# costs $n$ passes. Reverse mode starts at the scalar loss and, in one backward pass, reaches the
# derivative with respect to every parameter: for a loss of many parameters it wins, which is why
# backpropagation is reverse-mode automatic differentiation, and why `loss.backward()` walks the
# graph backwards. The MNIST network above has this many parameters, all of whose gradients one
# backward pass gives:

# %%
print(sum(W.numel() + b.numel() for W, b in mnist_params), "parameters, one backward pass")

# %% [markdown]
# **Dynamic graphs** (define-by-run, PyTorch's and shenjing's way) are recorded anew while the
# Python code runs, so ordinary `while` and `if` decide the graph, on this run's values.

# %% tags=["concept-dynamic-graph"]
def doubled_until_large(x):
    y = x
    while y.norm() < 10:  # how many operations the graph gets depends on the data
        y = y * 2
    return y.sum() if y.sum() > 0 else -y.sum()  # and which branch is recorded


for start in ([1.0, 2.0], [-0.3, 0.1]):
    x = sj.tensor(start, requires_grad=True)
    out = doubled_until_large(x)
    operations = [n.op for n in sj.viz.trace(out).nodes if n.kind not in ("leaf", "parameter")]
    out.backward()
    print(f"x = {start}: graph {' -> '.join(operations)},  dout/dx = {x.grad}")

# %% [markdown]
# **Static graphs** (define-and-run) are defined once and then run many times. The note: "the
# static graph computes more efficiently, the dynamic graph is more flexible". `sj.compile` turns
# a training step into a static graph: the first call runs eagerly and records every array
# operation (forward, backward, the optimizer's updates); later calls replay that flat program.
# The deep-learning recipe's three steps (define the network, the loss and the optimiser) are all
# in this cell.

# %% tags=["concept-static-graph"]
sj.manual_seed(0)
model = sj.nn.Sequential(sj.nn.Linear(4, 8), sj.nn.Sigmoid(), sj.nn.Linear(8, 3))  # network
optimizer = sj.optim.SGD(model.parameters(), lr=0.5)  # optimiser


@sj.compile
def step(xb, yb):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(xb), yb)  # loss
    loss.backward()
    optimizer.step()
    return loss


xb, yb = sj.randn(16, 4), sj.randint(0, 3, (16,))
for i in range(3):  # the first call traces; the next ones replay the program
    print(f"step {i}: loss {step(xb, yb).item():.4f}")
print(step.graph)  # the static graph: one line per array operation, with shapes
figure = sj.viz.compare_graphs(sj.viz.model_graph(model, xb, yb), sj.viz.static_graph(step))
display(figure)

# %% [markdown]
# Left, the dynamic graph of one forward pass and loss, rebuilt at every step; right, the whole
# training step as a static program: forward, backward (from the seed $\partial L / \partial L$),
# the accumulation of gradients, and the updates, whose dashed edges write back into the
# parameters the next step reads. The replay does the same arithmetic, so its losses are equal
# to the eager ones bit for bit; it is faster because it skips the Python bookkeeping of building
# a graph. The timing uses a 784-16-10 sigmoid network on the MNIST images of section 4, in
# batches of 10 (your times will differ from one run to the next; compare the two lines).

# %%
def make_step(compiled):
    sj.manual_seed(0)
    m = sj.nn.Sequential(sj.nn.Linear(784, 16), sj.nn.Sigmoid(), sj.nn.Linear(16, 10))
    opt = sj.optim.SGD(m.parameters(), lr=0.1)

    def train_step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(m(xb), yb)
        loss.backward()
        opt.step()
        return loss

    return sj.compile(train_step) if compiled else train_step


eager, compiled = make_step(False), make_step(True)
batches = [(X_train[i:i + 10], y_train[i:i + 10]) for i in range(0, 2000, 10)]
same = all(eager(bx, by).item() == compiled(bx, by).item() for bx, by in batches)
print("200 steps, eager and compiled losses equal bit for bit:", same)
for name, train_step in (("eager (dynamic)", eager), ("compiled (static)", compiled)):
    start = time.perf_counter()
    for bx, by in batches:
        train_step(bx, by)
    print(f"{name:18s} {(time.perf_counter() - start) / len(batches) * 1e3:.3f} ms per step")

# %% [markdown]
# The price of a static graph is flexibility: a step whose graph depends on a value read into
# Python (an `if` on the loss) cannot be replayed, and `sj.compile` refuses it, naming the line.

# %%
@sj.compile
def step_with_if(xb, yb):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(xb), yb)
    if loss.item() > 1.0:  # a Python decision on this step's value
        loss = loss * 2
    loss.backward()
    optimizer.step()
    return loss


try:
    step_with_if(xb, yb)
except sj.static.TraceError as error:
    message = str(error).splitlines()[0]
    # the message names this cell's temporary file, which changes at every run: keep the line
    print("TraceError:", re.sub(r" at \S+:(\d+) ", r" at line \1 of the cell ", message))

# %% [markdown]
# ## 6. Optimisation problems (4.6)
#
# **Non-convex optimisation.** A network's loss is not a convex function of its parameters: it
# has many local minima and, in high dimensions, saddle points where gradient descent stalls. A
# short proof for our MNIST network: swap two hidden neurons (two rows of $W^{(1)}$ and
# $\mathbf{b}^{(1)}$, two columns of $W^{(2)}$) and the network computes exactly the same
# function, so the loss is the same at two different points. On a convex function the midpoint
# of two points could not be worse than both; here it is.

# %%
def mnist_loss(params):
    _, As_all = forward_by_hand(params, X_train)
    return -(Y_train * sj.log(As_all[-1])).sum(dim=1).mean().item()


(W1, b1), (W2, b2) = mnist_params
swap = sj.arange(32)
swap[0], swap[1] = 1, 0  # the order of the hidden neurons, 0 and 1 swapped
swapped = [(W1[swap], b1[swap]), (W2[:, swap], b2)]
midpoint = [((Wa + Wb) / 2, (ba + bb) / 2) for (Wa, ba), (Wb, bb) in zip(mnist_params, swapped)]
print(f"loss at the trained parameters:   {mnist_loss(mnist_params):.6f}")
print(f"loss with neurons 0 and 1 swapped: {mnist_loss(swapped):.6f}")
print(f"loss at the midpoint of the two:  {mnist_loss(midpoint):.6f}")

# %% [markdown]
# **Vanishing gradients.** Backpropagation multiplies one factor $f'(\mathbf{z}^{(l)})$ per
# layer. When every factor lies between 0 and 1, as the logistic function's (at most a quarter)
# do, the product shrinks exponentially with depth: the layers near the input get almost no
# gradient, update very slowly and are hard to train. ReLU's derivative is exactly 1 on the
# right, which is why it is recommended. The cell builds the same deep network twice, 8 hidden
# layers of 32, sigmoid (Xavier initialisation) against ReLU (He initialisation), on the
# two-spirals data, and prints the gradient norm of each layer's weights after one backward pass.

# %% tags=["concept-vanishing-gradients"]
def deep_net(activation, depth=8, width=32):
    layers = []
    for i in range(depth):
        linear = sj.nn.Linear(2 if i == 0 else width, width)
        if activation == "sigmoid":
            sj.nn.init.xavier_normal_(linear.weight)
        else:
            sj.nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        sj.nn.init.zeros_(linear.bias)
        layers += [linear, sj.nn.Sigmoid() if activation == "sigmoid" else sj.nn.ReLU()]
    return sj.nn.Sequential(*layers, sj.nn.Linear(width, 2))


points, classes = sj.datasets.spirals(512, noise=0.05, seed=0)
print("layer:    " + "".join(f"{l:>9d}" for l in range(1, 10)))
for activation in ("sigmoid", "relu"):
    sj.manual_seed(0)
    deep = deep_net(activation)
    F.cross_entropy(deep(points), classes).backward()
    norms = [m.weight.grad.norm().item() for m in deep if isinstance(m, sj.nn.Linear)]
    print(f"{activation:8s}: " + "".join(f"{n:9.1e}" for n in norms),
          f"  first / last = {norms[0] / norms[-1]:.1e}")
print(f"a quarter to the 8th power: {0.25**8:.1e}")  # from layer 9 back to 1: 8 sigmoids

# the same two networks over 60 steps of training (sj.train.GradientHealth records the norms)
figure, records = sj.viz.vanishing_gradients(depth=8, width=32, steps=60)
display(figure)

# %% [markdown]
# In the sigmoid network the first layer's gradient is several orders of magnitude smaller than
# the last layer's (the ratio printed above): on its way back from the last layer to the first it
# crosses 8 sigmoids, each multiplying it by a derivative of at most a quarter, and those factors
# alone can shrink it to $(1/4)^8$ (printed above too). In the ReLU network all layers get
# gradients of the same size. The picture shows that this stays so while they train.
#
# ## Exercises
#
# Run the next cell first: it holds the checks. Then write each answer where it says
# `answer_N = None` and run the check below it.

# %% tags=["checker"]
def _number(answer, what):
    """A Python or NumPy number, or a tensor holding one number, as a float."""
    if isinstance(answer, sj.Tensor):
        assert answer.numel() == 1, f"{what} is one number, not a tensor of shape {answer.shape}"
        return float(answer.item())
    assert isinstance(answer, (int, float, np.floating, np.integer)) and not isinstance(
        answer, bool), f"{what} is a number, not a {type(answer).__name__}"
    return float(answer)


def check_1(answer):
    if answer is None:
        print("Exercise 1 is not answered yet.")
        return
    value = _number(answer, "df/dw")
    x = sj.tensor(2.0, dtype=sj.float64)
    w = sj.tensor(-1.0, dtype=sj.float64, requires_grad=True)
    b = sj.tensor(0.5, dtype=sj.float64)
    (expected,) = sj.autograd.grad(sj.sigmoid(w * x + b), w)
    assert math.isclose(value, expected.item(), rel_tol=1e-4, abs_tol=1e-6), (
        f"df/dw = {value:.6g} is not right: multiply sigma'(z) = sigma(z)(1 - sigma(z)) at "
        "z = wx + b by dz/dw = x")
    print("Right: df/dw = sigma'(z) x.")


def exercise_2_network():
    """The little network of exercise 2: x, W1, b1, W2, b2 (float64) and the target class."""
    generator = sj.Generator().manual_seed(2)
    x = sj.randn(3, dtype=sj.float64, generator=generator)
    W1 = sj.randn(4, 3, dtype=sj.float64, generator=generator)
    b1 = sj.randn(4, dtype=sj.float64, generator=generator)
    W2 = sj.randn(2, 4, dtype=sj.float64, generator=generator)
    b2 = sj.randn(2, dtype=sj.float64, generator=generator)
    return x, W1, b1, W2, b2, 1


def check_2(answer):
    if answer is None:
        print("Exercise 2 is not answered yet.")
        return
    assert isinstance(answer, sj.Tensor), (
        f"delta(1) is a tensor (sj.Tensor), not a {type(answer).__name__}")
    assert tuple(answer.shape) == (4,), (
        f"delta(1) has one number per hidden neuron: shape (4,), not {tuple(answer.shape)}")
    x, W1, b1, W2, b2, target = exercise_2_network()
    z1 = (W1 @ x + b1).requires_grad_()
    z2 = W2 @ sj.sigmoid(z1) + b2
    loss = F.cross_entropy(z2.reshape(1, 2), sj.tensor([target]))
    (expected,) = sj.autograd.grad(loss, z1)
    difference = (answer.detach().double() - expected).abs().max().item()
    assert difference < 1e-5, (
        f"delta(1) is off by up to {difference:.3g}: start from delta(2) = y_hat - y (y one-hot), "
        "then delta(1) = sigma'(z1) * (W2^T delta(2)), with sigma'(z1) = a1 (1 - a1)")
    print("Right: delta(1) = sigma'(z1) * W2^T (y_hat - y).")


def _chain_gradient(depth):
    """d h_depth / d x for h_0 = x = 1, h_k = sigmoid(h_{k-1})."""
    x = sj.tensor(1.0, dtype=sj.float64, requires_grad=True)
    h = x
    for _ in range(depth):
        h = sj.sigmoid(h)
    (gradient,) = sj.autograd.grad(h, x)
    return gradient.item()


def check_3(answer):
    if answer is None:
        print("Exercise 3 is not answered yet.")
        return
    assert isinstance(answer, (int, np.integer)) and not isinstance(answer, bool), (
        f"the depth is a whole number (int), not a {type(answer).__name__}")
    assert answer >= 1, f"the depth counts sigmoids, at least 1, not {answer}"
    gradient = _chain_gradient(answer)
    assert gradient < 1e-6, (
        f"at depth {answer} the gradient is still {gradient:.3g}, not below 1e-6: go deeper")
    assert answer == 1 or _chain_gradient(answer - 1) >= 1e-6, (
        f"at depth {answer} the gradient is below 1e-6, but so it is at depth {answer - 1}: "
        "find the smallest depth")
    print(f"Right: {answer} sigmoids are enough to bring the gradient below 1e-6.")


# %% [markdown]
# ### Exercise 1: the chain rule on a graph
#
# For $f(x; w, b) = \sigma(wx + b)$ at $x = 2$, $w = -1$, $b = 0.5$, compute
# $\frac{\partial f}{\partial w}$ with the chain rule (the graph is $z = wx + b$, $f =
# \sigma(z)$), as a number.

# %% tags=["exercise-1"]
x, w, b = 2.0, -1.0, 0.5
# df/dw = sigma'(z) * dz/dw, with sigma'(z) = sigma(z) (1 - sigma(z))
answer_1 = None  # your answer here

# %% tags=["check-1"]
check_1(answer_1)

# %% [markdown]
# ### Exercise 2: one step of backpropagation
#
# A network with 3 inputs, 4 logistic hidden neurons and 2 softmax outputs:
# $\mathbf{z}^{(1)} = W^{(1)}\mathbf{x} + \mathbf{b}^{(1)}$, $\mathbf{a}^{(1)} =
# \sigma(\mathbf{z}^{(1)})$, $\mathbf{z}^{(2)} = W^{(2)}\mathbf{a}^{(1)} + \mathbf{b}^{(2)}$, the
# loss the cross-entropy of $\mathrm{softmax}(\mathbf{z}^{(2)})$ with the target class. Compute
# the hidden layer's error term $\delta^{(1)} = \partial \mathcal{L} / \partial \mathbf{z}^{(1)}$
# with the backpropagation formulas (not with autograd), as a tensor of shape (4,).

# %% tags=["exercise-2"]
x, W1, b1, W2, b2, target = exercise_2_network()
# delta(2) = y_hat - y, then delta(1) = sigma'(z1) * (W2^T delta(2))
answer_2 = None  # your answer here

# %% tags=["check-2"]
check_2(answer_2)

# %% [markdown]
# ### Exercise 3: how deep before the gradient vanishes?
#
# Chain sigmoids: $h_0 = x = 1$, $h_k = \sigma(h_{k-1})$. What is the smallest depth $n$ at
# which $\frac{d h_n}{d x}$ falls below $10^{-6}$? Give a whole number (you may compute it with
# autograd or with the product of the factors $\sigma'(h_{k-1})$).

# %% tags=["exercise-3"]
# each layer multiplies the gradient by sigma'(h) = sigma(h) (1 - sigma(h)) < 1/4
answer_3 = None  # your answer here

# %% tags=["check-3"]
check_3(answer_3)

# %% [markdown]
# ## Solutions
#
# **Exercise 1.** $z = wx + b = -1.5$, $\sigma'(z) = \sigma(z)(1 - \sigma(z))$ and
# $\partial z / \partial w = x = 2$.

# %% tags=["solution-1"]
z = -1.0 * 2.0 + 0.5
sigma = 1 / (1 + math.exp(-z))
answer_1 = sigma * (1 - sigma) * 2.0  # sigma'(z) * x
print(answer_1)
check_1(answer_1)

# %% [markdown]
# **Exercise 2.** Forward first, keeping $\mathbf{a}^{(1)}$; then the last layer's error
# $\delta^{(2)} = \hat{\mathbf{y}} - \mathbf{y}$, and one step back.

# %% tags=["solution-2"]
x, W1, b1, W2, b2, target = exercise_2_network()
a1 = sj.sigmoid(W1 @ x + b1)
y_hat = F.softmax(W2 @ a1 + b2, dim=0)
delta2 = y_hat - F.one_hot(sj.tensor(target), 2).double()  # y_hat - y
answer_2 = a1 * (1 - a1) * (W2.T @ delta2)  # sigma'(z1) * W2^T delta(2)
print(answer_2)
check_2(answer_2)

# %% [markdown]
# **Exercise 3.** Multiply the factors $\sigma'(h_{k-1}) = h_k (1 - h_k)$ until the product falls
# below $10^{-6}$; each factor is about a fifth (all below a quarter), so about ten layers
# suffice (the cell prints the factors).

# %% tags=["solution-3"]
h, gradient, factors = 1.0, 1.0, []
while gradient >= 1e-6:
    h = 1 / (1 + math.exp(-h))  # h_k = sigmoid(h_{k-1})
    factors.append(h * (1 - h))  # times sigma'(h_{k-1}) = h_k (1 - h_k)
    gradient *= factors[-1]
answer_3 = len(factors)
print("factors:", [round(factor, 3) for factor in factors])
print(answer_3, gradient)
check_3(answer_3)
