"""Input handling shared by the metrics: tables in, aligned frames and
codec encodings out (see the package docstring)."""
from __future__ import annotations


import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ..codecs.tabular import TabularCodec

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
