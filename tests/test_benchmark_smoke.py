"""Smoke test of the tabular benchmark (``python -m benchmarks tabular --quick``'s core).

Runs a tiny configuration on scikit-learn datasets only, so it needs neither
the peers (ctgan) nor the dataset extras, and checks the CSV's shape and
bookkeeping. Benchmarks are not tests: no threshold on any score or timing.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from benchmarks.common.files import read_rows
from benchmarks.tabular.config import COLUMNS, Config
from benchmarks.tabular.main import run_benchmark
from benchmarks.tabular.render import MARKERS, write_report

pytest.importorskip("imblearn")  # the smote arm

ARMS = ["none", "duplicate", "smote", "noise", "tabular-vae"]
pytestmark = pytest.mark.slow  # one tiny run shared by the tests: ~10 s on 2 cores


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    cfg = Config(datasets=["iris", "wine"], arms=ARMS, ks=[3], seeds=2, epochs=2,
                 throughput_rows=64)
    run_benchmark(cfg, out / "smoke.csv.gz", log=lambda *_: None)
    return cfg, out / "smoke.csv.gz"


def test_csv_has_one_row_per_dataset_k_seed_arm_model(smoke_run):
    cfg, csv = smoke_run
    df = read_rows(csv)
    assert list(df.columns) == COLUMNS
    assert len(df) == 2 * 1 * 2 * len(ARMS) * len(cfg.models)
    assert not df.duplicated(["dataset", "k", "seed", "arm", "model"]).any()
    assert set(df.arm) == set(ARMS) and set(df.model) == set(cfg.models)
    assert (df.status == "ok").all(), df.loc[df.status != "ok", "status"].tolist()
    assert df[["accuracy", "macro_f1", "gain_accuracy", "fit_s"]].notna().all().all()


def test_bookkeeping_is_paired_and_one_to_one(smoke_run):
    _, csv = smoke_run
    df = read_rows(csv)
    none = df[df.arm == "none"]
    assert (none.gain_accuracy == 0).all() and (none.n_synthetic == 0).all()
    aug = df[df.arm != "none"]
    assert (aug.n_synthetic == aug.n_train).all()  # 1:1 synthetic per class
    assert aug.dcr_median.notna().all()
    assert aug[aug.model == "logreg"].tstr_accuracy.notna().all()  # TSTR: logreg only
    # duplicates are copies of training rows, by construction
    assert (df[df.arm == "duplicate"].dcr_median == 0).all()
    # the generator arm reports sampling throughput; baselines do not sample
    assert df[df.arm == "tabular-vae"].rows_per_s.notna().all()
    # every row of one split shares its train/test sizes
    assert (df.groupby(["dataset", "seed"]).n_test.nunique() == 1).all()


def test_report_keeps_hand_written_sections(smoke_run, tmp_path):
    _, csv = smoke_run
    md = tmp_path / "tabular.md"
    md.write_text("# results\n\n## `synthaug demo`\n\nhand-written\n")
    for _ in range(2):  # a rerun replaces the generated block, never duplicates it
        write_report(csv, md)
    text = md.read_text()
    assert "hand-written" in text
    assert text.count(MARKERS.begin) == 1 and text.count(MARKERS.end) == 1
    assert "### iris" in text and "### wine" in text and "tabular-vae" in text
    # the plots (matplotlib, a benchmark extra) go next to the CSV and the
    # page links them relative to itself; without matplotlib, no link
    png = csv.parent / "smoke_gain_iris.png"
    if importlib.util.find_spec("matplotlib") is None:
        assert "![gain vs k" not in text and not png.exists()
        return
    target = text.split("![gain vs k on iris](", 1)[1].split(")", 1)[0]
    assert png.exists() and (md.parent / target).resolve() == png.resolve()


def test_cells_do_not_depend_on_jobs(smoke_run, tmp_path):
    """Two processes give the same rows as one; only timing columns move."""
    cfg, csv = smoke_run
    small = Config(datasets=["iris"], arms=["none", "noise"], ks=[3], seeds=2,
                   throughput_rows=64)
    one = run_benchmark(small, tmp_path / "one.csv.gz", jobs=1, log=lambda *_: None)
    two = run_benchmark(small, tmp_path / "two.csv.gz", jobs=2, log=lambda *_: None)
    cols = ["dataset", "k", "seed", "arm", "model", "accuracy", "macro_f1", "dcr_median"]
    pd.testing.assert_frame_equal(one[cols].reset_index(drop=True),
                                  two[cols].reset_index(drop=True))
    assert np.isfinite(two.accuracy).all()
