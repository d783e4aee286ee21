"""Fidelity: how close synthetic rows are to real ones, column by column,
pair by pair and as a whole (a classifier trying to tell them apart)."""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score

from ._inputs import _encode, _prepare


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    # a missing value is an atom above every number, so the statistic also
    # covers the gap in missing rates (it is at least |rate_a - rate_b|)
    a = np.sort(np.where(np.isnan(a), np.inf, a))
    b = np.sort(np.where(np.isnan(b), np.inf, b))
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, "right") / a.size
    fb = np.searchsorted(b, grid, "right") / b.size
    return float(np.max(np.abs(fa - fb)))


def _tvd(a: np.ndarray, b: np.ndarray) -> float:
    codes, uniques = pd.factorize(np.concatenate([a, b]), use_na_sentinel=False)
    pa = np.bincount(codes[: a.size], minlength=len(uniques)) / a.size
    pb = np.bincount(codes[a.size :], minlength=len(uniques)) / b.size
    return float(0.5 * np.abs(pa - pb).sum())


def marginal_distances(real, synthetic) -> pd.DataFrame:
    """Distance between the real and synthetic distribution of each column.

    Numeric columns: two-sample Kolmogorov-Smirnov statistic (largest gap
    between the empirical CDFs), a missing value counting as a value above
    every number, so a different missing rate raises it too. Categorical,
    string and boolean columns: total variation distance (half the summed
    absolute frequency differences; missing is one more category).

    Returns
    -------
    DataFrame
        One row per column: ``column``, ``kind`` ("numeric"/"categorical"),
        ``metric`` ("ks"/"tvd"), ``distance`` in [0, 1] (0 = same marginal,
        1 = disjoint; lower is better), ``missing_real``, ``missing_synthetic``.
    """
    (r, s), kinds, columns = _prepare({"real": real, "synthetic": synthetic})
    rows = []
    for j, (col, kind) in enumerate(zip(columns, kinds)):
        a, b = r[j].to_numpy(), s[j].to_numpy()
        dist = _ks(a, b) if kind == "numeric" else _tvd(a, b)
        rows.append((col, kind, "ks" if kind == "numeric" else "tvd", dist,
                     float(r[j].isna().mean()), float(s[j].isna().mean())))
    names = ["column", "kind", "metric", "distance", "missing_real", "missing_synthetic"]
    return pd.DataFrame(rows, columns=names)


def _corr(E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    centred = E - E.mean(axis=0)
    std = centred.std(axis=0)
    varying = std > 1e-12
    Z = centred / np.where(varying, std, 1.0)  # a constant dimension correlates 0
    return Z.T @ Z / len(E), varying


def association_difference(real, synthetic) -> float:
    """Mean absolute difference between real and synthetic correlations.

    Both tables are encoded with one codec fitted on their union; Pearson
    correlations are taken between encoded dimensions of *different* columns:
    normal-score correlation for two numeric columns, point-biserial for a
    numeric column and a category indicator, phi coefficient for two category
    indicators (missing flags count as indicators). Pairs within one column
    (fixed by its marginal) and dimensions constant in both tables are left out.

    Returns
    -------
    float
        In [0, 2]; 0 means the same pairwise dependence, lower is better. NaN
        when there is no pair to compare (a single column).
    """
    frames, kinds, _ = _prepare({"real": real, "synthetic": synthetic})
    for name, f in zip(("real", "synthetic"), frames):
        if len(f) < 2:
            raise ValueError(f"{name} has {len(f)} row; correlations need at least 2 rows.")
    (er, es), owner = _encode(frames, frames, kinds)
    (cr, vr), (cs, vs) = _corr(er), _corr(es)
    keep = vr | vs
    i, j = np.triu_indices(len(owner), 1)
    pairs = (owner[i] != owner[j]) & keep[i] & keep[j]
    if not pairs.any():
        return float("nan")
    return float(np.abs(cr - cs)[i[pairs], j[pairs]].mean())


def detection_auc(real, synthetic, *, estimator=None, cv: int = 5, random_state=0) -> float:
    """Classifier two-sample test: can a classifier tell synthetic rows from real?

    Both tables are encoded with one codec fitted on their union, labelled 0
    (real) or 1 (synthetic), and a classifier is cross-validated on them.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``, optional
        Cloned. Default ``RandomForestClassifier(n_estimators=100)``, which also
        sees differences in spread and interactions.
    cv : int, default=5
        Stratified, shuffled folds; each table needs at least ``cv`` rows.
    random_state : int, RandomState or None, default=0
        Seeds the folds and the default forest.

    Returns
    -------
    float
        Mean ROC AUC over folds. 0.5 = indistinguishable (best), 1.0 = every
        synthetic row is recognised. Values a little under 0.5 are noise; far
        under 0.5 means synthetic rows duplicate real ones (each held-out row's
        twin is in the training folds with the other label): check
        :func:`exact_copy_rate`.
    """
    if isinstance(cv, bool) or not isinstance(cv, numbers.Integral) or cv < 2:
        raise ValueError(f"cv must be an int >= 2; got {cv!r}.")
    frames, kinds, _ = _prepare({"real": real, "synthetic": synthetic})
    for name, f in zip(("real", "synthetic"), frames):
        if len(f) < cv:
            raise ValueError(f"{name} has {len(f)} rows, fewer than cv={cv} folds; lower cv.")
    (er, es), _ = _encode(frames, frames, kinds)
    X, y = np.vstack([er, es]), np.r_[np.zeros(len(er)), np.ones(len(es))]
    if estimator is None:
        estimator = RandomForestClassifier(n_estimators=100, random_state=random_state)
    folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    return float(cross_val_score(clone(estimator), X, y, cv=folds, scoring="roc_auc").mean())


def fidelity_report(real, synthetic, *, estimator=None, cv: int = 5, random_state=0) -> dict:
    """:func:`marginal_distances`, :func:`association_difference` and
    :func:`detection_auc` in one dict.

    Returns
    -------
    dict
        ``marginal_mean``, ``marginal_max`` and ``association_difference``
        (lower is better), ``detection_auc`` (0.5 is best).
    """
    marg = marginal_distances(real, synthetic)["distance"]
    return {
        "marginal_mean": float(marg.mean()),
        "marginal_max": float(marg.max()),
        "association_difference": association_difference(real, synthetic),
        "detection_auc": detection_auc(real, synthetic, estimator=estimator, cv=cv,
                                       random_state=random_state),
    }
