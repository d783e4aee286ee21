"""``python -m benchmarks text``: does TextLM's synthetic text help a small
labelled corpus? (protocol in :mod:`benchmarks.text`)

Run one dataset at a time, each within about 10 minutes on one CPU thread::

    python -m benchmarks text --dataset rotten_tomatoes
    python -m benchmarks text --dataset reuters_r8
    python -m benchmarks text --quick          # both, 2 seeds, k in {5, 25}

A run merges its cells into ``results/text_<dataset>.csv.gz`` (rows of the
same (k, seed) are replaced, others kept, so a slow dataset can be run in
parts: ``--ks 5 10 25``, then ``--ks 50``) and appends itself to the JSON
sidecar (command, date, machine, example texts); then the Text block of
``results/text.md`` is rebuilt from every full text CSV present.
``--quick`` writes ``results/text_quick_<dataset>.csv.gz`` and its own page.
"""
from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import pandas as pd

from ..common import cli
from ..common.files import csv_path, find_csv, read_rows, sidecar, write_rows
from ..common.pages import write_section
from ..common.pool import run_cells
from ..common.stamp import (command_line, describe_machine, machine_line, read_json,
                            timestamp, write_json)
from .cell import run_cell
from .config import DATASETS, QUICK, Config
from .render import MARKERS, render

EXPERIMENT = "text"


def parse_args(argv=None):
    p = cli.experiment_parser(
        EXPERIMENT, "TextLM and EDA edits for TF-IDF + logistic regression.",
        "both datasets, 2 seeds, k in {5, 25}, 150 training steps: a few minutes")
    p.add_argument("--dataset", "--datasets", dest="datasets", nargs="+",
                   choices=[*DATASETS, "all"], help="corpora to run (default all)")
    p.add_argument("--first-seed", type=int,
                   help="run seeds first-seed, first-seed+1, ... (to split a long run)")
    p.add_argument("--ks", type=int, nargs="+")
    return p.parse_args(argv)


def config_from_args(args) -> Config:
    cfg = cli.build_config(Config, QUICK, args, skip=("datasets",))
    if args.datasets and "all" not in args.datasets:
        cfg.datasets = list(args.datasets)
    return cfg


def run_dataset(cfg: Config, name: str, out: Path, prefix: str, command: str,
                jobs: int = 1, threads: int = 1) -> Path:
    """Run one corpus's cells and merge them into its CSV and sidecar."""
    start, rows, examples = time.perf_counter(), [], {}
    for (_, k, seed), (cell, ex) in run_cells(partial(run_cell, cfg), cfg.cells(name),
                                              jobs=jobs, threads=threads):
        rows += cell
        if seed == 0:
            examples[str(k)] = ex
        print(f"{name} k={k} seed={seed}: " + ", ".join(
            f"{r['arm']}={r['accuracy']:.3f}" for r in cell), flush=True)
    csv = csv_path(out, f"{prefix}_{name}")
    new = pd.DataFrame(rows)
    meta = {"runs": [], "examples": {}}
    try:
        old_csv = find_csv(out, f"{prefix}_{name}")
    except FileNotFoundError:
        old_csv = None
    if old_csv is not None and sidecar(old_csv).exists():
        old = read_rows(old_csv)
        old = old[~old.set_index(["k", "seed"]).index.isin(new.set_index(["k", "seed"]).index)]
        new = pd.concat([old, new], ignore_index=True).sort_values(["k", "seed"], kind="stable")
        meta = read_json(sidecar(old_csv))
    write_rows(new, csv)
    if old_csv is not None and old_csv != csv:
        old_csv.unlink()  # a plain CSV of an older run, now merged into the .csv.gz
    meta["runs"].append({"command": command, "date": timestamp(),
                         "wall_s": round(time.perf_counter() - start, 1),
                         "machine": machine_line(describe_machine(), threads=threads)})
    meta["model"] = f"defaults + {cfg.model_params(name)}"
    meta["examples"].update(examples)
    write_json(sidecar(csv), meta)
    return csv


def write_page(out: Path, page: Path, prefix: str = "text",
               throughput: str = "throughput_text") -> Path:
    """Regenerate the Text block of ``page`` from the runs ``<prefix>_*`` in
    ``out`` and the text throughput run called ``throughput``."""
    from ..throughput.render import text_lines

    return write_section(page, render(out, prefix, text_lines(out, throughput)), MARKERS)


def execute(args, argv: list) -> int:
    """Run the text benchmark (or only regenerate its page)."""
    cfg = config_from_args(args)
    prefix = args.name or ("text_quick" if cfg.quick else "text")
    page = cli.page_path(args, EXPERIMENT, prefix)
    if not args.report_only:
        args.out.mkdir(parents=True, exist_ok=True)
        for name in cfg.datasets:
            run_dataset(cfg, name, args.out, prefix, command_line(EXPERIMENT, argv),
                        args.jobs, args.threads)
    if args.report_only or not args.no_report:
        throughput = "throughput_text_quick" if cfg.quick else "throughput_text"
        print(f"report: {write_page(args.out, page, prefix, throughput)}")
    return 0


main = cli.entry_point(EXPERIMENT, parse_args, execute)
