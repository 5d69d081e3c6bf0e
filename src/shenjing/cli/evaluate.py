"""``shenjing eval``: the test loss and accuracy of a trained run; for a charlm run its
validation loss per character."""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("run", help="a run folder written by `shenjing train`")
    parser.add_argument("--data", default=None,
                        help="data folder (default: the one the run was trained with, else "
                             "$SHENJING_DATA or ~/.cache/shenjing)")


def load_run(folder: Path):
    """The model of a run folder, with its trained weights, and its config."""
    from shenjing.cli.run_folder import MODEL, finished, read_weights, unfinished_message
    from shenjing.cli.tasks import Config, build_model

    config = Config.load(folder / "config.json")
    if not finished(folder):
        raise ValueError(unfinished_message(folder, config.dataset))
    model = build_model(config)
    try:
        model.load_state_dict(read_weights(folder / MODEL))
    except RuntimeError as exc:
        raise ValueError(f"{folder}: the weights do not fit its config.json ({exc})") from None
    return model.eval(), config


def run(args) -> int:
    import shenjing as sj
    from shenjing.cli.run_folder import read_json
    from shenjing.cli.tasks import IMAGE_SETS, TEXT_TASKS, ImageSet, data_folder, load_images
    from shenjing.data import DataLoader

    folder = Path(args.run)
    if (read_json(folder / "config.json") or {}).get("dataset") in TEXT_TASKS:
        from shenjing.cli.tasks import evaluate_charlm

        scores = evaluate_charlm(folder, args.data)
        print(f"charlm validation text ({scores['characters']:,} characters): loss "
              f"{scores['loss']:.4f} nats/char ({scores['bpc']:.4f} bits/char)")
        return 0
    model, config = load_run(folder)
    train = config.train
    if config.dataset in IMAGE_SETS:
        images, labels, _ = load_images(config.dataset, data_folder(args.data, train.get("data")),
                                        train=False)
        if train.get("limit"):  # the same test subset that `train` reported on
            images, labels = images[: train["limit"]], labels[: train["limit"]]
        test = ImageSet(images, labels, config)
    else:
        from shenjing.cli.tasks import prepare

        splits, _ = prepare(config.dataset, None, limit=train.get("limit"),
                            noise=train.get("noise"), seed=train.get("seed", 0))
        test = splits.test
    scores = sj.train.evaluate(model, DataLoader(test, batch_size=1024),
                               loss=sj.nn.functional.cross_entropy)
    print(f"{config.dataset} test set ({len(test):,} samples): accuracy "
          f"{100 * scores['accuracy']:.2f} %, loss {scores['loss']:.4f}")
    return 0
