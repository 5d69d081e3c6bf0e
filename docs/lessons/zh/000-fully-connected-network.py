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
# # 第一课：全连接神经网络
#
# 这一课按笔记《【多模态学习】神经网络》的顺序走一遍：
#
# 0. **先了解几个公式**：L2 范数、sigmoid 函数和 softmax；
# 1. **神经网络模型**：每个神经元都和上一层、下一层的所有节点相连（所以叫*全连接*神经网络）；一个
#    神经元就是一个线性方程再加一个激活函数；神经元越多，决策曲面越复杂（万能逼近定理）；
# 2. **激活函数**：实现万能逼近的关键之一；
# 3. **回到神经网络**：对数据升维、多个输出节点处理多分类、softmax 是 sigmoid 的升级版、把整个网络
#    看作一个装着公式的黑盒子，以及训练它的算法：梯度下降。
#
# 神经网络以类似人脑的方式做决策：许多简单的单元（*神经元*）各自给输入加权，再协同工作。笔记里的
# 每个公式这里都算两遍：用张量手算一遍，用 shenjing 的层再算一遍；每个梯度算三遍：手推、自动微分
# （autograd）和有限差分。请从上到下依次运行各个单元格。

# %% tags=["setup"]
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

import shenjing as sj
import shenjing.nn.functional as F

sj.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 0. 先了解几个公式
#
# ### L2 范数
#
# 笔记里写作“L2 范式”，通常叫 **L2 范数**：
#
# $$\|W\|_2=\sqrt{w_1^2+w_2^2+w_3^2+w_4^2+\cdots}$$
#
# 它就是向量 $W$ 的长度（勾股定理推广到任意多维）。它衡量一组权重有多“大”：训练时常把
# $\|W\|_2^2$ 加进损失（权重衰减），让权重保持较小。对矩阵也是同一个公式，只是对所有元素求和。

# %% tags=["concept-l2-norm"]
W = sj.tensor([1.0, -2.0, 2.0, 4.0])
by_hand = (W**2).sum().sqrt()  # 平方、求和、开方
print("手算 sqrt(1 + 4 + 4 + 16) =", by_hand.item())
print("W.norm()                  =", W.norm().item())
print("sj.norm(W, p=2)           =", sj.norm(W, p=2).item())

M = sj.randn(3, 4)  # 一个权重矩阵：公式作用在全部 12 个元素上
print("矩阵：手算", round((M**2).sum().sqrt().item(), 6),
      " M.norm()", round(M.norm().item(), 6))

# %% [markdown]
# ### Sigmoid 函数
#
# $$\operatorname{sigmoid}(x) = \frac{1}{1+e^{-x}}$$
#
# （笔记里拼成了 sigmod，正确的名字是 sigmoid，意思是“S 形的”。）它把任意实数压进 $(0, 1)$：
# 很负的输入几乎得到 0，很正的几乎得到 1，输入 0 恰好得到二分之一，所以它的输出可以当成概率来读。
# 它的导数是 $\operatorname{sigmoid}'(x) = \operatorname{sigmoid}(x)\,(1 -
# \operatorname{sigmoid}(x))$，下面的单元格用自动微分验证这一点。

# %% tags=["concept-sigmoid"]
x = sj.linspace(-6.0, 6.0, 121, requires_grad=True)
by_hand = 1 / (1 + sj.exp(-x))
function = sj.sigmoid(x)
layer = sj.nn.Sigmoid()(x)
print("max |手算 - sj.sigmoid|  :", (by_hand - function).abs().max().item())
print("max |手算 - nn.Sigmoid()|:", (by_hand - layer).abs().max().item())
print("sigmoid(-6), sigmoid(0), sigmoid(6):",
      [round(v, 4) for v in sj.sigmoid(sj.tensor([-6.0, 0.0, 6.0])).tolist()])

(slope,) = sj.autograd.grad(layer.sum(), x)  # 逐元素作用：d sum / d x_i = sigmoid'(x_i)
s = by_hand.detach()
print("max |自动微分 - s(1 - s)|:", (slope - s * (1 - s)).abs().max().item())
print("最大斜率:", slope.max().item(), "，位于 x =", x[slope.argmax()].item())

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(x.detach().numpy(), s.numpy(), linewidth=2, label="sigmoid(x)")
ax.plot(x.detach().numpy(), slope.numpy(), "--", label="slope (autograd)")
ax.axhline(0.5, color="0.7", linewidth=0.8)
ax.legend()
ax.set_xlabel("x")
plt.show()

# %% [markdown]
# ### Softmax
#
# $$\operatorname{softmax}(\hat{Y})_i =\frac{e^{\hat{y}_i}}{\sum_{j=1}^4 e^{\hat{y}_j}}$$
#
# 输入四个分数 $\hat y_1, \dots, \hat y_4$（任意实数），输出四个和为 1 的正数，顺序不变：分数最大的
# 分得最多。指数保证每一份都是正的，除以总和保证它们加起来等于 1，也就是**归一化**。
#
# 给所有分数加上同一个常数，结果不变（分子分母同乘 $e^c$）。各种库正是利用这一点，先减去最大的
# 分数：下面用大到 $e^{1002}$ 会溢出的分数说明为什么要这样做。

# %% tags=["concept-softmax"]
y_hat = sj.tensor([2.0, 1.0, 0.1, -1.0])  # 四个分数，对应笔记中 j = 1..4 的求和
by_hand = sj.exp(y_hat) / sj.exp(y_hat).sum()
print("手算           :", by_hand)
print("F.softmax      :", F.softmax(y_hat, dim=0))
print("nn.Softmax     :", sj.nn.Softmax(dim=0)(y_hat))
print("总和           :", by_hand.sum().item(), "  分数最大者分得最多：",
      y_hat.argmax().item() == by_hand.argmax().item())

big = y_hat + 1000.0
with np.errstate(over="ignore", invalid="ignore"):  # float32 中 e^1002 是 inf，inf/inf = nan
    naive = sj.exp(big) / sj.exp(big).sum()
stable = sj.exp(big - big.max()) / sj.exp(big - big.max()).sum()
print("分数 + 1000，直接算    :", naive)
print("分数 + 1000，先减最大值:", stable, " (F.softmax:", F.softmax(big, dim=0), ")")

# %% [markdown]
# ## 1. 神经网络模型
#
# 最左边一层是**输入层**，节点数对应数据的维度，数据从这一层输入到神经网络。网络中任意一个神经元
# 都和上一层、下一层的*所有*节点相连，所以叫做**全连接神经网络**。**每一条边代表一个权重系数。**
# 在 shenjing（和 PyTorch）里，一个全连接层就是 `nn.Linear(in_features, out_features)`：它的权重
# 矩阵里每条边一个数，偏置里每个神经元一个数。
#
# 下面搭一个 2 个输入、4 个隐藏神经元、3 个输出的网络，数一数它有多少条边，再把它画出来：每条线
# 就是一个权重（蓝色为正、红色为负，绝对值越大线越粗）。

# %% tags=["concept-fully-connected-network"]
net = sj.nn.Sequential(sj.nn.Linear(2, 4), sj.nn.Sigmoid(), sj.nn.Linear(4, 3))
widths = [2, 4, 3]
edges = sum(a * b for a, b in zip(widths, widths[1:]))  # 每个节点连到下一层的每个节点
linears = [net[0], net[2]]
print("数出来的边数    : 2*4 + 4*3 =", edges)
print("各层权重的形状  :", [tuple(layer.weight.shape) for layer in linears], "->",
      sum(layer.weight.numel() for layer in linears))
print("偏置（隐藏层和输出层每个神经元一个）:",
      sum(layer.bias.numel() for layer in linears))
print(sj.summary(net, (2,)))

fig, ax = plt.subplots(figsize=(4.5, 3))
position = {(l, i): (l, i - (n - 1) / 2) for l, n in enumerate(widths) for i in range(n)}
for l, layer in enumerate(linears):
    for j, row in enumerate(layer.weight.tolist()):  # weight[j, i]：从节点 i 到神经元 j
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
# ### 一个神经元就是一个线性方程
#
# 一个有六个输入的神经元计算
#
# $$w_1 x_1+w_2 x_2+w_3 x_3+w_4 x_4+w_5 x_5+w_6 x_6+b=z$$
#
# 结果 $z$ 还要再经过一个函数运算才会输出到下一层，这个函数叫**激活函数**，sigmoid 就是符合要求的
# 函数之一：$a = \operatorname{sigmoid}(z)$。激活函数必须是**非线性**的（第 2 节说明原因）。下面
# 把 $z$ 逐项加起来算一遍，用点积算一遍，再用赋了同样权重的 `nn.Linear(6, 1)` 算一遍。

# %% tags=["concept-neuron-linear-equation"]
x = sj.tensor([0.5, -1.0, 2.0, 0.0, 1.5, -0.5])
w = sj.tensor([0.4, 0.3, -0.2, 0.9, 0.1, -0.6])
b = sj.tensor(0.1)
z_terms = sum(w[i] * x[i] for i in range(6)) + b  # w1 x1 + ... + w6 x6 + b
z_dot = w @ x + b
neuron = sj.nn.Linear(6, 1)
with sj.no_grad():
    neuron.weight.copy_(w.reshape(1, 6))  # 一行：连进这个神经元的六条边
    neuron.bias.copy_(b.reshape(1))
z_layer = neuron(x)
print(f"逐项相加: {z_terms.item():.4f}   w @ x + b: {z_dot.item():.4f}   "
      f"nn.Linear: {z_layer.item():.4f}")
print(f"a = sigmoid(z) = {sj.sigmoid(z_dot).item():.4f}")

# %% [markdown]
# 笔记接着以二维数据为例，这样一切都能画出来。写成矩阵：
#
# $$\left[\begin{array}{l} x_1 \\ x_2 \end{array}\right]^T
#   \cdot\left[\begin{array}{l} w_1 \\ w_2 \end{array}\right]+[b]=[z], \qquad
#   \operatorname{sigmoid}(z)=a$$
#
# 在平面 $(x_1, x_2)$ 上，$a$ 是一张曲面：从 0 平滑地升到 1 的一道“悬崖”。$a = 0.5$ 在哪里？在
# $z = 0$ 的地方，也就是**直线** $w_1x_1 + w_2x_2 + b = 0$ 上。一个神经元只能用一条直线把平面分开。

# %%
x_row = sj.tensor([[1.0, 2.0]])  # [x1, x2]，行向量：(1, 2)
w_col = sj.tensor([[1.5], [-1.0]])  # [w1, w2]^T，列向量：(2, 1)
b = sj.tensor([0.5])
z = x_row @ w_col + b  # (1, 2) @ (2, 1) + (1,) -> (1, 1)；这个点正好在直线 z = 0 上
print("z =", z.tolist(), "  a =", sj.sigmoid(z).tolist())

grid = sj.linspace(-3.0, 3.0, 61)
G1, G2 = sj.meshgrid(grid, grid, indexing="xy")
points = sj.stack([G1.reshape(-1), G2.reshape(-1)], dim=1)  # (3721, 2)：网格上的每个点
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
# ### 神经元越多，曲面越复杂
#
# 笔记接下来一个一个地增加神经元，看图像怎么变。为什么这样有用？下面是一个 2 个输入、4 个 sigmoid
# 隐藏神经元、1 个输出的网络，权重是**手工设定**的。每个隐藏神经元都是沿正方形 $[-0.5, 0.5]^2$
# 一条边的陡峭悬崖：“$x_1 > -0.5$”“$x_1 < 0.5$”“$x_2 > -0.5$”“$x_2 < 0.5$”。输出神经元只在它的
# 输入都（接近）为 1 的地方被激活。用 1 个隐藏神经元，输出是一道悬崖；用 2 个，是一道山脊；用
# 4 个，是正方形上的一座**高塔**。
#
# 高塔就是积木：几千座高度各异的塔，可以把平面上的任何曲面逼近到想要的精度。这就是**万能逼近
# 定理**（通用近似定理）背后的想法：只要神经元足够多，只有一个隐藏层的网络就能以任意精度逼近
# （有界区域上的）任何连续函数。

# %% tags=["concept-decision-surfaces"]
k = 12.0  # 每道悬崖的陡峭程度
tower = sj.nn.Sequential(sj.nn.Linear(2, 4), sj.nn.Sigmoid(), sj.nn.Linear(4, 1), sj.nn.Sigmoid())
with sj.no_grad():
    tower[0].weight.copy_(sj.tensor([[k, 0.0], [-k, 0.0], [0.0, k], [0.0, -k]]))
    tower[0].bias.copy_(sj.full((4,), k / 2))  # 四道悬崖分别立在 -0.5 和 0.5
grid = sj.linspace(-1.5, 1.5, 61)
G1, G2 = sj.meshgrid(grid, grid, indexing="xy")
points = sj.stack([G1.reshape(-1), G2.reshape(-1)], dim=1)
fig = plt.figure(figsize=(10, 3.2))
for panel, used in enumerate((1, 2, 4)):
    with sj.no_grad():  # 输出神经元：“用到的 used 个隐藏神经元全都激活”
        tower[2].weight.copy_(sj.cat([sj.full((1, used), 10.0), sj.zeros(1, 4 - used)], dim=1))
        tower[2].bias.copy_(sj.tensor([-10.0 * (used - 0.5)]))
        height = tower(points).reshape(61, 61)
    ax = fig.add_subplot(1, 3, panel + 1, projection="3d")
    ax.plot_surface(G1.numpy(), G2.numpy(), height.numpy(), cmap="viridis", linewidth=0)
    ax.set_title(f"{used} hidden neuron{'s' if used > 1 else ''}", fontsize=9)
    # height[行, 列]：行是 x2，列是 x1（网格下标 30 对应 0，0 对应 -1.5，60 对应 1.5）
    print(f"{used} 个隐藏神经元：(0, 0) 处输出 {height[30, 30].item():.3f}，"
          f"(-1.5, 0) 处 {height[30, 0].item():.3f}，(1.5, 0) 处 {height[30, 60].item():.3f}，"
          f"(0, 1.5) 处 {height[60, 30].item():.3f}")
plt.show()

# %% [markdown]
# 现在让训练来选权重。`sj.viz.universal_approximation` 在两条交错的螺旋线（200 个点）上分别训练
# 隐藏层有 1、2、4、8、16、32 个神经元的单隐藏层网络（各 800 步），并画出各自的**决策曲面**：平面上
# 每一点的颜色表示网络在那里选哪一类，拿不准的地方颜色较浅。每幅小图的标题是分类正确的点所占的
# 比例（代码下方也打印出来）。

# %% tags=["concept-decision-surfaces"]
X_spirals, y_spirals = sj.datasets.spirals(200)
figure = sj.viz.universal_approximation(X_spirals, y_spirals, hidden=(1, 2, 4, 8, 16, 32),
                                        steps=800)
for ax in figure.axes[:6]:
    print(ax.get_title())
display(figure)

# %% [markdown]
# 一个隐藏神经元只能在螺旋线中间画一条直线，大约只分对一半的点，和抛硬币差不多。随着神经元增加，
# 边界弯得越来越多，直到沿着两条螺旋臂绕行。正如笔记所说：图像的复杂程度会越来越高，只要神经元
# 足够多，任何一种复杂的平面都可以被无限接近地表达出来。
#
# ## 2. 激活函数
#
# 笔记说：*实现万能逼近的关键之一就是激活函数；神经网络的复杂性来自于激活函数。* 没有激活函数，
# 两个线性层叠在一起仍然只是一个线性层：$(xW_1 + b_1)W_2 + b_2 = x(W_1W_2) + (b_1W_2 + b_2)$。
# 下面先验证这个恒等式，再在螺旋线上分别训练层间有、没有 `Tanh` 的 2-32-2 网络（和上面同样的
# 全批量训练）。

# %%
layer1, layer2 = sj.nn.Linear(2, 32), sj.nn.Linear(32, 2)
W_one = layer1.weight.T @ layer2.weight.T  # nn.Linear 计算 x @ weight.T + bias
b_one = layer1.bias @ layer2.weight.T + layer2.bias
print("两个线性层 == 一个线性层，最大差异:",
      (layer2(layer1(X_spirals)) - (X_spirals @ W_one + b_one)).abs().max().item())

fig, axes = plt.subplots(1, 2, figsize=(6.5, 3.3))
for ax, activation in zip(axes, (sj.nn.Identity(), sj.nn.Tanh())):
    sj.manual_seed(0)
    model = sj.nn.Sequential(sj.nn.Linear(2, 32), activation, sj.nn.Linear(32, 2))
    score = sj.viz.surfaces.fit_points(model, X_spirals, y_spirals, steps=800)
    name = type(activation).__name__
    print(f"2-32-2，激活函数 {name:8s}：分对 {100 * score:.0f} % 的点")
    sj.viz.surfaces.draw_surface(ax, model, X_spirals, y_spirals,
                                 title=f"{name}: {100 * score:.0f} %")
plt.show()

# %% [markdown]
# 没有激活函数，32 个隐藏神经元画出来的仍然只是一条直线。其他常用的激活函数（下一课会详细讲它们
# 和它们的导数）可以用 `sj.viz.activation_functions()` 画出来：每一个都在某处有个“弯”，正是这个
# 弯让神经元能搭出悬崖、山脊和高塔。

# %%
display(sj.viz.activation_functions())

# %% [markdown]
# ## 3. 回到神经网络
#
# ### 对数据升维
#
# 假如数据都分布在二维平面上，掺杂在一起，很难直接用直线划分，比如两个同心圆。加一个坐标
# $x_3 = x_1^2 + x_2^2$（到圆心距离的平方），把数据升到三维，一个平面就能把它们分开。隐藏层也可以
# 这样看：它把数据映射到（这里是）更多的维度，**维度足够多，就一定可以找到一个超平面完成对数据的
# 划分**。下面分别在原始平面上和升维后的点上训练一个线性分类器（没有隐藏层）。

# %%
X_circles, y_circles = sj.datasets.circles(200, noise=0.05)
lifted = sj.cat([X_circles, (X_circles**2).sum(dim=1, keepdim=True)], dim=1)  # (200, 3)
for name, data in (("二维的点", X_circles), ("升到三维的点", lifted)):
    sj.manual_seed(0)
    linear = sj.nn.Linear(data.shape[1], 2)
    score = sj.viz.surfaces.fit_points(linear, data, y_circles, steps=500, lr=0.1)
    print(f"一个线性层，在{name}上：分对 {100 * score:.0f} %")

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
# ### 多个输出，以及 softmax 是多分类的 sigmoid
#
# 神经网络可以有多个输出节点，每类一个，来处理多分类问题。二分类时，笔记把 sigmoid 理解为把 1
# 分成两份：$a$ 代表一种情况（笔记的图里是蓝色），$1 - a$ 代表另一种（橙色），实现归一化。
# softmax 对任意多个类别做同样的事，看起来就是 sigmoid 的升级版。事实上正是如此：两个分数
# $(z, 0)$ 的 softmax 是 $\left(\frac{e^z}{e^z + 1}, \frac{1}{e^z + 1}\right) =
# (\operatorname{sigmoid}(z), 1 - \operatorname{sigmoid}(z))$。

# %% tags=["concept-softmax"]
z = sj.linspace(-4.0, 4.0, 9)
two_scores = sj.stack([z, sj.zeros_like(z)], dim=1)  # (9, 2)：分数 (z, 0)
pair = F.softmax(two_scores, dim=1)
print("softmax(z, 0)[0]:", [round(v, 4) for v in pair[:, 0].tolist()])
print("sigmoid(z)      :", [round(v, 4) for v in sj.sigmoid(z).tolist()])
print("最大差异:", (pair[:, 0] - sj.sigmoid(z)).abs().max().item())

three = net(sj.tensor([[0.5, -1.0]])).detach()  # 第 1 节的 2-4-3 网络：三个分数
print("三个输出分数:", three, "-> softmax:", F.softmax(three, dim=1),
      "总和", F.softmax(three, dim=1).sum().item())

# %% [markdown]
# ### 整个网络：手算一遍，用层再算一遍
#
# 隐藏层让模型更复杂：它可以升维，也可以降维；隐藏层越深，抽象程度越高。笔记把一个有两个 ReLU
# 隐藏层、softmax 输出（没有偏置）的网络写成一串公式，下标 $i, j, k$ 分别表示各层不同的神经元：
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
# $\operatorname{ReLU}(x) = \max(0, x)$ 是另一个激活函数。这里网络有 2 个输入、两个各 4 个神经元的
# 隐藏层和 3 个输出，一次读入 5 个点：$X$ 的每一行是一个点，所以 $A^{[3]}$ 的每一行是一个点属于三类
# 的概率。

# %% tags=["concept-forward-by-hand"]
X = sj.randn(5, 2)  # 五个点（行），每个点两个坐标
W1, W2, W3 = sj.randn(2, 4), sj.randn(4, 4), sj.randn(4, 3)
Z1 = X @ W1  # (5, 2) @ (2, 4) -> (5, 4)
A1 = Z1.clamp(min=0)  # ReLU：max(0, z)
Z2 = A1 @ W2  # (5, 4) @ (4, 4) -> (5, 4)
A2 = Z2.clamp(min=0)
Z3 = A2 @ W3  # (5, 4) @ (4, 3) -> (5, 3)：每个点三个分数
E = sj.exp(Z3 - Z3.max(dim=1, keepdim=True).values)  # 先减最大值，和第 0 节一样
A3 = E / E.sum(dim=1, keepdim=True)  # 每一行做 softmax
print("A3（每个点一行）:\n", A3)
print("每行之和:", A3.sum(dim=1))

# %% [markdown]
# 同一个网络用层来搭：`nn.Linear(2, 4, bias=False)` 等等。有一个细节：层把权重存成
# `(out_features, in_features)`，每个神经元一行（连*进*它的边），计算的是 $X \cdot
# \text{weight}^T$；所以笔记里的 $W^{[1]}$ 就是 `weight.T`。

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
print("max |model(X) - 手算的 A3|:", (model(X) - A3).abs().max().item())

# %% [markdown]
# ### 模型、策略、算法
#
# 机器学习三要素：**模型、策略、算法**。隐藏层搞定模型；输出层搞定策略，也就是什么样的答案算好，
# 用损失来衡量。softmax 输出通常用交叉熵损失：对所有点取平均的 $-\log$（给真实类别的概率）。
# 算法就是**反向传播**，关键是**梯度下降法**：让每个权重沿梯度的反方向走一小步，
#
# $$w \leftarrow w - \eta\, \nabla f(w),$$
#
# 其中 $\nabla f$（读作“奶不乐 艾弗”，nabla f）是梯度，即 $f$ 的各个偏导数组成的向量，指向上坡
# 方向。$\eta$ 是梯度下降的步长，也叫**学习率**，是一个**超参数**：由我们手动设置，而不是由神经网络
# 学出来。步长过短，到达极值很慢；步长过长，会在极值两边反复横跳，无法收敛。下面在 $f(w) = w^2$
# 上（梯度 $2w$，由自动微分求出）从 $w = 4$ 出发，用四个学习率各走 20 步。

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
            w -= eta * w.grad  # 梯度下降的一步
        w.grad = None
        path.append(w.item())
    print(f"eta = {eta:4}（{name:9s}）：20 步后 w = {path[-1]:10.4f}")
    ax.plot(curve.numpy(), (curve**2).numpy(), color="0.7")
    ax.plot(path, [p**2 for p in path], "o-", markersize=3)
    ax.set_title(f"eta = {eta} ({name})", fontsize=9)
    ax.set_xlim(-6, 6)
    ax.set_ylim(0, 36)
plt.show()

# %% [markdown]
# $\eta = 0.9$ 时，每一步已经在极小值两边来回跳了，但跳得越来越近；$\eta$ 超过 1 以后，每一跳都比
# 上一跳更远，$w$ 越跑越远。
#
# ### 整个网络的梯度
#
# 要训练上面公式里的网络，需要损失对 $W^{[1]}, W^{[2]}, W^{[3]}$ 的梯度。笔记把网络看作一个装着
# 上述表达式的黑盒子，然后停在了这里（“这一块后面没听懂”）。后面的内容其实就是**链式法则**：从
# 输出往输入一层层地用下去，这就是反向传播。对 softmax 加 $N$ 个点上的平均交叉熵、one-hot 标签
# $T$，损失对分数的梯度就是简单的 $(A^{[3]} - T)/N$。然后逐层往回：
#
# $$\frac{\partial L}{\partial W^{[3]}} = A^{[2]T} \frac{\partial L}{\partial Z^{[3]}},\quad
#   \frac{\partial L}{\partial A^{[2]}} = \frac{\partial L}{\partial Z^{[3]}} W^{[3]T},\quad
#   \frac{\partial L}{\partial Z^{[2]}} = \frac{\partial L}{\partial A^{[2]}} \odot
#   [Z^{[2]} > 0],$$
#
# 对 $W^{[2]}$ 和 $W^{[1]}$ 照样再来一遍：ReLU 在神经元被激活的地方让梯度通过，其余地方把它挡住。

# %% tags=["concept-gradient-by-hand"]
t = sj.tensor([0, 2, 1, 1, 0])  # 五个点各自的真实类别
N = X.shape[0]
T = F.one_hot(t, 3).float()
loss = -(T * A3.log()).sum() / N  # 平均交叉熵
dZ3 = (A3 - T) / N  # (5, 3)
gW3 = A2.T @ dZ3  # (4, 5) @ (5, 3) -> (4, 3)，和 W3 同形
dZ2 = (dZ3 @ W3.T) * (Z2 > 0).float()  # 先穿过 W3，再穿过 ReLU
gW2 = A1.T @ dZ2  # (4, 4)
dZ1 = (dZ2 @ W2.T) * (Z1 > 0).float()
gW1 = X.T @ dZ1  # (2, 5) @ (5, 4) -> (2, 4)
print(f"损失 = {loss.item():.4f}")
print("手推的 dL/dW1:\n", gW1)

# %% [markdown]
# 自动微分沿着前向计算记录下的计算图，做的是同样的反向遍历。我们让它算两次：一次在公式上，把
# $W^{[1]}, W^{[2]}, W^{[3]}$ 当作叶子节点；一次在层上（层的梯度和它们的权重一样是转置的）。
# `F.cross_entropy` 接收的是*分数* $Z^{[3]}$，自己以数值稳定的方式做 softmax。

# %% tags=["concept-gradient-autograd"]
leaves = [W.clone().requires_grad_(True) for W in (W1, W2, W3)]
scores = ((X @ leaves[0]).relu() @ leaves[1]).relu() @ leaves[2]
F.cross_entropy(scores, t).backward()

model.zero_grad()
F.nll_loss(model(X).log(), t).backward()  # 层的最后是 softmax：取真实类别概率的 -log

print("权重   手推 vs 公式上的自动微分   手推 vs 层上的自动微分")
for name, by_hand, leaf, layer in zip(("W1", "W2", "W3"), (gW1, gW2, gW3), leaves,
                                      (model[0], model[2], model[4])):
    print(f"{name:7s}{(by_hand - leaf.grad).abs().max().item():20.2e}"
          f"{(by_hand - layer.weight.grad.T).abs().max().item():20.2e}")

# %% [markdown]
# 第三种检验完全不用微积分：把某个权重向上、向下各挪一个极小的 $\epsilon$，看损失怎么变，
# $\frac{L(w + \epsilon) - L(w - \epsilon)}{2\epsilon}$。`sj.autograd.gradcheck` 对每个元素都这样
# 做（用 float64，这么小的差在其中仍足够精确），并与自动微分比较。

# %% tags=["concept-gradcheck"]
X64 = X.double()


def loss_of(W1, W2, W3):
    return F.cross_entropy(((X64 @ W1).relu() @ W2).relu() @ W3, t)


weights64 = [W.double().requires_grad_(True) for W in (W1, W2, W3)]
print("gradcheck 通过:", sj.autograd.gradcheck(loss_of, weights64))

eps = 1e-6  # 手动检查一个元素：W1[0, 1]
up, down = [W.detach().clone() for W in weights64], [W.detach().clone() for W in weights64]
up[0][0, 1] += eps
down[0][0, 1] -= eps
numeric = (loss_of(*up) - loss_of(*down)).item() / (2 * eps)
print(f"dL/dW1[0, 1]：手推 {gW1[0, 1].item():.6f}   自动微分 {leaves[0].grad[0, 1].item():.6f}"
      f"   有限差分 {numeric:.6f}")

# %% [markdown]
# ### 在网络上做梯度下降
#
# 有了梯度，训练的一步就是把笔记里的公式用到每个权重上。下面用自动微分求出的梯度手动走三步，
# 再用 `sj.optim.SGD` 走三步，它做的事完全一样：两边的权重一致。

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
    print(f"第 {step + 1} 步：更新前损失 {loss.item():.4f}，手动与 SGD 的最大差异 {gap:.1e}")

# %% [markdown]
# 最后来一次真正的训练：一个 2-16-2 的 `Tanh` 网络，用全批量梯度下降学习升维例子里的两个圆，
# 300 步，三个学习率。网络的学习率和 $w^2$ 的不一样，多小算太小、多大算太大取决于具体问题，所以
# $\eta$ 要靠手动调。

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
    print(f"eta = {eta:4}：起始损失 {losses[0]:.3f}，最终 {losses[-1]:.3f}，"
          f"最后 50 步在 {min(last):.3f} 与 {max(last):.3f} 之间；分对 {100 * accuracy:.0f} %")
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
# 学习率太小，300 步后损失只下降了一点，还有不少点分错；合适的学习率找到了两个圆；学习率太大，
# 最后 50 步的损失一直上蹿下跳，始终稳定不下来：正是笔记说的“反复横跳无法收敛”。
#
# ## 练习
#
# 先运行下一个单元格：它定义了检查答案的函数。

# %% tags=["checker"]
def _number(answer, name):
    """把 ``answer`` 转成 float；否则抛出 AssertionError，说明应该给什么。"""
    if isinstance(answer, sj.Tensor):
        assert answer.numel() == 1, (
            f"{name} 应该是一个数，却是形状为 {tuple(answer.shape)} 的张量")
        answer = answer.item()
    assert isinstance(answer, (int, float, np.floating, np.integer)) and not isinstance(
        answer, bool), f"{name} 应该是一个数（float），却是 {type(answer).__name__}"
    return float(answer)


def _close(a, b):
    return abs(a - b) <= 1e-4 * max(1.0, abs(b))


def exercise_1_data():
    """练习 1 的六个输入、六个权重和偏置。"""
    return (sj.tensor([1.0, 2.0, -1.0, 0.5, 0.0, 3.0]),
            sj.tensor([0.2, -0.4, 0.1, 0.6, 1.0, -0.1]), sj.tensor(0.5))


def check_1(answer):
    if answer is None:
        print("练习 1 还没有作答：把神经元的输出 a（一个 float）赋给 answer_1。")
        return
    answer = _number(answer, "answer_1")
    x, w, b = exercise_1_data()
    z = (w * x).sum() + b
    assert not _close(answer, z.item()), (
        "这是 z，也就是线性部分：神经元还要再经过激活函数")
    assert not _close(answer, sj.sigmoid((w * x).sum()).item()), "是不是忘了加偏置 b？"
    assert not _close(answer, sj.sigmoid(-z).item()), (
        "检查指数上的符号：sigmoid(z) = 1 / (1 + e^(-z))")
    assert 0 < answer < 1, "sigmoid 的输出总在 0 和 1 之间"
    assert _close(answer, sj.sigmoid(z).item()), (
        "还差一点：先算 z = w1 x1 + ... + w6 x6 + b，再算 sigmoid(z)")
    print("练习 1：正确！")


def check_2(answer):
    if answer is None:
        print("练习 2 还没有作答：把这些分数的 softmax（形状为 (4,) 的张量）赋给 answer_2。")
        return
    assert isinstance(answer, sj.Tensor), (
        f"answer_2 应该是一个张量（sj.Tensor），却是 {type(answer).__name__}")
    assert tuple(answer.shape) == (4,), (
        f"answer_2 的形状是 {tuple(answer.shape)}：softmax 给每个分数一个概率，所以形状是 (4,)")
    scores = sj.tensor([3.0, 1.0, 0.2, -2.0])
    expected = sj.exp(scores) / sj.exp(scores).sum()
    answer = answer.detach().to(expected.dtype)
    assert bool((answer > 0).all()), "softmax 的每个概率都是正的：用 e 的分数次方"
    assert abs(answer.sum().item() - 1) < 1e-4, (
        f"这些概率加起来是 {answer.sum().item():.4f}，不是 1：要除以总和")
    assert sj.allclose(answer, expected, rtol=1e-4, atol=1e-6), (
        "还差一点：每一项是 e^(分数) 除以四个 e^(分数) 之和")
    print("练习 2：正确！")


def check_3(answer):
    if answer is None:
        print("练习 3 还没有作答：把走三步之后的 w（一个 float）赋给 answer_3。")
        return
    answer = _number(answer, "answer_3")

    def descend(steps, sign=-1.0):  # w <- w + sign * eta * f'(w)，f(w) = (w - 3)^2
        w = 0.0
        for _ in range(steps):
            w += sign * 0.1 * 2 * (w - 3)
        return w

    assert not _close(answer, descend(3, sign=+1.0)), (
        "w 离极小值越来越远了：梯度“下降”要减去 eta 乘以梯度")
    assert not _close(answer, 3.0), (
        "3 是 f 最小的地方，但走三小步还到不了那里")
    assert not any(_close(answer, descend(n)) for n in (1, 2, 4)), (
        "再数一数步数：从 w = 0 出发，正好更新三次")
    assert _close(answer, descend(3)), (
        "还差一点：(w - 3)^2 的梯度是 2 (w - 3)；把 w <- w - 0.1 * 梯度 做三次")
    print("练习 3：正确！")


# %% [markdown]
# **练习 1（一个神经元）。** `exercise_1_data()` 给出一个神经元的六个输入 $x$、六个权重 $w$ 和
# 偏置 $b$。用张量手算它的输出 $a = \operatorname{sigmoid}(w_1x_1 + \dots + w_6x_6 + b)$（不用
# `nn.Linear`），答案是一个 float。

# %% tags=["exercise-1"]
x1, w1, b1 = exercise_1_data()
print("x:", x1.tolist(), " w:", [round(v, 4) for v in w1.tolist()], " b:", b1.item())
answer_1 = None  # 把你的答案写在这里

# %% tags=["check-1"]
check_1(answer_1)

# %% [markdown]
# **练习 2（softmax）。** 一个网络给出四个分数 $(3.0, 1.0, 0.2, -2.0)$。用 `sj.exp` 和求和手算它们
# 的 softmax（不用 `F.softmax`），答案是形状为 (4,) 的张量。

# %% tags=["exercise-2"]
scores2 = sj.tensor([3.0, 1.0, 0.2, -2.0])
answer_2 = None  # 把你的答案写在这里

# %% tags=["check-2"]
check_2(answer_2)

# %% [markdown]
# **练习 3（梯度下降）。** 用梯度下降最小化 $f(w) = (w - 3)^2$，学习率 $\eta = 0.1$，从 $w = 0$
# 出发。走三步之后 $w$ 是多少？答案是一个 float（手算，或者像第 3 节那样用自动微分）。

# %% tags=["exercise-3"]
answer_3 = None  # 把你的答案写在这里

# %% tags=["check-3"]
check_3(answer_3)

# %% [markdown]
# ## 参考答案
#
# **练习 1。** 先算线性方程，再过激活函数。

# %% tags=["solution-1"]
z1 = (w1 * x1).sum() + b1
answer_1 = (1 / (1 + sj.exp(-z1))).item()
print(f"z = {z1.item():.4f}, a = {answer_1:.4f}")
check_1(answer_1)

# %% [markdown]
# **练习 2。** 取指数，再除以它们的和（先减去最大的分数不改变结果，还能让指数保持较小）。

# %% tags=["solution-2"]
e2 = sj.exp(scores2 - scores2.max())
answer_2 = e2 / e2.sum()
print(answer_2, "总和", answer_2.sum().item())
check_2(answer_2)

# %% [markdown]
# **练习 3。** $f'(w) = 2(w - 3)$，所以每一步是 $w \leftarrow w - 0.2(w - 3)$：到 3 的距离每次
# 缩小为原来的 0.8 倍，$w_n = 3 - 3 \cdot 0.8^n$。自动微分给出同样的结果。

# %% tags=["solution-3"]
w3 = sj.tensor(0.0, requires_grad=True)
for step in range(3):
    ((w3 - 3) ** 2).backward()
    with sj.no_grad():
        w3 -= 0.1 * w3.grad
    w3.grad = None
    print(f"第 {step + 1} 步之后：w = {w3.item():.4f}")
answer_3 = w3.item()
print("闭式解 3 - 3 * 0.8**3 =", 3 - 3 * 0.8**3)
check_3(answer_3)
