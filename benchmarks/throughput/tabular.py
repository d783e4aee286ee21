"""Tabular sampling speed: ``sample`` against the bare generator network,
decoding alone, and ctgan's ``CTGAN.sample``.

On one mixed-type table (penguins by default: two categorical columns, four
continuous, one integer; missing values imputed so that every generator gets
exactly the same table):

* ``sample``: rows/s of ``model.sample(n)`` (decoded DataFrame + labels) for
  several ``n`` and batch sizes, next to ``forward``, the bare generator
  network on the same batches (noise in, encoded rows out, under
  ``inference_mode``, condition vectors prepared beforehand): the limit for
  this machine. ``overhead = sample time / forward time - 1`` is everything
  ``sample`` adds: per-row seeded noise, label plan, condition draw,
  decoding (on the device), host copy of the decoded columns, building the
  DataFrame. ``decode`` is decoding alone, as ``sample`` does it, on the
  same ``n`` and batch: ``decode time / forward time`` is what decoding
  costs on top of the forward pass;
* ``ctgan``: ``CTGAN.sample(n)`` of ctgan fitted on the same table (label as
  one more discrete column), at its own batch size.

Sampling speed does not depend on how well a model is trained, so the
sampling models are fitted for a few epochs only.
"""
from __future__ import annotations

import importlib.util
import time

import numpy as np
import pandas as pd
import torch

from . import internals
from .config import MODELS


def has_ctgan() -> bool:
    return importlib.util.find_spec("ctgan") is not None


def load_table(name: str):
    """The dataset and its imputed features (what every generator is fitted on)."""
    from ..tabular import datasets as dsets
    from ..tabular.arms import Cell, impute

    ds = dsets.load(name)
    return ds, impute(Cell(ds, ds.X, ds.y, 0))


def _ctgan_frame(X: pd.DataFrame, y) -> pd.DataFrame:
    from ..tabular.arms import TARGET

    data = X.copy()
    data[TARGET] = [str(v) for v in np.asarray(y).tolist()]
    return data


def best_time(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


# best of 3 at every n: on this shared machine one timing of the same code
# varies by up to a third between runs
REPEATS = 3


def _forward(model, n: int, chunk: int):
    """The generator alone on ``n`` rows in batches of ``chunk``: noise in,
    encoded rows out (one-hot draws included), no planning or decoding."""
    _, StreamNoise = internals.noise_classes()
    net, dev = model.net_, model.device_
    b0 = min(chunk, n)
    gen = torch.Generator(device=dev).manual_seed(0)
    with torch.inference_mode():
        y_idx = (torch.randint(0, len(model.classes_), (b0,), generator=gen, device=dev)
                 if model.conditional_ else None)
        cond = internals.condition_vectors(model, y_idx, b0)

    def run():
        with torch.inference_mode():
            for start in range(0, n, chunk):
                b = min(chunk, n - start)
                net.sample(cond[:b], StreamNoise(gen, b, dev))

    return run, cond


def _decode_run(model, n: int, chunk: int):
    """A call decoding ``n`` encoded rows the way ``sample`` does: each
    chunk of ``chunk`` rows decoded on the device to plain arrays, then the
    user's container (DataFrame) built once from all of them."""
    _, StreamNoise = internals.noise_classes()
    _, cond = _forward(model, chunk, chunk)
    gen = torch.Generator(device=model.device_).manual_seed(1)
    with torch.inference_mode():
        encoded = [model.net_.sample(cond[: min(chunk, n - a)],
                                     StreamNoise(gen, min(chunk, n - a), model.device_))
                   for a in range(0, n, chunk)]

    def run():
        return internals.decode_like_sample(model, encoded, n)

    return run


def fit_samplers(X, y, epochs: int) -> dict:
    """Briefly fitted models for the sampling measurements (speed only)."""
    import synthaug

    models = {name: getattr(synthaug, name)(epochs=epochs, device="cpu", random_state=0)
              .fit(X, y) for name in MODELS}
    if has_ctgan():
        import ctgan

        from ..tabular.arms import TARGET

        peer = ctgan.CTGAN(epochs=epochs, enable_gpu=False)
        peer.set_random_state(0)
        cats = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        peer.fit(_ctgan_frame(X, y), discrete_columns=[*cats, TARGET])
        models["ctgan.CTGAN"] = peer
    return models


def _time_batch(name: str, model, ns, chunk: int, base: dict, log) -> list[dict]:
    """sample, forward and decode at one batch size, for every n."""
    rows = []
    model.sample(min(chunk, 1000), random_state=0)  # warm-up
    for n in ns:
        run, _ = _forward(model, n, chunk)
        if n == ns[0]:
            run()  # warm-up (later sizes follow warm runs)
        calls = (lambda: model.sample(n, random_state=0), run, _decode_run(model, n, chunk))
        # interleaved, so that a slow spell of the machine hits all three alike
        best = [float("inf")] * 3
        for _ in range(REPEATS):
            best = [min(b, best_time(f, 1)) for b, f in zip(best, calls)]
        t_s, t_f, t_d = best
        for what, t in (("sample", t_s), ("forward", t_f), ("decode", t_d)):
            rows.append(dict(base, model=name, what=what, batch=chunk, n_samples=n,
                             seconds=t, rows_per_s=n / t))
        log(f"  {name} batch={chunk} n={n}: sample {n / t_s:,.0f} rows/s, "
            f"forward {n / t_f:,.0f} rows/s, overhead {t_s / t_f - 1:+.0%}, "
            f"decoding {t_d / t_f:.0%} of the forward time")
    return rows


def measure_sampling(models: dict, ns, chunks, threads: int, log=print) -> list[dict]:
    """Rows/s of ``sample``, ``forward`` and ``decode`` per model, batch and n,
    then ctgan's ``sample`` per n."""
    rows = []
    base = dict(part="sample", threads=threads)
    for name in MODELS:
        model = models[name]
        base["default_batch"] = internals.default_batch(model)  # what sample uses here
        for chunk in chunks:
            with internals.sample_batch(model, chunk):
                rows += _time_batch(name, model, ns, chunk, base, log)
    peer = models.get("ctgan.CTGAN")
    if peer is not None:
        peer.sample(1000)  # warm-up
        for n in ns:
            t = best_time(lambda: peer.sample(n), REPEATS)
            rows.append(dict(base, model="ctgan.CTGAN", what="sample",
                             batch=internals.ctgan_batch(peer), n_samples=n, seconds=t,
                             rows_per_s=n / t))
            log(f"  ctgan.CTGAN n={n}: sample {n / t:,.0f} rows/s")
    return rows
