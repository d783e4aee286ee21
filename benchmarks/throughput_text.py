"""TextLM generation throughput: tokens/s and texts/s against batch size.

For each batch size, on the CPU (and CUDA when present):

* ``kv_cache``: the batched sampler TextLM uses (one new position per step,
  keys/values cached, finished rows dropped from the batch);
* ``no_cache``: the same sampling re-running the whole prefix every step,
  which is what the cache saves (only for small batches: it is slow);
* ``forward``: one teacher-forced forward pass over a full batch, the
  network's bare limit (no sampling, every position at once).

Generation is forced to the full ``--length`` (the end token is masked) so
every row does the same work; ``sample_texts_per_s`` is the end-to-end
``TextLM.sample`` rate, which stops texts at their end token.

    python -m benchmarks.throughput_text            # ~2 minutes on 1 CPU thread

Writes ``results/throughput_text.csv`` and ``.json``; the "Text" section of
RESULTS.md shows them on the next ``python -m benchmarks.text`` run, or at
once with ``--write-md``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date

import numpy as np
import pandas as pd
import torch

from synthaug import TextLM
from synthaug.nets.transformer import generate, next_tokens

from .text import RESULTS, load_rotten_tomatoes, write_results_md


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
    first = torch.full((batch,), eos + 1, device=device)  # the start token
    cache = net.new_cache(batch, length)

    def step(tokens, c):  # end token masked: every row runs the full length
        return net.step(tokens, c)[:, :eos].contiguous(), c

    return generate(step, cache, first, eos_id=eos, max_new=length, temperature=1.0,
                    top_p=0.95, generator=gen, select=lambda c, r: c.select(r))


@torch.inference_mode()
def _no_cache_generate(net, eos, batch, length, gen, device):
    seq = torch.full((batch, 1), eos + 1, device=device)
    for _ in range(length):
        logits = net(seq)[:, -1, :eos]
        seq = torch.cat([seq, next_tokens(logits, 1.0, 0.95, gen)[:, None]], 1)
    return seq


def measure(model: TextLM, device: str, batches, length: int) -> list[dict]:
    net = model.net_.to(device).eval()
    eos = model.tokenizer_.eos_id
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
        print(row, flush=True)
    return rows


def main(argv=None) -> None:
    from .machine import describe_machine

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64, 256, 1024])
    parser.add_argument("--length", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--write-md", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    X, y = load_rotten_tomatoes()
    pick = np.random.default_rng(0).choice(len(X), 200, replace=False)
    # A briefly trained default-size model: speed does not depend on quality.
    model = TextLM(context_length=args.length, max_steps=30, validation_fraction=None,
                   random_state=0, device="cpu").fit(list(X[pick]), list(y[pick]))
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        rows += measure(model, device, args.batches, args.length)
        model.net_.to(device)
        model.device_ = torch.device(device)
        n = max(args.batches)
        t = _timed(lambda: model.sample(n, random_state=0))
        rows[-1]["sample_texts_per_s"] = n / t
    RESULTS.mkdir(exist_ok=True)
    pd.DataFrame(rows).to_csv(RESULTS / "throughput_text.csv", index=False)
    m = describe_machine()
    meta = {"command": "python -m benchmarks.throughput_text " + " ".join(
                argv if argv is not None else sys.argv[1:]),
            "date": date.today().isoformat(),
            "machine": f"{m['cores']}-core {m['cpu']}, GPU: {m['gpu']}, torch "
                       f"{m['versions']['torch']}, {args.threads} torch thread(s)",
            "model": "TextLM defaults (d_model=128, 2 layers, 4 heads), "
                     f"vocabulary {model.tokenizer_.n_tokens}, context {args.length}"}
    (RESULTS / "throughput_text.json").write_text(json.dumps(meta, indent=1))
    if args.write_md:
        write_results_md()


if __name__ == "__main__":
    main()
