"""Argument checks and small helpers shared by every public entry point.

Each check raises ValueError/TypeError naming the argument and the fix.
Parameters of estimators are declared in :mod:`synthaug.core.params` instead.
"""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
import torch
from sklearn.utils import check_random_state


def check_n_samples(n_samples, name: str = "n_samples") -> int:
    if isinstance(n_samples, (bool, np.bool_)) or not isinstance(
        n_samples, numbers.Integral
    ):
        raise TypeError(f"{name} must be an int >= 1; got {n_samples!r}.")
    if n_samples < 1:
        raise ValueError(f"{name} must be >= 1; got {n_samples}.")
    return int(n_samples)


def check_positive(value, name: str, *, integer: bool = False, allow_zero=False):
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kind):
        what = "an int" if integer else "a number"
        raise TypeError(f"{name} must be {what}; got {value!r}.")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}; got {value!r}.")


def check_X_rows(X) -> int:
    """Number of rows of a 2-d table, refusing empty and one-row data."""
    if isinstance(X, pd.DataFrame):
        shape = X.shape
    else:
        if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
            raise TypeError(
                f"X must be a 2-d array-like or a pandas DataFrame; got {type(X).__name__}."
            )
        shape = np.shape(X) if not isinstance(X, np.ndarray) else X.shape
    if len(shape) != 2:
        raise ValueError(
            f"X must be 2-dimensional (n_samples, n_features); got shape {shape}. "
            "Reshape a single feature with X.reshape(-1, 1)."
        )
    if shape[0] < 2:
        raise ValueError(
            f"X has {shape[0]} sample(s) (shape={shape}) while a minimum of 2 is "
            "required: a generative model needs at least 2 rows (in practice "
            "dozens) to learn from."
        )
    if shape[1] < 1:
        raise ValueError(
            f"X has 0 feature(s) (shape={shape}) while a minimum of 1 is required; "
            "pass at least one feature."
        )
    return shape[0]


def label_vector(y, n_rows: int):
    """``y`` as one label per row: a Series (kept for its nullable dtypes) or
    a 1-d array, and whether it came as a one-hot matrix.

    Accepts a 1-d array-like, a column vector, a one-column DataFrame, a
    tensor (on any device) and a one-hot indicator matrix (one 1 per row,
    imbalanced-learn's one-vs-all form: the column is the class). Other
    2-d targets (multilabel, multioutput) are refused.
    """
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(
                f"y is a DataFrame with {y.shape[1]} columns; multilabel and multioutput "
                "targets are not supported: pass one label per row."
            )
        return y.iloc[:, 0], False
    if isinstance(y, pd.Series):
        return y, False
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        return arr.ravel(), False
    if arr.ndim == 2 and arr.dtype.kind in "biuf" and len(arr) == n_rows:
        if np.isin(arr, (0, 1)).all() and (arr.sum(1) == 1).all():
            return arr.argmax(1), True
        raise ValueError(
            f"y must be 1-dimensional (one label per row) or a one-hot matrix; got shape "
            f"{arr.shape}, which is not one-hot (multilabel and multioutput targets are "
            "not supported)."
        )
    return y, False


def check_y_fit(y, n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate fit labels; return (classes, class index per row, class counts)."""
    arr = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-dimensional; got shape {arr.shape}.")
    if len(arr) != n_rows:
        raise ValueError(
            f"X has {n_rows} rows but y has {len(arr)}; pass one label per row."
        )
    if pd.isna(arr).any():
        raise ValueError("y contains missing values (NaN/None); drop or label those rows.")
    if arr.dtype == object:
        kinds = {type(v) for v in arr}
        if len({str in k.__mro__ for k in kinds}) > 1:
            raise TypeError("y mixes strings and numbers; use one label type.")
    if arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
        raise ValueError(
            "y holds non-integer floats, which looks like a regression target; "
            "synthaug conditions on class labels. Pass discrete labels."
        )
    classes, y_idx, counts = np.unique(arr, return_inverse=True, return_counts=True)
    if len(classes) < 2:
        raise ValueError(
            f"y has a single class ({classes[0]!r}); fit without y for an "
            "unconditional model, or pass at least two classes."
        )
    if counts.min() < 2:
        rare = classes[counts < 2].tolist()
        if 2 * len(rare) > len(classes):  # mostly one row per value: not classes at all
            raise ValueError(
                f"y has {len(classes)} distinct values for {len(arr)} rows, {len(rare)} of "
                "them on a single row: it looks like a continuous (regression) target, "
                "and synthaug models condition on class labels. Bin it (pd.qcut) or fit "
                "without y."
            )
        shown = f"{rare[:5]}" + (f" and {len(rare) - 5} more" if len(rare) > 5 else "")
        raise ValueError(
            f"class(es) {shown} in y have a single row; a class needs at least "
            "2 rows to be learned. Drop or merge those classes."
        )
    return classes, y_idx.astype(np.int64), counts


def seed_from(random_state, purpose: int) -> int:
    """A 63-bit torch seed from a sklearn-style random_state.

    An int gives the same seed every call (separate streams per ``purpose``
    so fitting and sampling draw independent noise); a RandomState instance
    is advanced, as scikit-learn does; None draws fresh entropy.
    """
    if random_state is None:
        entropy = None
    elif isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        entropy = [int(random_state), purpose]
    elif isinstance(random_state, np.random.RandomState):
        entropy = [int(random_state.randint(2**31)), purpose]
    else:
        check_random_state(random_state)  # raises sklearn's clear ValueError
        entropy = None
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0] >> 1)


def resolve_device(device) -> torch.device:
    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            dev = torch.device(device)
        except RuntimeError:
            raise ValueError(
                f"device={device!r} is not a torch device; use 'auto', 'cpu' or 'cuda'."
            ) from None
    else:
        raise TypeError(f"device must be 'auto', a string or torch.device; got {device!r}.")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but CUDA is not available; use device='auto' or 'cpu'."
        )
    return dev


#: What marks an unlabelled row in ``fit(X, y)`` of a tabular model (and in
#: ``AugmentedClassifier.fit``): scikit-learn's semi-supervised convention.
UNLABELLED_DOC = (
    "-1 for numeric labels (scikit-learn's SelfTrainingClassifier convention); "
    "None or NaN (pd.NA) for string/object labels"
)


def unlabelled_mask(y) -> np.ndarray:
    """Boolean mask of the rows of ``y`` marked unlabelled.

    Numeric labels: the value -1 (a NaN stays an error: it is a missing
    label, not a marker). Object labels (strings, or numbers in an object
    array such as a nullable-integer Series): None, NaN or pd.NA, and the
    number -1 when the labels are numbers.
    """
    if isinstance(y, pd.Series) and isinstance(y.dtype, pd.api.extensions.ExtensionDtype):
        # nullable dtypes ("Int64", "string"): pd.NA marks, and -1 for numbers
        missing = y.isna().to_numpy()
        if pd.api.types.is_numeric_dtype(y.dtype):
            return missing | (y == -1).fillna(False).to_numpy(dtype=bool)
        return missing
    arr = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        return np.zeros(len(arr) if arr.ndim else 0, dtype=bool)
    if arr.dtype.kind in "iuf":
        return arr == -1
    if arr.dtype == object:
        missing = np.asarray(pd.isna(arr), dtype=bool)
        minus_one = np.array(
            [
                isinstance(v, numbers.Number) and not isinstance(v, (bool, np.bool_))
                and not m and v == -1
                for v, m in zip(arr, missing)
            ],
            dtype=bool,
        )
        return missing | minus_one
    return np.zeros(len(arr), dtype=bool)


def check_y_semi(y, n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Like :func:`check_y_fit`, but rows marked unlabelled (see
    :func:`unlabelled_mask`) get class index -1 and are left out of
    ``classes`` and ``counts``. At least two labelled classes with two rows
    each are required."""
    arr = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    mask = unlabelled_mask(y)
    if not mask.any():
        return check_y_fit(y, n_rows)
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-dimensional; got shape {arr.shape}.")
    if len(arr) != n_rows:
        raise ValueError(
            f"X has {n_rows} rows but y has {len(arr)}; pass one label per row."
        )
    if mask.all():
        raise ValueError(
            f"every row of y is marked unlabelled ({UNLABELLED_DOC}); fit without y "
            "(fit(X)) for an unconditional model, or label at least two rows of two classes."
        )
    if isinstance(y, pd.Series) and isinstance(y.dtype, pd.api.extensions.ExtensionDtype):
        labelled = y[~mask].to_numpy(dtype=object if not pd.api.types.is_numeric_dtype(y.dtype)
                                     else y[~mask].to_numpy().dtype)
    else:
        labelled = arr[~mask]
    if labelled.dtype == object and all(
        isinstance(v, numbers.Number) and not isinstance(v, (bool, np.bool_)) for v in labelled
    ):
        labelled = labelled.astype(np.result_type(*labelled))  # numbers in an object array
    try:
        classes, idx, counts = check_y_fit(labelled, len(labelled))
    except ValueError as exc:
        raise ValueError(
            f"{exc} (Among the {len(labelled)} labelled rows; {int(mask.sum())} rows are "
            f"marked unlabelled: {UNLABELLED_DOC}. If -1 is a real class, recode it.)"
        ) from None
    y_idx = np.full(n_rows, -1, dtype=np.int64)
    y_idx[~mask] = idx
    return classes, y_idx, counts
