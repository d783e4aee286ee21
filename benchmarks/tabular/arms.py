"""Augmentation arms: the registry ``ARMS`` (name -> :class:`Arm`).

An arm either *augments* (returns synthetic rows; the runner trains every
downstream model on real + synthetic rows, so a generator is fitted once per
(dataset, k, seed) and its rows are reused) or *wraps* the downstream model
(``augmented-classifier``: the arm is an estimator that augments inside its
own ``fit``). A new synthaug model becomes an arm by one line in
``SYNTHAUG_MODELS``; any other arm by one :func:`register` call. The runner
only walks the registry.

Every arm adds ``round(ratio * n_c)`` rows to each class ``c`` (1:1 by
default), so the arms differ in how rows are made, not how many.
"""
from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from .datasets import Dataset

#: synthaug estimators benchmarked at their defaults (plus the run's epoch
#: budget); an arm is registered for each one the installed synthaug has.
SYNTHAUG_MODELS = {"tabular-vae": "TabularVAE", "tabular-gan": "TabularGAN"}

# Standard deviations of Gaussian jitter, in units of each numeric column's
# training standard deviation (i.e. jitter after scaling).
NOISE_SIGMA = 0.1
TARGET = "__target__"  # label column name for the peers, which model X and y jointly


@dataclass
class Cell:
    """One (dataset, k, seed) split's training rows and the run's budget."""

    ds: Dataset
    X: pd.DataFrame
    y: np.ndarray
    seed: int
    epochs: int | None = None  # None: every generator's own default
    ratio: float = 1.0
    throughput_rows: int = 5000

    def wanted(self) -> dict:
        """Synthetic rows per class: ``round(ratio * n_c)``."""
        classes, counts = np.unique(self.y, return_counts=True)
        return {c: int(round(self.ratio * n)) for c, n in zip(classes.tolist(), counts)}


@dataclass
class Synthetic:
    """An augmenting arm's output: synthetic rows plus cost measurements."""

    X: pd.DataFrame
    y: np.ndarray
    fit_s: float
    rows_per_s: float = np.nan


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


ARMS: dict[str, Arm] = {}


def register(arm: Arm) -> Arm:
    """Add ``arm`` to :data:`ARMS` (replacing one of the same name)."""
    if (arm.augment is None) == (arm.wrap is None):
        raise ValueError(f"arm {arm.name!r} needs exactly one of augment and wrap.")
    ARMS[arm.name] = arm
    return arm


# ------------------------------------------------------------------ helpers
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


def _pick_per_class(cell: Cell, rng) -> np.ndarray:
    """Row indices drawn with replacement within each class (random oversampling)."""
    picks = [
        rng.choice(np.flatnonzero(cell.y == c), size=n, replace=True)
        for c, n in cell.wanted().items()
    ]
    return np.concatenate(picks)


def _empty(cell: Cell) -> Synthetic:
    return Synthetic(cell.X.iloc[:0], cell.y[:0], 0.0)


# -------------------------------------------------------------- baselines
def _duplicate(cell: Cell) -> Synthetic:
    t0 = time.perf_counter()
    idx = _pick_per_class(cell, np.random.default_rng(cell.seed))
    X = cell.X.iloc[idx].reset_index(drop=True)
    return Synthetic(X, cell.y[idx], time.perf_counter() - t0)


def _noise(cell: Cell) -> Synthetic:
    t0 = time.perf_counter()
    rng = np.random.default_rng(cell.seed)
    idx = _pick_per_class(cell, rng)
    X = cell.X.iloc[idx].reset_index(drop=True)
    num = cell.ds.numeric
    scale = cell.X[num].std(ddof=0).fillna(0.0).to_numpy()
    X[num] = X[num].astype(np.float64) + rng.normal(size=(len(X), len(num))) * NOISE_SIGMA * scale
    return Synthetic(X, cell.y[idx], time.perf_counter() - t0)


def _smote(cell: Cell) -> Synthetic:
    from imblearn.over_sampling import SMOTE, SMOTENC

    t0 = time.perf_counter()
    X = impute(cell)  # SMOTE cannot interpolate a missing value
    classes, counts = np.unique(cell.y, return_counts=True)
    target = {c: int(n) + cell.wanted()[c] for c, n in zip(classes.tolist(), counts)}
    k = int(max(1, min(5, counts.min() - 1)))  # tiny classes have few neighbours
    if cell.ds.categorical:
        cats = [X.columns.get_loc(c) for c in cell.ds.categorical]
        sm = SMOTENC(cats, sampling_strategy=target, k_neighbors=k, random_state=cell.seed)
    else:
        sm = SMOTE(sampling_strategy=target, k_neighbors=k, random_state=cell.seed)
    X_res, y_res = sm.fit_resample(X, cell.y)
    # imbalanced-learn returns the real rows first, then the new ones
    n = len(X)
    X_syn = pd.DataFrame(X_res).iloc[n:].reset_index(drop=True)
    return Synthetic(X_syn, np.asarray(y_res)[n:], time.perf_counter() - t0)


# ------------------------------------------------------- synthaug models
def _synthaug_params(cls, cell: Cell) -> dict:
    params = {"random_state": cell.seed}
    if cell.epochs is not None and "epochs" in cls().get_params():
        params["epochs"] = cell.epochs
    return params


def synthaug_augment(class_name: str) -> Callable:
    """An ``augment`` function for the synthaug estimator ``class_name``."""

    def augment(cell: Cell) -> Synthetic:
        import synthaug

        cls = getattr(synthaug, class_name)
        model = cls(**_synthaug_params(cls, cell))
        t0 = time.perf_counter()
        model.fit(cell.X, cell.y)
        fit_s = time.perf_counter() - t0
        X_syn, y_syn = model.sample(y=cell.wanted())
        # throughput on a fixed, larger draw: a handful of rows measures overhead
        t0 = time.perf_counter()
        model.sample(cell.throughput_rows, random_state=cell.seed + 1)
        rate = cell.throughput_rows / (time.perf_counter() - t0)
        return Synthetic(X_syn, np.asarray(y_syn), fit_s, rate)

    augment.__name__ = f"augment_{class_name}"
    return augment


def _vae_resample(cell: Cell) -> Synthetic:
    """TabularVAE().fit_resample at its defaults (sampling_strategy="auto":
    every class up to the largest; a balanced split gets no rows)."""
    from synthaug import TabularVAE

    model = TabularVAE(**_synthaug_params(TabularVAE, cell))
    t0 = time.perf_counter()
    X_res, y_res = model.fit_resample(cell.X, cell.y)
    n = len(cell.X)  # real rows first, unchanged
    return Synthetic(X_res.iloc[n:].reset_index(drop=True), np.asarray(y_res)[n:],
                     time.perf_counter() - t0)


def _augmented_classifier(estimator, cell: Cell):
    from synthaug import TabularVAE
    from synthaug.selection import AugmentedClassifier

    vae = TabularVAE(**_synthaug_params(TabularVAE, cell))
    return AugmentedClassifier(estimator, vae, ratio="auto", random_state=cell.seed)


# ------------------------------------------------------------------ peers
def peer_augment(kind: str) -> Callable:
    """An ``augment`` function for ctgan's ``CTGAN`` or ``TVAE``.

    The peers model X and the label jointly (the label is one more discrete
    column). CTGAN is sampled with its conditional vector set to each class;
    TVAE has no conditioning and is sampled unconditionally. Either way only
    rows whose generated label is the wanted one are kept (at most 10 rounds),
    so a peer that never generates a class returns fewer rows, which shows in
    ``n_synthetic``. The peers cannot take missing values: they get the
    training-row imputation of :func:`impute`.
    """

    def augment(cell: Cell) -> Synthetic:
        import ctgan

        data = impute(cell)
        labels = {str(c): c for c in np.unique(cell.y).tolist()}
        data[TARGET] = [str(c) for c in cell.y.tolist()]
        model = getattr(ctgan, kind)(epochs=300 if cell.epochs is None else cell.epochs)
        model.set_random_state(cell.seed)
        t0 = time.perf_counter()
        model.fit(data, discrete_columns=[*cell.ds.categorical, TARGET])
        fit_s = time.perf_counter() - t0
        parts = _peer_rows(model, kind, cell.wanted())
        t0 = time.perf_counter()
        model.sample(cell.throughput_rows)
        rate = cell.throughput_rows / (time.perf_counter() - t0)
        syn = pd.concat(parts, ignore_index=True) if parts else data.iloc[:0]
        y_syn = np.array([labels[s] for s in syn.pop(TARGET)], dtype=cell.y.dtype)
        return Synthetic(syn, y_syn, fit_s, rate)

    augment.__name__ = f"augment_{kind}"
    return augment


def _peer_rows(model, kind: str, wanted: dict, rounds: int = 10) -> list:
    need = {str(c): n for c, n in wanted.items() if n > 0}
    parts = []
    for _ in range(rounds):
        if not need:
            break
        if kind == "CTGAN":
            draws = [
                model.sample(max(2 * n, 50), condition_column=TARGET, condition_value=c)
                for c, n in need.items()
            ]
        else:
            draws = [model.sample(max(2 * sum(need.values()), 100))]
        for df in draws:
            df = df.astype({TARGET: str})
            for c in list(need):
                rows = df[df[TARGET] == c].iloc[: need[c]]
                parts.append(rows)
                need[c] -= len(rows)
                if need[c] == 0:
                    del need[c]
    return parts


# --------------------------------------------------------------- registry
register(Arm("none", "real rows only", augment=_empty))
register(Arm("duplicate", "random oversampling: real rows drawn with replacement per class",
             augment=_duplicate))
register(Arm("smote", "imbalanced-learn SMOTE (SMOTENC for mixed types), k_neighbors <= 5",
             augment=_smote, requires=("imblearn",)))
register(Arm("noise", f"random oversampling + Gaussian jitter, sigma = {NOISE_SIGMA} "
             "training std per numeric column", augment=_noise))
for _name, _cls in SYNTHAUG_MODELS.items():
    import synthaug as _synthaug

    if hasattr(_synthaug, _cls):
        register(Arm(_name, f"synthaug.{_cls} at its defaults", augment=synthaug_augment(_cls),
                     trains=True))
register(Arm("vae-resample", 'synthaug.TabularVAE().fit_resample at its defaults '
             '(balances classes; adds nothing to a balanced split)', augment=_vae_resample,
             trains=True))
register(Arm("augmented-classifier",
             'synthaug.AugmentedClassifier(model, TabularVAE(), ratio="auto")',
             wrap=_augmented_classifier, requires=("synthaug.selection",), trains=True))
register(Arm("ctgan", "ctgan.CTGAN, conditional sampling by class",
             augment=peer_augment("CTGAN"), requires=("ctgan",), trains=True))
register(Arm("tvae", "ctgan.TVAE, unconditional sampling filtered by class",
             augment=peer_augment("TVAE"), requires=("ctgan",), trains=True))
