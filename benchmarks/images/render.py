"""Image runs -> the "Images" block of ``results/images.md``.

``python -m benchmarks images --report-only`` rebuilds the block from every
full run's ``images_*.csv.gz`` in the results folder (quick runs are left
out), plus the image throughput table (``throughput_images.csv.gz``).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..common.files import SUFFIXES, read_rows, sidecar, stem
from ..common.pages import Markers, link
from ..common.stamp import read_json
from ..common.stats import format_gain, gain_ci
from .config import ARMS
from .grids import grid_path

MARKERS = Markers("images", "benchmarks/images/render.py")
NAMES = {"digits": "digits 8x8", "fashion": "Fashion-MNIST 28x28"}
INTRO = (
    "Question: does adding ImageVAE / ImageGAN samples to k real images per class help a "
    "small CNN, next to classic random affine + crop augmentation? Protocol in "
    "`benchmarks/images/__init__.py`: the CNN gets the same number of steps in every arm; the "
    "generative arms add 2 synthetic images per real one; generators are fitted on the k "
    "drawn images only, with the step budget stated below. Bold gains have a 95% "
    "interval that excludes 0.")
DIAGNOSTICS = (
    "Generators (mean over seeds): fit seconds, sampling images/s, TSTR accuracy "
    "(CNN trained on synthetic images only, half the CNN steps), median distance to the "
    "closest training image for synthetic images (DCR) and for held-out real ones, and the "
    "share of synthetic images closer than 95% of held-out ones (about 5% is healthy; "
    "near-copies push it up):")


def _tables(df: pd.DataFrame) -> list[str]:
    arms = [a for a in ARMS if a in set(df.arm)]
    out = ["Mean test accuracy (5 seeds unless stated):", "",
           "| k | " + " | ".join(arms) + " |", "|---:|" + "---:|" * len(arms)]
    for k, sub in df.groupby("k"):
        means = sub.groupby("arm").accuracy.mean()
        out.append(f"| {k} | " + " | ".join(f"{means[a]:.3f}" for a in arms) + " |")
    others = [a for a in arms if a != "none"]
    out += ["", "Paired gain over `none` in accuracy points, mean [95% CI]:", "",
            "| k | seeds | " + " | ".join(others) + " |", "|---:|---:|" + "---:|" * len(others)]
    for k, sub in df.groupby("k"):
        cells = [format_gain(sub[sub.arm == a].sort_values("seed").gain) for a in others]
        out.append(f"| {k} | {sub.seed.nunique()} | " + " | ".join(cells) + " |")
    return out


def _diagnostics(df: pd.DataFrame) -> list[str]:
    gen = df[df.arm.isin(["image-vae", "image-gan"])]
    if gen.empty:
        return []
    out = ["", DIAGNOSTICS, "",
           "| k | generator | fit s | images/s | TSTR acc | DCR | holdout DCR | < holdout p5 |",
           "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for (k, arm), sub in gen.groupby(["k", "arm"]):
        m = sub.mean(numeric_only=True)
        out.append(f"| {k} | {arm} | {m.fit_s:.1f} | {m.images_per_s:,.0f} | "
                   f"{m.tstr_accuracy:.3f} | {m.dcr_median:.3f} | {m.dcr_holdout:.3f} | "
                   f"{m.dcr_below_holdout_p05:.3f} |")
    return out


def _grids(csv: Path, dataset: str, df: pd.DataFrame, page: Path) -> list[str]:
    out = []
    for k in sorted(df.k.unique()):
        cells = []
        for what in ("real", "image-vae", "image-gan"):
            path = grid_path(csv, dataset, k, what)
            if path.exists():
                cells.append(f"![{dataset} k={k} {what}]({link(path, page)})")
        if cells:
            out.append(f"k={k}, seed 0 (real training images | ImageVAE | ImageGAN, one row "
                       f"per class): " + " ".join(cells))
            out.append("")
    return out


def _reading(frames: list) -> list[str]:
    """Count the (dataset, k, arm) cells whose gain interval excludes zero."""
    if not frames:
        return []
    df = pd.concat(frames)
    tally = {}
    for (dataset, arm), sub in df[df.arm != "none"].groupby(["dataset", "arm"]):
        for _, cell in sub.groupby("k"):
            _, lo, hi = gain_ci(cell.sort_values("seed").gain)
            key = "up" if lo > 0 else "down" if hi < 0 else "flat"
            tally.setdefault(arm, {"up": 0, "down": 0, "flat": 0})[key] += 1
    lines = ["### Reading (computed from the tables above)", ""]
    for arm in [a for a in ARMS if a in tally]:
        t = tally[arm]
        lines.append(f"- `{arm}`: significant gain in {t['up']}, significant loss in "
                     f"{t['down']}, no clear difference in {t['flat']} (dataset, k) cells.")
    return lines + [""]


def _run(csv: Path, df: pd.DataFrame, meta: dict, page: Path) -> list[str]:
    cfg, mach = meta.get("config", {}), meta.get("machine", {})
    out = [f"### Run `{stem(csv)}`", "",
           f"- Command: `{meta.get('command', '?')}` ({meta.get('wall_s', '?')} s wall)",
           f"- Date: {meta.get('date', '?')}. Machine: {mach.get('cpu', '?')}, "
           f"{mach.get('cores', '?')} cores, GPU: {mach.get('gpu', '?')}; torch "
           f"{mach.get('versions', {}).get('torch', '?')}.",
           "- Budgets (gradient steps): " + "; ".join(
               f"{d}: ImageVAE {b['vae']}, ImageGAN {b['gan']}, CNN {b['cnn']}"
               for d, b in cfg.get("budgets", {}).items() if d in set(df.dataset))
           + f". Generators: batch 32, width {cfg.get('width')}, other parameters at their "
           "defaults; CNN batches of 64.",
           f"- Results: `{link(csv, page)}`.", ""]
    for dataset, sub in df.groupby("dataset", sort=False):
        out += [f"#### {NAMES.get(dataset, dataset)}", ""]
        out += _tables(sub) + _diagnostics(sub) + [""] + _grids(csv, dataset, sub, page)
    return out


def render(runs: list, page: Path, throughput: list[str] = ()) -> str:
    """The Images block: every ``(csv, rows, sidecar)`` run, the reading, and
    the throughput lines (:func:`benchmarks.throughput.render.images_lines`).
    Links are relative to ``page``."""
    out = ["## Images (issue 6)", "", INTRO, ""]
    for csv, df, meta in runs:
        out += _run(csv, df, meta, page)
    out += _reading([df for _, df, _ in runs]) + list(throughput)
    return "\n".join(out).rstrip()


def full_runs(out: Path) -> list:
    """Every full run in ``out``: ``(csv, rows, sidecar)``, by file name."""
    csvs = [p for p in Path(out).glob("images_*.csv*") if p.name.endswith(SUFFIXES)]
    return [(csv, read_rows(csv), read_json(sidecar(csv)))
            for csv in sorted(csvs, key=stem) if "quick" not in stem(csv)]
