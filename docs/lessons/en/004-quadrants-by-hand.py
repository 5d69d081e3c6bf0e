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
# # Lesson 5: the 2-6-4 quadrant network, backpropagation by hand
#
# The note "神经网络核心知识点梳理--一图了然" (the core of neural networks in one picture) draws
# one small network and walks through everything that happens when it learns. The network reads
# the coordinates $(x_1, x_2)$ of a point and says in which of the four **quadrants** of the plane
# the point lies: 2 inputs, 6 hidden neurons, 4 outputs.
#
# We follow the note's order:
#
# 1. the network: input layer, hidden layer, output layer, the weight matrices $W_a$ (2×6) and
#    $W_b$ (6×4);
# 2. forward propagation, $H = f(XW_a + b_1)$ and $Y = \mathrm{softmax}(HW_b + b_2)$, by hand
#    with tensors and then with the layers;
# 3. softmax, which turns scores into probabilities, and the cross-entropy loss;
# 4. backpropagation: every gradient of the 2-6-4 network written out by hand with the chain
#    rule, step by step, and compared with autograd and with finite differences (`gradcheck`);
# 5. gradient descent $W \leftarrow W - \eta\,\partial L/\partial W$, and its three flavours:
#    batch (BGD), stochastic (SGD) and mini-batch gradient descent, trained side by side.
#
# Everything runs in a few seconds on a laptop CPU.

# %% tags=["setup"]
import matplotlib.pyplot as plt
import numpy

import shenjing as sj
import shenjing.nn.functional as F

sj.manual_seed(0)                   # the same initial weights at every run
rng = numpy.random.default_rng(0)   # the same choice of example points at every run

# %% [markdown]
# ## 1. The network
#
# The note's picture, in words:
#
# - **Input layer**: a 1×2 row $X = (x_1, x_2)$, plus a *bias* as an extra input "to make the
#   model more expressive" (a neuron can then shift its threshold away from the origin).
# - **Hidden layer**: 6 neurons; each takes a weighted sum $\Sigma$ of its inputs and passes it
#   through an activation function $f$.
# - **Output layer**: a 1×4 row, one score per class, mapped to probabilities by softmax and
#   scored by the cross-entropy loss.
# - **Weight matrices**: $W_a$, 2×6, connects the input to the hidden layer; $W_b$, 6×4,
#   connects the hidden layer to the output.
#
# `sj.datasets.quadrants` draws the points: uniform in the square $[-1, 1]^2$, class 0 for
# quadrant I ($x_1>0, x_2>0$), 1 for II, 2 for III, 3 for IV. `sj.models.quadrants_net()` is the
# 2-6-4 network with tanh in the hidden layer. Its parameter count is the note's matrices plus
# the two biases.

# %% tags=["concept-quadrant-network-2-6-4"]
X, y = sj.datasets.quadrants(400)                      # 400 training points (seed 0)
X_test, y_test = sj.datasets.quadrants(400, seed=1)    # 400 held-out points (another seed)
print("X:", X.shape, X.dtype, "   y:", y.shape, y.dtype)
print("points per quadrant:", [int((y == c).sum().item()) for c in range(4)])
print("the first three points:", [[round(v, 3) for v in row] for row in X[:3].tolist()],
      "labels:", y[:3].tolist())

# Flatten -> Linear(2, 6) -> tanh -> Linear(6, 4); Flatten does nothing to (N, 2) points, so
# the note's two layers are model[1] and model[3]
model = sj.models.quadrants_net()
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()),
      "= 2*6 (Wa) + 6 (b1) + 6*4 (Wb) + 4 (b2) =", 2 * 6 + 6 + 6 * 4 + 4)

colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759"]   # the colours of sj.viz's pictures
fig, ax = plt.subplots(figsize=(3.6, 3.6))
for c, name in enumerate(["I", "II", "III", "IV"]):
    ax.scatter(*X[y == c].numpy().T, s=8, color=colors[c], label=f"class {c} (quadrant {name})")
ax.axhline(0, color="0.5", lw=0.5)
ax.axvline(0, color="0.5", lw=0.5)
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
plt.show()

# %% [markdown]
# ### The activation functions of the hidden layer
#
# The note lists four common choices of $f$:
#
# - Sigmoid $\sigma(x) = \dfrac{1}{1 + e^{-x}}$
# - Tanh $\tanh(x) = \dfrac{e^x - e^{-x}}{e^x + e^{-x}}$
# - ReLU $f(x) = \max(0, x)$
# - Leaky ReLU $f(x) = \max(\alpha x, x)$, with $\alpha$ a small positive number
#
# Each formula written with tensors gives what shenjing's layer of the same name gives. Our
# network uses tanh: it is smooth (so every gradient below is defined everywhere) and centred on
# zero, like the quadrants.

# %%
z = sj.linspace(-3, 3, 7)
alpha = 0.01
by_hand = {
    "Sigmoid": 1 / (1 + (-z).exp()),
    "Tanh": (z.exp() - (-z).exp()) / (z.exp() + (-z).exp()),
    "ReLU": sj.maximum(z, sj.tensor(0.0)),
    "LeakyReLU": sj.maximum(alpha * z, z),
}
layers = {"Sigmoid": sj.nn.Sigmoid(), "Tanh": sj.nn.Tanh(), "ReLU": sj.nn.ReLU(),
          "LeakyReLU": sj.nn.LeakyReLU(alpha)}
print("z =", z.tolist())
for name, value in by_hand.items():
    difference = (value - layers[name](z)).abs().max().item()
    print(f"{name:9}  {[round(v, 3) for v in value.tolist()]}   max |by hand - layer| = "
          f"{difference:.1e}")

# %% [markdown]
# ## 2. Forward propagation
#
# The note's two lines:
#
# $$H = f(X W_a + b_1), \qquad Y = \mathrm{softmax}(H W_b + b_2)$$
#
# We take a batch of $N = 4$ points, one from each quadrant, stacked as the rows of $X$ (4×2).
# Then $XW_a$ is (4×2)(2×6) = 4×6: one row of 6 weighted sums per point. We name the steps so
# that backpropagation can go back through them: $A = XW_a + b_1$ (the weighted sums),
# $H = \tanh(A)$, $Z = HW_b + b_2$ (the raw scores, or *logits*), $Y = \mathrm{softmax}(Z)$.
#
# The weights come from the layers of `model`. `nn.Linear` stores its weight as
# (out_features, in_features), as PyTorch does, so the note's $W_a$ is the transpose of
# `model[1].weight`.

# %% tags=["concept-forward-by-hand"]
batch = [int(rng.choice(numpy.flatnonzero(y.numpy() == c))) for c in range(4)]
Xb, yb = X[batch], y[batch]                                # (4, 2) points, (4,) labels
Wa, b1 = model[1].weight.detach().T, model[1].bias.detach()    # (2, 6), (6,)
Wb, b2 = model[3].weight.detach().T, model[3].bias.detach()    # (6, 4), (4,)

A = Xb @ Wa + b1        # (4, 2) @ (2, 6) -> (4, 6): the weighted sums of the hidden neurons
H = A.tanh()            # (4, 6): the hidden layer's outputs
Z = H @ Wb + b2         # (4, 6) @ (6, 4) -> (4, 4): one score per class and point
print("the points X:\n", Xb, "\nlabels:", yb.tolist())
print("H = tanh(X Wa + b1):", H.shape)
print(H)
print("Z = H Wb + b2:", Z.shape)
print(Z)

# %% [markdown]
# ## 3. Softmax: from scores to probabilities
#
# $$S_i = \frac{e^{z_i}}{\sum_j e^{z_j}}$$
#
# As the note says, softmax turns the network's raw outputs into a probability distribution:
# every $S_i$ is positive and they sum to 1, so the output reads as "how likely each class is".
# In code we first subtract each row's maximum: $e^{z_i - m} / \sum_j e^{z_j - m}$ is the same
# ratio (the $e^{-m}$ cancels), but no exponential can overflow. The note also says that
# two-class problems use the sigmoid: softmax over the two scores $(z, 0)$ *is* $\sigma(z)$.

# %% tags=["concept-softmax"]
def softmax_by_hand(z):
    e = (z - z.amax(dim=1, keepdim=True)).exp()   # the largest exponent is e^0 = 1
    return e / e.sum(dim=1, keepdim=True)


Y = softmax_by_hand(Z)
print("Y = softmax(Z):\n", Y)
print("each row sums to 1:", Y.sum(dim=1).tolist())
print("max |by hand - F.softmax| =", (Y - F.softmax(Z, dim=1)).abs().max().item())

big = sj.tensor([[100.0, 99.0, 0.0, -5.0]])
with numpy.errstate(over="ignore", invalid="ignore"):   # NumPy would warn about the overflow
    e_big = big.exp()                                   # e^100 is too large for float32: inf
    naive = e_big / e_big.sum(dim=1, keepdim=True)      # inf / inf is nan
print("e^z without subtracting the max:", e_big.tolist())
print("softmax without subtracting it: ", naive.tolist())
print("softmax with it:                ", [round(v, 4) for v in softmax_by_hand(big)[0].tolist()])

two = sj.tensor([[1.5, 0.0]])
print("softmax((1.5, 0))[0] =", softmax_by_hand(two)[0, 0].item(),
      "  sigmoid(1.5) =", sj.sigmoid(sj.tensor(1.5)).item())

# %% [markdown]
# The layer does the whole forward pass in one call: `model(X)` gives the same scores $Z$ as our
# three lines, and softmax of them the same $Y$. The network is untrained, so its guesses are
# no better than chance yet.

# %% tags=["concept-forward-layer"]
logits = model(Xb)
print("model(X):\n", logits)
print("max |Z by hand - model(X)| =", (Z - logits).abs().max().item())
print("max |Y by hand - softmax(model(X))| =",
      (Y - F.softmax(logits, dim=1)).abs().max().item())
print("predicted classes:", logits.argmax(dim=1).tolist(), "  true classes:", yb.tolist())

# %% [markdown]
# ## 4. The loss: cross-entropy
#
# The note splits losses into classification and regression losses; ours is a classification
# problem, and its loss is the multi-class cross-entropy:
#
# $$L = -\sum_i y_i \log \hat y_i$$
#
# where $y_i$ is the true label written *one-hot* (1 for the true class, 0 for the others) and
# $\hat y_i$ the predicted probability. Only the true class's term survives the sum, so the loss
# of one point is $-\log$ (the probability given to the right class): 0 when the network is
# sure and right, large when it is sure and wrong. That is the note's "punish predictions far from
# the true label". For a batch we take the mean over the $N$ points, as `F.cross_entropy` does
# (it takes the raw scores $Z$ and does the softmax itself, in one numerically stable step).
#
# An untrained network that spreads its probability evenly gives $\hat y = 1/4$ to every class,
# so its loss starts near $\log 4$.
#
# The note's binary cross-entropy, for one probability $\hat y$ of class 1:
# $L = -\big(y\log\hat y + (1-y)\log(1-\hat y)\big)$.

# %% tags=["concept-cross-entropy"]
T = F.one_hot(yb, 4).float()              # (4, 4): the true labels y_i, one-hot
L_each = -(T * Y.log()).sum(dim=1)        # L = -sum_i y_i log(y_hat_i), one per point
L = L_each.mean()
print("one-hot labels:\n", T)
print("loss of each point:", [round(v, 4) for v in L_each.tolist()])
print("-log of the true class's probability:",
      [round(-float(numpy.log(Y[n, int(yb[n])].item())), 4) for n in range(4)])
print("mean loss by hand:", L.item(), "   F.cross_entropy(Z, y):", F.cross_entropy(Z, yb).item())
with sj.no_grad():
    print("untrained loss on all 400 points:", round(F.cross_entropy(model(X), y).item(), 4),
          "   log 4 =", round(float(numpy.log(4)), 4))

p = sj.tensor([0.9, 0.2, 0.6])            # predicted probability of class 1
t = sj.tensor([1.0, 0.0, 0.0])            # true labels
bce = -(t * p.log() + (1 - t) * (1 - p).log())
print("binary cross-entropy by hand:", round(bce.mean().item(), 4),
      "   F.binary_cross_entropy:", round(F.binary_cross_entropy(p, t).item(), 4))

q = numpy.linspace(0.01, 1, 200)
fig, ax = plt.subplots(figsize=(4, 2.6))
ax.plot(q, -numpy.log(q))
for value in (0.9, 0.5, 0.1, 0.01):
    ax.plot(value, -numpy.log(value), "o", color="C3")
    ax.annotate(f"{-numpy.log(value):.2f}", (value, -numpy.log(value)), xytext=(5, 3),
                textcoords="offset points", fontsize=8)
ax.set_xlabel("probability given to the true class")
ax.set_ylabel("loss  $-\\log \\hat y$")
plt.show()

# %% [markdown]
# ## 5. Backpropagation, step by step by hand
#
# To lower the loss we need its gradient with respect to every weight. The note's chain rule:
#
# $$\frac{\partial L}{\partial W} = \frac{\partial L}{\partial Y}\cdot\frac{\partial Y}{\partial Z}
# \cdot\frac{\partial Z}{\partial W}$$
#
# Our computation is a chain $X \to A \to H \to Z \to Y \to L$. Backpropagation walks it from the
# end: each step multiplies the gradient that arrives from above by the derivative of one link.
# Every gradient has the shape of what it is the gradient of.
#
# **Step 1, loss and softmax.** $L = -\frac1N\sum_n\sum_i T_{ni}\log Y_{ni}$, so
# $\partial L/\partial Y = -T/(NY)$. Softmax couples the four outputs of a point: its Jacobian is
# $\partial Y_i/\partial Z_j = Y_i(\delta_{ij} - Y_j)$, i.e. $\mathrm{diag}(Y) - YY^\top$ for each
# point. Multiplying the two, almost everything cancels:
#
# $$\frac{\partial L}{\partial Z} = \frac{Y - T}{N}$$
#
# (predicted probabilities minus the true one-hot labels). Both ways agree:

# %% tags=["concept-gradient-by-hand", "concept-backpropagation-by-hand"]
N = Xb.shape[0]
dY = -T / (N * Y)                                              # dL/dY: (4, 4)
J = Y.unsqueeze(2) * sj.eye(4) - Y.unsqueeze(2) @ Y.unsqueeze(1)   # dY/dZ: one 4x4 per point
dZ_chain = (dY.unsqueeze(1) @ J).squeeze(1)                    # (1, 4) @ (4, 4) for each point
dZ = (Y - T) / N                                               # the same, simplified
print("dL/dZ = (Y - T) / N:\n", dZ)
print("max |through the Jacobian - simplified| =", (dZ_chain - dZ).abs().max().item())

# %% [markdown]
# **Step 2, the output layer** $Z = HW_b + b_2$. Entry $(k, j)$ of $W_b$ multiplies $H_{nk}$
# into $Z_{nj}$ for every point $n$, so its gradient sums $H_{nk}\,\partial L/\partial Z_{nj}$
# over the points: a matrix product. The bias is added to every row, so its gradient is the sum
# of the rows. And $H$ reaches $L$ only through $Z$:
#
# $$\frac{\partial L}{\partial W_b} = H^\top\frac{\partial L}{\partial Z},\qquad
# \frac{\partial L}{\partial b_2} = \sum_n \frac{\partial L}{\partial Z_n},\qquad
# \frac{\partial L}{\partial H} = \frac{\partial L}{\partial Z}W_b^\top$$

# %% tags=["concept-backpropagation-by-hand"]
dWb = H.T @ dZ              # (6, 4) @ (4, 4) -> (6, 4), the shape of Wb
db2 = dZ.sum(dim=0)         # (4,), the shape of b2
dH = dZ @ Wb.T              # (4, 4) @ (4, 6) -> (4, 6), the shape of H
print("dL/dWb:", dWb.shape, "  dL/db2:", db2.shape, "  dL/dH:", dH.shape)
print(dWb)

# %% [markdown]
# **Step 3, the hidden layer** $H = \tanh(A)$, $A = XW_a + b_1$. The derivative of tanh is
# $1 - \tanh^2$, which we already have as $1 - H^2$ (the forward pass saved it for us).
# Elementwise functions multiply elementwise ($\odot$); the linear layer repeats step 2:
#
# $$\frac{\partial L}{\partial A} = \frac{\partial L}{\partial H}\odot(1 - H^2),\qquad
# \frac{\partial L}{\partial W_a} = X^\top\frac{\partial L}{\partial A},\qquad
# \frac{\partial L}{\partial b_1} = \sum_n \frac{\partial L}{\partial A_n}$$

# %% tags=["concept-backpropagation-by-hand"]
dA = dH * (1 - H ** 2)      # (4, 6): through tanh
dWa = Xb.T @ dA             # (2, 4) @ (4, 6) -> (2, 6), the shape of Wa
db1 = dA.sum(dim=0)         # (6,), the shape of b1
print("dL/dA:", dA.shape, "  dL/dWa:", dWa.shape, "  dL/db1:", db1.shape)
print(dWa)

# %% [markdown]
# The whole backward pass fits in one function: the forward pass, then the three steps in
# reverse. We use it below to check it against finite differences and to train the network
# with nothing but these formulas.

# %% tags=["concept-backpropagation-by-hand"]
def backprop_by_hand(X, y, Wa, b1, Wb, b2):
    """The mean cross-entropy of the 2-6-4 network and its gradients (dWa, db1, dWb, db2)."""
    H = (X @ Wa + b1).tanh()                  # forward
    Y = softmax_by_hand(H @ Wb + b2)
    T = F.one_hot(y, Wb.shape[1]).to(Y.dtype)
    loss = -(T * Y.log()).sum(dim=1).mean()
    dZ = (Y - T) / X.shape[0]                 # step 1
    dH = dZ @ Wb.T                            # step 2
    dA = dH * (1 - H ** 2)                    # step 3
    return loss, (X.T @ dA, dA.sum(dim=0), H.T @ dZ, dZ.sum(dim=0))


loss, grads = backprop_by_hand(Xb, yb, Wa, b1, Wb, b2)
print("loss:", loss.item(), "  gradient shapes:", [tuple(g.shape) for g in grads])

# %% [markdown]
# ## 6. The same gradients by autograd
#
# `loss.backward()` walks the computational graph that the forward pass recorded and applies the
# same chain rule, one operation at a time. The layers' `.grad` are in the layers' layout
# (out, in), so we transpose them to compare with the note's $W_a$, $W_b$. `sj.autograd.grad`
# also gives the gradients of the intermediate results $Z$, $H$, $A$.

# %% tags=["concept-gradient-autograd"]
model.zero_grad()
loss = F.cross_entropy(model(Xb), yb)
loss.backward()
by_autograd = {"dL/dWa": model[1].weight.grad.T, "dL/db1": model[1].bias.grad,
               "dL/dWb": model[3].weight.grad.T, "dL/db2": model[3].bias.grad}
by_hand = {"dL/dWa": dWa, "dL/db1": db1, "dL/dWb": dWb, "dL/db2": db2}   # section 5

Wa_, b1_, Wb_, b2_ = (t.clone().requires_grad_(True) for t in (Wa, b1, Wb, b2))
A_ = Xb @ Wa_ + b1_
H_ = A_.tanh()
Z_ = H_ @ Wb_ + b2_
gZ, gH, gA = sj.autograd.grad(F.cross_entropy(Z_, yb), [Z_, H_, A_])
by_autograd.update({"dL/dZ": gZ, "dL/dH": gH, "dL/dA": gA})
by_hand.update({"dL/dZ": dZ, "dL/dH": dH, "dL/dA": dA})

print(f"{'':7} {'shape':8} max |by hand - autograd|")
for name in ("dL/dZ", "dL/dWb", "dL/db2", "dL/dH", "dL/dA", "dL/dWa", "dL/db1"):
    difference = (by_hand[name] - by_autograd[name]).abs().max().item()
    print(f"{name:7} {str(tuple(by_hand[name].shape)):8} {difference:.1e}")
print("\ndL/dWa by hand:\n", dWa, "\ndL/dWa by autograd:\n", by_autograd["dL/dWa"])

# %% [markdown]
# ## 7. Checking with finite differences: `gradcheck`
#
# A derivative is a limit: $\partial L/\partial w \approx \big(L(w+\varepsilon) -
# L(w-\varepsilon)\big)/2\varepsilon$. `sj.autograd.gradcheck` compares autograd's gradient with
# this, in float64 where rounding is small enough. We also compare our own formulas, entry by
# entry, with the same differences: two evaluations of the loss for each weight.

# %% tags=["concept-gradcheck"]
Xd = Xb.double()
params = [t.double().requires_grad_(True) for t in (Wa, b1, Wb, b2)]


def loss_of(Wa, b1, Wb, b2):
    return F.cross_entropy((Xd @ Wa + b1).tanh() @ Wb + b2, yb)


print("gradcheck (autograd vs finite differences):", sj.autograd.gradcheck(loss_of, params))

eps = 1e-6
weights = [p.detach() for p in params]
_, hand = backprop_by_hand(Xd, yb, *weights)
worst, entries = 0.0, 0
with sj.no_grad():
    for which, (w, g) in enumerate(zip(weights, hand)):
        for k in range(w.numel()):
            nudge = eps * sj.eye(w.numel(), dtype=w.dtype)[k].view(w.shape)   # eps at entry k
            up = loss_of(*[v + nudge if j == which else v for j, v in enumerate(weights)])
            down = loss_of(*[v - nudge if j == which else v for j, v in enumerate(weights)])
            numerical = (up.item() - down.item()) / (2 * eps)
            worst = max(worst, abs(numerical - g.reshape(-1)[k].item()))
            entries += 1
print(f"our formulas vs finite differences: {entries} entries, {2 * entries} evaluations of "
      f"the loss, worst difference {worst:.1e}")

# %% [markdown]
# ## 8. Gradient descent
#
# With the gradient in hand, the note's update rule:
#
# $$W \leftarrow W - \eta\,\frac{\partial L}{\partial W}$$
#
# The gradient points to where the loss grows fastest; a small step $\eta$ (the *learning
# rate*) against it lowers the loss. Too large an $\eta$ overshoots and may diverge; too small
# crawls. We train the network with our hand-written gradients on all 400 points, then let
# `sj.optim.SGD` do the same steps from the same start: it is the same rule, so the weights
# agree (up to float32 rounding).

# %%
eta, steps = 0.5, 300
weights = [t.clone() for t in (Wa, b1, Wb, b2)]
for step in range(steps + 1):
    loss, grads = backprop_by_hand(X, y, *weights)
    if step % 60 == 0:
        print(f"step {step:3}: loss {loss.item():.4f}")
    if step < steps:
        weights = [w - eta * g for w, g in zip(weights, grads)]

sj.manual_seed(0)
net = sj.models.quadrants_net()          # the same starting weights as model
optimizer = sj.optim.SGD(net.parameters(), lr=eta)
for _ in range(steps):
    optimizer.zero_grad()
    F.cross_entropy(net(X), y).backward()
    optimizer.step()
in_note_layout = [net[1].weight.T, net[1].bias, net[3].weight.T, net[3].bias]   # Wa b1 Wb b2
print("max |weights by hand - by sj.optim.SGD| =",
      max((w - v.detach()).abs().max().item() for w, v in zip(weights, in_note_layout)))
with sj.no_grad():
    accuracy = (net(X_test).argmax(dim=1) == y_test).float().mean().item()
print(f"accuracy on the 400 held-out points: {accuracy:.1%}")

# %% [markdown]
# The note says loss functions are convex ("bowl-shaped"), so that the point where the derivative
# is zero is *the* minimum. That holds for the cross-entropy as a function of the scores $Z$, and
# for a network without hidden layer, but not for the weights of a network with a hidden layer.
# A quick test: swapping two hidden neurons (their column of $W_a$, their entry of $b_1$, their
# row of $W_b$) gives a different weight vector that computes exactly the same function, hence
# the same loss. For a convex loss the point halfway between two equally good points could be
# no worse; here it is worse, for every pair of neurons. So gradient descent finds *a* low
# point, not necessarily the lowest, which is one reason why the starting weights and the
# learning rate matter.

# %%
def swap_hidden(weights, i, k):
    """The same network with hidden neurons i and k trading places."""
    order = list(range(6))
    order[i], order[k] = k, i
    Wa, b1, Wb, b2 = weights
    return [Wa[:, order], b1[order], Wb[order], b2]


trained = backprop_by_hand(X, y, *weights)[0].item()     # the weights trained by hand above
swapped = swap_hidden(weights, 4, 5)
halfway = [(u + v) / 2 for u, v in zip(weights, swapped)]
print(f"trained:                loss {trained:.4f}")
print(f"neurons 4, 5 swapped:   loss {backprop_by_hand(X, y, *swapped)[0].item():.4f}")
print(f"halfway between them:   loss {backprop_by_hand(X, y, *halfway)[0].item():.4f}")
pairs = [(i, k) for i in range(6) for k in range(i + 1, 6)]
worse = sum(backprop_by_hand(X, y, *[(u + v) / 2 for u, v in zip(weights, swap_hidden(
    weights, i, k))])[0].item() > trained for i, k in pairs)
print(f"halfway points worse than the trained weights: {worse} of the {len(pairs)} swaps")

# %% [markdown]
# ## 9. BGD, SGD and mini-batch gradient descent
#
# The note sorts gradient descent by how many samples each step's gradient is computed from
# (the *batch size*):
#
# - **BGD, batch gradient descent**: all the samples for every step; hardly feasible for large
#   data sets.
# - **SGD, stochastic gradient descent**: one randomly drawn sample per step; the gradient is
#   noisy, swayed by outliers, so updates fluctuate and training takes long.
# - **Mini-batch gradient descent**: a batch size of your choice, with the advantages of both;
#   it converges relatively fast and is the most common.
#
# We train three copies of the same network (same starting weights, same learning rate
# $\eta = 0.3$, same 20 epochs: each sees every point 20 times) with batch sizes 400 (BGD),
# 1 (SGD) and 32 (mini-batch). After each update we measure the loss on all training points.
# Compare them per epoch (the same amount of data read) and per update.

# %% tags=["concept-bgd-sgd-mini-batch"]
def train(batch_size, epochs=20, lr=0.3):
    sj.manual_seed(0)
    net = sj.models.quadrants_net()                    # the same starting weights each time
    optimizer = sj.optim.SGD(net.parameters(), lr=lr)
    loader = sj.data.DataLoader(sj.data.TensorDataset(X, y), batch_size=batch_size,
                                shuffle=True, generator=sj.Generator().manual_seed(0))
    per_update, per_epoch = [], []
    for _ in range(epochs):
        for inputs, targets in loader:
            loss = F.cross_entropy(net(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with sj.no_grad():
                per_update.append(F.cross_entropy(net(X), y).item())  # on all 400 points
        per_epoch.append(per_update[-1])
    return net, per_update, per_epoch


runs = {"BGD (batch 400)": train(400), "SGD (batch 1)": train(1),
        "mini-batch (batch 32)": train(32)}
for name, (net, per_update, per_epoch) in runs.items():
    with sj.no_grad():
        accuracy = (net(X_test).argmax(dim=1) == y_test).float().mean().item()
    # every line has the same words, only the numbers differ: the columns line up by themselves
    print(f"{name + ':':23}updates per epoch {len(per_update) // len(per_epoch):3}, "
          f"in all {len(per_update):4}, final loss {per_epoch[-1]:.4f}, "
          f"held-out accuracy {accuracy:.1%}")

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
for (name, (_, per_update, per_epoch)), color in zip(runs.items(), colors):
    left.plot(range(1, len(per_epoch) + 1), per_epoch, "o-", ms=3, color=color, label=name)
    bgd = name.startswith("BGD")   # drawn thick and on top: its 20 points are few
    right.plot(range(1, len(per_update) + 1), per_update, color=color, lw=2.5 if bgd else 0.8,
               zorder=3 if bgd else 2, label=name)
left.set_xlabel("epoch")
left.set_ylabel("loss on all training points")
right.set_xlabel("update (log scale)")
right.set_xscale("log")
left.legend(fontsize=8)
plt.show()

fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
for ax, (name, (net, _, _)) in zip(axes, runs.items()):
    sj.viz.surfaces.draw_surface(ax, net, X_test, y_test, title=name)
plt.show()

# %% [markdown]
# What the pictures say:
#
# - **Per epoch** (left), BGD is the slowest: it reads all 400 points to make one careful step,
#   so 20 epochs are only 20 updates. Its curve is smooth but far from done, and its boundaries
#   are still crooked.
# - **SGD** makes 400 updates an epoch, each from a single point. Its loss falls within the
#   first epoch, but it keeps jumping up and down (right): one point's gradient is a noisy
#   estimate of the whole set's, and a single unusual point can push the weights the wrong way.
#   Each of its steps is also a tiny computation that cannot use the vectorised matrix products
#   that make a batch cheap.
# - **Mini-batch** sits between them: 13 updates an epoch (the last batch holds the points left
#   over). Per update (right) its curve almost lies on BGD's: the gradient of 32 random points
#   is nearly as good as that of all 400, for a fraction of the work. Per epoch it therefore
#   makes many steady steps. That is why it is the default everywhere:
#   `DataLoader(..., batch_size=32, shuffle=True)`.
#
# On the command line, `shenjing train quadrants` trains the same network to convergence with
# Adam, and `shenjing plot surface runs/quadrants-mlp` draws its decision surface.

# %% [markdown]
# ## Exercises
#
# Run the next cell first: it defines the checks (and the data of exercise 2).

# %% tags=["checker"]
def _is_number(answer):
    return isinstance(answer, (int, float, numpy.floating, numpy.integer)) and not isinstance(
        answer, bool)


def check_1(answer):
    if answer is None:
        print("Exercise 1 is not answered yet: set answer_1 to the loss (a float).")
        return
    if isinstance(answer, sj.Tensor):
        assert answer.numel() == 1, (
            f"answer_1 should be one number, got a tensor of shape {tuple(answer.shape)}")
        answer = answer.item()
    assert _is_number(answer), (
        f"answer_1 should be one number (a float), got {type(answer).__name__}")
    z = sj.tensor([[2.0, 1.0, 0.1, -1.0]])
    target = 2
    probabilities = F.softmax(z, dim=1)[0]
    expected = F.cross_entropy(z, sj.tensor([target])).item()
    assert answer >= 0, "a cross-entropy loss is never negative: did you forget the minus sign?"
    assert abs(answer - probabilities[target].item()) > 1e-4, (
        "that is the probability of the true class, not the loss: take -log of it")
    assert abs(answer - expected) <= 1e-4 * max(1.0, abs(expected)), (
        "not quite: the loss of one point is -log of the softmax probability of its TRUE "
        "class (class 2, the third score); check the class and the softmax denominator")
    print("Exercise 1: right!")


def exercise_2_data():
    """Four points, their quadrants and the weights Wa (2x6), b1, Wb (6x4), b2 of exercise 2."""
    X, y = sj.datasets.quadrants(4, seed=2)
    g = sj.Generator().manual_seed(2)
    return (X, y, sj.randn(2, 6, generator=g), sj.randn(6, generator=g),
            sj.randn(6, 4, generator=g), sj.randn(4, generator=g))


def check_2(answer):
    if answer is None:
        print("Exercise 2 is not answered yet: set answer_2 to dL/dWa, a tensor of shape (2, 6).")
        return
    assert isinstance(answer, sj.Tensor), (
        f"answer_2 should be a tensor (sj.Tensor), got {type(answer).__name__}")
    X, y, Wa, b1, Wb, b2 = exercise_2_data()
    assert tuple(answer.shape) == tuple(Wa.shape), (
        f"answer_2 has shape {tuple(answer.shape)}; a gradient has the shape of what it is the "
        f"gradient of: Wa is {tuple(Wa.shape)} (X^T times dL/dA)")
    Wa = Wa.requires_grad_(True)
    loss = F.cross_entropy((X @ Wa + b1).tanh() @ Wb + b2, y)
    (expected,) = sj.autograd.grad(loss, [Wa])
    answer = answer.detach().to(expected.dtype)
    close = sj.allclose(answer, expected, rtol=1e-4, atol=1e-5)
    if not close and sj.allclose(answer, expected * X.shape[0], rtol=1e-4, atol=1e-5):
        raise AssertionError("N times too large: the loss is the MEAN over the points, so "
                             "dL/dZ = (Y - T) / N")
    assert close, ("not quite: go back step by step, dL/dZ = (Y - T)/N, then dL/dH, then "
                   "through tanh (its derivative is 1 - H^2), then X^T @ dL/dA")
    print("Exercise 2: right!")


def check_3(answer):
    if answer is None:
        print("Exercise 3 is not answered yet: set answer_3 to (BGD, SGD, mini-batch).")
        return
    assert isinstance(answer, (tuple, list)), (
        f"answer_3 should be a tuple of three whole numbers, got {type(answer).__name__}")
    assert len(answer) == 3, f"answer_3 should hold three numbers, it holds {len(answer)}"
    assert all(isinstance(a, (int, numpy.integer)) and not isinstance(a, bool)
               for a in answer), "the numbers of updates are whole numbers (int)"
    points = sj.data.TensorDataset(sj.zeros(1000, 2))
    expected = tuple(len(sj.data.DataLoader(points, batch_size=b)) for b in (1000, 1, 32))
    assert answer[0] == expected[0], "BGD: how many batches are there when one batch holds all?"
    assert answer[1] == expected[1], (
        "SGD: each batch holds one point; how many batches in an epoch?")
    assert answer[2] != expected[2] - 1, (
        "mini-batch: the points left over after the full batches form one more, smaller batch")
    assert answer[2] == expected[2], "mini-batch: how many batches of 32 cover 1000 points?"
    print("Exercise 3: right!")


# %% [markdown]
# **Exercise 1 (softmax and cross-entropy).** A network gives the scores
# $z = (2.0, 1.0, 0.1, -1.0)$ for one point whose true class is 2 (quadrant III). Compute its
# cross-entropy loss by hand with tensors: softmax first, then $-\sum_i y_i\log\hat y_i$ with the
# one-hot label (no `F.cross_entropy`). Give a float.

# %% tags=["exercise-1"]
z = sj.tensor([2.0, 1.0, 0.1, -1.0])
target = 2
answer_1 = None  # your answer here

# %% tags=["check-1"]
check_1(answer_1)

# %% [markdown]
# **Exercise 2 (backpropagation by hand).** `exercise_2_data()` gives four points, their labels
# and the weights of a 2-6-4 tanh network in the note's layout. Compute $\partial L/\partial W_a$
# of the mean cross-entropy by hand, with the steps of section 5 (no `backward`, no
# `sj.autograd.grad`).

# %% tags=["exercise-2"]
X_ex, y_ex, Wa_ex, b1_ex, Wb_ex, b2_ex = exercise_2_data()
print("X:", X_ex.shape, " y:", y_ex.tolist(), " Wa:", Wa_ex.shape, " Wb:", Wb_ex.shape)
answer_2 = None  # your answer here

# %% tags=["check-2"]
check_2(answer_2)

# %% [markdown]
# **Exercise 3 (BGD, SGD, mini-batch).** A training set holds 1000 points. How many parameter
# updates does one epoch make with BGD, with SGD, and with mini-batches of 32 (the last, smaller
# batch is kept, as `DataLoader` does unless `drop_last=True`)? Give a tuple of three ints.

# %% tags=["exercise-3"]
answer_3 = None  # your answer here

# %% tags=["check-3"]
check_3(answer_3)

# %% [markdown]
# ## Solutions
#
# **Exercise 1.** Softmax with the maximum subtracted, then minus the log of the probability of
# the true class: the one-hot label keeps only that term of the sum.

# %% tags=["solution-1"]
scores = z - z.max()
probabilities = scores.exp() / scores.exp().sum()
one_hot = F.one_hot(sj.tensor(target), 4).float()
answer_1 = -(one_hot * probabilities.log()).sum().item()
print("probabilities:", [round(v, 4) for v in probabilities.tolist()], " loss:", answer_1)
check_1(answer_1)

# %% [markdown]
# **Exercise 2.** The forward pass, then the three steps of section 5 in reverse; the mean over
# the 4 points puts $1/N$ into $\partial L/\partial Z$.

# %% tags=["solution-2"]
H_ex = (X_ex @ Wa_ex + b1_ex).tanh()
Y_ex = F.softmax(H_ex @ Wb_ex + b2_ex, dim=1)
dZ_ex = (Y_ex - F.one_hot(y_ex, 4).float()) / X_ex.shape[0]    # step 1
dH_ex = dZ_ex @ Wb_ex.T                                        # step 2
dA_ex = dH_ex * (1 - H_ex ** 2)                                # step 3, through tanh
answer_2 = X_ex.T @ dA_ex                                      # (2, 4) @ (4, 6) -> (2, 6)
print(answer_2)
check_2(answer_2)

# %% [markdown]
# **Exercise 3.** BGD: one batch of all 1000 points, 1 update. SGD: 1000 batches of one point.
# Mini-batch: the full batches of 32 leave a few points over, which make one more batch, so the
# count is $\lceil 1000/32\rceil$.

# %% tags=["solution-3"]
print(1000 // 32, "full batches hold", 1000 // 32 * 32, "points;", 1000 % 32, "are left over")
answer_3 = (1, 1000, -(-1000 // 32))    # -(-a // b) rounds the division up
print(answer_3)
check_3(answer_3)
