"""What an arm is and what it gets: :class:`Arm`, :class:`Cell`, :class:`Synthetic`.

The registry (:mod:`.arms`) and the peers (:mod:`.peers`) both build on
these, so they live apart from either.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from .datasets import Dataset

TARGET = "__target__"  # label column name for the peers, which model X and y jointly


class Skipped(Exception):
    """An arm that cannot run on this cell by design (not a failure): its
    rows carry ``status = "skipped: <reason>"``."""


@dataclass
class Cell:
    """One (dataset, k, seed) split's training rows and the run's budget.

    ``X_extra`` / ``y_extra`` are the ceiling's extra real rows (a second
    draw of the training rows' size, removed from every arm's test set);
    None when the run has no ``real-2x`` arm or the cell cannot spare them,
    and then ``extra_note`` says why.
    """

    ds: Dataset
    X: pd.DataFrame
    y: np.ndarray
    seed: int
    epochs: int | None = None  # None: every generator's own default
    ratio: float = 1.0
    throughput_rows: int = 5000
    X_extra: pd.DataFrame | None = None
    y_extra: np.ndarray | None = None
    extra_note: str = ""
    # synthaug models fitted in this cell, by class name, with their fit
    # seconds: an arm that samples the same model otherwise (curated) reuses
    # the fit, as every downstream model reuses an arm's rows
    fitted: dict = field(default_factory=dict)

    def wanted(self) -> dict:
        """Synthetic rows per class: ``round(ratio * n_c)``."""
        classes, counts = np.unique(self.y, return_counts=True)
        return {c: int(round(self.ratio * n)) for c, n in zip(classes.tolist(), counts)}


@dataclass
class Synthetic:
    """An augmenting arm's output: synthetic rows plus cost measurements.

    ``generator`` is the fitted synthaug model behind the rows, when there
    is one: the MLP then trains through ``synthaug.AugmentedDataset`` on
    fresh draws of it instead of on these fixed rows.
    """

    X: pd.DataFrame
    y: np.ndarray
    fit_s: float
    rows_per_s: float = np.nan
    generator: object = None


@dataclass(frozen=True)
class Arm:
    """A registered arm. Exactly one of ``augment`` and ``wrap`` is set.

    Attributes
    ----------
    augment : callable(Cell) -> Synthetic
    wrap : callable(estimator, Cell) -> estimator
    requires : module names that must be importable (benchmark extras)
    trains : whether the arm trains a generator (and so takes the epoch budget)
    """

    name: str
    description: str
    augment: Callable | None = None
    wrap: Callable | None = None
    requires: tuple = field(default=())
    trains: bool = False

    def available(self) -> bool:
        """Whether every module in ``requires`` can be imported."""
        return all(importlib.util.find_spec(m) is not None for m in self.requires)


def impute(cell: Cell) -> pd.DataFrame:
    """Training-row imputation for arms that cannot take missing values.

    Median for numeric columns, a "missing" category for categorical ones
    (the same category the downstream preprocessing uses).
    """
    X = cell.X.copy()
    for c in cell.ds.numeric:
        X[c] = X[c].fillna(X[c].median() if X[c].notna().any() else 0.0)
    for c in cell.ds.categorical:
        X[c] = X[c].where(X[c].notna(), "missing")
    return X
