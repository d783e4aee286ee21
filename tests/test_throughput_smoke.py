"""Smoke test of ``python -m benchmarks.throughput --quick``.

Checks that the quick path runs end to end and writes every part of the
table (sampling, forward pass, decoding, peak memory, fit cost) and its
sidecar; the ctgan rows appear only where ctgan is installed (the dev venv
has none, and the run must skip them cleanly there). Benchmarks are not
tests: no threshold on any timing.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import throughput, throughput_report  # noqa: E402

# penguins has categorical columns; without its extra, a numeric sklearn table
DATASET = "penguins" if importlib.util.find_spec("palmerpenguins") else "iris"
HAS_CTGAN = importlib.util.find_spec("ctgan") is not None


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("throughput") / "throughput.csv"
    md = out.with_name("RESULTS.md")
    md.write_text("# results\n\n<!-- other:start -->\nkept\n<!-- other:end -->\n")
    throughput.main(["--quick", "--dataset", DATASET, "--out", str(out), "--threads", "1"])
    return out, md


def test_csv_has_every_part(quick_run):
    out, _ = quick_run
    df = pd.read_csv(out)
    assert list(df.columns) == throughput.COLUMNS
    assert set(df.part) == {"sample", "memory", "fit"}
    s = df[df.part == "sample"]
    for name in throughput.MODELS:
        got = s[s.model == name]
        assert {"sample", "forward", "decode"} <= set(got.what)
        q = throughput.QUICK
        assert len(got[got.what == "sample"]) == len(q["ns"]) * len(q["chunks"])
        # decoding is timed on the same (batch, n) pairs as sample and forward
        pairs = {w: set(zip(got[got.what == w].batch, got[got.what == w].n_samples))
                 for w in ("sample", "forward", "decode")}
        assert pairs["sample"] == pairs["forward"] == pairs["decode"]
        assert (got.rows_per_s > 0).all()
    mem = df[df.part == "memory"]
    assert set(mem.what) == {"sample", "sample_to_file"}
    assert (mem.peak_rss_mb > 0).all() and mem.rss_before_mb.notna().all()
    fit = df[df.part == "fit"]
    assert {"real only", "TabularGAN"} <= set(fit.model)
    assert fit[fit.model == "TabularGAN"][["seconds", "gain_accuracy"]].notna().all().all()
    peers = {"ctgan.CTGAN"} & set(df.model)
    assert bool(peers) == HAS_CTGAN


def test_sidecar_and_section(quick_run):
    out, md = quick_run
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["quick"] and meta["command"].startswith("python -m benchmarks.throughput")
    section = throughput_report.render(pd.read_csv(out), meta)
    assert "decoding on top of the bare forward pass" in section and "Targets" in section
    assert "decode share" in section
    # --quick never writes RESULTS.md; the splice keeps every other section
    assert md.read_text().count("kept") == 1
    spliced = throughput_report.splice(md.read_text(), section)
    assert "<!-- other:start -->\nkept\n<!-- other:end -->" in spliced
    again = throughput_report.splice(spliced, "new\n")
    assert again.count(throughput_report.START) == 1 and "new" in again and "kept" in again
