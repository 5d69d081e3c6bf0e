"""Pictures that teach: every figure of the notes is one function away (and one command:
``shenjing plot ...``, ``shenjing demo``).

- ``surfaces``: decision surfaces of 2-D classifiers, the universal-approximation row, a GIF of
  training
- ``activations``: every elementwise activation function with its derivative by autograd
- ``weights``: first-layer weights as image tiles, a linear classifier's class templates
- ``curves``: training curves from a ``History`` or a run folder
- ``graph``: the computational graph as DOT text, drawn by Graphviz or by matplotlib
- ``compiled``: a compiled step's static graph, beside the dynamic graph of the same step
- ``features``: a CNN's filters and its feature maps for one image
- ``health``: gradient norms, update ratios, dead ReLUs; vanishing gradients, sigmoid vs ReLU
- ``landscapes``: SGD, momentum, Nesterov, AdaGrad, RMSprop and Adam on 2-D landscapes

matplotlib is optional (``pip install 'shenjing[plots]'``) and imported only when a picture is
drawn, always on the headless Agg canvas. Each drawing function returns its matplotlib
``Figure`` and, given a ``path``, writes it as PNG or SVG, chosen by the suffix.
"""

from shenjing.viz.activations import activation_functions
from shenjing.viz.compiled import compare_graphs, static_graph
from shenjing.viz.curves import training_curves
from shenjing.viz.features import conv_filters, feature_maps
from shenjing.viz.graph import Graph, model_graph, trace
from shenjing.viz.health import gradient_flow_figure, training_health, vanishing_gradients
from shenjing.viz.landscapes import optimizer_paths
from shenjing.viz.surfaces import decision_surface, training_animation, universal_approximation
from shenjing.viz.weights import class_templates, first_layer_weights, weight_tiles

__all__ = [
    "Graph",
    "activation_functions",
    "class_templates",
    "compare_graphs",
    "conv_filters",
    "decision_surface",
    "feature_maps",
    "first_layer_weights",
    "gradient_flow_figure",
    "model_graph",
    "optimizer_paths",
    "static_graph",
    "trace",
    "training_animation",
    "training_curves",
    "training_health",
    "universal_approximation",
    "vanishing_gradients",
    "weight_tiles",
]
