"""Unlabelled-data run -> the block of ``results/semi.md``."""
from __future__ import annotations

import pandas as pd

from ..common.pages import Markers
from ..common.stats import format_gain, gain_ci
from ..tabular.datasets import imbalanced as imbalanced_of
from .config import ARMS, BASELINES

MARKERS = Markers("semi", "benchmarks/semi/render.py")


def _header(meta: dict, arms: list) -> list[str]:
    cfg = meta["config"]
    spreading = ("; `label-spreading`: scikit-learn's `LabelSpreading(kernel=\"knn\")`, its "
                 "own classifier" if "label-spreading" in arms else "")
    return [
        "## Unlabelled data (issue 4)", "",
        f"- Command: `{meta['command']}`",
        f"- Date: {meta['started']}. Machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} "
        f"cores, GPU: {meta.get('gpu', '?')}, torch {meta.get('versions', {}).get('torch', '?')}, "
        f"{cfg['jobs']} parallel cells. "
        f"Wall time: {meta.get('wall_s', '?')} s.",
        f"- Split: k labelled rows per class (stratified fraction for imbalanced data), a pool "
        f"of {cfg['unlabelled']} rows whose labels are hidden, every other row is "
        "the test set. TabularVAE: "
        f"{cfg['epochs']} epochs; `vae-semi-hard` uses "
        f"`pseudo_labels={cfg['threshold']}`, `vae-semi-unknown` `pseudo_labels=None`, "
        "the other semi arms the default `pseudo_labels=\"soft\"`. `self-training`: "
        "scikit-learn's `SelfTrainingClassifier` (defaults, threshold 0.75) around the same "
        f"downstream model, its preprocessing fitted on labelled + pool rows{spreading}. Arms are "
        "described in `benchmarks/semi/__init__.py`.",
        "- Cells: paired gain in accuracy points over `none` (labelled rows only), mean "
        "[95% t-interval] over seeds; bold when the interval excludes 0. Macro-F1 for "
        "the imbalanced datasets (credit_data, wa_churn) is in the CSV.",
        "",
    ]


def _cells(ok: pd.DataFrame, arms: list) -> list[str]:
    lines = ["| dataset | k | model | none acc | " + " | ".join(f"`{a}`" for a in arms) + " |",
             "|---|---:|---|---:|" + "---:|" * len(arms)]
    for (d, k, m), sub in ok.groupby(["dataset", "k", "model"]):
        none = sub[sub.arm == "none"].accuracy.mean()
        cells = [format_gain(sub[sub.arm == a].gain_accuracy) for a in arms]
        lines.append(f"| {d} | {k} | {m} | {none:.3f} | " + " | ".join(cells) + " |")
    return lines


def _means(ok: pd.DataFrame, arms: list) -> tuple[list[str], dict]:
    """Mean gain of each arm over every pair, and macro-F1 on the imbalanced sets."""
    lines = ["", "Mean gain over every cell (accuracy points, 95% t-interval over all "
             "dataset x k x model x seed pairs):", ""]
    imb = ok[ok.dataset.isin(imbalanced_of(ok.dataset.unique()))]
    means = {}
    for a in arms:
        mean, lo, hi = (100 * v for v in gain_ci(ok[ok.arm == a].gain_accuracy))
        means[a] = mean
        f1 = ""
        if len(imb):
            m2, lo2, hi2 = (100 * v for v in gain_ci(imb[imb.arm == a].gain_macro_f1))
            f1 = f"; macro-F1 on the imbalanced datasets {m2:+.1f} [{lo2:+.1f}, {hi2:+.1f}]"
        lines.append(f"- `{a}`: {mean:+.1f} [{lo:+.1f}, {hi:+.1f}]{f1}")
    return lines, means


def render(df: pd.DataFrame, meta: dict) -> str:
    """The block of the semi page, as markdown."""
    ok = df[df.status == "ok"]
    arms = [a for a in ARMS if a in set(ok.arm) and a != "none"]
    means_lines, means = _means(ok, arms)
    lines = _header(meta, arms) + _cells(ok, arms) + means_lines
    bars = [a for a in BASELINES if a in means]
    ours = [a for a in arms if a not in BASELINES and a != "vae-labelled"]
    if ours and bars:
        best, bar = max(ours, key=means.get), max(bars, key=means.get)
        met = means[best] >= 3.0 and means[best] >= means[bar]
        lines += ["", f"Target of issues 4 and 13 (mean gain >= +3 points over labelled-only "
                  f"and >= the better of {', '.join(f'`{a}`' for a in bars)}, in the same "
                  f"run): best synthaug arm `{best}` {means[best]:+.1f} vs `{bar}` "
                  f"{means[bar]:+.1f}: **{'met' if met else 'not met'}**."]
    return "\n".join(lines)
