"""Image benchmark: does generative augmentation help a small CNN?

Protocol (``shared/BENCHMARK.md``): for each dataset draw ``k`` labelled
images per class, fit each generator on those only, and train the same small
CNN (same steps, same seeds) on each arm's training set:

* ``none``: the real images;
* ``classic``: the real images under random affine + crop (the torchvision
  ``RandomAffine(10, (0.1, 0.1), (0.9, 1.1))`` + ``RandomCrop(pad=side/14)``
  recipe, re-implemented batched in torch so torchvision is not needed);
* ``image-vae`` / ``image-gan``: real + ``RATIO`` synthetic images per real one;
* ``classic+vae`` / ``classic+gan``: both.

Test sets: digits, every image not drawn; Fashion-MNIST, a fixed stratified
2,000 images of the official test split (the 60,000 training images are the
pool the k per class are drawn from). Each generator is fitted once per
(dataset, k, seed) with a fixed, stated step budget, and its samples feed
both its arms; TSTR (CNN on synthetic only) and DCR (pixel distance to the
closest training image) are recorded so that near-copies cannot pass as
wins.

Run ``python -m benchmarks.images --help``; results go to
``benchmarks/results/images_*.csv`` and the "Images" section of RESULTS.md
(:mod:`benchmarks.images_report`).
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from synthaug import ImageGAN, ImageVAE

from .datasets import draw
from .machine import describe_machine

RESULTS = Path(__file__).resolve().parent / "results"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
ARMS = ["none", "classic", "image-vae", "image-gan", "classic+vae", "classic+gan"]
GENERATORS = {"image-vae": ImageVAE, "image-gan": ImageGAN}
RATIO = 2.0  # synthetic images per real image in the generative arms


@dataclass
class Config:
    """Everything that defines a run (stored in the JSON sidecar)."""

    datasets: list = field(default_factory=lambda: ["digits", "fashion"])
    ks: dict = field(default_factory=lambda: {"digits": [5, 10, 25, 50], "fashion": [10]})
    seeds: int = 5
    # gradient steps per dataset: the generators' fixed training budget and
    # the CNN's (the same in every arm), sized so a run fits ~10 min on 2 cores
    budgets: dict = field(default_factory=lambda: {
        "digits": {"vae": 400, "gan": 600, "cnn": 800},
        "fashion": {"vae": 300, "gan": 400, "cnn": 300},
    })
    width: int = 16
    fashion_test: int = 2000
    quick: bool = False


# ----------------------------------------------------------------- data
def load_digits_images():
    """Digits as float32 ``(N, 1, 8, 8)`` in [0, 1]; every undrawn image is test."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images[:, None] / 16.0).astype(np.float32), d.target.astype(np.int64)


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion_available() -> bool:
    return (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file()


def load_fashion(n_test: int):
    """Fashion-MNIST from the Debian package: the training pool and a fixed
    stratified test subset, images float32 ``(N, 1, 28, 28)`` in [0, 1]."""
    X = _read_idx(FASHION_DIR / "train-images-idx3-ubyte.gz")
    y = _read_idx(FASHION_DIR / "train-labels-idx1-ubyte.gz").astype(np.int64)
    Xt = _read_idx(FASHION_DIR / "t10k-images-idx3-ubyte.gz")
    yt = _read_idx(FASHION_DIR / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    rng = np.random.default_rng(12345)  # fixed: the same test images in every run
    per = n_test // 10
    keep = np.sort(np.concatenate([rng.choice(np.flatnonzero(yt == c), per, replace=False)
                                   for c in range(10)]))
    to_float = lambda a: (a[:, None] / 255.0).astype(np.float32)  # noqa: E731
    return to_float(X), y, to_float(Xt[keep]), yt[keep]


def split(dataset: str, data, k: int, seed: int):
    """``(X_train, y_train, X_test, y_test)`` for one cell."""
    if dataset == "digits":
        X, y = data
        tr, te = draw(y, k, seed)
        return X[tr], y[tr], X[te], y[te]
    X, y, Xt, yt = data
    tr, _ = draw(y, k, seed)
    return X[tr], y[tr], Xt, yt


# -------------------------------------------------------- classic transforms
def classic_augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random affine (rotate +-10 deg, shift +-10%, scale 0.9-1.1) then a
    random crop after zero padding by side/14 (2 pixels for 28x28, none for
    8x8, where one pixel is already 12%), per image, batched."""
    n, c, h, w = x.shape
    u = torch.rand((n, 4), generator=gen) * 2 - 1
    angle = u[:, 0] * math.radians(10)
    scale = 1.0 + 0.1 * u[:, 1]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    # affine_grid maps output to input coordinates in [-1, 1]: a shift of
    # 10% of the side is 0.2 in those units
    theta = torch.stack([torch.stack([cos, -sin, 0.2 * u[:, 2]], 1),
                         torch.stack([sin, cos, 0.2 * u[:, 3]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)
    p = h // 14
    if p == 0:
        return x
    padded = F.pad(x, (p, p, p, p))
    oy = torch.randint(0, 2 * p + 1, (n,), generator=gen)
    ox = torch.randint(0, 2 * p + 1, (n,), generator=gen)
    rows = (oy[:, None] + torch.arange(h))[:, None, :, None]
    cols = (ox[:, None] + torch.arange(w))[:, None, None, :]
    return padded[torch.arange(n)[:, None, None, None], torch.arange(c)[None, :, None, None],
                  rows, cols]


# ---------------------------------------------------------- downstream CNN
class SmallCNN(nn.Module):
    """Two conv blocks and an MLP head; the same network for every arm."""

    def __init__(self, channels: int, n_classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            # max-pooling to 4x4 keeps the layout of an 8x8 digit and
            # summarises a 28x28 image alike
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(4),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(512, 64), nn.ReLU(), nn.Dropout(0.3),
                                  nn.Linear(64, n_classes))

    def forward(self, x):
        return self.head(self.features(x))


def train_cnn(X, y, n_classes, *, steps, seed, classic=False) -> SmallCNN:
    """A fixed number of Adam steps on batches of 64 drawn with replacement,
    so every arm gets the same compute whatever its training-set size."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # init and dropout masks: a script may own the global RNG
    net = SmallCNN(X.shape[1], n_classes)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    net.train()
    for _ in range(steps):
        rows = torch.randint(0, len(X), (min(64, len(X)),), generator=gen)
        xb = classic_augment(X[rows], gen) if classic else X[rows]
        loss = F.cross_entropy(net(xb), y[rows])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return net.eval()


@torch.inference_mode()
def predict(net, X) -> np.ndarray:
    X = torch.as_tensor(X)
    return torch.cat([net(X[s : s + 1024]).argmax(1) for s in range(0, len(X), 1024)]).numpy()


def score(y_true, y_pred) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro"))}


def dcr(X_syn, X_train, X_test) -> dict:
    """Median L2 pixel distance to the closest training image, for synthetic
    images and (the reference) for held-out real ones; and the share of
    synthetic images closer than 95% of held-out ones."""
    A = torch.as_tensor(X_train).flatten(1)
    syn = torch.cdist(torch.as_tensor(X_syn).flatten(1), A).min(1).values.numpy()
    held = torch.cdist(torch.as_tensor(X_test[:2000]).flatten(1), A).min(1).values.numpy()
    return {"dcr_median": float(np.median(syn)), "dcr_holdout": float(np.median(held)),
            "dcr_below_holdout_p05": float((syn < np.quantile(held, 0.05)).mean())}


# ------------------------------------------------------------- one cell
def fit_generator(name: str, cfg: Config, dataset: str, X, y, seed: int):
    """Fit with the stated step budget; return (model, X_syn, y_syn, timings)."""
    steps = cfg.budgets[dataset]["vae" if name == "image-vae" else "gan"]
    batch = 32
    per_epoch = max(1, len(X) // batch) if name == "image-gan" else math.ceil(len(X) / batch)
    model = GENERATORS[name](epochs=max(1, math.ceil(steps / per_epoch)), batch_size=batch,
                             width=cfg.width, synthetic_ratio=RATIO, random_state=seed)
    t0 = time.perf_counter()
    model.fit(X, y)
    fit_s = time.perf_counter() - t0
    wanted = {int(c): int(round(RATIO * n)) for c, n in zip(model.classes_, model.class_counts_)}
    t0 = time.perf_counter()
    X_syn, y_syn = model.sample(y=wanted)
    rate = len(X_syn) / max(time.perf_counter() - t0, 1e-9)
    return model, X_syn, y_syn, {"fit_s": fit_s, "images_per_s": rate}


def run_cell(cfg: Config, dataset: str, data, k: int, seed: int, grids: dict) -> list[dict]:
    X, y, Xt, yt = split(dataset, data, k, seed)
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
    none = rows[0]["accuracy"]
    for r in rows:
        r["gain"] = r["accuracy"] - none
    return rows


# --------------------------------------------------------------- the run
def _log(message: str) -> None:
    print(message, flush=True)  # progress shows up in a redirected log too


def run(cfg: Config, csv_path: Path, log=_log) -> pd.DataFrame:
    """Every (dataset, k, seed) cell; the CSV is rewritten after each cell so
    an interrupted run keeps what it finished."""
    torch.set_num_threads(1)  # 2 shared cores; tiny nets gain nothing from more
    rows, grids, t_start = [], {}, time.perf_counter()
    for dataset in cfg.datasets:
        if dataset == "fashion" and not fashion_available():
            log(f"fashion: skipped, {FASHION_DIR} is absent "
                "(apt-get install dataset-fashion-mnist)")
            continue
        data = load_digits_images() if dataset == "digits" else load_fashion(cfg.fashion_test)
        for k in cfg.ks[dataset]:
            for seed in range(cfg.seeds):
                t0 = time.perf_counter()
                cell = run_cell(cfg, dataset, data, k, seed, grids)
                rows.extend(cell)
                pd.DataFrame(rows).to_csv(csv_path, index=False)
                accs = " ".join(f"{r['arm']}={r['accuracy']:.3f}" for r in cell)
                log(f"{dataset} k={k} seed={seed} ({time.perf_counter() - t0:.0f}s): {accs}")
    from .images_report import save_grids

    save_grids(grids, csv_path)
    log(f"total {time.perf_counter() - t_start:.0f}s")
    return pd.DataFrame(rows)


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.images", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="digits, k=5 and 25, 2 seeds, small budgets (a few minutes on 2 cores)")
    p.add_argument("--datasets", nargs="+", choices=["digits", "fashion"])
    p.add_argument("--ks", nargs="+", type=int, help="labelled images per class (all datasets)")
    p.add_argument("--seeds", type=int)
    p.add_argument("--name", help="CSV name under benchmarks/results (default from the datasets)")
    p.add_argument("--no-report", action="store_true", help="do not update RESULTS.md")
    return p.parse_args(argv)


def config_from_args(args) -> Config:
    cfg = Config()
    if args.quick:
        cfg = Config(datasets=["digits"], ks={"digits": [5, 25], "fashion": [10]}, seeds=2,
                     quick=True)
        cfg.budgets["digits"] = {"vae": 200, "gan": 300, "cnn": 300}
    if args.datasets:
        cfg.datasets = args.datasets
    if args.ks:
        cfg.ks = {d: list(args.ks) for d in ("digits", "fashion")}
    if args.seeds:
        cfg.seeds = args.seeds
    return cfg


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = config_from_args(args)
    name = args.name or ("images_quick" if cfg.quick else "images_" + "-".join(cfg.datasets))
    RESULTS.mkdir(parents=True, exist_ok=True)
    csv_path = RESULTS / f"{name}.csv"
    t0 = time.perf_counter()
    run(cfg, csv_path)
    meta = {"name": name, "command": "python -m benchmarks.images " + " ".join(sys.argv[1:] if argv is None else argv),
            "date": date.today().isoformat(), "wall_s": round(time.perf_counter() - t0),
            "config": asdict(cfg), "machine": describe_machine()}
    csv_path.with_suffix(".json").write_text(json.dumps(meta, indent=2))
    if not (args.no_report or cfg.quick):
        from .images_report import write_section

        print(write_section())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
