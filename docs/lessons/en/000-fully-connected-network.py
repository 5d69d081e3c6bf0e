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
# # Lesson 1: the fully connected neural network
#
# This lesson follows study note 000 ("Multimodal learning: neural networks") in its order:
#
# 0. **three formulas first**: the L2 norm, the sigmoid function and softmax;
# 1. **the neural network model**: layers in which every neuron is connected to every neuron of
#    the layers before and after (a *fully connected* network), one neuron as a linear equation
#    followed by an activation function, and decision surfaces that grow more complex as
#    neurons are added (the universal approximation theorem);
# 2. **activation functions**, the key to universal approximation;
# 3. **back to the network**: lifting data into more dimensions, several outputs for several
#    classes, softmax as the multi-class sigmoid, the network as a black box of formulas, and
#    the algorithm that trains it: gradient descent.
#
# A neural network makes decisions in a way loosely modelled on the brain: many simple units,
# *neurons*, each weighing its inputs, working together. Every formula of the note is computed
# here twice, by hand with tensors and with shenjing's layers, and every gradient three times:
# by hand, by autograd and by finite differences. Run the cells in order from the top.

# %% tags=["setup"]
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

import shenjing as sj
import shenjing.nn.functional as F

sj.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 0. Three formulas first
#
# ### The L2 norm
#
# The note writes it as
#
# $$\|W\|_2=\sqrt{w_1^2+w_2^2+w_3^2+w_4^2+\cdots}$$
#
# the length of the vector $W$ (Pythagoras in as many dimensions as $W$ has entries). It measures
# how *large* a set of weights is: training often adds $\|W\|_2^2$ to the loss (weight decay) so
# that the weights stay small. For a matrix the same formula runs over all its entries.

# %% tags=["concept-l2-norm"]
W = sj.tensor([1.0, -2.0, 2.0, 4.0])
by_hand = (W**2).sum().sqrt()  # square, add up, square root
print("by hand  sqrt(1 + 4 + 4 + 16) =", by_hand.item())
print("W.norm()                      =", W.norm().item())
print("sj.norm(W, p=2)               =", sj.norm(W, p=2).item())

M = sj.randn(3, 4)  # a weight matrix: the formula runs over all 12 entries
print("matrix: by hand", round((M**2).sum().sqrt().item(), 6),
      " M.norm()", round(M.norm().item(), 6))

# %% [markdown]
# ### The sigmoid function
#
# $$\operatorname{sigmoid}(x) = \frac{1}{1+e^{-x}}$$
#
# (the note spells it "sigmod"; the name is *sigmoid*, "S-shaped"). It squeezes any real number
# into $(0, 1)$: large negative inputs give almost 0, large positive ones almost 1, and 0 gives
# exactly one half. That is why its output can be read as a probability. Its slope is
# $\operatorname{sigmoid}'(x) = \operatorname{sigmoid}(x)\,(1 - \operatorname{sigmoid}(x))$,
# which the cell checks against autograd.

# %% tags=["concept-sigmoid"]
x = sj.linspace(-6.0, 6.0, 121, requires_grad=True)
by_hand = 1 / (1 + sj.exp(-x))
function = sj.sigmoid(x)
layer = sj.nn.Sigmoid()(x)
print("max |by hand - sj.sigmoid|  :", (by_hand - function).abs().max().item())
print("max |by hand - nn.Sigmoid()|:", (by_hand - layer).abs().max().item())
print("sigmoid(-6), sigmoid(0), sigmoid(6):",
      [round(v, 4) for v in sj.sigmoid(sj.tensor([-6.0, 0.0, 6.0])).tolist()])

(slope,) = sj.autograd.grad(layer.sum(), x)  # elementwise: d sum / d x_i = sigmoid'(x_i)
s = by_hand.detach()
print("max |autograd - s(1 - s)|   :", (slope - s * (1 - s)).abs().max().item())
print("steepest slope:", slope.max().item(), "at x =", x[slope.argmax()].item())

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(x.detach().numpy(), s.numpy(), linewidth=2, label="sigmoid(x)")
ax.plot(x.detach().numpy(), slope.numpy(), "--", label="slope, by autograd")
ax.axhline(0.5, color="0.7", linewidth=0.8)
ax.legend()
ax.set_xlabel("x")
plt.show()

# %% [markdown]
# ### Softmax
#
# $$\operatorname{softmax}(\hat{Y})_i =\frac{e^{\hat{y}_i}}{\sum_{j=1}^4 e^{\hat{y}_j}}$$
#
# takes four scores $\hat y_1, \dots, \hat y_4$ (any real numbers) and returns four positive
# numbers that add up to 1, in the same order: the largest score gets the largest share. The
# exponential makes every share positive; dividing by the sum makes them add to one.
#
# Adding the same constant to every score changes nothing (it multiplies the numerator and the
# denominator by the same $e^c$). Libraries use that to subtract the largest score first: the
# cell shows why, with scores so large that $e^{1002}$ overflows.

# %% tags=["concept-softmax"]
y_hat = sj.tensor([2.0, 1.0, 0.1, -1.0])  # four scores, like the note's sum over j = 1..4
by_hand = sj.exp(y_hat) / sj.exp(y_hat).sum()
print("by hand        :", by_hand)
print("F.softmax      :", F.softmax(y_hat, dim=0))
print("nn.Softmax     :", sj.nn.Softmax(dim=0)(y_hat))
print("sum            :", by_hand.sum().item(), "  largest score, largest share:",
      y_hat.argmax().item() == by_hand.argmax().item())

big = y_hat + 1000.0
with np.errstate(over="ignore", invalid="ignore"):  # e^1002 is inf in float32: inf/inf = nan
    naive = sj.exp(big) / sj.exp(big).sum()
stable = sj.exp(big - big.max()) / sj.exp(big - big.max()).sum()
print("scores + 1000, naive :", naive)
print("scores + 1000, stable:", stable, " (F.softmax:", F.softmax(big, dim=0), ")")

# %% [markdown]
# ## 1. The neural network model
#
# The leftmost layer is the **input layer**: one node per dimension of the data, through which
# the data enters the network. Every neuron of a layer is connected to *all* the nodes of the
# layer before it and of the layer after it, which is why it is called a **fully connected
# neural network**. **Each edge is a weight.** In shenjing (as in PyTorch) one fully connected
# layer is `nn.Linear(in_features, out_features)`: its weight matrix holds one number per edge,
# its bias one number per neuron.
#
# The cell builds a network with 2 inputs, 4 hidden neurons and 3 outputs, counts its edges, and
# draws it: every line is one weight (blue positive, red negative, thicker for larger
# magnitude).

# %% tags=["concept-fully-connected-network"]
net = sj.nn.Sequential(sj.nn.Linear(2, 4), sj.nn.Sigmoid(), sj.nn.Linear(4, 3))
widths = [2, 4, 3]
edges = sum(a * b for a, b in zip(widths, widths[1:]))  # every node to every node
linears = [net[0], net[2]]
print("edges by counting  : 2*4 + 4*3 =", edges)
print("weights in layers  :", [tuple(layer.weight.shape) for layer in linears], "->",
      sum(layer.weight.numel() for layer in linears))
print("biases (one per neuron of the hidden and output layers):",
      sum(layer.bias.numel() for layer in linears))
print(sj.summary(net, (2,)))

fig, ax = plt.subplots(figsize=(4.5, 3))
position = {(l, i): (l, i - (n - 1) / 2) for l, n in enumerate(widths) for i in range(n)}
for l, layer in enumerate(linears):
    for j, row in enumerate(layer.weight.tolist()):  # weight[j, i]: from node i to neuron j
        for i, w in enumerate(row):
            (x0, y0), (x1, y1) = position[l, i], position[l + 1, j]
            ax.plot([x0, x1], [y0, y1], color="tab:blue" if w > 0 else "tab:red",
                    linewidth=0.5 + 2.5 * abs(w), zorder=1)
for px, py in position.values():
    ax.scatter(px, py, s=300, color="white", edgecolors="black", zorder=2)
ax.set_xticks(range(3), ["input layer", "hidden layer", "output layer"])
ax.set_yticks([])
ax.set_ylim(-2.3, 2.3)
ax.set_frame_on(False)
plt.show()

# %% [markdown]
# ### One neuron is a linear equation
#
# A neuron with six inputs computes
#
# $$w_1 x_1+w_2 x_2+w_3 x_3+w_4 x_4+w_5 x_5+w_6 x_6+b=z$$
#
# and the result $z$ goes through one more function before it is passed to the next layer: the
# **activation function**, for example sigmoid, $a = \operatorname{sigmoid}(z)$. The activation
# must be **non-linear** (section 2 shows why). The cell computes $z$ term by term, as a dot
# product, and with an `nn.Linear(6, 1)` layer given the same weights.

# %% tags=["concept-neuron-linear-equation"]
x = sj.tensor([0.5, -1.0, 2.0, 0.0, 1.5, -0.5])
w = sj.tensor([0.4, 0.3, -0.2, 0.9, 0.1, -0.6])
b = sj.tensor(0.1)
z_terms = sum(w[i] * x[i] for i in range(6)) + b  # w1 x1 + ... + w6 x6 + b
z_dot = w @ x + b
neuron = sj.nn.Linear(6, 1)
with sj.no_grad():
    neuron.weight.copy_(w.reshape(1, 6))  # one row: the six edges into this neuron
    neuron.bias.copy_(b.reshape(1))
z_layer = neuron(x)
print(f"z term by term: {z_terms.item():.4f}   w @ x + b: {z_dot.item():.4f}   "
      f"nn.Linear: {z_layer.item():.4f}")
print(f"a = sigmoid(z) = {sj.sigmoid(z_dot).item():.4f}")

# %% [markdown]
# The note then takes two-dimensional data, where everything can be drawn. With matrices:
#
# $$\left[\begin{array}{l} x_1 \\ x_2 \end{array}\right]^T
#   \cdot\left[\begin{array}{l} w_1 \\ w_2 \end{array}\right]+[b]=[z], \qquad
#   \operatorname{sigmoid}(z)=a$$
#
# Over the plane $(x_1, x_2)$, $a$ is a surface: a smooth cliff from 0 up to 1. Where is
# $a = 0.5$? Where $z = 0$, that is on the **straight line** $w_1x_1 + w_2x_2 + b = 0$. One
# neuron can only split the plane with one straight line.

# %%
x_row = sj.tensor([[1.0, 2.0]])  # [x1, x2], a row: (1, 2)
w_col = sj.tensor([[1.5], [-1.0]])  # [w1, w2]^T, a column: (2, 1)
b = sj.tensor([0.5])
z = x_row @ w_col + b  # (1, 2) @ (2, 1) + (1,) -> (1, 1); this point lies on the line z = 0
print("z =", z.tolist(), "  a =", sj.sigmoid(z).tolist())

grid = sj.linspace(-3.0, 3.0, 61)
G1, G2 = sj.meshgrid(grid, grid, indexing="xy")
points = sj.stack([G1.reshape(-1), G2.reshape(-1)], dim=1)  # (3721, 2): every point of the grid
A = sj.sigmoid(points @ w_col + b).reshape(61, 61)
fig = plt.figure(figsize=(8, 3.4))
ax = fig.add_subplot(1, 2, 1, projection="3d")
ax.plot_surface(G1.numpy(), G2.numpy(), A.numpy(), cmap="viridis", linewidth=0)
ax.set_title("a = sigmoid(1.5 x1 - x2 + 0.5)", fontsize=9)
ax = fig.add_subplot(1, 2, 2)
ax.contourf(G1.numpy(), G2.numpy(), A.numpy(), levels=20, cmap="viridis")
ax.contour(G1.numpy(), G2.numpy(), A.numpy(), levels=[0.5], colors="white")
ax.set_title("seen from above: a = 0.5 is a straight line", fontsize=9)
ax.set_xlabel("x1")
ax.set_ylabel("x2")
ax.set_aspect("equal")
plt.show()

# %% [markdown]
# ### More neurons, more complex surfaces
#
# The note then adds neurons one at a time and watches the surface change. Why does that help?
# Here is a network of 2 inputs, 4 hidden sigmoid neurons and 1 output, with weights **set by
# hand**. Each hidden neuron is a steep cliff along one edge of the square $[-0.5, 0.5]^2$:
# "$x_1 > -0.5$", "$x_1 < 0.5$", "$x_2 > -0.5$", "$x_2 < 0.5$". The output neuron fires only
# where all its inputs are (nearly) 1. With 1 hidden neuron the output is one cliff, with 2 a
# ridge, with 4 a **tower** over the square.
#
# Towers are building blocks: a few thousand of them, each of its own height, can approximate
# any surface over the plane as closely as you like. That is the idea behind the **universal
# approximation theorem**: with enough neurons a network with one hidden layer can approximate
# any continuous function (on a bounded region) arbitrarily well.

# %% tags=["concept-decision-surfaces"]
k = 12.0  # steepness of each cliff
tower = sj.nn.Sequential(sj.nn.Linear(2, 4), sj.nn.Sigmoid(), sj.nn.Linear(4, 1), sj.nn.Sigmoid())
with sj.no_grad():
    tower[0].weight.copy_(sj.tensor([[k, 0.0], [-k, 0.0], [0.0, k], [0.0, -k]]))
    tower[0].bias.copy_(sj.full((4,), k / 2))  # the four cliffs stand at -0.5 and 0.5
grid = sj.linspace(-1.5, 1.5, 61)
G1, G2 = sj.meshgrid(grid, grid, indexing="xy")
points = sj.stack([G1.reshape(-1), G2.reshape(-1)], dim=1)
fig = plt.figure(figsize=(10, 3.2))
for panel, used in enumerate((1, 2, 4)):
    with sj.no_grad():  # the output neuron: "all `used` hidden neurons are on"
        tower[2].weight.copy_(sj.cat([sj.full((1, used), 10.0), sj.zeros(1, 4 - used)], dim=1))
        tower[2].bias.copy_(sj.tensor([-10.0 * (used - 0.5)]))
        height = tower(points).reshape(61, 61)
    ax = fig.add_subplot(1, 3, panel + 1, projection="3d")
    ax.plot_surface(G1.numpy(), G2.numpy(), height.numpy(), cmap="viridis", linewidth=0)
    ax.set_title(f"{used} hidden neuron{'s' if used > 1 else ''}", fontsize=9)
    # height[row, column]: the row is x2, the column x1 (grid index 30 is 0, 0 is -1.5, 60 is 1.5)
    print(f"{used} hidden neuron(s): output at (0, 0) {height[30, 30].item():.3f}, "
          f"at (-1.5, 0) {height[30, 0].item():.3f}, at (1.5, 0) {height[30, 60].item():.3f}, "
          f"at (0, 1.5) {height[60, 30].item():.3f}")
plt.show()

# %% [markdown]
# Now let training choose the weights. `sj.viz.universal_approximation` trains one network with a
# single hidden layer of 1, 2, 4, 8, 16 and 32 neurons on two interleaved spirals (200 points,
# 800 steps each) and draws each **decision surface**: the colour of each point of the plane
# says which class the network chooses there, pale where it is unsure. The title of each panel
# gives the share of points classified correctly (printed below the code, too).

# %% tags=["concept-decision-surfaces"]
X_spirals, y_spirals = sj.datasets.spirals(200)
figure = sj.viz.universal_approximation(X_spirals, y_spirals, hidden=(1, 2, 4, 8, 16, 32),
                                        steps=800)
for ax in figure.axes[:6]:
    print(ax.get_title())
display(figure)

# %% [markdown]
# One hidden neuron can only draw a straight line through the spirals and gets about half the
# points right, no better than a coin. As neurons are added the boundary bends more and more,
# until it winds along both arms: "the more neurons, the more complex the picture; with enough
# neurons any surface can be approximated as closely as we like."
#
# ## 2. Activation functions
#
# The note: *one of the keys to universal approximation is the activation function; the
# complexity of a neural network comes from its activation functions.* Without them, two linear
# layers are just one linear layer: $(xW_1 + b_1)W_2 + b_2 = x(W_1W_2) + (b_1W_2 + b_2)$. The
# cell checks that identity and then trains a 2-32-2 network with and without `Tanh` between its
# layers on the spirals (the same full-batch training as above).

# %%
layer1, layer2 = sj.nn.Linear(2, 32), sj.nn.Linear(32, 2)
W_one = layer1.weight.T @ layer2.weight.T  # nn.Linear computes x @ weight.T + bias
b_one = layer1.bias @ layer2.weight.T + layer2.bias
print("two linear layers == one linear layer, largest difference:",
      (layer2(layer1(X_spirals)) - (X_spirals @ W_one + b_one)).abs().max().item())

fig, axes = plt.subplots(1, 2, figsize=(6.5, 3.3))
for ax, activation in zip(axes, (sj.nn.Identity(), sj.nn.Tanh())):
    sj.manual_seed(0)
    model = sj.nn.Sequential(sj.nn.Linear(2, 32), activation, sj.nn.Linear(32, 2))
    score = sj.viz.surfaces.fit_points(model, X_spirals, y_spirals, steps=800)
    name = type(activation).__name__
    print(f"2-32-2 with {name:8s}: {100 * score:.0f} % of the points right")
    sj.viz.surfaces.draw_surface(ax, model, X_spirals, y_spirals,
                                 title=f"{name}: {100 * score:.0f} %")
plt.show()

# %% [markdown]
# Without an activation, 32 hidden neurons still draw a single straight line. Other common
# activation functions (the next lesson studies them and their derivatives) are drawn by
# `sj.viz.activation_functions()`: each has a bend somewhere, and the bend is what lets
# neurons build cliffs, ridges and towers.

# %%
display(sj.viz.activation_functions())

# %% [markdown]
# ## 3. Back to the neural network
#
# ### Lifting the data into more dimensions
#
# Suppose the data lie in the plane, mixed so that no straight line separates them: two
# concentric circles. Lift them into three dimensions by adding the coordinate
# $x_3 = x_1^2 + x_2^2$ (the squared distance from the centre) and a flat plane separates them.
# A hidden layer can be seen the same way: it maps the data into (here) more dimensions, and
# **with enough dimensions there is always a hyperplane that separates the classes**. The cell
# trains a linear classifier (no hidden layer) on the plane and on the lifted points.

# %%
X_circles, y_circles = sj.datasets.circles(200, noise=0.05)
lifted = sj.cat([X_circles, (X_circles**2).sum(dim=1, keepdim=True)], dim=1)  # (200, 3)
for name, data in (("2-D points", X_circles), ("lifted to 3-D", lifted)):
    sj.manual_seed(0)
    linear = sj.nn.Linear(data.shape[1], 2)
    score = sj.viz.surfaces.fit_points(linear, data, y_circles, steps=500, lr=0.1)
    print(f"one linear layer on the {name:13s}: {100 * score:.0f} % right")

fig = plt.figure(figsize=(7, 3.3))
ax = fig.add_subplot(1, 2, 1)
ax.scatter(*X_circles.T.numpy(), c=y_circles.numpy(), cmap="coolwarm", s=8)
ax.set_aspect("equal")
ax.set_title("in the plane: no straight line", fontsize=9)
ax = fig.add_subplot(1, 2, 2, projection="3d")
ax.scatter(*lifted.T.numpy(), c=y_circles.numpy(), cmap="coolwarm", s=8)
ax.set_title("lifted: a flat plane separates them", fontsize=9)
plt.show()

# %% [markdown]
# ### Several outputs, and softmax as the multi-class sigmoid
#
# A network may have several output nodes, one per class. With two classes the note reads the
# sigmoid as a split of 1 into two parts: $a$ for one case (blue in the note's picture) and
# $1 - a$ for the other (orange). Softmax does the same for any number of classes, so it looks
# like an upgrade of the sigmoid. It is exactly that: softmax of the two scores $(z, 0)$ is
# $\left(\frac{e^z}{e^z + 1}, \frac{1}{e^z + 1}\right) = (\operatorname{sigmoid}(z),
# 1 - \operatorname{sigmoid}(z))$.

# %% tags=["concept-softmax"]
z = sj.linspace(-4.0, 4.0, 9)
two_scores = sj.stack([z, sj.zeros_like(z)], dim=1)  # (9, 2): scores (z, 0)
pair = F.softmax(two_scores, dim=1)
print("softmax(z, 0)[0]:", [round(v, 4) for v in pair[:, 0].tolist()])
print("sigmoid(z)      :", [round(v, 4) for v in sj.sigmoid(z).tolist()])
print("largest difference:", (pair[:, 0] - sj.sigmoid(z)).abs().max().item())

three = net(sj.tensor([[0.5, -1.0]])).detach()  # the 2-4-3 network of section 1: three scores
print("three output scores:", three, "-> softmax:", F.softmax(three, dim=1),
      "sum", F.softmax(three, dim=1).sum().item())

# %% [markdown]
# ### The whole network, by hand and with layers
#
# Hidden layers make the model more complex: they can lift the data or compress it, and the
# deeper they go the more abstract what they represent. The note writes a network with two
# ReLU hidden layers and a softmax output (no biases) as a chain of formulas; the subscripts
# $i, j, k$ number the neurons of each layer:
#
# $$\begin{aligned}
# & \operatorname{ReLU}\left(X \cdot W^{[1]}\right)=A^{[1]}, &
#   f_k^{[1]}\left(w_k^{[1]}\right)=a_k^{[1]} \\
# & \operatorname{ReLU}\left(A^{[1]} \cdot W^{[2]}\right)=A^{[2]}, &
#   f_j^{[2]}\left(A^{[1]}, w_j^{[2]}\right)=a_j^{[2]} \\
# & \operatorname{softmax}\left(A^{[2]} \cdot W^{[3]}\right) = A^{[3]}, &
#   f_i^{[3]}\left(A^{[2]}, w_i^{[3]}\right)=a_i^{[3]}
# \end{aligned}$$
#
# $\operatorname{ReLU}(x) = \max(0, x)$ is another activation function. Here the network has 2
# inputs, two hidden layers of 4 neurons and 3 outputs, and reads 5 points at once: each row of
# $X$ is one point, so each row of $A^{[3]}$ is one point's three class probabilities.

# %% tags=["concept-forward-by-hand"]
X = sj.randn(5, 2)  # five points (rows), two coordinates each
W1, W2, W3 = sj.randn(2, 4), sj.randn(4, 4), sj.randn(4, 3)
Z1 = X @ W1  # (5, 2) @ (2, 4) -> (5, 4)
A1 = Z1.clamp(min=0)  # ReLU: max(0, z)
Z2 = A1 @ W2  # (5, 4) @ (4, 4) -> (5, 4)
A2 = Z2.clamp(min=0)
Z3 = A2 @ W3  # (5, 4) @ (4, 3) -> (5, 3): three scores per point
E = sj.exp(Z3 - Z3.max(dim=1, keepdim=True).values)  # the max subtracted, as in section 0
A3 = E / E.sum(dim=1, keepdim=True)  # softmax of each row
print("A3 (one row per point):\n", A3)
print("row sums:", A3.sum(dim=1))

# %% [markdown]
# The same network from layers: `nn.Linear(2, 4, bias=False)` and so on. One detail: a layer
# keeps its weight as `(out_features, in_features)`, one row per neuron (the edges *into* it),
# and computes $X \cdot \text{weight}^T$; so the note's $W^{[1]}$ is `weight.T`.

# %% tags=["concept-forward-layer"]
model = sj.nn.Sequential(
    sj.nn.Linear(2, 4, bias=False), sj.nn.ReLU(),
    sj.nn.Linear(4, 4, bias=False), sj.nn.ReLU(),
    sj.nn.Linear(4, 3, bias=False), sj.nn.Softmax(dim=1),
)
with sj.no_grad():
    for layer, W_note in zip((model[0], model[2], model[4]), (W1, W2, W3)):
        layer.weight.copy_(W_note.T)
print(model)
print("max |model(X) - A3 by hand|:", (model(X) - A3).abs().max().item())

# %% [markdown]
# ### Model, strategy, algorithm
#
# Machine learning has three elements: the **model**, the **strategy** and the **algorithm**.
# The hidden layers settle the model. The output layer settles the strategy: what counts as a
# good answer, measured by a loss. For softmax outputs the usual loss is the cross-entropy, the
# mean over the points of $-\log$ (the probability given to the true class). The algorithm is
# **backpropagation**, and its core is **gradient descent**: move every weight a small step
# against its gradient,
#
# $$w \leftarrow w - \eta\, \nabla f(w),$$
#
# where $\nabla f$ ("nabla f") is the gradient, the vector of partial derivatives of $f$, which
# points uphill. The step size $\eta$ is the **learning rate**, a *hyperparameter*: we set it,
# the network does not learn it. Too small and the minimum is reached slowly; too large and the
# steps jump back and forth across it and never converge. The cell runs 20 steps on
# $f(w) = w^2$ (gradient $2w$, found by autograd) from $w = 4$ with four learning rates.

# %% tags=["concept-gradient-descent"]
rates = {"too small": 0.02, "good": 0.3, "large": 0.9, "too large": 1.05}
fig, axes = plt.subplots(1, 4, figsize=(11, 2.8), sharey=True)
curve = sj.linspace(-6.0, 6.0, 121)
for ax, (name, eta) in zip(axes, rates.items()):
    w = sj.tensor(4.0, requires_grad=True)
    path = [w.item()]
    for _ in range(20):
        f = w**2
        f.backward()  # w.grad = df/dw = 2w
        with sj.no_grad():
            w -= eta * w.grad  # the gradient descent step
        w.grad = None
        path.append(w.item())
    print(f"eta = {eta:4}  ({name:9s}): w after 20 steps = {path[-1]:10.4f}")
    ax.plot(curve.numpy(), (curve**2).numpy(), color="0.7")
    ax.plot(path, [p**2 for p in path], "o-", markersize=3)
    ax.set_title(f"eta = {eta} ({name})", fontsize=9)
    ax.set_xlim(-6, 6)
    ax.set_ylim(0, 36)
plt.show()

# %% [markdown]
# With $\eta = 0.9$ the steps already jump from side to side of the minimum but still shrink;
# past $\eta = 1$ each jump is longer than the last and $w$ runs away.
#
# ### The gradient of the whole network
#
# To train the network of the formulas we need the gradient of the loss with respect to
# $W^{[1]}, W^{[2]}, W^{[3]}$. The note treats the network as a black box of the formulas above
# and stops here ("I didn't follow the rest"). The rest is the **chain rule**, applied from the
# output back to the input (this is backpropagation). For softmax with the mean cross-entropy
# over $N$ points and the one-hot labels $T$, the gradient of the loss with respect to the
# scores is simply $(A^{[3]} - T)/N$. Then, layer by layer:
#
# $$\frac{\partial L}{\partial W^{[3]}} = A^{[2]T} \frac{\partial L}{\partial Z^{[3]}},\quad
#   \frac{\partial L}{\partial A^{[2]}} = \frac{\partial L}{\partial Z^{[3]}} W^{[3]T},\quad
#   \frac{\partial L}{\partial Z^{[2]}} = \frac{\partial L}{\partial A^{[2]}} \odot
#   [Z^{[2]} > 0],$$
#
# and the same again for $W^{[2]}$ and $W^{[1]}$: ReLU lets the gradient through where the
# neuron was active and stops it elsewhere.

# %% tags=["concept-gradient-by-hand"]
t = sj.tensor([0, 2, 1, 1, 0])  # the true class of each of the five points
N = X.shape[0]
T = F.one_hot(t, 3).float()
loss = -(T * A3.log()).sum() / N  # mean cross-entropy
dZ3 = (A3 - T) / N  # (5, 3)
gW3 = A2.T @ dZ3  # (4, 5) @ (5, 3) -> (4, 3), the shape of W3
dZ2 = (dZ3 @ W3.T) * (Z2 > 0).float()  # back through W3, then through ReLU
gW2 = A1.T @ dZ2  # (4, 4)
dZ1 = (dZ2 @ W2.T) * (Z1 > 0).float()
gW1 = X.T @ dZ1  # (2, 5) @ (5, 4) -> (2, 4)
print(f"loss = {loss.item():.4f}")
print("dL/dW1 by hand:\n", gW1)

# %% [markdown]
# Autograd does the same walk backwards through the graph that the forward pass recorded. We
# ask it twice: on the formula with $W^{[1]}, W^{[2]}, W^{[3]}$ as leaves, and on the layers
# (whose gradients are transposed, like their weights). `F.cross_entropy` takes the *scores*
# $Z^{[3]}$ and applies softmax itself, in a numerically stable way.

# %% tags=["concept-gradient-autograd"]
leaves = [W.clone().requires_grad_(True) for W in (W1, W2, W3)]
scores = ((X @ leaves[0]).relu() @ leaves[1]).relu() @ leaves[2]
F.cross_entropy(scores, t).backward()

model.zero_grad()
F.nll_loss(model(X).log(), t).backward()  # the layers end in softmax: -log of the probability

print(f"{'weight':7s}{'by hand vs formula':>20s}{'by hand vs layers':>20s}")
for name, by_hand, leaf, layer in zip(("W1", "W2", "W3"), (gW1, gW2, gW3), leaves,
                                      (model[0], model[2], model[4])):
    print(f"{name:7s}{(by_hand - leaf.grad).abs().max().item():20.2e}"
          f"{(by_hand - layer.weight.grad.T).abs().max().item():20.2e}")

# %% [markdown]
# The third check needs no calculus at all: nudge one weight up and down by a tiny $\epsilon$
# and watch the loss, $\frac{L(w + \epsilon) - L(w - \epsilon)}{2\epsilon}$.
# `sj.autograd.gradcheck` does that for every entry (in float64, where such small differences
# are still exact enough) and compares with autograd.

# %% tags=["concept-gradcheck"]
X64 = X.double()


def loss_of(W1, W2, W3):
    return F.cross_entropy(((X64 @ W1).relu() @ W2).relu() @ W3, t)


weights64 = [W.double().requires_grad_(True) for W in (W1, W2, W3)]
print("gradcheck passes:", sj.autograd.gradcheck(loss_of, weights64))

eps = 1e-6  # one entry by hand: W1[0, 1]
up, down = [W.detach().clone() for W in weights64], [W.detach().clone() for W in weights64]
up[0][0, 1] += eps
down[0][0, 1] -= eps
numeric = (loss_of(*up) - loss_of(*down)).item() / (2 * eps)
print(f"dL/dW1[0, 1]: by hand {gW1[0, 1].item():.6f}   autograd {leaves[0].grad[0, 1].item():.6f}"
      f"   finite differences {numeric:.6f}")

# %% [markdown]
# ### Gradient descent on the network
#
# With the gradient, one step of training is the note's formula applied to every weight. The
# cell makes three steps by hand with the gradients from autograd and three with
# `sj.optim.SGD`, which does exactly the same: the weights agree.

# %% tags=["concept-gradient-descent"]
eta = 0.1
by_hand_weights = [W.clone().requires_grad_(True) for W in (W1, W2, W3)]
optimized = [W.clone().requires_grad_(True) for W in (W1, W2, W3)]
optimizer = sj.optim.SGD(optimized, lr=eta)
for step in range(3):
    loss = F.cross_entropy(((X @ by_hand_weights[0]).relu() @ by_hand_weights[1]).relu()
                           @ by_hand_weights[2], t)
    loss.backward()
    with sj.no_grad():
        for W in by_hand_weights:
            W -= eta * W.grad  # w <- w - eta * grad f(w)
            W.grad = None
    optimizer.zero_grad()
    F.cross_entropy(((X @ optimized[0]).relu() @ optimized[1]).relu() @ optimized[2], t).backward()
    optimizer.step()
    gap = max((a - b).abs().max().item() for a, b in zip(by_hand_weights, optimized))
    print(f"step {step + 1}: loss before the step {loss.item():.4f}, "
          f"largest difference by hand vs SGD {gap:.1e}")

# %% [markdown]
# Finally a real training run: a 2-16-2 `Tanh` network learns the two circles of the lifting
# example with full-batch gradient descent, 300 steps, with three learning rates. Learning
# rates of a network are not those of $w^2$; what is too small or too large depends on the
# problem, and that is why $\eta$ is tuned by hand.

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 3.3))
for eta, name in ((0.05, "too small"), (1.0, "good"), (30.0, "too large")):
    sj.manual_seed(0)
    circle_net = sj.nn.Sequential(sj.nn.Linear(2, 16), sj.nn.Tanh(), sj.nn.Linear(16, 2))
    optimizer = sj.optim.SGD(circle_net.parameters(), lr=eta)
    losses = []
    for _ in range(300):
        loss = F.cross_entropy(circle_net(X_circles), y_circles)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    accuracy = sj.viz.surfaces.accuracy(circle_net, X_circles, y_circles)
    last = losses[-50:]
    print(f"eta = {eta:4}: loss {losses[0]:.3f} at the start, {losses[-1]:.3f} at the end, "
          f"between {min(last):.3f} and {max(last):.3f} over the last 50 steps; "
          f"{100 * accuracy:.0f} % right")
    axes[0].plot(losses, label=f"eta = {eta} ({name})")
    if name == "good":
        sj.viz.surfaces.draw_surface(axes[1], circle_net, X_circles, y_circles,
                                     title=f"eta = {eta}: {100 * accuracy:.0f} % right")
axes[0].set_yscale("log")
axes[0].set_xlabel("step")
axes[0].set_ylabel("loss")
axes[0].legend(fontsize=8)
plt.show()

# %% [markdown]
# The small rate learns slowly: after 300 steps its loss has fallen only a little and many points
# are still wrong; the good one finds the circles; with the large one the loss keeps leaping up
# and down over the last 50 steps and never settles: the note's "jumping back and forth without
# converging".
#
# ## Exercises
#
# Run the next cell first: it defines the checks.

# %% tags=["checker"]
def _number(answer, name):
    """``answer`` as a float, or an AssertionError that says what was expected."""
    if isinstance(answer, sj.Tensor):
        assert answer.numel() == 1, (
            f"{name} should be one number, got a tensor of shape {tuple(answer.shape)}")
        answer = answer.item()
    assert isinstance(answer, (int, float, np.floating, np.integer)) and not isinstance(
        answer, bool), f"{name} should be one number (a float), got {type(answer).__name__}"
    return float(answer)


def _close(a, b):
    return abs(a - b) <= 1e-4 * max(1.0, abs(b))


def exercise_1_data():
    """The six inputs, six weights and the bias of exercise 1."""
    return (sj.tensor([1.0, 2.0, -1.0, 0.5, 0.0, 3.0]),
            sj.tensor([0.2, -0.4, 0.1, 0.6, 1.0, -0.1]), sj.tensor(0.5))


def check_1(answer):
    if answer is None:
        print("Exercise 1 is not answered yet: set answer_1 to the neuron's output a (a float).")
        return
    answer = _number(answer, "answer_1")
    x, w, b = exercise_1_data()
    z = (w * x).sum() + b
    assert not _close(answer, z.item()), (
        "that is z, the linear part: the neuron still has to apply its activation function")
    assert not _close(answer, sj.sigmoid((w * x).sum()).item()), "did you forget the bias b?"
    assert not _close(answer, sj.sigmoid(-z).item()), (
        "check the sign in the exponent: sigmoid(z) = 1 / (1 + e^(-z))")
    assert 0 < answer < 1, "a sigmoid output always lies between 0 and 1"
    assert _close(answer, sj.sigmoid(z).item()), (
        "not quite: compute z = w1 x1 + ... + w6 x6 + b first, then sigmoid(z)")
    print("Exercise 1: right!")


def check_2(answer):
    if answer is None:
        print("Exercise 2 is not answered yet: set answer_2 to the softmax of the scores "
              "(a tensor of shape (4,)).")
        return
    assert isinstance(answer, sj.Tensor), (
        f"answer_2 should be a tensor (sj.Tensor), got {type(answer).__name__}")
    assert tuple(answer.shape) == (4,), (
        f"answer_2 has shape {tuple(answer.shape)}: softmax gives one probability per score, "
        "so the shape is (4,)")
    scores = sj.tensor([3.0, 1.0, 0.2, -2.0])
    expected = sj.exp(scores) / sj.exp(scores).sum()
    answer = answer.detach().to(expected.dtype)
    assert bool((answer > 0).all()), "every softmax probability is positive: use e^(score)"
    assert abs(answer.sum().item() - 1) < 1e-4, (
        f"the probabilities add up to {answer.sum().item():.4f}, not 1: divide by the sum")
    assert sj.allclose(answer, expected, rtol=1e-4, atol=1e-6), (
        "not quite: each entry is e^(score) divided by the sum of e^(score) over all four")
    print("Exercise 2: right!")


def check_3(answer):
    if answer is None:
        print("Exercise 3 is not answered yet: set answer_3 to w after three steps (a float).")
        return
    answer = _number(answer, "answer_3")

    def descend(steps, sign=-1.0):  # w <- w + sign * eta * f'(w), f(w) = (w - 3)^2
        w = 0.0
        for _ in range(steps):
            w += sign * 0.1 * 2 * (w - 3)
        return w

    assert not _close(answer, descend(3, sign=+1.0)), (
        "w moved away from the minimum: gradient DESCENT subtracts eta times the gradient")
    assert not _close(answer, 3.0), (
        "3 is where f is smallest, but three small steps do not get there yet")
    assert not any(_close(answer, descend(n)) for n in (1, 2, 4)), (
        "count the steps again: exactly three updates, starting from w = 0")
    assert _close(answer, descend(3)), (
        "not quite: the gradient of (w - 3)^2 is 2 (w - 3); apply w <- w - 0.1 * gradient "
        "three times")
    print("Exercise 3: right!")


# %% [markdown]
# **Exercise 1 (one neuron).** `exercise_1_data()` gives a neuron's six inputs $x$, its six
# weights $w$ and its bias $b$. Compute its output $a = \operatorname{sigmoid}(w_1x_1 + \dots +
# w_6x_6 + b)$ by hand with tensors (no `nn.Linear`). Give a float.

# %% tags=["exercise-1"]
x1, w1, b1 = exercise_1_data()
print("x:", x1.tolist(), " w:", [round(v, 4) for v in w1.tolist()], " b:", b1.item())
answer_1 = None  # your answer here

# %% tags=["check-1"]
check_1(answer_1)

# %% [markdown]
# **Exercise 2 (softmax).** A network gives the four scores $(3.0, 1.0, 0.2, -2.0)$. Compute
# their softmax by hand, with `sj.exp` and a sum (no `F.softmax`). Give a tensor of shape (4,).

# %% tags=["exercise-2"]
scores2 = sj.tensor([3.0, 1.0, 0.2, -2.0])
answer_2 = None  # your answer here

# %% tags=["check-2"]
check_2(answer_2)

# %% [markdown]
# **Exercise 3 (gradient descent).** Minimise $f(w) = (w - 3)^2$ by gradient descent with the
# learning rate $\eta = 0.1$, starting from $w = 0$. What is $w$ after three steps? Give a float
# (by hand, or with autograd as in section 3).

# %% tags=["exercise-3"]
answer_3 = None  # your answer here

# %% tags=["check-3"]
check_3(answer_3)

# %% [markdown]
# ## Solutions
#
# **Exercise 1.** The linear equation first, then the activation function.

# %% tags=["solution-1"]
z1 = (w1 * x1).sum() + b1
answer_1 = (1 / (1 + sj.exp(-z1))).item()
print(f"z = {z1.item():.4f}, a = {answer_1:.4f}")
check_1(answer_1)

# %% [markdown]
# **Exercise 2.** Exponentials, divided by their sum (subtracting the largest score first changes
# nothing and keeps the exponentials small).

# %% tags=["solution-2"]
e2 = sj.exp(scores2 - scores2.max())
answer_2 = e2 / e2.sum()
print(answer_2, "sum", answer_2.sum().item())
check_2(answer_2)

# %% [markdown]
# **Exercise 3.** $f'(w) = 2(w - 3)$, so each step is $w \leftarrow w - 0.2(w - 3)$: the distance
# to 3 shrinks by the factor 0.8 each time, $w_n = 3 - 3 \cdot 0.8^n$. Autograd gives the same.

# %% tags=["solution-3"]
w3 = sj.tensor(0.0, requires_grad=True)
for step in range(3):
    ((w3 - 3) ** 2).backward()
    with sj.no_grad():
        w3 -= 0.1 * w3.grad
    w3.grad = None
    print(f"after step {step + 1}: w = {w3.item():.4f}")
answer_3 = w3.item()
print("closed form 3 - 3 * 0.8**3 =", 3 - 3 * 0.8**3)
check_3(answer_3)
