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
# # 第三课：从 K 近邻到 Word2Vec
#
# 这一课跟着笔记《神经网络-B站-Notes》走一遍，是五课里覆盖面最广的一课：图像在计算机里是什么、
# CIFAR-10、K 近邻、得分函数 $f(x, W) = Wx + b$、SVM 损失与 softmax 损失、正则化、
# 反向传播里的门单元、数据预处理与参数初始化、DROP-OUT、卷积神经网络（步长、填充、特征图尺寸、
# 池化、VGG、ResNet、感受野），最后是 RNN、LSTM 和词向量模型 Word2Vec。
#
# 每一部分都很短：先用张量手算笔记里的公式，再用 shenjing（名字和 PyTorch 一样）的层或函数算一遍，
# 对上了再往下走。所有训练都只用很小的数据，整本笔记本在普通笔记本电脑的 CPU 上几秒钟就能跑完。

# %% tags=["setup"]
import matplotlib.pyplot as plt
import numpy as np

import shenjing as sj
import shenjing.nn.functional as F

sj.manual_seed(0)
rng = np.random.default_rng(0)
sj.set_num_threads(1)  # 矩阵都很小: 一个 BLAS 线程比多个线程抢 CPU 核更快
# 图中的文字用英文: 构建文档的机器上的 matplotlib 没有中文字体

# %% [markdown]
# ## 1. 图片在计算机里是一个数组
#
# 笔记说：一张图片在计算机中是一个三维数组，每个像素的值从 0 到 255，越小越暗、越大越亮；
# 彩色图片有 R、G、B 三个**颜色通道**。MNIST 的手写数字是灰度图，只有一个通道：

# %%
train_set = sj.datasets.MNIST(train=True, download=True)
test_set = sj.datasets.MNIST(train=False, download=True)
image = train_set.data[0]
print("一张 MNIST 图片:", image.shape, image.dtype,
      "min", image.min().item(), "max", image.max().item())
print("中间一行的像素:", image[14, 4:24].tolist())

# %% [markdown]
# 笔记推荐的练习数据集是 **CIFAR-10**：10 类标签、50000 张训练图片、10000 张测试图片，每张都是
# $32 \times 32$ 的彩色图，也就是 $32 \times 32 \times 3 = 3072$ 个数。`sj.datasets.CIFAR10`
# 读取官方的 `cifar-10-batches-py` 文件（`download=True` 会下载并校验）。
# 构建这份文档的机器上**没有 CIFAR-10，也不能联网**，所以下面的单元只在数据存在时才读取它；
# 没有数据时，我们就用一张手工拼出的 $32 \times 32 \times 3$ 图片来看三个颜色通道，
# 而这一课的分类器都在 **MNIST 上代替 CIFAR-10 运行**（方法完全相同，只是图片换成
# $28 \times 28 \times 1$）。

# %% tags=["concept-cifar-10"]
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                 "dog", "frog", "horse", "ship", "truck"]
files = sj.datasets.CIFAR10.train_list
print(len(CIFAR_CLASSES), "类,", len(files), "x 10000 =", len(files) * 10000,
      "张训练图片,", len(sj.datasets.CIFAR10.test_list), "x 10000 =",
      len(sj.datasets.CIFAR10.test_list) * 10000, "张测试图片, 每张", 32 * 32 * 3,
      "个数")
# 一个文件: 10000 张图 x (1 个标签 + 3072 个像素字节), 外加文件名和 pickle 的开销
print(sj.datasets.CIFAR10.file_sizes["data_batch_1"], "bytes ~", 10000 * (1 + 3072))
try:
    cifar = sj.datasets.CIFAR10(train=True)  # 文件存在时才能读到
    print(cifar.data.shape, cifar.data.dtype, cifar.classes)
    picture = cifar.data[0]  # (32, 32, 3) uint8
except sj.datasets.DatasetNotFoundError:
    print("这台机器上没有 CIFAR-10: 下面的分类器用 MNIST 代替")
    ramp = sj.linspace(0, 255, 32)
    picture = sj.stack([ramp.reshape(1, 32).expand(32, 32),      # 红: 从左到右变亮
                        ramp.reshape(32, 1).expand(32, 32),      # 绿: 从上到下变亮
                        sj.full((32, 32), 128.0)], dim=2).to(sj.uint8)  # 蓝: 不变
print("一张 CIFAR 大小的图片:", picture.shape, picture.dtype)
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
# ## 2. K 近邻
#
# 笔记里 K 近邻的计算流程：
#
# 1. 计算已知类别数据集中的点与当前点的距离；
# 2. 按照距离依次排序；
# 3. 选取与当前点距离最小的 K 个点；
# 4. 确定前 K 个点所在类别的出现频率；
# 5. 返回出现频率最高的类别作为当前点的预测分类。
#
# 每张 $28 \times 28$ 的图片拉平成 784 维空间里的一个点，距离用 L2 距离
# $d(a, b) = \sqrt{\sum_p (a_p - b_p)^2}$。为了跑得快，这里只用 5000 张训练图和 500 张测试图。
# 先对一张测试图逐步手算，再交给 `sj.classic.KNearestNeighbors`：

# %% tags=["concept-knn"]
n_train, n_test = 5000, 500
X_train = train_set.data[:n_train].reshape(n_train, -1).float() / 255  # (5000, 784)
y_train = train_set.targets[:n_train]
X_test = test_set.data[:n_test].reshape(n_test, -1).float() / 255      # (500, 784)
y_test = test_set.targets[:n_test]

x = X_test[0]
distances = ((X_train - x) ** 2).sum(dim=1).sqrt()     # 1. 到每个训练点的距离
order = distances.argsort()                             # 2. 排序
k = 5
nearest = order[:k]                                     # 3. 最近的 K 个
votes = np.bincount(y_train[nearest].numpy(), minlength=10)  # 4. 各类出现的次数
print("最近邻的下标:", nearest.tolist(), " 标签:", y_train[nearest].tolist())
print("投票:", votes.tolist(), "-> 预测", votes.argmax(),   # 5.
      "真实标签", y_test[0].item())

knn = sj.classic.KNearestNeighbors(k=k).fit(X_train, y_train)
print("sj.classic 的预测:", knn.predict(X_test[:1]).item())
for k_ in (1, 3, 5, 9):
    accuracy = sj.classic.KNearestNeighbors(k=k_).fit(X_train, y_train).score(X_test, y_test)
    print(f"k = {k_}: 测试准确率 {accuracy:.3f}")

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
# K 近邻不需要训练：它把全部 5000 张训练图都存下来，每预测一张图都要和它们逐一比较。K
# 是一个超参数，实践中用交叉验证来选（`sj.classic.select_k`）。在 CIFAR-10 上，像素之间的 L2
# 距离更多反映背景和颜色，而不是物体本身，K 近邻的效果远不如在 MNIST 上——这正是要学习特征的原因。

# %% [markdown]
# ## 3. 得分函数 $f(x, W) = Wx + b$
#
# 得分函数是一个线性函数，每个特征（像素）对应一个权重参数：
#
# $$f(x, W) = Wx + b$$
#
# $x$ 是拉平的像素，$W$ 是权重参数（起决定性作用），$b$ 是偏置参数（起微调作用）。对 CIFAR-10，
# $x$ 是 $3072 \times 1$，一个类别的 $W$ 是 $1 \times 3072$；10 个类别把 10 行叠在一起，$W$ 就是
# $10 \times 3072$，一次算出所有类别的得分。笔记的例子：一张只有 4 个像素的“猫”图和一个
# $3 \times 4$ 的 $W$（猫、狗、船三类）。先用张量手算：

# %% tags=["concept-forward-by-hand"]
W = sj.tensor([[0.2, -0.5, 0.1, 2.0],     # 猫
               [1.5, 1.3, 2.1, 0.0],      # 狗
               [0.0, 0.25, 0.2, -0.3]])   # 船
x = sj.tensor([56.0, 231.0, 24.0, 2.0])   # 4 个像素
b = sj.tensor([1.1, 3.2, -1.2])
scores = W @ x + b
print("得分 (猫, 狗, 船):", scores)
print("猫的得分 = 0.2*56 - 0.5*231 + 0.1*24 + 2.0*2 + 1.1 =",
      0.2 * 56 - 0.5 * 231 + 0.1 * 24 + 2.0 * 2 + 1.1)

# %% [markdown]
# 同样的计算就是一个全连接层 `sj.nn.Linear(4, 3)`：它的 `weight` 是 $W$（3 行 4 列），`bias` 是
# $b$。把手算用的数值放进层里，结果一样：

# %% tags=["concept-forward-layer"]
layer = sj.nn.Linear(4, 3)
with sj.no_grad():
    layer.weight.copy_(W)
    layer.bias.copy_(b)
print("层的输出:", layer(x))
print("与手算一致:", sj.allclose(layer(x), scores))

# %% [markdown]
# 这个 $W$ 给“猫”图打出的最高分是狗：$W$ 不好。输入（图片）不变，训练要做的就是**不断调整 $W$**，
# 让正确类别的得分最高。$W$ 中值大的位置表示与它相乘的像素对这个类别重要，正值促进、负值抑制；
# 得分相等的地方就是**决策边界**，$W$ 决定了它的位置。
#
# 下面在 MNIST 上训练一个真正的线性分类器（`sj.classic.LinearClassifier`，在 CIFAR-10 上用法相同）。
# 像素先除以 255，再减去训练集的平均图像（零中心化，第 8 节再讲预处理）：

# %% tags=["concept-linear-classifier"]
mean_image = X_train.mean(dim=0)
images_train = (X_train - mean_image).reshape(-1, 28, 28)
images_test = (X_test - mean_image).reshape(-1, 28, 28)
classifiers = {}
for loss, lr in (("svm", 0.01), ("softmax", 0.1)):
    clf = sj.classic.LinearClassifier(loss, lr=lr, reg=1e-4, epochs=10)
    classifiers[loss] = clf.fit(images_train, y_train)
    print(f"{loss:8s} W {tuple(clf.weight.shape)}, b {tuple(clf.bias.shape)}: "
          f"训练集 {clf.score(images_train, y_train):.3f}, "
          f"测试集 {clf.score(images_test, y_test):.3f}")
print("第一张测试图的 10 个得分:",
      classifiers["softmax"].decision_function(images_test[:1]).round(decimals=1))

# %% [markdown]
# **模板。** $W$ 的每一行和图片一样大（784 个数），画成图就是这个类别的“模板”：得分 $w_c \cdot x$
# 就是图片和模板的匹配程度（绿色为正、红色为负）。K 近邻拿测试图和 5000 张存下来的训练图逐一比较；
# 线性分类器只为每个类别学一张模板，只需比较 10 次，存 $10 \times 785$ 个数：

# %% tags=["concept-templates"]
print("K 近邻存下的数:", X_train.numel(),
      " 线性分类器的参数:", 10 * 784 + 10)
sj.viz.class_templates(classifiers["softmax"],
                       title="The 10 templates of the softmax linear classifier")

# %% [markdown]
# ## 4. 损失函数
#
# 损失函数评估得分函数的结果好不好，越低越好。笔记里的多类 SVM 损失（hinge loss）：
#
# $$L_i = \sum_{j \ne y_i} \max(0, s_j - s_{y_i} + 1)$$
#
# $s_j$ 是错误类别的得分，$s_{y_i}$ 是正确类别的得分，$+1$ 是容忍程度（间隔）：
# 正确类别要比每个错误类别至少高出 1，损失才是 0。用笔记的猫图得分 $(3.2, 5.1, -1.7)$，
# 正确类别是猫：

# %% tags=["concept-svm-loss"]
s = sj.tensor([3.2, 5.1, -1.7])
y = 0  # 猫
margins = (s - s[y] + 1).clamp(min=0)  # max(0, s_j - s_y + 1)
margins[y] = 0                         # 只对 j != y_i 求和
print("每一项:", margins, " L_i =", round(margins.sum().item(), 4))
print("sj.classic.svm_loss:", round(sj.classic.svm_loss(s[None], sj.tensor([y])).item(), 4))
# PyTorch 的 multi_margin_loss 还要再除以类别数 C = 3
print("F.multi_margin_loss:", round(F.multi_margin_loss(s[None], sj.tensor([y])).item(), 4),
      "x 3 =", round(3 * F.multi_margin_loss(s[None], sj.tensor([y])).item(), 4))
car = sj.tensor([[1.3, 4.9, 2.0]])  # 正确类别 (1) 比其余高出 1 以上
print("赢得足够多时损失为 0:", sj.classic.svm_loss(car, sj.tensor([1])).item())

# %% [markdown]
# **正则化。** 损失值相同并不代表两个模型一样。笔记的例子：$x = (1, 1, 1, 1)$，模型 A
# $w_1 = (1, 0, 0, 0)$，模型 B $w_2 = (0.25, 0.25, 0.25, 0.25)$，两者得分都是 1，数据损失相同；但
# B 把权重分散到所有像素上，更稳定。于是在损失里加上只和权重有关的**正则化惩罚项**：
#
# $$
# L = \frac{1}{N} \sum_{i=1}^N \sum_{j \ne y_i} \max(0, f(x_i, W)_j - f(x_i, W)_{y_i} + 1)
# + \lambda R(W)
# $$
#
# $$R(W) = \sum_k \sum_l W_{k,l}^2$$
#
# $\lambda$ 是惩罚系数：大则“杀死变异项”，小则“削弱变异项”。下面先算 A、B 的 $R(W)$，再用不同的
# $\lambda$ 训练 softmax 线性分类器（softmax 损失见第 5 节，惩罚项一样），看模板：惩罚越大，
# $R(W)$ 越小，模板越平滑、越规整；但惩罚太大，连有用的细节也被“杀死”，准确率随之下降。

# %% tags=["concept-regularization"]
x4 = sj.tensor([1.0, 1.0, 1.0, 1.0])
w_a = sj.tensor([1.0, 0.0, 0.0, 0.0])
w_b = sj.tensor([0.25, 0.25, 0.25, 0.25])
print("得分:", (w_a @ x4).item(), (w_b @ x4).item(),
      " R(W):", (w_a ** 2).sum().item(), (w_b ** 2).sum().item())

tiles = []
for reg in (0.0, 0.003, 0.03):
    clf = sj.classic.LinearClassifier("softmax", lr=0.1, reg=reg, epochs=10)
    clf.fit(images_train, y_train)
    print(f"lambda = {reg:<5}: R(W) = {(clf.weight ** 2).sum().item():6.2f}, "
          f"训练集 {clf.score(images_train, y_train):.3f}, "
          f"测试集 {clf.score(images_test, y_test):.3f}")
    tiles.append(clf.templates())
sj.viz.weight_tiles(sj.cat(tiles), columns=10, tile_inches=0.7,
                    title="Templates of the softmax classifier, one row per λ: 0, 0.003, 0.03")

# %% [markdown]
# ## 5. Softmax：把得分变成概率
#
# 笔记先提到 sigmoid 函数 $g(z) = \frac{1}{1 + e^{-z}}$，它把任意值压到 $(0, 1)$。分类时用的是
# softmax：先取指数 $e^{s}$（放大差异，也让值都为正），再归一化（概率之和为 1）：
#
# $$P(Y = k \mid X = x_i) = \frac{e^{s_k}}{\sum_j e^{s_j}}, \qquad s = f(x_i, W)$$
#
# 损失只看正确类别的概率：$L_i = -\log P(Y = y_i \mid X = x_i)$。
#
# 用笔记的数：$e^{3.2} = 24.5$，$e^{5.1} = 164.0$，$e^{-1.7} = 0.18$，归一化后是
# $0.13, 0.87, 0.00$（笔记第三行的分子写成了 $-1.7$，应是 $0.18$）。笔记写 $-\log(0.13) = 0.89$：
# 这是以 10 为底的对数；交叉熵用自然对数，$-\ln(0.13) = 2.04$，shenjing 和 PyTorch 的
# `cross_entropy` 给的也是这个数：

# %% tags=["concept-softmax-loss"]
s = sj.tensor([3.2, 5.1, -1.7])
print("sigmoid(s):", sj.sigmoid(s))
e = s.exp()                     # 放大
p = e / e.sum()                 # 归一化
print("e^s:", e.round(decimals=2), " 概率:", p.round(decimals=2))
print(f"-ln P(cat) = {-p[0].log().item():.3f}   -log10 P(cat) = {-p[0].log10().item():.3f}")
print("F.softmax:", F.softmax(s, dim=0).round(decimals=2))
print(f"F.cross_entropy: {F.cross_entropy(s[None], sj.tensor([0])).item():.3f}   "
      f"sj.classic.softmax_loss: {sj.classic.softmax_loss(s[None], sj.tensor([0])).item():.3f}")

# %% [markdown]
# ## 6. 反向传播
#
# 前向传播从数据得到损失；反向传播从损失出发，**逐层、按顺序、
# 从后往前**用链式法则求出损失对每个权重和偏置的偏导（梯度），梯度下降再沿负梯度方向更新它们，
# 让损失变小。
#
# 笔记里的三种门单元：**加法门**把上游梯度均等分给两个输入；**MAX 门**只把梯度给较大的那个输入；
# **乘法门**把两个输入“互换”：对 $x$ 的梯度是 $y$ 乘上游梯度，反之亦然。让 autograd
# 验证（上游梯度取 2）：

# %%
gates = {"加法门": lambda a, b: a + b,
         "MAX 门": lambda a, b: sj.maximum(a, b),
         "乘法门": lambda a, b: a * b}
for name, gate in gates.items():
    a = sj.tensor(3.0, requires_grad=True)
    b_ = sj.tensor(-4.0, requires_grad=True)
    gate(a, b_).backward(sj.tensor(2.0))
    print(f"{name}: a=3, b=-4 -> a 的梯度 {a.grad.item():+.0f}, "
          f"b 的梯度 {b_.grad.item():+.0f}")

# %% [markdown]
# 现在对线性分类器的 softmax 损失加正则化项
# $L = \frac{1}{N}\sum_i -\log p_{i, y_i} + \lambda \sum W^2$ 手推梯度。设 $S = XW^\top + b$、
# $P = \mathrm{softmax}(S)$、$Y$ 为 one-hot 标签，则
#
# $$\frac{\partial L}{\partial S} = \frac{P - Y}{N}, \qquad
# \frac{\partial L}{\partial W} = \Big(\frac{\partial L}{\partial S}\Big)^\top X + 2\lambda W,
# \qquad
# \frac{\partial L}{\partial b} = \sum_i \frac{\partial L}{\partial S_i}$$
#
# （$W$ 和 $X$ 在这里是乘法门：$W$ 的梯度里出现的是 $X$。）用 float64 的小批量数据手算：

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
print("手算 dL/dW:")
print(dW_hand)
print("手算 dL/db:", db_hand)

# %% tags=["concept-gradient-autograd"]
W_ = Wg.clone().requires_grad_()
b_ = bg.clone().requires_grad_()
loss = F.cross_entropy(Xg @ W_.T + b_, yg) + lam * (W_ ** 2).sum()
loss.backward()
print("autograd dL/dW 的第一行:", W_.grad[0])
print("手算 dL/dW 的第一行:   ", dW_hand[0])
print("最大差别:", (W_.grad - dW_hand).abs().max().item(),
      (b_.grad - db_hand).abs().max().item())

# %% [markdown]
# `sj.autograd.gradcheck` 再用中心差分
# $\frac{L(w + \epsilon) - L(w - \epsilon)}{2\epsilon}$（float64）检查一遍反向传播，softmax
# 损失和 SVM 损失都检查：

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
# ## 7. 神经网络的整体架构
#
# 神经网络一层一层地处理数据：每次矩阵变换之后都跟一个**非线性变换**（激活函数），例如
# $f = W_2 \max(0, W_1 x)$、$f = W_3 \max(0, W_2 \max(0, W_1 x))$。没有 $\max(0, \cdot)$，
# 两层线性变换合起来仍只是一个线性变换。隐层的结果不一定有直观意义；神经元越多、拟合能力越强，
# 过拟合的风险也越大。

# %%
net = sj.nn.Sequential(sj.nn.Linear(4, 6), sj.nn.ReLU(), sj.nn.Linear(6, 3))
W1, b1, W2, b2 = net[0].weight, net[0].bias, net[2].weight, net[2].bias
x = sj.tensor([0.5, -1.0, 2.0, 0.1])
by_hand = W2 @ (W1 @ x + b1).clamp(min=0) + b2   # W2 max(0, W1 x)
print(by_hand, net(x), sj.allclose(by_hand, net(x)))

# %% [markdown]
# ## 8. 数据预处理与参数初始化
#
# 数据不能直接送进网络。常见的预处理：**零中心化**（减去均值）和**归一化**（再除以标准差），
# 让各个特征处在相近的范围里。图片的像素本来就是同一种尺度，所以用全部像素的一个标准差就够了
# （处理后数据的标准差是 1）。上面的线性分类器已经减去了平均图像：

# %%
centred = X_train - X_train.mean(dim=0)
normalised = centred / (centred.std() + 1e-8)
for name, data in (("原始像素/255", X_train), ("零中心化", centred),
                   ("归一化", normalised)):
    print(f"{name:14s} 均值 {data.mean().item():+.3f}  "
          f"标准差 {data.std().item():.3f}")

# %% [markdown]
# **参数初始化**就是随机得到权重参数矩阵。随机的尺度很重要：下面把同一批输入送进 10 层、每层 256
# 个神经元的 tanh 网络，看每一层输出的标准差。权重太小（0.01），信号一层层缩小到 0，
# 梯度也随之消失；权重太大（1.0），tanh 饱和在 $\pm 1$，梯度同样消失；Xavier 初始化（标准差
# $\sqrt{1/\text{fan\_in}}$ 乘上增益）让信号保持在合适的大小。全零初始化更糟：
# 同一层的神经元完全一样，永远学到同样的东西。

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
        print(f"{name:10s} 各层输出的标准差:", np.round(stds, 3).tolist(),
              f"最后一层 |h| > 0.99 的比例: {saturated:.2f}")
        ax.plot(range(1, 11), stds, marker="o", label=name)
ax.set_xlabel("layer")
ax.set_ylabel("std of the output")
ax.set_yscale("log")
ax.legend()
plt.show()

# %% [markdown]
# ## 9. DROP-OUT
#
# 除了正则化 $R(W)$，笔记还讲了解决过拟合的 DROP-OUT：训练时每一次迭代，
# 每一层随机舍弃一部分神经元（输出置 0），每次迭代的网络都更“简单”。`sj.nn.Dropout(p)` 以概率 $p$
# 置零，并把留下的值乘以 $\frac{1}{1-p}$，使期望不变；测试时（`eval()`）什么也不做：

# %% tags=["concept-dropout"]
drop = sj.nn.Dropout(p=0.5)
h = sj.ones(2, 8)
drop.train()
print("训练模式, 两次迭代:")
print(drop(h))
print(drop(h))
many = drop(sj.ones(100000))
print(f"100000 个 1 中: 被舍弃的比例 {(many == 0).float().mean().item():.3f}, "
      f"均值仍约为 1: {many.mean().item():.3f}")
drop.eval()
print("测试模式:", drop(h[0]))

# %% [markdown]
# ## 10. 卷积神经网络
#
# 传统网络的输入是一个向量；卷积神经网络（CNN）的输入保留长、宽、高（通道），例如图像本身。
# 整体架构：输入层、**卷积层**（提取特征）、**池化层**（压缩特征）、全连接层。
#
# **卷积怎么算。** 笔记的例子：输入 $7 \times 7 \times 3$（是 $5 \times 5 \times 3$
# 的图外面填充了一圈 0，即 pad 1），filter $3 \times 3 \times 3$（最后的 3 必须等于输入的通道数），
# 步长 2。filter 在每个位置和输入窗口做内积，三个通道的结果加在一起，最后加上偏置 $b$，
# 得到**特征图**上的一个值；两个 filter 得到两张特征图。手算，再和 `F.conv2d` 对比：

# %% tags=["concept-cnn"]
image3 = sj.tensor(rng.integers(0, 3, (1, 3, 5, 5))).float()   # (N, C, H, W)
filters = sj.tensor(rng.integers(-1, 2, (2, 3, 3, 3))).float()  # (K, C, F, F)
bias = sj.tensor([1.0, 0.0])
padded = F.pad(image3, (1, 1, 1, 1))[0]  # 填充 1 圈 0: (3, 7, 7)
stride = 2
maps = sj.zeros(2, 3, 3)
for k in range(2):              # 每个 filter 一张特征图
    for i in range(3):
        for j in range(3):
            window = padded[:, stride * i:stride * i + 3, stride * j:stride * j + 3]  # (3, 3, 3)
            maps[k, i, j] = (window * filters[k]).sum() + bias[k]
print("手算的两张 3x3 特征图:", maps)
out = F.conv2d(image3, filters, bias, stride=2, padding=1)
print("F.conv2d:", out.shape, "一致:", sj.allclose(out[0], maps))

# 参数共享: 一个 5x5x3 的卷积核在所有位置上重复使用
conv = sj.nn.Conv2d(3, 6, kernel_size=5)
print("Conv2d(3, 6, 5) 的参数:", sum(p.numel() for p in conv.parameters()),
      " 同样输入输出的全连接层:",
      (32 * 32 * 3) * (28 * 28 * 6) + 28 * 28 * 6)

# 最大池化: 每个 2x2 区域取最大值
grid = sj.tensor([[1.0, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
print("max pool:", F.max_pool2d(grid[None, None], 2)[0, 0].tolist(),
      " avg pool:", F.avg_pool2d(grid[None, None], 2)[0, 0].tolist())
print("224x224x64 -> MaxPool2d(2) ->", sj.nn.MaxPool2d(2)(sj.zeros(1, 64, 224, 224)).shape)

# %% [markdown]
# 对同样的数据，不同的 filter 得到不同的特征图。把两个检测竖直边缘和水平边缘的 $3 \times 3$
# 卷积核（Sobel 算子）放进一个 `Conv2d`，看它们在一个数字上提取出的特征；
# 训练好的 CNN 会自己学出这样的卷积核（对整个 CNN，`sj.viz.feature_maps(model, image)`
# 会画出每个卷积层的特征图）：

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
# ## 11. 特征图尺寸的计算
#
# $$H_2 = \frac{H_1 - F_H + 2P}{S} + 1, \qquad W_2 = \frac{W_1 - F_W + 2P}{S} + 1$$
#
# $W_1, H_1$ 是输入的宽和长，$F$ 是卷积核大小，$P$ 是边缘填充的圈数，$S$
# 是步长（除不尽时向下取整）。池化层也按这个公式算（$F = S = 2$ 时尺寸减半）。
# 下面用公式算几层真实网络的输出：ResNet 的第一层（$7 \times 7$，步长 2，填充 3）、最大池化、VGG
# 的 $3 \times 3$ 卷积（填充 1，尺寸不变），再用 `sj.summary` 实际跑一遍核对：

# %% tags=["concept-conv-output-size"]
def output_size(size, kernel, padding, stride):
    return (size - kernel + 2 * padding) // stride + 1


# 笔记的例子: 5x5 的输入填充一圈 (P=1) 成 7x7, F=3, S=2
print("(5 - 3 + 2*1) // 2 + 1 =", output_size(5, 3, 1, 2))
layers = [sj.nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3),   # ResNet 第一层
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
# **VGG 与感受野。** 一般每两次卷积做一次池化，每次卷积之后接激活函数（ReLU），
# 最后把特征图拉成长向量接全连接层；只有带参数的层才算作一层。**感受野**是一个输出看到的输入区域，
# 越深越大。VGG 的出发点：用小卷积核堆叠——三层 $3 \times 3$ 卷积的感受野和一层 $7 \times 7$ 相同，
# 参数却少得多，中间还多了两次非线性变换。`sj.summary` 的最后一列就是感受野：

# %%
C = 64
three = sj.nn.Sequential(*[sj.nn.Conv2d(C, C, 3, padding=1, bias=False) for _ in range(3)])
one = sj.nn.Conv2d(C, C, 7, padding=3, bias=False)
for name, model in (("三层 3x3", three), ("一层 7x7", one)):
    table = sj.summary(model, (C, 16, 16))
    print(f"{name}: 感受野 {table.rows[-1].receptive_field}, "
          f"参数 {table.total_params:,}")
vgg = sj.summary(sj.models.SmallVGG(), (3, 32, 32))
print("一个小 VGG 在 32x32x3 (CIFAR 的大小) 上各卷积层的输出与感受野:")
for row in vgg.rows:
    if row.kind in ("Conv2d", "MaxPool2d"):
        print(f"  {row.name:12s} {row.kind:10s} {str(row.output_shape):18s} {row.receptive_field}")

# %% [markdown]
# **残差网络 ResNet。** 网络越深不一定越好：层数多了，训练反而变难。ResNet 的每个残差块输出
# $F(x) + x$：如果某些层没用，它们只要学出 $F(x) = 0$，这个块就直接把 $x$ 传下去——加深网络，
# 结果至少不比原来差。把 `sj.models.resnet20()` 第一个残差块的最后一个 BatchNorm 的缩放置 0，
# 它就变成恒等映射（块的最后还有一个 ReLU，$\mathrm{ReLU}(F(x) + x)$；输入来自上一层的 ReLU，
# $x \ge 0$，这个 ReLU 不改变它）：

# %%
block = sj.models.resnet20().stages[0]
with sj.no_grad():
    block.bn2.weight.zero_()          # F(x) = 0
block.eval()
features = sj.randn(1, 16, 8, 8).relu()  # x >= 0: 块最后的 ReLU 不改变它
print("F(x) = 0 时 block(x) == x:", sj.allclose(block(features), features))

# %% [markdown]
# ## 12. 递归神经网络 RNN
#
# RNN 主要用于自然语言处理，它会记录每个时刻的特征：前一时刻的隐状态和这一时刻的输入一起参与运算，
#
# $$h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})$$
#
# 一般选择最后一个时刻的输出作为整个序列的结果。手算 5 个时刻，再和 `sj.nn.RNN` 对比：

# %% tags=["concept-rnn"]
rnn = sj.nn.RNN(input_size=3, hidden_size=4, batch_first=True)
sequence = sj.randn(1, 5, 3)   # (batch, time, features)
h = sj.zeros(4)
for t in range(5):
    h = sj.tanh(rnn.weight_ih_l0 @ sequence[0, t] + rnn.bias_ih_l0
                + rnn.weight_hh_l0 @ h + rnn.bias_hh_l0)
output, h_n = rnn(sequence)
print("手算的 h_5:   ", h)
print("nn.RNN 的 h_5:", output[0, -1])
print(output.shape, h_n.shape, sj.allclose(h, h_n[0, 0]))

# %% [markdown]
# ## 13. LSTM
#
# LSTM 在 RNN 上加了门控机制和一个**记忆单元** $c_t$：遗忘门 $f$ 决定上一时刻的记忆留多少，输入门
# $i$ 决定写入多少新内容 $g$，输出门 $o$ 决定输出多少：
#
# $$c_t = \sigma(f) \odot c_{t-1} + \sigma(i) \odot \tanh(g)$$
#
# $$h_t = \sigma(o) \odot \tanh(c_t)$$
#
# 四组门一次矩阵乘法算出（PyTorch 的顺序是 $i, f, g, o$）。记忆单元通过加法向前传递，
# 梯度不必每一步都穿过 $\tanh$，所以 LSTM 能记住更长的依赖。手算一步，和 `sj.nn.LSTMCell` 对比：

# %%
cell = sj.nn.LSTMCell(input_size=3, hidden_size=4)
x_t, h0, c0 = sj.randn(1, 3), sj.randn(1, 4), sj.randn(1, 4)
gates = x_t @ cell.weight_ih.T + cell.bias_ih + h0 @ cell.weight_hh.T + cell.bias_hh
i, f, g, o = gates.chunk(4, dim=1)
c1 = sj.sigmoid(f) * c0 + sj.sigmoid(i) * sj.tanh(g)
h1 = sj.sigmoid(o) * sj.tanh(c1)
h_cell, c_cell = cell(x_t, (h0, c0))
print("手算 h_1:", h1, "\n一致:", sj.allclose(h1, h_cell), sj.allclose(c1, c_cell))

# %% [markdown]
# **一个会写莎士比亚的字符级 LSTM。** 模型读一段文字，预测下一个字符：嵌入层 → LSTM →
# 全连接层到所有字符（`sj.models.CharLM`，也就是 `shenjing train charlm` 训练的模型，代码在
# `src/shenjing/models/charlm.py` 和 `src/shenjing/cli/train.py` 的 `run_charlm`）。文本被切成 32
# 条平行的流，每次读 64 个字符，隐状态从一段带到下一段、
# 但梯度在段与段之间截断（截断的沿时间反向传播）。为了几秒内跑完，这里只用 tiny-shakespeare 的前
# 20 万个字符训练 300 步，在第 0、30、100、300 步各写一段；`shenjing train charlm`
# 用全文训练更久，写得更像样。可以看到它先学会空格和换行，再学会常见的词、人名和冒号：

# %% tags=["concept-lstm"]
text = sj.datasets.TinyShakespeare(download=True).text
vocab = sj.data.CharVocab.from_text(text)
stream = sj.data.BPTTLoader(vocab.encode(text[:200_000]), batch_size=32, seq_len=64)
sj.manual_seed(0)
charlm = sj.models.CharLM(len(vocab), embedding_dim=32, hidden_size=128)
optimizer = sj.optim.Adam(charlm.parameters(), lr=1e-2)
print(len(text), "个字符,", len(vocab), "种不同的字符;",
      sum(p.numel() for p in charlm.parameters()), "个参数")

losses, step, state = [], 0, None


def write():
    sample = sj.models.sample_text(charlm, vocab, "ROMEO:", 120, temperature=0.8, generator=0)
    print(f"--- 第 {step} 步后 ---\n{sample}\n")


write()
while step < 300:
    for inputs, targets in stream:
        logits, state = charlm(inputs, state)
        state = tuple(s.detach() for s in state)    # 截断: 梯度不再往前传
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
# ## 14. 词向量模型 Word2Vec
#
# Word2Vec 把每个词映射成一个低维向量，把词语之间的语义关系变成向量空间里的几何关系。两种模型：
# **CBOW** 用上下文预测中间的词，**Skip-gram** 用一个词预测它的上下文。对每一对（中心词 $c$，
# 上下文词 $o$），负采样（negative sampling）不去算整个词表上的 softmax，
# 而是只让真实的词对得分高、随机抽的 $K$ 个“噪声词” $k$ 得分低：
#
# $$L = -\log \sigma(u_o \cdot v_c) - \sum_{k=1}^{K} \log \sigma(-u_k \cdot v_c)$$
#
# 笔记说词向量一般是 50 到 300 维；tiny-shakespeare 只有约 20 万个词，用 50 维、训练 3
# 轮（几秒钟）已经够看出几何关系（`sj.word2vec`，和 gensim 的做法与默认值一致）：
# 意思相近的词聚在一起，代词的类比也答对了；而 king : queen = man : ? 这样的类比需要大得多的语料，
# 这里答不出来。

# %% tags=["concept-word2vec"]
sentences = sj.word2vec.tokenize(text)
print(len(sentences), "行,", sum(len(s) for s in sentences), "个词")
w2v = sj.word2vec.Word2Vec(sentences, model="skipgram", vector_size=50, epochs=3, seed=0)
wv = w2v.wv
print("词表:", len(wv), "个词, 每个词", wv.vector_size,
      "维; 每轮的损失:", np.round(w2v.losses, 3).tolist())
for word in ("king", "brother"):
    print(word, "->", [w for w, _ in wv.most_similar(word, k=5)])
for a, b_, c in (("he", "his", "she"), ("king", "queen", "man")):
    (answer, cosine), = wv.analogy(a, b_, c, k=1)
    print(f"类比 {a} : {b_} = {c} : ? -> {answer} (cos {cosine:.3f})")

# 负采样的损失, 手算一对 (king, richard) 和 5 个噪声词
v_c = sj.tensor(w2v.input_weights[wv.get_index("king")])
u = sj.tensor(w2v.output_weights)
noise = sj.tensor(rng.integers(0, len(wv), 5))
ns_loss = -F.logsigmoid(u[wv.get_index("richard")] @ v_c) - F.logsigmoid(-(u[noise] @ v_c)).sum()
print(f"sigma(u_o . v_c) = {sj.sigmoid(u[wv.get_index('richard')] @ v_c).item():.3f}, "
      f"噪声词的平均 sigma(u_k . v_c) = "
      f"{sj.sigmoid(u[noise] @ v_c).mean().item():.3f}, L = {ns_loss.item():.3f}")

words = ["king", "queen", "prince", "duke", "lord", "lady", "he", "she", "his", "her",
         "father", "mother", "son", "daughter", "brother", "sister"]
vectors = np.stack([wv[w] for w in words])
vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)  # 余弦相似度看的是方向
centred_vectors = vectors - vectors.mean(axis=0)
_, _, directions = np.linalg.svd(centred_vectors, full_matrices=False)
xy = centred_vectors @ directions[:2].T   # 投影到前两个主成分
fig, ax = plt.subplots(figsize=(5, 4))
ax.scatter(xy[:, 0], xy[:, 1], s=12)
for word, (px, py) in zip(words, xy):
    ax.annotate(word, (px, py), fontsize=9)
ax.set_title("16 word vectors projected to 2-D (PCA)")
plt.show()

# %% [markdown]
# CBOW 的用法一样，只要 `model="cbow"`（更快）。命令行：`shenjing word2vec input.txt --out
# vectors.txt` 训练、`shenjing similar vectors.txt --analogy he his she` 查类比。

# %%
cbow = sj.word2vec.Word2Vec(sentences, model="cbow", vector_size=50, epochs=3, seed=0)
print("CBOW: king ->", [w for w, _ in cbow.wv.most_similar("king", k=5)])

# %% [markdown]
# ## 练习
#
# 下面三道题各有一个检查函数。把答案写在 `answer_N = None` 那一行，运行它和下面的检查单元。

# %% tags=["checker"]
def _number(answer, name):
    if isinstance(answer, sj.Tensor):
        assert answer.numel() == 1, (
            name + ": 需要一个数, 而不是形状为 "
            + str(answer.shape))
        answer = answer.item()
    number = isinstance(answer, (int, float, np.integer, np.floating))
    assert number and not isinstance(answer, bool), (
        name + ": 需要一个数, 得到的是 " + type(answer).__name__)
    return float(answer)


def check_1(answer):
    if answer is None:
        print("练习 1 还没有作答。")
        return
    value = _number(answer, "answer_1")
    scores, label = sj.tensor([[2.2, 2.5, -3.1]]), sj.tensor([2])
    expected = sj.classic.svm_loss(scores, label).item()
    assert abs(value - expected / 3) > 1e-3, (
        "这是 PyTorch 的 multi_margin_loss, 它还除以了类别数; 笔记的公式只求和。")
    assert abs(value - expected) < 1e-3, (
        "再算一遍: 只对错误类别 j 求 max(0, s_j - s_y + 1) 的和, 别忘了 +1。")
    print("正确！L_i =", round(expected, 4))


def check_2(answer):
    if answer is None:
        print("练习 2 还没有作答。")
        return
    assert isinstance(answer, (tuple, list)), (
        "answer_2 应是 (C, H, W) 这样的元组, 得到的是 "
        + type(answer).__name__)
    assert len(answer) == 3, (
        "answer_2 只要三个数 (C, H, W), 不带批量维")
    integers = all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in answer)
    assert integers, (
        "尺寸是整数: 除不尽时向下取整")
    net = sj.nn.Sequential(sj.nn.Conv2d(3, 16, kernel_size=5),
                           sj.nn.MaxPool2d(kernel_size=2),
                           sj.nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1))
    with sj.no_grad():
        expected = tuple(net(sj.zeros(1, 3, 32, 32)).shape[1:])
    assert int(answer[0]) == expected[0], (
        "通道数等于最后一层卷积核的个数")
    assert tuple(int(n) for n in answer) == expected, (
        "一层一层用 (W - F + 2P) // S + 1; 池化层也是一层 (F = S = 2)")
    print("正确！输出是", expected)


def check_3(answer):
    if answer is None:
        print("练习 3 还没有作答。")
        return
    assert isinstance(answer, (int, np.integer)) and not isinstance(answer, bool), (
        "answer_3 应是一个整数, 得到的是 "
        + type(answer).__name__)
    lstm = sj.nn.LSTM(input_size=32, hidden_size=128)
    expected = sum(p.numel() for p in lstm.parameters())
    assert answer * 4 != expected, (
        "LSTM 有四组门 (i, f, g, o), 每组都有自己的权重")
    assert answer != expected - 4 * 128, (
        "PyTorch 的 LSTM 有两个偏置向量: b_ih 和 b_hh")
    assert answer == expected, (
        "数一数: 每组门有 W_ih (hidden x input)、W_hh (hidden x hidden) 和两个偏置")
    print("正确！参数个数:", expected)

# %% [markdown]
# **练习 1.** 一张青蛙图的得分是（猫 2.2，车 2.5，青蛙 −3.1），正确类别是青蛙（下标 2）。
# 按笔记的公式，它的多类 SVM 损失 $L_i$ 是多少？（写一个数。）

# %% tags=["exercise-1"]
scores = sj.tensor([2.2, 2.5, -3.1])  # 猫, 车, 青蛙
answer_1 = None  # 把你的答案写在这里

# %% tags=["check-1"]
check_1(answer_1)

# %% [markdown]
# **练习 2.** 一张 CIFAR-10 大小的图片（$3 \times 32 \times 32$）依次经过 `Conv2d(3, 16,
# kernel_size=5)`、`MaxPool2d(kernel_size=2)`、`Conv2d(16, 32, kernel_size=3, stride=2,
# padding=1)`。最后输出的形状 $(C, H, W)$ 是什么？用公式算，写成元组。

# %% tags=["exercise-2"]
# 提示: output_size(size, kernel, padding, stride) = (size - kernel + 2 * padding) // stride + 1
answer_2 = None  # 把你的答案写在这里

# %% tags=["check-2"]
check_2(answer_2)

# %% [markdown]
# **练习 3.** `sj.nn.LSTM(input_size=32, hidden_size=128)`（和上面字符模型里的 LSTM 一样大）
# 一共有多少个参数？先按 LSTM 的公式数，再可以用 `parameters()` 核对。

# %% tags=["exercise-3"]
answer_3 = None  # 把你的答案写在这里

# %% tags=["check-3"]
check_3(answer_3)

# %% [markdown]
# ## 参考答案

# %% [markdown]
# **练习 1.** 正确类别的得分是 $-3.1$：猫一项 $\max(0, 2.2 + 3.1 + 1) = 6.3$，车一项
# $\max(0, 2.5 + 3.1 + 1) = 6.6$，合计 $12.9$。

# %% tags=["solution-1"]
scores = sj.tensor([2.2, 2.5, -3.1])
y = 2
terms = [max(0.0, scores[j].item() - scores[y].item() + 1) for j in range(3) if j != y]
answer_1 = round(sum(terms), 4)   # 6.3 + 6.6
print(answer_1)
check_1(answer_1)

# %% [markdown]
# **练习 2.** $32 \to (32 - 5 + 0)/1 + 1 = 28 \to$ 池化
# $(28 - 2)/2 + 1 = 14 \to \lfloor (14 - 3 + 2)/2 \rfloor + 1 = 7$，通道数是最后一层的 32
# 个卷积核。

# %% tags=["solution-2"]
size = output_size(32, 5, 0, 1)        # 28
size = output_size(size, 2, 0, 2)      # 14
size = output_size(size, 3, 1, 2)      # 7
answer_2 = (32, size, size)
print(answer_2)
check_2(answer_2)

# %% [markdown]
# **练习 3.** 四组门 $(i, f, g, o)$，每组有 $W_{ih}$（$128 \times 32$）、
# $W_{hh}$（$128 \times 128$）和两个长 128 的偏置：
# $4 \times (128 \cdot 32 + 128 \cdot 128 + 2 \cdot 128) = 82944$。

# %% tags=["solution-3"]
hidden, inputs_ = 128, 32
answer_3 = 4 * (hidden * inputs_ + hidden * hidden + 2 * hidden)
print(answer_3, sum(p.numel() for p in sj.nn.LSTM(input_size=32, hidden_size=128).parameters()))
check_3(answer_3)
