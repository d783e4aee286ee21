"""The tabular benchmark's ceiling (``real-2x``): the extra real rows, drawn
apart from the training rows and removed from every arm's test set."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.common.draws import MIN_TEST_PER_CLASS, draw, draw_extra
from benchmarks.tabular.cell import run_cell, split
from benchmarks.tabular.config import Config


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
