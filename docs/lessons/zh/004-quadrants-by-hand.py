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
# # 第五课：2-6-4 四象限分类网络，亲手推导反向传播
#
# 笔记《神经网络核心知识点梳理--一图了然》用一张图画出一个小网络，并把它学习时发生的每件事走了一遍。
# 这个网络读入一个点的坐标 $(x_1, x_2)$，判断它落在平面的哪一个**象限**：2 个输入、6 个隐藏神经元、
# 4 个输出。
#
# 我们按笔记的顺序来：
#
# 1. 网络结构：输入层、隐藏层、输出层，权重矩阵 $W_a$（2×6）和 $W_b$（6×4）；
# 2. 前向传播 $H = f(XW_a + b_1)$、$Y = \mathrm{softmax}(HW_b + b_2)$：先用张量手算，再用网络层算；
# 3. 把得分变成概率的 softmax，以及交叉熵损失；
# 4. 反向传播：用链式法则把 2-6-4 网络的每一个梯度一步一步亲手写出来，再和自动求导、和有限差分
#    （`gradcheck`）对照；
# 5. 梯度下降 $W \leftarrow W - \eta\,\partial L/\partial W$，以及它的三种做法：
#    批量梯度下降（BGD）、随机梯度下降（SGD）和小批量梯度下降，放在一起训练、比较。
#
# 整课在普通笔记本电脑的 CPU 上几秒钟就能跑完。

# %% tags=["setup"]
import matplotlib.pyplot as plt
import numpy

import shenjing as sj
import shenjing.nn.functional as F

sj.manual_seed(0)                   # 每次运行的初始权重都一样
rng = numpy.random.default_rng(0)   # 每次运行挑出的示例点都一样

# %% [markdown]
# ## 1. 网络结构
#
# 把笔记里的图用文字说一遍：
#
# - **输入层**：1×2 的一行 $X = (x_1, x_2)$，另加一个**偏置**（Bias）作为额外输入，
#   “增强模型表达能力”（有了它，神经元的阈值可以不再被钉在原点）。
# - **隐藏层**：6 个神经元；每个神经元先对输入做加权求和 $\Sigma$，再经过激活函数 $f$。
# - **输出层**：1×4 的一行，每个类别一个得分，用 softmax 映射成概率，再用交叉熵计算损失。
# - **权重矩阵**：$W_a$ 是 2×6，连接输入层和隐藏层；$W_b$ 是 6×4，连接隐藏层和输出层。
#
# `sj.datasets.quadrants` 生成数据点：在正方形 $[-1, 1]^2$ 里均匀分布，第 I 象限（$x_1>0, x_2>0$）
# 记为类别 0，第 II 象限为 1，第 III 象限为 2，第 IV 象限为 3。`sj.models.quadrants_net()`
# 就是隐藏层用 tanh 的 2-6-4 网络。它的参数个数正好是笔记里两个权重矩阵加上两个偏置。

# %% tags=["concept-quadrant-network-2-6-4"]
X, y = sj.datasets.quadrants(400)                      # 400 个训练点（种子 0）
X_test, y_test = sj.datasets.quadrants(400, seed=1)    # 400 个留出的测试点（换一个种子）
print("X:", X.shape, X.dtype, "   y:", y.shape, y.dtype)
print("每个象限的点数:", [int((y == c).sum().item()) for c in range(4)])
print("前三个点:", [[round(v, 3) for v in row] for row in X[:3].tolist()],
      "标签:", y[:3].tolist())

# Flatten -> Linear(2, 6) -> tanh -> Linear(6, 4)；Flatten 对 (N, 2) 的点什么也不做，
# 所以笔记里的两层是 model[1] 和 model[3]
model = sj.models.quadrants_net()
print(model)
print("参数个数:", sum(p.numel() for p in model.parameters()),
      "= 2*6 (Wa) + 6 (b1) + 6*4 (Wb) + 4 (b2) =", 2 * 6 + 6 + 6 * 4 + 4)

colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759"]   # 和 sj.viz 的图用同一套颜色
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
# ### 隐藏层的激活函数
#
# 笔记列出了四种常用的 $f$：
#
# - Sigmoid：$\sigma(x) = \dfrac{1}{1 + e^{-x}}$
# - Tanh：$\tanh(x) = \dfrac{e^x - e^{-x}}{e^x + e^{-x}}$
# - ReLU：$f(x) = \max(0, x)$
# - Leaky ReLU：$f(x) = \max(\alpha x, x)$，其中 $\alpha$ 是一个小正数
#
# 用张量把每个公式写出来，结果和 shenjing 里同名的层完全一致。我们的网络用 tanh：它处处光滑
# （下面要求的每个梯度都处处有定义），而且以零为中心，正好和以原点为中心的四个象限相配。

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
    print(f"{name:9}  {[round(v, 3) for v in value.tolist()]}   max |手算 - 网络层| = "
          f"{difference:.1e}")

# %% [markdown]
# ## 2. 前向传播
#
# 笔记里的两行公式：
#
# $$H = f(X W_a + b_1), \qquad Y = \mathrm{softmax}(H W_b + b_2)$$
#
# 我们取一批 $N = 4$ 个点，每个象限各一个，按行叠成 $X$（4×2）。于是 $XW_a$ 是 (4×2)(2×6) = 4×6：
# 每个点一行，每行 6 个加权和。为了反向传播时能一步步往回走，我们给每一步起个名字：
# $A = XW_a + b_1$（加权和），$H = \tanh(A)$，$Z = HW_b + b_2$（原始得分，也叫 *logits*），
# $Y = \mathrm{softmax}(Z)$。
#
# 权重直接取自 `model` 的各层。`nn.Linear` 和 PyTorch 一样，把权重存成 (out_features, in_features)，
# 所以笔记里的 $W_a$ 是 `model[1].weight` 的转置。

# %% tags=["concept-forward-by-hand"]
batch = [int(rng.choice(numpy.flatnonzero(y.numpy() == c))) for c in range(4)]
Xb, yb = X[batch], y[batch]                                # (4, 2) 个点，(4,) 个标签
Wa, b1 = model[1].weight.detach().T, model[1].bias.detach()    # (2, 6), (6,)
Wb, b2 = model[3].weight.detach().T, model[3].bias.detach()    # (6, 4), (4,)

A = Xb @ Wa + b1        # (4, 2) @ (2, 6) -> (4, 6)：隐藏神经元的加权和
H = A.tanh()            # (4, 6)：隐藏层的输出
Z = H @ Wb + b2         # (4, 6) @ (6, 4) -> (4, 4)：每个点对每个类别的得分
print("这几个点 X:\n", Xb, "\n标签:", yb.tolist())
print("H = tanh(X Wa + b1):", H.shape)
print(H)
print("Z = H Wb + b2:", Z.shape)
print(Z)

# %% [markdown]
# ## 3. Softmax：从得分到概率
#
# $$S_i = \frac{e^{z_i}}{\sum_j e^{z_j}}$$
#
# 正如笔记所说，softmax 把网络的原始输出转换成概率分布：每个 $S_i$ 都是正数，加起来等于 1，
# 于是输出可以读成“每个类别有多大可能”。写代码时先减去每一行的最大值 $m$：
# $e^{z_i - m} / \sum_j e^{z_j - m}$ 是同一个比值（$e^{-m}$ 上下约掉了），但指数再也不会溢出。
# 笔记还说二分类问题用 sigmoid：对两个得分 $(z, 0)$ 做 softmax，得到的**就是** $\sigma(z)$。

# %% tags=["concept-softmax"]
def softmax_by_hand(z):
    e = (z - z.amax(dim=1, keepdim=True)).exp()   # 最大的那个指数是 e^0 = 1
    return e / e.sum(dim=1, keepdim=True)


Y = softmax_by_hand(Z)
print("Y = softmax(Z):\n", Y)
print("每一行加起来都是 1:", Y.sum(dim=1).tolist())
print("max |手算 - F.softmax| =", (Y - F.softmax(Z, dim=1)).abs().max().item())

big = sj.tensor([[100.0, 99.0, 0.0, -5.0]])
with numpy.errstate(over="ignore", invalid="ignore"):   # 否则 NumPy 会对溢出发出警告
    e_big = big.exp()                                   # e^100 超出 float32 的范围：inf
    naive = e_big / e_big.sum(dim=1, keepdim=True)      # inf / inf 得 nan
print("不减最大值时的 e^z:   ", e_big.tolist())
print("不减最大值的 softmax: ", naive.tolist())
print("减去最大值的 softmax: ", [round(v, 4) for v in softmax_by_hand(big)[0].tolist()])

two = sj.tensor([[1.5, 0.0]])
print("softmax((1.5, 0))[0] =", softmax_by_hand(two)[0, 0].item(),
      "  sigmoid(1.5) =", sj.sigmoid(sj.tensor(1.5)).item())

# %% [markdown]
# 用网络层一次调用就完成整个前向传播：`model(X)` 得到的得分和我们手写的三行 $Z$ 一样，
# 对它做 softmax 也得到同样的 $Y$。网络还没有训练，所以它现在的猜测和瞎猜差不多。

# %% tags=["concept-forward-layer"]
logits = model(Xb)
print("model(X):\n", logits)
print("max |手算的 Z - model(X)| =", (Z - logits).abs().max().item())
print("max |手算的 Y - softmax(model(X))| =",
      (Y - F.softmax(logits, dim=1)).abs().max().item())
print("预测的类别:", logits.argmax(dim=1).tolist(), "  真实的类别:", yb.tolist())

# %% [markdown]
# ## 4. 损失：交叉熵
#
# 笔记把损失分为分类损失和回归损失两种；我们做的是分类，用的是多分类交叉熵损失：
#
# $$L = -\sum_i y_i \log \hat y_i$$
#
# 其中 $y_i$ 是写成 **one-hot** 形式的真实标签（真实类别为 1，其余为 0），$\hat y_i$ 是预测概率。
# 求和里只剩下真实类别那一项，所以一个点的损失就是 $-\log$（分给正确类别的概率）：网络有把握且答对时
# 接近 0，有把握却答错时很大。这就是笔记说的“惩罚与真实标签差异大的”。一批点取 $N$ 个点的平均，
# `F.cross_entropy` 也是这样做的（它接收原始得分 $Z$，自己做 softmax，一步完成，数值上更稳定）。
#
# 一个还没训练、把概率平均分给四个类别的网络，对每个类别给出 $\hat y = 1/4$，
# 所以损失一开始在 $\log 4$ 附近。
#
# 笔记里的二元交叉熵，$\hat y$ 是类别 1 的概率：
# $L = -\big(y\log\hat y + (1-y)\log(1-\hat y)\big)$。

# %% tags=["concept-cross-entropy"]
T = F.one_hot(yb, 4).float()              # (4, 4)：真实标签 y_i，one-hot 形式
L_each = -(T * Y.log()).sum(dim=1)        # L = -sum_i y_i log(y_hat_i)，每个点一个
L = L_each.mean()
print("one-hot 标签:\n", T)
print("每个点的损失:", [round(v, 4) for v in L_each.tolist()])
print("真实类别概率的 -log:",
      [round(-float(numpy.log(Y[n, int(yb[n])].item())), 4) for n in range(4)])
print("手算的平均损失:", L.item(), "   F.cross_entropy(Z, y):", F.cross_entropy(Z, yb).item())
with sj.no_grad():
    print("未训练网络在全部 400 个点上的损失:", round(F.cross_entropy(model(X), y).item(), 4),
          "   log 4 =", round(float(numpy.log(4)), 4))

p = sj.tensor([0.9, 0.2, 0.6])            # 预测为类别 1 的概率
t = sj.tensor([1.0, 0.0, 0.0])            # 真实标签
bce = -(t * p.log() + (1 - t) * (1 - p).log())
print("手算的二元交叉熵:", round(bce.mean().item(), 4),
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
# ## 5. 反向传播：一步一步亲手推导
#
# 要让损失变小，就需要损失对每个权重的梯度。笔记里的链式法则：
#
# $$\frac{\partial L}{\partial W} = \frac{\partial L}{\partial Y}\cdot\frac{\partial Y}{\partial Z}
# \cdot\frac{\partial Z}{\partial W}$$
#
# 我们的计算是一条链 $X \to A \to H \to Z \to Y \to L$。反向传播从链的末端往回走：每一步把从上游
# 传来的梯度乘上一节链条的导数。每个梯度的形状都和它所对应的那个量相同。
#
# **第 1 步，损失和 softmax。** $L = -\frac1N\sum_n\sum_i T_{ni}\log Y_{ni}$，所以
# $\partial L/\partial Y = -T/(NY)$。softmax 让一个点的四个输出互相牵连：它的雅可比矩阵是
# $\partial Y_i/\partial Z_j = Y_i(\delta_{ij} - Y_j)$，也就是每个点一个
# $\mathrm{diag}(Y) - YY^\top$。两者相乘，几乎全部约掉，只剩下：
#
# $$\frac{\partial L}{\partial Z} = \frac{Y - T}{N}$$
#
# （预测概率减去真实的 one-hot 标签）。两种算法结果一致：

# %% tags=["concept-gradient-by-hand", "concept-backpropagation-by-hand"]
N = Xb.shape[0]
dY = -T / (N * Y)                                              # dL/dY: (4, 4)
J = Y.unsqueeze(2) * sj.eye(4) - Y.unsqueeze(2) @ Y.unsqueeze(1)   # dY/dZ：每个点一个 4x4
dZ_chain = (dY.unsqueeze(1) @ J).squeeze(1)                    # 每个点算一次 (1, 4) @ (4, 4)
dZ = (Y - T) / N                                               # 同一个结果，化简后的公式
print("dL/dZ = (Y - T) / N:\n", dZ)
print("max |经过雅可比矩阵 - 化简公式| =", (dZ_chain - dZ).abs().max().item())

# %% [markdown]
# **第 2 步，输出层** $Z = HW_b + b_2$。$W_b$ 的第 $(k, j)$ 个元素对每个点 $n$ 都把 $H_{nk}$ 乘进
# $Z_{nj}$，所以它的梯度是把 $H_{nk}\,\partial L/\partial Z_{nj}$ 对所有点求和：正好是一次矩阵乘法。
# 偏置加到每一行上，所以它的梯度是各行之和。而 $H$ 只通过 $Z$ 影响 $L$：
#
# $$\frac{\partial L}{\partial W_b} = H^\top\frac{\partial L}{\partial Z},\qquad
# \frac{\partial L}{\partial b_2} = \sum_n \frac{\partial L}{\partial Z_n},\qquad
# \frac{\partial L}{\partial H} = \frac{\partial L}{\partial Z}W_b^\top$$

# %% tags=["concept-backpropagation-by-hand"]
dWb = H.T @ dZ              # (6, 4) @ (4, 4) -> (6, 4)，和 Wb 同形状
db2 = dZ.sum(dim=0)         # (4,)，和 b2 同形状
dH = dZ @ Wb.T              # (4, 4) @ (4, 6) -> (4, 6)，和 H 同形状
print("dL/dWb:", dWb.shape, "  dL/db2:", db2.shape, "  dL/dH:", dH.shape)
print(dWb)

# %% [markdown]
# **第 3 步，隐藏层** $H = \tanh(A)$，$A = XW_a + b_1$。tanh 的导数是 $1 - \tanh^2$，而它我们手里
# 已经有了：就是 $1 - H^2$（前向传播替我们存好了）。逐元素的函数就逐元素相乘（$\odot$）；
# 线性层则重复第 2 步：
#
# $$\frac{\partial L}{\partial A} = \frac{\partial L}{\partial H}\odot(1 - H^2),\qquad
# \frac{\partial L}{\partial W_a} = X^\top\frac{\partial L}{\partial A},\qquad
# \frac{\partial L}{\partial b_1} = \sum_n \frac{\partial L}{\partial A_n}$$

# %% tags=["concept-backpropagation-by-hand"]
dA = dH * (1 - H ** 2)      # (4, 6)：穿过 tanh
dWa = Xb.T @ dA             # (2, 4) @ (4, 6) -> (2, 6)，和 Wa 同形状
db1 = dA.sum(dim=0)         # (6,)，和 b1 同形状
print("dL/dA:", dA.shape, "  dL/dWa:", dWa.shape, "  dL/db1:", db1.shape)
print(dWa)

# %% [markdown]
# 整个反向传播可以装进一个函数：先前向传播，再倒着走这三步。下面我们用它和有限差分对照，
# 还要只靠这几个公式把网络训练出来。

# %% tags=["concept-backpropagation-by-hand"]
def backprop_by_hand(X, y, Wa, b1, Wb, b2):
    """2-6-4 网络的平均交叉熵，以及它的梯度 (dWa, db1, dWb, db2)。"""
    H = (X @ Wa + b1).tanh()                  # 前向
    Y = softmax_by_hand(H @ Wb + b2)
    T = F.one_hot(y, Wb.shape[1]).to(Y.dtype)
    loss = -(T * Y.log()).sum(dim=1).mean()
    dZ = (Y - T) / X.shape[0]                 # 第 1 步
    dH = dZ @ Wb.T                            # 第 2 步
    dA = dH * (1 - H ** 2)                    # 第 3 步
    return loss, (X.T @ dA, dA.sum(dim=0), H.T @ dZ, dZ.sum(dim=0))


loss, grads = backprop_by_hand(Xb, yb, Wa, b1, Wb, b2)
print("损失:", loss.item(), "  各梯度的形状:", [tuple(g.shape) for g in grads])

# %% [markdown]
# ## 6. 自动求导算出的同一组梯度
#
# `loss.backward()` 沿着前向传播记录下的计算图往回走，一个运算一个运算地应用同一条链式法则。
# 各层的 `.grad` 是按层的存储方式 (out, in) 排的，所以要转置一下才能和笔记里的 $W_a$、$W_b$ 对照。
# `sj.autograd.grad` 还能给出中间结果 $Z$、$H$、$A$ 的梯度。

# %% tags=["concept-gradient-autograd"]
model.zero_grad()
loss = F.cross_entropy(model(Xb), yb)
loss.backward()
by_autograd = {"dL/dWa": model[1].weight.grad.T, "dL/db1": model[1].bias.grad,
               "dL/dWb": model[3].weight.grad.T, "dL/db2": model[3].bias.grad}
by_hand = {"dL/dWa": dWa, "dL/db1": db1, "dL/dWb": dWb, "dL/db2": db2}   # 第 5 节手算的

Wa_, b1_, Wb_, b2_ = (t.clone().requires_grad_(True) for t in (Wa, b1, Wb, b2))
A_ = Xb @ Wa_ + b1_
H_ = A_.tanh()
Z_ = H_ @ Wb_ + b2_
gZ, gH, gA = sj.autograd.grad(F.cross_entropy(Z_, yb), [Z_, H_, A_])
by_autograd.update({"dL/dZ": gZ, "dL/dH": gH, "dL/dA": gA})
by_hand.update({"dL/dZ": dZ, "dL/dH": dH, "dL/dA": dA})

print(f"{'':7} {'形状':6} max |手算 - 自动求导|")
for name in ("dL/dZ", "dL/dWb", "dL/db2", "dL/dH", "dL/dA", "dL/dWa", "dL/db1"):
    difference = (by_hand[name] - by_autograd[name]).abs().max().item()
    print(f"{name:7} {str(tuple(by_hand[name].shape)):8} {difference:.1e}")
print("\n手算的 dL/dWa:\n", dWa, "\n自动求导的 dL/dWa:\n", by_autograd["dL/dWa"])

# %% [markdown]
# ## 7. 用有限差分检验：`gradcheck`
#
# 导数是一个极限：$\partial L/\partial w \approx \big(L(w+\varepsilon) -
# L(w-\varepsilon)\big)/2\varepsilon$。`sj.autograd.gradcheck` 在 float64 下（舍入误差足够小）
# 把自动求导的梯度和它对照。我们也用同样的差分，逐个元素检验自己推出来的公式：每个权重要算两次损失。

# %% tags=["concept-gradcheck"]
Xd = Xb.double()
params = [t.double().requires_grad_(True) for t in (Wa, b1, Wb, b2)]


def loss_of(Wa, b1, Wb, b2):
    return F.cross_entropy((Xd @ Wa + b1).tanh() @ Wb + b2, yb)


print("gradcheck（自动求导 vs 有限差分）:", sj.autograd.gradcheck(loss_of, params))

eps = 1e-6
weights = [p.detach() for p in params]
_, hand = backprop_by_hand(Xd, yb, *weights)
worst, entries = 0.0, 0
with sj.no_grad():
    for which, (w, g) in enumerate(zip(weights, hand)):
        for k in range(w.numel()):
            nudge = eps * sj.eye(w.numel(), dtype=w.dtype)[k].view(w.shape)   # 只在元素 k 加 eps
            up = loss_of(*[v + nudge if j == which else v for j, v in enumerate(weights)])
            down = loss_of(*[v - nudge if j == which else v for j, v in enumerate(weights)])
            numerical = (up.item() - down.item()) / (2 * eps)
            worst = max(worst, abs(numerical - g.reshape(-1)[k].item()))
            entries += 1
print(f"我们的公式 vs 有限差分：{entries} 个元素，算了 {2 * entries} 次损失，"
      f"最大差异 {worst:.1e}")

# %% [markdown]
# ## 8. 梯度下降
#
# 有了梯度，就可以用笔记里的更新公式：
#
# $$W \leftarrow W - \eta\,\frac{\partial L}{\partial W}$$
#
# 梯度指向损失增长最快的方向；逆着它走一小步 $\eta$（**学习率**），损失就会变小。
# $\eta$ 太大会迈过头，甚至发散；太小则走得很慢。我们只用手写的梯度，在全部 400 个点上训练网络；
# 然后让 `sj.optim.SGD` 从同一个起点走同样多步：它用的是同一条规则，所以两边的权重一致
# （只差 float32 的舍入）。

# %%
eta, steps = 0.5, 300
weights = [t.clone() for t in (Wa, b1, Wb, b2)]
for step in range(steps + 1):
    loss, grads = backprop_by_hand(X, y, *weights)
    if step % 60 == 0:
        print(f"第 {step:3} 步: 损失 {loss.item():.4f}")
    if step < steps:
        weights = [w - eta * g for w, g in zip(weights, grads)]

sj.manual_seed(0)
net = sj.models.quadrants_net()          # 和 model 相同的初始权重
optimizer = sj.optim.SGD(net.parameters(), lr=eta)
for _ in range(steps):
    optimizer.zero_grad()
    F.cross_entropy(net(X), y).backward()
    optimizer.step()
in_note_layout = [net[1].weight.T, net[1].bias, net[3].weight.T, net[3].bias]   # Wa b1 Wb b2
print("max |手算训练的权重 - sj.optim.SGD 训练的权重| =",
      max((w - v.detach()).abs().max().item() for w, v in zip(weights, in_note_layout)))
with sj.no_grad():
    accuracy = (net(X_test).argmax(dim=1) == y_test).float().mean().item()
print(f"在 400 个测试点上的准确率: {accuracy:.1%}")

# %% [markdown]
# 笔记说“损失函数皆为凸函数（碗的形状）”，所以导数为零的点就是**那个**最小值。对得分 $Z$ 而言，
# 交叉熵确实是凸的；没有隐藏层的网络也是如此。但对一个有隐藏层的网络的权重来说，并不成立。
# 一个简单的检验：交换两个隐藏神经元（交换它们在 $W_a$ 中的列、在 $b_1$ 中的元素、
# 在 $W_b$ 中的行），得到的是另一组权重，算出的却是完全相同的函数，因而损失也相同。
# 如果损失是凸的，两个同样好的点的中点不会更差；可这里中点更差，而且每一对神经元都是如此。
# 所以梯度下降找到的是**一个**低点，未必是最低点——这也是初始权重和学习率很重要的原因之一。

# %%
def swap_hidden(weights, i, k):
    """同一个网络，只是隐藏神经元 i 和 k 交换了位置。"""
    order = list(range(6))
    order[i], order[k] = k, i
    Wa, b1, Wb, b2 = weights
    return [Wa[:, order], b1[order], Wb[order], b2]


trained = backprop_by_hand(X, y, *weights)[0].item()     # 上面手算训练出的权重
swapped = swap_hidden(weights, 4, 5)
halfway = [(u + v) / 2 for u, v in zip(weights, swapped)]
print(f"损失 {trained:.4f}：训练好的权重")
print(f"损失 {backprop_by_hand(X, y, *swapped)[0].item():.4f}：交换神经元 4、5 之后")
print(f"损失 {backprop_by_hand(X, y, *halfway)[0].item():.4f}：两者的中点")
pairs = [(i, k) for i in range(6) for k in range(i + 1, 6)]
worse = sum(backprop_by_hand(X, y, *[(u + v) / 2 for u, v in zip(weights, swap_hidden(
    weights, i, k))])[0].item() > trained for i, k in pairs)
print(f"中点比训练好的权重更差的交换: {len(pairs)} 种中有 {worse} 种")

# %% [markdown]
# ## 9. BGD、SGD 和小批量梯度下降
#
# 笔记按每一步的梯度由多少个样本算出（即 **batch size**）把梯度下降分成三种：
#
# - **BGD 批量梯度下降**：每一步都用全部样本，大型数据集基本不可行。
# - **SGD 随机梯度下降**：每一步随机抽取一个样本；梯度噪声大，受异常值影响，更新时波动较大，
#   训练时间长。
# - **MiniBatch 小批量梯度下降**：根据需求自由定义 batch size，兼具 BGD 和 SGD 的优点，
#   收敛相对较快，最为常用。
#
# 我们训练同一个网络的三个副本（相同的初始权重、相同的学习率 $\eta = 0.3$、相同的 20 个 epoch：
# 每个点都被看 20 次），batch size 分别是 400（BGD）、1（SGD）和 32（小批量）。每次更新之后，
# 都在全部训练点上量一次损失。按 epoch（读过的数据量相同）比一比，再按更新次数比一比。

# %% tags=["concept-bgd-sgd-mini-batch"]
def train(batch_size, epochs=20, lr=0.3):
    sj.manual_seed(0)
    net = sj.models.quadrants_net()                    # 每次都是相同的初始权重
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
                per_update.append(F.cross_entropy(net(X), y).item())  # 在全部 400 个点上
        per_epoch.append(per_update[-1])
    return net, per_update, per_epoch


runs = {"BGD (batch 400)": train(400), "SGD (batch 1)": train(1),
        "mini-batch (batch 32)": train(32)}
for name, (net, per_update, per_epoch) in runs.items():
    with sj.no_grad():
        accuracy = (net(X_test).argmax(dim=1) == y_test).float().mean().item()
    # 每一行的文字都一样，只有数字不同：各列自然对齐，不必手工数汉字占几格
    print(f"{name + ':':23}每个 epoch 更新 {len(per_update) // len(per_epoch):3} 次，"
          f"共 {len(per_update):4} 次，最终损失 {per_epoch[-1]:.4f}，测试准确率 {accuracy:.1%}")

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
for (name, (_, per_update, per_epoch)), color in zip(runs.items(), colors):
    left.plot(range(1, len(per_epoch) + 1), per_epoch, "o-", ms=3, color=color, label=name)
    bgd = name.startswith("BGD")   # 画粗一些、放在最上层：它只有 20 个点
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
# 图里说了什么：
#
# - **按 epoch 看**（左图），BGD 最慢：它读完全部 400 个点才小心地走一步，所以 20 个 epoch 只有
#   20 次更新。它的曲线很平滑，但离收敛还远，决策边界也还歪歪扭扭。
# - **SGD** 每个 epoch 更新 400 次，每次只看一个点。第一个 epoch 里损失就降下来了，但之后一直上下
#   跳动（右图）：单个点的梯度只是整个数据集梯度的一个带噪声的估计，一个异常的点就能把权重推向
#   错误的方向。而且它的每一步都是很小的计算，用不上让一批数据变得便宜的向量化矩阵乘法。
# - **小批量**介于两者之间：每个 epoch 更新 13 次（最后一批装的是剩下的点）。按更新次数看（右图），
#   它的曲线几乎和 BGD 的重合：32 个随机点算出的梯度差不多和全部 400 个点的一样好，计算量却只是
#   一小部分。所以按 epoch 看，它能走许多步平稳的步子。这就是它到处都是默认做法的原因：
#   `DataLoader(..., batch_size=32, shuffle=True)`。
#
# 在命令行里，`shenjing train quadrants` 用 Adam 把同一个网络训练到收敛，
# `shenjing plot surface runs/quadrants-mlp` 再画出它的决策曲面。

# %% [markdown]
# ## 练习
#
# 先运行下一个单元：它定义了检查答案的函数（以及练习 2 的数据）。

# %% tags=["checker"]
def _is_number(answer):
    return isinstance(answer, (int, float, numpy.floating, numpy.integer)) and not isinstance(
        answer, bool)


def check_1(answer):
    if answer is None:
        print("练习 1 还没有作答：把 answer_1 设为损失值（一个浮点数）。")
        return
    if isinstance(answer, sj.Tensor):
        assert answer.numel() == 1, (
            f"answer_1 应该是一个数，却是形状为 {tuple(answer.shape)} 的张量")
        answer = answer.item()
    assert _is_number(answer), (
        f"answer_1 应该是一个数（浮点数），却是 {type(answer).__name__}")
    z = sj.tensor([[2.0, 1.0, 0.1, -1.0]])
    target = 2
    probabilities = F.softmax(z, dim=1)[0]
    expected = F.cross_entropy(z, sj.tensor([target])).item()
    assert answer >= 0, "交叉熵损失不会是负数：是不是漏了负号？"
    assert abs(answer - probabilities[target].item()) > 1e-4, (
        "这是真实类别的概率，不是损失：还要对它取 -log")
    assert abs(answer - expected) <= 1e-4 * max(1.0, abs(expected)), (
        "还不对：一个点的损失是它真实的类别（类别 2，即第三个得分）的 softmax 概率取 -log；"
        "检查一下类别和 softmax 的分母")
    print("练习 1：正确！")


def exercise_2_data():
    """练习 2 的四个点、它们所在的象限，以及权重 Wa (2x6)、b1、Wb (6x4)、b2。"""
    X, y = sj.datasets.quadrants(4, seed=2)
    g = sj.Generator().manual_seed(2)
    return (X, y, sj.randn(2, 6, generator=g), sj.randn(6, generator=g),
            sj.randn(6, 4, generator=g), sj.randn(4, generator=g))


def check_2(answer):
    if answer is None:
        print("练习 2 还没有作答：把 answer_2 设为 dL/dWa，一个形状为 (2, 6) 的张量。")
        return
    assert isinstance(answer, sj.Tensor), (
        f"answer_2 应该是一个张量（sj.Tensor），却是 {type(answer).__name__}")
    X, y, Wa, b1, Wb, b2 = exercise_2_data()
    assert tuple(answer.shape) == tuple(Wa.shape), (
        f"answer_2 的形状是 {tuple(answer.shape)}；梯度和它所对应的量形状相同："
        f"Wa 是 {tuple(Wa.shape)}（X^T 乘以 dL/dA）")
    Wa = Wa.requires_grad_(True)
    loss = F.cross_entropy((X @ Wa + b1).tanh() @ Wb + b2, y)
    (expected,) = sj.autograd.grad(loss, [Wa])
    answer = answer.detach().to(expected.dtype)
    close = sj.allclose(answer, expected, rtol=1e-4, atol=1e-5)
    if not close and sj.allclose(answer, expected * X.shape[0], rtol=1e-4, atol=1e-5):
        raise AssertionError("大了 N 倍：损失是对所有点取平均，所以 dL/dZ = (Y - T) / N")
    assert close, ("还不对：一步一步往回走，dL/dZ = (Y - T)/N，然后 dL/dH，再穿过 tanh"
                   "（它的导数是 1 - H^2），最后 X^T @ dL/dA")
    print("练习 2：正确！")


def check_3(answer):
    if answer is None:
        print("练习 3 还没有作答：把 answer_3 设为 (BGD, SGD, 小批量)。")
        return
    assert isinstance(answer, (tuple, list)), (
        f"answer_3 应该是由三个整数组成的元组，却是 {type(answer).__name__}")
    assert len(answer) == 3, f"answer_3 应该有三个数，却有 {len(answer)} 个"
    assert all(isinstance(a, (int, numpy.integer)) and not isinstance(a, bool)
               for a in answer), "更新次数是整数（int）"
    points = sj.data.TensorDataset(sj.zeros(1000, 2))
    expected = tuple(len(sj.data.DataLoader(points, batch_size=b)) for b in (1000, 1, 32))
    assert answer[0] == expected[0], "BGD：一批装下所有点时，一共有几批？"
    assert answer[1] == expected[1], (
        "SGD：每一批只有一个点，一个 epoch 有几批？")
    assert answer[2] != expected[2] - 1, (
        "小批量：装满若干批之后剩下的点，还会组成一个较小的批")
    assert answer[2] == expected[2], "小批量：多少批 32 个的点才能覆盖 1000 个点？"
    print("练习 3：正确！")


# %% [markdown]
# **练习 1（softmax 和交叉熵）。** 一个网络对某个点给出得分 $z = (2.0, 1.0, 0.1, -1.0)$，
# 这个点的真实类别是 2（第 III 象限）。用张量手算它的交叉熵损失：先做 softmax，再用 one-hot 标签
# 计算 $-\sum_i y_i\log\hat y_i$（不要用 `F.cross_entropy`）。答案是一个浮点数。

# %% tags=["exercise-1"]
z = sj.tensor([2.0, 1.0, 0.1, -1.0])
target = 2
answer_1 = None  # 把你的答案写在这里

# %% tags=["check-1"]
check_1(answer_1)

# %% [markdown]
# **练习 2（亲手反向传播）。** `exercise_2_data()` 给出四个点、它们的标签，以及一个 2-6-4 tanh
# 网络按笔记排布的权重。按第 5 节的步骤，手算平均交叉熵对 $W_a$ 的梯度 $\partial L/\partial W_a$
# （不要用 `backward`，也不要用 `sj.autograd.grad`）。

# %% tags=["exercise-2"]
X_ex, y_ex, Wa_ex, b1_ex, Wb_ex, b2_ex = exercise_2_data()
print("X:", X_ex.shape, " y:", y_ex.tolist(), " Wa:", Wa_ex.shape, " Wb:", Wb_ex.shape)
answer_2 = None  # 把你的答案写在这里

# %% tags=["check-2"]
check_2(answer_2)

# %% [markdown]
# **练习 3（BGD、SGD、小批量）。** 一个训练集有 1000 个点。一个 epoch 里，BGD、SGD 和 batch size
# 为 32 的小批量梯度下降各更新多少次参数？（最后那个不满的批也保留，`DataLoader` 除非设了
# `drop_last=True`，默认就是这样。）答案是由三个整数组成的元组。

# %% tags=["exercise-3"]
answer_3 = None  # 把你的答案写在这里

# %% tags=["check-3"]
check_3(answer_3)

# %% [markdown]
# ## 参考答案
#
# **练习 1。** 先减去最大值做 softmax，再对真实类别的概率取负对数：one-hot 标签让求和里只剩这一项。

# %% tags=["solution-1"]
scores = z - z.max()
probabilities = scores.exp() / scores.exp().sum()
one_hot = F.one_hot(sj.tensor(target), 4).float()
answer_1 = -(one_hot * probabilities.log()).sum().item()
print("概率:", [round(v, 4) for v in probabilities.tolist()], " 损失:", answer_1)
check_1(answer_1)

# %% [markdown]
# **练习 2。** 先前向传播，再倒着走第 5 节的三步；对 4 个点取平均，给 $\partial L/\partial Z$
# 带来了 $1/N$。

# %% tags=["solution-2"]
H_ex = (X_ex @ Wa_ex + b1_ex).tanh()
Y_ex = F.softmax(H_ex @ Wb_ex + b2_ex, dim=1)
dZ_ex = (Y_ex - F.one_hot(y_ex, 4).float()) / X_ex.shape[0]    # 第 1 步
dH_ex = dZ_ex @ Wb_ex.T                                        # 第 2 步
dA_ex = dH_ex * (1 - H_ex ** 2)                                # 第 3 步，穿过 tanh
answer_2 = X_ex.T @ dA_ex                                      # (2, 4) @ (4, 6) -> (2, 6)
print(answer_2)
check_2(answer_2)

# %% [markdown]
# **练习 3。** BGD：一批装下全部 1000 个点，更新 1 次。SGD：1000 批，每批一个点。小批量：装满若干个
# 32 个点的批之后还剩几个点，它们再组成一批，所以次数是 $\lceil 1000/32\rceil$。

# %% tags=["solution-3"]
print(1000 // 32, "个满批共装", 1000 // 32 * 32, "个点；剩下", 1000 % 32, "个点")
answer_3 = (1, 1000, -(-1000 // 32))    # -(-a // b) 是向上取整的除法
print(answer_3)
check_3(answer_3)
