"""Quality metrics for synthetic tables: fidelity, utility and privacy.

Every function takes numpy arrays or pandas DataFrames with numeric,
categorical, string and boolean columns and missing values, checks that the
tables share their columns (DataFrame columns are matched by name, arrays by
position) and never modifies its inputs. Where a geometry is needed, rows are
compared on the :class:`~synthaug.codecs.tabular.TabularCodec` encoding:
numeric columns as normal scores (rank-based quantile transform), categorical
columns one-hot, a missing value as its own flag or category.

===========================  ==========  ========================================
number                       best        meaning
===========================  ==========  ========================================
marginal distance (KS, TVD)  0           per-column distribution gap, in [0, 1]
association difference       0           gap between pairwise correlations
detection AUC                0.5         1 = a classifier tells synthetic rows apart
TSTR / TRTR score            higher      downstream score on real test rows
augmentation gain            above 0     score(real + synthetic) - score(real)
distance to closest record   as holdout  synthetic row to nearest training row
exact copy rate              0           share of synthetic rows copying training
===========================  ==========  ========================================
"""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import NearestNeighbors

from .codecs.tabular import TabularCodec

__all__ = [
    "marginal_distances", "association_difference", "detection_auc", "fidelity_report",
    "tstr", "trtr", "augmentation_gain",
    "distance_to_closest_record", "exact_copy_rate", "privacy_report",
]

_NUMERIC = {"integer", "floating", "mixed-integer-float", "decimal"}
_CATEGORICAL = {"string", "boolean", "categorical", "bytes"}


# --------------------------------------------------------------- input handling
def _as_frame(X, name: str) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X
        if frame.columns.has_duplicates:
            raise ValueError(f"{name} has duplicate column names; make them unique.")
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be 2-dimensional (n_samples, n_features); got "
                             f"shape {arr.shape}. Reshape one feature with X.reshape(-1, 1).")
        frame = pd.DataFrame(arr.astype(object) if arr.dtype.kind in "US" else arr)
    if frame.shape[0] < 1 or frame.shape[1] < 1:
        raise ValueError(f"{name} has shape {frame.shape}; pass at least one row and column.")
    return frame.reset_index(drop=True)


def _align(named: dict) -> list[pd.DataFrame]:
    """Frames with the first table's columns, in its order (arrays: by position)."""
    (ref_name, ref_X), *rest = named.items()
    ref = _as_frame(ref_X, ref_name)
    columns = list(ref.columns)
    frames = [ref]
    for name, X in rest:
        frame = _as_frame(X, name)
        if isinstance(ref_X, pd.DataFrame) and isinstance(X, pd.DataFrame):
            absent = [c for c in columns if c not in frame.columns]
            extra = [c for c in frame.columns if c not in set(columns)]
            if absent or extra:
                raise ValueError(f"{name} columns differ from those of {ref_name}: missing "
                                 f"{absent}, unexpected {extra}. Pass the same columns.")
            frame = frame[columns]
        elif frame.shape[1] != len(columns):
            raise ValueError(f"{name} has {frame.shape[1]} columns but {ref_name} has "
                             f"{len(columns)}; pass tables with the same columns.")
        else:
            frame = frame.set_axis(columns, axis=1)
        frames.append(frame)
    return frames


def _kind(s: pd.Series, name: str, col) -> str:
    # all missing (any dtype): takes the kind the other tables give the column
    kind = infer_dtype(s, skipna=True) if s.notna().any() else "empty"
    if kind in _NUMERIC:
        if np.isinf(_numeric(s)).any():
            raise ValueError(f"{name} column {col!r} contains inf; replace infinite values.")
        return "numeric"
    if kind in _CATEGORICAL or kind == "empty":
        return "categorical" if kind != "empty" else kind
    raise TypeError(f"{name} column {col!r} holds {kind!r} values; make every column "
                    "all numbers or all strings/booleans/categories.")


def _numeric(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s).to_numpy(dtype=np.float64, na_value=np.nan, copy=True)


def _prepare(named: dict) -> tuple[list[pd.DataFrame], list[str], list]:
    """Aligned tables as new frames with positional columns (numeric: float64,
    categorical: object with None for missing), each column's kind, its name."""
    frames = _align(named)
    columns, names = list(frames[0].columns), list(named)
    kinds, out = [], [dict() for _ in frames]
    for j, col in enumerate(columns):
        found = {n: _kind(f.iloc[:, j], n, col) for n, f in zip(names, frames)}
        seen = sorted(set(found.values()) - {"empty"})
        if len(seen) > 1:
            by = ", ".join(f"{k} in {n}" for n, k in found.items() if k != "empty")
            raise ValueError(f"column {col!r} is {by}; give it one type in every table.")
        kind = seen[0] if seen else "categorical"
        for d, f in zip(out, frames):
            s = f.iloc[:, j]
            if kind == "numeric":
                d[j] = pd.Series(_numeric(s))
            else:
                v = s.to_numpy(dtype=object)
                d[j] = pd.Series(np.where(pd.isna(v), None, v), dtype=object)
        kinds.append(kind)
    return [pd.DataFrame(d) for d in out], kinds, columns


def _encode(fit: list, frames: list, kinds: list) -> tuple[list[np.ndarray], np.ndarray]:
    """Codec encodings of ``frames`` with the codec fitted on the rows of ``fit``.

    Categories and missing values that occur only in ``frames`` are taught to the
    codec through padding rows that are missing in every numeric column, so the
    quantiles still come from ``fit`` alone. Also returns, per encoded dimension,
    the index of the column it belongs to.
    """
    base = pd.concat(fit, ignore_index=True)
    novel, need_pad = {}, False
    for j, kind in enumerate(kinds):
        base_missing = base[j].isna().any()
        need_pad |= any(f[j].isna().any() and not base_missing for f in frames)
        if kind == "categorical":
            known = pd.Index(base[j].dropna().unique(), dtype=object)
            vals = pd.unique(np.concatenate([f[j].dropna().to_numpy(object) for f in frames]))
            novel[j] = list(vals[~pd.Index(vals, dtype=object).isin(known)])
            need_pad |= bool(novel[j])
    if need_pad:
        m = max([1] + [len(v) for v in novel.values()])
        pad = {j: pd.Series(novel[j] + [None] * (m - len(novel[j])), dtype=object)
               if kind == "categorical" else pd.Series(np.full(m, np.nan))
               for j, kind in enumerate(kinds)}
        base = pd.concat([base, pd.DataFrame(pad)], ignore_index=True)
    for j, kind in enumerate(kinds):
        if kind == "categorical":  # a category dtype keeps numbers-as-labels categorical
            base[j] = pd.Categorical(base[j].to_numpy(dtype=object))
    codec = TabularCodec().fit(base)
    widths = [len(c.categories) + c.has_missing if c.kind == "categorical"
              else 1 + 2 * c.has_missing for c in codec.columns_]
    return [codec.transform(f) for f in frames], np.repeat(np.arange(len(widths)), widths)


def _labels(y, n_rows: int, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1 or len(arr) != n_rows:
        raise ValueError(f"{name} has shape {arr.shape}; pass one label per row of its X "
                         f"({n_rows} rows).")
    return arr


# --------------------------------------------------------------------- fidelity
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


# ---------------------------------------------------------------------- utility
def _concat(parts: list):
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], pd.DataFrame):
        return pd.concat(parts, ignore_index=True)
    if len({p.dtype for p in parts}) > 1:
        parts = [p.astype(object) for p in parts]
    return np.concatenate(parts)


def _fit_score(estimator, train: dict, test: dict, scoring, encode: bool) -> float:
    """Fit a clone on all (X, y) of ``train``, score it on the one of ``test``."""
    named = {k: xy[0] for k, xy in {**train, **test}.items()}
    frames = _align(named)
    ys = [_labels(y, len(f), k.replace("X_", "y_"))
          for (k, (_, y)), f in zip({**train, **test}.items(), frames)]
    if encode:
        frames, kinds, _ = _prepare(named)
        Xs, _ = _encode(frames[:-1], frames, kinds)
    elif any(isinstance(X, pd.DataFrame) for X in named.values()):
        Xs = frames
    else:
        Xs = [np.asarray(X) for X in named.values()]
    est = clone(estimator).fit(_concat(Xs[:-1]), _concat(ys[:-1]))
    return float(get_scorer(scoring)(est, Xs[-1], ys[-1]))


_UTILITY_PARAMS = """
    X_train, X_syn, X_test : ndarray or DataFrame
        Real training, synthetic and real test rows, with the same columns.
    y_train, y_syn, y_test : array-like
        Their labels, one per row.
    estimator : scikit-learn estimator
        Cloned, never fitted in place.
    scoring : str or callable, default="accuracy"
        Any scikit-learn scorer name ("accuracy", "f1_macro", "roc_auc", ...)
        or a ``scorer(estimator, X, y)`` callable; higher is better.
    encode : bool, default=False
        False hands X to the estimator as given (use a Pipeline for mixed
        types). True encodes every X with a TabularCodec fitted on the training
        rows (numeric as normal scores, categories one-hot, missing flagged), so
        a plain numeric estimator works on mixed-type tables."""


def tstr(estimator, X_syn, y_syn, X_test, y_test, *, scoring="accuracy",
         encode: bool = False) -> float:
    """Train on synthetic, test on real: how useful are synthetic rows alone?

    Parameters
    ----------{params}

    Returns
    -------
    float
        Score on the real test rows, higher is better; compare with :func:`trtr`.
    """
    return _fit_score(estimator, {"X_syn": (X_syn, y_syn)}, {"X_test": (X_test, y_test)},
                      scoring, encode)


def trtr(estimator, X_train, y_train, X_test, y_test, *, scoring="accuracy",
         encode: bool = False) -> float:
    """Train on real, test on real: the reference for :func:`tstr`.

    Parameters
    ----------{params}

    Returns
    -------
    float
        The score on the real test rows; higher is better.
    """
    return _fit_score(estimator, {"X_train": (X_train, y_train)},
                      {"X_test": (X_test, y_test)}, scoring, encode)


def augmentation_gain(estimator, X_train, y_train, X_syn, y_syn, X_test, y_test, *,
                      scoring="accuracy", encode: bool = False, return_scores: bool = False):
    """Score after training on real + synthetic rows minus score on real rows alone.

    Two clones of ``estimator``, one fitted on the real training rows, one on
    them followed by the synthetic rows, are scored on the same real test rows.

    Parameters
    ----------{params}
    return_scores : bool, default=False
        Also return both scores.

    Returns
    -------
    float or dict
        The gain: positive if the synthetic rows helped, negative if they hurt.
        With ``return_scores=True``: ``{"real", "augmented", "gain"}``.
    """
    test = {"X_test": (X_test, y_test)}
    real = _fit_score(estimator, {"X_train": (X_train, y_train)}, test, scoring, encode)
    aug = _fit_score(estimator, {"X_train": (X_train, y_train), "X_syn": (X_syn, y_syn)},
                     test, scoring, encode)
    return {"real": real, "augmented": aug, "gain": aug - real} if return_scores else aug - real


for _f in (tstr, trtr, augmentation_gain):
    _f.__doc__ = _f.__doc__.replace("{params}", _UTILITY_PARAMS)


# ---------------------------------------------------------------------- privacy
def _dcr(T: np.ndarray, S: np.ndarray) -> np.ndarray:
    # a k-d tree for few dimensions, chunked brute force (bounded by sklearn's
    # working_memory) for many; the distance is then recomputed directly, so a
    # copied row gives exactly 0.0
    nearest = NearestNeighbors(n_neighbors=1).fit(T).kneighbors(S, return_distance=False)
    return np.linalg.norm(S - T[nearest[:, 0]], axis=1)


def distance_to_closest_record(train, synthetic) -> np.ndarray:
    """Euclidean distance from each synthetic row to its nearest training row.

    Rows are compared on the encoding of a TabularCodec fitted on ``train``:
    a unit in a numeric column is one standard normal score, a different
    category or missing flag adds sqrt(2).

    Returns
    -------
    ndarray of shape (len(synthetic),)
        0.0 for a copied training row. Small distances alone are not a leak:
        judge them against fresh real rows, as :func:`privacy_report` does.
    """
    frames, kinds, _ = _prepare({"train": train, "synthetic": synthetic})
    (T, S), _ = _encode(frames[:1], frames, kinds)
    return _dcr(T, S)


def _row_hash(columns: list) -> np.ndarray:
    h = np.zeros(len(columns[0]), dtype=np.uint64)
    for c in columns:
        h = (h * np.uint64(1099511628211)) ^ pd.util.hash_array(c)  # FNV-style mix
    return h


def _snap(x: np.ndarray, ref: np.ndarray, rtol: float) -> np.ndarray:
    """Replace values within rtol * max|ref| of a value in ref by that value."""
    ref = np.unique(ref[~np.isnan(ref)])
    if ref.size == 0:
        return x
    hi = np.clip(np.searchsorted(ref, x), 0, ref.size - 1)
    lo = np.clip(hi - 1, 0, ref.size - 1)
    near = np.where(np.abs(x - ref[lo]) < np.abs(x - ref[hi]), ref[lo], ref[hi])
    return np.where(np.abs(x - near) <= rtol * np.abs(ref).max(), near, x)


def _is_copy(train: pd.DataFrame, other: pd.DataFrame, kinds: list, rtol: float):
    cols_t, cols_o = [], []
    for j, kind in enumerate(kinds):
        t, o = train[j].to_numpy(), other[j].to_numpy()
        if kind == "numeric":  # one bit pattern for 0.0 / -0.0 and for NaN
            t = np.where(np.isnan(t), np.nan, t + 0.0)
            o = _snap(np.where(np.isnan(o), np.nan, o + 0.0), t, rtol)
        cols_t.append(t)
        cols_o.append(o)
    h_t, h_o = _row_hash(cols_t), _row_hash(cols_o)
    uniq, first = np.unique(h_t, return_index=True)
    pos = np.minimum(np.searchsorted(uniq, h_o), uniq.size - 1)
    match, cand = uniq[pos] == h_o, first[pos]
    for t, o in zip(cols_t, cols_o):  # confirm on the values: no false hash matches
        a = t[cand]
        match &= (pd.isna(a) & pd.isna(o)) | (a == o)
    return match


def exact_copy_rate(train, synthetic, *, rtol: float = 1e-9) -> float:
    """Share of synthetic rows equal to some training row in every column.

    Values are compared as they are (missing equals missing), except that a
    number within ``rtol * max|training column|`` of a training value counts
    as that value, so rows that differ only by the codec's float rounding on
    decoding still count. Rows are matched by hashing, then checked by value.

    Returns
    -------
    float
        In [0, 1]; lower is better. A well-generalising model on continuous
        data gives about 0; on all-categorical data compare with a real holdout
        (see :func:`privacy_report`), as fresh rows can repeat training rows too.
    """
    if not isinstance(rtol, numbers.Real) or not 0 <= rtol < 1:
        raise ValueError(f"rtol must be a number in [0, 1); got {rtol!r}.")
    frames, kinds, _ = _prepare({"train": train, "synthetic": synthetic})
    return float(_is_copy(frames[0], frames[1], kinds, rtol).mean())


def privacy_report(train, synthetic, holdout=None, *, rtol: float = 1e-9) -> dict:
    """Distance-to-closest-record and copy summaries, with a real baseline.

    Parameters
    ----------
    train, synthetic : the generator's training rows, and its samples
    holdout : real rows the generator never saw, optional
        The baseline: without memorisation, synthetic rows sit no closer to
        the training rows than such fresh real rows do.

    Returns
    -------
    dict
        ``dcr_median``, ``dcr_p05`` (5th percentile) and ``exact_copy_rate``
        of the synthetic rows. With ``holdout``, the same three with prefix
        ``holdout_`` and ``dcr_below_holdout_p05``, the share of synthetic rows
        closer than the holdout's 5th percentile: about 0.05 is healthy, much
        more signals memorisation. Higher distances and lower shares are more
        private.
    """
    named = {"train": train, "synthetic": synthetic}
    if holdout is not None:
        named["holdout"] = holdout
    frames, kinds, _ = _prepare(named)
    T, *queries = _encode(frames[:1], frames, kinds)[0]
    out, dists = {}, [_dcr(T, Q) for Q in queries]
    for prefix, frame, d in zip(("", "holdout_"), frames[1:], dists):
        out[f"{prefix}dcr_median"] = float(np.median(d))
        out[f"{prefix}dcr_p05"] = float(np.percentile(d, 5))
        out[f"{prefix}exact_copy_rate"] = float(_is_copy(frames[0], frame, kinds, rtol).mean())
    if holdout is not None:
        out["dcr_below_holdout_p05"] = float(np.mean(dists[0] < out["holdout_dcr_p05"]))
    return out
