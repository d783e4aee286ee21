"""The tabular codec's saved state, and its answer to ``sample(conditions=...)``."""
from __future__ import annotations

import numpy as np
import pandas as pd



def codec_state(codec) -> tuple[dict, dict[str, np.ndarray]]:
    """JSON-able description of a fitted codec, plus its quantile arrays."""
    cols, arrays = [], {}
    for j, col in enumerate(codec.columns_):
        cols.append({
            "name": col.name.item() if isinstance(col.name, np.generic) else col.name, "kind": col.kind, "dtype": col.dtype,
            "has_missing": col.has_missing, "categories": col.categories,
            "category_dtype": col.category_dtype, "sparse_fill": col.sparse_fill,
        })
        if col.kind != "categorical":
            arrays[f"{j}.quantiles"] = col.quantiles
            arrays[f"{j}.cdf"] = col.cdf
    config = {"container": codec.container_, "array_dtype": codec.array_dtype_, "columns": cols}
    return config, arrays


def restore_codec(codec, config: dict, arrays: dict[str, np.ndarray], column_type) -> None:
    """Set ``codec``'s fitted state from :func:`codec_state`'s output."""
    codec.__dict__.pop("_plans", None)
    codec.container_ = config["container"]
    codec.array_dtype_ = config["array_dtype"]
    codec.columns_ = []
    for j, c in enumerate(config["columns"]):
        col = column_type(c["name"], c["kind"], c["dtype"], c["has_missing"],
                          c["categories"], c["category_dtype"], sparse_fill=c["sparse_fill"])
        if col.kind != "categorical":
            col.quantiles = arrays[f"{j}.quantiles"]
            col.cdf = arrays[f"{j}.cdf"]
        codec.columns_.append(col)


def condition_position(codec, conditions):
    """Map ``conditions={column: value}`` to a position in the discrete part
    of the condition vector (the softmax spans, one after another), or None.

    One categorical or boolean column per call: the generators were trained
    conditioning on one discrete column at a time, so a joint request on
    several would ask for something they never learned.
    """
    if conditions is None:
        return None
    if not isinstance(conditions, dict):
        raise TypeError(
            f"conditions must be a dict {{column: value}}; got {type(conditions).__name__}."
        )
    if not conditions:
        return None
    if len(conditions) > 1:
        raise ValueError(
            f"conditions fixes {len(conditions)} columns ({list(conditions)}); pass one "
            "column per call (the model is trained conditioning on one discrete "
            "column at a time)."
        )
    (column, value), = conditions.items()
    j = _column_index(codec, column)
    col = codec.columns_[j]
    if col.kind != "categorical":
        raise ValueError(
            f"conditions names column {column!r}, which is {col.kind}; only "
            "categorical and boolean columns (encoded as categories) can be fixed. "
            "Condition on a categorical column, or bin this one before fit."
        )
    # where column j's block starts among the softmax spans, laid out as the
    # codec's spans are: one per categorical column, one per numeric column
    # with missing values ([present, missing])
    start = 0
    for c in codec.columns_[:j]:
        if c.kind == "categorical":
            start += len(c.categories) + c.has_missing
        elif c.has_missing:
            start += 2
    return start + _category_index(col, column, value)


def _column_index(codec, column) -> int:
    names = codec.feature_names
    if not isinstance(column, (bool, np.bool_)):  # True == 1 would match column 1
        for j, name in enumerate(names):
            if isinstance(name, str) == isinstance(column, str) and name == column:
                return j
    raise ValueError(
        f"conditions names column {column!r}, which is not a column of the "
        f"training data (columns: {names})."
    )


def _category_index(col, column, value) -> int:
    if np.ndim(value) != 0:
        raise TypeError(
            f"conditions[{column!r}] must be one value; got {type(value).__name__}. "
            "Call sample once per value."
        )
    value = value.item() if isinstance(value, np.generic) else value
    if pd.isna(value):
        if col.has_missing:
            return len(col.categories)  # the "missing" slot after the categories
    else:
        for i, c in enumerate(col.categories):
            if isinstance(c, str) == isinstance(value, str) and c == value:
                return i
    raise ValueError(
        f"conditions[{column!r}]={value!r} was not seen in fit for that column "
        f"(seen: {col.categories}{' and missing' if col.has_missing else ''})."
    )
