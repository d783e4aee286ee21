"""Tabular throughput, peak memory and fit cost: TabularVAE / TabularGAN vs ctgan.

One run on one mixed-type table (penguins by default: two categorical
columns, four continuous, one integer; missing values imputed so that every
generator gets exactly the same table) measures:

* ``sample``: rows/s of ``model.sample(n)`` (decoded DataFrame + labels) for
  several ``n`` and several ``_sample_chunk`` batch sizes, next to
  ``forward``, the bare generator network on the same batches (noise in,
  encoded rows out, under ``inference_mode``, condition vectors prepared
  beforehand): the limit for this machine. ``overhead = sample time /
  forward time - 1`` is everything ``sample`` adds: per-row seeded noise,
  label plan, condition draw, decoding (on the device), host copy of the
  decoded columns, building the DataFrame.
  ``decode`` is decoding alone, as ``sample`` does it (each chunk decoded on
  the device to plain arrays, the DataFrame built once), on the same ``n``
  and batch: ``decode time / forward time`` is what decoding costs on top of
  the forward pass;
* ``ctgan``: ``CTGAN.sample(n)`` of ctgan fitted on the same table (label as
  one more discrete column), at its own batch size;
* ``memory``: peak resident memory (``VmHWM``, reset after loading the model;
  one subprocess per measurement so peaks never mix) of ``sample_to_file``
  streaming rows to a CSV in chunks, against ``sample`` returning every row;
* ``fit``: wall time of TabularGAN and ctgan's CTGAN at their defaults on
  low-data draws of the same table, with each one's downstream gain
  (augmentation gain and TSTR of a logistic regression, the benchmark's own
  arms and pipeline, see ``benchmarks.arms``).

Sampling speed does not depend on how well a model is trained, so the
sampling models are fitted for a few epochs only.

    python -m benchmarks.throughput            # ~3-4 minutes on 2 CPU cores
    python -m benchmarks.throughput --quick    # seconds: a smoke run

Writes ``results/throughput_tabular.csv`` (+ ``.json`` with command, date,
machine) and the section between ``<!-- throughput:start -->`` and
``<!-- throughput:end -->`` of RESULTS.md.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .throughput_report import MODELS, render, summary, write_section

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
COLUMNS = ["part", "model", "what", "batch", "n_samples", "seconds", "rows_per_s",
           "peak_rss_mb", "rss_before_mb", "seed", "epochs", "accuracy", "gain_accuracy",
           "tstr_accuracy", "threads", "default_batch"]

FULL = dict(ns=(1_000, 10_000, 100_000, 1_000_000), chunks=(4096, 16384, 65536),
            memory_n=1_000_000, stream_big=10_000_000, stream_budget_s=120.0,
            sample_epochs=5, fit_epochs=None, fit_k=10, fit_seeds=5)
QUICK = dict(ns=(1_000, 10_000), chunks=(1024, 4096), memory_n=20_000, stream_big=None,
             stream_budget_s=0.0, sample_epochs=1, fit_epochs=2, fit_k=5, fit_seeds=1)


def has_ctgan() -> bool:
    return importlib.util.find_spec("ctgan") is not None


# ------------------------------------------------------------------- data
def load_table(name: str):
    """The dataset and its imputed features (what every generator is fitted on)."""
    from . import datasets as dsets
    from .arms import Cell, impute

    ds = dsets.load(name)
    return ds, impute(Cell(ds, ds.X, ds.y, 0))


def _ctgan_frame(X: pd.DataFrame, y) -> pd.DataFrame:
    from .arms import TARGET

    data = X.copy()
    data[TARGET] = [str(v) for v in np.asarray(y).tolist()]
    return data


# ----------------------------------------------------------------- timing
def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _repeats(n: int) -> int:
    # best of 3 at every n: on this shared machine one timing of the same
    # code varies by up to a third between runs
    return 3


def _forward(model, n: int, chunk: int):
    """The generator alone on ``n`` rows in batches of ``chunk``: noise in,
    encoded rows out (one-hot draws included), no planning or decoding."""
    from synthaug.nets.noise import RowNoise, StreamNoise

    net, dev = model.net_, model.device_
    b0 = min(chunk, n)
    gen = torch.Generator(device=dev).manual_seed(0)
    with torch.inference_mode():
        y_idx = (torch.randint(0, len(model.classes_), (b0,), generator=gen, device=dev)
                 if model.conditional_ else None)
        cond = model._condition(y_idx, RowNoise(0, 0, b0, b0, dev), None)

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
    from synthaug.nets.noise import StreamNoise

    _, cond = _forward(model, chunk, chunk)
    gen = torch.Generator(device=model.device_).manual_seed(1)
    with torch.inference_mode():
        encoded = [model.net_.sample(cond[: min(chunk, n - a)],
                                     StreamNoise(gen, min(chunk, n - a), model.device_))
                   for a in range(0, n, chunk)]
    def run():
        rows = model._collector(n)
        for M in encoded:
            rows.add(model._decode_part(M))
        return rows.result()

    return run


def fit_samplers(X, y, epochs: int, threads: int) -> dict:
    """Briefly fitted models for the sampling measurements (speed only)."""
    import synthaug

    models = {name: getattr(synthaug, name)(epochs=epochs, device="cpu", random_state=0)
              .fit(X, y) for name in MODELS}
    if has_ctgan():
        import ctgan

        from .arms import TARGET

        peer = ctgan.CTGAN(epochs=epochs, enable_gpu=False)
        peer.set_random_state(0)
        cats = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        peer.fit(_ctgan_frame(X, y), discrete_columns=[*cats, TARGET])
        models["ctgan.CTGAN"] = peer
    return models


def measure_sampling(models: dict, ns, chunks, threads: int, log=print) -> list[dict]:
    rows = []
    base = dict(part="sample", threads=threads)
    for name in MODELS:
        model = models[name]
        default = model._rows_per_call()  # what sample uses on this device
        base["default_batch"] = default
        for chunk in chunks:
            model._sample_chunk = int(chunk)  # instance override of the class default
            model.sample(min(chunk, 1000), random_state=0)  # warm-up
            for n in ns:
                run, _ = _forward(model, n, chunk)
                if n == ns[0]:
                    run()  # warm-up (later sizes follow warm runs)
                calls = (lambda: model.sample(n, random_state=0), run, _decode_run(model, n, chunk))
                # interleaved, so that a slow spell of the machine hits all three alike
                best = [float("inf")] * 3
                for _ in range(_repeats(n)):
                    best = [min(b, _best(f, 1)) for b, f in zip(best, calls)]
                t_s, t_f, t_d = best
                for what, t in (("sample", t_s), ("forward", t_f), ("decode", t_d)):
                    rows.append(dict(base, model=name, what=what, batch=chunk, n_samples=n,
                                     seconds=t, rows_per_s=n / t))
                log(f"  {name} batch={chunk} n={n}: sample {n / t_s:,.0f} rows/s, "
                    f"forward {n / t_f:,.0f} rows/s, overhead {t_s / t_f - 1:+.0%}, "
                    f"decoding {t_d / t_f:.0%} of the forward time")
            del model._sample_chunk
    peer = models.get("ctgan.CTGAN")
    if peer is not None:
        peer.sample(1000)  # warm-up
        for n in ns:
            t = _best(lambda: peer.sample(n), _repeats(n))
            rows.append(dict(base, model="ctgan.CTGAN", what="sample", batch=peer._batch_size,
                             n_samples=n, seconds=t, rows_per_s=n / t))
            log(f"  ctgan.CTGAN n={n}: sample {n / t:,.0f} rows/s")
    return rows


# ----------------------------------------------------------------- memory
def _proc_kb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    return float("nan")


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: ``clear_refs`` 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _memory_child(spec: dict) -> None:
    """Run in a fresh interpreter: one sampling call, then print its peak RSS."""
    import synthaug

    torch.set_num_threads(spec["threads"])
    model = synthaug.load(spec["model"], device="cpu")
    model.sample(1000, random_state=0)  # warm-up: lazy imports, allocator
    reset = _reset_peak()
    before = _proc_kb("VmRSS")
    t0 = time.perf_counter()
    if spec["mode"] == "stream":
        model.sample_to_file(spec["path"], spec["n"], random_state=0)
        size = os.path.getsize(spec["path"])
        os.unlink(spec["path"])
    else:
        X, y = model.sample(spec["n"], random_state=0)
        size = int(X.memory_usage(deep=False).sum())
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "peak_kb": _proc_kb("VmHWM"), "before_kb": before,
                      "peak_reset": reset, "bytes": size}))


def _memory_run(model_path: Path, mode: str, n: int, threads: int, tmp: Path) -> dict:
    spec = {"model": str(model_path), "mode": mode, "n": int(n), "threads": threads,
            "path": str(tmp / f"stream_{n}.csv")}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.throughput", "--memory-child", json.dumps(spec)],
        cwd=HERE.parent, capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"memory measurement {mode} n={n} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_memory(models: dict, n: int, big: int | None, budget_s: float, threads: int,
                   log=print) -> tuple[list[dict], dict]:
    rows, notes = [], {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for name in MODELS:
            path = tmp / f"{name}.synthaug"
            models[name].save(path)
            runs = [("sample_to_file", "stream", n), ("sample", "memory", n)]
            for what, mode, size in runs:
                r = _memory_run(path, mode, size, threads, tmp)
                rows.append(dict(part="memory", model=name, what=what,
                                 batch=models[name]._rows_per_call(), n_samples=size,
                                 seconds=r["seconds"], rows_per_s=size / r["seconds"],
                                 peak_rss_mb=r["peak_kb"] / 1024,
                                 rss_before_mb=r["before_kb"] / 1024, threads=threads))
                notes["peak_reset"] = r["peak_reset"]
                notes[f"{name}_{what}_bytes"] = r["bytes"]
                log(f"  {name} {what} n={size:,}: peak RSS {r['peak_kb'] / 1024:,.0f} MB "
                    f"(before {r['before_kb'] / 1024:,.0f} MB), {r['seconds']:.1f} s")
        if big:
            # 10M rows only if the 1M stream says it fits the time budget
            name = "TabularGAN"
            t1 = next(r["seconds"] for r in rows
                      if r["model"] == name and r["what"] == "sample_to_file")
            predicted = t1 * big / n
            notes["stream_big_predicted_s"] = predicted
            if predicted <= budget_s:
                r = _memory_run(tmp / f"{name}.synthaug", "stream", big, threads, tmp)
                rows.append(dict(part="memory", model=name, what="sample_to_file",
                                 batch=models[name]._rows_per_call(), n_samples=big,
                                 seconds=r["seconds"], rows_per_s=big / r["seconds"],
                                 peak_rss_mb=r["peak_kb"] / 1024,
                                 rss_before_mb=r["before_kb"] / 1024, threads=threads))
                notes[f"{name}_stream_big_bytes"] = r["bytes"]
                log(f"  {name} sample_to_file n={big:,}: peak RSS "
                    f"{r['peak_kb'] / 1024:,.0f} MB, {r['seconds']:.1f} s")
            else:
                log(f"  {big:,} rows skipped: predicted {predicted:.0f} s > {budget_s:.0f} s")
    return rows, notes


# -------------------------------------------------------------------- fit
def measure_fit(ds, k: int, seeds: int, epochs, threads: int, log=print) -> list[dict]:
    """Fit wall time and downstream gain of TabularGAN and CTGAN at their defaults
    (``epochs=None``) on ``k`` labelled rows per class, through the benchmark's arms."""
    from . import datasets as dsets
    from .arms import ARMS, Cell
    from .run import Config, _add_gains, _augment_rows

    arms = ["none", "tabular-gan"] + (["ctgan"] if has_ctgan() else [])
    cfg = Config(datasets=[ds.name], arms=arms, ks=[k], seeds=seeds, models=["logreg"],
                 epochs=epochs, threads=threads)
    import synthaug

    # each generator's own default budget (ctgan's CTGAN: 300 epochs)
    default_epochs = {"real only": 0, "TabularGAN": synthaug.TabularGAN().epochs,
                      "ctgan.CTGAN": 300}
    rows = []
    for seed in range(seeds):
        tr, te = dsets.draw(ds.y, k, seed, ds.imbalanced)
        X_tr, y_tr = ds.X.iloc[tr].reset_index(drop=True), ds.y[tr]
        X_te, y_te = ds.X.iloc[te].reset_index(drop=True), ds.y[te]
        cell = Cell(ds, X_tr, y_tr, seed, epochs, cfg.ratio, throughput_rows=1000)
        got = []
        for name in arms:
            for r in _augment_rows(cfg, ARMS[name], replace(cell), None, X_te, y_te):
                got.append(dict(r, arm=name))
        _add_gains(got)
        for r in got:
            model = {"none": "real only", "tabular-gan": "TabularGAN",
                     "ctgan": "ctgan.CTGAN"}[r["arm"]]
            rows.append(dict(part="fit", model=model, what="fit", n_samples=len(tr),
                             seconds=r["fit_s"], seed=seed,
                             epochs=default_epochs[model] if epochs is None else epochs,
                             accuracy=r["accuracy"], gain_accuracy=r["gain_accuracy"],
                             tstr_accuracy=r.get("tstr_accuracy", np.nan), threads=threads))
        log("  seed %d: %s" % (seed, ", ".join(
            f"{r['model']} fit {r['seconds']:.1f} s gain {100 * r['gain_accuracy']:+.1f} pt"
            for r in rows[-len(arms):] if r["model"] != "real only")))
    return rows


# ------------------------------------------------------------------- main
def run(args, log=print) -> pd.DataFrame:
    from .machine import describe_machine

    cfg = dict(QUICK if args.quick else FULL)
    if args.fit_seeds is not None:
        cfg["fit_seeds"] = args.fit_seeds
    threads = torch.get_num_threads()
    t_all = time.perf_counter()
    ds, X = load_table(args.dataset)
    log(f"fitting the sampling models ({cfg['sample_epochs']} epochs) on {args.dataset}")
    models = fit_samplers(X, ds.y, cfg["sample_epochs"], threads)
    rows = measure_sampling(models, cfg["ns"], cfg["chunks"], threads, log)
    log("peak memory")
    mem_rows, notes = measure_memory(models, cfg["memory_n"], cfg["stream_big"],
                                     cfg["stream_budget_s"], threads, log)
    rows += mem_rows
    log("fit cost at defaults")
    rows += measure_fit(ds, cfg["fit_k"], cfg["fit_seeds"], cfg["fit_epochs"], threads, log)
    df = pd.DataFrame(rows).reindex(columns=COLUMNS)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    m = describe_machine()
    memory_note = ""
    if cfg["stream_big"]:
        big, pred = cfg["stream_big"], notes.get("stream_big_predicted_s", np.nan)
        if pred > cfg["stream_budget_s"]:
            memory_note = (f"{big:,} rows were not streamed: the 1M-row stream predicts "
                           f"{pred:.0f} s (> {cfg['stream_budget_s']:.0f} s budget), so "
                           "the comparison is at 1M rows.")
        else:
            memory_note = (f"`sample` was not run at {big:,} rows (it would hold every "
                           "row in memory); the streaming peak does not grow with n.")
    if not notes.get("peak_reset", True):
        memory_note += " VmHWM could not be reset here: peaks include loading the model."
    meta = {
        "command": " ".join(["python -m benchmarks.throughput",
                             *(args.argv if args.argv is not None else sys.argv[1:])]),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{m['cores']}-core {m['cpu']}, GPU: {m['gpu']}, torch "
                   f"{m['versions']['torch']}, ctgan {m['versions']['ctgan']}, "
                   f"synthaug {m['versions']['synthaug']}",
        "threads": threads, "dataset": f"{ds.name} ({len(ds.X)} rows, {ds.X.shape[1]} "
                                       f"columns: {', '.join(ds.categorical) or 'no'} "
                                       "categorical)",
        "sample_epochs": cfg["sample_epochs"], "fit_k": cfg["fit_k"],
        "fit_epochs": cfg["fit_epochs"], "fit_seeds": cfg["fit_seeds"],
        "quick": bool(args.quick), "load": args.load_note or "",
        "memory_note": memory_note, "memory": notes,
        "wall_s": round(time.perf_counter() - t_all, 1),
        "summary": summary(df),
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1, default=float))
    log(f"wrote {out} ({meta['wall_s']} s)")
    if args.no_report or args.quick:  # smoke numbers never replace the real section
        log(render(df, meta))
    else:
        log(f"updated {write_section(out, Path(args.md))}")
    return df


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.throughput",
                                description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run in seconds")
    p.add_argument("--dataset", default="penguins", help="benchmarks.datasets name")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: torch's, usually one per core)")
    p.add_argument("--fit-seeds", type=int, default=None, help="draws for the fit comparison")
    p.add_argument("--out", default=None, help="CSV path (default results/throughput_tabular"
                   "[_quick].csv)")
    p.add_argument("--md", default=str(HERE / "RESULTS.md"))
    p.add_argument("--no-report", action="store_true",
                   help="print the section instead of updating RESULTS.md (implied by --quick)")
    p.add_argument("--load-note", default=None, help="a sentence on machine load for the report")
    p.add_argument("--report-only", action="store_true",
                   help="rebuild the RESULTS.md section from the CSV and its sidecar, "
                   "measuring nothing")
    p.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_child is not None:
        _memory_child(json.loads(args.memory_child))
        return 0
    if args.report_only:
        out = Path(args.out or RESULTS / "throughput_tabular.csv")
        sidecar = out.with_suffix(".json")
        meta = json.loads(sidecar.read_text())
        meta["summary"] = summary(pd.read_csv(out))
        sidecar.write_text(json.dumps(meta, indent=1, default=float))
        print(f"updated {write_section(out, Path(args.md))}")
        return 0
    args.argv = argv
    if args.out is None:
        args.out = str(RESULTS / ("throughput_tabular_quick.csv" if args.quick
                                  else "throughput_tabular.csv"))
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")  # convergence chatter from sklearn and ctgan
    run(args, log=lambda *a: print(*a, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
