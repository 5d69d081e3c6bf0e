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
# # Lesson 3: from k-nearest neighbours to Word2Vec
#
# This lesson follows the note "Neural networks (Bilibili notes)", the one that covers the most
# ground: what an image is to a computer, CIFAR-10, k-nearest neighbours, the score function
# $f(x, W) = Wx + b$, the SVM and softmax losses, regularisation, the gates of backpropagation,
# preprocessing and initialisation, dropout, convolutional networks (stride, padding, output
# size, pooling, VGG, ResNet, receptive field), and finally RNNs, LSTMs and the word vectors of
# Word2Vec.
#
# Each part is short: first the note's formula by hand with tensors, then the same with
# shenjing's layer or function (PyTorch's names), and on once the two agree. Every training run
# uses little data, so that the whole notebook runs in seconds on a laptop's CPU.

# %% tags=["setup"]
import matplotlib.pyplot as plt
import numpy as np

import shenjing as sj
import shenjing.nn.functional as F

sj.manual_seed(0)
rng = np.random.default_rng(0)
sj.set_num_threads(1)  # small matrices: one BLAS thread beats threads fighting for cores
# figure labels are in English in both languages (the build has no CJK font)

# %% [markdown]
# ## 1. An image is an array of numbers
#
# The note: to a computer an image is a three-dimensional array; each pixel is a number from 0 to
# 255, low is dark and high is bright; a colour image has three **colour channels**, R, G and B.
# MNIST's handwritten digits are grey, a single channel:

# %%
train_set = sj.datasets.MNIST(train=True, download=True)
test_set = sj.datasets.MNIST(train=False, download=True)
image = train_set.data[0]
print("one MNIST image:", image.shape, image.dtype,
      "min", image.min().item(), "max", image.max().item())
print("the pixels of its middle row:", image[14, 4:24].tolist())

# %% [markdown]
# The note's data set to practise on is **CIFAR-10**: 10 classes, 50,000 training images and
# 10,000 test images, each a $32 \times 32$ colour picture, so $32 \times 32 \times 3 = 3072$
# numbers. `sj.datasets.CIFAR10` reads the official `cifar-10-batches-py` files (`download=True`
# fetches and checks them). The machine that builds these pages has **no CIFAR-10 and no
# network**, so the cell below loads it only when the files are there; without them it shows the
# three colour channels on a $32 \times 32 \times 3$ picture made by hand, and the classifiers of
# this lesson **run on MNIST in place of CIFAR-10** (the same methods, on $28 \times 28 \times 1$
# images).

# %% tags=["concept-cifar-10"]
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                 "dog", "frog", "horse", "ship", "truck"]
files = sj.datasets.CIFAR10.train_list
print(len(CIFAR_CLASSES), "classes,", len(files), "x 10000 =", len(files) * 10000,
      "training images,", len(sj.datasets.CIFAR10.test_list), "x 10000 =",
      len(sj.datasets.CIFAR10.test_list) * 10000, "test images, each", 32 * 32 * 3,
      "numbers")
# one file: 10,000 images x (1 label + 3072 pixel bytes), plus names and pickle overhead
print(sj.datasets.CIFAR10.file_sizes["data_batch_1"], "bytes ~", 10000 * (1 + 3072))
try:
    cifar = sj.datasets.CIFAR10(train=True)  # reads the files when present
    print(cifar.data.shape, cifar.data.dtype, cifar.classes)
    picture = cifar.data[0]  # (32, 32, 3) uint8
except sj.datasets.DatasetNotFoundError:
    print("CIFAR-10 is not on this machine: the classifiers below use MNIST instead")
    ramp = sj.linspace(0, 255, 32)
    picture = sj.stack([ramp.reshape(1, 32).expand(32, 32),      # red: brighter to the right
                        ramp.reshape(32, 1).expand(32, 32),      # green: brighter downwards
                        sj.full((32, 32), 128.0)], dim=2).to(sj.uint8)  # blue: constant
print("a CIFAR-sized picture:", picture.shape, picture.dtype)
fig, axes = plt.subplots(1, 4, figsize=(8, 2.2))
axes[0].imshow(picture.numpy())
axes[0].set_title("RGB")
for c, (ax, name) in enumerate(zip(axes[1:], ["R", "G", "B"])):
    ax.imshow(picture[:, :, c].numpy(), cmap="gray", vmin=0, vmax=255)
    ax.set_title(name)
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. k-nearest neighbours
#
# The note's recipe:
#
# 1. compute the distance from the current point to every point of the labelled set;
# 2. sort by distance;
# 3. take the K points nearest to the current point;
# 4. count how often each class occurs among those K;
# 5. predict the most frequent class.
#
# Each $28 \times 28$ image, flattened, is a point in a 784-dimensional space; the distance is
# L2, $d(a, b) = \sqrt{\sum_p (a_p - b_p)^2}$. To stay fast we use 5,000 training images and 500
# test images. The five steps by hand for one test image first, then
# `sj.classic.KNearestNeighbors`:

# %% tags=["concept-knn"]
n_train, n_test = 5000, 500
X_train = train_set.data[:n_train].reshape(n_train, -1).float() / 255  # (5000, 784)
y_train = train_set.targets[:n_train]
X_test = test_set.data[:n_test].reshape(n_test, -1).float() / 255      # (500, 784)
y_test = test_set.targets[:n_test]

x = X_test[0]
distances = ((X_train - x) ** 2).sum(dim=1).sqrt()     # 1. distance to every training point
order = distances.argsort()                             # 2. sort
k = 5
nearest = order[:k]                                     # 3. the K nearest
votes = np.bincount(y_train[nearest].numpy(), minlength=10)  # 4. count per class
print("nearest indices:", nearest.tolist(), " labels:", y_train[nearest].tolist())
print("votes:", votes.tolist(), "-> predicted", votes.argmax(),   # 5.
      "true label", y_test[0].item())

knn = sj.classic.KNearestNeighbors(k=k).fit(X_train, y_train)
print("sj.classic predicts:", knn.predict(X_test[:1]).item())
for k_ in (1, 3, 5, 9):
    accuracy = sj.classic.KNearestNeighbors(k=k_).fit(X_train, y_train).score(X_test, y_test)
    print(f"k = {k_}: test accuracy {accuracy:.3f}")

fig, axes = plt.subplots(1, k + 1, figsize=(7.5, 1.7))
axes[0].imshow(x.reshape(28, 28).numpy(), cmap="gray_r")
axes[0].set_title("query")
for ax, i in zip(axes[1:], nearest.tolist()):
    ax.imshow(X_train[i].reshape(28, 28).numpy(), cmap="gray_r")
    ax.set_title(f"{y_train[i].item()}  d={distances[i].item():.1f}", fontsize=9)
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# k-NN does not train: it stores all 5,000 training images and compares every new image with each
# of them. K is a hyperparameter, chosen in practice by cross-validation (`sj.classic.select_k`).
# On CIFAR-10's photos the L2 distance between pixels reflects background and colour more than
# the object, and k-NN does far worse than on MNIST: the reason to learn features instead.

# %% [markdown]
# ## 3. The score function $f(x, W) = Wx + b$
#
# The score function is linear, one weight for each feature (pixel):
#
# $$f(x, W) = Wx + b$$
#
# $x$ is the flattened pixels, $W$ the weights (they decide), $b$ the bias (it fine-tunes). For
# CIFAR-10, $x$ is $3072 \times 1$ and one class's $W$ is $1 \times 3072$; stacking the 10
# classes' rows makes $W$ a $10 \times 3072$ matrix that scores every class at once. The note's
# example: a "cat" image of only 4 pixels and a $3 \times 4$ matrix $W$ (cat, dog, ship). By
# hand, with tensors:

# %% tags=["concept-forward-by-hand"]
W = sj.tensor([[0.2, -0.5, 0.1, 2.0],     # cat
               [1.5, 1.3, 2.1, 0.0],      # dog
               [0.0, 0.25, 0.2, -0.3]])   # ship
x = sj.tensor([56.0, 231.0, 24.0, 2.0])   # 4 pixels
b = sj.tensor([1.1, 3.2, -1.2])
scores = W @ x + b
print("scores (cat, dog, ship):", scores)
print("cat score = 0.2*56 - 0.5*231 + 0.1*24 + 2.0*2 + 1.1 =",
      0.2 * 56 - 0.5 * 231 + 0.1 * 24 + 2.0 * 2 + 1.1)

# %% [markdown]
# The same computation is a fully connected layer, `sj.nn.Linear(4, 3)`: its `weight` is $W$ (3
# rows, 4 columns) and its `bias` is $b$. With the numbers above put into the layer, the result
# is the same:

# %% tags=["concept-forward-layer"]
layer = sj.nn.Linear(4, 3)
with sj.no_grad():
    layer.weight.copy_(W)
    layer.bias.copy_(b)
print("the layer:", layer(x))
print("agrees with the hand computation:", sj.allclose(layer(x), scores))

# %% [markdown]
# This $W$ gives the "cat" image its highest score for dog: $W$ is bad. The input (the image) is
# fixed, so training **adjusts $W$** until the right class scores highest. A large weight means
# its pixel matters for that class, positive promotes and negative suppresses; where two scores
# are equal lies the **decision boundary**, and $W$ places it.
#
# Now a real linear classifier on MNIST (`sj.classic.LinearClassifier`; on CIFAR-10 it is used
# the same way). Pixels are divided by 255, then the mean training image is subtracted
# (zero-centring; section 8 says more about preprocessing):

# %% tags=["concept-linear-classifier"]
mean_image = X_train.mean(dim=0)
images_train = (X_train - mean_image).reshape(-1, 28, 28)
images_test = (X_test - mean_image).reshape(-1, 28, 28)
classifiers = {}
for loss, lr in (("svm", 0.01), ("softmax", 0.1)):
    clf = sj.classic.LinearClassifier(loss, lr=lr, reg=1e-4, epochs=10)
    classifiers[loss] = clf.fit(images_train, y_train)
    print(f"{loss:8s} W {tuple(clf.weight.shape)}, b {tuple(clf.bias.shape)}: "
          f"train {clf.score(images_train, y_train):.3f}, "
          f"test {clf.score(images_test, y_test):.3f}")
print("the 10 scores of the first test image:",
      classifiers["softmax"].decision_function(images_test[:1]).round(decimals=1))

# %% [markdown]
# **Templates.** Each row of $W$ is as large as an image (784 numbers); drawn as one it is the
# class's "template", and the score $w_c \cdot x$ says how well the image matches it (green
# positive, red negative). k-NN compares a test image with the 5,000 stored training images; the
# linear classifier learns one template per class and compares 10 times, keeping $10 \times 785$
# numbers:

# %% tags=["concept-templates"]
print("numbers k-NN keeps:", X_train.numel(),
      " parameters of the linear classifier:", 10 * 784 + 10)
sj.viz.class_templates(classifiers["softmax"],
                       title="The 10 templates of the softmax linear classifier")

# %% [markdown]
# ## 4. Loss functions
#
# A loss function tells how good the scores are; lower is better. The note's multiclass SVM
# (hinge) loss:
#
# $$L_i = \sum_{j \ne y_i} \max(0, s_j - s_{y_i} + 1)$$
#
# $s_j$ are the wrong classes' scores, $s_{y_i}$ the right class's, and $+1$ the tolerance (the
# margin): the loss is 0 only when the right class beats every wrong one by at least 1. With the
# note's cat scores $(3.2, 5.1, -1.7)$, the right class being cat:

# %% tags=["concept-svm-loss"]
s = sj.tensor([3.2, 5.1, -1.7])
y = 0  # cat
margins = (s - s[y] + 1).clamp(min=0)  # max(0, s_j - s_y + 1)
margins[y] = 0                         # only j != y_i count
print("terms:", margins, " L_i =", round(margins.sum().item(), 4))
print("sj.classic.svm_loss:", round(sj.classic.svm_loss(s[None], sj.tensor([y])).item(), 4))
# PyTorch's multi_margin_loss also divides by the number of classes C = 3
print("F.multi_margin_loss:", round(F.multi_margin_loss(s[None], sj.tensor([y])).item(), 4),
      "x 3 =", round(3 * F.multi_margin_loss(s[None], sj.tensor([y])).item(), 4))
car = sj.tensor([[1.3, 4.9, 2.0]])  # the right class (1) wins by more than 1
print("a clear win costs nothing:", sj.classic.svm_loss(car, sj.tensor([1])).item())

# %% [markdown]
# **Regularisation.** Equal losses do not make equal models. The note's example:
# $x = (1, 1, 1, 1)$, model A $w_1 = (1, 0, 0, 0)$, model B $w_2 = (0.25, 0.25, 0.25, 0.25)$;
# both score 1 and have the same data loss, but B spreads its weight over every pixel and is the
# steadier one. So the loss gets a **regularisation penalty** that depends on the weights alone:
#
# $$
# L = \frac{1}{N} \sum_{i=1}^N \sum_{j \ne y_i} \max(0, f(x_i, W)_j - f(x_i, W)_{y_i} + 1)
# + \lambda R(W)
# $$
#
# $$R(W) = \sum_k \sum_l W_{k,l}^2$$
#
# $\lambda$ is its strength: large "kills" the wild weights, small only weakens them. First
# $R(W)$ of A and B, then the softmax linear classifier (the softmax loss of section 5 in place
# of the hinge, the same penalty) trained with three values of $\lambda$: the stronger the
# penalty, the smaller $R(W)$ and the smoother the templates; too strong, and useful detail is
# killed too, and accuracy falls.

# %% tags=["concept-regularization"]
x4 = sj.tensor([1.0, 1.0, 1.0, 1.0])
w_a = sj.tensor([1.0, 0.0, 0.0, 0.0])
w_b = sj.tensor([0.25, 0.25, 0.25, 0.25])
print("scores:", (w_a @ x4).item(), (w_b @ x4).item(),
      " R(W):", (w_a ** 2).sum().item(), (w_b ** 2).sum().item())

tiles = []
for reg in (0.0, 0.003, 0.03):
    clf = sj.classic.LinearClassifier("softmax", lr=0.1, reg=reg, epochs=10)
    clf.fit(images_train, y_train)
    print(f"lambda = {reg:<5}: R(W) = {(clf.weight ** 2).sum().item():6.2f}, "
          f"train {clf.score(images_train, y_train):.3f}, "
          f"test {clf.score(images_test, y_test):.3f}")
    tiles.append(clf.templates())
sj.viz.weight_tiles(sj.cat(tiles), columns=10, tile_inches=0.7,
                    title="Templates of the softmax classifier, one row per λ: 0, 0.003, 0.03")

# %% [markdown]
# ## 5. Softmax: from scores to probabilities
#
# The note first mentions the sigmoid $g(z) = \frac{1}{1 + e^{-z}}$, which squashes any value
# into $(0, 1)$. For classes we use softmax: exponentiate, $e^{s}$ (it widens the gaps and makes
# every value positive), then normalise (the probabilities sum to 1):
#
# $$P(Y = k \mid X = x_i) = \frac{e^{s_k}}{\sum_j e^{s_j}}, \qquad s = f(x_i, W)$$
#
# The loss looks at the right class's probability alone: $L_i = -\log P(Y = y_i \mid X = x_i)$.
#
# With the note's numbers: $e^{3.2} = 24.5$, $e^{5.1} = 164.0$, $e^{-1.7} = 0.18$, normalised
# $0.13, 0.87, 0.00$ (the note's third line has $-1.7$ as numerator where $0.18$ belongs). The
# note writes $-\log(0.13) = 0.89$: that is the logarithm to base 10. Cross-entropy uses the
# natural logarithm, $-\ln(0.13) = 2.04$, and that is what `cross_entropy` gives in shenjing and
# in PyTorch:

# %% tags=["concept-softmax-loss"]
s = sj.tensor([3.2, 5.1, -1.7])
print("sigmoid(s):", sj.sigmoid(s))
e = s.exp()                     # amplify
p = e / e.sum()                 # normalise
print("e^s:", e.round(decimals=2), " probabilities:", p.round(decimals=2))
print(f"-ln P(cat) = {-p[0].log().item():.3f}   -log10 P(cat) = {-p[0].log10().item():.3f}")
print("F.softmax:", F.softmax(s, dim=0).round(decimals=2))
print(f"F.cross_entropy: {F.cross_entropy(s[None], sj.tensor([0])).item():.3f}   "
      f"sj.classic.softmax_loss: {sj.classic.softmax_loss(s[None], sj.tensor([0])).item():.3f}")

# %% [markdown]
# ## 6. Backpropagation
#
# The forward pass turns data into a loss; backpropagation starts from the loss and, **layer by
# layer, in order, from the back**, applies the chain rule to get the partial derivative (the
# gradient) of the loss with respect to every weight and bias; gradient descent then steps
# against the gradient to lower the loss.
#
# The note's three gates: the **add gate** hands the upstream gradient to both inputs unchanged;
# the **max gate** gives it all to the larger input; the **multiply gate** "swaps": the gradient
# for $x$ is $y$ times the upstream gradient, and the other way round. Checked with autograd (an
# upstream gradient of 2):

# %%
gates = {"add": lambda a, b: a + b,
         "max": lambda a, b: sj.maximum(a, b),
         "multiply": lambda a, b: a * b}
for name, gate in gates.items():
    a = sj.tensor(3.0, requires_grad=True)
    b_ = sj.tensor(-4.0, requires_grad=True)
    gate(a, b_).backward(sj.tensor(2.0))
    print(f"{name}: a=3, b=-4 -> grad a {a.grad.item():+.0f}, "
          f"grad b {b_.grad.item():+.0f}")

# %% [markdown]
# Now the gradient, by hand, of the linear classifier's softmax loss with the penalty,
# $L = \frac{1}{N}\sum_i -\log p_{i, y_i} + \lambda \sum W^2$. With $S = XW^\top + b$,
# $P = \mathrm{softmax}(S)$ and $Y$ the one-hot labels:
#
# $$\frac{\partial L}{\partial S} = \frac{P - Y}{N}, \qquad
# \frac{\partial L}{\partial W} = \Big(\frac{\partial L}{\partial S}\Big)^\top X + 2\lambda W,
# \qquad
# \frac{\partial L}{\partial b} = \sum_i \frac{\partial L}{\partial S_i}$$
#
# ($W$ and $X$ meet in a multiply gate: $X$ appears in $W$'s gradient.) By hand, on a small
# float64 batch:

# %% tags=["concept-gradient-by-hand"]
N, D, C, lam = 4, 5, 3, 0.1
Xg = sj.tensor(rng.standard_normal((N, D)))           # float64
yg = sj.tensor([0, 2, 1, 2])
Wg = sj.tensor(0.5 * rng.standard_normal((C, D)))
bg = sj.tensor(0.1 * rng.standard_normal(C))

S = Xg @ Wg.T + bg
P = S.softmax(dim=1)
Y = F.one_hot(yg, C).double()
dS = (P - Y) / N
dW_hand = dS.T @ Xg + 2 * lam * Wg
db_hand = dS.sum(dim=0)
print("dL/dW by hand:")
print(dW_hand)
print("dL/db by hand:", db_hand)

# %% tags=["concept-gradient-autograd"]
W_ = Wg.clone().requires_grad_()
b_ = bg.clone().requires_grad_()
loss = F.cross_entropy(Xg @ W_.T + b_, yg) + lam * (W_ ** 2).sum()
loss.backward()
print("autograd dL/dW, first row:", W_.grad[0])
print("by hand dL/dW, first row: ", dW_hand[0])
print("largest difference:", (W_.grad - dW_hand).abs().max().item(),
      (b_.grad - db_hand).abs().max().item())

# %% [markdown]
# `sj.autograd.gradcheck` checks backpropagation once more against central differences
# $\frac{L(w + \epsilon) - L(w - \epsilon)}{2\epsilon}$ in float64, for the softmax loss and the
# SVM loss:

# %% tags=["concept-gradcheck"]
def softmax_objective(W, b):
    return F.cross_entropy(Xg @ W.T + b, yg) + lam * (W ** 2).sum()


def svm_objective(W, b):
    return sj.classic.svm_loss(Xg @ W.T + b, yg) + lam * (W ** 2).sum()


for objective in (softmax_objective, svm_objective):
    inputs = [Wg.clone().requires_grad_(), bg.clone().requires_grad_()]
    ok = sj.autograd.gradcheck(objective, inputs)
    print(objective.__name__, "gradcheck:", ok)

# %% [markdown]
# ## 7. The architecture of a network
#
# A network works layer by layer, each matrix product followed by a **nonlinearity** (an
# activation function): $f = W_2 \max(0, W_1 x)$, $f = W_3 \max(0, W_2 \max(0, W_1 x))$. Without
# $\max(0, \cdot)$, two linear maps would add up to a single linear map. What a hidden layer
# holds need not mean anything to us; more neurons fit more, and overfit more easily.

# %%
net = sj.nn.Sequential(sj.nn.Linear(4, 6), sj.nn.ReLU(), sj.nn.Linear(6, 3))
W1, b1, W2, b2 = net[0].weight, net[0].bias, net[2].weight, net[2].bias
x = sj.tensor([0.5, -1.0, 2.0, 0.1])
by_hand = W2 @ (W1 @ x + b1).clamp(min=0) + b2   # W2 max(0, W1 x)
print(by_hand, net(x), sj.allclose(by_hand, net(x)))

# %% [markdown]
# ## 8. Preprocessing and initialisation
#
# Data does not go into a network as it comes. The usual preprocessing: **zero-centring**
# (subtract the mean) and **normalising** (divide by the standard deviation), so that features
# live on similar scales. Pixels share one scale already, so for images one standard deviation
# over all pixels is enough (the data then has standard deviation 1). The linear classifier above
# already subtracted the mean image:

# %%
centred = X_train - X_train.mean(dim=0)
normalised = centred / (centred.std() + 1e-8)
for name, data in (("pixels/255", X_train), ("zero-centred", centred),
                   ("normalised", normalised)):
    print(f"{name:14s} mean {data.mean().item():+.3f}  "
          f"std {data.std().item():.3f}")

# %% [markdown]
# **Initialisation** draws the weight matrices at random, and the scale of the draw matters. The
# same inputs go through a 10-layer tanh network of 256 neurons a layer, and we watch the
# standard deviation of each layer's output. Too small (0.01) and the signal shrinks to 0 layer
# after layer, and so do the gradients; too large (1.0) and tanh saturates at $\pm 1$, where
# gradients vanish too; Xavier initialisation (a standard deviation of $\sqrt{1/\text{fan\_in}}$
# times a gain) keeps the signal in range. All zeros is worse: the neurons of a layer stay
# identical and learn the same thing forever.

# %% tags=["concept-initialization"]
inits = {"N(0, 0.01)": lambda w: sj.nn.init.normal_(w, std=0.01),
         "N(0, 1)": lambda w: sj.nn.init.normal_(w, std=1.0),
         "Xavier": lambda w: sj.nn.init.xavier_normal_(w, gain=sj.nn.init.calculate_gain("tanh"))}
inputs = sj.randn(500, 256)
fig, ax = plt.subplots(figsize=(5, 3))
with sj.no_grad():
    for name, init in inits.items():
        h, stds = inputs, []
        for _ in range(10):
            layer = sj.nn.Linear(256, 256)
            init(layer.weight)
            sj.nn.init.zeros_(layer.bias)
            h = sj.tanh(layer(h))
            stds.append(h.std().item())
        saturated = (h.abs() > 0.99).float().mean().item()
        print(f"{name:10s} std of each layer's output:", np.round(stds, 3).tolist(),
              f"last layer |h| > 0.99: {saturated:.2f}")
        ax.plot(range(1, 11), stds, marker="o", label=name)
ax.set_xlabel("layer")
ax.set_ylabel("std of the output")
ax.set_yscale("log")
ax.legend()
plt.show()

# %% [markdown]
# ## 9. Dropout
#
# Besides the penalty $R(W)$, the note fights overfitting with dropout: at every training
# iteration each layer drops a random part of its neurons (their outputs set to 0), so each
# iteration trains a simpler network. `sj.nn.Dropout(p)` zeroes with probability $p$ and
# multiplies what remains by $\frac{1}{1-p}$, so the expected value stays the same; at test time
# (`eval()`) it does nothing:

# %% tags=["concept-dropout"]
drop = sj.nn.Dropout(p=0.5)
h = sj.ones(2, 8)
drop.train()
print("training mode, two iterations:")
print(drop(h))
print(drop(h))
many = drop(sj.ones(100000))
print(f"of 100000 ones: fraction dropped {(many == 0).float().mean().item():.3f}, "
      f"mean still about 1: {many.mean().item():.3f}")
drop.eval()
print("evaluation mode:", drop(h[0]))

# %% [markdown]
# ## 10. Convolutional networks
#
# An ordinary network takes a vector; a convolutional network (CNN) keeps the height, width and
# depth (channels) of its input, an image as it is. The architecture: input, **convolution
# layers** (extract features), **pooling layers** (compress them), fully connected layers.
#
# **Computing a convolution.** The note's example: a $7 \times 7 \times 3$ input (a
# $5 \times 5 \times 3$ image padded with one ring of zeros, pad 1), filters of
# $3 \times 3 \times 3$ (the last 3 must equal the input's channels), stride 2. At every position
# the filter takes the inner product with the window of the input, the three channels' results
# are added, and the bias $b$ is added last: one value of the **feature map**. Two filters make
# two feature maps. By hand, then `F.conv2d`:

# %% tags=["concept-cnn"]
image3 = sj.tensor(rng.integers(0, 3, (1, 3, 5, 5))).float()   # (N, C, H, W)
filters = sj.tensor(rng.integers(-1, 2, (2, 3, 3, 3))).float()  # (K, C, F, F)
bias = sj.tensor([1.0, 0.0])
padded = F.pad(image3, (1, 1, 1, 1))[0]  # one ring of zeros: (3, 7, 7)
stride = 2
maps = sj.zeros(2, 3, 3)
for k in range(2):              # one feature map per filter
    for i in range(3):
        for j in range(3):
            window = padded[:, stride * i:stride * i + 3, stride * j:stride * j + 3]  # (3, 3, 3)
            maps[k, i, j] = (window * filters[k]).sum() + bias[k]
print("two 3x3 feature maps by hand:", maps)
out = F.conv2d(image3, filters, bias, stride=2, padding=1)
print("F.conv2d:", out.shape, "agree:", sj.allclose(out[0], maps))

# parameter sharing: one 5x5x3 kernel is reused at every position
conv = sj.nn.Conv2d(3, 6, kernel_size=5)
print("parameters of Conv2d(3, 6, 5):", sum(p.numel() for p in conv.parameters()),
      " a fully connected layer with the same input and output:",
      (32 * 32 * 3) * (28 * 28 * 6) + 28 * 28 * 6)

# max pooling: the largest value of each 2x2 region
grid = sj.tensor([[1.0, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
print("max pool:", F.max_pool2d(grid[None, None], 2)[0, 0].tolist(),
      " avg pool:", F.avg_pool2d(grid[None, None], 2)[0, 0].tolist())
print("224x224x64 -> MaxPool2d(2) ->", sj.nn.MaxPool2d(2)(sj.zeros(1, 64, 224, 224)).shape)

# %% [markdown]
# Different filters draw different feature maps from the same data. Two $3 \times 3$ kernels that
# detect vertical and horizontal edges (Sobel's), put into one `Conv2d`, and the features they
# extract from a digit; a trained CNN learns kernels like these by itself (for a whole CNN,
# `sj.viz.feature_maps(model, image)` draws the maps of every convolution layer):

# %%
edges = sj.nn.Conv2d(1, 2, kernel_size=3, padding=1)
sobel = sj.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
with sj.no_grad():
    edges.weight.copy_(sj.stack([sobel, sobel.T])[:, None])   # (2, 1, 3, 3)
    edges.bias.zero_()
    feature_maps = edges(X_test[:1].reshape(1, 1, 28, 28))[0]  # (2, 28, 28)
fig, axes = plt.subplots(1, 3, figsize=(7, 2.6))
panels = [(X_test[0].reshape(28, 28), "input"), (feature_maps[0], "vertical edges"),
          (feature_maps[1], "horizontal edges")]
for ax, (picture, title) in zip(axes, panels):
    ax.imshow(picture.numpy(), cmap="gray")
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 11. The size of a feature map
#
# $$H_2 = \frac{H_1 - F_H + 2P}{S} + 1, \qquad W_2 = \frac{W_1 - F_W + 2P}{S} + 1$$
#
# $W_1, H_1$ are the input's width and height, $F$ the kernel size, $P$ the rings of zero padding
# and $S$ the stride (rounded down when it does not divide). Pooling layers follow the same
# formula ($F = S = 2$ halves the size). The formula for the layers of real networks: ResNet's
# first layer ($7 \times 7$, stride 2, padding 3), max pooling, VGG's $3 \times 3$ convolution
# (padding 1, the size unchanged); then `sj.summary` runs them to check:

# %% tags=["concept-conv-output-size"]
def output_size(size, kernel, padding, stride):
    return (size - kernel + 2 * padding) // stride + 1


# the note's example: a 5x5 input padded (P=1) to 7x7, F=3, S=2
print("(5 - 3 + 2*1) // 2 + 1 =", output_size(5, 3, 1, 2))
layers = [sj.nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3),   # ResNet stem
          sj.nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
          sj.nn.Conv2d(64, 64, kernel_size=3, padding=1),            # VGG 3x3
          sj.nn.MaxPool2d(kernel_size=2)]
size = 224
for layer in layers:
    k, p, s = (layer.kernel_size, layer.padding, layer.stride)
    k, p, s = (v[0] if isinstance(v, tuple) else v for v in (k, p, s))
    print(f"({size} - {k} + 2*{p}) // {s} + 1 = {output_size(size, k, p, s)}")
    size = output_size(size, k, p, s)
print(sj.summary(sj.nn.Sequential(*layers), (3, 224, 224)))

# %% [markdown]
# **VGG and the receptive field.** Usually a pooling layer follows every two convolutions, each
# convolution followed by an activation (ReLU); the last feature maps are flattened into a long
# vector for the fully connected layers; only layers with parameters count as layers. The
# **receptive field** is the region of the input that one output sees, and it grows with depth.
# VGG's starting point: stacks of small kernels. Three $3 \times 3$ convolutions see as far as
# one $7 \times 7$, with far fewer parameters and two more nonlinearities in between.
# `sj.summary`'s last column is the receptive field:

# %%
C = 64
three = sj.nn.Sequential(*[sj.nn.Conv2d(C, C, 3, padding=1, bias=False) for _ in range(3)])
one = sj.nn.Conv2d(C, C, 7, padding=3, bias=False)
for name, model in (("three 3x3", three), ("one 7x7", one)):
    table = sj.summary(model, (C, 16, 16))
    print(f"{name}: receptive field {table.rows[-1].receptive_field}, "
          f"parameters {table.total_params:,}")
vgg = sj.summary(sj.models.SmallVGG(), (3, 32, 32))
print("a small VGG on 32x32x3 (CIFAR's size), output and receptive field of each conv layer:")
for row in vgg.rows:
    if row.kind in ("Conv2d", "MaxPool2d"):
        print(f"  {row.name:12s} {row.kind:10s} {str(row.output_shape):18s} {row.receptive_field}")

# %% [markdown]
# **Residual networks (ResNet).** Deeper is not always better: with more layers a plain network
# gets harder to train. Each residual block of a ResNet outputs $F(x) + x$: where some layers are
# of no use they only need to learn $F(x) = 0$, and the block hands $x$ on unchanged, so a deeper
# network does at least as well as a shallower one. Set the scale of the last BatchNorm of the
# first block of `sj.models.resnet20()` to 0 and the block becomes the identity (it ends with a
# ReLU, $\mathrm{ReLU}(F(x) + x)$, which leaves alone the $x \ge 0$ that a previous ReLU hands it):

# %%
block = sj.models.resnet20().stages[0]
with sj.no_grad():
    block.bn2.weight.zero_()          # F(x) = 0
block.eval()
features = sj.randn(1, 16, 8, 8).relu()  # x >= 0: the block's final ReLU leaves it as it is
print("with F(x) = 0, block(x) == x:", sj.allclose(block(features), features))

# %% [markdown]
# ## 12. Recurrent networks (RNN)
#
# RNNs serve mostly in natural language processing. They keep a feature for every time step: the
# hidden state of the previous step enters the computation together with this step's input,
#
# $$h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})$$
#
# and usually the output of the last step stands for the whole sequence. Five steps by hand, then
# `sj.nn.RNN`:

# %% tags=["concept-rnn"]
rnn = sj.nn.RNN(input_size=3, hidden_size=4, batch_first=True)
sequence = sj.randn(1, 5, 3)   # (batch, time, features)
h = sj.zeros(4)
for t in range(5):
    h = sj.tanh(rnn.weight_ih_l0 @ sequence[0, t] + rnn.bias_ih_l0
                + rnn.weight_hh_l0 @ h + rnn.bias_hh_l0)
output, h_n = rnn(sequence)
print("h_5 by hand: ", h)
print("nn.RNN's h_5:", output[0, -1])
print(output.shape, h_n.shape, sj.allclose(h, h_n[0, 0]))

# %% [markdown]
# ## 13. LSTM
#
# An LSTM adds gates and a **memory cell** $c_t$ to the RNN: the forget gate $f$ decides how much
# of the previous memory to keep, the input gate $i$ how much new content $g$ to write, the
# output gate $o$ how much to show:
#
# $$c_t = \sigma(f) \odot c_{t-1} + \sigma(i) \odot \tanh(g)$$
#
# $$h_t = \sigma(o) \odot \tanh(c_t)$$
#
# All four come from one matrix product (PyTorch's order is $i, f, g, o$). The memory is carried
# forward by addition, so the gradient need not pass through a $\tanh$ at every step, and the
# LSTM keeps longer dependencies. One step by hand, against `sj.nn.LSTMCell`:

# %%
cell = sj.nn.LSTMCell(input_size=3, hidden_size=4)
x_t, h0, c0 = sj.randn(1, 3), sj.randn(1, 4), sj.randn(1, 4)
gates = x_t @ cell.weight_ih.T + cell.bias_ih + h0 @ cell.weight_hh.T + cell.bias_hh
i, f, g, o = gates.chunk(4, dim=1)
c1 = sj.sigmoid(f) * c0 + sj.sigmoid(i) * sj.tanh(g)
h1 = sj.sigmoid(o) * sj.tanh(c1)
h_cell, c_cell = cell(x_t, (h0, c0))
print("h_1 by hand:", h1, "\nagree:", sj.allclose(h1, h_cell), sj.allclose(c1, c_cell))

# %% [markdown]
# **A character LSTM that writes Shakespeare.** The model reads text and predicts the next
# character: an embedding, an LSTM, a linear layer to every character (`sj.models.CharLM`, the
# model that `shenjing train charlm` trains; the code is in `src/shenjing/models/charlm.py` and
# `run_charlm` in `src/shenjing/cli/train.py`). The text is cut into 32 parallel streams read 64
# characters at a time; the hidden state is carried from one chunk to the next while the gradient
# stops at the chunk's edge (truncated backpropagation through time). To run in seconds we train
# 300 steps on the first 200,000 characters of tiny-shakespeare and let it write after steps 0,
# 30, 100 and 300; `shenjing train charlm` trains longer, on the whole text, and writes
# better. It learns spaces and line breaks first, then common words, names and colons:

# %% tags=["concept-lstm"]
text = sj.datasets.TinyShakespeare(download=True).text
vocab = sj.data.CharVocab.from_text(text)
stream = sj.data.BPTTLoader(vocab.encode(text[:200_000]), batch_size=32, seq_len=64)
sj.manual_seed(0)
charlm = sj.models.CharLM(len(vocab), embedding_dim=32, hidden_size=128)
optimizer = sj.optim.Adam(charlm.parameters(), lr=1e-2)
print(len(text), "characters,", len(vocab), "distinct;",
      sum(p.numel() for p in charlm.parameters()), "parameters")

losses, step, state = [], 0, None


def write():
    sample = sj.models.sample_text(charlm, vocab, "ROMEO:", 120, temperature=0.8, generator=0)
    print(f"--- after step {step} ---\n{sample}\n")


write()
while step < 300:
    for inputs, targets in stream:
        logits, state = charlm(inputs, state)
        state = tuple(s.detach() for s in state)    # truncate: no gradient further back
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        sj.nn.utils.clip_grad_norm_(charlm.parameters(), 5.0)
        optimizer.step()
        losses.append(loss.item())
        step += 1
        if step in (30, 100, 300):
            write()
        if step == 300:
            break
    state = None
fig, ax = plt.subplots(figsize=(5, 2.5))
ax.plot(losses)
ax.set_xlabel("step")
ax.set_ylabel("cross-entropy (nats/char)")
plt.show()

# %% [markdown]
# ## 14. Word vectors: Word2Vec
#
# Word2Vec maps every word to a low-dimensional vector, turning relations of meaning between
# words into geometry. Two models: **CBOW** predicts a word from its context, **skip-gram**
# predicts the context from the word. For each pair (centre word $c$, context word $o$), negative
# sampling skips the softmax over the whole vocabulary: it only pushes the true pair's score up
# and the scores of $K$ randomly drawn "noise" words $k$ down:
#
# $$L = -\log \sigma(u_o \cdot v_c) - \sum_{k=1}^{K} \log \sigma(-u_k \cdot v_c)$$
#
# The note says word vectors usually have 50 to 300 dimensions; tiny-shakespeare has only about
# 200,000 words, and 50 dimensions trained for 3 epochs (a few seconds) already show the geometry
# (`sj.word2vec`, gensim's method and defaults): related words gather, and the pronoun analogy
# comes out right, while one like king : queen = man : ? needs a far larger corpus and fails here:

# %% tags=["concept-word2vec"]
sentences = sj.word2vec.tokenize(text)
print(len(sentences), "lines,", sum(len(s) for s in sentences), "words")
w2v = sj.word2vec.Word2Vec(sentences, model="skipgram", vector_size=50, epochs=3, seed=0)
wv = w2v.wv
print("vocabulary:", len(wv), "words, each a vector of", wv.vector_size,
      "numbers; loss per epoch:", np.round(w2v.losses, 3).tolist())
for word in ("king", "brother"):
    print(word, "->", [w for w, _ in wv.most_similar(word, k=5)])
for a, b_, c in (("he", "his", "she"), ("king", "queen", "man")):
    (answer, cosine), = wv.analogy(a, b_, c, k=1)
    print(f"analogy {a} : {b_} = {c} : ? -> {answer} (cos {cosine:.3f})")

# the negative-sampling loss by hand for (king, richard) and 5 noise words
v_c = sj.tensor(w2v.input_weights[wv.get_index("king")])
u = sj.tensor(w2v.output_weights)
noise = sj.tensor(rng.integers(0, len(wv), 5))
ns_loss = -F.logsigmoid(u[wv.get_index("richard")] @ v_c) - F.logsigmoid(-(u[noise] @ v_c)).sum()
print(f"sigma(u_o . v_c) = {sj.sigmoid(u[wv.get_index('richard')] @ v_c).item():.3f}, "
      f"mean sigma(u_k . v_c) of the noise words = "
      f"{sj.sigmoid(u[noise] @ v_c).mean().item():.3f}, L = {ns_loss.item():.3f}")

words = ["king", "queen", "prince", "duke", "lord", "lady", "he", "she", "his", "her",
         "father", "mother", "son", "daughter", "brother", "sister"]
vectors = np.stack([wv[w] for w in words])
vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)  # cosine looks at directions
centred_vectors = vectors - vectors.mean(axis=0)
_, _, directions = np.linalg.svd(centred_vectors, full_matrices=False)
xy = centred_vectors @ directions[:2].T   # projected on the first two principal components
fig, ax = plt.subplots(figsize=(5, 4))
ax.scatter(xy[:, 0], xy[:, 1], s=12)
for word, (px, py) in zip(words, xy):
    ax.annotate(word, (px, py), fontsize=9)
ax.set_title("16 word vectors projected to 2-D (PCA)")
plt.show()

# %% [markdown]
# CBOW is the same call with `model="cbow"` (faster). From the command line: `shenjing word2vec
# input.txt --out vectors.txt` trains, `shenjing similar vectors.txt --analogy he his she`
# answers analogies.

# %%
cbow = sj.word2vec.Word2Vec(sentences, model="cbow", vector_size=50, epochs=3, seed=0)
print("CBOW: king ->", [w for w, _ in cbow.wv.most_similar("king", k=5)])

# %% [markdown]
# ## Exercises
#
# Each of the three questions has a check. Write your answer on the line `answer_N = None`, then
# run that cell and the check below it.

# %% tags=["checker"]
def _number(answer, name):
    if isinstance(answer, sj.Tensor):
        assert answer.numel() == 1, (
            name + ": expected one number, not a tensor of shape "
            + str(answer.shape))
        answer = answer.item()
    number = isinstance(answer, (int, float, np.integer, np.floating))
    assert number and not isinstance(answer, bool), (
        name + ": expected a number, got " + type(answer).__name__)
    return float(answer)


def check_1(answer):
    if answer is None:
        print("Exercise 1 is not answered yet.")
        return
    value = _number(answer, "answer_1")
    scores, label = sj.tensor([[2.2, 2.5, -3.1]]), sj.tensor([2])
    expected = sj.classic.svm_loss(scores, label).item()
    assert abs(value - expected / 3) > 1e-3, (
        "That is PyTorch's multi_margin_loss, which also divides by the number of classes; "
        "the note's formula only sums.")
    assert abs(value - expected) < 1e-3, (
        "Again: sum max(0, s_j - s_y + 1) over the wrong classes j only, and keep the +1.")
    print("Right! L_i =", round(expected, 4))


def check_2(answer):
    if answer is None:
        print("Exercise 2 is not answered yet.")
        return
    assert isinstance(answer, (tuple, list)), (
        "answer_2 should be a tuple (C, H, W), got "
        + type(answer).__name__)
    assert len(answer) == 3, (
        "answer_2 has three numbers (C, H, W), without the batch dim")
    integers = all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in answer)
    assert integers, (
        "sizes are integers: round down when the stride does not divide")
    net = sj.nn.Sequential(sj.nn.Conv2d(3, 16, kernel_size=5),
                           sj.nn.MaxPool2d(kernel_size=2),
                           sj.nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1))
    with sj.no_grad():
        expected = tuple(net(sj.zeros(1, 3, 32, 32)).shape[1:])
    assert int(answer[0]) == expected[0], (
        "the channels are the number of filters of the last layer")
    assert tuple(int(n) for n in answer) == expected, (
        "apply (W - F + 2P) // S + 1 layer by layer; pooling is a layer too (F = S = 2)")
    print("Right! The output is", expected)


def check_3(answer):
    if answer is None:
        print("Exercise 3 is not answered yet.")
        return
    assert isinstance(answer, (int, np.integer)) and not isinstance(answer, bool), (
        "answer_3 should be an integer, got "
        + type(answer).__name__)
    lstm = sj.nn.LSTM(input_size=32, hidden_size=128)
    expected = sum(p.numel() for p in lstm.parameters())
    assert answer * 4 != expected, (
        "an LSTM has four gates (i, f, g, o), each with its own weights")
    assert answer != expected - 4 * 128, (
        "PyTorch's LSTM has two bias vectors, b_ih and b_hh")
    assert answer == expected, (
        "count: each gate has W_ih (hidden x input), W_hh (hidden x hidden) and two biases")
    print("Right! Parameters:", expected)

# %% [markdown]
# **Exercise 1.** A frog image scores (cat 2.2, car 2.5, frog −3.1), and the right class is frog
# (index 2). What is its multiclass SVM loss $L_i$ by the note's formula? (A number.)

# %% tags=["exercise-1"]
scores = sj.tensor([2.2, 2.5, -3.1])  # cat, car, frog
answer_1 = None  # your answer here

# %% tags=["check-1"]
check_1(answer_1)

# %% [markdown]
# **Exercise 2.** A CIFAR-10-sized image ($3 \times 32 \times 32$) goes through `Conv2d(3, 16,
# kernel_size=5)`, `MaxPool2d(kernel_size=2)`, then `Conv2d(16, 32, kernel_size=3, stride=2,
# padding=1)`. What is the shape $(C, H, W)$ of the output? Use the formula; answer with a tuple.

# %% tags=["exercise-2"]
# hint: output_size(size, kernel, padding, stride) = (size - kernel + 2 * padding) // stride + 1
answer_2 = None  # your answer here

# %% tags=["check-2"]
check_2(answer_2)

# %% [markdown]
# **Exercise 3.** How many parameters does `sj.nn.LSTM(input_size=32, hidden_size=128)` (the size
# of the LSTM in the character model above) have? Count them from the LSTM's formulas, then you
# may check with `parameters()`.

# %% tags=["exercise-3"]
answer_3 = None  # your answer here

# %% tags=["check-3"]
check_3(answer_3)

# %% [markdown]
# ## Solutions

# %% [markdown]
# **Exercise 1.** The right class scores $-3.1$: the cat term is $\max(0, 2.2 + 3.1 + 1) = 6.3$,
# the car term $\max(0, 2.5 + 3.1 + 1) = 6.6$, together $12.9$.

# %% tags=["solution-1"]
scores = sj.tensor([2.2, 2.5, -3.1])
y = 2
terms = [max(0.0, scores[j].item() - scores[y].item() + 1) for j in range(3) if j != y]
answer_1 = round(sum(terms), 4)   # 6.3 + 6.6
print(answer_1)
check_1(answer_1)

# %% [markdown]
# **Exercise 2.** $32 \to (32 - 5 + 0)/1 + 1 = 28 \to$ pooling
# $(28 - 2)/2 + 1 = 14 \to \lfloor (14 - 3 + 2)/2 \rfloor + 1 = 7$; the channels are the last
# layer's 32 filters.

# %% tags=["solution-2"]
size = output_size(32, 5, 0, 1)        # 28
size = output_size(size, 2, 0, 2)      # 14
size = output_size(size, 3, 1, 2)      # 7
answer_2 = (32, size, size)
print(answer_2)
check_2(answer_2)

# %% [markdown]
# **Exercise 3.** Four gates $(i, f, g, o)$, each with $W_{ih}$ ($128 \times 32$), $W_{hh}$
# ($128 \times 128$) and two biases of 128:
# $4 \times (128 \cdot 32 + 128 \cdot 128 + 2 \cdot 128) = 82944$.

# %% tags=["solution-3"]
hidden, inputs_ = 128, 32
answer_3 = 4 * (hidden * inputs_ + hidden * hidden + 2 * hidden)
print(answer_3, sum(p.numel() for p in sj.nn.LSTM(input_size=32, hidden_size=128).parameters()))
check_3(answer_3)
