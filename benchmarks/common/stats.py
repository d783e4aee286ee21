"""Paired gains: each arm minus ``none`` on the same split, with 95% t-intervals.

A seed fixes the split (and every generator's seed), so the gains of one
arm over seeds are paired differences; their mean and Student-t interval is
what every page reports.
"""
from __future__ import annotations

import numpy as np
from scipy import stats


def gain_ci(values) -> tuple[float, float, float]:
    """Mean of paired differences and its 95% t-interval, in the input's units.

    Non-finite values are left out; NaN interval with fewer than two pairs.
    """
    g = np.asarray(values, dtype=float)
    g = g[np.isfinite(g)]
    if len(g) == 0:
        return np.nan, np.nan, np.nan
    if len(g) < 2:
        return float(g.mean()), np.nan, np.nan
    half = stats.t.ppf(0.975, len(g) - 1) * g.std(ddof=1) / np.sqrt(len(g))
    return float(g.mean()), float(g.mean() - half), float(g.mean() + half)


def format_interval(mean: float, lo: float, hi: float, mark: str | None = "bold") -> str:
    """``"+1.2 [+0.3, +2.1]"`` in points.

    ``mark``: ``"bold"`` wraps an interval that excludes 0 in ``**``;
    ``"crosses"`` appends `` (crosses 0)`` to one that does not; ``None``
    leaves both as they are. ``"-"`` without a mean, the mean alone
    without an interval.
    """
    if not np.isfinite(mean):
        return "-"
    if not np.isfinite(lo):
        return f"{mean:+.1f}"
    text = f"{mean:+.1f} [{lo:+.1f}, {hi:+.1f}]"
    excludes_zero = lo > 0 or hi < 0
    if mark == "bold":
        return f"**{text}**" if excludes_zero else text
    if mark == "crosses":
        return text if excludes_zero else f"{text} (crosses 0)"
    return text


def format_gain(values, mark: str | None = "bold", scale: float = 100.0) -> str:
    """:func:`format_interval` of paired differences given as fractions."""
    return format_interval(*(scale * v for v in gain_ci(values)), mark=mark)


def add_gains(rows: list[dict], metrics=("accuracy", "macro_f1")) -> None:
    """Set ``gain_<metric>`` of every row: the row minus ``none`` of its model.

    ``rows`` are one split's rows; NaN where ``none`` or the metric is missing
    (a failed arm).
    """
    ref = {r["model"]: r for r in rows if r["arm"] == "none" and r.get("status") == "ok"}
    for r in rows:
        base = ref.get(r["model"])
        for m in metrics:
            ok = base is not None and r.get(m) is not None
            r[f"gain_{m}"] = r[m] - base[m] if ok else np.nan
