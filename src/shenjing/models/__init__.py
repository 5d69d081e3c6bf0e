"""Ready-made networks: the multilayer perceptrons, convolutional networks and character language
models of the notes."""

from shenjing.models.char_transformer import CharTransformer
from shenjing.models.charlm import CharLM, sample_text
from shenjing.models.cnn import LeNet5, MnistCNN, ResNet, SmallVGG, resnet20
from shenjing.models.mlp import MLP, mnist_mlp, network_3b1b, quadrants_net

__all__ = ["CharLM", "CharTransformer", "MLP", "LeNet5", "MnistCNN", "ResNet", "SmallVGG",
           "mnist_mlp", "network_3b1b", "quadrants_net", "resnet20", "sample_text"]
