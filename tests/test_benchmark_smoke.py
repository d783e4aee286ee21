"""Smoke test of the benchmark runner (``python -m benchmarks.run --quick``'s core).

Runs a tiny configuration on scikit-learn datasets only, so it needs neither
the peers (ctgan) nor the dataset extras, and checks the CSV's shape and
bookkeeping. Benchmarks are not tests: no threshold on any score or timing.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("imblearn")  # the smote arm

# `benchmarks` is a folder at the repository root, not an installed package.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import datasets as dsets  # noqa: E402
from benchmarks.report import BEGIN, END, write_report  # noqa: E402
from benchmarks.run import COLUMNS, Config, run_benchmark  # noqa: E402

ARMS = ["none", "duplicate", "smote", "noise", "tabular-vae"]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    cfg = Config(datasets=["iris", "wine"], arms=ARMS, ks=[3], seeds=2, epochs=2,
                 throughput_rows=64)
    run_benchmark(cfg, out / "smoke.csv", log=lambda *_: None)
    return cfg, out / "smoke.csv"


def test_csv_has_one_row_per_dataset_k_seed_arm_model(smoke_run):
    cfg, csv = smoke_run
    df = pd.read_csv(csv)
    assert list(df.columns) == COLUMNS
    assert len(df) == 2 * 1 * 2 * len(ARMS) * len(cfg.models)
    assert not df.duplicated(["dataset", "k", "seed", "arm", "model"]).any()
    assert set(df.arm) == set(ARMS) and set(df.model) == set(cfg.models)
    assert (df.status == "ok").all(), df.loc[df.status != "ok", "status"].tolist()
    assert df[["accuracy", "macro_f1", "gain_accuracy", "fit_s"]].notna().all().all()


def test_bookkeeping_is_paired_and_one_to_one(smoke_run):
    _, csv = smoke_run
    df = pd.read_csv(csv)
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
    md = tmp_path / "RESULTS.md"
    md.write_text("# results\n\n## `synthaug demo`\n\nhand-written\n")
    for _ in range(2):  # a rerun replaces the generated block, never duplicates it
        write_report(csv, md)
    text = md.read_text()
    assert "hand-written" in text and text.count(BEGIN) == 1 and text.count(END) == 1
    assert "### iris" in text and "### wine" in text and "tabular-vae" in text


def test_draws_are_disjoint_and_leave_test_rows():
    y = np.array([0] * 40 + [1] * 8 + [2] * 3)
    tr, te = dsets.draw(y, 5, seed=0)
    assert np.intersect1d(tr, te).size == 0 and len(tr) + len(te) == len(y)
    assert np.bincount(y[tr]).tolist() == [5, 5, 2]  # capped: one test row per class left
    counts = dsets.train_counts(np.array([0] * 90 + [1] * 10), 5, imbalanced=True)
    assert sum(counts.values()) == 10 and counts[1] >= 2  # stratified, SMOTE-able
