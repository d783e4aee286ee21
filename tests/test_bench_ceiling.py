"""The tabular benchmark's ceiling (``real-2x``), its share arithmetic, and the
downstream models added with it (HGB at a small-data setting, the MLP that
trains through ``synthaug.AugmentedDataset``), plus the Forest-Flow peer's
table round trip."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator

from benchmarks.common.draws import MIN_TEST_PER_CLASS, draw, draw_extra
from benchmarks.tabular.cell import run_cell, split
from benchmarks.tabular.config import Config
from benchmarks.tabular.datasets import Dataset
from benchmarks.tabular.evaluate import SmallDataHGB, fit_downstream, small_leaf
from benchmarks.tabular.share import cell_share, cell_stats, share_of_ceiling
from synthaug.data import derive_seed


# ------------------------------------------------------------ the extra draw
def test_extra_rows_are_disjoint_from_training_and_leave_the_test_set():
    y = np.repeat([0, 1, 2], [40, 30, 60])
    train, test = draw(y, 5, seed=3)
    extra, rest = draw_extra(y, train, seed=3)
    assert np.intersect1d(extra, train).size == 0 and np.intersect1d(extra, rest).size == 0
    assert np.array_equal(np.sort(np.concatenate([extra, rest])), test)  # taken from test
    assert np.bincount(y[extra]).tolist() == np.bincount(y[train]).tolist()  # k per class
    # the training rows do not depend on whether the ceiling is drawn
    with_ceiling, extra2, test2, note = split(y, 5, 3, False, ceiling=True)
    without, none, test3, _ = split(y, 5, 3, False, ceiling=False)
    assert np.array_equal(with_ceiling, without) and np.array_equal(extra2, extra)
    assert none is None and np.array_equal(test3, test) and np.array_equal(test2, rest)
    assert note == ""


def test_a_class_that_cannot_spare_its_extra_rows_skips_the_ceiling():
    y = np.repeat([0, 1], [60, 5 + 5 + MIN_TEST_PER_CLASS - 1])
    train, test = draw(y, 5, seed=0)
    with pytest.raises(ValueError, match="class 1 .* test rows"):
        draw_extra(y, train, seed=0)
    tr, extra, te, note = split(y, 5, 0, False, ceiling=True)
    assert extra is None and "class 1" in note
    assert np.array_equal(te, test)  # nothing removed, nothing shrunk


def test_every_arm_of_a_cell_tests_on_the_same_rows_without_the_extra_ones():
    cfg = Config(datasets=["iris"], arms=["none", "real-2x", "duplicate"], ks=[3], seeds=1,
                 models=["logreg"])
    rows = pd.DataFrame(run_cell(cfg, "iris", 3, 0))
    assert (rows.status == "ok").all()
    assert set(rows.n_test) == {150 - 9 - 9}  # one test set, the extra 9 rows gone
    ceiling = rows[rows.arm == "real-2x"].iloc[0]
    assert ceiling.n_synthetic == 9 and ceiling.dcr_median > 0  # fresh real rows, not copies
    # k=25 leaves iris 25 rows per class: no room for 25 more and 10 test rows
    big = pd.DataFrame(run_cell(cfg, "iris", 25, 0))
    skipped = big[big.arm == "real-2x"]
    assert skipped.status.str.startswith("skipped: class").all()
    assert set(big.n_test) == {75} and (big[big.arm != "real-2x"].status == "ok").all()


# ----------------------------------------------------------- the share
def test_share_of_the_ceiling_is_a_ratio_of_means_over_measured_cells():
    rows = []
    for arm, gains in {"none": [0, 0, 0], "real-2x": [4.0, 0.2, np.nan],
                       "smote": [2.0, -1.0, 3.0]}.items():
        for k, g in zip([5, 10, 25], gains):
            for seed, jitter in enumerate([-0.1, 0.1]):
                rows.append(dict(arm=arm, dataset="toy", k=k, model="logreg", seed=seed,
                                 imbalanced=False, gain=g + jitter * (arm != "none")))
    cells = cell_stats(pd.DataFrame(rows).dropna(subset=["gain"]))
    smote = cells[cells.arm == "smote"].set_index("k")
    assert smote.ceiling.tolist()[:2] == pytest.approx([4.0, 0.2])
    assert np.isnan(smote.ceiling[25])  # ceiling skipped: the cell is left out
    assert share_of_ceiling(smote) == pytest.approx((2.0 - 1.0) / 2 / ((4.0 + 0.2) / 2))
    assert cell_share(2.0, 4.0) == pytest.approx(0.5)
    assert np.isnan(cell_share(-1.0, 0.2))  # ceiling below a point: no per-cell share
    assert np.isnan(share_of_ceiling(smote.assign(ceiling=[-1.0, 0.5, np.nan])))


def test_pays_reports_the_share_and_keeps_hgb_apart(tmp_path):
    from benchmarks.tabular import pays

    rows = []
    gains = {"none": 0.0, "real-2x": 4.0, "smote": 1.0}
    for model, bonus in (("logreg", 0.0), ("hgb", 15.0)):  # HGB: any extra rows "gain"
        for seed, jitter in enumerate([-0.2, 0.0, 0.2]):
            for arm, g in gains.items():
                g = 0.0 if arm == "none" else g + bonus + jitter
                rows.append(dict(dataset="toy", k=5, seed=seed, model=model, arm=arm,
                                 accuracy=0.8 + g / 100, macro_f1=0.8, gain_accuracy=g / 100,
                                 gain_macro_f1=0.0, status="ok"))
    pd.DataFrame(rows).to_csv(tmp_path / "run.csv", index=False)
    df, metas = pays.combine(["run"], tmp_path)
    text = pays.render(df, metas)
    targets = text.split("### Targets")[1].split("###")[0]
    assert "share of ceiling |" in targets
    assert "| `smote` | 1 | +1.00 |" in targets and "| 25% |" in targets  # LR only, 1/4
    assert "best arm `smote`" in text  # the ceiling is the yardstick, not a competitor
    shares = text.split("### Share of the ceiling")[1].split("###")[0]
    assert "| arm | LR | HGB |" in shares and "| `smote` | 25% | 84% |" in shares
    assert "**+1.0 [+0.5, +1.5]** (25%)" in text  # per-cell share beside the interval


# ------------------------------------------------------- downstream models
def test_hgb_small_data_setting_lets_a_tree_split_few_rows():
    assert [small_leaf(n) for n in (10, 30, 100, 250, 5000)] == [2, 3, 10, 20, 20]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(int)
    from sklearn.ensemble import HistGradientBoostingClassifier

    default = HistGradientBoostingClassifier().fit(X, y)
    small = SmallDataHGB().fit(X, y)
    assert small.model_.min_samples_leaf == 3
    assert len(np.unique(default.predict(X))) == 1  # 30 rows, leaves of 20: no split
    assert (small.predict(X) == y).mean() > 0.9


def test_mlp_is_a_pure_function_of_its_data_and_seed():
    from benchmarks.tabular.mlp import MLPClassifier

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.repeat(["a", "b"], 20)
    torch.manual_seed(1)
    first = MLPClassifier(steps=20).fit(X, y).predict_proba(X)
    torch.manual_seed(2)  # torch's global generator is neither read...
    before = torch.get_rng_state()
    second = MLPClassifier(steps=20).fit(X, y).predict_proba(X)
    assert np.array_equal(first, second)
    assert torch.equal(before, torch.get_rng_state())  # ...nor moved


class RecordingGenerator(BaseEstimator):
    """Stands in for a fitted synthaug tabular model (an estimator); samples
    mixed-type rows and records every ``random_state`` it is asked for."""

    device_ = torch.device("cpu")
    conditional_ = True
    sample_batch_size_ = 4096

    def __init__(self, classes, counts):
        self.classes_, self.class_counts_ = np.asarray(classes), np.asarray(counts)
        self.seeds = []

    def fit(self, X, y=None):  # scikit-learn's fitted checks look for it
        return self

    def sample(self, n_samples=None, y=None, *, random_state=None):
        self.seeds.append(random_state)
        y = np.asarray(y)
        rng = np.random.default_rng(random_state)
        X = pd.DataFrame({"num": rng.normal(size=len(y)) + (y == "b") * 3,
                          "cat": np.where(y == "b", "yes", "no").astype(object)})
        return X, y


def test_mlp_of_a_generator_arm_trains_through_augmented_dataset_with_fresh_draws(monkeypatch):
    from benchmarks.tabular import evaluate
    from benchmarks.tabular.mlp import MLPClassifier

    monkeypatch.setitem(evaluate.MODELS, "mlp", lambda: MLPClassifier(steps=30))  # fast
    X = pd.DataFrame({"num": [0.0, 0.1, 0.2, 3.0, 3.1, 3.2], "cat": ["no"] * 3 + ["yes"] * 3})
    X["cat"] = X["cat"].astype(object)
    y = np.array(["a"] * 3 + ["b"] * 3)
    ds = Dataset("toy", X, y, categorical=("cat",))
    gen = RecordingGenerator(["a", "b"], [3, 3])
    est = fit_downstream("mlp", ds, X, y, generator=gen, ratio=1.0, seed=7)
    clf = est.named_steps["clf"]
    # 12 rows a batch of 32: one step an epoch, so one fresh draw per step,
    # each from AugmentedDataset's seed for that epoch (chunk 0)
    assert gen.seeds == [derive_seed(derive_seed(7, e), 0) for e in range(clf.steps)]
    assert clf.classes_.tolist() == ["a", "b"] and set(est.predict(X)) <= {"a", "b"}
    # the other models train on the arm's one fixed draw: the generator is never asked
    other = RecordingGenerator(["a", "b"], [3, 3])
    fit_downstream("logreg", ds, X, y, X_syn=X, y_syn=y, generator=other)
    assert other.seeds == []


# ------------------------------------------------------------- Forest-Flow
def test_forest_flow_table_round_trips_mixed_rows():
    from benchmarks.tabular.arms import Cell
    from benchmarks.tabular.base import TARGET
    from benchmarks.tabular.peers import _FlowTable

    X = pd.DataFrame({"n": [1.0, 2.0, np.nan, 4.0], "f": [0.5, 1.5, 2.5, 3.5],
                      "c": ["x", None, "y", "x"], "one": ["z"] * 4}).astype({"c": object,
                                                                               "one": object})
    ds = Dataset("toy", X, np.array(["p", "q", "p", "q"]), categorical=("c", "one"))
    table = _FlowTable(Cell(ds, X, ds.y, seed=0))
    assert table.cat_indexes == [0]  # the one-level column is no categorical for it
    assert table.whole == ["n"] and table.matrix.flags.writeable
    out = table.decode(np.column_stack([table.matrix, table.codes]))
    assert out.columns.tolist() == ["n", "f", "c", "one", TARGET]
    assert out.c.tolist() == ["x", "missing", "y", "x"] and out[TARGET].tolist() == list("pqpq")
    assert out.n.tolist() == [1.0, 2.0, 2.0, 4.0]  # the median of 1, 2, 4 filled in


@pytest.mark.slow
@pytest.mark.parametrize("arm, package", [("forest-flow", "ForestDiffusion"),
                                          ("gaussian-copula", "sdv")])
def test_peer_arms_return_the_wanted_rows_per_class(arm, package):
    pytest.importorskip(package)
    pytest.importorskip("palmerpenguins")
    from benchmarks.tabular import datasets as dsets
    from benchmarks.tabular.arms import ARMS, Cell
    from benchmarks.tabular.evaluate import conform

    ds = dsets.load("penguins")  # mixed types, missing values
    tr, _ = draw(ds.y, 5, 0)
    cell = Cell(ds, ds.X.iloc[tr].reset_index(drop=True), ds.y[tr], 0, throughput_rows=50)
    syn = ARMS[arm].augment(cell)
    assert sorted(pd.Series(syn.y).value_counts().tolist()) == [5, 5, 5]
    X = conform(syn.X, ds)
    assert list(X.columns) == list(ds.X.columns) and X.notna().all().all()
    assert set(X.island) <= set(cell.X.island) and syn.fit_s > 0
