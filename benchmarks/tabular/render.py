"""Tabular run -> the run block of ``results/tabular.md`` (and gain-vs-k plots).

``python -m benchmarks tabular --report-only [--name full]`` regenerates the
block from a finished run's CSV and sidecar (the runner calls
:func:`write_report` itself). Only the text between the ``tabular:start`` /
``tabular:end`` markers is replaced, so the hand-written reading around it
survives reruns.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..common.files import read_rows, sidecar, stem
from ..common.pages import Markers, link, write_section
from ..common.stamp import read_json
from ..common.draws import MIN_TEST_PER_CLASS
from ..common.stats import format_gain, gain_ci
from .config import APART, CEILING, MODEL_NAMES, headline_metric, model_order
from .datasets import imbalanced as imbalanced_of
from .evaluate import small_leaf
from .mlp import MLPClassifier
from .share import MIN_CEILING, cell_stats, format_share, has_ceiling, headline, share_of_ceiling

MARKERS = Markers("tabular", "benchmarks/tabular/render.py from the CSV")
OPTIONAL = ["dcr_median", "dcr_holdout", "dcr_below_holdout_p05", "exact_copy_rate",
            "rows_per_s", "tstr_accuracy"]
COLUMNS_NOTE = (
    "Columns: mean accuracy / macro-F1 over seeds; gain = paired difference to `none` in "
    "points with its 95% t-interval (**bold**: the interval excludes zero); TSTR = "
    "logistic regression trained on the synthetic rows only; DCR = median distance to the "
    "closest training row; `< holdout p5` = share of synthetic rows closer than 95% of "
    "fresh real rows (about 5% is healthy); copies = share of exact training-row copies; "
    "syn/real = synthetic rows per real row; fit s = seconds to fit the generator (the "
    "whole meta-estimator for `augmented-classifier`); rows/s = sampling throughput.")


def _num(v, fmt="{:.3f}") -> str:
    return "-" if v is None or not np.isfinite(v) else fmt.format(v)


def _rate(v) -> str:
    return "-" if not np.isfinite(v) else f"{v:,.0f}"


def _table(sub: pd.DataFrame, models: list, metrics: list, arms: list) -> list[str]:
    head = ["arm"]
    for m in models:
        for met in metrics:
            short = "acc" if met == "accuracy" else "F1"
            head += [f"{MODEL_NAMES.get(m, m)} {short}", f"{MODEL_NAMES.get(m, m)} {short} gain"]
    head += ["TSTR LR acc", "DCR", "< holdout p5", "copies", "syn/real", "fit s", "rows/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for arm in arms:
        a = sub[sub.arm == arm]
        if a.empty:
            continue
        ok = a[a.status == "ok"]
        skipped = int(a.status.astype(str).str.startswith("skipped").sum())
        failed = len(a) - len(ok) - skipped
        cells = [arm + "".join(f" ({n} {what})" for n, what in ((failed, "failed"),
                                                               (skipped, "skipped")) if n)]
        for m in models:
            am = ok[ok.model == m]
            for met in metrics:
                cells.append(_num(am[met].mean()))
                cells.append("-" if arm == "none" else format_gain(am[f"gain_{met}"]))
        # TSTR is only on logreg rows, the DCR columns repeat on every model's
        # row: a NaN-skipping mean over the arm's rows gives each one
        cells += [
            _num(ok["tstr_accuracy"].mean()), _num(ok["dcr_median"].mean(), "{:.2f}"),
            _num(ok["dcr_below_holdout_p05"].mean(), "{:.0%}"),
            _num(ok["exact_copy_rate"].mean(), "{:.0%}"),
            _num((ok["n_synthetic"] / ok["n_train"]).mean(), "{:.2f}"),
            _num(ok["fit_s"].mean(), "{:.2f}"), _rate(ok["rows_per_s"].mean()),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _datasets(df: pd.DataFrame, meta: dict) -> list:
    """Datasets in the run's order (the CSV is sorted by name)."""
    order = [d for d in meta.get("config", {}).get("datasets", []) if d in set(df.dataset)]
    return order + [d for d in dict.fromkeys(df.dataset) if d not in order]


def _summary(df: pd.DataFrame, meta: dict, arms: list, imbalanced: set) -> list[str]:
    """Per arm and dataset: mean headline gain over k x model, and how many
    k x model cells have an interval above / below / across zero (over the
    models not reported apart, and the cells where the arm ran)."""
    datasets = _datasets(df, meta)
    df = df[~df.model.isin(APART) & (df.status == "ok")]
    lines = ["| arm | " + " | ".join(datasets) + " |", "|---|" + "---|" * len(datasets)]
    for arm in arms:
        if arm == "none":
            continue
        row = [arm]
        for d in datasets:
            met = f"gain_{headline_metric(d, imbalanced)}"
            sub = df[(df.dataset == d) & (df.arm == arm)]
            win = loss = tie = 0
            for _, g in sub.groupby(["k", "model"]):
                _, lo, hi = gain_ci(g[met])
                win, loss, tie = win + (lo > 0), loss + (hi < 0), tie + (not (lo > 0 or hi < 0))
            mean = 100 * sub[met].mean()
            row.append("-" if sub.empty else f"{mean:+.1f} ({win}/{loss}/{tie})")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _header(df: pd.DataFrame, meta: dict, imbalanced: set) -> list[str]:
    """The run's title, command, machine, budget, splits and arms."""
    cfg = meta.get("config", {})
    models = model_order(df.model)
    v = meta.get("versions", {})
    epochs = cfg.get("epochs") or 300
    wall = f"{meta['wall_s'] / 60:.1f} min" if meta.get("wall_s") else "unfinished run (partial CSV)"
    return [
        f"## Tabular downstream gain (issue 3): run `{meta.get('name', '?')}`",
        "",
        f"- Command: `{meta.get('command', '?')}` (from the repository root)",
        f"- Date: {meta.get('started', '?')}. Wall time: {wall} "
        f"with {meta.get('jobs', 1)} process(es), {cfg.get('threads', 1)} torch thread(s) each.",
        f"- Machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, GPU: {meta.get('gpu', '?')}.",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        f"- Budget: every generator (synthaug's, CTGAN, TVAE) trains for {epochs} epochs "
        f"(300 is their common default){_overrides(cfg)}; the peers keep their other "
        "defaults (batch 500, "
        f"CTGAN pac 10). Synthetic rows: {cfg.get('ratio', 1.0):g} per real row and class for "
        "every augmenting arm; `augmented-classifier` picks its own ratio from "
        "{0, 0.5, 1, 2} by 3-fold inner CV. Sampling rows/s: one draw of "
        f"{cfg.get('throughput_rows', '?')} rows after fitting.",
        f"- Splits: k labelled rows per class for k in {cfg.get('ks')} (capped to leave one test "
        "row per class); imbalanced datasets "
        f"({', '.join(sorted(imbalanced)) or 'none here'}) draw the same total "
        "(k x classes rows) as a stratified fraction, at least 2 per class. Test set: every row "
        f"not drawn. {cfg.get('seeds')} seeds; a seed fixes the split and every generator's seed, "
        "so gains are paired.",
        f"- Downstream: {', '.join(models)} ({'; '.join(DOWNSTREAM.get(m, m) for m in models)})"
        ", after median imputation + one-hot fitted "
        "on the training rows. DCR: median distance of synthetic rows to the closest training "
        "row on that preprocessing (fitted on the real training rows), next to the held-out "
        f"real rows' value; exact copies by value ({meta.get('copies_backend', '?')}).",
        *_new_notes(df, models),
        "",
        "Arms: " + "; ".join(f"`{a}`: {d}" for a, d in meta.get("arms", {}).items()) + ".",
    ]


_MLP = MLPClassifier()
#: what each downstream model is, for the header
DOWNSTREAM = {
    "logreg": "logistic regression on standardised features",
    "rf": "random forest, 100 trees, random_state=0",
    "hgb": "HistGradientBoostingClassifier at its defaults (min_samples_leaf=20)",
    "hgb-small": "the same with min_samples_leaf = n_rows // 10 clipped to [2, 20] "
                 f"(e.g. {small_leaf(30)} on 30 rows, {small_leaf(100)} on 100)",
    "mlp": f"PyTorch MLP {'x'.join(map(str, _MLP.hidden))} ReLU, Adam lr {_MLP.lr:g}, weight "
           f"decay {_MLP.weight_decay:g}, {_MLP.steps} steps of batch {_MLP.batch_size} for "
           "every arm, over a DataLoader",
}


def _new_notes(df: pd.DataFrame, models: list) -> list[str]:
    """Header lines for what runs before the ceiling did not have."""
    notes = []
    if CEILING in set(df.arm):
        notes.append(
            f"- Ceiling: `{CEILING}` trains on a second draw of the same size per class (k more "
            "real rows; the same stratified count on imbalanced data), from its own random "
            "stream, so every other arm's training rows are those of runs without it. Those "
            "rows leave the test set of every arm of the cell, so test sets are smaller than in "
            "earlier runs and absolute numbers move slightly. Where a class would keep fewer "
            f"than {MIN_TEST_PER_CLASS} test rows the arm is skipped for that cell (`skipped` "
            "in the tables), never drawn smaller, and the test set stays every row not drawn.")
    if "mlp" in models:
        notes.append(
            "- MLP: synthaug's generator arms (`tabular-vae`, `tabular-gan`) feed it through "
            "`synthaug.AugmentedDataset(real, generator, ratio)` with `set_epoch` each epoch, so "
            "it sees fresh synthetic rows every epoch (the other models, and the MLP of every "
            "other arm, see one fixed draw in a `TensorDataset`); there its preprocessing is "
            "fitted on the real rows and each draw passes through it.")
    if set(APART) & set(models):
        notes.append(
            "- HGB at its defaults cannot split 20-50 rows (min_samples_leaf=20), so any extra "
            "rows, real or synthetic, \"gain\" by letting it split at all: that is the "
            "min_samples_leaf effect, not the rows' quality. `hgb-small` scales the leaf to the "
            "rows it is fitted on; its gains are the data's. HGB is reported, never pooled "
            "into a mean.")
    return notes


def _apart_note(models: list) -> str:
    apart = [MODEL_NAMES.get(m, m) for m in models if m in APART]
    return f" {', '.join(apart)} at its defaults is left out (see the tables)." if apart else ""


def _ceiling_table(df: pd.DataFrame) -> list[str]:
    """Mean gain and share of the ceiling per arm and downstream model."""
    cells = cell_stats(headline(df[df.status == "ok"]))
    if not has_ceiling(cells):
        return []
    models = model_order(df.model)
    pooled = [m for m in models if m not in APART]
    lines = ["", "### Share of the ceiling", "",
             f"Mean gain in points over the (dataset, k) cells where `{CEILING}` was measured, "
             f"and in brackets that as a share of `{CEILING}`'s mean gain on the same cells "
             "(ratio of means; cells where more real data buys about 0 stay in both sums; `-`: "
             f"the ceiling gains under {MIN_CEILING:g} point there). "
             f"Last column: every model but {', '.join(MODEL_NAMES.get(m, m) for m in APART)}.", "",
             "| arm | " + " | ".join(MODEL_NAMES.get(m, m) for m in models) + " | pooled |",
             "|---|" + "---:|" * (len(models) + 1)]
    for arm in [a for a in dict.fromkeys(df.arm) if a in set(cells.arm)]:  # the run's order
        c = cells[(cells.arm == arm) & np.isfinite(cells.ceiling)]
        parts = [c[c.model == m] for m in models] + [c[c.model.isin(pooled)]]
        lines.append(f"| {arm} | " + " | ".join(
            "-" if p.empty else f"{p['mean'].mean():+.1f} ({format_share(share_of_ceiling(p))})"
            for p in parts) + " |")
    return lines


def _overrides(cfg: dict) -> str:
    over = cfg.get("arm_epochs") or {}
    return "".join(f", except `{a}`: {n} epochs" for a, n in over.items())


def render(df: pd.DataFrame, meta: dict, plots: dict, page: Path) -> str:
    """The run block of the tabular page, as markdown.

    ``plots`` maps a dataset to its PNG; links are relative to ``page``.
    """
    imbalanced = imbalanced_of(df.dataset.unique())
    arms = list(dict.fromkeys(df.arm))
    models = model_order(df.model)
    out = _header(df, meta, imbalanced) + [
        "",
        "### Summary",
        "",
        "Mean gain in points over every k and downstream model (accuracy; macro-F1 for "
        "imbalanced data), and in brackets the number of (k, model) cells whose 95% interval "
        "lies above zero / below zero / across zero." + _apart_note(models),
        "",
        *_summary(df, meta, arms, imbalanced),
        *_ceiling_table(df),
    ]
    for d in _datasets(df, meta):
        metrics = ["accuracy", "macro_f1"] if d in imbalanced else ["accuracy"]
        out += ["", f"### {d}", ""]
        if d in plots:
            out += [f"![gain vs k on {d}]({link(plots[d], page)})", ""]
        for k, sub in df[df.dataset == d].groupby("k"):
            n_tr, n_te = int(sub.n_train.iloc[0]), int(sub.n_test.iloc[0])
            hold = sub.dcr_holdout.mean()
            out += [f"**k = {k}** ({n_tr} training rows, {n_te} test rows, "
                    f"seeds: {sub.seed.nunique()}; holdout DCR {hold:.2f})", ""]
            out += _table(sub, models, metrics, arms) + [""]
    out.append(COLUMNS_NOTE)
    return "\n".join(out)


def load_run(csv: Path) -> tuple[pd.DataFrame, dict]:
    """A run's rows (with the columns older runners did not write) and sidecar."""
    df = read_rows(csv)
    for col in OPTIONAL:
        if col not in df:
            df[col] = np.nan
    return df, read_json(sidecar(csv), {"name": stem(csv)})


def write_report(csv, page, plot: bool = True) -> Path:
    """Regenerate the run block of ``page`` from ``csv`` and its sidecar.

    With ``plot``, the gain-vs-k PNGs are redrawn next to the CSV; without,
    the PNGs already there are linked.
    """
    from .plots import plot_gains, plot_paths

    csv, page = Path(csv), Path(page)
    df, meta = load_run(csv)
    if plot:
        plots = plot_gains(df, csv.parent, stem(csv), imbalanced_of(df.dataset.unique()))
    else:
        plots = plot_paths(df, csv.parent, stem(csv))
    return write_section(page, render(df, meta, plots, page), MARKERS)
