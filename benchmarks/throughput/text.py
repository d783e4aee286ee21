"""TextLM generation throughput: tokens/s and texts/s against batch size.

For each batch size, on the CPU (and CUDA when present):

* ``kv_cache``: the batched sampler TextLM uses (one new position per step,
  keys/values cached, finished rows dropped from the batch);
* ``no_cache``: the same sampling re-running the whole prefix every step,
  which is what the cache saves (only for small batches: it is slow);
* ``forward``: one teacher-forced forward pass over a full batch, the
  network's bare limit (no sampling, every position at once).

Generation is forced to the full ``length`` (the end token is masked) so
every row does the same work; ``sample_texts_per_s`` is the end-to-end
``TextLM.sample`` rate, which stops texts at their end token. The table is
shown on the text page (:func:`benchmarks.throughput.render.text_lines`).
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from . import internals


def _timed(fn, repeat: int = 1) -> float:
    """Best wall time of ``repeat`` calls (the first call also warms up)."""
    best = float("inf")
    for _ in range(repeat):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return best


def _kv_generate(net, eos, batch, length, gen, device):
    generate, _ = internals.transformer_sampling()
    first = torch.full((batch,), eos + 1, device=device)  # the start token
    cache = net.new_cache(batch, length)

    def step(tokens, c):  # end token masked: every row runs the full length
        return net.step(tokens, c)[:, :eos].contiguous(), c

    return generate(step, cache, first, eos_id=eos, max_new=length, temperature=1.0,
                    top_p=0.95, generator=gen, select=lambda c, r: c.select(r))


@torch.inference_mode()
def _no_cache_generate(net, eos, batch, length, gen, device):
    _, next_tokens = internals.transformer_sampling()
    seq = torch.full((batch, 1), eos + 1, device=device)
    for _ in range(length):
        logits = net(seq)[:, -1, :eos]
        seq = torch.cat([seq, next_tokens(logits, 1.0, 0.95, gen)[:, None]], 1)
    return seq


def measure(model, device: str, batches, length: int, log=print) -> list[dict]:
    """One row per batch size on ``device``."""
    net = model.net_.to(device).eval()
    eos = model.codec_.tokenizer_.eos_id
    gen = torch.Generator(device=device).manual_seed(0)
    rows = []
    for b in batches:
        row = {"device": device, "batch": b, "length": length}
        t = _timed(lambda: _kv_generate(net, eos, b, length, gen, device), repeat=2)
        row["kv_cache_tokens_per_s"] = b * length / t
        row["kv_cache_texts_per_s"] = b / t
        if b <= 64:
            t = _timed(lambda: _no_cache_generate(net, eos, b, length, gen, device))
            row["no_cache_tokens_per_s"] = b * length / t
        idx = torch.randint(0, eos, (b, length), generator=torch.Generator().manual_seed(0))
        with torch.inference_mode():
            t = _timed(lambda: net(idx.to(device)), repeat=3)
        row["forward_tokens_per_s"] = b * length / t
        rows.append(row)
        log(row)
    return rows


def fit_model(length: int):
    """A briefly trained default-size TextLM: speed does not depend on quality."""
    from synthaug import TextLM

    from ..text.data import load_rotten_tomatoes

    X, y = load_rotten_tomatoes()
    pick = np.random.default_rng(0).choice(len(X), 200, replace=False)
    return TextLM(context_length=length, max_steps=30, validation_fraction=None,
                  random_state=0, device="cpu").fit(list(X[pick]), list(y[pick]))


def measure_all(batches, length: int, log=print) -> tuple[pd.DataFrame, object]:
    """Every device's rows, and the end-to-end ``sample`` rate at the largest batch."""
    model = fit_model(length)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        rows += measure(model, device, batches, length, log)
        model.net_.to(device)
        model.device_ = torch.device(device)
        n = max(batches)
        t = _timed(lambda: model.sample(n, random_state=0))
        rows[-1]["sample_texts_per_s"] = n / t
    return pd.DataFrame(rows), model
