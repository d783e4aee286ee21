"""Gains per cell, and read against the ceiling: each arm's share of what
``real-2x`` (k more real rows per class) buys on the same cells.

A *cell* is one (dataset, k, downstream model); its gain is the mean over
seeds of the paired gain over ``none``, in points of the headline metric
(accuracy; macro-F1 on imbalanced data).

The share of the ceiling is a ratio of means: an arm's mean cell gain
divided by ``real-2x``'s mean cell gain over the same cells (every cell where
both were measured). Cells where more real data buys nearly nothing stay in
both sums: they add the arm's gain or loss to the numerator and almost
nothing to the denominator, so a loss where there was nothing to win still
counts against the arm, and no single cell divides by a number near 0. A
share, per cell or pooled, is shown only where the ceiling's (mean) gain is
at least :data:`MIN_CEILING` points; below that it is noise over noise.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..common.stats import gain_ci
from .config import CEILING
from .datasets import imbalanced as imbalanced_of

MIN_CEILING = 1.0  # points: a per-cell share needs the ceiling to gain at least this
CELL = ["dataset", "k", "model"]


def headline(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``imbalanced`` and ``gain`` (headline gain in points) columns."""
    df = df.copy()
    df["imbalanced"] = df.dataset.isin(imbalanced_of(df.dataset.unique()))
    df["gain"] = 100 * np.where(df.imbalanced, df.gain_macro_f1, df.gain_accuracy)
    return df


def cell_stats(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (arm, dataset, k, model) of :func:`headline` rows: mean
    gain, its interval, and ``ceiling``: ``real-2x``'s mean on the same cell
    (NaN where it was not measured)."""
    rows = []
    for (arm, d, k, m), g in df[df.arm != "none"].groupby(["arm", *CELL]):
        mean, lo, hi = gain_ci(g.gain)
        rows.append(dict(arm=arm, dataset=d, k=k, model=m, mean=mean, lo=lo, hi=hi,
                         seeds=len(g), imbalanced=bool(g.imbalanced.iloc[0])))
    cells = pd.DataFrame(rows)
    if cells.empty:
        return cells.assign(ceiling=np.nan)
    ceiling = cells[cells.arm == CEILING].set_index(CELL)["mean"].rename("ceiling")
    return cells.join(ceiling, on=CELL)


def cell_share(mean: float, ceiling: float) -> float:
    """One cell's share of its ceiling; NaN where the ceiling gains under
    :data:`MIN_CEILING` points (or was not measured)."""
    if not np.isfinite(ceiling) or ceiling < MIN_CEILING:
        return np.nan
    return mean / ceiling


def share_of_ceiling(cells: pd.DataFrame) -> float:
    """Ratio of means over the cells of ``cells`` where both the arm and the
    ceiling were measured; NaN when the ceiling's mean there is under
    :data:`MIN_CEILING` points (the same rule as :func:`cell_share`)."""
    both = cells[np.isfinite(cells["mean"]) & np.isfinite(cells["ceiling"])]
    if both.empty:
        return np.nan
    return cell_share(both["mean"].mean(), both["ceiling"].mean())


def format_share(share: float) -> str:
    """``"35%"``, or ``"-"`` without a share."""
    return "-" if not np.isfinite(share) else f"{100 * share:.0f}%"


def has_ceiling(cells: pd.DataFrame) -> bool:
    """Whether the ceiling was measured on any cell."""
    return bool(len(cells)) and bool(np.isfinite(cells["ceiling"]).any())
