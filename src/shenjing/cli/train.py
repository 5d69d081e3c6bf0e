"""``shenjing train``: train a network on a data set and write a run folder.

Image sets and 2-D sets train a classifier with ``sj.train.fit``; ``charlm`` trains a character
language model on a text with ``sj.train.fit_sequence`` (truncated backpropagation through time),
or with ``--model transformer`` a causal Transformer with ``sj.train.fit`` on windows of the text.
"""

from __future__ import annotations

import argparse
import contextlib
from dataclasses import asdict
from pathlib import Path

from shenjing.cli.run_folder import (
    BEST,
    CONFIG,
    HISTORY,
    LAST,
    METRICS,
    MODEL,
    VOCAB,
    AlreadyFinished,
    RunInterrupted,
    RunTag,
    checkpoint_run_id,
    finished,
    new_run_id,
    open_run_folder,
    read_json,
    remove_stale,
)
from shenjing.serialization import save_json

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
SCHEDULERS = ("none", "step", "cosine", "plateau")
# Options that belong to one kind of task, by argument name: given to another, they are an error.
TEXT_OPTIONS = {"text": "--text", "layers": "--layers", "embedding": "--embedding",
                "seq_len": "--seq-len", "heads": "--heads", "d_model": "--d-model"}
IMAGE_OPTIONS = {"activation": "--activation", "augment": "--augment", "noise": "--noise"}
VAL_FRACTION = 0.1  # charlm: the last 10 % of the text is the validation set
# charlm's recipes. The LSTM's: the fastest measured to 1.60 nats/char on tiny-shakespeare
# (README); the transformer's: docs/char-transformer.md.
LSTM_DEFAULTS = {"hidden": [256], "layers": 1, "embedding": 64, "seq_len": 64, "batch_size": 16,
                 "epochs": 2, "lr": 4e-3, "scheduler": "cosine", "dropout": 0.0, "clip": 5.0}
TRANSFORMER_DEFAULTS = {"d_model": 64, "heads": 4, "layers": 2, "seq_len": 64,
                        "batch_size": 32, "epochs": 3, "lr": 3e-3, "scheduler": "cosine",
                        "dropout": 0.0, "clip": 1.0}


def add_arguments(parser) -> None:
    from shenjing.cli import natural_int, positive_float, positive_int
    from shenjing.cli.tasks import CHARLM_MODELS, IMAGE_SETS, MODELS, TEXT_TASKS, TOY_SETS

    parser.add_argument("dataset", choices=IMAGE_SETS + TOY_SETS + TEXT_TASKS,
                        help="what to learn (charlm: a character language model of a text)")
    parser.add_argument("--model", default=None, choices=MODELS + CHARLM_MODELS,
                        help="network type (default: mlp; resnet20 for cifar10; for charlm the "
                             "recurrent layer, lstm, gru or rnn, default lstm, or transformer, "
                             "a small causal Transformer)")
    parser.add_argument("--hidden", type=positive_int, nargs="+", default=None,
                        help="hidden layer widths (default: 100 for images, 6 for 2-D sets; for "
                             "charlm one width, the recurrent state, default 256, or a "
                             "transformer's feed-forward width, default 4 x --d-model)")
    parser.add_argument("--activation", default=None,
                        help="relu, sigmoid, tanh, leaky_relu, elu, gelu or silu "
                             "(default: relu for images, tanh for 2-D sets)")
    parser.add_argument("--dropout", type=float, default=None,
                        help="dropout after hidden layers of the mlp and cnn models (default: "
                             "0.1 for images, 0 for 2-D sets); for charlm between recurrent "
                             "layers and before the output layer (default 0)")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help="passes over the training set (default: 10 for images, 30 for "
                             "2-D sets, 2 for charlm, 3 for its transformer)")
    parser.add_argument("--optimizer", default="adam", choices=OPTIMIZERS)
    parser.add_argument("--lr", type=positive_float, default=None,
                        help="learning rate (default: 2e-3 for images, 0.05 for 2-D sets, 4e-3 "
                             "for charlm, 3e-3 for its transformer)")
    parser.add_argument("--momentum", type=float, default=0.9, help="for sgd and rmsprop")
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--scheduler", default=None, choices=SCHEDULERS,
                        help="learning-rate schedule over epochs (default: cosine for images "
                             "and charlm, none for 2-D sets)")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help="samples per step (default: 128 for images, 32 for 2-D sets; for "
                             "charlm the parallel streams of text, default 16, or a "
                             "transformer's windows of text, default 32)")
    parser.add_argument("--val-size", type=natural_int, default=5000,
                        help="training images held out for validation (image sets)")
    parser.add_argument("--patience", type=positive_int, default=None,
                        help="stop after this many epochs without a better validation loss")
    parser.add_argument("--noise", type=float, default=None,
                        help="noise of the 2-D sets (default: each set's own)")
    parser.add_argument("--limit", type=positive_int, default=None,
                        help="use only this many samples per split (quick runs); for charlm "
                             "the first this many characters of the text")
    parser.add_argument("--seed", type=int, default=0, help="seeds weights, shuffling, dropout")
    parser.add_argument("--data", default=None,
                        help="data folder (default: $SHENJING_DATA or ~/.cache/shenjing); "
                             "charlm reads tiny-shakespeare from its tinyshakespeare/ folder")
    parser.add_argument("--out", default=None,
                        help="run folder (default: runs/<dataset>-<model>; runs/charlm)")
    parser.add_argument("--clip", type=positive_float, default=None,
                        help="clip the gradients' global norm to this (default: none; 5 for "
                             "charlm, 1 for its transformer)")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                        help="random crops and flips of training images (default: on for "
                             "cifar10)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="threads for matrix products (sj.set_num_threads; default: "
                             "NumPy's BLAS default, usually one per core)")
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                        help="run each training step as a static graph, traced once and "
                             "replayed (sj.compile): the same results, faster (default: on)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last finished epoch "
                             "(last.safetensors), with the options it was started with")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the run in --out: its files are replaced one by one, "
                             "each when its new version is complete")
    text = parser.add_argument_group("character language model (charlm)")
    text.add_argument("--text", default=None, metavar="FILE",
                      help="learn this UTF-8 text file (default: tiny-shakespeare, downloaded "
                           "into the data folder if missing); the last 10 %% is held out")
    text.add_argument("--layers", type=positive_int, default=None,
                      help="recurrent layers (default 1), or transformer layers (default "
                           f"{TRANSFORMER_DEFAULTS['layers']})")
    text.add_argument("--embedding", type=positive_int, default=None,
                      help="width of the character embedding (default 64; a transformer's is "
                           "--d-model)")
    text.add_argument("--seq-len", type=positive_int, default=None,
                      help="characters per chunk of truncated backpropagation through time "
                           "(default 64); for a transformer its context, the window it reads "
                           f"(default {TRANSFORMER_DEFAULTS['seq_len']})")
    text.add_argument("--heads", type=positive_int, default=None,
                      help="transformer: attention heads (default "
                           f"{TRANSFORMER_DEFAULTS['heads']})")
    text.add_argument("--d-model", type=positive_int, default=None,
                      help="transformer: width of the embeddings and of every layer (default "
                           f"{TRANSFORMER_DEFAULTS['d_model']})")


def _optimizer(args, parameters):
    from shenjing import optim

    if args.optimizer == "sgd":
        return optim.SGD(parameters, lr=args.lr, momentum=args.momentum,
                         weight_decay=args.weight_decay)
    if args.optimizer == "rmsprop":
        return optim.RMSprop(parameters, lr=args.lr, momentum=args.momentum,
                             weight_decay=args.weight_decay)
    kinds = {"adam": optim.Adam, "adamw": optim.AdamW, "adagrad": optim.Adagrad}
    return kinds[args.optimizer](parameters, lr=args.lr, weight_decay=args.weight_decay)


def _scheduler(args, optimizer):
    from shenjing.optim import lr_scheduler

    if args.scheduler == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(args.epochs // 3, 1), gamma=0.1)
    if args.scheduler == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    if args.scheduler == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
    return None


# Options that may differ when a run is resumed: where things are, and how it reports.
RESUME_FREE = {"data", "out", "quiet", "resume", "overwrite", "threads"}


def given_options(argv: list[str]) -> set[str]:
    """The options of ``shenjing train`` that ``argv`` names, however equal to the defaults."""
    probe = argparse.ArgumentParser(add_help=False)
    add_arguments(probe)
    for action in probe._actions:
        action.default = argparse.SUPPRESS
    words = argv[1:] if argv[:1] == ["train"] else argv
    return set(vars(probe.parse_known_args(words)[0]))


def _recorded_args(args, recorded: dict) -> None:
    """On ``--resume``: take the options the run was started with into ``args``, refusing any
    given now that would change them (a resumed run must end as the run left alone would)."""
    train = recorded.get("train", {})
    given = getattr(args, "given", set())  # set by the command line's main
    if recorded.get("dataset") != args.dataset:
        raise ValueError(f"--resume: {args.out} holds a {recorded.get('dataset')} run, not "
                         f"{args.dataset}")
    changed = [f"--{name.replace('_', '-')}" for name in sorted(given - RESUME_FREE)
               if name != "dataset" and getattr(args, name) != train.get(name)]
    if changed:
        raise ValueError(f"--resume continues {args.out} with the options it was started with; "
                         f"{', '.join(changed)} would change them (start a new run with "
                         "another --out, or --overwrite)")
    for name, value in train.items():
        if name not in RESUME_FREE and hasattr(args, name):
            setattr(args, name, value)


def _start(args, default_out: str) -> tuple[Path, dict | None]:
    """Check the run folder as asked and settle the options; returns the folder and the
    recorded config to resume (None for a new run). The data folder becomes absolute, so that
    the run can be resumed and evaluated from anywhere."""
    from shenjing.cli.tasks import TEXT_TASKS, data_folder
    from shenjing.datasets import data_root

    args.out = args.out or default_out
    out = Path(args.out)
    recorded = open_run_folder(out, f"shenjing train {args.dataset}", args.resume,
                               args.overwrite)
    if recorded is not None:
        if finished(out):
            raise AlreadyFinished(f"{out} holds a finished run: nothing to resume (its test "
                                  "results are in metrics.json)")
        given_data = args.data
        _recorded_args(args, recorded)
        args.data = data_folder(given_data, recorded.get("train", {}).get("data"))
    if args.dataset not in TEXT_TASKS or args.text is None:
        args.data = str(data_root(args.data).resolve())
    return out, recorded


def run(args) -> int:
    import shenjing as sj
    from shenjing.cli.tasks import CELLS, IMAGE_SETS, TEXT_TASKS, build_model, prepare
    from shenjing.data import DataLoader

    if args.threads is not None:
        sj.set_num_threads(args.threads)
    if args.dataset in TEXT_TASKS:
        return run_charlm(args)
    _refuse(args, TEXT_OPTIONS, f"only for `shenjing train charlm`, not {args.dataset}")
    if args.model in CELLS:
        raise ValueError(f"--model {args.model} is a recurrent language model: train it with "
                         "`shenjing train charlm`")
    default_model = "resnet20" if args.dataset == "cifar10" else "mlp"
    out, recorded = _start(args, f"runs/{args.dataset}-{args.model or default_model}")
    sj.manual_seed(args.seed)
    image_set = args.dataset in IMAGE_SETS
    if args.model is None:
        args.model = default_model
    if args.augment is None:
        args.augment = args.dataset == "cifar10"
    if args.epochs is None:
        args.epochs = 10 if image_set else 30
    if args.lr is None:
        args.lr = 2e-3 if image_set else 0.05
    if args.scheduler is None:
        args.scheduler = "cosine" if image_set else "none"
    if args.dropout is None:
        args.dropout = 0.1 if image_set else 0.0
    if args.batch_size is None:
        args.batch_size = 128 if image_set else 32
    splits, config = prepare(args.dataset, args.data, args.val_size, args.limit, args.noise,
                             args.seed, augment=args.augment and image_set)
    config.model = args.model
    config.hidden = args.hidden or ([100] if image_set else [6])
    config.activation = args.activation or ("relu" if image_set else "tanh")
    # Only the mlp and cnn models have dropout layers: the others record none.
    config.dropout = args.dropout if args.model in ("mlp", "cnn") else 0.0
    args.hidden, args.activation = config.hidden, config.activation  # recorded as used
    config.train = _recordable(args)
    config.run_id = _run_id(recorded)
    model = build_model(config)
    optimizer = _optimizer(args, model.parameters())
    if recorded != asdict(config):  # before the first step: the run can always be resumed
        config.save(out / CONFIG)

    train_loader = DataLoader(splits.train, batch_size=args.batch_size, shuffle=True)
    val_loader = (DataLoader(splits.val, batch_size=1024) if splits.val is not None else None)
    callbacks = []
    if args.patience is not None and val_loader is not None:
        callbacks.append(sj.train.EarlyStopping("val_loss", patience=args.patience))
    if val_loader is not None:
        callbacks.append(sj.train.ModelCheckpoint(out / BEST, "val_loss",
                                                  metadata={"run_id": config.run_id}))
    size = sum(p.numel() for p in model.parameters())
    if args.model == "mlp":
        layers = "-".join(map(str, [config.in_features, *config.hidden, config.out_features]))
        name = f"{layers} {config.activation} MLP"
    else:
        name = args.model
    print(f"training a {size:,}-parameter {name} on {args.dataset} "
          f"({len(splits.train):,} training samples)", flush=True)
    history, seconds = _fit(sj.train.fit, out, args, config.run_id, model, train_loader,
                            val_loader, loss=sj.nn.functional.cross_entropy,
                            optimizer=optimizer, epochs=args.epochs, callbacks=callbacks,
                            scheduler=_scheduler(args, optimizer), clip_grad_norm=args.clip,
                            verbose=not args.quiet)
    with _interruptible(out, args):
        test = sj.train.evaluate(model, DataLoader(splits.test, batch_size=1024),
                                 loss=sj.nn.functional.cross_entropy)
        sj.save(model.state_dict(), out / MODEL)
        history.save(out / HISTORY)
        results = {"test_loss": test["loss"], "test_accuracy": test["accuracy"],
                   "epochs": len(history.epochs), "train_seconds": round(seconds, 1)}
        _finish(out, config.run_id, results)
    print(f"test accuracy {100 * test['accuracy']:.2f} %, test loss {test['loss']:.4f} after "
          f"{len(history.epochs)} epochs in {seconds:.1f} s; wrote {out}/")
    return 0


def _recordable(args) -> dict:
    """The training options, as config.json records them."""
    return {k: v for k, v in vars(args).items()
            if k not in ("func", "command", "resume", "overwrite", "given", "compile")}


def _run_id(recorded: dict | None) -> str:
    """The resumed run's id, or a new one (also for a run recorded before runs had ids)."""
    return (recorded or {}).get("run_id") or new_run_id()


def _fit(fit, out: Path, args, run_id: str, *positional, callbacks=(), **options):
    """``fit`` or ``fit_sequence`` with the run folder's last.safetensors: written after every
    epoch, resumed from with ``--resume`` when it is this run's; Ctrl-C ends in one line that
    says what was kept. Returns the history and the seconds spent training, over every
    session of the run."""
    last, tag = out / LAST, RunTag(run_id)
    resume_from = None
    if args.resume and last.exists():
        if checkpoint_run_id(last) == run_id:
            resume_from = last
        else:  # an overwritten run's, or from before runs had ids
            print(f"{last} is not this run's: starting from the first epoch", flush=True)
    with _interruptible(out, args):
        history = fit(*positional, callbacks=[*callbacks, tag], save_last=last,
                      resume_from=resume_from, compile=args.compile, **options)
    return history, tag.seconds


@contextlib.contextmanager
def _interruptible(out: Path, args):
    """Turns Ctrl-C into one line: where training stopped, what was kept, how to resume."""
    from shenjing.train import TrainingInterrupted

    try:
        yield
    except KeyboardInterrupt as exc:
        where = (f" at epoch {exc.epoch}, step {exc.step}"
                 if isinstance(exc, TrainingInterrupted) else "")
        last = out / LAST
        mine = last.exists() and \
            checkpoint_run_id(last) == (read_json(out / CONFIG) or {}).get("run_id")
        kept = (f"{last} holds every finished epoch" if mine else "no epoch had finished")
        raise RunInterrupted(f"interrupted{where}; {kept}: continue with `shenjing train "
                             f"{args.dataset} --out {out} --resume`") from None


def _finish(out: Path, run_id: str, results: dict) -> None:
    """Write metrics.json last, naming the run: from then on the folder holds a finished run.
    An overwritten run's files that this run did not write again are removed."""
    save_json({**results, "run_id": run_id}, out / METRICS)
    remove_stale(out, run_id)


def _refuse(args, options: dict, why: str) -> None:
    """A one-line error for options given to a task that has no use for them."""
    given = [flag for name, flag in options.items() if getattr(args, name) is not None]
    if given:
        raise ValueError(f"{', '.join(given)}: {why}")


def run_charlm(args) -> int:
    """``shenjing train charlm``: a character language model, recurrent (trained by truncated
    BPTT, ``fit_sequence``) or a causal Transformer (``--model transformer``, trained on shuffled
    windows of ``--seq-len`` characters with ``fit``).

    Writes config.json and vocab.json first, best.safetensors (model and optimizer) whenever the
    validation loss improves, and at the end model.safetensors (the best epoch's weights),
    history.json and metrics.json (validation loss in nats and bits per character).
    """
    import shenjing as sj
    from shenjing.cli.tasks import CHARLM_MODELS, TRANSFORMER, CharLMConfig, load_corpus
    from shenjing.data import CharVocab, split_text

    _refuse(args, IMAGE_OPTIONS, "not for charlm")
    if args.text is not None and args.data is not None:
        raise ValueError("--text and --data both given: learn a text file (--text) or "
                         "tiny-shakespeare from a data folder (--data)")
    if args.text is not None:  # absolute, as recorded: the same command resumes anywhere
        args.text = str(Path(args.text).resolve())
    out, recorded = _start(args, "runs/charlm")
    args.model = args.model or "lstm"
    if args.model not in CHARLM_MODELS:
        raise ValueError(f"--model {args.model}: charlm's model is one of "
                         f"{', '.join(CHARLM_MODELS)}")
    if args.hidden is not None and len(args.hidden) != 1:
        raise ValueError("--hidden: charlm takes one width (the recurrent state, or a "
                         "transformer's feed-forward width); --layers sets the depth")
    transformer = args.model == TRANSFORMER
    if transformer:
        _refuse(args, {"embedding": "--embedding"}, "the transformer's embedding width is "
                "--d-model")
        defaults = TRANSFORMER_DEFAULTS
    else:
        _refuse(args, {"heads": "--heads", "d_model": "--d-model"},
                f"only for --model transformer, not {args.model}")
        defaults = LSTM_DEFAULTS
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if transformer:
        if args.hidden is None:
            args.hidden = [4 * args.d_model]
        if args.d_model % args.heads:
            raise ValueError(f"--d-model {args.d_model} is not divisible by --heads "
                             f"{args.heads}: each head takes an equal share of the width")
    sj.manual_seed(args.seed)

    text, source = load_corpus(args.text, args.data)
    if args.limit:
        text = text[: args.limit]
    vocab = CharVocab.from_text(text)  # of the whole text, so every validation character has one
    train_text, val_text = split_text(text, VAL_FRACTION)
    if len(val_text) < 2:
        raise ValueError(f"{source}: {len(text)} characters is too short; the last 10 % is held "
                         "out for validation and needs at least 2 characters")
    width = args.d_model if transformer else args.embedding
    config = CharLMConfig("charlm", args.model, len(vocab), width, args.hidden[0],
                          args.layers, args.dropout, source, VAL_FRACTION, _recordable(args),
                          _run_id(recorded), heads=args.heads if transformer else 0,
                          context=args.seq_len if transformer else 0)
    try:
        train_batches = config.batches(vocab.encode(train_text), args.batch_size, args.seq_len,
                                       shuffle=True)
    except ValueError:
        unit = "a window of --seq-len" if transformer else "--batch-size"
        amount = args.seq_len if transformer else f"{args.batch_size} streams"
        raise ValueError(f"{source}: {len(train_text)} training characters are too few for "
                         f"{unit} {amount}") from None
    val_batches = config.val_batches(val_text, vocab)
    model = config.build_model()
    optimizer = _optimizer(args, model.parameters())
    if recorded != asdict(config):  # before the first step: the run can always be resumed
        config.save(out / CONFIG)
    if recorded is None or not (out / VOCAB).exists():
        vocab.save(out / VOCAB)

    best_path = out / BEST
    callbacks = [sj.train.ModelCheckpoint(best_path, "val_loss",
                                          metadata={"run_id": config.run_id})]
    if args.patience is not None:
        callbacks.append(sj.train.EarlyStopping("val_loss", patience=args.patience))
    size = sum(p.numel() for p in model.parameters())
    if transformer:
        what = (f"{args.layers}-layer causal Transformer, d_model {args.d_model}, {args.heads} "
                f"heads, feed-forward {args.hidden[0]}, context {args.seq_len}")
    else:
        what = (f"{args.layers}-layer {args.model.upper()}, hidden {args.hidden[0]}, embedding "
                f"{args.embedding}")
    print(f"training a {size:,}-parameter character model ({what}) on {source}: "
          f"{len(train_text):,} training and {len(val_text):,} validation characters, "
          f"{len(vocab)} distinct", flush=True)
    common = {"optimizer": optimizer, "epochs": args.epochs, "callbacks": callbacks,
              "scheduler": _scheduler(args, optimizer), "clip_grad_norm": args.clip,
              "verbose": not args.quiet}
    if transformer:
        history, seconds = _fit(sj.train.fit, out, args, config.run_id, model, train_batches,
                                val_batches, loss=sj.train.sequence_cross_entropy,
                                metrics=(bpc,), **common)
    else:
        history, seconds = _fit(sj.train.fit_sequence, out, args, config.run_id, model,
                                train_batches, val_batches, **common)
    with _interruptible(out, args):
        checkpoint = sj.load(best_path)  # the best epoch's weights, whatever came after
        model.load_state_dict(checkpoint["model"])
        final = config.score(model, val_batches)
        sj.save(model.state_dict(), out / MODEL)
        history.save(out / HISTORY)
        results = {"val_loss": final["loss"], "val_bpc": final["bpc"],
                   "best_epoch": checkpoint["epoch"], "epochs": len(history.epochs),
                   "train_seconds": round(seconds, 1), "train_characters": len(train_text),
                   "val_characters": len(val_text), "parameters": size}
        _finish(out, config.run_id, results)
    print(f"validation loss {final['loss']:.4f} nats/char ({final['bpc']:.4f} bits/char) at epoch "
          f"{checkpoint['epoch']} of {len(history.epochs)}, {seconds:.1f} s; wrote {out}/")
    return 0


def bpc(output, target) -> float:
    """Bits per character of a batch of (N, T, V) logits: the transformer's metric, so that its
    history has ``bpc`` and ``val_bpc`` as the recurrent models' has."""
    from shenjing.train.sequence import LN2, sequence_cross_entropy

    return sequence_cross_entropy(output, target).item() / LN2
