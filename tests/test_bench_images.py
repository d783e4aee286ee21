"""The image benchmark: classic augmentation, one tiny cell of every arm with
its sample grids, and the page block. No threshold on any score."""
from __future__ import annotations

import pandas as pd
import torch

from benchmarks.common.files import read_rows
from benchmarks.images.cell import run_cell
from benchmarks.images.cnn import classic_augment
from benchmarks.images.config import ARMS, RATIO, Config
from benchmarks.images.main import run, write_page
from benchmarks.images.render import MARKERS


def test_classic_augment_keeps_shape_and_is_seeded():
    x = torch.rand(6, 1, 28, 28)
    a = classic_augment(x, torch.Generator().manual_seed(0))
    b = classic_augment(x, torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, x)
    assert classic_augment(torch.rand(2, 1, 8, 8), torch.Generator()).shape == (2, 1, 8, 8)


TINY = Config(datasets=["digits"], ks={"digits": [3], "fashion": [3]}, seeds=2, width=4,
              budgets={"digits": {"vae": 4, "gan": 4, "cnn": 4},
                       "fashion": {"vae": 4, "gan": 4, "cnn": 4}})


def test_tiny_run_rows_grids_and_page(tmp_path):
    csv = tmp_path / "images_tiny.csv.gz"
    run(TINY, csv, log=lambda *_: None)
    df = read_rows(csv)
    assert len(df) == 2 * len(ARMS) and sorted(df.arm[:len(ARMS)]) == sorted(ARMS)
    assert (df[df.arm == "none"].gain == 0).all()
    gen = df[df.arm.isin(["image-vae", "image-gan"])]
    assert (gen.n_synthetic == RATIO * gen.n_real).all() and gen.tstr_accuracy.notna().all()
    # seed 0 drew its grids next to the CSV; the page links them
    for what in ("real", "image-vae", "image-gan"):
        assert (tmp_path / f"images_tiny_digits_k3_{what}.png").exists()
    page = write_page(tmp_path, tmp_path / "images.md", quick_csv=csv)
    text = page.read_text()
    assert text.count(MARKERS.begin) == 1 and "### Run `images_tiny`" in text
    assert "](images_tiny_digits_k3_real.png)" in text and "- Results: `images_tiny.csv.gz`" in text


def test_cell_rows_do_not_depend_on_the_run():
    """The same cell alone gives the rows a run gives it (timings aside)."""
    a = pd.DataFrame(run_cell(TINY, "digits", 3, 1))
    b = pd.DataFrame(run_cell(TINY, "digits", 3, 1))
    cols = ["arm", "accuracy", "macro_f1", "n_synthetic", "gain", "tstr_accuracy"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
