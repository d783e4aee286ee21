"""What AugmentedClassifier accepts as X and y, checked the way scikit-learn's
classifiers check them, with synthaug's unlabelled-row markers allowed.

Rows marked unlabelled in ``y`` (-1 for numeric labels, None / NaN / pd.NA
for string labels) are kept apart for the augmenter; the labelled rest must
be class labels of two classes or more, each with two rows or more.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets

from .core.validation import UNLABELLED_DOC, check_y_fit


def tags_or_none(obj):
    """scikit-learn tags of ``obj``, or None for an object that has none."""
    try:
        return get_tags(obj)
    except (AttributeError, TypeError):
        return None


def check_X(X):
    """``X`` as given when a DataFrame, else as a numpy array; never sparse."""
    if scipy.sparse.issparse(X):
        # np.asarray would wrap it in a 0-d object array and the error would
        # speak of shapes; say what is wrong instead.
        raise TypeError(
            "X is a scipy sparse matrix, which AugmentedClassifier does not accept: "
            "the synthetic rows are dense and are stacked under the real ones. "
            "Pass dense data (X.toarray())."
        )
    return X if isinstance(X, pd.DataFrame) else np.asarray(X)


def check_y(y, n_rows: int):
    """``y`` as a 1-d array or Series of ``n_rows`` labels, the way
    scikit-learn's classifiers take it (a column vector is raveled, with a
    ``DataConversionWarning``)."""
    if y is None:
        raise ValueError(
            "AugmentedClassifier requires y to be passed, but the target y is None; "
            f"pass one class label per row of X (unlabelled rows: {UNLABELLED_DOC})."
        )
    if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
        y = y.iloc[:, 0]  # a Series keeps nullable dtypes for the unlabelled markers
        warn_column_vector()
    elif not isinstance(y, (pd.Series, pd.DataFrame)) and not scipy.sparse.issparse(y):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
            warn_column_vector()
    if scipy.sparse.issparse(y) or y.ndim != 1:
        raise ValueError(
            f"y has shape {y.shape}. Multilabel and multioutput targets are not "
            "supported: pass one class label per row, a 1-d array."
        )
    if len(y) != n_rows:
        raise ValueError(f"X has {n_rows} rows but y has {len(y)}; pass one label per row.")
    return y


def warn_column_vector() -> None:
    warnings.warn(
        "A column-vector y was passed when a 1d array was expected. Please change "
        "the shape of y to (n_samples,), for example using ravel().",
        # points at the caller of fit (frames: fit, _fit_context, _fit, _check_y)
        DataConversionWarning, stacklevel=6,
    )


def label_values(y) -> np.ndarray:
    """The labels of a 1-d ``y`` as a numpy array.

    A pandas nullable Series (Int64, string, categorical) becomes an object
    array, so pd.NA stays a marker that the augmenter recognises instead of
    turning into a NaN float, which is no marker for numeric labels.
    """
    if isinstance(y, pd.Series):
        ext = isinstance(y.dtype, pd.api.extensions.ExtensionDtype)
        return y.to_numpy(dtype=object) if ext else y.to_numpy()
    return np.asarray(y)


def integer_labels(y: np.ndarray) -> np.ndarray:
    """An object array of integers (e.g. a nullable-integer Series, or ints
    with None markers) as int64: scikit-learn reads such an array as an
    "unknown" target; booleans are left alone."""
    if y.dtype == object and len(y) and all(
        isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) for v in y
    ):
        return y.astype(np.int64)
    return y


def check_labels(y: np.ndarray, n_unlabelled: int) -> np.ndarray:
    """Class counts of the labelled ``y``, refusing what is not class labels.

    A continuous target gets scikit-learn's "Unknown label type" error; the
    messages say how many rows were marked unlabelled, since a -1 meant as
    a class is read as a marker.
    """
    try:
        if pd.isna(y).any():
            raise ValueError(
                "y contains missing values (NaN/None); for numeric labels only -1 marks "
                "an unlabelled row: label, drop or mark those rows -1."
            )
        if y.dtype == object and len({isinstance(v, str) for v in y}) > 1:
            raise TypeError(
                "y mixes strings and numbers; use one label type (e.g. y.astype(str))."
            )
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"y has a single class ({classes[0]!r}); a classifier needs at least two."
            )
        return check_y_fit(y, len(y))[2]  # refuses classes with a single row
    except ValueError as exc:
        if not n_unlabelled:
            raise
        raise ValueError(
            f"{exc} (Among the {len(y)} labelled rows; {n_unlabelled} rows are marked "
            f"unlabelled: {UNLABELLED_DOC}. If -1 is a real class, recode it.)"
        ) from None
