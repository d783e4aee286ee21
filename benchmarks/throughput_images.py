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
fitted for one epoch on random images. Run ``python -m benchmarks.throughput_images``;
the table goes to ``benchmarks/results/throughput_images.csv`` and into the
Images section of RESULTS.md.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from synthaug import ImageGAN, ImageVAE, SyntheticDataset
from synthaug.nets.noise import StreamNoise

RESULTS = Path(__file__).resolve().parent / "results"


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
    net = model.net_ if isinstance(model, ImageVAE) else model.generator_
    y = torch.as_tensor(np.arange(n) % 10, device=model.device_)
    noise = StreamNoise(torch.Generator(device=model.device_).manual_seed(0), n, model.device_)

    def run():
        net.sample(y, noise)
        if model.device_.type == "cuda":
            torch.cuda.synchronize()

    return run


def _loader_rates(model, n: int, workers: int) -> tuple[float, float]:
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


def measure(sides=(8, 28), sizes=(256, 1024, 4096), loader_n=4096, devices=None) -> pd.DataFrame:
    devices = devices or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    rows = []
    for device in devices:
        for side in sides:
            for cls in (ImageVAE, ImageGAN):
                model = _model(cls, side, device)
                base = {"device": device, "side": side, "model": cls.__name__}
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
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.throughput_images",
                                description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--no-report", action="store_true", help="do not update RESULTS.md")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    df = measure()
    RESULTS.mkdir(parents=True, exist_ok=True)
    df["threads"] = args.threads
    df.to_csv(RESULTS / "throughput_images.csv", index=False)
    print(df.pivot_table(index=["device", "side", "model"], columns=["what", "n"],
                         values="images_per_s").round(0).to_string())
    if not args.no_report:
        from .images_report import write_section

        print(write_section())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
