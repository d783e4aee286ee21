"""Tabular codec: mixed-type tables <-> float matrices for the generative nets.

Continuous and integer columns use a **rank-based quantile transform to a
standard normal**: the value is mapped through the column's empirical CDF
(piecewise linear between stored quantiles) and then through the normal
inverse CDF. We chose it over CTGAN-style per-column Gaussian mixtures because

* it normalises any marginal - skewed, heavy-tailed or multi-modal - to the
  same N(0, 1) shape, which is what a Gaussian-likelihood decoder fits best;
* it is monotone and piecewise linear, so decoding is exact at the stored
  quantiles and linear between them (the round trip is exact up to float
  rounding for every value inside the training range);
* it needs no iterative, seed-dependent fitting, and decoding is one
  batched table lookup for all numeric columns, run on the device the
  generator ran on (see :mod:`synthaug.codecs.tabular_decode`);
* it never extrapolates past the training range, so synthetic values stay
  plausible.

Categorical and boolean columns become one-hot blocks. A column with missing
values in training gets a two-way ``[present, missing]`` block (numeric) or an
extra "missing" category (categorical), so a model reproduces the missing
rate without knowing which columns are which: it only walks :attr:`spans`.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy.special import ndtri

from ..core.validation import check_X_rows
from .base import Codec
from .tabular_decode import ColumnCollector, DecodedColumns, DecodePlan, decode_on_device
from .tabular_state import codec_state, condition_position, restore_codec

MAX_QUANTILES = 1000


@dataclass(frozen=True)
class Span:
    """One block of the encoded matrix: its width and output activation."""

    width: int
    activation: str  # "identity" (real valued) or "softmax" (one-hot block)


@dataclass
class _Column:
    name: object
    kind: str  # "continuous", "integer" or "categorical"
    dtype: str  # restorable dtype descriptor, see _dtype_to_str
    has_missing: bool
    categories: list | None = None  # categorical: values seen in fit, in order
    category_dtype: dict | None = None  # pandas CategoricalDtype to restore
    quantiles: np.ndarray | None = None  # numeric: strictly increasing values
    cdf: np.ndarray | None = None  # numeric: their mid-rank CDF, in (0, 1)
    sparse_fill: object = None  # a pandas sparse column: its fill value (else None)


def _dtype_to_str(dtype) -> str:
    return "category" if isinstance(dtype, pd.CategoricalDtype) else str(dtype)


def _is_number(v) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, (bool, np.bool_))


def _column_kind(series: pd.Series, where: str) -> str:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_complex_dtype(dtype):
        raise ValueError(
            f"X column {where}: Complex data not supported; split it into real "
            "and imaginary columns."
        )
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(
        dtype
    ):
        raise TypeError(
            f"X column {where} has dtype {dtype}, which is not supported; "
            "convert it to numbers or strings first."
        )
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.dropna().to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(values)):
            raise ValueError(
                f"X column {where} contains inf; replace infinite values "
                "(NaN is allowed and is learned as a missing value)."
            )
        integral = pd.api.types.is_integer_dtype(dtype) or (
            values.size > 0 and np.all(values == np.round(values))
        )
        return "integer" if integral else "continuous"
    # object / string columns: all strings -> categorical, all numbers -> numeric
    present = series.dropna()
    is_num = np.fromiter((_is_number(v) for v in present), bool, len(present))
    is_label = np.fromiter(
        (isinstance(v, (str, bool, np.bool_)) for v in present), bool, len(present)
    )
    if is_num.all() and len(present):
        return _column_kind(present.astype(np.float64), where)
    if is_num.any() and is_label.any():
        raise TypeError(
            f"X column {where} mixes strings ({present[is_label].iloc[0]!r}) with "
            f"numbers ({present[is_num].iloc[0]!r}); make the column all numeric "
            "or all strings."
        )
    if not (is_num | is_label).all():
        bad = present[~(is_num | is_label)].iloc[0]
        raise TypeError(
            f"X column {where} holds {type(bad).__name__} values such as {bad!r}; "
            "every argument must be a string, a real number or a bool."
        )
    return "categorical"


def _fit_quantiles(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Strictly increasing (quantile, mid-rank CDF) pairs of a 1-d sample."""
    x = np.sort(x)
    n = x.size
    uniq = np.unique(x)
    if uniq.size <= MAX_QUANTILES:
        left = np.searchsorted(x, uniq, "left")
        right = np.searchsorted(x, uniq, "right")
        return uniq, (left + 0.5 * (right - left)) / n
    p = np.linspace(0.0, 1.0, MAX_QUANTILES)
    q = np.quantile(x, p)
    cdf = (p * (n - 1) + 0.5) / n
    q_u, inv = np.unique(q, return_inverse=True)  # merge tied quantiles
    return q_u, np.bincount(inv, cdf) / np.bincount(inv)


class TabularCodec(Codec):
    """Encode a table (numpy array, list of rows or DataFrame) into a float matrix.

    ``fit`` learns column kinds, categories and quantiles; ``transform`` gives
    an ``(n, width)`` float64 matrix laid out as :attr:`spans`;
    ``inverse_transform`` maps such a matrix (one-hot or probabilities in the
    softmax blocks) back to the fitted container, column names and dtypes.
    Its :attr:`layout` for the nets is the spans as ``(width, activation)``.
    """

    file_formats = (".csv", ".npy")
    has_columns = True
    check_input = staticmethod(check_X_rows)

    @staticmethod
    def edit_tags(tags) -> None:
        # NaN is learned as a missing value and string columns as categories,
        # so scikit-learn's checks must not demand that fit rejects them.
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.dataframe = True

    def fit_transform(self, X) -> np.ndarray:
        return self.fit(X).transform(X)

    @property
    def layout(self) -> list[tuple[int, str]]:
        return [(s.width, s.activation) for s in self.spans]

    def fitted_attributes(self) -> dict:
        names = self.feature_names
        out = {"n_features_in_": len(names)}
        if self.container_ == "dataframe" and all(isinstance(c, str) for c in names):
            out["feature_names_in_"] = np.asarray(names, dtype=object)
        return out

    def decode(self, T, report=None) -> DecodedColumns:
        # decoded on T's device to plain arrays per chunk (only the decoded
        # columns reach the host); the container is built once, by the collector
        return self.decode_columns(T)

    def collector(self, n_rows: int) -> ColumnCollector:
        return ColumnCollector(self, n_rows)

    def condition_position(self, conditions):
        return condition_position(self, conditions)

    def state(self) -> tuple[dict, dict]:
        return codec_state(self)

    def restore(self, config: dict, arrays: dict) -> None:
        restore_codec(self, config, arrays, _Column)

    def fit(self, X) -> "TabularCodec":
        frame, self.container_, self.array_dtype_ = _as_frame(X)
        self.columns_: list[_Column] = []
        self.__dict__.pop("_plans", None)  # decode plans of an earlier fit
        for j, name in enumerate(frame.columns):
            s, fill = _dense(frame[name])
            where = f"{name!r}" if self.container_ == "dataframe" else str(j)
            kind = _column_kind(s, where)
            col = _Column(name, kind, _dtype_to_str(s.dtype), bool(s.isna().any()),
                          sparse_fill=fill)
            present = s.dropna()
            if kind == "categorical":
                seen = pd.unique(present.to_numpy(dtype=object))
                if isinstance(s.dtype, pd.CategoricalDtype):
                    order = [c for c in s.dtype.categories if c in set(seen)]
                    col.category_dtype = {
                        "categories": [_plain(c) for c in s.dtype.categories],
                        "ordered": bool(s.dtype.ordered),
                        "dtype": str(s.dtype.categories.dtype),
                    }
                else:
                    order = sorted(seen, key=lambda v: (str(type(v)), v))
                col.categories = [_plain(c) for c in order]
            else:
                values = present.to_numpy(dtype=np.float64)
                if values.size == 0:
                    values = np.zeros(1)  # all-missing column: a constant placeholder
                col.quantiles, col.cdf = _fit_quantiles(values)
            self.columns_.append(col)
        return self

    @property
    def spans(self) -> list[Span]:
        out = []
        for col in self.columns_:
            if col.kind == "categorical":
                out.append(Span(len(col.categories) + col.has_missing, "softmax"))
            else:
                out.append(Span(1, "identity"))
                if col.has_missing:
                    out.append(Span(2, "softmax"))
        return out

    @property
    def width(self) -> int:
        return sum(s.width for s in self.spans)

    @property
    def feature_names(self) -> list:
        return [c.name for c in self.columns_]

    def transform(self, X) -> np.ndarray:
        frame, container, _ = _as_frame(X)
        if _kind(container) != _kind(self.container_) or frame.shape[1] != len(self.columns_):
            raise ValueError(
                f"X has {frame.shape[1]} columns ({container}); the codec was "
                f"fitted on {len(self.columns_)} ({self.container_}). Pass data "
                "with the same columns as in fit."
            )
        if container == "dataframe" and list(frame.columns) != self.feature_names:
            raise ValueError(
                f"X columns {list(frame.columns)} differ from those seen in fit "
                f"{self.feature_names}; pass the same columns in the same order."
            )
        blocks = []
        for col in self.columns_:
            s, _ = _dense(frame[col.name])
            missing = s.isna().to_numpy()
            if missing.any() and not col.has_missing:
                raise ValueError(
                    f"X column {col.name!r} has missing values but had none in "
                    "fit; impute them or refit on data that shows them."
                )
            if col.kind == "categorical":
                blocks.append(self._encode_categorical(col, s, missing))
                continue
            x = s.to_numpy(dtype=np.float64, na_value=np.nan)
            u = np.interp(np.where(missing, col.quantiles[0], x), col.quantiles, col.cdf)
            z = np.where(missing, 0.0, ndtri(u))
            blocks.append(z[:, None])
            if col.has_missing:
                blocks.append(np.stack([~missing, missing], axis=1).astype(np.float64))
        return np.concatenate(blocks, axis=1) if blocks else np.zeros((len(frame), 0))

    def _encode_categorical(self, col, s, missing) -> np.ndarray:
        # one vectorised hash lookup; -1 marks missing and unseen values (unlike
        # pd.Categorical(values, categories=...), which pandas deprecates for unseen)
        codes = pd.Index(col.categories, dtype=object).get_indexer(s.to_numpy(dtype=object))
        unseen = (codes < 0) & ~missing
        if unseen.any():
            bad = s.to_numpy(dtype=object)[unseen][0]
            raise ValueError(
                f"X column {col.name!r} holds {bad!r}, a category not seen in fit "
                f"(seen: {col.categories}); map it to a known category or refit."
            )
        codes = np.where(missing, len(col.categories), codes)
        onehot = np.zeros((len(codes), len(col.categories) + col.has_missing))
        onehot[np.arange(len(codes)), codes] = 1.0
        return onehot

    def inverse_transform(self, M):
        """Decode an ``(n, width)`` matrix: a numpy array or a torch tensor.

        For a tensor the arithmetic (normal CDF, quantile lookup, argmax per
        one-hot block) runs on the tensor's device, batched over all columns,
        and only the decoded values cross to the host: on a GPU, decoding
        then costs little next to the generator's forward pass.
        """
        return self.assemble(self.decode_columns(M))

    def decode_columns(self, M) -> "DecodedColumns":
        """The first half of :meth:`inverse_transform`: decoded values as
        plain arrays, before the caller's container and dtypes are built.

        A model sampling in chunks decodes each chunk with this and gathers
        them in a :class:`ColumnCollector`, which calls :meth:`assemble`
        once: building a DataFrame (and its categorical or string columns)
        costs about as much per chunk as decoding itself.
        """
        T = M if isinstance(M, torch.Tensor) else torch.from_numpy(np.asarray(M, np.float64))
        if T.ndim != 2 or T.shape[1] != self.width:
            raise ValueError(
                f"the encoded matrix has shape {tuple(T.shape)}; this codec expects "
                f"(n, {self.width}). Pass the model output for this codec."
            )
        if T.device.type == "mps":  # no float64 there
            T = T.cpu()
        decoded = decode_on_device(self._plan(T.device), T.double())
        return DecodedColumns(*(t.cpu().numpy() for t in decoded))

    def assemble(self, decoded: "DecodedColumns"):
        """The caller's container (DataFrame or array, fitted names and
        dtypes) from :meth:`decode_columns` output."""
        values, codes, missing = decoded
        n = values.shape[1]
        out, i_num, i_cat, i_miss = {}, 0, 0, 0
        for col in self.columns_:
            if col.kind == "categorical":
                out[col.name] = _restore_categorical(col, codes[i_cat])
                i_cat += 1
                continue
            miss = np.zeros(n, bool)
            if col.has_missing:
                miss, i_miss = missing[i_miss], i_miss + 1
            out[col.name] = _restore_numeric(col, values[i_num], miss)
            i_num += 1
        for col in self.columns_:
            if col.sparse_fill is not None:
                out[col.name] = pd.arrays.SparseArray(np.asarray(out[col.name]),
                                                      fill_value=col.sparse_fill)
        if self.container_ == "dataframe":
            # the columns are fresh arrays of our own: no copy into 2-d blocks
            return pd.DataFrame(out, columns=self.feature_names, copy=False)
        if np.dtype(self.array_dtype_) != object:
            # fill the caller's dtype directly; a DataFrame round trip costs more
            arr = np.empty((n, len(self.columns_)), dtype=np.dtype(self.array_dtype_))
            for j, col in enumerate(self.columns_):
                arr[:, j] = np.asarray(out[col.name])
        else:
            frame = pd.DataFrame(out, columns=self.feature_names, copy=False)
            arr = frame.to_numpy(dtype=object)
        return arr.tolist() if self.container_ == "list" else arr

    def _plan(self, device) -> DecodePlan:
        """Index tensors and the knot table for decoding on ``device``, built
        once per fitted codec and device (rebuilding them cost about a fifth
        of decoding a 16k-row chunk)."""
        plans = self.__dict__.setdefault("_plans", {})
        key = str(device)
        if key not in plans:
            plans[key] = DecodePlan.build(self.columns_, device)
        return plans[key]

    def __getstate__(self):
        # the per-device plans hold tensors; they are a cache, rebuilt on use
        state = dict(self.__dict__)
        state.pop("_plans", None)
        return state


def _plain(v):
    """A numpy scalar as the equivalent Python scalar (JSON friendly)."""
    return v.item() if isinstance(v, np.generic) else v


def _dense(s: pd.Series) -> tuple[pd.Series, object]:
    """A pandas sparse column as a dense one, and its fill value (None if
    not sparse): it is modelled as the dense column and restored sparse."""
    if not isinstance(s.dtype, pd.SparseDtype):
        return s, None
    return s.sparse.to_dense(), _plain(s.dtype.fill_value)


def _kind(container: str) -> str:
    """Lists and arrays of rows encode alike (a list is read as an array)."""
    return "ndarray" if container == "list" else container


def _as_frame(X) -> tuple[pd.DataFrame, str, str | None]:
    if isinstance(X, pd.DataFrame):
        return X, "dataframe", None
    container = "list" if isinstance(X, (list, tuple)) else "ndarray"
    arr = np.asarray(X)
    # record the caller's dtype before fixed-width strings become objects,
    # so a '<U..' array comes back as '<U..' (decoded values are fit categories)
    dtype = arr.dtype.str if arr.dtype != object else "O"
    if arr.dtype.kind in "US":
        arr = arr.astype(object)
    if arr.ndim != 2:
        raise ValueError(
            f"X must be 2-dimensional (n_samples, n_features); got shape {arr.shape}. "
            "Reshape a single feature with X.reshape(-1, 1)."
        )
    return pd.DataFrame(arr), container, dtype


def _restore_numeric(col: _Column, x: np.ndarray, missing: np.ndarray):
    if col.dtype == "object":
        # Python ints are exact at any magnitude; an int64 cast overflows past 2**63
        ints = [int(v) for v in x] if col.kind == "integer" else None
        values = np.array(ints, dtype=object) if ints is not None else x.astype(object)
        values[missing] = None
        return pd.Series(values, dtype=object)
    # missing is all False for dtypes that cannot hold NaN (they had none in fit)
    x = np.where(missing, np.nan, x) if missing.any() else x
    dtype = pd.api.types.pandas_dtype(col.dtype)
    if isinstance(dtype, np.dtype):
        return x.astype(dtype, copy=False)
    return pd.Series(x).astype(dtype)


def _restore_categorical(col: _Column, codes: np.ndarray):
    """Column values from category codes (``len(categories)`` means missing)."""
    if col.dtype == "category":
        spec = col.category_dtype
        dtype = pd.CategoricalDtype(pd.Index(spec["categories"], dtype=spec["dtype"]),
                                    ordered=spec["ordered"])
        # codes count the categories seen in fit; the dtype may list more
        to_dtype = np.append(dtype.categories.get_indexer(pd.Index(col.categories,
                                                                   dtype=spec["dtype"])), -1)
        return pd.Categorical.from_codes(to_dtype[codes], dtype=dtype)
    values = np.array(col.categories + [None], dtype=object)[codes]
    if col.dtype == "object":  # a Series, or pandas 3 would infer its string dtype
        return pd.Series(values, dtype=object, copy=False)
    return pd.Series(values, dtype=object).astype(pd.api.types.pandas_dtype(col.dtype))
