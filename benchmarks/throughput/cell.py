"""One part of the throughput run (tabular, images or text): measure it and
write its CSV and JSON sidecar. The parts are timed one after the other,
never in parallel: each is a "cell" of this experiment."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..common.files import sidecar, write_rows
from ..common.stamp import describe_machine, machine_line, timestamp, write_json
from .config import Config

# torch's own thread count, before any part sets one: the tabular part's default
TORCH_THREADS = torch.get_num_threads()
COLUMNS = ["part", "model", "what", "batch", "n_samples", "seconds", "rows_per_s",
           "peak_rss_mb", "rss_before_mb", "seed", "epochs", "accuracy", "gain_accuracy",
           "tstr_accuracy", "threads", "default_batch"]


def _memory_note(cfg: Config, notes: dict) -> str:
    note = ""
    if cfg.stream_big:
        big, pred = cfg.stream_big, notes.get("stream_big_predicted_s", np.nan)
        if pred > cfg.stream_budget_s:
            note = (f"{big:,} rows were not streamed: the 1M-row stream predicts "
                    f"{pred:.0f} s (> {cfg.stream_budget_s:.0f} s budget), so "
                    "the comparison is at 1M rows.")
        else:
            note = (f"`sample` was not run at {big:,} rows (it would hold every "
                    "row in memory); the streaming peak does not grow with n.")
    if not notes.get("peak_reset", True):
        note += " VmHWM could not be reset here: peaks include loading the model."
    return note


def run_tabular(cfg: Config, csv: Path, command: str, log=print) -> dict:
    """Sampling speed, peak memory and fit cost on one table."""
    from .fitcost import measure_fit
    from .memory import measure_memory
    from .render import summary
    from .tabular import fit_samplers, load_table, measure_sampling

    threads = torch.get_num_threads()
    t_all = time.perf_counter()
    ds, X = load_table(cfg.dataset)
    log(f"fitting the sampling models ({cfg.sample_epochs} epochs) on {cfg.dataset}")
    models = fit_samplers(X, ds.y, cfg.sample_epochs)
    rows = measure_sampling(models, cfg.ns, cfg.chunks, threads, log)
    log("peak memory")
    mem_rows, notes = measure_memory(models, cfg.memory_n, cfg.stream_big,
                                     cfg.stream_budget_s, threads, log)
    rows += mem_rows
    log("fit cost at defaults")
    rows += measure_fit(ds, cfg.fit_k, cfg.seeds, cfg.fit_epochs, threads, log)
    df = pd.DataFrame(rows).reindex(columns=COLUMNS)
    write_rows(df, csv)
    meta = {
        "command": command, "date": timestamp(),
        "machine": machine_line(describe_machine(), ("torch", "ctgan", "synthaug")),
        "threads": threads, "dataset": f"{ds.name} ({len(ds.X)} rows, {ds.X.shape[1]} "
                                       f"columns: {', '.join(ds.categorical) or 'no'} "
                                       "categorical)",
        "sample_epochs": cfg.sample_epochs, "fit_k": cfg.fit_k,
        "fit_epochs": cfg.fit_epochs, "fit_seeds": cfg.seeds,
        "quick": cfg.quick, "load": cfg.load_note,
        "memory_note": _memory_note(cfg, notes), "memory": notes,
        "wall_s": round(time.perf_counter() - t_all, 1),
        "summary": summary(df),
    }
    write_json(sidecar(csv), meta)
    return meta


def run_images(cfg: Config, csv: Path, command: str, log=print) -> dict:
    """Images/s of ``sample``, the bare network and a DataLoader."""
    from .images import measure

    t0 = time.perf_counter()
    df = measure(cfg.sides, cfg.sizes, cfg.loader_n)
    df["threads"] = torch.get_num_threads()
    write_rows(df, csv)
    log(df.pivot_table(index=["device", "side", "model"], columns=["what", "n"],
                       values="images_per_s").round(0).to_string())
    meta = {"command": command, "date": timestamp(),
            "machine": machine_line(describe_machine(), threads=torch.get_num_threads()),
            "wall_s": round(time.perf_counter() - t0, 1)}
    write_json(sidecar(csv), meta)
    return meta


def run_text(cfg: Config, csv: Path, command: str, log=print) -> dict:
    """Tokens/s and texts/s of TextLM generation against batch size."""
    from .text import measure_all

    t0 = time.perf_counter()
    df, model = measure_all(cfg.batches, cfg.length, log)
    write_rows(df, csv)
    meta = {"command": command, "date": timestamp(),
            "machine": machine_line(describe_machine(), threads=torch.get_num_threads()),
            "model": "TextLM defaults (width=128, 2 layers, 4 heads), "
                     f"vocabulary {model.codec_.tokenizer_.n_tokens}, context {cfg.length}",
            "wall_s": round(time.perf_counter() - t0, 1)}
    write_json(sidecar(csv), meta)
    return meta


RUNNERS = {"tabular": run_tabular, "images": run_images, "text": run_text}


def run_cell(cfg: Config, part: str, csv: Path, command: str, log=print) -> dict:
    """Measure one part with its torch threads; returns its sidecar."""
    threads = cfg.threads_for(part)
    torch.set_num_threads(TORCH_THREADS if threads is None else threads)
    return RUNNERS[part](cfg, csv, command, log)
