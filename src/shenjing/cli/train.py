"""``shenjing train``: train a network on a data set and write a run folder."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
SCHEDULERS = ("none", "step", "cosine", "plateau")


def add_arguments(parser) -> None:
    from shenjing.cli import natural_int, positive_int
    from shenjing.cli.tasks import IMAGE_SETS, MODELS, TOY_SETS

    parser.add_argument("dataset", choices=IMAGE_SETS + TOY_SETS, help="what to learn")
    parser.add_argument("--model", default=None, choices=MODELS,
                        help="network type (default: mlp; resnet20 for cifar10)")
    parser.add_argument("--hidden", type=positive_int, nargs="+", default=None,
                        help="hidden layer widths (default: 100 for images, 6 for 2-D sets)")
    parser.add_argument("--activation", default=None,
                        help="relu, sigmoid, tanh, leaky_relu, elu, gelu or silu "
                             "(default: relu for images, tanh for 2-D sets)")
    parser.add_argument("--dropout", type=float, default=None,
                        help="dropout after hidden layers of the mlp and cnn models (default: "
                             "0.1 for images, 0 for 2-D sets)")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help="passes over the training set (default: 10 for images, 30 for "
                             "2-D sets)")
    parser.add_argument("--optimizer", default="adam", choices=OPTIMIZERS)
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate (default: 2e-3 for images, 0.05 for 2-D sets)")
    parser.add_argument("--momentum", type=float, default=0.9, help="for sgd and rmsprop")
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--scheduler", default=None, choices=SCHEDULERS,
                        help="learning-rate schedule over epochs (default: cosine for images, "
                             "none for 2-D sets)")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help="samples per step (default: 128 for images, 32 for 2-D sets)")
    parser.add_argument("--val-size", type=natural_int, default=5000,
                        help="training images held out for validation (image sets)")
    parser.add_argument("--patience", type=positive_int, default=None,
                        help="stop after this many epochs without a better validation loss")
    parser.add_argument("--noise", type=float, default=None,
                        help="noise of the 2-D sets (default: each set's own)")
    parser.add_argument("--limit", type=positive_int, default=None,
                        help="use only this many samples per split (quick runs)")
    parser.add_argument("--seed", type=int, default=0, help="seeds weights, shuffling, dropout")
    parser.add_argument("--data", default=None,
                        help="data folder (default: $SHENJING_DATA or ~/.cache/shenjing)")
    parser.add_argument("--out", default=None, help="run folder (default: runs/<dataset>-<model>)")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                        help="random crops and flips of training images (default: on for "
                             "cifar10)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


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


def run(args) -> int:
    import shenjing as sj
    from shenjing.cli.tasks import IMAGE_SETS, AugmentedImages, build_model, prepare
    from shenjing.data import DataLoader, TensorDataset

    sj.manual_seed(args.seed)
    image_set = args.dataset in IMAGE_SETS
    if args.model is None:
        args.model = "resnet20" if args.dataset == "cifar10" else "mlp"
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
                             args.seed)
    config.model = args.model
    config.hidden = args.hidden or ([100] if image_set else [6])
    config.activation = args.activation or ("relu" if image_set else "tanh")
    # Only the mlp and cnn models have dropout layers: the others record none.
    config.dropout = args.dropout if args.model in ("mlp", "cnn") else 0.0
    config.train = {k: v for k, v in vars(args).items() if k not in ("func", "command")}
    model = build_model(config)
    optimizer = _optimizer(args, model.parameters())
    out = Path(args.out or f"runs/{args.dataset}-{args.model}")
    out.mkdir(parents=True, exist_ok=True)

    if args.augment and image_set:
        black = [-mean / std for mean, std in zip(config.mean, config.std)]
        training_set = AugmentedImages(*splits.train, fill=black)
    else:
        training_set = TensorDataset(*splits.train)
    train_loader = DataLoader(training_set, batch_size=args.batch_size, shuffle=True)
    val_loader = (DataLoader(TensorDataset(*splits.val), batch_size=1024)
                  if splits.val is not None else None)
    callbacks = []
    if args.patience is not None and val_loader is not None:
        callbacks.append(sj.train.EarlyStopping("val_loss", patience=args.patience))
    if val_loader is not None:
        callbacks.append(sj.train.ModelCheckpoint(out / "best.safetensors", "val_loss"))
    size = sum(p.numel() for p in model.parameters())
    if args.model == "mlp":
        layers = "-".join(map(str, [config.in_features, *config.hidden, config.out_features]))
        name = f"{layers} {config.activation} MLP"
    else:
        name = args.model
    print(f"training a {size:,}-parameter {name} on {args.dataset} "
          f"({len(splits.train[1]):,} training samples)", flush=True)
    start = time.perf_counter()
    history = sj.train.fit(model, train_loader, val_loader,
                           loss=sj.nn.functional.cross_entropy, optimizer=optimizer,
                           epochs=args.epochs, callbacks=callbacks,
                           scheduler=_scheduler(args, optimizer), verbose=not args.quiet)
    seconds = time.perf_counter() - start
    test = sj.train.evaluate(model, DataLoader(TensorDataset(*splits.test), batch_size=1024),
                             loss=sj.nn.functional.cross_entropy)
    sj.save(model.state_dict(), out / "model.safetensors")
    config.save(out / "config.json")
    history.save(out / "history.json")
    results = {"test_loss": test["loss"], "test_accuracy": test["accuracy"],
               "epochs": len(history.epochs), "train_seconds": round(seconds, 1)}
    (out / "metrics.json").write_text(json.dumps(results, indent=1))
    print(f"test accuracy {100 * test['accuracy']:.2f} %, test loss {test['loss']:.4f} after "
          f"{len(history.epochs)} epochs in {seconds:.1f} s; wrote {out}/")
    return 0
