"""Image data: digits 8x8 (scikit-learn) and Fashion-MNIST 28x28 (Debian
package ``dataset-fashion-mnist``), and the per-cell split."""
from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..common.draws import draw

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


def load_digits_images():
    """Digits as float32 ``(N, 1, 8, 8)`` in [0, 1]; every undrawn image is test."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images[:, None] / 16.0).astype(np.float32), d.target.astype(np.int64)


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion_available() -> bool:
    return (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file()


def load_fashion(n_test: int):
    """Fashion-MNIST from the Debian package: the training pool and a fixed
    stratified test subset, images float32 ``(N, 1, 28, 28)`` in [0, 1]."""
    X = _read_idx(FASHION_DIR / "train-images-idx3-ubyte.gz")
    y = _read_idx(FASHION_DIR / "train-labels-idx1-ubyte.gz").astype(np.int64)
    Xt = _read_idx(FASHION_DIR / "t10k-images-idx3-ubyte.gz")
    yt = _read_idx(FASHION_DIR / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    rng = np.random.default_rng(12345)  # fixed: the same test images in every run
    per = n_test // 10
    keep = np.sort(np.concatenate([rng.choice(np.flatnonzero(yt == c), per, replace=False)
                                   for c in range(10)]))
    to_float = lambda a: (a[:, None] / 255.0).astype(np.float32)  # noqa: E731
    return to_float(X), y, to_float(Xt[keep]), yt[keep]


def split(dataset: str, data, k: int, seed: int):
    """``(X_train, y_train, X_test, y_test)`` for one cell."""
    if dataset == "digits":
        X, y = data
        tr, te = draw(y, k, seed)
        return X[tr], y[tr], X[te], y[te]
    X, y, Xt, yt = data
    tr, _ = draw(y, k, seed)
    return X[tr], y[tr], Xt, yt


@lru_cache(maxsize=None)
def load(dataset: str, fashion_test: int):
    """A dataset's arrays, once per process: ``(X, y)`` for digits,
    ``(X, y, X_test, y_test)`` for Fashion-MNIST."""
    return load_digits_images() if dataset == "digits" else load_fashion(fashion_test)
