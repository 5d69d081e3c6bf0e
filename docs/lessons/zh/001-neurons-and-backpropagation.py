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
# # 第二课：神经元、激活函数与反向传播
#
# 本课按学习笔记 001（前馈神经网络）的顺序，一节一节地来：
#
# 1. **神经元**（4.1）：加权求和加上激活函数；三类激活函数（S 型函数、斜坡函数、复合函数）
#    以及它们的导数；
# 2. **神经网络**（4.2）与**前馈神经网络**（4.3）：层、信息的前向传递、交叉熵损失；
# 3. **反向传播算法**（4.4）：每一层的误差项由后一层推出，再用它做随机梯度下降；
# 4. **计算图与自动微分**（4.5）：一个小表达式的计算图、反向模式、动态计算图与静态计算图；
# 5. **优化问题**（4.6）：非凸优化与梯度消失。
#
# 笔记里的每个公式都算两遍：一遍用张量手算，一遍用 shenjing 的层和自动微分，两者必须一致。
# 请从头按顺序运行各个单元格。

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
# ## 1. 神经元（4.1）
#
# 人工神经元接收输入 $x_1, \dots, x_D$。它的前半部分负责**收集信息**：净输入是输入的加权和再加上
# 偏置，
#
# $$z = \sum_{d=1}^{D} w_d x_d + b = \mathbf{w}^\top \mathbf{x} + b .$$
#
# 后半部分是一个**非线性的激活函数** $f$，把收集到的信息映射为一个激活状态：$a = f(z)$。
# 去掉 $f$，神经元就是一个简单的线性模型。偏置 $b$ 用来调节阈值：输入要强到什么程度，神经元才会
# “兴奋”。

# %% tags=["concept-neuron"]
x = sj.tensor([1.0, -2.0, 0.5])  # 三个输入
w = sj.tensor([0.8, 0.1, -0.4])  # 每个输入一个权重
b = sj.tensor(0.2)

z = (w * x).sum() + b  # 收集信息：净输入 w^T x + b
a = sj.sigmoid(z)  # 激活：a = f(z)，这里用 logistic 函数
print(f"z = {z.item():.4f}，a = sigmoid(z) = {a.item():.4f}")

# 输入不变，只换偏置：偏置决定神经元有多容易兴奋
for bias in (-2.0, 0.0, 2.0):
    print(f"b = {bias:+.1f}：a = {sj.sigmoid((w * x).sum() + bias).item():.4f}")

# %% [markdown]
# 不同类型的神经元，区别主要在于激活函数怎么设计。笔记把常用的激活函数分成三类：
#
# 1. **S 型函数**：logistic 函数 $\sigma(x) = \frac{1}{1 + e^{-x}}$，取值在 $(0, 1)$ 之间，
#    模拟神经元的两种状态；以及 $\tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}} = 2\sigma(2x) - 1$，
#    取值在 $(-1, 1)$ 之间。两者可以相互转换，所以能力基本等价。
# 2. **斜坡函数**：$\mathrm{ReLU}(x) = \max(0, x)$；带泄露的 ReLU（leaky ReLU）
#    $\max(0, x) + \gamma \min(0, x)$，$\gamma$ 是一个很小的数；带参数的 ReLU（PReLU）把
#    $\gamma$ 变成可学习的参数；ELU 在 $x > 0$ 时为 $x$，否则为 $\gamma(e^x - 1)$。
# 3. **复合函数**，同时带有 S 型函数和斜坡函数的性质：swish 函数是一种**自门控**函数，
#    $\mathrm{swish}(x) = x\,\sigma(\beta x)$；高斯误差线性单元 GELU，
#    $\mathrm{GELU}(x) = x\,P(X \le x) = x\,\Phi(x)$，其中 $\Phi$ 是标准正态分布 $X$ 的累积分布
#    函数。
#
# 反向传播要用到它们的导数：
#
# | 函数 | 导数 |
# |---|---|
# | $\sigma(x)$ | $\sigma(x)\,(1 - \sigma(x))$ |
# | $\tanh(x)$ | $1 - \tanh^2(x)$ |
# | $\mathrm{ReLU}(x)$ | $x > 0$ 时为 $1$，否则为 $0$ |
# | leaky ReLU | $x > 0$ 时为 $1$，否则为 $\gamma$ |
# | $\mathrm{ELU}(x)$ | $x > 0$ 时为 $1$，否则为 $\gamma e^x$ |
# | $x\,\sigma(\beta x)$ | $\sigma(\beta x) + \beta x\,\sigma(\beta x)(1 - \sigma(\beta x))$ |
# | $x\,\Phi(x)$ | $\Phi(x) + x\,\varphi(x)$，$\varphi$ 为标准正态分布的密度函数 |
#
# 下面的单元格按这张表手写每个函数和它的导数，再和 shenjing 的层（`sj.nn.Sigmoid` 等）以及
# 自动微分算出的导数比较：打印的是 $-4$ 到 $4$ 之间 801 个点上的最大差值。

# %% tags=["concept-activations"]
x = sj.linspace(-4.0, 4.0, 801, dtype=sj.float64, requires_grad=True)
t = x.detach()  # 手算公式用不着计算图
s = 1 / (1 + sj.exp(-t))
th = (sj.exp(t) - sj.exp(-t)) / (sj.exp(t) + sj.exp(-t))
Phi = 0.5 * (1 + sj.erf(t / math.sqrt(2)))  # 标准正态分布 X 的 P(X <= x)
phi = sj.exp(-t**2 / 2) / math.sqrt(2 * math.pi)
gamma = 0.01  # leaky ReLU 左边的斜率

by_hand = {  # 名字: (层, f(x), f'(x))，后两项按上表手写
    "Sigmoid": (sj.nn.Sigmoid(), s, s * (1 - s)),
    "Tanh": (sj.nn.Tanh(), th, 1 - th**2),
    "ReLU": (sj.nn.ReLU(), sj.clamp(t, min=0), (t > 0).double()),
    "LeakyReLU": (sj.nn.LeakyReLU(gamma), sj.where(t > 0, t, gamma * t),
                  sj.where(t > 0, 1.0, sj.full_like(t, gamma))),
    "ELU": (sj.nn.ELU(), sj.where(t > 0, t, sj.exp(t) - 1), sj.where(t > 0, 1.0, sj.exp(t))),
    "SiLU (swish, beta=1)": (sj.nn.SiLU(), t * s, s + t * s * (1 - s)),
    "GELU": (sj.nn.GELU(), t * Phi, Phi + t * phi),
}
print(f"{'激活函数':20s}{'max |f - 层|':>18s}{'max |df - 自动微分|':>20s}")
derivatives = {}
for name, (layer, f, df) in by_hand.items():
    y = layer(x)
    (dy,) = sj.autograd.grad(y.sum(), x)  # f 逐元素作用：sum 对 x_i 的导数就是 f'(x_i)
    derivatives[name] = dy
    print(f"{name:22s}{(f - y).abs().max().item():18.1e}{(df - dy).abs().max().item():22.1e}")

print("tanh(x) = 2 sigmoid(2x) - 1，最大差值：",
      f"{(th - (2 * sj.sigmoid(2 * t) - 1)).abs().max().item():.1e}")
print(f"导数的最大值：sigmoid {derivatives['Sigmoid'].max().item():.4f}，"
      f"tanh {derivatives['Tanh'].max().item():.4f}，ReLU {derivatives['ReLU'].max().item():.4f}")

# 画图：每个函数（实线）和自动微分算出的导数（虚线）
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
# logistic 函数导数的最大值是四分之一，在 $x = 0$ 处取到；$\tanh$ 的是 1。记住这个四分之一：
# 第 5 节讲梯度消失时还会用到它。
#
# **为什么 logistic 函数的输出不适合作为下一层的输入？** logistic 函数的输出恒大于 0，即
# **非零中心化**。如果一个神经元的输入 $x_d$ 全是正数，那么它的权重梯度
# $\frac{\partial L}{\partial w_d} = \frac{\partial L}{\partial z}\, x_d$ 对所有 $d$ 符号都相同：
# 一步更新里所有权重要么一起变大，要么一起变小。如果最优点要求有的权重变大、有的变小，梯度下降
# 只能走“之”字形，效率很低。笔记给的办法：把输入归一化到零中心，或者加一个可学习的偏置。
# 下面的单元格打印这些符号。

# %%
inputs = sj.sigmoid(sj.randn(5))  # logistic 神经元的输出：全是正数
weights = sj.randn(5, requires_grad=True)
loss = (sj.sigmoid((weights * inputs).sum()) - 1.0) ** 2
loss.backward()
print("输入（全部 > 0）：     ", inputs)
print("dL/dw 的符号：         ", sj.sign(weights.grad))
centred = inputs - inputs.mean()  # 归一化到零均值
weights.grad = None
((sj.sigmoid((weights * centred).sum()) - 1.0) ** 2).backward()
print("输入零中心化后的符号：", sj.sign(weights.grad))

# %% [markdown]
# **ReLU** 一般是激活函数的首选：计算简单；有生物学上的合理性（神经元兴奋时可以非常兴奋）；
# 优化性质好，右边的导数恰好是 1，不会太小也不会太大。它的问题是**死亡 ReLU 问题**：如果一个
# 神经元对所有样本的净输入都是负的，它的梯度就是 0，权重再也不会更新。leaky ReLU 在左边保留一个
# 很小的斜率 $\gamma$，让梯度仍然能流过去。

# %%
inputs = sj.randn(100, 3)
w = sj.tensor([0.5, -0.3, 0.2], requires_grad=True)
b = sj.tensor(-10.0, requires_grad=True)  # 偏置负得很多：对每个样本 z < 0
for name, f in (("ReLU", F.relu), ("LeakyReLU", lambda z: F.leaky_relu(z, 0.01))):
    w.grad, b.grad = None, None
    f(inputs @ w + b).sum().backward()
    print(f"{name:10s} dL/dw = {w.grad}，dL/db = {b.grad.item():.2f}")

# %% [markdown]
# **swish** 函数自己控制自己：$\sigma(\beta x)$ 决定让多少 $x$ 通过。$\beta = 0$ 时它是线性函数
# $x/2$；$\beta$ 越大越接近 ReLU。GELU 的形状和 swish 基本一样，因为 $P(X \le x)$ 本身就是一个
# S 型函数；常用的近似是 $x\,\sigma(1.702\,x)$。

# %%
t = sj.linspace(-4.0, 4.0, 201)
fig, ax = plt.subplots(figsize=(5.5, 3.5))
for beta in (0.0, 0.5, 1.0, 10.0):
    ax.plot(t.numpy(), F.swish(t, beta=beta).numpy(), label=f"swish, beta = {beta}")
ax.plot(t.numpy(), F.gelu(t).numpy(), "k--", label="GELU")
ax.legend(fontsize=8)
ax.set_title("swish moves from x/2 (beta = 0) towards ReLU (large beta)")
plt.show()
print("[-4, 4] 上 max |GELU(x) - x sigmoid(1.702 x)|：",
      f"{(F.gelu(t) - t * sj.sigmoid(1.702 * t)).abs().max().item():.4f}")

# %% [markdown]
# ## 2. 神经网络（4.2）
#
# 神经网络是典型的**连接主义**模型：知识不是由符号表示的，而是分布在大量简单单元之间的连接上，
# 学习就是改变这些连接的强度。本课程会讲三种网络结构：前馈网络（本课）、记忆网络（有循环边，
# 因此有“状态”的概念）和图网络。logistic 函数的输出在 0 到 1 之间；如果只是需要非线性，
# 就优先用 ReLU。
#
# ## 3. 前馈神经网络（4.3）
#
# 神经元按层排列：相邻两层的神经元两两相连（全连接），信息单向传递，层内没有连接。
# 计算层数时不算输入层：下面的网络一共有 **3 层**（两个隐藏层、一个输出层）。第 $l$ 层有
# $M_l$ 个神经元，权重矩阵 $W^{(l)} \in \mathbb{R}^{M_l \times M_{l-1}}$，偏置
# $\mathbf{b}^{(l)} \in \mathbb{R}^{M_l}$。做 $C$ 类分类时，最后一层有 $C$ 个神经元。

# %% tags=["concept-feedforward-network"]
sj.manual_seed(0)
net = sj.nn.Sequential(  # 4 个输入 -> 5 -> 5 -> 3 类
    sj.nn.Linear(4, 5), sj.nn.Sigmoid(),
    sj.nn.Linear(5, 5), sj.nn.Sigmoid(),
    sj.nn.Linear(5, 3),
).double()  # 用 float64，后面的 gradcheck 才能检查它
layers = [m for m in net if isinstance(m, sj.nn.Linear)]
print("网络层数（不算输入层）：", len(layers))
for l, layer in enumerate(layers, start=1):
    print(f"W({l}): {tuple(layer.weight.shape)}  b({l}): {tuple(layer.bias.shape)}")
print(sj.summary(net, (4,), dtype=sj.float64))

# %% [markdown]
# 信息逐层传递：
#
# $$\mathbf{z}^{(l)} = W^{(l)} \mathbf{a}^{(l-1)} + \mathbf{b}^{(l)}, \qquad
# \mathbf{a}^{(l)} = f_l(\mathbf{z}^{(l)}), \qquad \mathbf{a}^{(0)} = \mathbf{x},$$
#
# 最后一层用 softmax 把 $C$ 个净输入变成各类的概率：
# $\hat{y}_c = \frac{\exp(z^{(L)}_c)}{\sum_{k} \exp(z^{(L)}_k)}$。softmax 和其他激活函数不同：
# 它的每个输出不只和前一层有关，还和同一层其他神经元的净输入有关。
#
# 笔记里向量写成列向量。代码里一批 $N$ 个样本是一个矩阵，每个样本占一**行**，所以同一个公式写成
# $Z^{(l)} = A^{(l-1)} W^{(l)\top} + \mathbf{b}^{(l)}$。`forward_by_hand` 把每一层的 $Z^{(l)}$
# 和 $A^{(l)}$ 都留下来：反向传播要用。

# %% tags=["concept-forward-by-hand"]
def forward_by_hand(params, X):
    """params = [(W1, b1), ..., (WL, bL)] 时每一层的 Z(l) 和 A(l)（A(0) = X）。"""
    A, Zs, As = X, [], [X]
    for l, (W, b) in enumerate(params, start=1):
        Z = A @ W.T + b  # z(l) = W(l) a(l-1) + b(l)，每个样本一行
        if l < len(params):
            A = 1 / (1 + sj.exp(-Z))  # a(l) = sigmoid(z(l))
        else:  # softmax；减去每行的最大值不改变结果，但能避免溢出
            E = sj.exp(Z - Z.max(dim=1, keepdim=True).values)
            A = E / E.sum(dim=1, keepdim=True)
        Zs.append(Z)
        As.append(A)
    return Zs, As


X = sj.randn(6, 4, dtype=sj.float64)  # 6 个样本，4 个特征
y = sj.tensor([0, 2, 1, 1, 0, 2])  # 它们的类别
params = [(layer.weight.detach(), layer.bias.detach()) for layer in layers]
Zs, As = forward_by_hand(params, X)
probabilities = As[-1]
print("各类概率（手算）：\n", probabilities)

# %% tags=["concept-forward-layer"]
logits = net(X)  # 同样的权重，经过层
print("各类概率（层 + softmax）：\n", F.softmax(logits, dim=1))
print("最大差值：", (F.softmax(logits, dim=1) - probabilities).abs().max().item())

# %% [markdown]
# **参数学习。** 把标签 $\mathbf{y}$ 写成 one-hot 向量，一个样本的损失是交叉熵
# $\mathcal{L}(\mathbf{y}, \hat{\mathbf{y}}) = -\mathbf{y}^\top \log \hat{\mathbf{y}}$，要最小化的
# 风险是它在训练集上的平均（再加上正则化项，例如 $\frac{\lambda}{2}\lVert W \rVert_F^2$）。
# 梯度下降需要每一层的 $\frac{\partial \mathcal{L}}{\partial W^{(l)}}$ 和
# $\frac{\partial \mathcal{L}}{\partial \mathbf{b}^{(l)}}$：下一节来算它们。

# %%
Y = F.one_hot(y, 3).double()  # 标签写成 one-hot 行
loss_by_hand = -(Y * sj.log(probabilities)).sum(dim=1).mean()
print(f"交叉熵（手算）：   {loss_by_hand.item():.6f}")
print(f"F.cross_entropy： {F.cross_entropy(logits, y).item():.6f}")

# %% [markdown]
# ## 4. 反向传播算法（4.4）
#
# 以 $\mathbf{z}^{(l)}$ 为中间变量用链式法则：
#
# $$\frac{\partial \mathcal{L}}{\partial w^{(l)}_{ij}} =
# \frac{\partial \mathbf{z}^{(l)}}{\partial w^{(l)}_{ij}}
# \frac{\partial \mathcal{L}}{\partial \mathbf{z}^{(l)}} .$$
#
# 第一项很容易（只有第 $i$ 个分量不为零，等于 $a^{(l-1)}_j$）；核心是第二项，称为第 $l$ 层的
# **误差项** $\delta^{(l)} = \frac{\partial \mathcal{L}}{\partial \mathbf{z}^{(l)}}$。链式法则给出
# 它与后一层的关系：
#
# $$\delta^{(l)} = f_l'(\mathbf{z}^{(l)}) \odot \left(W^{(l+1)}\right)^{\top} \delta^{(l+1)},$$
#
# 于是
#
# $$\frac{\partial \mathcal{L}}{\partial W^{(l)}} = \delta^{(l)} \left(\mathbf{a}^{(l-1)}
# \right)^{\top}, \qquad \frac{\partial \mathcal{L}}{\partial \mathbf{b}^{(l)}} = \delta^{(l)} .$$
#
# 第 $l$ 层的梯度只需要第 $l+1$ 层的误差项和第 $l-1$ 层的激活值：从最后一层开始，误差逐层
# **反向**传播。softmax 加交叉熵时，最后一层的误差项就是 $\delta^{(L)} = \hat{\mathbf{y}} -
# \mathbf{y}$；logistic 函数的导数是 $f'(\mathbf{z}) = \mathbf{a} \odot (1 - \mathbf{a})$。
# 每个样本占一行（损失对 $N$ 行取平均）时，同样的公式写成
# $\Delta^{(l)} = (\Delta^{(l+1)} W^{(l+1)}) \odot f'(Z^{(l)})$ 和
# $\partial \mathcal{L} / \partial W^{(l)} = \Delta^{(l)\top} A^{(l-1)}$。

# %% tags=["concept-gradient-by-hand"]
def backward_by_hand(params, As, Y):
    """用反向传播公式，由前向传递的激活值算出平均交叉熵的 [(dL/dW1, dL/db1), ...]。"""
    delta = (As[-1] - Y) / Y.shape[0]  # delta(L) = y_hat - y（对 N 行取平均）
    grads = []
    for l in range(len(params), 0, -1):  # 从最后一层到第一层
        W, _ = params[l - 1]
        grads.append((delta.T @ As[l - 1], delta.sum(dim=0)))  # delta(l) a(l-1)^T，delta(l)
        if l > 1:
            A = As[l - 1]  # logistic 函数：f'(z) = a (1 - a)
            delta = (delta @ W) * A * (1 - A)  # delta(l-1) = f'(z(l-1)) * W(l)^T delta(l)
    return grads[::-1]


grads_by_hand = backward_by_hand(params, As, Y)
print("dL/dW(1)（手算）：\n", grads_by_hand[0][0])

# %% tags=["concept-gradient-autograd"]
net.zero_grad()
F.cross_entropy(net(X), y).backward()  # 自动微分：在记录下的计算图上做反向模式
print(f"{'参数':10s}{'max |手算 - 自动微分|':>26s}")
for l, (layer, (gW, gb)) in enumerate(zip(layers, grads_by_hand), start=1):
    print(f"{f'W({l})':10s}{(layer.weight.grad - gW).abs().max().item():28.1e}")
    print(f"{f'b({l})':10s}{(layer.bias.grad - gb).abs().max().item():28.1e}")

# %% [markdown]
# 第三种验证方法是**有限差分**，完全不需要求导：
# $\frac{\partial \mathcal{L}}{\partial w} \approx \frac{\mathcal{L}(w + \epsilon) -
# \mathcal{L}(w - \epsilon)}{2\epsilon}$。`sj.autograd.gradcheck` 在 float64 下对每个输入的每个
# 元素都这样算，再和自动微分比较；下表列出 $W^{(1)}$ 的四个权重用三种方法算出的梯度。

# %% tags=["concept-gradcheck"]
def loss_of(W1, b1, W2, b2, W3, b3):
    h = sj.sigmoid(F.linear(X, W1, b1))
    h = sj.sigmoid(F.linear(h, W2, b2))
    return F.cross_entropy(F.linear(h, W3, b3), y)


weights = [p.detach().clone().requires_grad_() for p in net.parameters()]
print("gradcheck：", sj.autograd.gradcheck(loss_of, weights))

eps = 1e-6
print(f"{'权重':10s}{'手算':>12s}{'自动微分':>10s}{'有限差分':>10s}")
for j in range(4):
    plus = [p.detach().clone() for p in weights]
    minus = [p.detach().clone() for p in weights]
    plus[0][0, j] += eps
    minus[0][0, j] -= eps
    numeric = (loss_of(*plus) - loss_of(*minus)).item() / (2 * eps)
    print(f"{f'W1[0,{j}]':10s}{grads_by_hand[0][0][0, j].item():14.8f}"
          f"{layers[0].weight.grad[0, j].item():14.8f}{numeric:14.8f}")

# %% [markdown]
# **用反向传播训练。** 笔记里“使用反向传播算法的随机梯度下降”：对每个小批量，(1) 前馈计算并
# 保留每一层的 $Z^{(l)}$ 和 $A^{(l)}$；(2) 反向传播计算每一层的误差项和每个参数的导数；
# (3) 用梯度下降更新参数。直到在验证集 $V$ 上的错误率不再下降时停止。
#
# 下面只用 `forward_by_hand` 和 `backward_by_hand`（不用自动微分），让一个 784-32-10 的 sigmoid
# 网络学会识别手写数字。为了让本课跑得快，只用 MNIST 训练集的前 6000 张图：5000 张训练，
# 1000 张验证；验证错误率连续两轮没有变好就停止，并保留最好的参数。

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
for m_in, m_out in zip(sizes, sizes[1:]):  # 在 +-1/sqrt(输入数) 内均匀初始化，和 nn.Linear 一样
    bound = 1 / math.sqrt(m_in)
    mnist_params.append(((sj.rand(m_out, m_in) * 2 - 1) * bound, sj.zeros(m_out)))

lr, batch_size, patience = 0.5, 32, 2
best_error, best_params, waited = 1.0, mnist_params, 0
for epoch in range(1, 21):
    order = sj.randperm(5000)
    for start in range(0, 5000, batch_size):
        batch = order[start:start + batch_size]
        _, As_batch = forward_by_hand(mnist_params, X_train[batch])  # (1) 前馈
        grads = backward_by_hand(mnist_params, As_batch, Y_train[batch])  # (2) 反向传播
        mnist_params = [(W - lr * gW, b - lr * gb)  # (3) 梯度下降
                        for (W, b), (gW, gb) in zip(mnist_params, grads)]
    _, As_val = forward_by_hand(mnist_params, X_val)
    error = (As_val[-1].argmax(dim=1) != y_val).float().mean().item()
    print(f"第 {epoch:2d} 轮：验证错误率 {error:.2%}")
    if error < best_error:
        best_error, best_params, waited = error, mnist_params, 0
    else:
        waited += 1
        if waited == patience:
            print(f"验证错误率连续 {patience} 轮没有下降：停止训练")
            break
mnist_params = best_params
print(f"最好的验证错误率：{best_error:.2%}")

# %% [markdown]
# ## 5. 计算图与自动微分（4.5）
#
# 深度学习框架不会像上面那样手推公式。它们把计算记录成由基本运算组成的**计算图**，每个运算都有
# 简单的局部导数，再按链式法则沿着图把局部导数乘起来。笔记里的例子是
#
# $$f(x; w, b) = \frac{1}{\exp\left(-(wx + b)\right) + 1}$$
#
# 在 $x = 1$、$w = 0$、$b = 0$ 处，拆成 $h_1 = xw$、$h_2 = h_1 + b$、$h_3 = -h_2$、
# $h_4 = \exp(h_3)$、$h_5 = h_4 + 1$、$h_6 = 1 / h_5$。于是
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

local = {  # 每个运算在这一点的局部导数
    "dh6/dh5 = -1/h5^2": (-1 / h5**2).item(),
    "dh5/dh4 = 1": 1.0,
    "dh4/dh3 = exp(h3)": sj.exp(h3).item(),
    "dh3/dh2 = -1": -1.0,
    "dh2/dh1 = 1": 1.0,
    "dh1/dw = x": x.item(),
}
for name, value in local.items():
    print(f"{name:20s} {value:+.4f}")
print("链式法则得到的 df/dw：", math.prod(local.values()))

graph = sj.viz.trace(h6, {"x": x, "w": w, "b": b}, gradients=True)  # 在 backward 之前
h6.backward()
print(f"自动微分：df/dw = {w.grad.item():.4f}，df/db = {b.grad.item():.4f}，"
      f"df/dx = {x.grad.item():.4f}")

# 自动微分记录下的计算图：每个框里是 |d f / d（它的值）|
with tempfile.TemporaryDirectory() as folder:
    picture = Path(folder) / "graph.png"
    graph.render(picture)
    display(Image(picture.read_bytes()))

# %% [markdown]
# **前向模式与反向模式。** 局部导数的连乘可以从输入往前累积，也可以从输出往回累积。前向模式
# 沿着整条链传递对*一个*输入的导数，所以对 $n$ 个参数求梯度要算 $n$ 遍，而且链很长时要保留很多
# 中间项。反向模式从标量损失出发，一次反向传递就得到对所有参数的导数：参数很多时它更划算，
# 所以一般使用反向模式。反向传播算法就是自动微分的反向模式，`loss.backward()` 也正是沿着计算图
# 往回走。上面的 MNIST 网络有这么多参数，一次反向传递就得到它们全部的梯度：

# %%
print(sum(W.numel() + b.numel() for W, b in mnist_params), "个参数，一次反向传递")

# %% [markdown]
# **动态计算图**（define-by-run，PyTorch 和 shenjing 的方式）在 Python 代码运行时现场记录，
# 所以普通的 `while` 和 `if` 就能根据这一次的数值决定计算图的样子。

# %% tags=["concept-dynamic-graph"]
def doubled_until_large(x):
    y = x
    while y.norm() < 10:  # 计算图有多少个运算取决于数据
        y = y * 2
    return y.sum() if y.sum() > 0 else -y.sum()  # 记录哪个分支也取决于数据


for start in ([1.0, 2.0], [-0.3, 0.1]):
    x = sj.tensor(start, requires_grad=True)
    out = doubled_until_large(x)
    operations = [n.op for n in sj.viz.trace(out).nodes if n.kind not in ("leaf", "parameter")]
    out.backward()
    print(f"x = {start}：计算图 {' -> '.join(operations)}，dout/dx = {x.grad}")

# %% [markdown]
# **静态计算图**（define-and-run）先定义一次，再运行很多次。笔记说：“静态计算图的计算效率比较高，
# 动态计算图更加的灵活”。`sj.compile` 把一个训练步骤变成静态计算图：第一次调用照常执行，同时
# 记录下每个数组运算（前向、反向、优化器的更新）；之后的调用直接重放这段扁平的程序。深度学习的
# 三个步骤（定义网络、损失函数、优化方法）都在这个单元格里。

# %% tags=["concept-static-graph"]
sj.manual_seed(0)
model = sj.nn.Sequential(sj.nn.Linear(4, 8), sj.nn.Sigmoid(), sj.nn.Linear(8, 3))  # 网络
optimizer = sj.optim.SGD(model.parameters(), lr=0.5)  # 优化方法


@sj.compile
def step(xb, yb):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(xb), yb)  # 损失函数
    loss.backward()
    optimizer.step()
    return loss


xb, yb = sj.randn(16, 4), sj.randint(0, 3, (16,))
for i in range(3):  # 第一次调用记录，之后的调用重放程序
    print(f"第 {i} 步：损失 {step(xb, yb).item():.4f}")
print(step.graph)  # 静态计算图：每个数组运算一行，带形状
figure = sj.viz.compare_graphs(sj.viz.model_graph(model, xb, yb), sj.viz.static_graph(step))
display(figure)

# %% [markdown]
# 左边是一次前向计算加损失的动态计算图，每一步都重新构建；右边是整个训练步骤的静态程序：前向、
# 反向（从种子 $\partial L / \partial L$ 开始）、梯度的累加，以及参数更新，更新的虚线边写回下一步
# 要读的参数。重放做的是同样的算术，所以损失和即时执行（eager）的结果逐位相同；它更快，因为省掉了
# 构建计算图的 Python 开销。计时用一个 784-16-10 的 sigmoid 网络，在第 4 节的 MNIST 图片上每批
# 10 个样本（每次运行的时间都会不同，请比较两行）。

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
print("200 步里，即时执行和编译后的损失逐位相同：", same)
for name, train_step in (("即时执行（动态图）", eager), ("编译后（静态图）", compiled)):
    start = time.perf_counter()
    for bx, by in batches:
        train_step(bx, by)
    print(f"{name:12s} 每步 {(time.perf_counter() - start) / len(batches) * 1e3:.3f} 毫秒")

# %% [markdown]
# 静态计算图的代价是不够灵活：如果计算图取决于读进 Python 的某个值（比如对损失做 `if` 判断），
# 就没法重放，`sj.compile` 会拒绝它，并指出是哪一行。

# %%
@sj.compile
def step_with_if(xb, yb):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(xb), yb)
    if loss.item() > 1.0:  # 根据这一步的数值在 Python 里做决定
        loss = loss * 2
    loss.backward()
    optimizer.step()
    return loss


try:
    step_with_if(xb, yb)
except sj.static.TraceError as error:
    message = str(error).splitlines()[0]
    # 报错里写着这个单元格的临时文件名，每次运行都不同：只保留行号
    print("TraceError:", re.sub(r" at \S+:(\d+) ", r" at line \1 of the cell ", message))

# %% [markdown]
# ## 6. 优化问题（4.6）
#
# **非凸优化问题。** 神经网络的损失不是参数的凸函数：有很多局部最优，在高维空间里还有**鞍点**，
# 梯度下降走到鞍点就走不动了。用上面的 MNIST 网络给一个简短的证明：交换两个隐藏神经元（$W^{(1)}$
# 和 $\mathbf{b}^{(1)}$ 的两行、$W^{(2)}$ 的两列），网络算的是完全相同的函数，所以两个不同的点
# 损失相同。对凸函数来说，两点的中点不可能比两端都差；这里却更差。

# %%
def mnist_loss(params):
    _, As_all = forward_by_hand(params, X_train)
    return -(Y_train * sj.log(As_all[-1])).sum(dim=1).mean().item()


(W1, b1), (W2, b2) = mnist_params
swap = sj.arange(32)
swap[0], swap[1] = 1, 0  # 隐藏神经元的顺序，交换 0 号和 1 号
swapped = [(W1[swap], b1[swap]), (W2[:, swap], b2)]
midpoint = [((Wa + Wb) / 2, (ba + bb) / 2) for (Wa, ba), (Wb, bb) in zip(mnist_params, swapped)]
print(f"训练得到的参数处的损失：   {mnist_loss(mnist_params):.6f}")
print(f"交换 0 号和 1 号神经元后： {mnist_loss(swapped):.6f}")
print(f"两者中点处的损失：         {mnist_loss(midpoint):.6f}")

# %% [markdown]
# **梯度消失问题。** 反向传播每经过一层就乘上一个因子 $f'(\mathbf{z}^{(l)})$。如果每个因子都在
# 0 到 1 之间（logistic 函数的导数最大只有四分之一），连乘的结果随深度指数级地变小：靠近输入的
# 层几乎得不到梯度，更新很慢、很难学。ReLU 在正半轴的导数恰好是 1，这也是推荐使用 ReLU 的原因。
# 下面把同一个深层网络建两遍：8 个 32 维的隐藏层，sigmoid（Xavier 初始化）对比 ReLU（He 初始化），
# 数据是两条螺旋线，打印一次反向传播后每一层权重的梯度范数。

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
print("层：      " + "".join(f"{l:>9d}" for l in range(1, 10)))
for activation in ("sigmoid", "relu"):
    sj.manual_seed(0)
    deep = deep_net(activation)
    F.cross_entropy(deep(points), classes).backward()
    norms = [m.weight.grad.norm().item() for m in deep if isinstance(m, sj.nn.Linear)]
    print(f"{activation:8s}: " + "".join(f"{n:9.1e}" for n in norms),
          f"  第一层 / 最后一层 = {norms[0] / norms[-1]:.1e}")
print(f"四分之一的 8 次方：{0.25**8:.1e}")  # 第 9 层的梯度回到第 1 层，要穿过 8 个 sigmoid

# 同样两个网络训练 60 步的情况（由 sj.train.GradientHealth 记录梯度范数）
figure, records = sj.viz.vanishing_gradients(depth=8, width=32, steps=60)
display(figure)

# %% [markdown]
# sigmoid 网络第一层的梯度比最后一层小了好几个数量级（比值见上面的输出）：从最后一层回到第一层
# 要穿过 8 个 sigmoid，每个都乘上一个不超过四分之一的导数，单是这些因子就可能让梯度缩小到
# $(1/4)^8$（上面也打印了）。ReLU 网络各层的梯度大小相当。图里可以看到，训练过程中一直如此。
#
# ## 练习
#
# 先运行下一个单元格：里面是检查答案的函数。然后把答案写在 `answer_N = None` 处，再运行它下面的
# 检查单元格。

# %% tags=["checker"]
def _number(answer, what):
    """把 Python 或 NumPy 的数、或只含一个数的张量转成 float。"""
    if isinstance(answer, sj.Tensor):
        assert answer.numel() == 1, f"{what} 是一个数，不是形状为 {answer.shape} 的张量"
        return float(answer.item())
    assert isinstance(answer, (int, float, np.floating, np.integer)) and not isinstance(
        answer, bool), f"{what} 是一个数，不是 {type(answer).__name__}"
    return float(answer)


def check_1(answer):
    if answer is None:
        print("练习 1 还没有作答。")
        return
    value = _number(answer, "df/dw")
    x = sj.tensor(2.0, dtype=sj.float64)
    w = sj.tensor(-1.0, dtype=sj.float64, requires_grad=True)
    b = sj.tensor(0.5, dtype=sj.float64)
    (expected,) = sj.autograd.grad(sj.sigmoid(w * x + b), w)
    assert math.isclose(value, expected.item(), rel_tol=1e-4, abs_tol=1e-6), (
        f"df/dw = {value:.6g} 不对：在 z = wx + b 处求 sigma'(z) = sigma(z)(1 - sigma(z))，"
        "再乘以 dz/dw = x")
    print("正确：df/dw = sigma'(z) x。")


def exercise_2_network():
    """练习 2 的小网络：x、W1、b1、W2、b2（float64）和目标类别。"""
    generator = sj.Generator().manual_seed(2)
    x = sj.randn(3, dtype=sj.float64, generator=generator)
    W1 = sj.randn(4, 3, dtype=sj.float64, generator=generator)
    b1 = sj.randn(4, dtype=sj.float64, generator=generator)
    W2 = sj.randn(2, 4, dtype=sj.float64, generator=generator)
    b2 = sj.randn(2, dtype=sj.float64, generator=generator)
    return x, W1, b1, W2, b2, 1


def check_2(answer):
    if answer is None:
        print("练习 2 还没有作答。")
        return
    assert isinstance(answer, sj.Tensor), (
        f"delta(1) 是一个张量（sj.Tensor），不是 {type(answer).__name__}")
    assert tuple(answer.shape) == (4,), (
        f"delta(1) 每个隐藏神经元一个数：形状应为 (4,)，而不是 {tuple(answer.shape)}")
    x, W1, b1, W2, b2, target = exercise_2_network()
    z1 = (W1 @ x + b1).requires_grad_()
    z2 = W2 @ sj.sigmoid(z1) + b2
    loss = F.cross_entropy(z2.reshape(1, 2), sj.tensor([target]))
    (expected,) = sj.autograd.grad(loss, z1)
    difference = (answer.detach().double() - expected).abs().max().item()
    assert difference < 1e-5, (
        f"delta(1) 最多差了 {difference:.3g}：先算 delta(2) = y_hat - y（y 为 one-hot），"
        "再算 delta(1) = sigma'(z1) * (W2^T delta(2))，其中 sigma'(z1) = a1 (1 - a1)")
    print("正确：delta(1) = sigma'(z1) * W2^T (y_hat - y)。")


def _chain_gradient(depth):
    """h_0 = x = 1，h_k = sigmoid(h_{k-1}) 时的 d h_depth / d x。"""
    x = sj.tensor(1.0, dtype=sj.float64, requires_grad=True)
    h = x
    for _ in range(depth):
        h = sj.sigmoid(h)
    (gradient,) = sj.autograd.grad(h, x)
    return gradient.item()


def check_3(answer):
    if answer is None:
        print("练习 3 还没有作答。")
        return
    assert isinstance(answer, (int, np.integer)) and not isinstance(answer, bool), (
        f"深度是一个整数（int），不是 {type(answer).__name__}")
    assert answer >= 1, f"深度数的是 sigmoid 的个数，至少为 1，不是 {answer}"
    gradient = _chain_gradient(answer)
    assert gradient < 1e-6, (
        f"深度为 {answer} 时梯度还有 {gradient:.3g}，没有小于 1e-6：再深一些")
    assert answer == 1 or _chain_gradient(answer - 1) >= 1e-6, (
        f"深度为 {answer} 时梯度小于 1e-6，但深度为 {answer - 1} 时也已经小于 1e-6 了："
        "要找的是最小的深度")
    print(f"正确：{answer} 个 sigmoid 就足以让梯度小于 1e-6。")


# %% [markdown]
# ### 练习 1：计算图上的链式法则
#
# 对 $f(x; w, b) = \sigma(wx + b)$，在 $x = 2$、$w = -1$、$b = 0.5$ 处，用链式法则求
# $\frac{\partial f}{\partial w}$（计算图是 $z = wx + b$，$f = \sigma(z)$），答案是一个数。

# %% tags=["exercise-1"]
x, w, b = 2.0, -1.0, 0.5
# df/dw = sigma'(z) * dz/dw，其中 sigma'(z) = sigma(z) (1 - sigma(z))
answer_1 = None  # 把你的答案写在这里

# %% tags=["check-1"]
check_1(answer_1)

# %% [markdown]
# ### 练习 2：反向传播的一步
#
# 一个网络有 3 个输入、4 个 logistic 隐藏神经元和 2 个 softmax 输出：
# $\mathbf{z}^{(1)} = W^{(1)}\mathbf{x} + \mathbf{b}^{(1)}$，$\mathbf{a}^{(1)} =
# \sigma(\mathbf{z}^{(1)})$，$\mathbf{z}^{(2)} = W^{(2)}\mathbf{a}^{(1)} + \mathbf{b}^{(2)}$，
# 损失是 $\mathrm{softmax}(\mathbf{z}^{(2)})$ 与目标类别的交叉熵。用反向传播公式（不用自动微分）
# 求隐藏层的误差项 $\delta^{(1)} = \partial \mathcal{L} / \partial \mathbf{z}^{(1)}$，答案是
# 形状为 (4,) 的张量。

# %% tags=["exercise-2"]
x, W1, b1, W2, b2, target = exercise_2_network()
# delta(2) = y_hat - y，然后 delta(1) = sigma'(z1) * (W2^T delta(2))
answer_2 = None  # 把你的答案写在这里

# %% tags=["check-2"]
check_2(answer_2)

# %% [markdown]
# ### 练习 3：多深梯度就消失了？
#
# 把 sigmoid 串起来：$h_0 = x = 1$，$h_k = \sigma(h_{k-1})$。使 $\frac{d h_n}{d x}$ 小于
# $10^{-6}$ 的最小深度 $n$ 是多少？答案是一个整数（可以用自动微分算，也可以把各个因子
# $\sigma'(h_{k-1})$ 乘起来）。

# %% tags=["exercise-3"]
# 每一层都把梯度乘上 sigma'(h) = sigma(h) (1 - sigma(h)) < 1/4
answer_3 = None  # 把你的答案写在这里

# %% tags=["check-3"]
check_3(answer_3)

# %% [markdown]
# ## 参考答案
#
# **练习 1。** $z = wx + b = -1.5$，$\sigma'(z) = \sigma(z)(1 - \sigma(z))$，
# $\partial z / \partial w = x = 2$。

# %% tags=["solution-1"]
z = -1.0 * 2.0 + 0.5
sigma = 1 / (1 + math.exp(-z))
answer_1 = sigma * (1 - sigma) * 2.0  # sigma'(z) * x
print(answer_1)
check_1(answer_1)

# %% [markdown]
# **练习 2。** 先做前向计算，留下 $\mathbf{a}^{(1)}$；最后一层的误差项是
# $\delta^{(2)} = \hat{\mathbf{y}} - \mathbf{y}$，再往回推一步。

# %% tags=["solution-2"]
x, W1, b1, W2, b2, target = exercise_2_network()
a1 = sj.sigmoid(W1 @ x + b1)
y_hat = F.softmax(W2 @ a1 + b2, dim=0)
delta2 = y_hat - F.one_hot(sj.tensor(target), 2).double()  # y_hat - y
answer_2 = a1 * (1 - a1) * (W2.T @ delta2)  # sigma'(z1) * W2^T delta(2)
print(answer_2)
check_2(answer_2)

# %% [markdown]
# **练习 3。** 把因子 $\sigma'(h_{k-1}) = h_k (1 - h_k)$ 一个个乘上去，直到乘积小于 $10^{-6}$；
# 每个因子在 0.2 左右（都小于四分之一），所以十层左右就够了（单元格会打印这些因子）。

# %% tags=["solution-3"]
h, gradient, factors = 1.0, 1.0, []
while gradient >= 1e-6:
    h = 1 / (1 + math.exp(-h))  # h_k = sigmoid(h_{k-1})
    factors.append(h * (1 - h))  # 乘上 sigma'(h_{k-1}) = h_k (1 - h_k)
    gradient *= factors[-1]
answer_3 = len(factors)
print("各个因子：", [round(factor, 3) for factor in factors])
print(answer_3, gradient)
check_3(answer_3)
