"""Image benchmark CSVs -> the "Images" section of ``benchmarks/RESULTS.md``.

``python -m benchmarks.images_report`` rebuilds the section from every full
run's ``benchmarks/results/images_*.csv`` (quick runs are left out). Only the
text between ``<!-- images:start -->`` and ``<!-- images:end -->`` is
replaced; the file is re-read just before and written atomically, since
other sections are maintained by other tools.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from synthaug.plot import image_grid, sample_grid, write_png

from .report import gain_ci

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
START, END = "<!-- images:start -->", "<!-- images:end -->"
ARM_ORDER = ["none", "classic", "image-vae", "image-gan", "classic+vae", "classic+gan"]
NAMES = {"digits": "digits 8x8", "fashion": "Fashion-MNIST 28x28"}


def grid_path(csv_path: Path, dataset: str, k: int, what: str) -> Path:
    return csv_path.parent / f"{csv_path.stem}_{dataset}_k{k}_{what}.png"


def save_grids(grids: dict, csv_path: Path) -> None:
    """Sample grids of each seed-0 generator, and the real images they saw."""
    for (dataset, k, what), obj in grids.items():
        path = grid_path(csv_path, dataset, k, what)
        if what == "real":
            X, y = obj
            order = np.argsort(y, kind="stable")
            per = int(np.bincount(y).min())
            keep = np.concatenate([order[y[order] == c][: min(per, 10)] for c in np.unique(y)])
            scale = max(1, -(-32 // X.shape[-1]))
            write_png(path, image_grid(X[keep], min(per, 10), pad=2, scale=scale))
        else:
            sample_grid(obj, per_class=10, path=path, random_state=0)


def _fmt(values) -> str:
    m, lo, hi = (100 * v for v in gain_ci(values))
    if not np.isfinite(lo):
        return "-" if not np.isfinite(m) else f"{m:+.1f}"
    text = f"{m:+.1f} [{lo:+.1f}, {hi:+.1f}]"
    return f"**{text}**" if lo > 0 or hi < 0 else text  # bold: the interval excludes 0


def _tables(df: pd.DataFrame) -> list[str]:
    arms = [a for a in ARM_ORDER if a in set(df.arm)]
    out = ["Mean test accuracy (5 seeds unless stated):", "",
           "| k | " + " | ".join(arms) + " |", "|---:|" + "---:|" * len(arms)]
    for k, sub in df.groupby("k"):
        means = sub.groupby("arm").accuracy.mean()
        out.append(f"| {k} | " + " | ".join(f"{means[a]:.3f}" for a in arms) + " |")
    others = [a for a in arms if a != "none"]
    out += ["", "Paired gain over `none` in accuracy points, mean [95% CI]:", "",
            "| k | seeds | " + " | ".join(others) + " |", "|---:|---:|" + "---:|" * len(others)]
    for k, sub in df.groupby("k"):
        cells = [_fmt(sub[sub.arm == a].sort_values("seed").gain) for a in others]
        out.append(f"| {k} | {sub.seed.nunique()} | " + " | ".join(cells) + " |")
    return out


def _diagnostics(df: pd.DataFrame) -> list[str]:
    gen = df[df.arm.isin(["image-vae", "image-gan"])]
    if gen.empty:
        return []
    out = ["", "Generators (mean over seeds): fit seconds, sampling images/s, TSTR accuracy "
           "(CNN trained on synthetic images only, half the CNN steps), median distance to the closest training "
           "image for synthetic images (DCR) and for held-out real ones, and the share of "
           "synthetic images closer than 95% of held-out ones (about 5% is healthy; near-copies "
           "push it up):", "",
           "| k | generator | fit s | images/s | TSTR acc | DCR | holdout DCR | < holdout p5 |",
           "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for (k, arm), sub in gen.groupby(["k", "arm"]):
        m = sub.mean(numeric_only=True)
        out.append(f"| {k} | {arm} | {m.fit_s:.1f} | {m.images_per_s:,.0f} | "
                   f"{m.tstr_accuracy:.3f} | {m.dcr_median:.3f} | {m.dcr_holdout:.3f} | "
                   f"{m.dcr_below_holdout_p05:.3f} |")
    return out


def _grids(csv_path: Path, dataset: str, df: pd.DataFrame) -> list[str]:
    out = []
    for k in sorted(df.k.unique()):
        cells = []
        for what in ("real", "image-vae", "image-gan"):
            path = grid_path(csv_path, dataset, k, what)
            if path.exists():
                cells.append(f"![{dataset} k={k} {what}]({path.relative_to(HERE).as_posix()})")
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
    for arm in [a for a in ARM_ORDER if a in tally]:
        t = tally[arm]
        lines.append(f"- `{arm}`: significant gain in {t['up']}, significant loss in "
                     f"{t['down']}, no clear difference in {t['flat']} (dataset, k) cells.")
    return lines + [""]


def _throughput() -> list[str]:
    path = RESULTS / "throughput_images.csv"
    if not path.exists():
        return []
    df = pd.read_csv(path)
    cols = [("sample", 256), ("sample", 4096), ("forward", 4096), ("loader-0w-cold", None),
            ("loader-0w-cached", None), ("loader-2w-cold", None)]
    out = ["### Throughput", "",
           f"Images/s (best of 3; `{int(df.threads.iloc[0])}` torch thread(s)), from "
           "`python -m benchmarks.throughput_images`: `sample(n)` returns decoded numpy images; "
           "`forward` is the bare generator network on the same noise (the limit); `loader` is "
           "one pass of `DataLoader(SyntheticDataset(model, 4096), batch_size=256)` with 0 or 2 "
           "workers, cold (generation included) or cached. Models at default width, fitted for "
           "one epoch (throughput does not depend on training). With 2 workers each worker "
           "draws the chunks it reads (here the one 4096-item chunk, twice), so a cold pass "
           "is slower; `SyntheticDataset.materialize()` draws once in the main process. The "
           "2 CPU cores were shared with other jobs, so single numbers are noisy.", "",
           "| device | size | model | " + " | ".join(
               f"{w} n={n}" if n else w for w, n in cols) + " |",
           "|---|---|---|" + "---:|" * len(cols)]
    for (device, side, model), sub in df.groupby(["device", "side", "model"]):
        vals = []
        for what, n in cols:
            hit = sub[(sub.what == what) & ((sub.n == n) if n else True)]
            vals.append(f"{hit.images_per_s.iloc[0]:,.0f}" if len(hit) else "-")
        out.append(f"| {device} | {side}x{side} | {model} | " + " | ".join(vals) + " |")
    return out + [""]


def render(runs: list[tuple[Path, pd.DataFrame, dict]]) -> str:
    out = ["## Images (issue 6)", "",
           "Question: does adding ImageVAE / ImageGAN samples to k real images per class help a "
           "small CNN, next to classic random affine + crop augmentation? Protocol in "
           "`benchmarks/images.py`: the CNN gets the same number of steps in every arm; the "
           "generative arms add 2 synthetic images per real one; generators are fitted on the k "
           "drawn images only, with the step budget stated below. Bold gains have a 95% "
           "interval that excludes 0.", ""]
    for csv_path, df, meta in runs:
        cfg, mach = meta.get("config", {}), meta.get("machine", {})
        out += [f"### Run `{csv_path.stem}`", "",
                f"- Command: `{meta.get('command', '?')}` ({meta.get('wall_s', '?')} s wall)",
                f"- Date: {meta.get('date', '?')}. Machine: {mach.get('cpu', '?')}, "
                f"{mach.get('cores', '?')} cores, GPU: {mach.get('gpu', '?')}; torch "
                f"{mach.get('versions', {}).get('torch', '?')}.",
                "- Budgets (gradient steps): " + "; ".join(
                    f"{d}: ImageVAE {b['vae']}, ImageGAN {b['gan']}, CNN {b['cnn']}"
                    for d, b in cfg.get("budgets", {}).items() if d in set(df.dataset))
                + f". Generators: batch 32, width {cfg.get('width')}, other parameters at their "
                "defaults; CNN batches of 64.",
                f"- Results: `{csv_path.relative_to(HERE).as_posix()}`.", ""]
        for dataset, sub in df.groupby("dataset", sort=False):
            out += [f"#### {NAMES.get(dataset, dataset)}", ""]
            out += _tables(sub) + _diagnostics(sub) + [""] + _grids(csv_path, dataset, sub)
    out += _reading([df for _, df, _ in runs]) + _throughput()
    return "\n".join(out).rstrip() + "\n"


def splice(existing: str, section: str) -> str:
    block = f"{START}\n{section}{END}"
    if START in existing and END in existing:
        head, rest = existing.split(START, 1)
        return head + block + rest.split(END, 1)[1]
    return existing.rstrip("\n") + "\n\n" + block + "\n"


def write_section(md_path: Path = HERE / "RESULTS.md") -> Path:
    """Rebuild the Images section from every full run's CSV (atomic write)."""
    runs = []
    for csv_path in sorted(RESULTS.glob("images_*.csv")):
        if "quick" in csv_path.stem:
            continue
        sidecar = csv_path.with_suffix(".json")
        meta = json.loads(sidecar.read_text()) if sidecar.exists() else {}
        runs.append((csv_path, pd.read_csv(csv_path), meta))
    section = render(runs)
    existing = md_path.read_text() if md_path.exists() else "# synthaug benchmark results\n"
    fd, tmp = tempfile.mkstemp(prefix=".RESULTS.", suffix=".tmp", dir=md_path.parent)
    with os.fdopen(fd, "w") as fh:
        fh.write(splice(existing, section))
    os.replace(tmp, md_path)
    return md_path


if __name__ == "__main__":
    print(write_section())
