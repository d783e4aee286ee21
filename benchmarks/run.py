"""``python -m benchmarks.run``: the downstream-gain benchmark.

For every (dataset, k, seed) cell: draw k labelled rows per class (a
stratified fraction for imbalanced data), make every arm's synthetic rows
from those rows only, train each downstream model on real + synthetic rows,
and score it on every row that was not drawn. Writes one CSV row per
dataset x k x seed x arm x model, a JSON sidecar (command, machine,
versions, budget), and regenerates the report.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from importlib.util import find_spec
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from . import datasets as dsets
from .arms import ARMS, Cell
from .evaluate import MODELS, Privacy, conform, make_downstream, scores, tstr
from .machine import describe_machine

HERE = Path(__file__).resolve().parent
KEYS = ["dataset", "k", "seed", "arm", "model"]
COLUMNS = KEYS + [
    "n_train", "n_test", "n_synthetic", "accuracy", "macro_f1", "gain_accuracy",
    "gain_macro_f1", "tstr_accuracy", "tstr_macro_f1", "dcr_median", "dcr_holdout",
    "dcr_below_holdout_p05", "exact_copy_rate", "fit_s", "rows_per_s", "chosen_ratio", "epochs", "status",
]
TSTR_MODEL = "logreg"  # TSTR is measured with this downstream model only
FULL_DATASETS = ["iris", "wine", "breast_cancer", "penguins", "credit_data", "wa_churn"]


@dataclass
class Config:
    """What one benchmark run measures (stored in the JSON sidecar)."""

    datasets: list = field(default_factory=lambda: list(FULL_DATASETS))
    arms: list = field(default_factory=lambda: [a for a in ARMS if ARMS[a].available()])
    ks: list = field(default_factory=lambda: [5, 10, 25, 50])
    seeds: int = 5
    models: list = field(default_factory=lambda: list(MODELS))
    epochs: int | None = None  # None: each generator's default (300 for all of them)
    arm_epochs: dict = field(default_factory=dict)  # per-arm override of `epochs`
    ratio: float = 1.0
    throughput_rows: int = 5000
    threads: int = 1
    debug: bool = False  # print tracebacks of failing arms

    def cells(self) -> list:
        return [(d, k, s) for d in self.datasets for k in self.ks for s in range(self.seeds)]


QUICK = dict(datasets=["wine", "penguins"], ks=[5], seeds=2, epochs=30, throughput_rows=1000)


# ------------------------------------------------------------------- cell
def _init_worker(threads: int) -> None:
    import torch

    # Tiny networks: more threads add contention, not speed, on shared cores.
    torch.set_num_threads(threads)
    # Convergence/deprecation chatter from sklearn and the peers would bury
    # the progress lines; failures are caught per arm and written to the CSV.
    warnings.filterwarnings("ignore")


def run_cell(cfg: Config, dataset: str, k: int, seed: int) -> list[dict]:
    """Every arm x model row of one (dataset, k, seed) split."""
    ds = dsets.load(dataset)
    tr, te = dsets.draw(ds.y, k, seed, ds.imbalanced)
    X_tr, y_tr = ds.X.iloc[tr].reset_index(drop=True), ds.y[tr]
    X_te, y_te = ds.X.iloc[te].reset_index(drop=True), ds.y[te]
    cell = Cell(ds, X_tr, y_tr, seed, cfg.epochs, cfg.ratio, cfg.throughput_rows)
    try:
        dist = Privacy(ds, X_tr, X_te)
    except Exception as exc:  # privacy columns are NaN then; accuracies still count
        print(f"  {dataset} k={k} seed={seed}: DCR unavailable: {exc!r}", file=sys.stderr)
        dist = None
    base = dict(dataset=dataset, k=k, seed=seed, n_train=len(tr), n_test=len(te),
                dcr_holdout=dist.holdout_median if dist else np.nan)
    rows = []
    # `none` first: every other arm's gain is paired with it
    for name in ["none"] + [a for a in cfg.arms if a != "none"]:
        arm = ARMS[name]
        epochs = cfg.arm_epochs.get(name, cfg.epochs)
        arm_cell = replace(cell, epochs=epochs)
        if arm.trains:  # the CSV states the budget; 300 is every generator's default
            epochs = 300 if epochs is None else epochs
        else:
            epochs = np.nan
        try:
            if arm.augment is not None:
                new = _augment_rows(cfg, arm, arm_cell, dist, X_te, y_te)
            else:
                new = _wrap_rows(cfg, arm, arm_cell, X_te, y_te)
            rows += [dict(r, epochs=epochs) for r in new]
        except Exception as exc:  # one broken arm must not end an hour-long run
            msg = f"error: {type(exc).__name__}: {exc}".replace("\n", " ")[:300]
            print(f"  {dataset} k={k} seed={seed} {name}: {msg}", file=sys.stderr)
            if cfg.debug:
                traceback.print_exc()
            rows += [dict(arm=name, model=m, status=msg, epochs=epochs) for m in cfg.models]
    rows = [{**base, **r} for r in rows]
    _add_gains(rows)
    return rows


def _augment_rows(cfg, arm, cell, dist, X_te, y_te) -> list[dict]:
    syn = arm.augment(cell)
    X_syn = conform(syn.X, cell.ds)
    y_syn = np.asarray(syn.y)
    X_fit = pd.concat([cell.X, X_syn], ignore_index=True) if len(X_syn) else cell.X
    y_fit = np.concatenate([cell.y, y_syn])
    shared = dict(arm=arm.name, n_synthetic=len(y_syn), fit_s=syn.fit_s,
                  rows_per_s=syn.rows_per_s, status="ok", **(dist.summary(X_syn) if dist else {}))
    rows = []
    for model in cfg.models:
        est = make_downstream(model, cell.ds).fit(X_fit, y_fit)
        row = dict(shared, model=model, **scores(est, X_te, y_te))
        if model == TSTR_MODEL:  # one TSTR per arm: a forest per arm would cost minutes
            row.update(tstr(model, cell.ds, X_syn, y_syn, X_te, y_te))
        rows.append(row)
    return rows


def _wrap_rows(cfg, arm, cell, X_te, y_te) -> list[dict]:
    rows = []
    for model in cfg.models:
        est = arm.wrap(make_downstream(model, cell.ds), cell)
        t0 = time.perf_counter()
        est.fit(cell.X, cell.y)
        rows.append(dict(
            arm=arm.name, model=model, fit_s=time.perf_counter() - t0, status="ok",
            n_synthetic=getattr(est, "n_synthetic_", np.nan),
            chosen_ratio=getattr(est, "ratio_", np.nan), **scores(est, X_te, y_te),
        ))
    return rows


def _add_gains(rows: list[dict]) -> None:
    """Paired gains: each arm minus `none` on the same split and model."""
    ref = {r["model"]: r for r in rows if r["arm"] == "none" and r.get("status") == "ok"}
    for r in rows:
        base = ref.get(r["model"])
        for m in ("accuracy", "macro_f1"):
            ok = base is not None and r.get(m) is not None
            r[f"gain_{m}"] = r[m] - base[m] if ok else np.nan


# -------------------------------------------------------------------- run
def run_benchmark(cfg: Config, csv_path: Path, jobs: int = 1, log=print) -> pd.DataFrame:
    """Run every cell of ``cfg`` and write the CSV after each one.

    With ``jobs > 1`` cells run in separate processes (each with
    ``cfg.threads`` torch threads); results do not depend on ``jobs``, only
    the timing columns do.
    """
    unknown = set(cfg.arms) - set(ARMS)
    if unknown:
        raise ValueError(f"unknown arms {sorted(unknown)}; choose from {sorted(ARMS)}.")
    missing = [a for a in cfg.arms if not ARMS[a].available()]
    if missing:
        raise ImportError(f"arms {missing} need packages that are not installed "
                          f"({[ARMS[a].requires for a in missing]}); pip install -e '.[bench]'.")
    for d in cfg.datasets:  # fail now, not after an hour, if an extra is missing
        try:
            dsets.load(d)
        except ImportError as exc:
            raise ImportError(f"dataset {d!r} needs the benchmark extras "
                              f"(pip install -e '.[bench]'): {exc}") from exc
    cells, rows, t0 = cfg.cells(), [], time.perf_counter()
    csv_path.parent.mkdir(parents=True, exist_ok=True)

    def done(i, cell, cell_rows):
        rows.extend(cell_rows)
        _frame(rows).to_csv(csv_path, index=False)
        el = time.perf_counter() - t0
        log(f"[{i}/{len(cells)}] {cell[0]} k={cell[1]} seed={cell[2]}  "
            f"elapsed {el:.0f}s, ~{el / i * (len(cells) - i):.0f}s left")

    if jobs <= 1:
        with warnings.catch_warnings():  # leave the caller's filters as they were
            _init_worker(cfg.threads)
            for i, cell in enumerate(cells, 1):
                done(i, cell, run_cell(cfg, *cell))
    else:
        ctx = get_context("spawn")  # no forked torch/BLAS thread state
        with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker,
                                 initargs=(cfg.threads,)) as pool:
            futures = {pool.submit(run_cell, cfg, *c): c for c in cells}
            for i, fut in enumerate(as_completed(futures), 1):
                done(i, futures[fut], fut.result())
    return _frame(rows)


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows).reindex(columns=COLUMNS)
    order = {a: i for i, a in enumerate(ARMS)}
    df["_arm"] = df["arm"].map(order)
    return df.sort_values(["dataset", "k", "seed", "_arm", "model"]).drop(columns="_arm")


# -------------------------------------------------------------------- cli
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="a few minutes on 2 cores: wine + penguins, k=5, 2 seeds, 30 epochs")
    p.add_argument("--datasets", nargs="+", choices=sorted(dsets.LOADERS))
    p.add_argument("--arms", nargs="+", choices=sorted(ARMS))
    p.add_argument("--ks", nargs="+", type=int)
    p.add_argument("--seeds", type=int, help="seeds per cell (default 5)")
    p.add_argument("--epochs", type=int, help="training epochs of every generator "
                   "(default: their own default, 300)")
    p.add_argument("--arm-epochs", nargs="+", default=[], metavar="ARM=N",
                   help="a different epoch budget for some arms, e.g. tabular-gan=100")
    p.add_argument("--ratio", type=float, help="synthetic rows per real row and class (default 1)")
    p.add_argument("--jobs", type=int, default=1, help="cells run in parallel processes")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument("--name", help="run name (default: 'quick' or 'full')")
    p.add_argument("--out", type=Path, default=HERE / "results", help="folder for CSV/JSON/PNG")
    p.add_argument("--results-md", type=Path,
                   help="report to regenerate (default: benchmarks/RESULTS.md for a full "
                   "run, <out>/<name>.md for --quick)")
    p.add_argument("--no-report", action="store_true", help="write the CSV only")
    p.add_argument("--debug", action="store_true", help="print tracebacks of failing arms")
    return p.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> Config:
    cfg = Config(**(QUICK if args.quick else {}))
    cfg.debug = args.debug
    for name in ("datasets", "arms", "ks", "seeds", "epochs", "ratio", "threads"):
        if getattr(args, name) is not None:
            setattr(cfg, name, getattr(args, name))
    for item in args.arm_epochs:
        arm, _, n = item.partition("=")
        if arm not in ARMS or not n.isdigit():
            raise SystemExit(f"--arm-epochs takes ARM=N with ARM in {sorted(ARMS)}; got {item!r}.")
        cfg.arm_epochs[arm] = int(n)
    if cfg.seeds < 2:
        raise SystemExit("--seeds must be >= 2 (a confidence interval needs two pairs).")
    return cfg


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    cfg = config_from_args(args)
    name = args.name or ("quick" if args.quick else "full")
    csv_path = args.out / f"{name}.csv"
    meta = dict(
        name=name, command=" ".join(["python -m benchmarks.run", *argv]),
        started=time.strftime("%Y-%m-%d %H:%M:%S %Z"), jobs=args.jobs,
        config=asdict(cfg), arms={a: ARMS[a].description for a in cfg.arms},
        copies_backend="synthaug.metrics" if find_spec("synthaug.metrics") else "local",
        **describe_machine(),
    )
    print(f"benchmark {name}: {len(cfg.cells())} cells x {len(cfg.arms)} arms -> {csv_path}")
    sidecar = csv_path.with_suffix(".json")
    args.out.mkdir(parents=True, exist_ok=True)
    # written now too, so that a run stopped halfway can still be reported
    sidecar.write_text(json.dumps(meta, indent=2, default=str))
    t0 = time.perf_counter()
    run_benchmark(cfg, csv_path, jobs=args.jobs)
    meta["wall_s"] = round(time.perf_counter() - t0, 1)
    sidecar.write_text(json.dumps(meta, indent=2, default=str))
    print(f"done in {meta['wall_s']:.0f}s")
    if not args.no_report:
        from .report import write_report

        md = args.results_md or (args.out / f"{name}.md" if args.quick else HERE / "RESULTS.md")
        write_report(csv_path, md)
        print(f"report: {md}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
