"""Privacy: how near synthetic rows come to training rows (distance to the
closest record, exact copies)."""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from ._inputs import _encode, _prepare


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
