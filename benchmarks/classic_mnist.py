"""The classic baselines on real MNIST: k-nearest neighbours and linear classifiers.

1. KNN (L2 on raw pixels): k chosen by 5-fold cross-validation on a random subset of the training
   set (20,000 images by default), then the 10,000 test images classified against all 60,000
   training images in blocks of at most ``--max-memory-mb``. Prints the cross-validation table,
   the test accuracy, the time and the peak resident memory of the process (getrusage).
2. Linear classifiers on pixels / 255 minus the mean training image: softmax and multiclass SVM,
   trained by mini-batch SGD for 10 epochs. Prints test accuracy and time.

    python benchmarks/classic_mnist.py [--data ../shared/data] [--part knn linear]
        [--metric l2] [--cv-subset 20000] [--folds 5] [--ks 1 2 3 4 5 6 7 8 9 10]
        [--test-subset 10000] [--max-memory-mb 256]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

import shenjing as sj

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports kilobytes)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def load(data: str):
    train = sj.datasets.MNIST(data, train=True)
    test = sj.datasets.MNIST(data, train=False)
    return train.data.numpy(), train.targets.numpy(), test.data.numpy(), test.targets.numpy()


def knn(args, x_train, y_train, x_test, y_test) -> None:
    max_memory = args.max_memory_mb * 2**20
    subset = np.random.default_rng(0).permutation(len(y_train))[:args.cv_subset]
    print(f"KNN, {args.metric}: choosing k by {args.folds}-fold cross-validation on "
          f"{len(subset):,} training images (random subset, seed 0)")
    start = time.perf_counter()
    selection = sj.classic.select_k(x_train[subset], y_train[subset], ks=args.ks,
                                    folds=args.folds, metric=args.metric,
                                    max_memory=max_memory, seed=0)
    cv_time = time.perf_counter() - start
    print(selection.table())
    print(f"cross-validation: {cv_time:.1f} s for all {len(args.ks)} values of k")

    k = selection.best_k
    x_test, y_test = x_test[:args.test_subset], y_test[:args.test_subset]
    start = time.perf_counter()
    model = sj.classic.KNearestNeighbors(k=k, metric=args.metric, max_memory=max_memory)
    accuracy = model.fit(x_train, y_train).score(x_test, y_test)
    test_time = time.perf_counter() - start
    print(f"KNN k={k} ({args.metric}), {len(y_train):,} training images -> "
          f"{len(y_test):,} test images: "
          f"test accuracy {100 * accuracy:.2f} %, {test_time:.1f} s, "
          f"peak RSS {peak_rss_mb():.0f} MB (blocks of at most {args.max_memory_mb} MB)")


def linear(args, x_train, y_train, x_test, y_test) -> None:
    x_train = x_train.astype(np.float32) / 255
    x_test = x_test.astype(np.float32) / 255
    mean = x_train.mean(axis=0)  # the mean image, subtracted as in the notes
    x_train -= mean
    x_test -= mean
    runs = [("softmax", {"lr": 0.1, "reg": 1e-4}), ("svm", {"lr": 0.01, "reg": 1e-4})]
    for loss, settings in runs:
        start = time.perf_counter()
        model = sj.classic.LinearClassifier(loss, epochs=10, batch_size=200, momentum=0.9,
                                            seed=0, **settings)
        model.fit(x_train, y_train)
        fit_time = time.perf_counter() - start
        print(f"linear {loss:7s} (lr {settings['lr']}, reg {settings['reg']}, momentum 0.9, "
              f"batch 200, 10 epochs): train {100 * model.score(x_train, y_train):.2f} %, "
              f"test {100 * model.score(x_test, y_test):.2f} %, {fit_time:.1f} s, "
              f"final loss {model.loss_history_[-1]:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--part", nargs="+", choices=["knn", "linear"], default=["knn", "linear"])
    parser.add_argument("--metric", choices=["l2", "l1"], default="l2")
    parser.add_argument("--cv-subset", type=int, default=20_000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--ks", type=int, nargs="+", default=list(range(1, 11)))
    parser.add_argument("--test-subset", type=int, default=10_000,
                        help="KNN: classify only the first N test images (L1 is slow)")
    parser.add_argument("--max-memory-mb", type=int, default=256)
    args = parser.parse_args()
    arrays = load(args.data)
    print(f"MNIST loaded: peak RSS {peak_rss_mb():.0f} MB")
    if "knn" in args.part:
        knn(args, *arrays)
    if "linear" in args.part:
        linear(args, *arrays)


if __name__ == "__main__":
    main()
