"""``python -m benchmarks images``: does generative augmentation help a small CNN?

Runs every (dataset, k, seed) cell (:func:`.cell.run_cell`), rewriting the
CSV after each one so an interrupted run keeps what it finished; writes the
JSON sidecar and the seed-0 sample grids, then regenerates the Images block
of ``results/images.md`` from every full run there (:mod:`.render`).
"""
from __future__ import annotations

from dataclasses import asdict
from functools import partial
from pathlib import Path

import pandas as pd

from ..common import cli
from ..common.files import csv_path, read_rows, sidecar, write_rows
from ..common.pages import write_section
from ..common.pool import Progress, run_cells
from ..common.stamp import command_line, describe_machine, read_json, record_run, timestamp
from .cell import run_cell
from .config import DATASETS, QUICK, Config
from .data import FASHION_DIR, fashion_available
from .render import MARKERS, full_runs, render

EXPERIMENT = "images"


def _log(message: str) -> None:
    print(message, flush=True)  # progress shows up in a redirected log too


def parse_args(argv=None):
    p = cli.experiment_parser(
        EXPERIMENT, "Generative and classic augmentation for a small CNN.",
        "digits, k=5 and 25, 2 seeds, small budgets (a few minutes on 2 cores)")
    p.add_argument("--datasets", nargs="+", choices=DATASETS)
    p.add_argument("--ks", nargs="+", type=int, help="labelled images per class (all datasets)")
    return p.parse_args(argv)


def config_from_args(args) -> Config:
    cfg = cli.build_config(Config, QUICK, args, skip=("ks",))
    if args.ks:
        cfg.ks = {d: list(args.ks) for d in DATASETS}
    return cfg


def run(cfg: Config, csv: Path, jobs: int = 1, threads: int = 1, log=_log) -> pd.DataFrame:
    """Every cell; the CSV (rows in cell order) is rewritten after each one."""
    datasets = [d for d in cfg.datasets if d != "fashion" or fashion_available()]
    if len(datasets) < len(cfg.datasets):
        log(f"fashion: skipped, {FASHION_DIR} is absent (apt-get install dataset-fashion-mnist)")
    cells = cfg.cells(datasets)
    done, progress = {}, Progress(len(cells))
    for cell, rows in run_cells(partial(run_cell, cfg, csv=csv), cells, jobs=jobs,
                                threads=threads):
        done[cell] = rows
        write_rows(pd.DataFrame([r for c in cells if c in done for r in done[c]]), csv)
        accs = " ".join(f"{r['arm']}={r['accuracy']:.3f}" for r in rows)
        log(progress.step(f"{cell[0]} k={cell[1]} seed={cell[2]}: {accs}"))
    log(f"total {progress.elapsed:.0f}s")
    return read_rows(csv) if done else pd.DataFrame()


def write_page(out: Path, page: Path, quick_csv: Path | None = None) -> Path:
    """Regenerate the Images block of ``page``: every full run in ``out`` and
    the image throughput table; with ``quick_csv``, that quick run and the
    quick throughput table instead."""
    from ..throughput.render import images_lines

    if quick_csv is None:
        runs, throughput = full_runs(out), "throughput_images"
    else:
        runs = [(quick_csv, read_rows(quick_csv), read_json(sidecar(quick_csv)))]
        throughput = "throughput_images_quick"
    return write_section(page, render(runs, page, images_lines(out, throughput)), MARKERS)


def execute(args, argv: list) -> int:
    """Run the image benchmark (or only regenerate its page)."""
    cfg = config_from_args(args)
    name = args.name or ("images_quick" if cfg.quick else "images_" + "-".join(cfg.datasets))
    page = cli.page_path(args, EXPERIMENT, name)
    quick_csv = csv_path(args.out, name) if cfg.quick else None
    if args.report_only:
        print(f"report: {write_page(args.out, page, quick_csv)}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    csv = csv_path(args.out, name)
    meta = {"name": name, "command": command_line(EXPERIMENT, argv), "date": timestamp(),
            "config": asdict(cfg), "machine": describe_machine()}
    record_run(meta, sidecar(csv), lambda: run(cfg, csv, args.jobs, args.threads))
    if not args.no_report:
        # a quick run gets a page of its own; a full one joins every full run
        print(f"report: {write_page(args.out, page, quick_csv)}")
    return 0


main = cli.entry_point(EXPERIMENT, parse_args, execute)
