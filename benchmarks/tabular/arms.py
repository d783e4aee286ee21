"""Augmentation arms: the registry ``ARMS`` (name -> :class:`Arm`).

An arm either *augments* (returns synthetic rows; the runner trains every
downstream model on real + synthetic rows, so a generator is fitted once per
(dataset, k, seed) and its rows are reused) or *wraps* the downstream model
(``augmented-classifier``: the arm is an estimator that augments inside its
own ``fit``). A new synthaug model becomes an arm by one line in
``SYNTHAUG_MODELS``; any other arm by one :func:`register` call. The runner
only walks the registry.

Every arm adds ``round(ratio * n_c)`` rows to each class ``c`` (1:1 by
default), so the arms differ in how rows are made, not how many; the ceiling
``real-2x`` adds ``n_c`` more real rows whatever the ratio (it is what
doubling the real data buys).
"""
from __future__ import annotations

import copy
import time
from typing import Callable

import numpy as np
import pandas as pd

from .base import TARGET, Arm, Cell, Skipped, Synthetic, impute  # noqa: F401 (re-exported)
from .peers import FOREST_FLOW, forest_flow_augment, gaussian_copula_augment, peer_augment

#: synthaug estimators benchmarked at their defaults (plus the run's epoch
#: budget); an arm is registered for each one the installed synthaug has.
SYNTHAUG_MODELS = {"tabular-vae": "TabularVAE", "tabular-gan": "TabularGAN"}

# Standard deviations of Gaussian jitter, in units of each numeric column's
# training standard deviation (i.e. jitter after scaling).
NOISE_SIGMA = 0.1


ARMS: dict[str, Arm] = {}


def register(arm: Arm) -> Arm:
    """Add ``arm`` to :data:`ARMS` (replacing one of the same name)."""
    if (arm.augment is None) == (arm.wrap is None):
        raise ValueError(f"arm {arm.name!r} needs exactly one of augment and wrap.")
    ARMS[arm.name] = arm
    return arm


# ------------------------------------------------------------------ helpers
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
def _real_2x(cell: Cell) -> Synthetic:
    """The ceiling: more *real* rows, as many per class as the training draw."""
    if cell.X_extra is None:
        raise Skipped(cell.extra_note or "no extra rows drawn")
    return Synthetic(cell.X_extra.reset_index(drop=True), np.asarray(cell.y_extra), 0.0)


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


def _fitted(class_name: str, cell: Cell):
    """The synthaug model ``class_name`` at its defaults, fitted on the cell's
    rows once (later arms of the cell reuse it), and its fit seconds."""
    if class_name not in cell.fitted:
        import synthaug

        cls = getattr(synthaug, class_name)
        model = cls(**_synthaug_params(cls, cell))
        t0 = time.perf_counter()
        model.fit(cell.X, cell.y)
        cell.fitted[class_name] = (model, time.perf_counter() - t0)
    return cell.fitted[class_name]


def synthaug_augment(class_name: str, curate: bool = False) -> Callable:
    """An ``augment`` function for the synthaug estimator ``class_name``;
    ``curate``: its rows sampled with curation (on the same fitted model)."""

    def augment(cell: Cell) -> Synthetic:
        fitted, fit_s = _fitted(class_name, cell)
        # a copy set to curate, so that AugmentedDataset (the MLP's path)
        # samples curated rows too; the plain arm's model stays as it is
        model = copy.deepcopy(fitted).set_params(curate=True) if curate else fitted
        X_syn, y_syn = model.sample(y=cell.wanted())
        # throughput on a fixed, larger draw: a handful of rows measures overhead
        t0 = time.perf_counter()
        model.sample(cell.throughput_rows, random_state=cell.seed + 1)
        rate = cell.throughput_rows / (time.perf_counter() - t0)
        return Synthetic(X_syn, np.asarray(y_syn), fit_s, rate, generator=model)

    augment.__name__ = f"augment_{class_name}{'_curated' if curate else ''}"
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
    """AugmentedClassifier at its defaults: it chooses among its "auto"
    candidates (SMOTE, TabularVAE and TabularGAN with and without curation)
    and ratios, or none. The run's epoch budget is not passed on: the
    candidates are at their own defaults, as a user gets them."""
    from synthaug.selection import AugmentedClassifier

    return AugmentedClassifier(estimator, random_state=cell.seed)


def _augmented_classifier_vae(estimator, cell: Cell):
    """The earlier default: AugmentedClassifier around TabularVAE alone
    (n_repeats=2 as then), for runs compared with the ac_* runs."""
    from synthaug import TabularVAE
    from synthaug.selection import AugmentedClassifier

    vae = TabularVAE(**_synthaug_params(TabularVAE, cell))
    return AugmentedClassifier(estimator, vae, ratio="auto", n_repeats=2,
                               random_state=cell.seed)


# --------------------------------------------------------------- registry
register(Arm("none", "real rows only", augment=_empty))
register(Arm("real-2x", "the ceiling: k more real rows per class (the same stratified count "
             "for imbalanced data), drawn from rows no arm trains or tests on", augment=_real_2x))
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
        register(Arm(f"{_name}-curated", f"synthaug.{_cls} at its defaults, sampled with "
                     "curate=True (the same fitted model as its plain arm)",
                     augment=synthaug_augment(_cls, curate=True), trains=True))
register(Arm("vae-resample", 'synthaug.TabularVAE().fit_resample at its defaults '
             '(balances classes; adds nothing to a balanced split)', augment=_vae_resample,
             trains=True))
register(Arm("augmented-classifier",
             'synthaug.AugmentedClassifier(model) at its defaults (augmenter="auto": chooses '
             "among SMOTE, TabularVAE and TabularGAN with and without curation, or none)",
             wrap=_augmented_classifier, requires=("synthaug.selection",), trains=True))
register(Arm("augmented-classifier-vae",
             'synthaug.AugmentedClassifier(model, TabularVAE(), n_repeats=2): the default '
             "until issue 13", wrap=_augmented_classifier_vae, requires=("synthaug.selection",),
             trains=True))
register(Arm("ctgan", "ctgan.CTGAN, conditional sampling by class",
             augment=peer_augment("CTGAN"), requires=("ctgan",), trains=True))
register(Arm("tvae", "ctgan.TVAE, unconditional sampling filtered by class",
             augment=peer_augment("TVAE"), requires=("ctgan",), trains=True))
register(Arm("forest-flow", "ForestDiffusion's Forest-Flow (flow, XGBoost), label-conditional, "
             + ", ".join(f"{k}={v}" for k, v in FOREST_FLOW.items()),
             augment=forest_flow_augment, requires=("ForestDiffusion",)))
register(Arm("gaussian-copula", "SDV's GaussianCopulaSynthesizer at its defaults, explicit "
             "metadata, per-class rows from sample_from_conditions", augment=gaussian_copula_augment,
             requires=("sdv",)))
