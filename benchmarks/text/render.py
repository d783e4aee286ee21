"""Text runs -> the "Text" block of ``results/text.md``.

The block shows every ``<prefix>_<dataset>.csv.gz`` in the results folder
(``text`` for full runs, ``text_quick`` for quick ones) and the generation
throughput table (:func:`benchmarks.throughput.render.text_lines`).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.files import find_csv, read_rows, sidecar
from ..common.pages import Markers
from ..common.stamp import read_json
from ..common.stats import format_interval, gain_ci
from .config import DATASETS, RATIO

MARKERS = Markers("text", "benchmarks/text/render.py")
INTRO = ("TF-IDF + logistic regression trained on k real texts per class plus each "
         "arm's synthetic texts; accuracy on every text not drawn. Gains are paired "
         "by seed; an interval that crosses 0 is no evidence of a gain.")


def paired_gains(df: pd.DataFrame) -> pd.DataFrame:
    """Mean accuracy per (dataset, k, arm), and the gain over ``none`` on the
    same seeds (points) with a 95% t-interval."""
    none = df[df["arm"] == "none"].set_index(["dataset", "k", "seed"])["accuracy"]
    out = []
    for (ds, k, arm), g in df.groupby(["dataset", "k", "arm"], sort=False):
        gain = g.set_index(["dataset", "k", "seed"])["accuracy"] - none
        gain = gain.dropna().to_numpy() * 100
        mean, lo, hi = gain_ci(gain)
        out.append({"dataset": ds, "k": k, "arm": arm, "seeds": len(gain),
                    "accuracy": g["accuracy"].mean(), "macro_f1": g["macro_f1"].mean(),
                    "gain_pt": mean, "lo": lo, "hi": hi,
                    "tstr": g["tstr_accuracy"].mean() if "tstr_accuracy" in g else np.nan,
                    "copy_rate": g["copy_rate"].mean() if "copy_rate" in g else np.nan})
    return pd.DataFrame(out)


def _gain_cell(r) -> str:
    if r["arm"] == "none":
        return "-"
    return format_interval(r["gain_pt"], r["lo"], r["hi"], mark="crosses")


def _table(df: pd.DataFrame) -> list[str]:
    lines = ["| k/class | arm | accuracy | macro-F1 | gain over none, pt [95% CI] "
             "| TSTR acc | copies |",
             "|---:|---|---:|---:|---|---:|---:|"]
    for _, r in paired_gains(df).iterrows():
        tstr = "" if not np.isfinite(r["tstr"]) else f"{r['tstr']:.3f}"
        copy = "" if not np.isfinite(r["copy_rate"]) else f"{100 * r['copy_rate']:.0f}%"
        lines.append(f"| {r['k']} | {r['arm']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | "
                     f"{_gain_cell(r)} | {tstr} | {copy} |")
    return lines


def _examples(meta: dict) -> list[str]:
    k_max = max(meta["examples"], key=int)
    lines = [f"Generated examples, the first per class and arm (seed 0, k={k_max}; cut at "
             "160 characters):", ""]
    for arm, per_class in meta["examples"][k_max].items():
        for label, texts in per_class.items():
            for t in texts[:1]:
                short = t if len(t) <= 160 else t[:160] + "…"
                lines.append(f"- `{arm}` / **{label}**: {json.dumps(short, ensure_ascii=False)}")
    return lines


def dataset_section(name: str, df: pd.DataFrame, meta: dict) -> str:
    """One corpus: its runs, the table of arms by k, costs and examples."""
    lines = [f"### {name}", ""]
    for run in meta["runs"]:
        lines.append(f"- `{run['command']}`: {run['date']}, {run['wall_s'] / 60:.1f} min on "
                     f"{run['machine']}")
    lines += [f"- TextLM: {meta['model']}",
              f"- Test set: every text not drawn ({int(df['n_test'].median())} texts); "
              f"{RATIO} synthetic texts per real text in every augmenting arm.", ""]
    lines += _table(df)
    lm = df[df["arm"] == "textlm"]
    filt = df[df["arm"] == "textlm_filter"]
    drew = (filt["filter_dropped"] + filt["n_synthetic"]).sum()
    lines += ["", f"TextLM fit {lm['fit_s'].mean():.1f} s on average (early stopping kept "
              f"step {lm['lm_best_step'].mean():.0f} of {lm['lm_steps'].mean():.0f} run); "
              f"generation {lm['texts_per_s'].mean():.0f} texts/s; the filter discarded "
              f"{filt['filter_dropped'].sum() / max(1, drew):.0%}"
              " of the texts it drew.", ""]
    return "\n".join(lines + _examples(meta))


def render(out: Path, prefix: str = "text", throughput: list[str] = ()) -> str:
    """The Text block, from every ``<out>/<prefix>_<dataset>.csv[.gz]`` present."""
    parts = ["## Text (issue 7)", "", INTRO, ""]
    for name in DATASETS:
        try:
            csv = find_csv(out, f"{prefix}_{name}")
        except FileNotFoundError:
            continue
        parts += [dataset_section(name, read_rows(csv), read_json(sidecar(csv))), ""]
    return "\n".join(parts + list(throughput))
