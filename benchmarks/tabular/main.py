"""``python -m benchmarks tabular``: the downstream-gain benchmark on tables.

For every (dataset, k, seed) cell (:mod:`.cell`): draw k labelled rows per
class, make every arm's synthetic rows from those rows only, train each
downstream model on real + synthetic rows and score it on every row that was
not drawn (less the ceiling's extra rows, when ``real-2x`` runs). Writes one CSV row per dataset x k x seed x arm x model, a JSON
sidecar (command, machine, versions, budget), and regenerates the tabular
page's run block (:mod:`.render`).
"""
from __future__ import annotations

from dataclasses import asdict
from functools import partial
from importlib.util import find_spec
from pathlib import Path

import pandas as pd

from ..common import cli
from ..common.files import csv_path, find_csv, sidecar, write_rows
from ..common.pool import Progress, run_cells
from ..common.stamp import command_line, describe_machine, record_run, timestamp
from . import datasets as dsets
from .arms import ARMS
from .cell import run_cell
from .config import COLUMNS, QUICK, Config
from .evaluate import MODELS

EXPERIMENT = "tabular"


def check(cfg: Config) -> None:
    """Fail now, not after an hour, on an unknown arm or a missing extra."""
    unknown = set(cfg.arms) - set(ARMS)
    if unknown:
        raise ValueError(f"unknown arms {sorted(unknown)}; choose from {sorted(ARMS)}.")
    missing = [a for a in cfg.arms if not ARMS[a].available()]
    if missing:
        raise ImportError(f"arms {missing} need packages that are not installed "
                          f"({[ARMS[a].requires for a in missing]}); pip install -e '.[bench]'.")
    for d in cfg.datasets:
        try:
            dsets.load(d)
        except ImportError as exc:
            raise ImportError(f"dataset {d!r} needs the benchmark extras "
                              f"(pip install -e '.[bench]'): {exc}") from exc


def run_benchmark(cfg: Config, csv: Path, jobs: int = 1, log=print) -> pd.DataFrame:
    """Run every cell of ``cfg`` and rewrite the CSV after each one.

    With ``jobs > 1`` cells run in separate processes (each with
    ``cfg.threads`` torch threads); results do not depend on ``jobs``, only
    the timing columns do.

    Returns
    -------
    DataFrame
        One row per dataset x k x seed x arm x model, columns ``COLUMNS``.
    """
    check(cfg)
    cells, rows = cfg.cells(), []
    progress = Progress(len(cells))
    for (d, k, seed), cell_rows in run_cells(partial(run_cell, cfg), cells, jobs=jobs,
                                             threads=cfg.threads):
        rows.extend(cell_rows)
        write_rows(frame(rows), csv)
        log(progress.step(f"{d} k={k} seed={seed}"))
    return frame(rows)


def frame(rows: list[dict]) -> pd.DataFrame:
    """Rows in the CSV's column order, sorted by cell, arm (registry order), model."""
    df = pd.DataFrame(rows).reindex(columns=COLUMNS)
    order = {a: i for i, a in enumerate(ARMS)}
    df["_arm"] = df["arm"].map(order)
    return df.sort_values(["dataset", "k", "seed", "_arm", "model"]).drop(columns="_arm")


def parse_args(argv=None):
    p = cli.experiment_parser(
        EXPERIMENT, "Downstream gain of synthetic rows on small tables.",
        "a few minutes on 2 cores: wine + penguins, k=5, 2 seeds, 30 epochs")
    p.add_argument("--datasets", nargs="+", choices=sorted(dsets.LOADERS))
    p.add_argument("--arms", nargs="+", choices=sorted(ARMS))
    p.add_argument("--ks", nargs="+", type=int)
    p.add_argument("--models", nargs="+", choices=list(MODELS),
                   help="downstream models (default: all of them)")
    p.add_argument("--epochs", type=int, help="training epochs of every generator "
                   "(default: their own default, 300)")
    p.add_argument("--arm-epochs", nargs="+", default=[], metavar="ARM=N",
                   help="a different epoch budget for some arms, e.g. tabular-gan=100")
    p.add_argument("--ratio", type=float, help="synthetic rows per real row and class (default 1)")
    p.add_argument("--debug", action="store_true", help="print tracebacks of failing arms")
    return p.parse_args(argv)


def config_from_args(args) -> Config:
    cfg = cli.build_config(Config, QUICK, args, skip=("arm_epochs",))
    cfg.arm_epochs = cli.parse_assignments(args.arm_epochs, ARMS, "--arm-epochs")
    if cfg.seeds < 2:
        raise SystemExit("--seeds must be >= 2 (a confidence interval needs two pairs).")
    return cfg


def execute(args, argv: list) -> int:
    """Run the tabular benchmark (or only regenerate its page)."""
    name = args.name or ("quick" if args.quick else "full")
    page = cli.page_path(args, EXPERIMENT, name)
    if args.report_only:
        from .render import write_report

        print(f"report: {write_report(find_csv(args.out, name), page)}")
        return 0
    cfg = config_from_args(args)
    csv = csv_path(args.out, name)
    meta = dict(
        name=name, command=command_line(EXPERIMENT, argv), started=timestamp(),
        jobs=args.jobs, config=asdict(cfg), arms={a: ARMS[a].description for a in cfg.arms},
        copies_backend="synthaug.metrics" if find_spec("synthaug.metrics") else "local",
        **describe_machine(),
    )
    print(f"benchmark {name}: {len(cfg.cells())} cells x {len(cfg.arms)} arms -> {csv}")
    args.out.mkdir(parents=True, exist_ok=True)
    record_run(meta, sidecar(csv), lambda: run_benchmark(cfg, csv, jobs=args.jobs), digits=1)
    if not args.no_report:
        from .render import write_report

        print(f"report: {write_report(csv, page)}")
    return 0


main = cli.entry_point(EXPERIMENT, parse_args, execute)
