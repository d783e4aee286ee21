"""Peak memory of ``sample_to_file`` streaming rows to a CSV in chunks,
against ``sample`` returning every row.

Each measurement runs in a fresh interpreter (``python -m
benchmarks.throughput.memory SPEC``) so that peaks never mix: the child
loads the saved model, warms up, resets its peak resident memory (``VmHWM``)
and reports it after one call.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import internals
from .config import MODELS

ROOT = Path(__file__).resolve().parents[2]  # the repository root: where `benchmarks` imports


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


def child(spec: dict) -> dict:
    """In a fresh interpreter: one sampling call, and its peak RSS."""
    import torch

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
    return {"seconds": seconds, "peak_kb": _proc_kb("VmHWM"), "before_kb": before,
            "peak_reset": reset, "bytes": size}


def _run(model_path: Path, mode: str, n: int, threads: int, tmp: Path) -> dict:
    spec = {"model": str(model_path), "mode": mode, "n": int(n), "threads": threads,
            "path": str(tmp / f"stream_{n}.csv")}
    out = subprocess.run([sys.executable, "-m", "benchmarks.throughput.memory", json.dumps(spec)],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"memory measurement {mode} n={n} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(name: str, what: str, batch: int, n: int, r: dict, threads: int) -> dict:
    return dict(part="memory", model=name, what=what, batch=batch, n_samples=n,
                seconds=r["seconds"], rows_per_s=n / r["seconds"],
                peak_rss_mb=r["peak_kb"] / 1024, rss_before_mb=r["before_kb"] / 1024,
                threads=threads)


def _stream_big(models, rows, n, big, budget_s, threads, tmp, notes, log) -> list[dict]:
    """10M rows only if the 1M stream says it fits the time budget."""
    name = "TabularGAN"
    t1 = next(r["seconds"] for r in rows if r["model"] == name and r["what"] == "sample_to_file")
    predicted = t1 * big / n
    notes["stream_big_predicted_s"] = predicted
    if predicted > budget_s:
        log(f"  {big:,} rows skipped: predicted {predicted:.0f} s > {budget_s:.0f} s")
        return []
    r = _run(tmp / f"{name}.synthaug", "stream", big, threads, tmp)
    notes[f"{name}_stream_big_bytes"] = r["bytes"]
    log(f"  {name} sample_to_file n={big:,}: peak RSS "
        f"{r['peak_kb'] / 1024:,.0f} MB, {r['seconds']:.1f} s")
    return [_row(name, "sample_to_file", internals.default_batch(models[name]), big, r,
                 threads)]


def measure_memory(models: dict, n: int, big: int | None, budget_s: float, threads: int,
                   log=print) -> tuple[list[dict], dict]:
    """Peak RSS of streaming and of in-memory sampling of ``n`` rows per model
    (and of streaming ``big`` rows with TabularGAN when it fits the budget)."""
    rows, notes = [], {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for name in MODELS:
            path = tmp / f"{name}.synthaug"
            models[name].save(path)
            for what, mode in (("sample_to_file", "stream"), ("sample", "memory")):
                r = _run(path, mode, n, threads, tmp)
                rows.append(_row(name, what, internals.default_batch(models[name]), n, r,
                                 threads))
                notes["peak_reset"] = r["peak_reset"]
                notes[f"{name}_{what}_bytes"] = r["bytes"]
                log(f"  {name} {what} n={n:,}: peak RSS {r['peak_kb'] / 1024:,.0f} MB "
                    f"(before {r['before_kb'] / 1024:,.0f} MB), {r['seconds']:.1f} s")
        if big:
            rows += _stream_big(models, rows, n, big, budget_s, threads, tmp, notes, log)
    return rows, notes


if __name__ == "__main__":
    print(json.dumps(child(json.loads(sys.argv[1]))))
