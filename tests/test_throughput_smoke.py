"""Smoke test of ``python -m benchmarks throughput --quick``.

Checks that the quick path runs end to end and writes every part of the
tabular table (sampling, forward pass, decoding, peak memory, fit cost) and
its sidecar, and the image part's table; the ctgan rows appear only where
ctgan is installed (the run must skip them cleanly where it is not).
Benchmarks are not tests: no threshold on any timing.
"""
from __future__ import annotations

import importlib.util
import json

import pytest

from benchmarks.common.files import read_rows
from benchmarks.common.pages import splice
from benchmarks.throughput import main as throughput
from benchmarks.throughput.cell import COLUMNS
from benchmarks.throughput.config import MODELS, QUICK
from benchmarks.throughput.render import MARKERS, images_lines, render

# penguins has categorical columns; without its extra, a numeric sklearn table
DATASET = "penguins" if importlib.util.find_spec("palmerpenguins") else "iris"
HAS_CTGAN = importlib.util.find_spec("ctgan") is not None
pytestmark = pytest.mark.slow  # the quick run: ~20 s on 2 cores


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("throughput") / "throughput.csv"
    md = out.with_name("RESULTS.md")
    md.write_text("# results\n\n<!-- other:start -->\nkept\n<!-- other:end -->\n")
    # the old command line: --out names the tabular CSV, the other parts go next to it
    throughput.main(["--quick", "--parts", "tabular", "images", "--dataset", DATASET,
                     "--out", str(out), "--threads", "1", "--md", str(md)])
    return out, md


def test_csv_has_every_part(quick_run):
    out, _ = quick_run
    df = read_rows(out)
    assert list(df.columns) == COLUMNS
    assert set(df.part) == {"sample", "memory", "fit"}
    s = df[df.part == "sample"]
    for name in MODELS:
        got = s[s.model == name]
        assert {"sample", "forward", "decode"} <= set(got.what)
        assert len(got[got.what == "sample"]) == len(QUICK["ns"]) * len(QUICK["chunks"])
        # decoding is timed on the same (batch, n) pairs as sample and forward
        pairs = {w: set(zip(got[got.what == w].batch, got[got.what == w].n_samples))
                 for w in ("sample", "forward", "decode")}
        assert pairs["sample"] == pairs["forward"] == pairs["decode"]
        assert (got.rows_per_s > 0).all() and got.default_batch.notna().all()
    mem = df[df.part == "memory"]
    assert set(mem.what) == {"sample", "sample_to_file"}
    assert (mem.peak_rss_mb > 0).all() and mem.rss_before_mb.notna().all()
    fit = df[df.part == "fit"]
    assert {"real only", "TabularGAN"} <= set(fit.model)
    assert fit[fit.model == "TabularGAN"][["seconds", "gain_accuracy"]].notna().all().all()
    peers = {"ctgan.CTGAN"} & set(df.model)
    assert bool(peers) == HAS_CTGAN


def test_image_part_sits_next_to_the_tabular_csv(quick_run):
    out, _ = quick_run
    images = read_rows(out.parent / "throughput_images_quick.csv.gz")
    assert set(images.what) >= {"sample", "forward", "loader-0w-cold", "loader-2w-cold"}
    assert (images.images_per_s > 0).all() and set(images.side) == set(QUICK["sides"])
    lines = images_lines(out.parent, "throughput_images_quick")
    assert lines[0] == "### Throughput" and any("| cpu | 8x8 | ImageVAE |" in x for x in lines)


def test_sidecar_and_page(quick_run):
    out, md = quick_run
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["quick"] and meta["command"].startswith("python -m benchmarks throughput")
    section = render(read_rows(out), meta)
    assert "decoding on top of the bare forward pass" in section and "Targets" in section
    assert "decode share" in section
    # the run wrote its block to --md and kept every other block there
    page = md.read_text()
    assert "<!-- other:start -->\nkept\n<!-- other:end -->" in page
    assert page.count(MARKERS.begin) == 1 and "| cpu | 8x8 | ImageGAN |" in page
    again = splice(page, "new\n", MARKERS)
    assert again.count(MARKERS.begin) == 1 and "new" in again and "kept" in again
