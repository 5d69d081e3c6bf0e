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
# # 第四课：识别手写数字的 784-16-16-10 网络
#
# 这一课跟着 3Blue1Brown《深度学习之神经网络的结构》（以及后面讲梯度下降、反向传播的两集）
# 的学习笔记走。视频里讲的是最原始的一种神经网络：**多层感知机**（MLP）。它由一层层神经元组成，
# 每个神经元都和上一层的所有神经元相连。我们用 shenjing 把笔记里的网络搭出来：784 个输入，
# 两个各有 16 个神经元的隐藏层，10 个输出。顺序和笔记一样：
#
# 1. 神经元，以及把 28x28 的图片拍扁成第一层的 784 个神经元；
# 2. 一个神经元算的是什么：加权和、偏置、Sigmoid；
# 3. 用矩阵写出整个网络，数一数它的 13,002 个参数；
# 4. 损失函数（代价）：网络到底有多糟糕；
# 5. 梯度下降：代价是 13,002 个数的函数；
# 6. 反向传播：对一张“2”的图片，手算梯度、用自动求导算、用有限差分验证；
# 7. 在真实的 MNIST 上做小批量随机梯度下降，再把第一层的权重画成图片。
#
# 为了让这一课在 CPU 上几秒钟就能跑完，我们只用 MNIST 的一个子集训练
# （60,000 张训练图片中的前 20,000 张），测试则用全部 10,000 张测试图片。

# %% tags=["setup"]
import matplotlib.pyplot as plt
import numpy as np

import shenjing as sj
import shenjing.nn.functional as F

sj.manual_seed(0)
rng = np.random.default_rng(0)
sj.set_num_threads(1)  # 矩阵都很小：一个 BLAS 线程比多个线程抢 CPU 核更快
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. 神经元：把一张图片拍扁成 784 个
#
# 目前可以把**神经元**理解成一个装着数字的容器，装的是 0 到 1 之间的一个数，叫作它的**激活值**。
# 一张 28x28 的灰度图，拍扁成一行就是 $28 \times 28 = 784$ 个数：这就是网络第一层的 784 个神经元，
# 每个神经元的亮度就是对应像素的灰度。最后一层有 10 个神经元，每个数字一个；
# 夹在输入层和输出层之间的是**隐藏层**，它们最后能识别出什么，完全是训练的产物。
#
# `sj.datasets.MNIST` 读取手写数字（训练集 60,000 张，测试集 10,000 张），
# 用法和 `torchvision.datasets.MNIST` 一样。我们把训练集里的第一个 9 拍扁看看。

# %%
train = sj.datasets.MNIST(train=True, download=True)
test = sj.datasets.MNIST(train=False, download=True)
print("训练图片:", tuple(train.data.shape), " 测试图片:", tuple(test.data.shape))

nine = int((train.targets == 9).nonzero()[0, 0])  # 第一个 9 的下标
image = train.data[nine].float() / 255            # (28, 28)，灰度在 [0, 1] 之间
a0 = image.reshape(784)                           # 拍扁：第一层的 784 个激活值
print(f"第 {nine + 1} 张图（下标 {nine}）是 {int(train.targets[nine])}：{a0.numel()} 个输入神经元，"
      f"其中 {int((a0 > 0.5).sum())} 个亮度超过 0.5")

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 2.2), width_ratios=[1, 4])
left.imshow(image.numpy(), cmap="gray_r")
left.set_title("28 x 28")
left.axis("off")
right.plot(a0.numpy(), linewidth=0.7)
right.set_title("the same image as 784 numbers in a row")
right.set_xlabel("input neuron")
plt.show()

# %% [markdown]
# ## 2. 一个神经元算的是什么
#
# 两个神经元之间的每一条连线都带一个**权重**。第二层的一个神经元把 784 个激活值加权求和，
# 再加上一个**偏置** $b$（相当于阈值：加权和要多大，这个神经元才会被点亮），
# 最后用 Sigmoid 函数把结果压缩到 $(0, 1)$ 之间：
#
# $$a = \sigma(w_1 a_1 + w_2 a_2 + \dots + w_{784} a_{784} + b), \qquad
# \sigma(z) = \frac{1}{1 + e^{-z}}.$$
#
# 笔记里的例子：想识别一小段横着的笔画，就给这一段的像素正的权重（绿色），给它正上方、
# 本该是空白边缘的像素负的权重（红色），其他地方权重为 0。如果图片在这一段上有笔迹、上方没有，
# 正权重加起来很大，负权重那边几乎是 0，减不掉多少，所以加权和很大。
# 每个神经元就像一个从 784 个数到 1 个数的函数。

# %%
w = sj.zeros(28, 28)
w[7:9, 11:21] = 1.0    # 笔画：这里有墨迹，加权和变大
w[4:7, 11:21] = -1.0   # 笔画正上方：这里有墨迹，加权和变小
b = -5.0               # 加权和超过 5，神经元才会被点亮

for index in (nine, 3, 5):  # 训练集里的一个 9、一个 1、一个 2
    x = train.data[index].float().reshape(784) / 255
    z = (w.reshape(784) * x).sum() + b
    print(f"数字 {int(train.targets[index])}：加权和 + b = {float(z):+6.2f}，"
          f"激活值 = {float(sj.sigmoid(z)):.3f}")

fig, axes = plt.subplots(1, 4, figsize=(8, 2))
axes[0].imshow(w.numpy(), cmap="PiYG", vmin=-1, vmax=1)  # 红（粉）< 0 < 绿
axes[0].set_title("weights")
for ax, index in zip(axes[1:], (nine, 3, 5)):
    ax.imshow(train.data[index].numpy(), cmap="gray_r")
    ax.contour(w.numpy(), levels=[-0.5, 0.5], colors=["red", "green"], linewidths=0.8)
    ax.set_title(f"a {int(train.targets[index])}")
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# 9 和 2 的顶部都有一道横，这个神经元对两者都被点亮；1 在这段笔画的上方也有墨迹，
# 被红色的负权重抵消了。这种手工设计的“特征检测器”只是帮助理解的比喻：
# 训练出来的网络会自己选择权重（第 7 节会看到它们长什么样）。
#
# ## 3. 整个网络：784-16-16-10 和它的 13,002 个参数
#
# 把一层的激活值写成列向量，把下一层每个神经元的权重写成矩阵 $W$ 的一行，
# 一次矩阵乘法就算出了所有的加权和，整层就是
#
# $$a^{(1)} = \sigma\!\left(W^{(1)} a^{(0)} + b^{(1)}\right), \qquad
# W^{(1)} \in \mathbb{R}^{16 \times 784},\; b^{(1)} \in \mathbb{R}^{16},$$
#
# 其中 $\sigma$ 逐个元素作用。网络把三个这样的层串起来：784 → 16 → 16 → 10。数一数权重和偏置：
#
# $$784 \cdot 16 + 16 \;+\; 16 \cdot 16 + 16 \;+\; 16 \cdot 10 + 10 = 13\,002.$$
#
# 在 shenjing 里（和 PyTorch 一样），`sj.nn.Linear(784, 16)` 这一层存着 $W$ 和 $b$，
# 算的是 $W a + b$；`sj.nn.Sigmoid()` 做 $\sigma$。`sj.summary` 列出每一层并数出参数个数。

# %% tags=["concept-mnist-784-16-16-10"]
def make_network():
    """笔记里的网络：每个神经元（包括输出）装的都是 (0, 1) 之间的数。"""
    return sj.nn.Sequential(
        sj.nn.Linear(784, 16), sj.nn.Sigmoid(),  # 第一个隐藏层
        sj.nn.Linear(16, 16), sj.nn.Sigmoid(),   # 第二个隐藏层
        sj.nn.Linear(16, 10), sj.nn.Sigmoid(),   # 输出层：每个数字一个神经元
    )


sj.manual_seed(0)
model = make_network()
table = sj.summary(model, (784,))
print(table)
by_hand = 784 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10
print("手算:", by_hand, "  sj.summary 数出:", table.total_params)

# %% [markdown]
# 整个网络就是一个从 784 个数到 10 个数的函数，有 13,002 个可以调的旋钮。下面用这个网络自己的权重，
# 一层一层地手算前向传播：`model[0]` 是第一个 `Linear` 层。

# %% tags=["concept-forward-by-hand"]
W1, b1 = model[0].weight, model[0].bias  # (16, 784), (16,)
W2, b2 = model[2].weight, model[2].bias  # (16, 16), (16,)
W3, b3 = model[4].weight, model[4].bias  # (10, 16), (10,)

a1 = sj.sigmoid(W1 @ a0 + b1)  # (16, 784) @ (784,) -> (16,)
a2 = sj.sigmoid(W2 @ a1 + b2)  # (16, 16) @ (16,) -> (16,)
a3 = sj.sigmoid(W3 @ a2 + b3)  # (10, 16) @ (16,) -> (10,)
print("手算的输出:  ", a3.detach().numpy())

# %% tags=["concept-forward-layer"]
output = model(a0.reshape(1, 784))[0]  # 层接受一个批次：(1, 784) -> (1, 10)
print("层算的输出:  ", output.detach().numpy())
print("一样吗:", sj.allclose(a3, output))
print("最亮的输出神经元，也就是网络的选择:", int(output.argmax()),
      f"（图片是 {int(train.targets[nine])}；权重还是随机的）")

# %% [markdown]
# ## 4. 损失函数：网络有多糟糕？
#
# 权重一开始是随机数，所以网络的表现很糟。怎么用一个电脑能处理的数来量化这个“糟糕”？
# 把 10 个输出和它们应该有的值比较：$y$ 在正确的数字上是 1，其他地方是 0（one-hot）。
# 一张图片的代价是差值的平方和，网络的**代价**（损失函数）是它在所有 $n$ 张训练图片上的平均：
#
# $$C_x = \sum_{j=0}^{9} \left(a^{(3)}_j - y_j\right)^2, \qquad
# C = \frac{1}{n} \sum_{x} C_x.$$
#
# 网络答对而且有把握时代价小，答错时代价大。（`F.mse_loss` 还会对 10 个输出取平均，
# 所以 $C$ 是它的 10 倍。）

# %% tags=["concept-cost"]
y = F.one_hot(train.targets[nine], 10).float()  # 第 9 位是 1，其余是 0
print("目标 y:", y.numpy())
print(f"这一张 9 的代价: {float(((a3 - y) ** 2).sum()):.4f}")

N = 20_000  # 训练用的子集：前 20,000 张训练图片
X = train.data[:N].reshape(N, 784).float() / 255  # (N, 784)
Y = F.one_hot(train.targets[:N], 10).float()     # (N, 10)


def cost(network, X, Y):
    """10 个输出的误差平方和，再对图片取平均。"""
    return ((network(X) - Y) ** 2).sum(dim=1).mean()


print(f"{N} 张图片上的代价:  {float(cost(model, X, Y)):.4f}")
print(f"10 * F.mse_loss:         {float(10 * F.mse_loss(model(X), Y)):.4f}")

# %% [markdown]
# ## 5. 梯度下降
#
# 从训练的角度看，代价是一个函数：它的**输入是 13,002 个权重和偏置**（训练图片是固定的，
# 是它的参数），输出是一个数。要让它变小，就往下坡走：
# **梯度** $\nabla C$ 是 13,002 个偏导数组成的向量，指向 $C$ 上升最快的方向，所以朝反方向迈一小步，
#
# $$w \leftarrow w - \eta \, \nabla C(w),$$
#
# 然后重复。因为 $C$ 是所有训练图片的平均，每一步让网络在**整体上**变好，而不是只对某一张图片。
# 学习的本质就是这个：让代价函数最小。
#
# 梯度还告诉我们改变哪个参数“性价比”更高：如果 $\nabla C = (3, 1)$，
# 改变第一个变量对函数的影响是改变第二个的三倍。下面先用自动求导（`cost.backward()`）算出梯度，
# 看看分别微调偏导数最大和最小的参数，代价各变化多少；然后做**全批量**梯度下降，
# 每一步都用上全部 20,000 张图片。

# %% tags=["concept-gradient-descent"]
C = cost(model, X, Y)
model.zero_grad()
C.backward()
gradient = sj.cat([p.grad.reshape(-1) for p in model.parameters()])  # (13002,)
print("梯度有", gradient.numel(), "个分量")


def nudge(k, amount):
    """给 13,002 个数（按顺序拍平的全部参数）中的第 k 个加上 ``amount``。"""
    for p in model.parameters():
        if k < p.numel():
            with sj.no_grad():
                p.view(-1)[k] += amount
            return
        k -= p.numel()


eps = 1e-2
for name, k in (("最大", int(gradient.abs().argmax())),
                ("最小", int(gradient.abs().argmin()))):
    step = -eps if float(gradient[k]) >= 0 else eps  # 只动这一个参数，往下坡走
    nudge(k, step)
    with sj.no_grad():
        change = float(cost(model, X, Y) - C)
    nudge(k, -step)  # 再改回来
    print(f"{name} |dC/dw| = {abs(float(gradient[k])):.1e}：微调 {eps}，C 变化 "
          f"{change:+.1e}")
dark = int((X.amax(dim=0) == 0).sum())  # 在所有图片里都是 0 的像素
print(f"有 {int((gradient == 0).sum())} 个偏导数恰好是 0；784 个像素中有 {dark} 个"
      f"在全部 {N} 张图片里都是黑的，16 * {dark} = {16 * dark}")

optimizer = sj.optim.SGD(model.parameters(), lr=3.0)  # w <- w - 3.0 * 梯度
gd_costs = []
for step in range(30):
    C = cost(model, X, Y)
    optimizer.zero_grad()
    C.backward()
    optimizer.step()
    gd_costs.append(float(C))
    if step % 5 == 0 or step == 29:
        print(f"第 {step:2d} 步: C = {float(C):.4f}")

# %% [markdown]
# 微调偏导数最大的那个参数，代价的变化大约是 $|\partial C / \partial w| \times 0.01$，
# 和梯度说的一样。有些偏导数恰好是 0：第一层里连着某个像素的权重，
# 如果这个像素在每张训练图片里都是黑的（0），它每次都乘以 0，怎么改都影响不了代价。
#
# 代价一开始下降得很快，后来几乎不动了：所有输出都停在同一个小数值附近，这是一个梯度很弱的平台。
# 第 7 节会介绍一种更省、也快得多的下坡方法。在那之前先看：梯度是怎么来的？
#
# ## 6. 反向传播：一张“2”
#
# 梯度下降会用到所有样本，但我们先集中看一个样本“2”，用的是上面几步梯度下降之后的网络。
# 我们希望预测 2 的那个神经元变大，其余九个变小；每个要变多少，
# 取决于 $\partial C_x / \partial a^{(3)}_j = 2 (a^{(3)}_j - y_j)$：已经很接近目标的输出，
# 要求的改变就很小。

# %% tags=["concept-gradient-by-hand"]
two = int((train.targets == 2).nonzero()[0, 0])  # 训练集里的第一个 2
x2 = train.data[two].reshape(784).float() / 255
y2 = F.one_hot(train.targets[two], 10).float()
W1, b1, W2, b2, W3, b3 = [p.detach() for p in model.parameters()]

a1 = sj.sigmoid(W1 @ x2 + b1)  # 前向传播，记下每一层的激活值
a2 = sj.sigmoid(W2 @ a1 + b2)
a3 = sj.sigmoid(W3 @ a2 + b3)
dC_da3 = 2 * (a3 - y2)  # 负数：这个神经元应该变大；正数：应该变小
print("数字  输出   目标    dC/da")
for j in range(10):
    print(f"{j:4d}  {float(a3[j]):.3f}  {float(y2[j]):4.0f}  {float(dC_da3[j]):+.3f}")

# 一层层往回传，sigma'(z) = a (1 - a)：
d3 = dC_da3 * a3 * (1 - a3)   # dC/dz3, (10,)
g_b3 = d3                     # ① 增大偏置
g_W3 = sj.outer(d3, a2)       # ② 改权重，亮的神经元 a2_k 对应的权重最要紧
dC_da2 = W3.T @ d3            # ③ 每个输出对第二层的“期望”，十个加起来
d2 = dC_da2 * a2 * (1 - a2)   # 再往前一层，同样的道理
g_b2, g_W2 = d2, sj.outer(d2, a1)
d1 = (W2.T @ d2) * a1 * (1 - a1)
g_b1, g_W1 = d1, sj.outer(d1, x2)
by_hand = [g_W1, g_b1, g_W2, g_b2, g_W3, g_b3]
print("梯度的形状:", [tuple(g.shape) for g in by_hand])

# %% [markdown]
# 笔记里让“2”这个神经元变大的三种方法，都在这几行里：① 增大偏置 $b$；② 增大权重 $w$，
# 而且亮的神经元对应的权重性价比最高（$w_{jk}$ 的梯度和 $a^{(2)}_k$ 成正比）；
# ③ 按连接的强度调整前一层的激活值。每个输出神经元对前一层都有自己的期望，
# 把这些期望加起来（$W^\top \delta$）就是第二层该怎么变，然后把同样的过程重复到第一层。
# 用数学写出来，记 $z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}$：
#
# $$\delta^{(l)} = \frac{\partial C_x}{\partial z^{(l)}}
# = \frac{\partial C_x}{\partial a^{(l)}} \odot a^{(l)} (1 - a^{(l)}), \quad
# \frac{\partial C_x}{\partial b^{(l)}} = \delta^{(l)}, \quad
# \frac{\partial C_x}{\partial W^{(l)}} = \delta^{(l)} \left(a^{(l-1)}\right)^{\!\top}, \quad
# \frac{\partial C_x}{\partial a^{(l-1)}} = \left(W^{(l)}\right)^{\!\top} \delta^{(l)}.$$
#
# 自动求导做的正是这件事：沿着前向计算的计算图往回走。

# %% tags=["concept-gradient-autograd"]
cost_two = ((model(x2.reshape(1, 784))[0] - y2) ** 2).sum()
model.zero_grad()
cost_two.backward()
names = [name for name, _ in model.named_parameters()]
for name, p, g in zip(names, model.parameters(), by_hand):
    print(f"{name:9s} {str(tuple(p.shape)):10s} max |自动求导 - 手算| = "
          f"{float((p.grad - g).abs().max()):.1e}")
print("dC/db3   手算    |  自动求导")
for j in range(10):
    print(f"   {float(g_b3[j]):+.6f} | {float(model[4].bias.grad[j]):+.6f}")

# %% [markdown]
# 第三种、独立的验证：`sj.autograd.gradcheck` 把 13,002 个参数逐个往上、
# 往下微调一点点（中心有限差分，用 float64），把算出的斜率和反向传播的梯度比较。

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
print(f"gradcheck: {ok}，共检查了 {count} 个偏导数")

# %% [markdown]
# ## 7. 小批量随机梯度下降
#
# 每走一步都要对所有数据做一遍反向传播，太慢了。所以把训练样本打乱，分成每个 100 张的
# **小批量**（mini-batch），用每个小批量的梯度来近似整体的梯度：
#
# $$\nabla C \approx \frac{1}{100} \sum_{x \in \text{mini-batch}} \nabla C_x .$$
#
# 这就是**随机梯度下降**（SGD）：每一步的方向都有点偏，但每一步便宜得多，
# 把数据过一遍（一个 *epoch*）能走 200 步，而不是 1 步。
# `sj.data.DataLoader(..., batch_size=100, shuffle=True)` 负责打乱和切分，和 PyTorch 一样。
# 我们从同一个随机初始化的网络重新开始，在子集上训练 10 个 epoch。

# %% tags=["concept-mini-batch-sgd"]
sj.manual_seed(0)
net = make_network()  # 和 model 一开始的权重完全一样
optimizer = sj.optim.SGD(net.parameters(), lr=3.0)
loader = sj.data.DataLoader(sj.data.TensorDataset(X, Y), batch_size=100, shuffle=True)
test_x = test.data.reshape(-1, 784).float() / 255


def test_accuracy(network):
    with sj.no_grad():
        return float((network(test_x).argmax(dim=1) == test.targets).float().mean())


print(f"每个 epoch {len(loader)} 步，一共 {10 * len(loader)} 步")
sgd_costs = []
for epoch in range(10):
    for xb, yb in loader:
        C = cost(net, xb, yb)  # 只是这 100 张图片的代价
        optimizer.zero_grad()
        C.backward()
        optimizer.step()
        sgd_costs.append(float(C))
    with sj.no_grad():
        full = float(cost(net, X, Y))
    print(f"第 {epoch + 1:2d} 个 epoch：20,000 张上的 C = {full:.4f}，"
          f"测试准确率 = {test_accuracy(net):.1%}")
print(f"全批量梯度下降走了 {len(gd_costs)} 步之后："
      f"测试准确率 = {test_accuracy(model):.1%}")

steps = np.arange(len(sgd_costs)) / len(loader)  # 每个代价是在第几个 epoch 量的
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
# 把数据过 10 遍，小批量 SGD 走了 2,000 小步，每步都带噪声，却达到了上面打印的测试准确率；
# 全批量梯度下降把数据过了 30 遍，走了 30 步精确的梯度，仍然停在平台上。
# 单个小批量的代价忽高忽低并不要紧：平均来看，每一步都在下坡。
#
# ### 隐藏层学到了什么？把权重画成图片
#
# 回到笔记里的期待：隐藏层的神经元会识别笔画、圆圈这样的小特征。
# 第一层的一个神经元算的是 $\sigma(w \cdot a^{(0)} + b)$，它的 784 个权重和图片形状一样，
# 画成 28x28 的图（绿色为正、红色为负、白色接近 0，和第 2 节一样），就能看出它在找什么样式。
# `sj.viz.weight_tiles` 负责画（`sj.viz.first_layer_weights` 直接从模型画，效果一样）；
# 每张小图上方是这个神经元看到我们那张 9 时的激活值。

# %% tags=["concept-weights-as-images"]
hidden = net[1](net[0](a0.reshape(1, 784)))[0]  # 第一层 16 个神经元对那张 9 的激活值
sj.viz.weight_tiles(net[0].weight, titles=[f"{float(h):.2f}" for h in hidden], columns=8,
                   title="first layer: 16 neurons, 784 weights each")

# %% [markdown]
# 正如笔记所说：pretty random，看起来相当随机。有一些团块和零碎的笔画，
# 但没有哪张是人会说“这是 9 上面那个圈”的样子。网络找到的是能让代价变小的样式，不必和我们想的一样；
# “笔画、圆圈”只是帮助理解的比喻。不过，输入那张 9 时，确实有的神经元被点亮（接近 1），
# 有的不亮（接近 0），后面的层把这些组合起来给出答案。

# %% [markdown]
# ## 练习
#
# 三道小练习。把 `None` 换成你的答案，运行这个单元，再运行下面的检查。

# %% tags=["checker"]
def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_1(answer):
    sizes = (784, 32, 32, 10)
    expected = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))
    if answer is None:
        print("练习 1 还没有作答。")
        return
    assert isinstance(answer, (int, np.integer)) and not isinstance(answer, bool), (
        f"answer_1 应该是一个整数（int），而不是 {type(answer).__name__}")
    weights = sum(n_in * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    assert answer != weights, "这只数了权重：每个神经元还有一个偏置"
    assert answer != sum(sizes), "这数的是神经元个数，要数的是参数个数"
    assert answer == expected, ("还不对：每个 Linear(n_in, n_out) 有 n_in * n_out 个权重和 "
                                "n_out 个偏置，一层一层加起来")
    print("正确！练习 1 完成。")


# 一个网络看到一张 2 时的十个输出，练习 2 要用。
outputs_2 = sj.tensor([0.03, 0.20, 0.30, 0.11, 0.02, 0.09, 0.05, 0.55, 0.01, 0.06])
label_2 = 2


def check_2(answer):
    a = outputs_2.clone().requires_grad_()
    ((a - F.one_hot(sj.tensor(label_2), 10).float()) ** 2).sum().backward()
    expected = a.grad
    if answer is None:
        print("练习 2 还没有作答。")
        return
    assert isinstance(answer, sj.Tensor), (
        f"answer_2 应该是 shenjing 的张量，而不是 {type(answer).__name__}")
    assert tuple(answer.shape) == (10,), (
        f"answer_2 应该每个输出神经元一个数，形状 (10,)，而不是 {tuple(answer.shape)}")
    answer = answer.detach().float()
    assert not sj.allclose(answer, -expected, atol=1e-4), (
        "检查一下符号：如果一个输出已经比目标大，再增大它，C 会变大")
    assert not sj.allclose(answer, expected / 2, atol=1e-4), (
        "差一点：u ** 2 的导数是什么？")
    assert sj.allclose(answer, expected, atol=1e-4), (
        "还不对：C 是十个平方的和，a_j 只出现在其中一项里")
    print("正确！练习 2 完成。")


def check_3(answer):
    images, batch = 60_000, 128
    expected = -(-images // batch)  # 向上取整：最后那个较小的批次也算一步
    if answer is None:
        print("练习 3 还没有作答。")
        return
    assert _is_number(answer), f"answer_3 应该是一个数，而不是 {type(answer).__name__}"
    assert float(answer).is_integer(), (
        "步数是整数：一个小批量要么整个用上，要么不用")
    assert answer != images // batch, (
        "差一点：不设 drop_last=True 时，剩下的图片还会组成一个较小的批次")
    assert answer == expected, "还不对：要多少个 128 张的批次才能把所有图片都覆盖？"
    print("正确！练习 3 完成。")


# %% [markdown]
# ### 练习 1：有多少个参数？
#
# 把笔记里网络的两个隐藏层从 16 个神经元加宽到 32 个：784-32-32-10。它一共有多少个权重和偏置？
# 请手算（一个 `int`），可以用 `sj.summary` 验证。

# %% tags=["exercise-1"]
answer_1 = None  # 把你的答案写在这里

# %% tags=["check-1"]
check_1(answer_1)

# %% [markdown]
# ### 练习 2：哪个输出该动，动多少？
#
# 一个网络看到一张 2，十个输出的激活值是 `outputs_2`（下面会打印出来）。
# 代价是 $C_x = \sum_j (a_j - y_j)^2$，
# 请用张量运算手算 $\partial C_x / \partial a_j$（$j = 0, \dots, 9$，形状 `(10,)`），
# 不要用 `backward`。哪个分量的绝对值最大？为什么 8 的输出几乎不需要改变？

# %% tags=["exercise-2"]
print("outputs_2 =", outputs_2.numpy(), " 标签:", label_2)
answer_2 = None  # 把你的答案写在这里

# %% tags=["check-2"]
check_2(answer_2)

# %% [markdown]
# ### 练习 3：一个 epoch 有多少步？
#
# 用全部 60,000 张 MNIST 训练图片训练，
# `sj.data.DataLoader(..., batch_size=128)`（`drop_last` 保持默认的 `False`），
# 一个 epoch 要走多少步梯度下降？

# %% tags=["exercise-3"]
answer_3 = None  # 把你的答案写在这里

# %% tags=["check-3"]
check_3(answer_3)

# %% [markdown]
# ## 参考答案
#
# **1.** 每一层 `Linear(n_in, n_out)` 有 `n_in * n_out` 个权重和 `n_out` 个偏置：
# $784 \cdot 32 + 32 + 32 \cdot 32 + 32 + 32 \cdot 10 + 10$。`sj.summary` 的结果一样。

# %% tags=["solution-1"]
answer_1 = 784 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10
wide = sj.nn.Sequential(sj.nn.Linear(784, 32), sj.nn.Sigmoid(), sj.nn.Linear(32, 32),
                        sj.nn.Sigmoid(), sj.nn.Linear(32, 10), sj.nn.Sigmoid())
print(answer_1, sj.summary(wide, (784,)).total_params)
check_1(answer_1)

# %% [markdown]
# **2.** 和式里只有 $(a_j - y_j)^2$ 这一项含 $a_j$，它的导数是 $2(a_j - y_j)$。
# 2 的输出离目标 1 还很远，所以它的分量绝对值最大（而且是负的：应该增大）。
# 8 的输出已经很接近目标 0，改变它几乎降不了代价；7 的输出错得很有把握，要求大幅减小。

# %% tags=["solution-2"]
y_2 = F.one_hot(sj.tensor(label_2), 10).float()
answer_2 = 2 * (outputs_2 - y_2)
print(answer_2.numpy())
check_2(answer_2)

# %% [markdown]
# **3.** $60\,000 / 128 = 468.75$：468 个满批次，再加上剩下的图片组成的最后一个批次，一共 469 步。
# `len(loader)` 给出同样的答案。

# %% tags=["solution-3"]
answer_3 = len(sj.data.DataLoader(sj.data.TensorDataset(sj.zeros(60_000)), batch_size=128))
print(60_000 / 128, answer_3)
check_3(answer_3)
