"""``shenjing plot ...``: the pictures of the notes, one command each.

``curves``, ``weights`` and ``features`` draw a run folder written by ``shenjing train`` (into
that folder unless ``--out`` says otherwise); ``surface``, ``activations``, ``graph``,
``optimizers``, ``gradients`` and ``templates`` train what they need on the spot, in seconds.
The recipes (which network, which data, how long) live here as functions that ``shenjing demo``
calls too.
"""

from __future__ import annotations

from pathlib import Path

# -- recipes shared with `shenjing demo` ---------------------------------------------------------


def toy_points(dataset: str, samples: int = 400, noise: float | None = None, seed: int = 0):
    """A 2-D teaching set by name (``sj.datasets``), as points and labels."""
    from shenjing import datasets
    from shenjing.cli.tasks import TOY_SETS

    if dataset not in TOY_SETS:
        raise ValueError(f"unknown 2-D set {dataset!r}; available: {', '.join(TOY_SETS)}")
    options = {} if noise is None else {"noise": noise}
    if dataset == "spirals":
        # more than one turn, so that a handful of neurons is not enough
        options = {"noise": 0.04, "turns": 1.75, **options}
    return getattr(datasets, dataset)(samples, seed=seed, **options)


def train_quadrants(epochs: int = 30, seed: int = 0):
    """The 2-6-4 tanh network of the notes trained on the four quadrants as ``shenjing train
    quadrants`` does; returns (model, history, test points, test labels, test accuracy)."""
    import shenjing as sj
    from shenjing.cli.tasks import prepare
    from shenjing.data import DataLoader

    sj.manual_seed(seed)
    splits, _ = prepare("quadrants", seed=seed)
    model = sj.models.quadrants_net()
    optimizer = sj.optim.Adam(model.parameters(), lr=0.05)
    train_loader = DataLoader(splits.train, batch_size=32, shuffle=True)
    val_loader = DataLoader(splits.val, batch_size=1024)
    history = sj.train.fit(model, train_loader, val_loader, loss=sj.nn.functional.cross_entropy,
                           optimizer=optimizer, epochs=epochs, verbose=False)
    x_test, y_test = splits.test.tensors
    score = sj.train.evaluate(model, [(x_test, y_test)])["accuracy"]
    return model, history, x_test, y_test, score


def mnist_images(root, train: bool, limit: int | None = None):
    """MNIST images (N, 1, 28, 28) in [0, 1] and labels, from disk only (no download)."""
    from shenjing.datasets import MNIST

    dataset = MNIST(root, train=train, download=False)
    images, labels = dataset.data, dataset.targets
    if limit:
        images, labels = images[:limit], labels[:limit]
    return (images.float() / 255.0).unsqueeze(1), labels


def mnist_available(root) -> bool:
    """Whether MNIST's files are on disk under ``root`` (or $SHENJING_DATA, ~/.cache/shenjing)."""
    from shenjing.datasets import DatasetNotFoundError

    try:
        mnist_images(root, train=False, limit=1)
    except (DatasetNotFoundError, OSError):
        return False
    return True


def train_mnist_mlp(root, samples: int = 20000, epochs: int = 2, hidden: int = 64,
                    seed: int = 0):
    """A quick 784-h-10 ReLU network on the first ``samples`` MNIST training images (a little
    weight decay, which wipes the noise from pixels that are always blank); returns the model
    and its test accuracy."""
    import shenjing as sj
    from shenjing.data import DataLoader, TensorDataset

    sj.manual_seed(seed)
    x, y = mnist_images(root, train=True, limit=samples)
    model = sj.models.MLP(784, [hidden], 10)
    optimizer = sj.optim.Adam(model.parameters(), lr=2e-3, weight_decay=3e-4)
    loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True)
    sj.train.fit(model, loader, loss=sj.nn.functional.cross_entropy, optimizer=optimizer,
                 epochs=epochs, verbose=False)
    x_test, y_test = mnist_images(root, train=False)
    return model, sj.train.evaluate(model, [(x_test, y_test)])["accuracy"]


def train_mnist_templates(root, samples: int = 20000, epochs: int = 5, loss: str = "softmax"):
    """A linear classifier (``sj.classic.LinearClassifier``) on centred MNIST pixels; returns
    it and its test accuracy."""
    import shenjing as sj

    x, y = mnist_images(root, train=True, limit=samples)
    mean = x.mean(dim=0)
    classifier = sj.classic.LinearClassifier(loss, reg=1e-3, lr=0.05, epochs=epochs)
    classifier.fit(x[:, 0] - mean[0], y)
    x_test, y_test = mnist_images(root, train=False)
    return classifier, classifier.score(x_test[:, 0] - mean[0], y_test)


def say(path: Path, what: str) -> None:
    """One line: where a picture is and what it shows."""
    print(f"  {str(path):<44} {what}", flush=True)


# -- the commands --------------------------------------------------------------------------------

PICTURES = {
    "curves": "loss and metrics per epoch of a run, training against validation",
    "weights": "first-layer weights of a run as image tiles, one per neuron",
    "features": "the filters of a CNN run and its feature maps for one test image",
    "surface": "decision surfaces of 2-D classifiers (several widths: universal approximation)",
    "activations": "every activation function with its derivative by autograd",
    "graph": "the computational graph of one forward and backward pass",
    "optimizers": "SGD, momentum, Nesterov, AdaGrad, RMSprop and Adam on 2-D landscapes",
    "gradients": "vanishing gradients: a deep sigmoid network against a ReLU one",
    "templates": "the ten class templates of a linear classifier trained on MNIST",
}


def add_arguments(parser) -> None:
    from shenjing.cli import positive_int
    from shenjing.models.mlp import ACTIVATIONS

    pictures = parser.add_subparsers(dest="picture", metavar="PICTURE", required=True)

    def picture(name: str, default_out: str | None):
        sub = pictures.add_parser(name, help=PICTURES[name], description=PICTURES[name])
        where = f" (default: {default_out})" if default_out else ""
        sub.add_argument("--out", default=None, help=f"the picture's file, .png or .svg{where}")
        sub.set_defaults(plot=globals()[f"_plot_{name}"])
        return sub

    sub = picture("curves", "RUN/curves.png")
    sub.add_argument("run", help="a run folder written by `shenjing train`, or a history.json")

    sub = picture("weights", "RUN/weights.png")
    sub.add_argument("run", help="a run folder written by `shenjing train` on images")
    sub.add_argument("--max", type=positive_int, default=None, help="draw only the first tiles")

    sub = pictures.add_parser("features", help=PICTURES["features"],
                              description=PICTURES["features"])
    sub.add_argument("run", help="a run folder of a CNN (`shenjing train mnist --model cnn`)")
    sub.add_argument("--index", type=int, default=0, help="which test image (default: 0)")
    sub.add_argument("--image", default=None, help="an image file instead of a test image")
    sub.add_argument("--data", default=None,
                     help="data folder (default: the run's, else $SHENJING_DATA or "
                          "~/.cache/shenjing)")
    sub.add_argument("--out", default=None,
                     help="folder for filters.png and feature-maps.png (default: RUN)")
    sub.set_defaults(plot=_plot_features)

    sub = picture("surface", "surface-DATASET.png")
    sub.add_argument("source", help="a 2-D set (quadrants, spirals, circles, xor, blobs, moons) "
                                    "or a run folder trained on one")
    sub.add_argument("--hidden", type=positive_int, nargs="+", default=[6],
                     help="hidden widths: one surface each (default: 6)")
    sub.add_argument("--activation", default="tanh", choices=sorted(ACTIVATIONS),
                     help="of the hidden layer (default: tanh)")
    sub.add_argument("--steps", type=positive_int, default=1500,
                     help="full-batch Adam steps per network (default: 1500)")
    sub.add_argument("--lr", type=float, default=0.03, help="Adam's learning rate")
    sub.add_argument("--samples", type=positive_int, default=400, help="points in the set")
    sub.add_argument("--noise", type=float, default=None, help="the set's noise (default: its "
                                                               "own)")
    sub.add_argument("--seed", type=int, default=0, help="seeds the points and the weights")
    sub.add_argument("--animate", default=None, metavar="FILE.gif",
                     help="also write a GIF of the first network's surface while it trains")

    picture("activations", "activations.png")

    sub = picture("graph", "graph.png, and graph.dot beside it")
    sub.add_argument("run", nargs="?", default=None,
                     help="a run folder (default: the 2-6-4 quadrants network)")
    sub.add_argument("--expression", action="store_true",
                     help="draw the README's expression (sigmoid(x @ w) * log1p(x ** 2)).sum()")
    sub.add_argument("--batch", type=positive_int, default=8, help="inputs in the batch")
    sub.add_argument("--engine", default="auto", choices=("auto", "dot", "matplotlib"),
                     help="Graphviz's dot, or matplotlib's layered drawing (auto: dot if found)")

    sub = picture("optimizers", "optimizers.png")
    sub.add_argument("--landscapes", nargs="+", default=["saddle", "rosenbrock", "bowl"],
                     choices=("saddle", "rosenbrock", "bowl"))
    sub.add_argument("--steps", type=positive_int, default=None,
                     help="steps per optimizer (default: each landscape's own)")

    sub = picture("gradients", "gradient-flow.png")
    sub.add_argument("--depth", type=positive_int, default=8, help="hidden layers")
    sub.add_argument("--width", type=positive_int, default=32, help="neurons per hidden layer")
    sub.add_argument("--steps", type=positive_int, default=60)
    sub.add_argument("--health", default=None, metavar="FILE",
                     help="also draw the ReLU network's GradientHealth record here")

    sub = picture("templates", "templates.png")
    sub.add_argument("--data", default=None,
                     help="data folder holding mnist/ (default: $SHENJING_DATA or "
                          "~/.cache/shenjing)")
    sub.add_argument("--loss", default="softmax", choices=("softmax", "svm"))


def run(args) -> int:
    from shenjing.viz.canvas import require_matplotlib

    require_matplotlib()  # before any work: without it, the command says what to install
    return args.plot(args)


def _out(args, default: Path) -> Path:
    return Path(args.out) if args.out else default


def _plot_curves(args) -> int:
    from shenjing.cli.run_folder import (
        CONFIG,
        LAST,
        finished,
        read_json,
        unfinished_message,
        written_by_this_run,
    )
    from shenjing.viz.curves import training_curves

    source = Path(args.run)
    folder = source if source.is_dir() else source.parent
    path = _out(args, folder / "curves.png")
    history, what = source, f"training curves of {source}"
    if source.is_dir() and (source / CONFIG).exists() and not finished(source):
        # An unfinished run: its epochs so far are in last.safetensors, if any is this run's
        if not written_by_this_run(source, LAST):
            config = read_json(source / CONFIG) or {}
            raise ValueError(unfinished_message(source, config.get("dataset", "DATASET")))
        from shenjing.serialization import load
        from shenjing.train import History

        history = History(load(source / LAST)["history"])
        what += " (unfinished: its epochs so far)"
    training_curves(history, path, title=f"Training curves of {source}")
    say(path, what)
    return 0


def _load_run(folder: str):
    from shenjing.cli.evaluate import load_run

    path = Path(folder)
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a folder: give a run folder written by "
                                "`shenjing train`")
    return load_run(path)


def _plot_weights(args) -> int:
    from shenjing.viz.weights import first_layer_weights

    model, config = _load_run(args.run)
    if config.in_features == 2:
        raise ValueError(f"{args.run} was trained on the 2-D set {config.dataset}: its weights "
                         f"are not images; try `shenjing plot surface {args.run}`")
    shape = (config.in_channels, config.image_size, config.image_size)
    if config.in_channels == 1:
        shape = shape[1:]
    path = _out(args, Path(args.run) / "weights.png")
    first_layer_weights(model, shape if config.model == "mlp" else None, path,
                        max_tiles=args.max)
    say(path, f"first-layer weights of {args.run} ({config.model} on {config.dataset})")
    return 0


def _plot_features(args) -> int:
    import shenjing as sj
    from shenjing.cli.tasks import data_folder, load_images
    from shenjing.viz.features import conv_filters, feature_maps

    model, config = _load_run(args.run)
    if config.model == "mlp":
        raise ValueError(f"{args.run} is an mlp run without convolutions; train one with "
                         "`shenjing train mnist --model cnn`")
    if args.image:
        from shenjing.cli.predict import read_image

        image = sj.tensor(read_image(Path(args.image), config.in_channels, config.image_size))
        source = args.image
    else:
        images, labels, classes = load_images(
            config.dataset, data_folder(args.data, config.train.get("data")), train=False)
        if not 0 <= args.index < len(labels):
            raise ValueError(f"--index {args.index} is outside the {len(labels)} test images")
        image = images[args.index]
        source = f"test image {args.index} (labelled {classes[int(labels[args.index])]})"
    image = config.normalise(image.unsqueeze(0))[0]
    folder = Path(args.out) if args.out else Path(args.run)
    conv_filters(model, folder / "filters.png")
    say(folder / "filters.png", f"the first conv layer's filters of {args.run}")
    feature_maps(model, image, folder / "feature-maps.png",
                 title=f"Feature maps of {args.run} for {source}")
    say(folder / "feature-maps.png", f"what each conv layer of {args.run} makes of {source}")
    return 0


def _plot_surface(args) -> int:
    import shenjing as sj
    from shenjing.viz import surfaces

    if Path(args.source).is_dir():
        from shenjing.cli.tasks import prepare

        model, config = _load_run(args.source)
        if config.in_features != 2:
            raise ValueError(f"{args.source} was trained on {config.dataset}, not on a 2-D set")
        train = config.train
        splits, _ = prepare(config.dataset, limit=train.get("limit"), noise=train.get("noise"),
                            seed=train.get("seed", 0))
        x, y = splits.test.tensors
        score = surfaces.accuracy(model, x, y)
        path = _out(args, Path(args.source) / "surface.png")
        surfaces.decision_surface(model, x, y, path,
                                  title=f"{args.source}: {100 * score:.1f} % of test points")
        say(path, f"decision surface of {args.source} with its test points")
        return 0
    x, y = toy_points(args.source, args.samples, args.noise, args.seed)
    classes = int(y.max().item()) + 1
    path = _out(args, Path(f"surface-{args.source}.png"))
    if len(args.hidden) > 1:
        surfaces.universal_approximation(x, y, args.hidden, path, activation=args.activation,
                                         steps=args.steps, lr=args.lr, seed=args.seed)
        widths = ", ".join(map(str, args.hidden))
        say(path, f"2-h-{classes} networks with h = {widths} on {args.source}")
    else:
        sj.manual_seed(args.seed)
        model = sj.models.MLP(2, args.hidden, classes, args.activation)
        score = surfaces.fit_points(model, x, y, args.steps, args.lr)
        layers = f"2-{args.hidden[0]}-{classes}"
        surfaces.decision_surface(model, x, y, path, title=f"{layers} {args.activation} on "
                                  f"{args.source}: {100 * score:.0f} %")
        say(path, f"decision surface of a {layers} {args.activation} network on {args.source}")
    if args.animate:
        sj.manual_seed(args.seed)
        model = sj.models.MLP(2, args.hidden[:1], classes, args.activation)
        steps = min(args.steps, 300)
        frames = surfaces.training_animation(model, x, y, args.animate, steps=steps,
                                             frames=min(30, steps), lr=args.lr)
        say(Path(args.animate), f"{frames} frames of the 2-{args.hidden[0]}-{classes} "
                                "network's surface while it trains")
    return 0


def _plot_activations(args) -> int:
    from shenjing.viz.activations import activation_functions, elementwise_activations

    path = _out(args, Path("activations.png"))
    activation_functions(path)
    say(path, f"{len(elementwise_activations())} activation functions and their derivatives")
    return 0


def graph_of(run: str | None = None, expression: bool = False, batch: int = 8, seed: int = 0):
    """The Graph ``shenjing plot graph`` draws: the README's expression, a run's model on a
    random batch, or (by default) the 2-6-4 quadrants network on quadrant points, each with a
    cross-entropy loss and gradient norms."""
    import shenjing as sj
    from shenjing.viz.graph import model_graph, trace

    sj.manual_seed(seed)
    if expression:
        x = sj.randn(3, 4, dtype=sj.float64, requires_grad=True)
        w = sj.randn(4, 4, dtype=sj.float64, requires_grad=True)
        return trace((sj.sigmoid(x @ w) * sj.log1p(x ** 2)).sum(), {"x": x, "w": w},
                     gradients=True)
    if run is None:
        x, y = sj.datasets.quadrants(batch, seed=seed)
        return model_graph(sj.models.quadrants_net(), x, y)
    model, config = _load_run(run)
    if config.in_features == 2:
        shape = (batch, 2)
    else:
        shape = (batch, config.in_channels, config.image_size, config.image_size)
    return model_graph(model, sj.randn(*shape), sj.randint(0, config.out_features, (batch,)))


def _plot_graph(args) -> int:
    graph = graph_of(args.run, args.expression, args.batch)
    path = _out(args, Path("graph.png"))
    engine = graph.render(path, engine=args.engine)
    dot_file = path.with_suffix(".dot")
    dot_file.write_text(graph.to_dot())
    what = "the README's expression" if args.expression else (args.run or "the 2-6-4 network")
    drawn = "by Graphviz" if engine == "dot" else "by matplotlib (Graphviz's dot not found)"
    say(path, f"computational graph of {what}, {len(graph.nodes)} nodes, drawn {drawn}")
    say(dot_file, "the same graph as Graphviz DOT text")
    return 0


def _plot_optimizers(args) -> int:
    from shenjing.viz.landscapes import optimizer_paths

    path = _out(args, Path("optimizers.png"))
    optimizer_paths(path, landscapes=args.landscapes, steps=args.steps)
    say(path, f"six optimizers on {', '.join(args.landscapes)}")
    return 0


def _plot_gradients(args) -> int:
    from shenjing.viz.health import training_health, vanishing_gradients

    path = _out(args, Path("gradient-flow.png"))
    _, records = vanishing_gradients(path, depth=args.depth, width=args.width, steps=args.steps)
    ratio = _first_over_last(records)
    say(path, "first/last layer gradient norm: " + ", ".join(
        f"{name} {value:.0e}" for name, value in ratio.items()))
    if args.health:
        training_health(records["relu"], args.health,
                        title="GradientHealth of the deep ReLU network")
        say(Path(args.health), "gradient norms, update ratios and dead units of the ReLU net")
    return 0


def _first_over_last(records) -> dict:
    ratios = {}
    for name, health in records.items():
        norms = list(health.grad_norm.values())
        ratios[name] = (sum(norms[0]) / len(norms[0])) / (sum(norms[-1]) / len(norms[-1]))
    return ratios


def _plot_templates(args) -> int:
    from shenjing.viz.weights import class_templates

    classifier, score = train_mnist_templates(args.data, loss=args.loss)
    path = _out(args, Path("templates.png"))
    class_templates(classifier, path,
                    title=f"Linear classifier ({args.loss}) on MNIST: {100 * score:.1f} % "
                          "- one template a class")
    say(path, f"the ten class templates of a {args.loss} linear classifier")
    return 0
