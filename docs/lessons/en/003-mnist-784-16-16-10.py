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
# # Lesson 4: the 784-16-16-10 network that reads handwritten digits
#
# This lesson follows the study note on 3Blue1Brown's video *But what is a neural network?*
# (and its sequels on gradient descent and backpropagation). The network is the plainest kind
# there is, a **multilayer perceptron** (MLP): layers of neurons, each neuron connected to every
# neuron of the layer before. We build the note's network, 784 inputs, two hidden layers of 16
# neurons and 10 outputs, and follow the note step by step:
#
# 1. neurons, and a 28x28 image flattened into the 784 neurons of the first layer;
# 2. what one neuron computes: a weighted sum, a bias, a sigmoid;
# 3. the whole network in matrix form, and its 13,002 parameters;
# 4. the cost, which says how bad the network is;
# 5. gradient descent on that cost, a function of 13,002 numbers;
# 6. backpropagation, for one image of a 2: the gradient by hand, by autograd, by finite
#    differences;
# 7. mini-batch stochastic gradient descent on real MNIST, and the first layer's weights seen
#    as images.
#
# So that the lesson runs in seconds on a CPU, we train on a subset of MNIST (the first 20,000
# of its 60,000 training images) and test on all 10,000 test images.

# %% tags=["setup"]
import matplotlib.pyplot as plt
import numpy as np

import shenjing as sj
import shenjing.nn.functional as F

sj.manual_seed(0)
rng = np.random.default_rng(0)
sj.set_num_threads(1)  # small matrices: one BLAS thread beats threads fighting for cores
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Neurons, and an image flattened into 784 of them
#
# For now a **neuron** is simply a container that holds one number between 0 and 1, its
# *activation*. A grey image of 28x28 pixels, flattened into one row, gives
# $28 \times 28 = 784$ numbers: these are the 784 neurons of the network's first layer, each as
# bright as its pixel. The layer at the far end has 10 neurons, one per digit; the layers in
# between are the **hidden layers**, and what they come to recognise is a product of training.
#
# `sj.datasets.MNIST` reads the handwritten digits (60,000 to train on, 10,000 to test on),
# as `torchvision.datasets.MNIST` does. Let us flatten the first 9 of the training set.

# %%
train = sj.datasets.MNIST(train=True, download=True)
test = sj.datasets.MNIST(train=False, download=True)
print("training images:", tuple(train.data.shape), " test images:", tuple(test.data.shape))

nine = int((train.targets == 9).nonzero()[0, 0])  # the index of the first 9
image = train.data[nine].float() / 255            # (28, 28) grey values in [0, 1]
a0 = image.reshape(784)                           # flattened: the first layer's 784 activations
print(f"image number {nine + 1} (index {nine}) is a {int(train.targets[nine])}: "
      f"{a0.numel()} input neurons, {int((a0 > 0.5).sum())} of them brighter than 0.5")

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 2.2), width_ratios=[1, 4])
left.imshow(image.numpy(), cmap="gray_r")
left.set_title("28 x 28")
left.axis("off")
right.plot(a0.numpy(), linewidth=0.7)
right.set_title("the same image as 784 numbers in a row")
right.set_xlabel("input neuron")
plt.show()

# %% [markdown]
# ## 2. What one neuron computes
#
# Every connection between two neurons carries a **weight**. A neuron of the second layer takes
# the weighted sum of all 784 activations, adds a **bias** $b$ (a threshold: how large the sum
# must be before the neuron lights up) and squeezes the result into $(0, 1)$ with the sigmoid:
#
# $$a = \sigma(w_1 a_1 + w_2 a_2 + \dots + w_{784} a_{784} + b), \qquad
# \sigma(z) = \frac{1}{1 + e^{-z}}.$$
#
# The note's example: to detect a short horizontal stroke, give positive weights (green) to the
# pixels of the stroke, negative weights (red) to the pixels just above it, where an edge should
# be dark, and zero weights elsewhere. If the image has ink on the stroke and none above it, the
# positive weights add up and the negative ones find nothing to subtract: the sum is large. Each
# neuron is a function from 784 numbers to one.

# %%
w = sj.zeros(28, 28)
w[7:9, 11:21] = 1.0    # the stroke: ink here raises the sum
w[4:7, 11:21] = -1.0   # just above it: ink here lowers it
b = -5.0               # the neuron fires only when the weighted sum passes 5

for index in (nine, 3, 5):  # the 9, a 1, a 2 of the training set
    x = train.data[index].float().reshape(784) / 255
    z = (w.reshape(784) * x).sum() + b
    print(f"a {int(train.targets[index])}: weighted sum + b = {float(z):+6.2f}, "
          f"activation = {float(sj.sigmoid(z)):.3f}")

fig, axes = plt.subplots(1, 4, figsize=(8, 2))
axes[0].imshow(w.numpy(), cmap="PiYG", vmin=-1, vmax=1)  # red-pink < 0 < green
axes[0].set_title("weights")
for ax, index in zip(axes[1:], (nine, 3, 5)):
    ax.imshow(train.data[index].numpy(), cmap="gray_r")
    ax.contour(w.numpy(), levels=[-0.5, 0.5], colors=["red", "green"], linewidths=0.8)
    ax.set_title(f"a {int(train.targets[index])}")
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# The 9 and the 2 both have a horizontal bar at the top, and the neuron fires for both; the 1
# has ink above the stroke too, which the red weights subtract. A hand-made detector like this
# is only a picture to help understanding: a trained network chooses its own weights (section 7
# shows what they look like).
#
# ## 3. The whole network: 784-16-16-10 and its 13,002 parameters
#
# Write the activations of a layer as a column vector and the weights of each neuron of the
# next layer as a row of a matrix $W$: one matrix product computes every weighted sum at once,
# and the whole layer is
#
# $$a^{(1)} = \sigma\!\left(W^{(1)} a^{(0)} + b^{(1)}\right), \qquad
# W^{(1)} \in \mathbb{R}^{16 \times 784},\; b^{(1)} \in \mathbb{R}^{16},$$
#
# with $\sigma$ applied to each entry. The network chains three such layers,
# 784 → 16 → 16 → 10. Counting weights and biases:
#
# $$784 \cdot 16 + 16 \;+\; 16 \cdot 16 + 16 \;+\; 16 \cdot 10 + 10 = 13\,002.$$
#
# In shenjing, as in PyTorch, a layer `sj.nn.Linear(784, 16)` holds $W$ and $b$ and computes
# $W a + b$; `sj.nn.Sigmoid()` applies $\sigma$. `sj.summary` lists the layers and counts the
# parameters.

# %% tags=["concept-mnist-784-16-16-10"]
def make_network():
    """The note's network: every neuron, outputs included, holds a number in (0, 1)."""
    return sj.nn.Sequential(
        sj.nn.Linear(784, 16), sj.nn.Sigmoid(),  # first hidden layer
        sj.nn.Linear(16, 16), sj.nn.Sigmoid(),   # second hidden layer
        sj.nn.Linear(16, 10), sj.nn.Sigmoid(),   # output layer: one neuron per digit
    )


sj.manual_seed(0)
model = make_network()
table = sj.summary(model, (784,))
print(table)
by_hand = 784 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10
print("counted by hand:", by_hand, "  counted by sj.summary:", table.total_params)

# %% [markdown]
# The network is a function from 784 numbers to 10, with 13,002 knobs. Let us compute it by
# hand, layer by layer, with the layer's own weights: `model[0]` is the first `Linear`.

# %% tags=["concept-forward-by-hand"]
W1, b1 = model[0].weight, model[0].bias  # (16, 784), (16,)
W2, b2 = model[2].weight, model[2].bias  # (16, 16), (16,)
W3, b3 = model[4].weight, model[4].bias  # (10, 16), (10,)

a1 = sj.sigmoid(W1 @ a0 + b1)  # (16, 784) @ (784,) -> (16,)
a2 = sj.sigmoid(W2 @ a1 + b2)  # (16, 16) @ (16,) -> (16,)
a3 = sj.sigmoid(W3 @ a2 + b3)  # (10, 16) @ (16,) -> (10,)
print("output by hand:   ", a3.detach().numpy())

# %% tags=["concept-forward-layer"]
output = model(a0.reshape(1, 784))[0]  # the layers take a batch: (1, 784) -> (1, 10)
print("output by layers: ", output.detach().numpy())
print("the same:", sj.allclose(a3, output))
print("brightest output neuron, the network's answer:", int(output.argmax()),
      f"(the image is a {int(train.targets[nine])}; the weights are still random)")

# %% [markdown]
# ## 4. The cost: how bad is the network?
#
# The weights start as random numbers, so the network's answers are poor. To say *how* poor,
# with one number the computer can work with, compare the 10 outputs with what they should be:
# $y$ has a 1 for the right digit and 0 elsewhere (one-hot). The cost of one image is the sum of
# the squared differences, and the **cost** of the network is its average over all $n$ training
# images:
#
# $$C_x = \sum_{j=0}^{9} \left(a^{(3)}_j - y_j\right)^2, \qquad
# C = \frac{1}{n} \sum_{x} C_x.$$
#
# Small when the network answers correctly and confidently, large when it is wrong.
# (`F.mse_loss` averages over the 10 outputs as well, so $C$ is 10 times its value.)

# %% tags=["concept-cost"]
y = F.one_hot(train.targets[nine], 10).float()  # 1 at position 9, 0 elsewhere
print("target y:", y.numpy())
print(f"cost of this one 9: {float(((a3 - y) ** 2).sum()):.4f}")

N = 20_000  # the subset we train on: the first 20,000 training images
X = train.data[:N].reshape(N, 784).float() / 255  # (N, 784)
Y = F.one_hot(train.targets[:N], 10).float()     # (N, 10)


def cost(network, X, Y):
    """The average over the images of the summed squared errors of the 10 outputs."""
    return ((network(X) - Y) ** 2).sum(dim=1).mean()


print(f"cost over the {N} images:  {float(cost(model, X, Y)):.4f}")
print(f"10 * F.mse_loss:            {float(10 * F.mse_loss(model(X), Y)):.4f}")

# %% [markdown]
# ## 5. Gradient descent
#
# Seen from training, the cost is a function whose **inputs are the 13,002 weights and biases**
# (the training images are fixed, they are its parameters) and whose output is one number. To
# make it small, go downhill: the **gradient** $\nabla C$, a vector of 13,002 partial
# derivatives, points to where $C$ rises fastest, so take a small step the other way,
#
# $$w \leftarrow w - \eta \, \nabla C(w),$$
#
# and repeat. Because $C$ averages over all training images, each step makes the network better
# *on the whole*, not on one image. This is what learning means here: minimising a cost.
#
# The gradient also says which changes are worth the most: if $\nabla C = (3, 1)$, nudging the
# first variable changes $C$ three times as much as nudging the second. Below: the gradient
# (computed by autograd: `cost.backward()`), the cost change from nudging the parameter with the
# largest partial derivative and one with a small one, then steps of **full-batch** gradient
# descent, each on all 20,000 images.

# %% tags=["concept-gradient-descent"]
C = cost(model, X, Y)
model.zero_grad()
C.backward()
gradient = sj.cat([p.grad.reshape(-1) for p in model.parameters()])  # (13002,)
print("the gradient has", gradient.numel(), "entries")


def nudge(k, amount):
    """Add ``amount`` to the k-th of the 13,002 numbers (the parameters in order, flattened)."""
    for p in model.parameters():
        if k < p.numel():
            with sj.no_grad():
                p.view(-1)[k] += amount
            return
        k -= p.numel()


eps = 1e-2
for name, k in (("largest", int(gradient.abs().argmax())),
                ("smallest", int(gradient.abs().argmin()))):
    step = -eps if float(gradient[k]) >= 0 else eps  # downhill, on this one parameter only
    nudge(k, step)
    with sj.no_grad():
        change = float(cost(model, X, Y) - C)
    nudge(k, -step)  # and back
    print(f"{name:>8} |dC/dw| = {abs(float(gradient[k])):.1e}: a nudge of {eps} changes C "
          f"by {change:+.1e}")
dark = int((X.amax(dim=0) == 0).sum())  # pixels that are 0 in every one of the images
print(f"{int((gradient == 0).sum())} partial derivatives are exactly 0; {dark} of the 784 "
      f"pixels are dark in all {N} images, and 16 * {dark} = {16 * dark}")

optimizer = sj.optim.SGD(model.parameters(), lr=3.0)  # w <- w - 3.0 * gradient
gd_costs = []
for step in range(30):
    C = cost(model, X, Y)
    optimizer.zero_grad()
    C.backward()
    optimizer.step()
    gd_costs.append(float(C))
    if step % 5 == 0 or step == 29:
        print(f"step {step:2d}: C = {float(C):.4f}")

# %% [markdown]
# The nudge of the parameter with the largest partial derivative changes the cost by about
# $|\partial C / \partial w| \times 0.01$, as the gradient promised. Some partial derivatives
# are exactly zero: a first-layer weight that comes from a pixel which is dark (0) in every
# training image is multiplied by 0 every time, so it cannot change the cost at all.
#
# The cost falls fast at first, then hardly moves: all outputs have settled near the same small
# value, a plateau where the gradient is weak. Section 7 shows a cheaper and much faster way to
# go down. First: where does the gradient come from?
#
# ## 6. Backpropagation, one image of a 2
#
# Gradient descent uses every image, but look at one, a 2, and at the network as the last steps
# left it. We want the output neuron of 2 to rise and the nine others to fall, and how much each
# matters is $\partial C_x / \partial a^{(3)}_j = 2 (a^{(3)}_j - y_j)$: an output that is already
# near its target asks for little.

# %% tags=["concept-gradient-by-hand"]
two = int((train.targets == 2).nonzero()[0, 0])  # the first 2 of the training set
x2 = train.data[two].reshape(784).float() / 255
y2 = F.one_hot(train.targets[two], 10).float()
W1, b1, W2, b2, W3, b3 = [p.detach() for p in model.parameters()]

a1 = sj.sigmoid(W1 @ x2 + b1)  # forward, keeping every activation
a2 = sj.sigmoid(W2 @ a1 + b2)
a3 = sj.sigmoid(W3 @ a2 + b3)
dC_da3 = 2 * (a3 - y2)  # negative: this neuron should go up; positive: down
print("digit  output  target  dC/da")
for j in range(10):
    print(f"{j:5d}  {float(a3[j]):.3f}  {float(y2[j]):6.0f}  {float(dC_da3[j]):+.3f}")

# Back through each layer, with sigma'(z) = a (1 - a):
d3 = dC_da3 * a3 * (1 - a3)   # dC/dz3, (10,)
g_b3 = d3                     # (1) raise the bias
g_W3 = sj.outer(d3, a2)       # (2) change the weights, most those of bright neurons a2_k
dC_da2 = W3.T @ d3            # (3) what each output wishes of layer 2, summed over the ten
d2 = dC_da2 * a2 * (1 - a2)   # and the same again, one layer back
g_b2, g_W2 = d2, sj.outer(d2, a1)
d1 = (W2.T @ d2) * a1 * (1 - a1)
g_b1, g_W1 = d1, sj.outer(d1, x2)
by_hand = [g_W1, g_b1, g_W2, g_b2, g_W3, g_b3]
print("gradient shapes:", [tuple(g.shape) for g in by_hand])

# %% [markdown]
# The three ways to raise the 2's neuron are all in those lines: (1) raise its bias,
# (2) raise its weights, most those that come from bright neurons (the gradient of $w_{jk}$ is
# proportional to $a^{(2)}_k$), (3) change the activations of the layer before, in proportion to
# the weights. Every output neuron has its wishes for the layer before; adding them up
# ($W^\top \delta$) gives what layer 2 should do, and the same reasoning is repeated one layer
# back. Formally, with $z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}$:
#
# $$\delta^{(l)} = \frac{\partial C_x}{\partial z^{(l)}}
# = \frac{\partial C_x}{\partial a^{(l)}} \odot a^{(l)} (1 - a^{(l)}), \quad
# \frac{\partial C_x}{\partial b^{(l)}} = \delta^{(l)}, \quad
# \frac{\partial C_x}{\partial W^{(l)}} = \delta^{(l)} \left(a^{(l-1)}\right)^{\!\top}, \quad
# \frac{\partial C_x}{\partial a^{(l-1)}} = \left(W^{(l)}\right)^{\!\top} \delta^{(l)}.$$
#
# Autograd does exactly this, walking the graph of the forward computation backwards:

# %% tags=["concept-gradient-autograd"]
cost_two = ((model(x2.reshape(1, 784))[0] - y2) ** 2).sum()
model.zero_grad()
cost_two.backward()
names = [name for name, _ in model.named_parameters()]
for name, p, g in zip(names, model.parameters(), by_hand):
    print(f"{name:9s} {str(tuple(p.shape)):10s} max |autograd - by hand| = "
          f"{float((p.grad - g).abs().max()):.1e}")
print("dC/db3 by hand | by autograd")
for j in range(10):
    print(f"   {float(g_b3[j]):+.6f} | {float(model[4].bias.grad[j]):+.6f}")

# %% [markdown]
# A third, independent check: `sj.autograd.gradcheck` nudges each of the 13,002 parameters up
# and down by a tiny amount (central finite differences, in float64) and compares the slopes
# with backward's gradient.

# %% tags=["concept-gradcheck"]
x64, y64 = x2.double(), y2.double()
params64 = [p.detach().double().requires_grad_() for p in model.parameters()]


def cost_of_two(W1, b1, W2, b2, W3, b3):
    a1 = sj.sigmoid(W1 @ x64 + b1)
    a2 = sj.sigmoid(W2 @ a1 + b2)
    a3 = sj.sigmoid(W3 @ a2 + b3)
    return ((a3 - y64) ** 2).sum()


ok = sj.autograd.gradcheck(cost_of_two, params64)
count = sum(p.numel() for p in params64)
print(f"gradcheck: {ok} for {count} partial derivatives")

# %% [markdown]
# ## 7. Mini-batch stochastic gradient descent
#
# Backpropagation over all images for every single step is slow. So shuffle the training
# images, cut them into **mini-batches** of 100, and take a step on each mini-batch's gradient,
# an estimate of the full gradient:
#
# $$\nabla C \approx \frac{1}{100} \sum_{x \in \text{mini-batch}} \nabla C_x .$$
#
# That is **stochastic gradient descent**: each step goes down a slightly wrong direction, but
# steps are so much cheaper that one pass over the data (an *epoch*) gives 200 steps instead
# of one. `sj.data.DataLoader(..., batch_size=100, shuffle=True)` shuffles and cuts, as in
# PyTorch. We start again from the same random network and train for 10 epochs on the subset.

# %% tags=["concept-mini-batch-sgd"]
sj.manual_seed(0)
net = make_network()  # the same starting weights as `model` had
optimizer = sj.optim.SGD(net.parameters(), lr=3.0)
loader = sj.data.DataLoader(sj.data.TensorDataset(X, Y), batch_size=100, shuffle=True)
test_x = test.data.reshape(-1, 784).float() / 255


def test_accuracy(network):
    with sj.no_grad():
        return float((network(test_x).argmax(dim=1) == test.targets).float().mean())


print(f"{len(loader)} steps per epoch, {10 * len(loader)} in all")
sgd_costs = []
for epoch in range(10):
    for xb, yb in loader:
        C = cost(net, xb, yb)  # the cost of 100 images only
        optimizer.zero_grad()
        C.backward()
        optimizer.step()
        sgd_costs.append(float(C))
    with sj.no_grad():
        full = float(cost(net, X, Y))
    print(f"epoch {epoch + 1:2d}: C on the 20,000 = {full:.4f}, "
          f"test accuracy = {test_accuracy(net):.1%}")
print(f"full-batch gradient descent after {len(gd_costs)} steps: "
      f"test accuracy = {test_accuracy(model):.1%}")

steps = np.arange(len(sgd_costs)) / len(loader)  # when each cost was measured, in epochs
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(steps, sgd_costs, linewidth=0.5, alpha=0.5, label="SGD: cost of each mini-batch")
smooth = np.convolve(sgd_costs, np.ones(50) / 50, mode="valid")
ax.plot(steps[49:], smooth, label="SGD: mean of the last 50 mini-batches")
ax.plot(np.arange(len(gd_costs)), gd_costs, "o-", markersize=3,
        label="full-batch gradient descent")
ax.set_xlabel("epochs (passes over the 20,000 images)")
ax.set_ylabel("cost C")
ax.set_ylim(0, 2.5)
ax.legend()
plt.show()

# %% [markdown]
# In 10 passes over the data, mini-batch SGD takes 2,000 small noisy steps and reaches the test
# accuracy printed above; full-batch gradient descent took 30 exact steps in 30 passes and is
# still on its plateau. The noise of each mini-batch's cost does not matter: on average, the
# steps go down.
#
# ### What did the hidden neurons learn? Weights seen as images
#
# Back to the note's hope that the hidden neurons would detect strokes and loops. A first-layer
# neuron computes $\sigma(w \cdot a^{(0)} + b)$, and its 784 weights have the shape of the image:
# drawn as 28x28 pictures (green positive, red negative, white near zero, as in section 2) they
# show what each neuron looks for. `sj.viz.weight_tiles` draws them (`sj.viz.first_layer_weights`
# does the same from the model); above each tile, the neuron's activation for our 9.

# %% tags=["concept-weights-as-images"]
hidden = net[1](net[0](a0.reshape(1, 784)))[0]  # the 16 first-layer activations for the 9
sj.viz.weight_tiles(net[0].weight, titles=[f"{float(h):.2f}" for h in hidden], columns=8,
                   title="first layer: 16 neurons, 784 weights each")

# %% [markdown]
# As the note says: *pretty random*. There are blobs and fragments of strokes, but nothing a
# person would call "the top loop of a 9". The network found whatever patterns make the cost
# small, and those need not look like ours; the tidy story of strokes and loops is a metaphor.
# Still, given the 9, some neurons light up (near 1) and others stay dark (near 0), and the next
# layers combine these to give the answer.

# %% [markdown]
# ## Exercises
#
# Three short exercises. Write your answer in place of `None`, run the cell, then the check
# below it.

# %% tags=["checker"]
def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_1(answer):
    sizes = (784, 32, 32, 10)
    expected = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))
    if answer is None:
        print("Exercise 1 is not answered yet.")
        return
    assert isinstance(answer, (int, np.integer)) and not isinstance(answer, bool), (
        f"answer_1 should be a whole number (an int), not {type(answer).__name__}")
    weights = sum(n_in * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    assert answer != weights, "that counts the weights only: each neuron also has a bias"
    assert answer != sum(sizes), "that counts the neurons; count the parameters instead"
    assert answer == expected, ("not quite: each Linear(n_in, n_out) has n_in * n_out weights "
                                "and n_out biases; add them up layer by layer")
    print("Right! Exercise 1 is solved.")


# The ten outputs of a network for an image of a 2, used by exercise 2.
outputs_2 = sj.tensor([0.03, 0.20, 0.30, 0.11, 0.02, 0.09, 0.05, 0.55, 0.01, 0.06])
label_2 = 2


def check_2(answer):
    a = outputs_2.clone().requires_grad_()
    ((a - F.one_hot(sj.tensor(label_2), 10).float()) ** 2).sum().backward()
    expected = a.grad
    if answer is None:
        print("Exercise 2 is not answered yet.")
        return
    assert isinstance(answer, sj.Tensor), (
        f"answer_2 should be a shenjing tensor, not {type(answer).__name__}")
    assert tuple(answer.shape) == (10,), (
        f"answer_2 should hold one number per output neuron, shape (10,), not "
        f"{tuple(answer.shape)}")
    answer = answer.detach().float()
    assert not sj.allclose(answer, -expected, atol=1e-4), (
        "check the sign: if an output is above its target, raising it makes C larger")
    assert not sj.allclose(answer, expected / 2, atol=1e-4), (
        "almost: what is the derivative of u ** 2?")
    assert sj.allclose(answer, expected, atol=1e-4), (
        "not quite: C is a sum of ten squares, and a_j appears in only one of them")
    print("Right! Exercise 2 is solved.")


def check_3(answer):
    images, batch = 60_000, 128
    expected = -(-images // batch)  # ceiling division: the last, smaller batch counts
    if answer is None:
        print("Exercise 3 is not answered yet.")
        return
    assert _is_number(answer), f"answer_3 should be a number, not {type(answer).__name__}"
    assert float(answer).is_integer(), (
        "a number of steps is a whole number: a mini-batch is used whole or not at all")
    assert answer != images // batch, (
        "almost: without drop_last=True, the images left over make one more, smaller batch")
    assert answer == expected, "not quite: how many batches of 128 does it take to cover them all?"
    print("Right! Exercise 3 is solved.")


# %% [markdown]
# ### Exercise 1: how many parameters?
#
# Widen the hidden layers of the note's network from 16 to 32 neurons: 784-32-32-10. How many
# weights and biases does it have? Compute it by hand (an `int`); you can verify with
# `sj.summary`.

# %% tags=["exercise-1"]
answer_1 = None  # your answer here

# %% tags=["check-1"]
check_1(answer_1)

# %% [markdown]
# ### Exercise 2: which output should move, and how much?
#
# A network sees an image of a 2 and outputs the ten activations `outputs_2` (printed below).
# With the cost $C_x = \sum_j (a_j - y_j)^2$, compute the tensor $\partial C_x / \partial a_j$
# for $j = 0, \dots, 9$ (shape `(10,)`), by hand with tensor operations (not with `backward`).
# Which entry is the largest in size, and why does the output of 8 ask for so little?

# %% tags=["exercise-2"]
print("outputs_2 =", outputs_2.numpy(), " label:", label_2)
answer_2 = None  # your answer here

# %% tags=["check-2"]
check_2(answer_2)

# %% [markdown]
# ### Exercise 3: steps per epoch
#
# Training on all 60,000 MNIST training images with `sj.data.DataLoader(..., batch_size=128)`
# (and the default `drop_last=False`), how many gradient-descent steps make one epoch?

# %% tags=["exercise-3"]
answer_3 = None  # your answer here

# %% tags=["check-3"]
check_3(answer_3)

# %% [markdown]
# ## Solutions
#
# **1.** Each layer `Linear(n_in, n_out)` has `n_in * n_out` weights and `n_out` biases:
# $784 \cdot 32 + 32 + 32 \cdot 32 + 32 + 32 \cdot 10 + 10$. `sj.summary` agrees.

# %% tags=["solution-1"]
answer_1 = 784 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10
wide = sj.nn.Sequential(sj.nn.Linear(784, 32), sj.nn.Sigmoid(), sj.nn.Linear(32, 32),
                        sj.nn.Sigmoid(), sj.nn.Linear(32, 10), sj.nn.Sigmoid())
print(answer_1, sj.summary(wide, (784,)).total_params)
check_1(answer_1)

# %% [markdown]
# **2.** Only the term $(a_j - y_j)^2$ of the sum contains $a_j$, and its derivative is
# $2(a_j - y_j)$. The output of 2 is far below its target 1, so its entry is the largest in size
# (and negative: raise it). The output of 8 is already close to its target 0, so a change there
# would barely lower the cost; the output of 7, confidently wrong, asks for a large decrease.

# %% tags=["solution-2"]
y_2 = F.one_hot(sj.tensor(label_2), 10).float()
answer_2 = 2 * (outputs_2 - y_2)
print(answer_2.numpy())
check_2(answer_2)

# %% [markdown]
# **3.** $60\,000 / 128 = 468.75$: 468 full batches and one last batch of the remaining images,
# 469 steps. `len(loader)` says the same.

# %% tags=["solution-3"]
answer_3 = len(sj.data.DataLoader(sj.data.TensorDataset(sj.zeros(60_000)), batch_size=128))
print(60_000 / 128, answer_3)
check_3(answer_3)
