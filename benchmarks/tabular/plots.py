"""Gain-vs-k plots of a tabular run: one PNG per dataset, one panel per model.

matplotlib is imported only here and only when plotting; without it the
page's tables are still written.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..common.stats import gain_ci
from .config import MODEL_NAMES, headline_metric, model_order


def plot_gains(df: pd.DataFrame, out_dir: Path, prefix: str, imbalanced: set) -> dict:
    """One PNG per dataset: headline gain vs k per arm, one panel per model.

    Returns ``{dataset: path}``; empty when matplotlib is missing.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}
    paths = {}
    models = model_order(df.model)
    arms = [a for a in dict.fromkeys(df.arm) if a != "none"]
    for d, sub in df.groupby("dataset", sort=False):
        met = headline_metric(d, imbalanced)
        ks = sorted(sub.k.unique())
        fig, axes = plt.subplots(1, len(models), figsize=(5.5 * len(models), 4), sharey=True,
                                 squeeze=False)
        for ax, m in zip(axes[0], models):
            for j, arm in enumerate(arms):
                ci = [gain_ci(sub[(sub.arm == arm) & (sub.model == m) & (sub.k == k)][f"gain_{met}"])
                      for k in ks]
                mean = np.array([c[0] for c in ci]) * 100
                err = np.array([[c[0] - c[1], c[2] - c[0]] for c in ci]).T * 100
                # spread the arms sideways a little so the intervals do not overlap
                x = np.arange(len(ks)) + (j - (len(arms) - 1) / 2) * 0.06
                ax.errorbar(x, mean, yerr=np.nan_to_num(err), marker="o", capsize=3, label=arm)
            ax.axhline(0, color="black", lw=0.8)
            ax.set_xticks(range(len(ks)), [str(k) for k in ks])
            ax.set_xlabel("k (labelled rows per class)")
            ax.set_title(f"{d}: {MODEL_NAMES.get(m, m)}")
        axes[0][0].set_ylabel(f"{met.replace('_', '-')} gain over none (points, 95% CI)")
        axes[0][-1].legend(fontsize=7, loc="best")
        fig.tight_layout()
        path = plot_path(out_dir, prefix, d)
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths[d] = path
    return paths


def plot_path(out_dir: Path, prefix: str, dataset: str) -> Path:
    """Where the plot of ``dataset`` of run ``prefix`` goes."""
    return Path(out_dir) / f"{prefix}_gain_{dataset}.png"


def plot_paths(df: pd.DataFrame, out_dir: Path, prefix: str) -> dict:
    """``{dataset: path}`` of the plots already drawn for the run's datasets."""
    paths = {d: plot_path(out_dir, prefix, d) for d in dict.fromkeys(df.dataset)}
    return {d: p for d, p in paths.items() if p.exists()}
