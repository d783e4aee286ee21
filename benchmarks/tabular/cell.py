"""One (dataset, k, seed) cell of the tabular benchmark: every arm x model row.

Draw k labelled rows per class (a stratified fraction for imbalanced data),
make every arm's synthetic rows from those rows only, train each downstream
model on real + synthetic rows, and score it on every row that was not drawn.
With the ceiling arm ``real-2x`` in the run, a second draw of the same size
is its extra real rows and leaves every arm's test set (:func:`split`).
"""
from __future__ import annotations

import sys
import time
import traceback
from dataclasses import replace

import numpy as np

from ..common.draws import draw, draw_extra
from ..common.stats import add_gains
from . import datasets as dsets
from .arms import ARMS, Cell, Skipped
from .config import CEILING, DEFAULT_EPOCHS, TSTR_MODEL, Config
from .evaluate import Privacy, conform, fit_downstream, make_downstream, scores, tstr


def split(y: np.ndarray, k: int, seed: int, imbalanced: bool, ceiling: bool):
    """Training rows, the ceiling's extra rows (or None) and the test rows.

    Without the ceiling (or where a class cannot spare its extra rows and
    keep its test rows: then ``note`` says so and the ceiling arm is skipped
    for the cell) the test set is every row not drawn, as in runs before
    the ceiling existed. The training rows never depend on ``ceiling``.

    Returns
    -------
    train, extra, test : ndarray of int, or None for ``extra``
    note : str
    """
    train, test = draw(y, k, seed, imbalanced)
    if not ceiling:
        return train, None, test, ""
    try:
        extra, test = draw_extra(y, train, seed)
    except ValueError as exc:
        return train, None, test, str(exc)
    return train, extra, test, ""


def run_cell(cfg: Config, dataset: str, k: int, seed: int) -> list[dict]:
    """Every arm x model row of one (dataset, k, seed) split."""
    ds = dsets.load(dataset)
    tr, extra, te, note = split(ds.y, k, seed, ds.imbalanced, CEILING in cfg.arms)
    X_tr, y_tr = ds.X.iloc[tr].reset_index(drop=True), ds.y[tr]
    X_te, y_te = ds.X.iloc[te].reset_index(drop=True), ds.y[te]
    cell = Cell(ds, X_tr, y_tr, seed, cfg.epochs, cfg.ratio, cfg.throughput_rows,
                extra_note=note)
    if extra is not None:
        cell.X_extra, cell.y_extra = ds.X.iloc[extra].reset_index(drop=True), ds.y[extra]
    try:
        dist = Privacy(ds, X_tr, X_te)
    except Exception as exc:  # privacy columns are NaN then; accuracies still count
        print(f"  {dataset} k={k} seed={seed}: DCR unavailable: {exc!r}", file=sys.stderr)
        dist = None
    base = dict(dataset=dataset, k=k, seed=seed, n_train=len(tr), n_test=len(te),
                dcr_holdout=dist.holdout_median if dist else np.nan)
    rows, label = [], f"{dataset} k={k} seed={seed}"
    # `none` first: every other arm's gain is paired with it
    for name in ["none"] + [a for a in cfg.arms if a != "none"]:
        rows += _arm_rows(cfg, ARMS[name], cell, dist, X_te, y_te, label)
    rows = [{**base, **r} for r in rows]
    add_gains(rows)
    return rows


def _arm_rows(cfg: Config, arm, cell: Cell, dist, X_te, y_te, label: str) -> list[dict]:
    """One arm's rows, or rows that carry its error: one broken arm must not
    end an hour-long run."""
    epochs = cfg.arm_epochs.get(arm.name, cfg.epochs)
    arm_cell = replace(cell, epochs=epochs)
    stated = (DEFAULT_EPOCHS if epochs is None else epochs) if arm.trains else np.nan
    try:
        if arm.augment is not None:
            new = augment_rows(cfg, arm, arm_cell, dist, X_te, y_te)
        else:
            new = wrap_rows(cfg, arm, arm_cell, X_te, y_te)
        return [dict(r, epochs=stated) for r in new]
    except Skipped as why:  # by design, not a failure: say why on every row
        return [dict(arm=arm.name, model=m, status=f"skipped: {why}", epochs=stated)
                for m in cfg.models]
    except Exception as exc:
        msg = f"error: {type(exc).__name__}: {exc}".replace("\n", " ")[:300]
        print(f"  {label} {arm.name}: {msg}", file=sys.stderr)
        if cfg.debug:
            traceback.print_exc()
        return [dict(arm=arm.name, model=m, status=msg, epochs=stated) for m in cfg.models]


def augment_rows(cfg: Config, arm, cell: Cell, dist, X_te, y_te) -> list[dict]:
    """Rows of an augmenting arm: its synthetic rows are made once and every
    downstream model trains on real + synthetic rows (the MLP of a synthaug
    generator arm: on fresh draws of the same fitted generator)."""
    syn = arm.augment(cell)
    X_syn = conform(syn.X, cell.ds)
    y_syn = np.asarray(syn.y)
    shared = dict(arm=arm.name, n_synthetic=len(y_syn), fit_s=syn.fit_s,
                  rows_per_s=syn.rows_per_s, status="ok", **(dist.summary(X_syn) if dist else {}))
    rows = []
    for model in cfg.models:
        est = fit_downstream(model, cell.ds, cell.X, cell.y, X_syn=X_syn, y_syn=y_syn,
                             generator=syn.generator, ratio=cell.ratio, seed=cell.seed)
        row = dict(shared, model=model, **scores(est, X_te, y_te))
        if model == TSTR_MODEL:  # one TSTR per arm: a forest per arm would cost minutes
            row.update(tstr(model, cell.ds, X_syn, y_syn, X_te, y_te))
        rows.append(row)
    return rows


def wrap_rows(cfg: Config, arm, cell: Cell, X_te, y_te) -> list[dict]:
    """Rows of a wrapping arm: the arm is an estimator that augments in ``fit``."""
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
