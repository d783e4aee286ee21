"""The unlabelled-data benchmark: its split, one tiny cell of every arm, and
its page block. Benchmarks are not tests: no threshold on any score."""
from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.semi import split
from benchmarks.semi.cell import run_cell
from benchmarks.semi.config import ARMS, Config
from benchmarks.semi.render import render
from benchmarks.tabular import datasets as dsets


def test_split_is_disjoint_and_repeatable():
    ds = dsets.load("breast_cancer")
    lab, pool, test = split(ds, 5, 0, 500)
    assert len(lab) == 10 and len(pool) == 279  # half of the rest at most
    again = split(ds, 5, 0, 500)
    assert all(np.array_equal(a, b) for a, b in zip((lab, pool, test), again))
    assert not set(lab) & set(pool) and not set(test) & (set(lab) | set(pool))
    assert len(lab) + len(pool) + len(test) == len(ds.y)
    lab, pool, test = split(dsets.load("digits"), 5, 1, 500)
    assert len(pool) == 500


def test_one_cell_of_every_arm_and_its_page():
    """iris, 3 labelled rows per class, a 60-row pool, 2-epoch VAEs: ~2 s."""
    cfg = Config(unlabelled=60, datasets=["iris"], ks=[3], seeds=1, models=["logreg"],
                 epochs=2)
    rows = run_cell(cfg, "iris", 3, 0)
    df = pd.DataFrame(rows)
    assert list(df.arm) == ARMS and (df.status == "ok").all(), df.status.tolist()
    assert (df.n_labelled == 9).all() and (df.n_pool == 60).all()
    assert df.loc[df.arm == "none", "gain_accuracy"].item() == 0
    one_to_one = df[df.arm.isin(["vae-labelled", "vae-semi", "vae-semi-spread", "vae-semi-m2"])]
    assert (one_to_one.n_synthetic == 9).all()  # 1:1 with the labelled rows
    x_arms = ["vae-semi-x", "vae-semi-spread-x", "vae-semi-m2-x"]
    assert (df.loc[df.arm.isin(x_arms), "n_synthetic"] == 60).all()
    # the "-x" arms reuse their 1:1 arm's generator: same fit time
    fit = df.set_index("arm").fit_s
    assert fit["vae-semi-x"] == fit["vae-semi"] and fit["vae-semi-m2-x"] == fit["vae-semi-m2"]
    meta = {"command": "cmd", "started": "now", "wall_s": 1,
            "config": {"jobs": 1, "unlabelled": 60, "epochs": 2, "threshold": 0.75}}
    section = render(pd.concat([df, df.assign(seed=1)]), meta)
    assert section.startswith("## Unlabelled data (issue 4)")
    assert "| iris | 3 | logreg |" in section and "Target of issues 4 and 13" in section
    assert "`label-spreading`" in section
