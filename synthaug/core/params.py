"""Parameter constraints shared by every estimator.

Parameters are declared with scikit-learn's ``_parameter_constraints`` and
checked in ``fit`` by ``BaseEstimator._validate_params``, so a bad value
raises ``InvalidParameterError`` (a ValueError and a TypeError) naming the
parameter and what it accepts. The same idea has the same constraint (and
name) in every model: the shared entries live here.
"""
from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

__all__ = ["COMMON", "CURATION", "RESAMPLING", "SEMI", "Count", "Dims", "NonNegative",
           "Number", "Positive", "StrOptions", "Unit"]


class Number(Interval):
    """An interval that refuses booleans: ``epochs=True`` is a mistake, not 1."""

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


def Count(low: int = 1) -> Number:  # noqa: N802 (reads as a type in a constraint list)
    """An int >= ``low``."""
    return Number(Integral, low, None, closed="left")


def Positive() -> Number:  # noqa: N802
    """A finite real > 0."""
    return Number(Real, 0, math.inf, closed="neither")


def NonNegative() -> Number:  # noqa: N802
    """A finite real >= 0."""
    return Number(Real, 0, math.inf, closed="left")


def Unit(closed: str) -> Number:  # noqa: N802
    """A real in the unit interval, with the ends ``closed`` says
    ("left": [0, 1), "right": (0, 1], "both", "neither")."""
    return Number(Real, 0, 1, closed=closed)


class Dims(Interval):
    """A non-empty tuple or list of ints >= 1: the widths of a net's layers.

    (An Interval only in form: scikit-learn accepts constraints of its own
    classes; the bound [1, inf) is what each entry must satisfy.)
    """

    def __init__(self):
        super().__init__(Integral, 1, None, closed="left")

    def is_satisfied_by(self, val):
        return (isinstance(val, (tuple, list)) and len(val) > 0 and all(
            isinstance(d, Integral) and not isinstance(d, (bool, np.bool_)) and d >= 1
            for d in val))

    def __str__(self):
        return "a non-empty tuple of ints >= 1"


#: Every estimator's running parameters.
COMMON = {
    "sample_batch_size": [Count(), None],
    "device": [str, torch.device],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

#: How many rows ``fit_resample`` adds, with imbalanced-learn's meanings.
RESAMPLING = {
    "sampling_strategy": [
        Number(Real, 0, 1, closed="right"),
        StrOptions({"auto", "minority", "not minority", "not majority", "all"}),
        dict, callable,
    ],
    "synthetic_ratio": [Positive(), None],
}

#: Curation of over-generated samples (see :mod:`synthaug.core.curation`).
CURATION = {
    "curate": ["boolean"],
    "overgenerate": [Number(Real, 1, math.inf, closed="left")],
    "min_confidence": [Unit("left"), None],
}

#: How unlabelled rows are labelled for training (see :mod:`synthaug.core.semi`).
SEMI = {"pseudo_labels": [StrOptions({"soft", "spread"}), Unit("both"), None]}
