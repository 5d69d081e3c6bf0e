"""What the configuration's names build: each activation's layer (and the same layer as source
text, for the take-away script), and the momentum of the "momentum" optimizer. The session and
the script both read them here, so the script rebuilds exactly the session's network."""

from __future__ import annotations

from shenjing import nn

MOMENTUM = 0.9
LEAKY_SLOPE = 0.01

# activation name -> (module factory, the same module as source text for the script)
ACTIVATIONS = {
    "sigmoid": (nn.Sigmoid, "nn.Sigmoid()"),
    "tanh": (nn.Tanh, "nn.Tanh()"),
    "relu": (nn.ReLU, "nn.ReLU()"),
    "leaky_relu": (lambda: nn.LeakyReLU(LEAKY_SLOPE), f"nn.LeakyReLU({LEAKY_SLOPE})"),
    "elu": (nn.ELU, "nn.ELU()"),
    "gelu": (nn.GELU, "nn.GELU()"),
    "swish": (nn.SiLU, "nn.SiLU()"),
    "linear": (nn.Identity, "nn.Identity()"),
}
