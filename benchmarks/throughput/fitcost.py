"""Fit cost: wall time of TabularGAN and ctgan's CTGAN at their defaults on
low-data draws, with each one's downstream gain (augmentation gain and TSTR
of a logistic regression, through the tabular benchmark's own arms and
pipeline, :mod:`benchmarks.tabular.cell`)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .tabular import has_ctgan

ARM_MODEL = {"none": "real only", "tabular-gan": "TabularGAN", "ctgan": "ctgan.CTGAN"}


def measure_fit(ds, k: int, seeds: int, epochs, threads: int, log=print) -> list[dict]:
    """Fit wall time and downstream gain of TabularGAN and CTGAN at their defaults
    (``epochs=None``) on ``k`` labelled rows per class, through the benchmark's arms."""
    import synthaug

    from ..common.draws import draw
    from ..common.stats import add_gains
    from ..tabular.arms import ARMS, Cell
    from ..tabular.cell import augment_rows
    from ..tabular.config import Config

    arms = ["none", "tabular-gan"] + (["ctgan"] if has_ctgan() else [])
    cfg = Config(datasets=[ds.name], arms=arms, ks=[k], seeds=seeds, models=["logreg"],
                 epochs=epochs, threads=threads)
    # each generator's own default budget (ctgan's CTGAN: 300 epochs)
    default_epochs = {"real only": 0, "TabularGAN": synthaug.TabularGAN().epochs,
                      "ctgan.CTGAN": 300}
    rows = []
    for seed in range(seeds):
        tr, te = draw(ds.y, k, seed, ds.imbalanced)
        X_tr, y_tr = ds.X.iloc[tr].reset_index(drop=True), ds.y[tr]
        X_te, y_te = ds.X.iloc[te].reset_index(drop=True), ds.y[te]
        cell = Cell(ds, X_tr, y_tr, seed, epochs, cfg.ratio, throughput_rows=1000)
        got = []
        for name in arms:
            for r in augment_rows(cfg, ARMS[name], replace(cell), None, X_te, y_te):
                got.append(dict(r, arm=name))
        add_gains(got)
        for r in got:
            model = ARM_MODEL[r["arm"]]
            rows.append(dict(part="fit", model=model, what="fit", n_samples=len(tr),
                             seconds=r["fit_s"], seed=seed,
                             epochs=default_epochs[model] if epochs is None else epochs,
                             accuracy=r["accuracy"], gain_accuracy=r["gain_accuracy"],
                             tstr_accuracy=r.get("tstr_accuracy", np.nan), threads=threads))
        log("  seed %d: %s" % (seed, ", ".join(
            f"{r['model']} fit {r['seconds']:.1f} s gain {100 * r['gain_accuracy']:+.1f} pt"
            for r in rows[-len(arms):] if r["model"] != "real only")))
    return rows
