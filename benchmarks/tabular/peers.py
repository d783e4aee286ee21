"""The peers: other packages' generators, each with a stated budget.

* ctgan's ``CTGAN`` and ``TVAE`` (:func:`peer_augment`).

Each models the features and the label jointly (the label is one more
discrete column), cannot take missing values (they get the training-row
imputation of :func:`~.base.impute`), and is asked for each class's rows by
drawing and keeping the rows of the wanted label (:func:`collect`), so a
peer that never generates a class returns fewer rows, which shows in
``n_synthetic``. The packages are benchmark extras, imported only here and
only when their arm runs.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import pandas as pd

from .base import TARGET, Cell, Synthetic, impute

def collect(draw: Callable[[dict], list], wanted: dict, rounds: int = 10) -> list:
    """Keep drawing until every class has its wanted rows (at most ``rounds``).

    ``draw(need)`` returns DataFrames with a ``TARGET`` column, given the
    rows still needed per label (as ``str``); the rows of each needed label
    are kept in the order drawn.
    """
    need = {str(c): n for c, n in wanted.items() if n > 0}
    parts = []
    for _ in range(rounds):
        if not need:
            break
        for df in draw(need):
            df = df.astype({TARGET: str})
            for c in list(need):
                rows = df[df[TARGET] == c].iloc[: need[c]]
                parts.append(rows)
                need[c] -= len(rows)
                if need[c] == 0:
                    del need[c]
    return parts


def _as_synthetic(parts: list, empty: pd.DataFrame, cell: Cell, fit_s: float,
                  rate: float) -> Synthetic:
    """The kept rows, with the labels back in the data's own type."""
    labels = {str(c): c for c in np.unique(cell.y).tolist()}
    syn = pd.concat(parts, ignore_index=True) if parts else empty.iloc[:0].copy()
    tags = syn.pop(TARGET) if TARGET in syn else []
    y_syn = np.array([labels[s] for s in tags], dtype=cell.y.dtype)
    return Synthetic(syn, y_syn, fit_s, rate)


def _rate(sample: Callable[[int], object], n: int) -> float:
    """Rows per second of one draw of ``n`` rows: a handful of rows measures overhead."""
    t0 = time.perf_counter()
    sample(n)
    return n / (time.perf_counter() - t0)


# ------------------------------------------------------------------ ctgan
def peer_augment(kind: str) -> Callable:
    """An ``augment`` function for ctgan's ``CTGAN`` or ``TVAE``.

    CTGAN is sampled with its conditional vector set to each class; TVAE has
    no conditioning and is sampled unconditionally (then filtered by label).
    """

    def augment(cell: Cell) -> Synthetic:
        import ctgan

        data = impute(cell)
        data[TARGET] = [str(c) for c in cell.y.tolist()]
        model = getattr(ctgan, kind)(epochs=300 if cell.epochs is None else cell.epochs)
        model.set_random_state(cell.seed)
        t0 = time.perf_counter()
        model.fit(data, discrete_columns=[*cell.ds.categorical, TARGET])
        fit_s = time.perf_counter() - t0
        if kind == "CTGAN":
            def draw(need):
                return [model.sample(max(2 * n, 50), condition_column=TARGET, condition_value=c)
                        for c, n in need.items()]
        else:
            def draw(need):
                return [model.sample(max(2 * sum(need.values()), 100))]
        parts = collect(draw, cell.wanted())
        rate = _rate(model.sample, cell.throughput_rows)
        return _as_synthetic(parts, data, cell, fit_s, rate)

    augment.__name__ = f"augment_{kind}"
    return augment
