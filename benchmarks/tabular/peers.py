"""The peers: other packages' generators, each with a stated budget.

* ctgan's ``CTGAN`` and ``TVAE`` (:func:`peer_augment`);
* ForestDiffusion's Forest-Flow (:func:`forest_flow_augment`);
* SDV's GaussianCopula (:func:`gaussian_copula_augment`), where SDV installs.

Each models the features and the label jointly (the label is one more
discrete column), cannot take missing values (they get the training-row
imputation of :func:`~.base.impute`), and is asked for each class's rows by
drawing and keeping the rows of the wanted label (:func:`collect`), so a
peer that never generates a class returns fewer rows, which shows in
``n_synthetic``. The packages are benchmark extras, imported only here and
only when their arm runs.
"""
from __future__ import annotations

import contextlib
import io
import time
from typing import Callable

import numpy as np
import pandas as pd

from .base import TARGET, Cell, Synthetic, impute

#: Forest-Flow's budget. ForestDiffusion's defaults (``n_t=50`` noise levels,
#: ``duplicate_K=100`` noise draws per row, 100 boosting rounds) did not finish
#: a 30-column fit in 5 minutes on 2 cores: its cost is levels x classes x
#: rounds x one-hot width x rows, all in XGBoost's boosting rounds. With 10
#: levels, 5 draws per row and 30 rounds, the widest cells (breast_cancer and
#: wa_churn, k=50) fit in about a minute on one thread. 30 rounds at its
#: eta=0.3 leave 0.7**30 < 1e-4 of the first residual on the few hundred
#: rows a class has, so the rounds cut are the ones that change least.
FOREST_FLOW = dict(n_t=10, duplicate_K=5, n_estimators=30, max_depth=7)
# ForestDiffusion finds a categorical column's dummies by the prefix "<index>_"
# of their names, so column 1 would also claim column 11's: the categoricals
# go first, and at most 10 of them keep every prefix unique.
FOREST_FLOW_MAX_CATEGORICAL = 10


def collect(draw: Callable[[dict], list], wanted: dict, rounds: int = 10) -> list:
    """Keep drawing until every class has its wanted rows (at most ``rounds``).

    ``draw(need)`` returns DataFrames with a ``TARGET`` column, given the
    rows still needed per label (as ``str``); the rows of each needed label
    are kept in the order drawn.
    """
    need = {str(c): n for c, n in wanted.items() if n > 0}
    parts = []
    for _ in range(rounds):
        if not need:
            break
        for df in draw(need):
            df = df.astype({TARGET: str})
            for c in list(need):
                rows = df[df[TARGET] == c].iloc[: need[c]]
                parts.append(rows)
                need[c] -= len(rows)
                if need[c] == 0:
                    del need[c]
    return parts


def _as_synthetic(parts: list, empty: pd.DataFrame, cell: Cell, fit_s: float,
                  rate: float) -> Synthetic:
    """The kept rows, with the labels back in the data's own type."""
    labels = {str(c): c for c in np.unique(cell.y).tolist()}
    syn = pd.concat(parts, ignore_index=True) if parts else empty.iloc[:0].copy()
    tags = syn.pop(TARGET) if TARGET in syn else []
    y_syn = np.array([labels[s] for s in tags], dtype=cell.y.dtype)
    return Synthetic(syn, y_syn, fit_s, rate)


def _rate(sample: Callable[[int], object], n: int) -> float:
    """Rows per second of one draw of ``n`` rows: a handful of rows measures overhead."""
    t0 = time.perf_counter()
    sample(n)
    return n / (time.perf_counter() - t0)


# ------------------------------------------------------------------ ctgan
def peer_augment(kind: str) -> Callable:
    """An ``augment`` function for ctgan's ``CTGAN`` or ``TVAE``.

    CTGAN is sampled with its conditional vector set to each class; TVAE has
    no conditioning and is sampled unconditionally (then filtered by label).
    """

    def augment(cell: Cell) -> Synthetic:
        import ctgan

        data = impute(cell)
        data[TARGET] = [str(c) for c in cell.y.tolist()]
        model = getattr(ctgan, kind)(epochs=300 if cell.epochs is None else cell.epochs)
        model.set_random_state(cell.seed)
        t0 = time.perf_counter()
        model.fit(data, discrete_columns=[*cell.ds.categorical, TARGET])
        fit_s = time.perf_counter() - t0
        if kind == "CTGAN":
            def draw(need):
                return [model.sample(max(2 * n, 50), condition_column=TARGET, condition_value=c)
                        for c, n in need.items()]
        else:
            def draw(need):
                return [model.sample(max(2 * sum(need.values()), 100))]
        parts = collect(draw, cell.wanted())
        rate = _rate(model.sample, cell.throughput_rows)
        return _as_synthetic(parts, data, cell, fit_s, rate)

    augment.__name__ = f"augment_{kind}"
    return augment


# ------------------------------------------------------------ Forest-Flow
class _FlowTable:
    """A cell's table as ForestDiffusion wants it, and back.

    Categoricals become integer codes (first, see
    ``FOREST_FLOW_MAX_CATEGORICAL``); numeric columns whose training values
    are all whole numbers are rounded on the way back, here rather than by
    ForestDiffusion's ``int_indexes``, whose in-place rounding writes into a
    read-only pandas buffer under pandas 3 after a multi-level categorical.
    """

    def __init__(self, cell: Cell):
        data = impute(cell)
        self.cats, self.nums = list(cell.ds.categorical), list(cell.ds.numeric)
        if len(self.cats) > FOREST_FLOW_MAX_CATEGORICAL:
            raise ValueError(f"Forest-Flow here takes at most {FOREST_FLOW_MAX_CATEGORICAL} "
                             f"categorical columns; the table has {len(self.cats)}.")
        self.levels = {c: pd.factorize(data[c], sort=True) for c in self.cats}
        # a one-level column has no dummies, which ForestDiffusion cannot map
        # back: it stays a constant code outside cat_indexes
        self.cat_indexes = [i for i, c in enumerate(self.cats) if len(self.levels[c][1]) > 1]
        self.whole = [c for c in self.nums if np.all(np.mod(data[c].to_numpy(float), 1) == 0)]
        # a writable float copy: ForestDiffusion writes into what it is given
        self.matrix = np.column_stack(
            [self.levels[c][0] for c in self.cats] + [data[c].to_numpy(float) for c in self.nums]
        ).astype(np.float64, copy=True)
        self.classes, self.codes = np.unique(cell.y, return_inverse=True)
        self.columns = list(cell.X.columns)

    def decode(self, out: np.ndarray) -> pd.DataFrame:
        """ForestDiffusion's ``generate`` output (label code last) as rows."""
        df = pd.DataFrame(out[:, :-1], columns=self.cats + self.nums)
        for c in self.cats:
            df[c] = np.asarray(self.levels[c][1], dtype=object)[df[c].round().astype(int)]
        for c in self.whole:
            df[c] = df[c].round()
        df = df[self.columns]
        df[TARGET] = [str(v) for v in self.classes[out[:, -1].astype(int)].tolist()]
        return df


def forest_flow_augment(cell: Cell) -> Synthetic:
    """ForestDiffusion's Forest-Flow (``diffusion_type="flow"``) at the
    budget :data:`FOREST_FLOW`, one XGBoost thread, conditioned on the label
    (``label_y``: one set of models per class)."""
    from ForestDiffusion import ForestDiffusionModel

    table = _FlowTable(cell)
    t0 = time.perf_counter()
    model = ForestDiffusionModel(
        table.matrix, label_y=table.codes, diffusion_type="flow",
        cat_indexes=table.cat_indexes, n_jobs=1, seed=cell.seed, nthread=1,
        **FOREST_FLOW)
    fit_s = time.perf_counter() - t0

    def draw(need):  # labels are drawn in the training proportions: oversample, then keep
        return [table.decode(model.generate(batch_size=max(2 * sum(need.values()), 100)))]

    parts = collect(draw, cell.wanted())
    rate = _rate(lambda n: model.generate(batch_size=n), cell.throughput_rows)
    return _as_synthetic(parts, cell.X, cell, fit_s, rate)


# ---------------------------------------------------------- GaussianCopula
SDV_TABLE = "rows"  # SDV 2 names every table, even the only one


def gaussian_copula_augment(cell: Cell) -> Synthetic:
    """SDV's ``GaussianCopulaSynthesizer`` at its defaults, each class's rows
    from ``sample_from_conditions`` on the label.

    Metadata is explicit (numeric columns numerical; categorical columns and
    the label categorical): SDV's detection can take a numeric column for an
    ID. SDV draws from numpy's global generator, so it is seeded with the
    cell's seed (cells run in their own processes, one after another).
    """
    from sdv.metadata import Metadata
    from sdv.sampling import Condition
    from sdv.single_table import GaussianCopulaSynthesizer

    data = impute(cell)
    data[TARGET] = [str(c) for c in cell.y.tolist()]
    numeric = set(cell.ds.numeric)  # in the data's column order, which SDV checks
    columns = {c: {"sdtype": "numerical" if c in numeric else "categorical"} for c in data}
    metadata = Metadata.load_from_dict({"tables": {SDV_TABLE: {"columns": columns}}})
    model = GaussianCopulaSynthesizer(metadata)
    np.random.seed(cell.seed)
    t0 = time.perf_counter()
    model.fit({SDV_TABLE: data})
    fit_s = time.perf_counter() - t0

    def draw(need):
        conditions = [Condition(num_rows=n, column_values={TARGET: c}) for c, n in need.items()]
        with contextlib.redirect_stderr(io.StringIO()):  # its progress bar, per call
            return [model.sample_from_conditions(conditions)[SDV_TABLE]]

    parts = collect(draw, cell.wanted())
    rate = _rate(model.sample, cell.throughput_rows)
    return _as_synthetic(parts, data, cell, fit_s, rate)
