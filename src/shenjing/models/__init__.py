"""Ready-made networks: the multilayer perceptrons of the notes (CNNs come with the CNN issue)."""

from shenjing.models.mlp import MLP, mnist_mlp, network_3b1b, quadrants_net

__all__ = ["MLP", "mnist_mlp", "network_3b1b", "quadrants_net"]
