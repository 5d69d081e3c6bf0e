"""``shenjing demo``: train the small networks of the notes and draw their pictures.

Needs no download and takes well under two minutes on a laptop: the 2-6-4 network on the four
quadrants (its surface, its training as a GIF, its curves), the universal-approximation row,
the activation functions, the computational graph of a small network (and the static graph of
its training step, traced by ``sj.compile``, beside it), vanishing gradients
(sigmoid against ReLU, and the health of the ReLU network), and six optimizers on three
landscapes. With MNIST on disk it adds the weights of a quick MLP and a linear classifier's
class templates.
"""

from __future__ import annotations

import time
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="shenjing-demo",
                        help="folder for the pictures (default: shenjing-demo)")
    parser.add_argument("--data", default=None,
                        help="data folder holding mnist/ (default: $SHENJING_DATA or "
                             "~/.cache/shenjing); without MNIST its pictures are skipped")
    parser.add_argument("--quick", action="store_true",
                        help="far fewer training steps: the same pictures in a few seconds, "
                             "less converged")


def run(args) -> int:
    from shenjing.viz.canvas import require_matplotlib

    require_matplotlib()  # before any training: without it, the command says what to install
    start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"shenjing demo: drawing into {out}/", flush=True)
    written = make_pictures(out, args.data, args.quick)
    print(f"{written} pictures in {out}/ in {time.perf_counter() - start:.1f} s")
    return 0


def make_pictures(out: Path, data=None, quick: bool = False) -> int:
    """Draw every picture into ``out``, printing one line per file; returns how many."""
    import shenjing as sj
    from shenjing.cli import plot
    from shenjing.viz import activations, compiled, curves, health, landscapes, surfaces
    from shenjing.viz.canvas import compact_png

    say = plot.say
    count = 0

    def wrote(name: str, what: str) -> None:
        nonlocal count
        count += 1
        if name.endswith(".png"):
            compact_png(out / name)  # small enough to keep in a repository
        say(out / name, what)

    # The 2-6-4 network of the notes on the four quadrants.
    model, history, x_test, y_test, score = plot.train_quadrants(epochs=3 if quick else 30)
    surfaces.decision_surface(model, x_test, y_test, out / "quadrants-surface.png",
                              title=f"2-6-4 tanh on the quadrants: {100 * score:.1f} %")
    wrote("quadrants-surface.png", f"the 2-6-4 network's four regions ({100 * score:.1f} % of "
          "held-out points)")
    curves.training_curves(history, out / "quadrants-curves.png",
                           title="Training the 2-6-4 network on the quadrants")
    wrote("quadrants-curves.png", "its loss and accuracy per epoch, training vs validation")
    sj.manual_seed(0)
    x, y = sj.datasets.quadrants(200, seed=0)
    steps = 16 if quick else 240
    frames = surfaces.training_animation(sj.models.quadrants_net(), x, y,
                                         out / "quadrants-training.gif", steps=steps,
                                         frames=4 if quick else 20, lr=0.01)
    wrote("quadrants-training.gif", f"its surface while it trains ({frames} frames)")

    # Universal approximation: 1 to 32 hidden neurons on the two spirals.
    x, y = plot.toy_points("spirals", 300)
    surfaces.universal_approximation(x, y, (1, 2, 4, 8, 16, 32),
                                     out / "universal-approximation.png",
                                     steps=60 if quick else 2000)
    wrote("universal-approximation.png", "2-h-2 networks, h = 1 to 32: more neurons, more "
          "bends in the boundary")

    activations.activation_functions(out / "activations.png")
    wrote("activations.png", f"{len(activations.elementwise_activations())} activation "
          "functions, derivatives by autograd")

    graph = plot.graph_of()
    engine = graph.render(out / "graph.png")
    (out / "graph.dot").write_text(graph.to_dot())
    drawn = "Graphviz" if engine == "dot" else "matplotlib (no Graphviz)"
    wrote("graph.png", f"computational graph of the 2-6-4 network and its loss, by {drawn}")
    wrote("graph.dot", "the same graph as DOT text")
    step = compiled_step()
    compiled.compare_graphs(graph, compiled.static_graph(step), out / "static-graph.png")
    (out / "static-graph.txt").write_text(f"{step.graph}\n")
    wrote("static-graph.png", f"beside it, its training step as sj.compile traces it once: "
          f"{len(step.graph)} array calls, forward to updates")
    wrote("static-graph.txt", "that static graph as a program, one line per call")

    _, records = health.vanishing_gradients(out / "gradient-flow.png",
                                            steps=5 if quick else 60)
    ratio = plot._first_over_last(records)
    wrote("gradient-flow.png", f"vanishing gradients: first/last layer gradient norm "
          f"{ratio['sigmoid']:.0e} with sigmoid, {ratio['relu']:.1f} with ReLU")
    health.training_health(records["relu"], out / "training-health.png",
                           title="GradientHealth of the 8-layer ReLU network")
    wrote("training-health.png", "per-layer gradient norms, update/weight ratios and dead "
          "ReLUs over training")

    landscapes.optimizer_paths(out / "optimizers.png", steps=15 if quick else None)
    wrote("optimizers.png", "SGD, momentum, Nesterov, AdaGrad, RMSprop, Adam on a saddle, "
          "Rosenbrock and a bowl")

    if not plot.mnist_available(data):
        print("  (MNIST not found: pass --data DIR holding mnist/ for its weight pictures)")
        return count
    from shenjing.viz import weights

    samples = 2000 if quick else 20000
    mlp, accuracy = plot.train_mnist_mlp(data, samples=samples, epochs=1 if quick else 2)
    weights.first_layer_weights(mlp, (28, 28), out / "mnist-weights.png",
                                title=f"784-64-10 on MNIST ({100 * accuracy:.1f} %): "
                                      "first-layer weights, one tile per neuron")
    wrote("mnist-weights.png", f"what each of 64 hidden neurons looks for "
          f"({100 * accuracy:.1f} % test accuracy)")
    classifier, accuracy = plot.train_mnist_templates(data, samples=samples,
                                                      epochs=1 if quick else 5)
    weights.class_templates(classifier, out / "mnist-templates.png",
                            title=f"Linear classifier on MNIST ({100 * accuracy:.1f} %): one "
                                  "template a class")
    wrote("mnist-templates.png", f"a linear classifier's ten templates ({100 * accuracy:.1f} % "
          "test accuracy)")
    return count


def compiled_step(batch: int = 8, seed: int = 0):
    """One training step of the 2-6-4 network (cross-entropy, Adam), compiled by ``sj.compile``
    and called once on quadrant points, so that ``step.graph`` holds its static graph; the
    network and points are those of ``plot.graph_of``'s dynamic graph."""
    import shenjing as sj

    sj.manual_seed(seed)
    inputs, targets = sj.datasets.quadrants(batch, seed=seed)
    model = sj.models.quadrants_net()
    optimizer = sj.optim.Adam(model.parameters(), lr=0.05)

    @sj.compile
    def step(input, target):  # named as the dynamic graph names its input
        optimizer.zero_grad()
        loss = sj.nn.functional.cross_entropy(model(input), target)
        loss.backward()
        optimizer.step()
        return loss

    step(inputs, targets)
    return step
