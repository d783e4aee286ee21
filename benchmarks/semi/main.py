"""``python -m benchmarks semi``: the unlabelled-data benchmark (issue 4).

Runs every (dataset, k, seed) cell (:func:`.cell.run_cell`), writes one CSV
row per dataset x k x seed x arm x model and a JSON sidecar, and splices the
"Unlabelled data" block into ``results/semi.md`` (:mod:`.render`).
"""
from __future__ import annotations

from dataclasses import asdict
from functools import partial

import pandas as pd

from ..common import cli
from ..common.files import csv_path, find_csv, read_rows, sidecar, write_rows
from ..common.pages import write_section
from ..common.pool import Progress, run_cells
from ..common.stamp import command_line, describe_machine, read_json, record_run, timestamp
from ..tabular import datasets as dsets
from .cell import run_cell
from .config import ARMS, MODELS, QUICK, Config
from .render import MARKERS, render

EXPERIMENT = "semi"


def parse_args(argv=None):
    p = cli.experiment_parser(
        EXPERIMENT, "k labelled rows per class plus an unlabelled pool.",
        "every arm on digits, k=5, 2 seeds, 20 epochs: a minute or two on 2 cores")
    p.add_argument("--unlabelled", type=int, help="rows in the unlabelled pool (default 500)")
    p.add_argument("--datasets", nargs="+", choices=sorted(dsets.LOADERS))
    p.add_argument("--ks", nargs="+", type=int)
    p.add_argument("--arms", nargs="+", choices=ARMS)
    p.add_argument("--models", nargs="+", choices=sorted(MODELS))
    p.add_argument("--epochs", type=int, help="TabularVAE epochs (default 100)")
    p.add_argument("--threshold", type=float,
                   help="pseudo_labels of the vae-semi-hard arm (default 0.75)")
    return p.parse_args(argv)


def _log(message: str) -> None:
    print(message, flush=True)  # progress shows up in a redirected log too


def run(cfg: Config, csv, jobs: int, threads: int, log=_log) -> pd.DataFrame:
    """Every cell; the CSV is rewritten after each one (in completion order)."""
    rows, cells = [], cfg.cells()
    progress = Progress(len(cells))
    for cell, cell_rows in run_cells(partial(run_cell, cfg), cells, jobs=jobs, threads=threads):
        rows += cell_rows
        write_rows(pd.DataFrame(rows), csv)
        log(progress.step(str(cell)))
    return pd.DataFrame(rows)


def execute(args, argv: list) -> int:
    """Run the unlabelled-data benchmark (or only regenerate its page)."""
    name = args.name or ("semi_quick" if args.quick else "semi")
    page = cli.page_path(args, EXPERIMENT, name)
    if args.report_only:
        csv = find_csv(args.out, name)
        section = render(read_rows(csv), read_json(sidecar(csv)))
        print(f"report: {write_section(page, section, MARKERS)}")
        return 0
    cfg = cli.build_config(Config, QUICK, args)
    if "none" not in cfg.arms:
        cfg.arms = ["none", *cfg.arms]
    args.out.mkdir(parents=True, exist_ok=True)
    csv = csv_path(args.out, name)
    # the sidecar's config also holds the run settings the page quotes (jobs)
    meta = dict(command=command_line(EXPERIMENT, argv), started=timestamp(),
                config={**asdict(cfg), "jobs": args.jobs, "name": name,
                        "no_report": args.no_report},
                **describe_machine())
    record_run(meta, sidecar(csv), lambda: run(cfg, csv, args.jobs, args.threads))
    if not args.no_report:
        print(f"report: {write_section(page, render(read_rows(csv), meta), MARKERS)}")
    return 0


main = cli.entry_point(EXPERIMENT, parse_args, execute)
