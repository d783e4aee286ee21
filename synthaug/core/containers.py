"""The one place that slices and joins the user's containers.

Rows come as numpy arrays, pandas DataFrames or Series, torch tensors or
Python lists; whatever an operation returns has the container (and dtype,
device, names) of its first argument, so real rows keep the caller's form
and synthetic rows are converted to it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch


def take(X, rows):
    """Rows ``rows`` (positions) of ``X``, in ``X``'s container."""
    rows = np.asarray(rows, dtype=np.int64)
    if isinstance(X, (pd.DataFrame, pd.Series)):
        return X.iloc[rows]
    if isinstance(X, torch.Tensor):
        return X[torch.as_tensor(rows, device=X.device)]
    if isinstance(X, (list, tuple)):
        return [X[i] for i in rows.tolist()]
    return np.asarray(X)[rows]


def concat(parts: list):
    """``parts`` joined row-wise in the first part's container.

    Frames and Series get a fresh RangeIndex; arrays keep the first part's
    dtype; tensors its dtype and device; lists stay lists.
    """
    first = parts[0]
    if len(parts) == 1 and not isinstance(first, (pd.DataFrame, pd.Series)):
        return _copy(first)
    if isinstance(first, (pd.DataFrame, pd.Series)):
        like = [p if isinstance(p, type(first)) else type(first)(p) for p in parts]
        return pd.concat(like, ignore_index=True)
    if isinstance(first, torch.Tensor):
        return torch.cat([torch.as_tensor(p).to(device=first.device, dtype=first.dtype)
                          for p in parts])
    if isinstance(first, (list, tuple)):
        return [row for p in parts for row in _as_list(p)]
    dtype = np.asarray(first).dtype
    if dtype.kind in "US":  # fixed-width strings: as wide as the longest part needs
        return np.concatenate([np.asarray(p).astype(dtype.kind) for p in parts])
    return np.concatenate([np.asarray(p, dtype=dtype) for p in parts])


def append_labels(y, y_syn: np.ndarray, one_hot: bool = False):
    """The labels ``y`` followed by ``y_syn``, in ``y``'s container and dtype.

    ``one_hot``: ``y`` is an indicator matrix and ``y_syn`` holds its column
    indices; the result is an indicator matrix too.
    """
    if one_hot:
        y = np.asarray(y)
        return np.concatenate([y, np.eye(y.shape[1], dtype=y.dtype)[y_syn]])
    if isinstance(y, pd.DataFrame):
        col = y.columns[0]
        syn = pd.DataFrame({col: pd.Series(y_syn).astype(y[col].dtype)})
        return pd.concat([y, syn], ignore_index=True)
    if isinstance(y, pd.Series):
        return pd.concat([y, pd.Series(y_syn, name=y.name).astype(y.dtype)], ignore_index=True)
    if isinstance(y, torch.Tensor):
        return torch.cat([y, torch.as_tensor(np.asarray(y_syn)).to(device=y.device, dtype=y.dtype)])
    if isinstance(y, (list, tuple)):
        return list(y) + np.asarray(y_syn, dtype=object).tolist()
    y_arr = np.asarray(y).ravel()
    return np.concatenate([y_arr, np.asarray(y_syn).astype(y_arr.dtype, copy=False)])


def _as_list(part) -> list:
    if isinstance(part, (list, tuple)):
        return list(part)
    if isinstance(part, (pd.DataFrame, pd.Series)):
        part = part.to_numpy()
    return np.asarray(part).tolist()


def _copy(part):
    """A new container with the same rows: the result is never a view of input."""
    if isinstance(part, torch.Tensor):
        return part.clone()
    if isinstance(part, (list, tuple)):
        return list(part)
    return np.array(part, copy=True)
