"""Utility: what synthetic rows are worth to a downstream model (TSTR,
TRTR, augmentation gain)."""
from __future__ import annotations


import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import get_scorer

from ._inputs import _align, _encode, _labels, _prepare


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

    :func:`trtr` with the synthetic rows ``(X_syn, y_syn)`` as the training
    rows (same parameters and score); compare the two.
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
