"""Ready-made networks: the multilayer perceptrons and convolutional networks of the notes."""

from shenjing.models.cnn import LeNet5, MnistCNN, ResNet, SmallVGG, resnet20
from shenjing.models.mlp import MLP, mnist_mlp, network_3b1b, quadrants_net

__all__ = ["MLP", "LeNet5", "MnistCNN", "ResNet", "SmallVGG", "mnist_mlp", "network_3b1b",
           "quadrants_net", "resnet20"]
