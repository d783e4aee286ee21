"""Images/s of ``sample`` and of a DataLoader over ``SyntheticDataset``.

For 8x8 (digits) and 28x28 (Fashion-MNIST-sized) single-channel models of
the default width, on the CPU (and CUDA when present):

* ``sample``: ``model.sample(n)`` for several ``n`` (decoded numpy output);
* ``forward``: the bare generator network on the same noise, the limit that
  ``sample`` approaches (no label planning, no decoding);
* ``loader``: one pass of ``DataLoader(SyntheticDataset(model, n), batch_size=256)``
  with 0 and 2 workers from a cold cache (generation included), and a second,
  cached pass.

Throughput does not depend on how well a model is trained, so each model is
fitted for one epoch on random images. The table is shown on the images
page (:func:`benchmarks.throughput.render.images_lines`).
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from . import internals


def _model(cls, side: int, device: str):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (200, side, side), dtype=np.uint8)
    y = np.repeat(np.arange(10), 20)
    return cls(epochs=1, device=device, random_state=0).fit(X, y)


def _rate(fn, n: int, repeats: int = 3) -> float:
    """Best of ``repeats`` timings, in items per second."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return n / best


def _forward(model, n: int):
    _, StreamNoise = internals.noise_classes()
    net = model.net_
    y = torch.as_tensor(np.arange(n) % 10, device=model.device_)
    noise = StreamNoise(torch.Generator(device=model.device_).manual_seed(0), n, model.device_)

    def run():
        net.sample(y, noise)
        if model.device_.type == "cuda":
            torch.cuda.synchronize()

    return run


def _loader_rates(model, n: int, workers: int) -> tuple[float, float]:
    from torch.utils.data import DataLoader

    from synthaug import SyntheticDataset

    ds = SyntheticDataset(model, n, seed=0)
    loader = DataLoader(ds, batch_size=256, num_workers=workers)
    t0 = time.perf_counter()
    for _ in loader:
        pass
    cold = n / (time.perf_counter() - t0)
    if workers:
        return cold, float("nan")  # workers keep their caches only for one pass
    t0 = time.perf_counter()
    for _ in loader:
        pass
    return cold, n / (time.perf_counter() - t0)


def _model_rows(model, base: dict, sizes, loader_n: int) -> list[dict]:
    rows = []
    for n in sizes:
        rows.append({**base, "what": "sample", "n": n,
                     "images_per_s": _rate(lambda: model.sample(n), n)})
        rows.append({**base, "what": "forward", "n": n,
                     "images_per_s": _rate(_forward(model, n), n)})
    for workers in (0, 2):
        cold, warm = _loader_rates(model, loader_n, workers)
        rows.append({**base, "what": f"loader-{workers}w-cold", "n": loader_n,
                     "images_per_s": cold})
        if np.isfinite(warm):
            rows.append({**base, "what": f"loader-{workers}w-cached", "n": loader_n,
                         "images_per_s": warm})
    return rows


def measure(sides=(8, 28), sizes=(256, 1024, 4096), loader_n=4096, devices=None) -> pd.DataFrame:
    """One row per device x side x model x measurement."""
    from synthaug import ImageGAN, ImageVAE

    devices = devices or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    rows = []
    for device in devices:
        for side in sides:
            for cls in (ImageVAE, ImageGAN):
                base = {"device": device, "side": side, "model": cls.__name__}
                rows += _model_rows(_model(cls, side, device), base, sizes, loader_n)
    return pd.DataFrame(rows)
