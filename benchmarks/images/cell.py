"""One (dataset, k, seed) cell of the image benchmark.

Draw k labelled images per class, fit each generator on those only (with a
fixed step budget), and train the same small CNN (same steps, same seed) on
each arm's training set; score it on the test images.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from .cnn import dcr, predict, score, train_cnn
from .config import RATIO, Config
from .data import load, split
from .grids import save_grids


def _generator(name: str):
    from synthaug import ImageGAN, ImageVAE

    return {"image-vae": ImageVAE, "image-gan": ImageGAN}[name]


def fit_generator(name: str, cfg: Config, dataset: str, X, y, seed: int):
    """Fit with the stated step budget; return (model, X_syn, y_syn, timings)."""
    steps = cfg.budgets[dataset]["vae" if name == "image-vae" else "gan"]
    batch = 32
    per_epoch = max(1, len(X) // batch) if name == "image-gan" else math.ceil(len(X) / batch)
    model = _generator(name)(epochs=max(1, math.ceil(steps / per_epoch)), batch_size=batch,
                             width=cfg.width, synthetic_ratio=RATIO, random_state=seed)
    t0 = time.perf_counter()
    model.fit(X, y)
    fit_s = time.perf_counter() - t0
    wanted = {int(c): int(round(RATIO * n)) for c, n in zip(model.classes_, model.class_counts_)}
    t0 = time.perf_counter()
    X_syn, y_syn = model.sample(y=wanted)
    rate = len(X_syn) / max(time.perf_counter() - t0, 1e-9)
    return model, X_syn, y_syn, {"fit_s": fit_s, "images_per_s": rate}


def run_cell(cfg: Config, dataset: str, k: int, seed: int, csv: Path | None = None) -> list[dict]:
    """Every arm's row of one split; seed 0 also draws its sample grids next
    to ``csv`` (when given)."""
    X, y, Xt, yt = split(dataset, load(dataset, cfg.fashion_test), k, seed)
    grids = {}
    n_classes = int(y.max()) + 1
    base = {"dataset": dataset, "k": k, "seed": seed, "model": "cnn", "n_real": len(X)}
    steps = cfg.budgets[dataset]["cnn"]
    rows = []

    def evaluate(arm, X_tr, y_tr, classic, extra):
        t0 = time.perf_counter()
        net = train_cnn(X_tr, y_tr, n_classes, steps=steps, seed=seed, classic=classic)
        rows.append({**base, "arm": arm, **score(yt, predict(net, Xt)), "n_synthetic": len(X_tr) - len(X),
                     "cnn_s": time.perf_counter() - t0, **extra})

    evaluate("none", X, y, False, {})
    evaluate("classic", X, y, True, {})
    for name, combo in (("image-vae", "classic+vae"), ("image-gan", "classic+gan")):
        model, X_syn, y_syn, timing = fit_generator(name, cfg, dataset, X, y, seed)
        if seed == 0:
            grids[(dataset, k, name)] = model
            grids[(dataset, k, "real")] = (X, y)
        # TSTR is a diagnostic of the samples, so it gets half the CNN budget
        tstr_net = train_cnn(X_syn, y_syn, n_classes, steps=steps // 2, seed=seed)
        extra = {**timing, **dcr(X_syn, X, Xt),
                 "tstr_accuracy": score(yt, predict(tstr_net, Xt))["accuracy"]}
        X_aug, y_aug = np.concatenate([X, X_syn]), np.concatenate([y, y_syn])
        evaluate(name, X_aug, y_aug, False, extra)
        evaluate(combo, X_aug, y_aug, True, extra)
    if grids and csv is not None:
        save_grids(grids, csv)
    none = rows[0]["accuracy"]
    for r in rows:
        r["gain"] = r["accuracy"] - none
    return rows
